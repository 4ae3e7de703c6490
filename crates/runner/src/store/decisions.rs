//! `decisions.json`: what `runner sweep --until-decided` looked at in a
//! store — the design and each declared claim's looks — so that reports
//! give a sequentially decided claim its sequential interval.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::stats::sequential::{Design, Look};

/// The file in a store's root.
pub const DECISIONS: &str = "decisions.json";

/// A sequential pass: the design and every claim's looks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decisions {
    pub design: Design,
    pub claims: Vec<Claim>,
}

/// One declared claim and its looks so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub a: String,
    pub b: String,
    pub reference: Option<f64>,
    pub looks: Vec<Look>,
}

impl Claim {
    /// Not settled by its last look (or not looked at yet).
    pub fn open(&self) -> bool {
        self.looks.last().is_none_or(|l| !l.state.settled())
    }

    pub fn name(&self) -> String {
        format!("{} vs {}", self.a, self.b)
    }
}

/// The store's record, if it has one.
pub fn read(root: &Path) -> anyhow::Result<Option<Decisions>> {
    let path = root.join(DECISIONS);
    if !path.is_file() {
        return Ok(None);
    }
    super::read_json(&path).map(Some)
}

/// Writes the record atomically.
pub fn write(root: &Path, decisions: &Decisions) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(decisions)?;
    super::write_atomic(&root.join(DECISIONS), &json)
}
