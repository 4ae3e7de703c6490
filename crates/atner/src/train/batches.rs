//! Batches of similar-length sentences: padding costs time in the BiLSTMs and
//! the CRF recursion, so sentences are grouped by length before batching.

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::encode::Encoded;

/// How many batches' worth of shuffled sentences are length-sorted together.
const BUCKET_BATCHES: usize = 50;

/// Training batches: shuffle, sort within buckets by length, shuffle the batches.
/// Each batch lists its sentences longest first (the BiLSTM accepts any order).
pub fn shuffled(sentences: &[Encoded], batch_size: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..sentences.len()).collect();
    order.shuffle(rng);
    let mut batches: Vec<Vec<usize>> = order
        .chunks(batch_size * BUCKET_BATCHES)
        .flat_map(|bucket| by_length(sentences, bucket.to_vec(), batch_size))
        .collect();
    batches.shuffle(rng);
    batches
}

/// Evaluation batches: every sentence once, grouped by length.
pub fn sorted(sentences: &[Encoded], batch_size: usize) -> Vec<Vec<usize>> {
    by_length(sentences, (0..sentences.len()).collect(), batch_size)
}

fn by_length(sentences: &[Encoded], mut ids: Vec<usize>, batch_size: usize) -> Vec<Vec<usize>> {
    ids.sort_by_key(|&i| std::cmp::Reverse(sentences[i].chars.len()));
    ids.chunks(batch_size).map(<[usize]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn sentences(lengths: &[usize]) -> Vec<Encoded> {
        lengths
            .iter()
            .map(|&n| Encoded {
                chars: vec![2; n],
                tags: vec![0; n],
            })
            .collect()
    }

    #[test]
    fn every_sentence_once_longest_first() {
        let data = sentences(&[3, 9, 1, 4, 4, 7, 2]);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let batches = shuffled(&data, 3, &mut rng);
        let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
        seen.sort();
        assert_eq!(seen, (0..7).collect::<Vec<_>>());
        for batch in &batches {
            assert!(batch
                .windows(2)
                .all(|w| data[w[0]].chars.len() >= data[w[1]].chars.len()));
        }
    }

    #[test]
    fn same_seed_same_batches() {
        let data = sentences(&[3, 9, 1, 4, 4, 7, 2, 5, 5]);
        let a = shuffled(&data, 2, &mut ChaCha8Rng::seed_from_u64(9));
        let b = shuffled(&data, 2, &mut ChaCha8Rng::seed_from_u64(9));
        assert_eq!(a, b);
    }
}
