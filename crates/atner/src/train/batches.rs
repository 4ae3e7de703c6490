//! Batches of similar-length sentences: padding costs time in the BiLSTMs and
//! the CRF recursion, so sentences are grouped by length before batching.

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::config::Batching;
use crate::encode::Encoded;

/// How many batches' worth of shuffled sentences are length-sorted together.
const BUCKET_BATCHES: usize = 50;

/// An epoch's training batches, grouped as `how` says.
pub fn training(
    sentences: &[Encoded],
    batch_size: usize,
    how: Batching,
    rng: &mut ChaCha8Rng,
) -> Vec<Vec<usize>> {
    match how {
        Batching::Bucketed => shuffled(sentences, batch_size, rng),
        Batching::Random => random(sentences.len(), batch_size, rng),
    }
}

/// The released code's batches: a shuffled order cut into batches, the last
/// partial batch dropped (an epoch then covers ⌊n / size⌋ · size sentences;
/// all of them when there are fewer than one batch's worth).
pub fn random(count: usize, batch_size: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..count).collect();
    order.shuffle(rng);
    let full = (count / batch_size).max(1) * batch_size;
    order.truncate(full);
    order.chunks(batch_size).map(<[usize]>::to_vec).collect()
}

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
    fn random_batches_drop_the_remainder_and_keep_no_length_order() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let batches = random(23, 5, &mut rng);
        assert_eq!(batches.len(), 4);
        assert!(batches.iter().all(|b| b.len() == 5));
        let mut seen: Vec<usize> = batches.concat();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 20, "twenty distinct sentences");
        assert_eq!(
            random(3, 5, &mut rng).concat().len(),
            3,
            "fewer than a batch: all"
        );
        assert_eq!(random(23, 5, &mut ChaCha8Rng::seed_from_u64(3)), batches);
    }

    #[test]
    fn same_seed_same_batches() {
        let data = sentences(&[3, 9, 1, 4, 4, 7, 2, 5, 5]);
        let a = shuffled(&data, 2, &mut ChaCha8Rng::seed_from_u64(9));
        let b = shuffled(&data, 2, &mut ChaCha8Rng::seed_from_u64(9));
        assert_eq!(a, b);
    }
}
