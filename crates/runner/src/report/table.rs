//! A table as data (cells of text, numbers, mean ± std and differences, under
//! column groups) and its three renderings: Markdown for the report, LaTeX
//! (booktabs) for a paper, CSV for a spreadsheet. What a table holds is
//! built elsewhere ([`super::tables`] for the paper's tables).

use std::fmt::Write as _;

use super::aggregate::Stat;

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
    pub(super) fn new(id: &str, title: String, lead: &[&str], groups: Vec<ColumnGroup>) -> Self {
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

    pub(super) fn push(&mut self, cells: Vec<Cell>, n: Vec<Option<usize>>, rule_before: bool) {
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

    /// A LaTeX `table` with booktabs rules; needs `\usepackage{booktabs}` and
    /// `\usepackage{graphicx}`. A tabular wider than the line (most of ours,
    /// with their ± columns) is scaled down to the line's width, never up, so
    /// the table fits a paper's column as it stands.
    pub fn latex(&self) -> String {
        let mut out = String::from("\\begin{table}[t]\n\\centering\n\\small\n");
        out.push_str(FIT_TO_LINE);
        let _ = writeln!(
            out,
            "\\begin{{tabular}}{{{}}}\n\\toprule",
            self.latex_column_spec()
        );
        if self.groups.iter().any(|g| !g.title.is_empty()) {
            self.latex_group_headings(&mut out);
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
        out.push_str("\\bottomrule\n\\end{tabular}%\n}\n");
        let _ = write!(
            out,
            "\\caption{{{}}}\n\\label{{tab:{}}}\n\\end{{table}}\n",
            self.latex_caption(),
            self.id
        );
        out
    }

    /// The `tabular` column spec: lead columns left-aligned, the rest right.
    fn latex_column_spec(&self) -> String {
        "l".repeat(self.lead.len())
            + &self
                .groups
                .iter()
                .map(|g| "r".repeat(g.columns.len()))
                .collect::<Vec<_>>()
                .join("")
    }

    /// The row of group titles spanning their columns, and a `\cmidrule` under each.
    fn latex_group_headings(&self, out: &mut String) {
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

    /// The caption: the title, then the notes as sentences after it.
    fn latex_caption(&self) -> String {
        let mut caption = latex_escape(&self.title);
        if !self.notes.is_empty() {
            caption.push('.');
        }
        for note in &self.notes {
            caption.push(' ');
            caption.push_str(&latex_escape(note));
        }
        caption
    }

    /// CSV: one column per heading; a measured column is followed by its
    /// `std` column, and each group by its `n` column.
    pub fn csv(&self) -> String {
        let (header, layout) = self.csv_layout();
        let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
        let mut records = vec![header];
        records.extend(self.rows.iter().map(|row| self.csv_record(row, &layout)));
        for record in records {
            writer
                .write_record(&record)
                .expect("writing CSV to memory cannot fail");
        }
        String::from_utf8(writer.into_inner().expect("in-memory writer flushes"))
            .expect("CSV of UTF-8 strings is UTF-8")
    }

    /// The CSV header, and per group its columns as (cell index, has a std column).
    fn csv_layout(&self) -> (Vec<String>, Vec<Vec<(usize, bool)>>) {
        let mut header: Vec<String> = self.lead.clone();
        let mut offset = self.lead.len();
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
        (header, layout)
    }

    /// One row as CSV fields, following the layout from [`Self::csv_layout`].
    fn csv_record(&self, row: &Row, layout: &[Vec<(usize, bool)>]) -> Vec<String> {
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
        record
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

/// Opens a box holding the tabular at its natural width, or at the line's
/// width when wider (`\width` is the content's width inside `\resizebox`).
const FIT_TO_LINE: &str =
    "\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n";

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
