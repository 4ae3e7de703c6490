//! The paper's Tables 2–5 in its layout, from aggregated runs: the paper's
//! rows marked "reported", ours "measured (mean ± std, n = seeds)" with a
//! column Δ F1 = measured mean − reported, for the same model. Each table
//! renders as Markdown, LaTeX (booktabs) and CSV.
//!
//! Two views ([`Selection`]): the honest one (checkpoint chosen on dev, the
//! default) and the released code's (best test epoch), labelled as such.
//! A table without runs says so and shows only the reported rows.

use std::fmt::Write as _;

use atner::config::Variant;

use super::aggregate::{Group, Stat};
use super::paper::{self, Dataset, Prf};

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

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A reported number.
    Number(f64),
    /// A measured mean ± std.
    Stat(Stat),
    /// A signed difference.
    Delta(f64),
    Blank,
}

/// Columns under a common heading (a dataset, a mention kind); `""` for none.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnGroup {
    pub title: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The lead cells (model, source) then one cell per column of every group.
    pub cells: Vec<Cell>,
    /// Seeds behind the measured cells of each group (CSV `n` columns).
    pub n: Vec<Option<usize>>,
    /// A rule above this row (LaTeX).
    pub rule_before: bool,
}

/// A rendered-to-be table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// File stem, e.g. `table5`.
    pub id: String,
    pub title: String,
    pub lead: Vec<String>,
    pub groups: Vec<ColumnGroup>,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

impl Table {
    fn new(id: &str, title: String, lead: &[&str], groups: Vec<ColumnGroup>) -> Self {
        Self {
            id: id.to_string(),
            title,
            lead: lead.iter().map(|s| s.to_string()).collect(),
            groups,
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn width(&self) -> usize {
        self.lead.len() + self.groups.iter().map(|g| g.columns.len()).sum::<usize>()
    }

    fn push(&mut self, cells: Vec<Cell>, n: Vec<Option<usize>>, rule_before: bool) {
        debug_assert_eq!(cells.len(), self.width(), "row width of {}", self.id);
        self.rows.push(Row {
            cells,
            n,
            rule_before,
        });
    }

    /// Whether any row holds a measured number.
    pub fn has_measured(&self) -> bool {
        self.rows
            .iter()
            .any(|r| r.cells.iter().any(|c| matches!(c, Cell::Stat(_))))
    }

    fn headings(&self) -> Vec<String> {
        let mut names = self.lead.clone();
        for g in &self.groups {
            for c in &g.columns {
                names.push(match g.title.as_str() {
                    "" => c.clone(),
                    t => format!("{t} {c}"),
                });
            }
        }
        names
    }

    /// GitHub Markdown: a bold title, the table, then its notes.
    pub fn markdown(&self) -> String {
        let mut out = format!("**{}**\n\n", self.title);
        let headings = self.headings();
        let _ = writeln!(out, "| {} |", headings.join(" | "));
        let align: Vec<&str> = (0..headings.len())
            .map(|i| if i < self.lead.len() { ":---" } else { "---:" })
            .collect();
        let _ = writeln!(out, "|{}|", align.join("|"));
        for row in &self.rows {
            let cells: Vec<String> = row.cells.iter().map(markdown_cell).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        for note in &self.notes {
            let _ = write!(out, "\n{note}\n");
        }
        out
    }

    /// A LaTeX `table` with booktabs rules; needs `\usepackage{booktabs}`.
    pub fn latex(&self) -> String {
        let mut out = String::from("\\begin{table}[t]\n\\centering\n\\small\n");
        let spec: String = "l".repeat(self.lead.len())
            + &self
                .groups
                .iter()
                .map(|g| "r".repeat(g.columns.len()))
                .collect::<Vec<_>>()
                .join("");
        let _ = writeln!(out, "\\begin{{tabular}}{{{spec}}}\n\\toprule");
        if self.groups.iter().any(|g| !g.title.is_empty()) {
            let mut cells = vec![String::new(); self.lead.len()];
            let mut rules = Vec::new();
            let mut start = self.lead.len() + 1;
            for g in &self.groups {
                let end = start + g.columns.len() - 1;
                if g.title.is_empty() {
                    cells.extend(std::iter::repeat_n(String::new(), g.columns.len()));
                } else {
                    cells.push(format!(
                        "\\multicolumn{{{}}}{{c}}{{{}}}",
                        g.columns.len(),
                        latex_escape(&g.title)
                    ));
                    rules.push(format!("\\cmidrule(lr){{{start}-{end}}}"));
                }
                start = end + 1;
            }
            let _ = writeln!(out, "{} \\\\", cells.join(" & "));
            let _ = writeln!(out, "{}", rules.join(" "));
        }
        let mut names: Vec<String> = self.lead.iter().map(|s| latex_escape(s)).collect();
        names.extend(
            self.groups
                .iter()
                .flat_map(|g| g.columns.iter().map(|c| latex_escape(c))),
        );
        let _ = writeln!(out, "{} \\\\\n\\midrule", names.join(" & "));
        for (i, row) in self.rows.iter().enumerate() {
            if row.rule_before && i > 0 {
                out.push_str("\\midrule\n");
            }
            let cells: Vec<String> = row.cells.iter().map(latex_cell).collect();
            let _ = writeln!(out, "{} \\\\", cells.join(" & "));
        }
        out.push_str("\\bottomrule\n\\end{tabular}\n");
        let mut caption = latex_escape(&self.title);
        if !self.notes.is_empty() {
            caption.push('.');
        }
        for note in &self.notes {
            caption.push(' ');
            caption.push_str(&latex_escape(note));
        }
        let _ = write!(
            out,
            "\\caption{{{caption}}}\n\\label{{tab:{}}}\n\\end{{table}}\n",
            self.id
        );
        out
    }

    /// CSV: one column per heading; a measured column is followed by its
    /// `std` column, and each group by its `n` column.
    pub fn csv(&self) -> String {
        let mut header: Vec<String> = self.lead.clone();
        let mut offset = self.lead.len();
        // (cell index, has std column) per group, in order.
        let mut layout: Vec<Vec<(usize, bool)>> = Vec::new();
        for g in &self.groups {
            let mut cols = Vec::new();
            for (j, c) in g.columns.iter().enumerate() {
                let index = offset + j;
                let name = match g.title.as_str() {
                    "" => c.clone(),
                    t => format!("{t} {c}"),
                };
                let measured = self
                    .rows
                    .iter()
                    .any(|r| matches!(r.cells[index], Cell::Stat(_)));
                header.push(name.clone());
                if measured {
                    header.push(format!("{name} std"));
                }
                cols.push((index, measured));
            }
            let n_name = match g.title.as_str() {
                "" => "n".to_string(),
                t => format!("{t} n"),
            };
            header.push(n_name);
            offset += g.columns.len();
            layout.push(cols);
        }
        let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
        let mut records = vec![header];
        for row in &self.rows {
            let mut record: Vec<String> = row.cells[..self.lead.len()]
                .iter()
                .map(plain_cell)
                .collect();
            for (k, cols) in layout.iter().enumerate() {
                for &(index, measured) in cols {
                    let cell = &row.cells[index];
                    record.push(plain_cell(cell));
                    if measured {
                        record.push(match cell {
                            Cell::Stat(s) => s.std.map_or(String::new(), |v| format!("{v:.2}")),
                            _ => String::new(),
                        });
                    }
                }
                record.push(
                    row.n
                        .get(k)
                        .copied()
                        .flatten()
                        .map_or(String::new(), |n| n.to_string()),
                );
            }
            records.push(record);
        }
        for record in records {
            writer
                .write_record(&record)
                .expect("writing CSV to memory cannot fail");
        }
        String::from_utf8(writer.into_inner().expect("in-memory writer flushes"))
            .expect("CSV of UTF-8 strings is UTF-8")
    }
}

fn markdown_cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => t.replace('|', "\\|"),
        Cell::Number(v) => format!("{v:.2}"),
        Cell::Stat(s) => match s.std {
            Some(std) => format!("{:.2} ± {std:.2}", s.mean),
            None => format!("{:.2}", s.mean),
        },
        Cell::Delta(d) => format!("{d:+.2}"),
        Cell::Blank => String::new(),
    }
}

fn latex_cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => latex_escape(t),
        Cell::Number(v) => format!("{v:.2}"),
        Cell::Stat(s) => match s.std {
            Some(std) => format!("{:.2} $\\pm$ {std:.2}", s.mean),
            None => format!("{:.2}", s.mean),
        },
        Cell::Delta(d) => format!("${d:+.2}$"),
        Cell::Blank => String::new(),
    }
}

fn plain_cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Number(v) => format!("{v:.2}"),
        Cell::Stat(s) => format!("{:.2}", s.mean),
        Cell::Delta(d) => format!("{d:.2}"),
        Cell::Blank => String::new(),
    }
}

/// Escapes LaTeX specials, writes the few non-ASCII symbols we use as math,
/// `code` as `\texttt{code}` and "quotes" as ``quotes''.
pub fn latex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_code, mut in_quote) = (false, false);
    for c in text.chars() {
        match c {
            '`' => {
                out.push_str(if in_code { "}" } else { "\\texttt{" });
                in_code = !in_code;
            }
            '"' => {
                out.push_str(if in_quote { "''" } else { "``" });
                in_quote = !in_quote;
            }
            '\\' => out.push_str("\\textbackslash{}"),
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '<' | '>' | '|' => {
                out.push('$');
                out.push(c);
                out.push('$');
            }
            '±' => out.push_str("$\\pm$"),
            'λ' => out.push_str("$\\lambda$"),
            'Δ' => out.push_str("$\\Delta$"),
            '≥' => out.push_str("$\\geq$"),
            '≤' => out.push_str("$\\leq$"),
            '×' => out.push_str("$\\times$"),
            '−' => out.push_str("$-$"),
            '–' => out.push_str("--"),
            '—' => out.push_str("---"),
            '“' => out.push_str("``"),
            '”' => out.push_str("''"),
            _ => out.push(c),
        }
    }
    if in_code {
        out.push('}');
    }
    out
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
    let three = |t: &str| ColumnGroup {
        title: t.to_string(),
        columns: ["P", "R", "F1"].map(String::from).to_vec(),
    };
    let mut table = Table::new(
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
    );
    let prf = |p: Prf| {
        [
            Cell::Number(p.precision),
            Cell::Number(p.recall),
            Cell::Number(p.f1),
        ]
    };
    let last = paper::TABLE3.len() - 1;
    for (i, row) in paper::TABLE3.iter().enumerate() {
        let mut cells = vec![Cell::Text(row.model.into()), Cell::Text(REPORTED.into())];
        cells.extend(prf(row.named));
        cells.extend(prf(row.nominal));
        cells.extend([Cell::Number(row.overall_f1), Cell::Blank]);
        table.push(cells, vec![None; 3], i == last);
    }
    let reported = paper::TABLE3[last].overall_f1;
    let prefix = selection.prefix();
    let runs = measured(groups, Dataset::WeiboUpdated, Variant::Full);
    for g in &runs {
        let mut cells = vec![Cell::Text(g.label()), Cell::Text(measured_label(g.n))];
        for kind in ["NE", "NM"] {
            for m in ["precision", "recall", "f1"] {
                cells.push(stat_cell(g, &format!("{prefix}_{kind}_{m}")));
            }
        }
        let f1 = g.stat(&format!("{prefix}_f1"));
        cells.push(stat_cell(g, &format!("{prefix}_f1")));
        cells.push(f1.map_or(Cell::Blank, |f| Cell::Delta(f.mean - reported)));
        table.push(cells, vec![Some(g.n); 3], false);
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

/// Table 5: the ablation, SighanNER and WeiboNER (original, named) side by side.
pub fn table5(groups: &[Group], selection: Selection) -> Table {
    let datasets = [Dataset::Sighan, Dataset::WeiboNamed];
    let mut table = Table::new(
        &format!("table5{}", selection.suffix()),
        title(5, "ablation, P/R/F1 (%)", selection),
        &["Model", "Source"],
        datasets.iter().map(|d| prf_group(d.title())).collect(),
    );
    let prefix = selection.prefix();
    for variant in Variant::ALL {
        let mut cells = vec![
            Cell::Text(variant.paper_name().into()),
            Cell::Text(REPORTED.into()),
        ];
        for d in datasets {
            cells.extend(reported_cells(d.table5(variant).expect("Table 5 has both")));
        }
        table.push(cells, vec![None; 2], variant != Variant::Baseline);
        // Measured rows: one per variant name and λ, across both datasets.
        let per_dataset: Vec<Vec<&Group>> = datasets
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
            let found: Vec<Option<&&Group>> = per_dataset
                .iter()
                .map(|gs| gs.iter().find(|g| g.variant == name && g.lambda == lambda))
                .collect();
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
            for (k, d) in datasets.iter().enumerate() {
                match found[k] {
                    Some(g) => {
                        cells.extend(measured_cells(g, prefix, d.table5(variant).map(|p| p.f1)))
                    }
                    None => cells.extend([
                        Cell::Text("no runs".into()),
                        Cell::Blank,
                        Cell::Blank,
                        Cell::Blank,
                    ]),
                }
            }
            table.push(cells, ns, false);
        }
    }
    // Variants whose parts the paper has no row for.
    let others: Vec<&Group> = groups
        .iter()
        .filter(|g| g.parts.is_none() && datasets.iter().any(|&d| g.dataset() == Some(d)))
        .collect();
    for (i, g) in others.iter().enumerate() {
        let mut cells = vec![Cell::Text(g.label()), Cell::Text(measured_label(g.n))];
        let mut ns = Vec::new();
        for d in datasets {
            if g.dataset() == Some(d) {
                cells.extend(measured_cells(g, prefix, None));
                ns.push(Some(g.n));
            } else {
                cells.extend([
                    Cell::Text("no runs".into()),
                    Cell::Blank,
                    Cell::Blank,
                    Cell::Blank,
                ]);
                ns.push(None);
            }
        }
        table.push(cells, ns, i == 0);
    }
    let measured_in: Vec<Dataset> = datasets
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
        for d in datasets {
            if !measured_in.contains(&d) {
                table.notes.push(format!(
                    "No {} runs in these results (run `runner sweep {}`).",
                    d.title(),
                    d.experiment()
                ));
            }
        }
    }
    table
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
            cells.push(g.stat("released_f1").map_or(Cell::Blank, Cell::Stat));
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
