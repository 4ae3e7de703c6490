//! The verdicts at a glance: a forest plot per dataset, one line per claim —
//! our mean paired difference and its 95% interval, the paper's delta
//! marked, zero drawn — and each claim's interval against the epoch budget.

use super::*;

/// One claim's line.
#[derive(Debug, Clone)]
pub struct ForestLine {
    pub label: String,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    pub paper: f64,
}

/// One panel: a dataset's claims, top to bottom.
#[derive(Debug, Clone)]
pub struct ForestPanel {
    pub title: String,
    pub lines: Vec<ForestLine>,
}

/// The forest plot of `panels`, side by side.
pub fn forest(stem: &Path, title: &str, panels: &[ForestPanel]) -> anyhow::Result<Vec<PathBuf>> {
    let width = 260 + 600 * panels.len() as u32;
    png_and_svg!(stem, (width, 420), draw_forest(title, panels))
}

fn draw_forest<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    panels: &[ForestPanel],
) -> anyhow::Result<()> {
    let (areas, legend_area) = layout(root, title, panels.len(), 250)?;
    for (area, panel) in areas.iter().zip(panels) {
        forest_panel(area, panel)?;
    }
    let entries = [
        (Mark::Dot(color(1)), "ours: mean over seeds".to_string()),
        (Mark::ErrorBar, "95% t interval".to_string()),
        (Mark::Triangle, "the paper's delta".to_string()),
        (Mark::Dashed(BLACK), "no difference".to_string()),
    ];
    legend(&legend_area, "Legend", &entries)
}

/// One dataset's lines; claim 0 at the top.
fn forest_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &ForestPanel,
) -> anyhow::Result<()> {
    let n = panel.lines.len();
    let values = panel
        .lines
        .iter()
        .flat_map(|l| [l.low, l.high, l.paper, 0.0]);
    let (lo, hi) = nice_range(values, 1.0, -100.0, 100.0);
    let labels: Vec<String> = panel.lines.iter().map(|l| l.label.clone()).collect();
    let rows: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, (FONT, 20))
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(270)
        .build_cartesian_2d(lo..hi, Ticks::new(-0.6..(n as f64 - 0.4), rows))
        .map_err(err)?;
    let row_label = |y: &f64| {
        let i = (n as f64 - 1.0 - y).round();
        labels.get(i as usize).cloned().unwrap_or_default()
    };
    chart
        .configure_mesh()
        .y_label_formatter(&row_label)
        .x_label_formatter(&signed_whole)
        .light_line_style(LIGHT_GRID)
        .x_desc("Δ test F1, A − B (points)")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()
        .map_err(err)?;
    let zero = DashedPathElement::new(vec![(0.0, -0.6), (0.0, n as f64 - 0.4)], 5, 4, BLACK);
    chart.draw_series([zero]).map_err(err)?;
    for (i, line) in panel.lines.iter().enumerate() {
        let y = n as f64 - 1.0 - i as f64;
        let c = color(1);
        let bar = PathElement::new(vec![(line.low, y), (line.high, y)], c.stroke_width(3));
        let caps = [line.low, line.high]
            .map(|x| PathElement::new(vec![(x, y - 0.12), (x, y + 0.12)], c.stroke_width(2)));
        chart.draw_series([bar]).map_err(err)?;
        chart.draw_series(caps).map_err(err)?;
        chart
            .draw_series([Circle::new((line.mean, y), 6, c.filled())])
            .map_err(err)?;
        chart
            .draw_series([TriangleMarker::new(
                (line.paper, y + 0.22),
                8,
                BLACK.filled(),
            )])
            .map_err(err)?;
    }
    Ok(())
}

/// `+2`, `0`, `-2`: a difference's tick label.
fn signed_whole(v: &f64) -> String {
    if v.abs() < 0.5 {
        "0".into()
    } else {
        format!("{v:+.0}")
    }
}

/// One claim's interval at each epoch cap.
#[derive(Debug, Clone)]
pub struct BudgetSeries {
    pub label: String,
    /// (cap, mean, low, high), caps ascending.
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// Each claim's Δ and 95% interval against the epoch cap, a panel per dataset.
pub fn budget(
    stem: &Path,
    title: &str,
    panels: &[(String, Vec<BudgetSeries>)],
) -> anyhow::Result<Vec<PathBuf>> {
    let width = 300 + 520 * panels.len() as u32;
    png_and_svg!(stem, (width, 520), draw_budget(title, panels))
}

fn draw_budget<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    panels: &[(String, Vec<BudgetSeries>)],
) -> anyhow::Result<()> {
    let labels = panels
        .iter()
        .flat_map(|(_, s)| s.iter().map(|s| s.label.as_str()));
    let (areas, legend_area) = layout(root, title, panels.len(), legend_width(260, labels))?;
    let mut entries = Vec::new();
    for (area, (name, series)) in areas.iter().zip(panels) {
        entries = budget_panel(area, name, series)?;
    }
    entries.push((Mark::Band(color(1)), "95% t interval".to_string()));
    entries.push((Mark::Dashed(BLACK), "no difference".to_string()));
    legend(&legend_area, "Legend", &entries)
}

fn budget_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    name: &str,
    series: &[BudgetSeries],
) -> anyhow::Result<Vec<(Mark, String)>> {
    let points = || series.iter().flat_map(|s| s.points.iter());
    let (lo, hi) = nice_range(points().flat_map(|p| [p.2, p.3, 0.0]), 1.0, -100.0, 100.0);
    let x_hi = points().map(|p| p.0).fold(10.0, f64::max);
    let mut chart: LinearChart<DB> = frame(area, Some(name), 50)
        .build_cartesian_2d(0.0..x_hi + 5.0, lo..hi)
        .map_err(err)?;
    draw_mesh(
        chart
            .configure_mesh()
            .x_label_formatter(&whole)
            .light_line_style(LIGHT_GRID),
        "epoch cap (the runs' own patience)",
        "Δ test F1, A − B (points)",
    )?;
    let zero = DashedPathElement::new(vec![(0.0, 0.0), (x_hi + 5.0, 0.0)], 5, 4, BLACK);
    chart.draw_series([zero]).map_err(err)?;
    let mut entries = Vec::new();
    for (i, s) in series.iter().enumerate() {
        let c = color(i + 1);
        let mut band: Vec<(f64, f64)> = s.points.iter().map(|p| (p.0, p.3)).collect();
        band.extend(s.points.iter().rev().map(|p| (p.0, p.2)));
        chart
            .draw_series([Polygon::new(band, c.mix(0.15).filled())])
            .map_err(err)?;
        let line = s.points.iter().map(|p| (p.0, p.1));
        chart
            .draw_series(LineSeries::new(line.clone(), c.stroke_width(3)))
            .map_err(err)?;
        chart
            .draw_series(line.map(|xy| Circle::new(xy, 4, c.filled())))
            .map_err(err)?;
        entries.push((Mark::Line(c), s.label.clone()));
    }
    Ok(entries)
}
