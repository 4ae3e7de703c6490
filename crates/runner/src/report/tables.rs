//! The paper's Tables 2–5 in its layout, from aggregated runs: the paper's
//! rows marked "reported", ours "measured (mean ± std, n = seeds)" with a
//! column Δ F1 = measured mean − reported, for the same model. Each table
//! renders as Markdown, LaTeX (booktabs) and CSV.
//!
//! Two views ([`Selection`]): the honest one (checkpoint chosen on dev, the
//! default) and the released code's (best test epoch), labelled as such.
//! A table without runs says so and shows only the reported rows. The table
//! model and its renderers are in [`super::table`].

use atner::config::Variant;

use super::aggregate::Group;
use super::paper::{self, Dataset, Prf};
pub use super::table::{latex_escape, Cell, ColumnGroup, Row, Table};

/// Which checkpoint's test scores a table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Best dev F1 (early stopping on dev; our protocol).
    Dev,
    /// Best test F1 over epochs (the released code's protocol; optimistic).
    Test,
}

impl Selection {
    /// The runs-table prefix of the test scores under this selection.
    pub fn prefix(self) -> &'static str {
        match self {
            Selection::Dev => "test",
            Selection::Test => "test_selected",
        }
    }

    /// File-name suffix of the tables in this view.
    pub fn suffix(self) -> &'static str {
        match self {
            Selection::Dev => "",
            Selection::Test => "-test-selected",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Selection::Dev => "test scores of the checkpoint with the best dev F1 (honest protocol)",
            Selection::Test => "test scores of the epoch with the best test F1 (the released code's protocol; optimistic, not a valid estimate)",
        }
    }
}

/// "measured (mean ± std, n = 3)", or "measured (1 seed)".
pub fn measured_label(n: usize) -> String {
    match n {
        1 => "measured (1 seed)".to_string(),
        n => format!("measured (mean ± std, n = {n})"),
    }
}

pub const REPORTED: &str = "reported";

/// The groups measuring `variant` on `dataset`; runs at other λ than the
/// paper's are left out when runs at the paper's λ exist.
pub fn measured(groups: &[Group], dataset: Dataset, variant: Variant) -> Vec<&Group> {
    let all: Vec<&Group> = groups
        .iter()
        .filter(|g| g.dataset() == Some(dataset) && g.parts == Some(variant))
        .collect();
    if all.iter().any(|g| g.at_paper_lambda()) {
        all.into_iter().filter(|g| g.at_paper_lambda()).collect()
    } else {
        all
    }
}

fn reported_cells(p: Prf) -> Vec<Cell> {
    vec![
        Cell::Number(p.precision),
        Cell::Number(p.recall),
        Cell::Number(p.f1),
        Cell::Blank,
    ]
}

fn stat_cell(g: &Group, column: &str) -> Cell {
    g.stat(column).map_or(Cell::Text("–".into()), Cell::Stat)
}

fn measured_cells(g: &Group, prefix: &str, reported_f1: Option<f64>) -> Vec<Cell> {
    let f1 = g.stat(&format!("{prefix}_f1"));
    vec![
        stat_cell(g, &format!("{prefix}_precision")),
        stat_cell(g, &format!("{prefix}_recall")),
        stat_cell(g, &format!("{prefix}_f1")),
        match (f1, reported_f1) {
            (Some(f1), Some(r)) => Cell::Delta(f1.mean - r),
            _ => Cell::Blank,
        },
    ]
}

fn prf_group(title: &str) -> ColumnGroup {
    ColumnGroup {
        title: title.to_string(),
        columns: ["P", "R", "F1", "Δ F1"].map(String::from).to_vec(),
    }
}

fn title(number: u32, what: &str, selection: Selection) -> String {
    let view = match selection {
        Selection::Dev => String::new(),
        Selection::Test => " — released code's protocol (best test epoch)".to_string(),
    };
    format!("Table {number}: {what}{view}")
}

fn protocol_note(selection: Selection) -> String {
    format!(
        "Measured rows: {}; Δ F1 = measured mean − reported F1 ({}).",
        selection.describe(),
        paper::CITATION
    )
}

fn no_runs_note(what: &str, dataset: Dataset) -> String {
    format!(
        "No runs: no finished run of {what} on {} in these results, so no measured row (run `runner sweep {}`).",
        dataset.title(),
        dataset.experiment()
    )
}

/// A table of prior work plus the paper's full model, on one dataset (Tables 2 and 4).
fn full_model_table(
    id: &str,
    number: u32,
    what: &str,
    dataset: Dataset,
    reported: &[(&str, Prf)],
    groups: &[Group],
    selection: Selection,
) -> Table {
    let mut table = Table::new(
        &format!("{id}{}", selection.suffix()),
        title(number, what, selection),
        &["Model", "Source"],
        vec![prf_group("")],
    );
    let prefix = selection.prefix();
    let (ours, prior) = reported
        .split_last()
        .expect("the paper's model is the last row");
    for (model, p) in prior {
        let mut cells = vec![Cell::Text(model.to_string()), Cell::Text(REPORTED.into())];
        cells.extend(reported_cells(*p));
        table.push(cells, vec![None], false);
    }
    let mut cells = vec![Cell::Text(ours.0.to_string()), Cell::Text(REPORTED.into())];
    cells.extend(reported_cells(ours.1));
    table.push(cells, vec![None], true);
    let runs = measured(groups, dataset, Variant::Full);
    for g in &runs {
        let mut cells = vec![Cell::Text(g.label()), Cell::Text(measured_label(g.n))];
        cells.extend(measured_cells(g, prefix, Some(ours.1.f1)));
        table.push(cells, vec![Some(g.n)], false);
    }
    if runs.is_empty() {
        table.notes.push(no_runs_note("the full model", dataset));
    } else {
        table.notes.push(protocol_note(selection));
    }
    table
}

/// One of the paper's tables: its id (file stem without the selection's
/// suffix), the report's section heading, and how it is built from the
/// measured groups.
pub struct PaperTable {
    pub id: &'static str,
    pub heading: &'static str,
    pub build: fn(&[Group], Selection) -> Table,
}

/// The paper's tables, in the order a report writes their files. Both the
/// file writer and the document iterate this list and find tables by id; a
/// new table is a builder here, a registry entry, and its reported numbers
/// in `paper.rs`.
pub const PAPER_TABLES: [PaperTable; 4] = [
    PaperTable {
        id: "table5",
        heading: "Table 5: ablation",
        build: table5,
    },
    PaperTable {
        id: "table2",
        heading: "Table 2: WeiboNER",
        build: table2,
    },
    PaperTable {
        id: "table3",
        heading: "Table 3: WeiboNER, updated release",
        build: table3,
    },
    PaperTable {
        id: "table4",
        heading: "Table 4: SighanNER",
        build: table4,
    },
];

/// Table 2: WeiboNER (original release, named entities).
pub fn table2(groups: &[Group], selection: Selection) -> Table {
    full_model_table(
        "table2",
        2,
        "WeiboNER (original release, named entities), P/R/F1 (%)",
        Dataset::WeiboNamed,
        &paper::TABLE2,
        groups,
        selection,
    )
}

/// Table 4: SighanNER.
pub fn table4(groups: &[Group], selection: Selection) -> Table {
    full_model_table(
        "table4",
        4,
        "SighanNER (MSRA), P/R/F1 (%)",
        Dataset::Sighan,
        &paper::TABLE4,
        groups,
        selection,
    )
}

/// Table 3: WeiboNER updated release; named (NE), nominal (NM), overall.
pub fn table3(groups: &[Group], selection: Selection) -> Table {
    let mut table = table3_frame(selection);
    let last = paper::TABLE3.len() - 1;
    for (i, row) in paper::TABLE3.iter().enumerate() {
        let mut cells = vec![Cell::Text(row.model.into()), Cell::Text(REPORTED.into())];
        cells.extend(prf_cells(row.named));
        cells.extend(prf_cells(row.nominal));
        cells.extend([Cell::Number(row.overall_f1), Cell::Blank]);
        table.push(cells, vec![None; 3], i == last);
    }
    let reported = paper::TABLE3[last].overall_f1;
    let prefix = selection.prefix();
    let runs = measured(groups, Dataset::WeiboUpdated, Variant::Full);
    for g in &runs {
        table.push(
            table3_measured_cells(g, prefix, reported),
            vec![Some(g.n); 3],
            false,
        );
    }
    if runs.is_empty() {
        table
            .notes
            .push(no_runs_note("the full model", Dataset::WeiboUpdated));
    } else {
        table.notes.push(protocol_note(selection));
    }
    table
}

/// Table 3 without rows: its title and the NE, NM and overall column groups.
fn table3_frame(selection: Selection) -> Table {
    let three = |t: &str| ColumnGroup {
        title: t.to_string(),
        columns: ["P", "R", "F1"].map(String::from).to_vec(),
    };
    Table::new(
        &format!("table3{}", selection.suffix()),
        title(
            3,
            "WeiboNER (updated release), named (NE), nominal (NM) and overall, P/R/F1 (%)",
            selection,
        ),
        &["Model", "Source"],
        vec![
            three("NE"),
            three("NM"),
            ColumnGroup {
                title: "Overall".into(),
                columns: vec!["F1".into(), "Δ F1".into()],
            },
        ],
    )
}

/// Reported P, R, F1 without a Δ column (Table 3's NE and NM groups).
fn prf_cells(p: Prf) -> [Cell; 3] {
    [
        Cell::Number(p.precision),
        Cell::Number(p.recall),
        Cell::Number(p.f1),
    ]
}

/// A measured Table 3 row: NE and NM P/R/F1, overall F1 and its Δ to `reported`.
fn table3_measured_cells(g: &Group, prefix: &str, reported: f64) -> Vec<Cell> {
    let mut cells = vec![Cell::Text(g.label()), Cell::Text(measured_label(g.n))];
    for kind in ["NE", "NM"] {
        for m in ["precision", "recall", "f1"] {
            cells.push(stat_cell(g, &format!("{prefix}_{kind}_{m}")));
        }
    }
    let f1 = g.stat(&format!("{prefix}_f1"));
    cells.push(stat_cell(g, &format!("{prefix}_f1")));
    cells.push(f1.map_or(Cell::Blank, |f| Cell::Delta(f.mean - reported)));
    cells
}

/// Table 5's datasets, in column order.
const TABLE5_DATASETS: [Dataset; 2] = [Dataset::Sighan, Dataset::WeiboNamed];

/// Table 5: the ablation, SighanNER and WeiboNER (original, named) side by side.
pub fn table5(groups: &[Group], selection: Selection) -> Table {
    let mut table = Table::new(
        &format!("table5{}", selection.suffix()),
        title(5, "ablation, P/R/F1 (%)", selection),
        &["Model", "Source"],
        TABLE5_DATASETS
            .iter()
            .map(|d| prf_group(d.title()))
            .collect(),
    );
    let prefix = selection.prefix();
    for variant in Variant::ALL {
        let mut cells = vec![
            Cell::Text(variant.paper_name().into()),
            Cell::Text(REPORTED.into()),
        ];
        for d in TABLE5_DATASETS {
            cells.extend(reported_cells(d.table5(variant).expect("Table 5 has both")));
        }
        table.push(cells, vec![None; 2], variant != Variant::Baseline);
        push_table5_measured(&mut table, groups, variant, prefix);
    }
    push_table5_unpublished(&mut table, groups, prefix);
    table5_notes(&mut table, groups, selection);
    table
}

/// A dataset's cells in a Table 5 row without runs on it.
fn no_runs_cells() -> [Cell; 4] {
    [
        Cell::Text("no runs".into()),
        Cell::Blank,
        Cell::Blank,
        Cell::Blank,
    ]
}

/// Measured rows of `variant`: one per variant name and λ, across both datasets.
fn push_table5_measured(table: &mut Table, groups: &[Group], variant: Variant, prefix: &str) {
    let per_dataset: Vec<Vec<&Group>> = TABLE5_DATASETS
        .iter()
        .map(|&d| measured(groups, d, variant))
        .collect();
    let mut keys: Vec<(String, Option<f64>)> = Vec::new();
    for g in per_dataset.iter().flatten() {
        let key = (g.variant.clone(), g.lambda);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    for (name, lambda) in keys {
        let found: Vec<Option<&Group>> = per_dataset
            .iter()
            .map(|gs| {
                gs.iter()
                    .find(|g| g.variant == name && g.lambda == lambda)
                    .copied()
            })
            .collect();
        let (cells, ns) = table5_measured_row(&found, variant, prefix);
        table.push(cells, ns, false);
    }
}

/// One measured Table 5 row from the group found in each dataset (at least
/// one), with the seeds behind each dataset's cells.
fn table5_measured_row(
    found: &[Option<&Group>],
    variant: Variant,
    prefix: &str,
) -> (Vec<Cell>, Vec<Option<usize>>) {
    let any = found
        .iter()
        .flatten()
        .next()
        .expect("the key came from a group");
    let ns: Vec<Option<usize>> = found.iter().map(|g| g.map(|g| g.n)).collect();
    let source = match (ns[0], ns[1]) {
        (Some(a), Some(b)) if a != b => format!("measured (mean ± std, n = {a} / {b})"),
        (Some(a), _) | (None, Some(a)) => measured_label(a),
        (None, None) => unreachable!("a key has a group"),
    };
    let mut cells = vec![Cell::Text(any.label()), Cell::Text(source)];
    for (k, d) in TABLE5_DATASETS.iter().enumerate() {
        match found[k] {
            Some(g) => cells.extend(measured_cells(g, prefix, d.table5(variant).map(|p| p.f1))),
            None => cells.extend(no_runs_cells()),
        }
    }
    (cells, ns)
}

/// Rows for variants whose parts the paper has no row for, below a rule.
fn push_table5_unpublished(table: &mut Table, groups: &[Group], prefix: &str) {
    let others: Vec<&Group> = groups
        .iter()
        .filter(|g| g.parts.is_none() && TABLE5_DATASETS.iter().any(|&d| g.dataset() == Some(d)))
        .collect();
    for (i, g) in others.iter().enumerate() {
        let mut cells = vec![Cell::Text(g.label()), Cell::Text(measured_label(g.n))];
        let mut ns = Vec::new();
        for d in TABLE5_DATASETS {
            if g.dataset() == Some(d) {
                cells.extend(measured_cells(g, prefix, None));
                ns.push(Some(g.n));
            } else {
                cells.extend(no_runs_cells());
                ns.push(None);
            }
        }
        table.push(cells, ns, i == 0);
    }
}

/// Table 5's notes: the protocol, or which datasets have no runs and how to get them.
fn table5_notes(table: &mut Table, groups: &[Group], selection: Selection) {
    let measured_in: Vec<Dataset> = TABLE5_DATASETS
        .iter()
        .copied()
        .filter(|&d| groups.iter().any(|g| g.dataset() == Some(d)))
        .collect();
    if measured_in.is_empty() {
        table.notes.push(format!(
            "No runs: no finished run on SighanNER or WeiboNER (original, named) in these results, so no measured row (run `runner sweep {}` and `runner sweep {}`).",
            Dataset::WeiboNamed.experiment(),
            Dataset::Sighan.experiment()
        ));
    } else {
        table.notes.push(protocol_note(selection));
        for d in TABLE5_DATASETS {
            if !measured_in.contains(&d) {
                table.notes.push(format!(
                    "No {} runs in these results (run `runner sweep {}`).",
                    d.title(),
                    d.experiment()
                ));
            }
        }
    }
}

/// Per entity type: test F1 per variant (mean ± std), one table per dataset.
pub fn per_type(groups: &[Group], dataset: Dataset, selection: Selection) -> Option<Table> {
    let prefix = selection.prefix();
    let here: Vec<&Group> = groups
        .iter()
        .filter(|g| g.dataset() == Some(dataset))
        .collect();
    let owned: Vec<Group> = here.iter().map(|g| (*g).clone()).collect();
    let types = super::aggregate::entity_types(&owned, prefix);
    if here.is_empty() || types.is_empty() {
        return None;
    }
    let mut table = Table::new(
        &format!("per-type-{}", slug(dataset.title())),
        format!(
            "{}: test F1 (%) per entity type, mean ± std over seeds",
            dataset.title()
        ),
        &["Model", "n"],
        vec![ColumnGroup {
            title: String::new(),
            columns: types.iter().map(|t| format!("{t} F1")).collect(),
        }],
    );
    for g in here {
        let mut cells = vec![Cell::Text(g.label()), Cell::Text(g.n.to_string())];
        for t in &types {
            cells.push(stat_cell(g, &format!("{prefix}_{t}_f1")));
        }
        table.push(cells, vec![Some(g.n)], false);
    }
    table
        .notes
        .push(format!("Scores: {}.", selection.describe()));
    Some(table)
}

/// A statistic over fewer runs than its row's n says over how many.
fn partial(s: super::aggregate::Stat, n: usize) -> Cell {
    if s.n == n {
        return Cell::Stat(s);
    }
    let spread = s.std.map_or(String::new(), |sd| format!(" ± {sd:.2}"));
    Cell::Text(format!("{:.2}{spread} ({} of {n} runs)", s.mean, s.n))
}

/// The protocol gap: test F1 of the dev-selected checkpoint against the best test epoch.
pub fn protocol_gap(groups: &[Group]) -> Option<Table> {
    // The released code's whole protocol, where runs measured it.
    let released = groups.iter().any(|g| g.stat("released_f1").is_some());
    let mut columns: Vec<String> = vec![
        "dev-selected F1".into(),
        "best-test-epoch F1".into(),
        "gap".into(),
    ];
    if released {
        columns.push("released protocol F1".into());
    }
    let mut table = Table::new(
        "protocol-gap",
        "Protocol gap: test F1 (%) chosen on dev vs. on test".to_string(),
        &["Dataset", "Model", "n"],
        vec![ColumnGroup {
            title: String::new(),
            columns,
        }],
    );
    for g in groups {
        let (Some(dev), Some(test)) = (g.stat("test_f1"), g.stat("test_selected_f1")) else {
            continue;
        };
        let dataset = g.dataset().map_or_else(
            || format!("{} ({})", g.ner, g.mode),
            |d| d.title().to_string(),
        );
        let mut cells = vec![
            Cell::Text(dataset),
            Cell::Text(g.label()),
            Cell::Text(g.n.to_string()),
            Cell::Stat(dev),
            Cell::Stat(test),
            Cell::Delta(test.mean - dev.mean),
        ];
        if released {
            cells.push(
                g.stat("released_f1")
                    .map_or(Cell::Blank, |s| partial(s, g.n)),
            );
        }
        table.push(cells, vec![Some(g.n)], false);
    }
    if table.rows.is_empty() {
        return None;
    }
    if released {
        table.notes.push(
            "Released protocol: the released code's whole test procedure, measured during training: every test sentence cut to 80 characters before tagging, the last partial test batch not scored, a strict metric (a stray I- opens no entity), and the best test epoch among those from its first checkpoint (step 2,000: epoch 30 on WeiboNER). Blank for runs trained before it was measured or stopped earlier.".into(),
        );
    }
    table.notes.push(
        "The released code keeps the epoch with the best test F1; the gap is how much that choice adds. Only the dev-selected column estimates performance on unseen data.".into(),
    );
    Some(table)
}

/// `WeiboNER (updated)` → `weiboner-updated`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}
