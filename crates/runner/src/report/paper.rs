//! The numbers Cao et al. (EMNLP 2018) report in Tables 2–5, as data: the
//! "reported" rows every table prints beside what was measured here.
//! Source: the paper's tables, transcribed in `../shared/DESIGN.md`.

use atner::config::Variant;

/// Precision, recall and F1 in percent, as printed in the paper.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

const fn prf(precision: f64, recall: f64, f1: f64) -> Prf {
    Prf {
        precision,
        recall,
        f1,
    }
}

/// The paper's citation, for table captions.
pub const CITATION: &str = "Cao et al. (EMNLP 2018)";

/// The λ of eq. 18 behind every reported number.
pub const LAMBDA: f64 = 0.06;

/// Table 2 (WeiboNER original release, named entities): prior work, then the paper's model.
pub const TABLE2: [(&str, Prf); 10] = [
    ("CRF (Peng & Dredze 2015)", prf(56.98, 25.26, 35.00)),
    ("CRF+word (Peng & Dredze 2015)", prf(64.94, 25.77, 36.90)),
    (
        "CRF+character (Peng & Dredze 2015)",
        prf(57.89, 34.02, 42.86),
    ),
    (
        "CRF+character+position (Peng & Dredze 2015)",
        prf(57.26, 34.53, 43.09),
    ),
    ("Joint(cp) (Peng & Dredze 2015)", prf(57.98, 35.57, 44.09)),
    (
        "Pipeline Seg.Repr.+NER (Peng & Dredze 2016)",
        prf(64.22, 36.08, 46.20),
    ),
    (
        "Jointly Train Char.Emb (Peng & Dredze 2016)",
        prf(63.16, 37.11, 46.75),
    ),
    (
        "Jointly Train LSTM Hidden (Peng & Dredze 2016)",
        prf(63.03, 38.66, 47.92),
    ),
    (
        "Jointly Train LSTM+Emb (Peng & Dredze 2016)",
        prf(63.33, 39.18, 48.41),
    ),
    (
        "BiLSTM+CRF+adversarial+self-attention",
        prf(55.72, 50.68, 53.08),
    ),
];

/// One row of Table 3: named (NE), nominal (NM) and overall F1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MentionRow {
    pub model: &'static str,
    pub named: Prf,
    pub nominal: Prf,
    pub overall_f1: f64,
}

/// Table 3 (WeiboNER updated release).
pub const TABLE3: [MentionRow; 5] = [
    MentionRow {
        model: "Peng & Dredze 2015",
        named: prf(74.78, 39.81, 51.96),
        nominal: prf(71.92, 53.03, 61.05),
        overall_f1: 56.05,
    },
    MentionRow {
        model: "Peng & Dredze 2016",
        named: prf(66.67, 47.22, 55.28),
        nominal: prf(74.48, 54.55, 62.97),
        overall_f1: 58.99,
    },
    MentionRow {
        model: "He & Sun 2017a",
        named: prf(66.93, 40.67, 50.60),
        nominal: prf(66.46, 53.57, 59.32),
        overall_f1: 54.82,
    },
    MentionRow {
        model: "He & Sun 2017b",
        named: prf(61.68, 48.82, 54.50),
        nominal: prf(74.13, 53.54, 62.17),
        overall_f1: 58.23,
    },
    MentionRow {
        model: "BiLSTM+CRF+adversarial+self-attention",
        named: prf(59.51, 50.00, 54.34),
        nominal: prf(71.43, 47.90, 57.35),
        overall_f1: 58.70,
    },
];

/// Table 4 (SighanNER): prior work, then the paper's model.
pub const TABLE4: [(&str, Prf); 4] = [
    ("Chen et al. 2006", prf(91.22, 81.71, 86.20)),
    ("Zhou et al. 2006", prf(88.94, 84.20, 86.51)),
    ("Luo & Yang 2016", prf(91.30, 87.22, 89.21)),
    (
        "BiLSTM+CRF+adversarial+self-attention",
        prf(91.73, 89.58, 90.64),
    ),
];

/// Table 5 (ablation): per variant, SighanNER then WeiboNER (original, named).
pub const TABLE5: [(Variant, Prf, Prf); 5] = [
    (
        Variant::Baseline,
        prf(89.84, 88.42, 89.13),
        prf(58.99, 44.93, 51.01),
    ),
    (
        Variant::Transfer,
        prf(90.60, 89.19, 89.89),
        prf(60.00, 46.03, 52.09),
    ),
    (
        Variant::Adversarial,
        prf(90.52, 89.56, 90.04),
        prf(61.94, 45.48, 52.45),
    ),
    (
        Variant::SelfAttention,
        prf(90.62, 88.81, 89.71),
        prf(57.81, 47.67, 52.25),
    ),
    (
        Variant::Full,
        prf(91.73, 89.58, 90.64),
        prf(55.72, 50.68, 53.08),
    ),
];

/// The datasets of the paper's tables, as a run's `data.ner` (and `data.mode`) names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dataset {
    /// WeiboNER original release, named entities only (Tables 2 and 5).
    WeiboNamed,
    /// WeiboNER updated release, named and nominal mentions (Table 3).
    WeiboUpdated,
    /// SighanNER, MSRA (Tables 4 and 5).
    Sighan,
}

impl Dataset {
    /// The dataset of a run with `data.ner = ner` and `data.mode = mode`.
    pub fn of(ner: &str, mode: &str) -> Option<Self> {
        match (ner, mode) {
            ("weibo", "named") => Some(Dataset::WeiboNamed),
            ("weibo-updated", _) => Some(Dataset::WeiboUpdated),
            ("sighan", _) => Some(Dataset::Sighan),
            _ => None,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Dataset::WeiboNamed => "WeiboNER",
            Dataset::WeiboUpdated => "WeiboNER (updated)",
            Dataset::Sighan => "SighanNER",
        }
    }

    /// The experiment file that produces runs on this dataset.
    pub fn experiment(self) -> &'static str {
        match self {
            Dataset::WeiboNamed => "experiments/weibo.toml",
            Dataset::WeiboUpdated => "experiments/weibo-updated.toml",
            Dataset::Sighan => "experiments/sighan.toml",
        }
    }

    /// The paper's Table 5 numbers of `variant` on this dataset, if it has any.
    pub fn table5(self, variant: Variant) -> Option<Prf> {
        let (_, sighan, weibo) = TABLE5.iter().find(|(v, _, _)| *v == variant)?;
        match self {
            Dataset::Sighan => Some(*sighan),
            Dataset::WeiboNamed => Some(*weibo),
            Dataset::WeiboUpdated => None,
        }
    }
}

/// A variant's name in charts and comparisons, short enough for a tick label.
pub fn short_name(variant: Variant) -> &'static str {
    match variant {
        Variant::Baseline => "baseline",
        Variant::Transfer => "+transfer",
        Variant::Adversarial => "+adversarial",
        Variant::SelfAttention => "+self-attention",
        Variant::Full => "full",
    }
}

/// The Table 5 variant with these switched parts (`atner`'s one mapping).
pub fn variant_of(transfer: bool, adversarial: bool, attention: bool) -> Option<Variant> {
    Variant::of_parts(transfer, adversarial, attention)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_model_row_agrees_across_tables() {
        assert_eq!(TABLE2[9].1, TABLE5[4].2);
        assert_eq!(TABLE4[3].1, TABLE5[4].1);
        assert_eq!(
            Dataset::WeiboNamed.table5(Variant::Baseline).map(|p| p.f1),
            Some(51.01)
        );
    }

    #[test]
    fn parts_name_the_variant() {
        assert_eq!(variant_of(true, true, true), Some(Variant::Full));
        assert_eq!(variant_of(false, false, true), Some(Variant::SelfAttention));
        assert_eq!(variant_of(true, false, true), None);
    }
}
