//! Plain-text rendering of `runner data stats` (Table 1): one block per
//! dataset, aligned columns, then the dataset's differences from the paper.

use std::fmt::Write;

use super::manifest::Counts;
use super::stats::{Checksum, CoverageRow, DatasetStats, SplitRow};

const HEADER: [&str; 8] = [
    "split",
    "file",
    "sha256",
    "sentences",
    "chars",
    "contents",
    "manifest",
    "paper",
];

/// The whole table as text.
pub fn render(all: &[DatasetStats]) -> String {
    let mut out = String::from(
        "Table 1 of Cao et al. (2018) as measured here. `paper`: the paper's sentences \
         (dimension for embeddings); `manifest`: the counts in data/datasets.toml; \
         sampled splits use the --split-seed.\n",
    );
    for stats in all {
        out.push('\n');
        render_dataset(&mut out, stats);
    }
    out
}

fn render_dataset(out: &mut String, stats: &DatasetStats) {
    let _ = writeln!(
        out,
        "{} [{}]: {}",
        stats.name,
        format!("{:?}", stats.task).to_lowercase(),
        stats.citation
    );
    if stats.rows.is_empty() {
        let _ = writeln!(out, "  not available (neither cached nor in the mirror)");
    } else {
        let mut rows = vec![HEADER.map(String::from).to_vec()];
        rows.extend(stats.rows.iter().map(|row| cells(row, stats)));
        out.push_str(&align(&rows, "  "));
    }
    let repairs: Vec<String> = stats
        .rows
        .iter()
        .filter_map(|row| Some(format!("{} {}", row.split, row.measured.repairs?)))
        .collect();
    if !repairs.is_empty() {
        let _ = writeln!(out, "  CESU-8 emoji repaired: {}", repairs.join(", "));
    }
    for missing in &stats.missing {
        let _ = writeln!(
            out,
            "  missing {}: {} (see `runner data fetch {}`)",
            missing.split, missing.file, stats.name
        );
    }
    render_coverage(out, &stats.coverage);
    if let Some(paper) = &stats.paper {
        let _ = writeln!(out, "  paper's corpus: {}", paper.corpus);
    }
    if let Some(note) = &stats.note {
        let _ = writeln!(out, "  differs from the paper: {note}");
    }
}

fn cells(row: &SplitRow, stats: &DatasetStats) -> Vec<String> {
    let m = &row.measured;
    let dash = || "-".to_string();
    let paper = match (&m.dim, &stats.paper) {
        (Some(_), Some(paper)) => paper.dim.map(|d| format!("{d}-d")),
        _ => row.paper.map(|p| p.to_string()),
    };
    vec![
        row.split.clone(),
        row.file
            .clone()
            .unwrap_or_else(|| "(sampled, seeded)".into()),
        format!("{:?}", row.checksum).to_lowercase(),
        m.sentences.map_or_else(dash, |n| n.to_string()),
        m.characters.map_or_else(dash, |n| n.to_string()),
        contents(m),
        manifest_check(row),
        paper.unwrap_or_else(dash),
    ]
}

/// `ok`, the differences from the manifest, or `-` for a sampled split.
fn manifest_check(row: &SplitRow) -> String {
    match (row.checksum, row.differences.is_empty()) {
        (Checksum::Sampled, _) => "-".into(),
        (_, true) => "ok".into(),
        (_, false) => row.differences.join("; "),
    }
}

/// Entities per type, words, or vector shape: whatever the file holds.
fn contents(m: &Counts) -> String {
    if let (Some(vectors), Some(dim)) = (m.vectors, m.dim) {
        return format!("{vectors} vectors x {dim}");
    }
    if let Some(words) = m.words {
        return format!("{words} words");
    }
    let entities: Vec<String> = m.entities.iter().map(|(k, n)| format!("{k} {n}")).collect();
    entities.join(", ")
}

fn render_coverage(out: &mut String, coverage: &[CoverageRow]) {
    if coverage.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  coverage of training characters (types with a vector; share of tokens):"
    );
    let rows: Vec<Vec<String>> = coverage
        .iter()
        .map(|row| {
            let c = &row.coverage;
            vec![
                row.corpus.clone(),
                format!(
                    "{}/{} types ({:.1}%)",
                    c.covered_types,
                    c.types,
                    100.0 * row.type_share
                ),
                format!("{:.2}% of {} tokens", 100.0 * row.token_share, c.tokens),
            ]
        })
        .collect();
    out.push_str(&align(&rows, "    "));
}

/// Left-aligned columns, two spaces apart, each line starting with `indent`.
fn align(rows: &[Vec<String>], indent: &str) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let padded: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{indent}{}", padded.join("  ").trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn align_pads_columns_to_the_widest_cell() {
        let rows = vec![
            vec!["a".to_string(), "bb".to_string(), "c".to_string()],
            vec!["aaa".to_string(), "b".to_string(), "c".to_string()],
        ];
        assert_eq!(align(&rows, " "), " a    bb  c\n aaa  b   c\n");
    }
}
