//! Counts and the numbers derived from them: precision, recall and F1 as
//! conlleval computes them (percentages, 0 when a denominator is 0), per type,
//! per base type, and per mention kind (NE = `.NAM`, NM = `.NOM`, the grouping
//! of the paper's Table 3 for the updated WeiboNER).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Phrase counts: correct, found in the prediction (`guessed`), and in the gold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub correct: u64,
    pub guessed: u64,
    pub gold: u64,
}

impl Counts {
    pub fn new(correct: u64, guessed: u64, gold: u64) -> Self {
        Self {
            correct,
            guessed,
            gold,
        }
    }

    /// `100 * correct / guessed`, 0 when nothing was guessed.
    pub fn precision(&self) -> f64 {
        percent(self.correct, self.guessed)
    }

    /// `100 * correct / gold`, 0 when the gold has no phrase.
    pub fn recall(&self) -> f64 {
        percent(self.correct, self.gold)
    }

    /// `2 P R / (P + R)` on the percentages, in conlleval's order of operations.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    }

    pub fn add(&mut self, other: &Counts) {
        self.correct += other.correct;
        self.guessed += other.guessed;
        self.gold += other.gold;
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole > 0 {
        100.0 * part as f64 / whole as f64
    } else {
        0.0
    }
}

/// Everything conlleval reports for one input: phrase counts overall and per
/// type (the type is the tag after its first `-`), and token counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    pub overall: Counts,
    pub per_type: BTreeMap<String, Counts>,
    /// Tokens, sentence boundaries excluded.
    pub tokens: u64,
    /// Tokens whose gold and predicted tags are equal.
    pub correct_tokens: u64,
}

impl Scores {
    /// Token accuracy in percent, 0 when there is no token.
    pub fn accuracy(&self) -> f64 {
        percent(self.correct_tokens, self.tokens)
    }

    /// Adds `other`'s counts, so that scores over several files or seeds sum up.
    pub fn merge(&mut self, other: &Scores) {
        self.overall.add(&other.overall);
        for (kind, counts) in &other.per_type {
            self.entry(kind).add(counts);
        }
        self.tokens += other.tokens;
        self.correct_tokens += other.correct_tokens;
    }

    /// Counts per base type: the type up to its first `.` (`PER.NAM` → `PER`).
    pub fn by_base_type(&self) -> BTreeMap<String, Counts> {
        let mut grouped: BTreeMap<String, Counts> = BTreeMap::new();
        for (kind, counts) in &self.per_type {
            let base = kind.split_once('.').map_or(kind.as_str(), |(base, _)| base);
            grouped.entry(base.to_owned()).or_default().add(counts);
        }
        grouped
    }

    /// NE, NM and overall counts, or `None` when no type ends in `.NAM` or `.NOM`.
    pub fn by_mention(&self) -> Option<MentionScores> {
        let mut named = None::<Counts>;
        let mut nominal = None::<Counts>;
        for (kind, counts) in &self.per_type {
            let slot = match MentionKind::of(kind) {
                Some(MentionKind::Named) => &mut named,
                Some(MentionKind::Nominal) => &mut nominal,
                None => continue,
            };
            slot.get_or_insert_with(Counts::default).add(counts);
        }
        if named.is_none() && nominal.is_none() {
            return None;
        }
        Some(MentionScores {
            named: named.unwrap_or_default(),
            nominal: nominal.unwrap_or_default(),
            overall: self.overall,
        })
    }

    pub(crate) fn entry(&mut self, kind: &str) -> &mut Counts {
        self.per_type.entry(kind.to_owned()).or_default()
    }
}

/// Mention kind of the updated WeiboNER: named (`PER.NAM`) or nominal (`PER.NOM`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MentionKind {
    Named,
    Nominal,
}

impl MentionKind {
    /// The kind a type's suffix names, if any.
    pub fn of(kind: &str) -> Option<Self> {
        if kind.ends_with(".NAM") {
            Some(MentionKind::Named)
        } else if kind.ends_with(".NOM") {
            Some(MentionKind::Nominal)
        } else {
            None
        }
    }

    /// The paper's column name: `NE` or `NM`.
    pub fn abbreviation(self) -> &'static str {
        match self {
            MentionKind::Named => "NE",
            MentionKind::Nominal => "NM",
        }
    }
}

/// The three columns of the paper's Table 3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentionScores {
    /// Types ending in `.NAM`.
    pub named: Counts,
    /// Types ending in `.NOM`.
    pub nominal: Counts,
    /// All phrases (types without a suffix included).
    pub overall: Counts,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(correct: u64, guessed: u64, gold: u64) -> Counts {
        Counts::new(correct, guessed, gold)
    }

    #[test]
    fn zero_denominators_give_zero() {
        let c = counts(0, 0, 0);
        assert_eq!((c.precision(), c.recall(), c.f1()), (0.0, 0.0, 0.0));
        assert_eq!(Scores::default().accuracy(), 0.0);
    }

    #[test]
    fn prf_are_percentages() {
        // P = 100*1/4 = 25, R = 100*1/2 = 50, F = 2*25*50/75 = 33.33...
        let c = counts(1, 4, 2);
        assert_eq!((c.precision(), c.recall()), (25.0, 50.0));
        assert!((c.f1() - 100.0 / 3.0).abs() < 1e-12);
    }

    fn scores(per_type: &[(&str, Counts)]) -> Scores {
        let mut s = Scores::default();
        for (kind, c) in per_type {
            s.overall.add(c);
            s.entry(kind).add(c);
        }
        s
    }

    #[test]
    fn merge_adds_counts_and_types() {
        let mut a = scores(&[("PER", counts(1, 2, 3))]);
        a.tokens = 10;
        let mut b = scores(&[("PER", counts(1, 1, 1)), ("LOC", counts(0, 1, 0))]);
        b.correct_tokens = 4;
        a.merge(&b);
        assert_eq!(a.overall, counts(2, 4, 4));
        assert_eq!(a.per_type["PER"], counts(2, 3, 4));
        assert_eq!(a.per_type["LOC"], counts(0, 1, 0));
        assert_eq!((a.tokens, a.correct_tokens), (10, 4));
    }

    #[test]
    fn mention_kinds_group_nam_and_nom() {
        let s = scores(&[
            ("PER.NAM", counts(1, 2, 3)),
            ("LOC.NAM", counts(1, 1, 1)),
            ("PER.NOM", counts(2, 2, 2)),
            ("MISC", counts(0, 1, 1)),
        ]);
        let m = s.by_mention().expect("suffixed types");
        assert_eq!(m.named, counts(2, 3, 4));
        assert_eq!(m.nominal, counts(2, 2, 2));
        assert_eq!(m.overall, counts(4, 6, 7));
        let base = s.by_base_type();
        assert_eq!(base["PER"], counts(3, 4, 5));
        assert_eq!(base.keys().collect::<Vec<_>>(), ["LOC", "MISC", "PER"]);
    }

    #[test]
    fn no_mention_kinds_without_suffixes() {
        assert_eq!(scores(&[("PER", counts(1, 1, 1))]).by_mention(), None);
    }

    #[test]
    fn scores_are_serde() {
        fn serde<T: Serialize + for<'de> Deserialize<'de>>() {}
        serde::<Scores>();
        serde::<MentionScores>();
    }
}
