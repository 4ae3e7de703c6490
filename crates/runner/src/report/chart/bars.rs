//! Table 5 as grouped bars: P, R and F1 per variant, ± one std over seeds,
//! beside the paper's numbers.

use super::*;

/// One variant's bars: P, R, F1 over seeds, and the paper's numbers.
#[derive(Debug, Clone)]
pub struct BarGroup {
    pub label: String,
    /// Precision, recall, F1.
    pub scores: [Option<Stat>; 3],
    pub reported: Option<[f64; 3]>,
}

/// One dataset's panel.
#[derive(Debug, Clone)]
pub struct BarPanel {
    pub title: String,
    pub groups: Vec<BarGroup>,
}

/// Table 5 as grouped bars (P, R, F1 per variant) with ±1 std error bars.
pub fn ablation_bars(
    stem: &Path,
    title: &str,
    panels: &[BarPanel],
) -> anyhow::Result<Vec<PathBuf>> {
    let width = 240 + 640 * panels.len().max(1) as u32;
    png_and_svg!(stem, (width, 560), draw_bars(title, panels))
}

/// Draws Table 5's bar panels side by side and the legend.
fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    panels: &[BarPanel],
) -> anyhow::Result<()> {
    let (areas, legend_area) = layout(root, title, panels.len(), 240)?;
    for (area, panel) in areas.iter().zip(panels) {
        bar_panel(area, panel)?;
    }
    legend(
        &legend_area,
        "Legend",
        &[
            (Mark::Bar(METRIC_COLORS[0]), "precision (mean)".into()),
            (Mark::Bar(METRIC_COLORS[1]), "recall (mean)".into()),
            (Mark::Bar(METRIC_COLORS[2]), "F1 (mean)".into()),
            (Mark::ErrorBar, "±1 std over seeds".into()),
            (Mark::Tick, "reported (paper)".into()),
        ],
    )
}

/// Width of one bar, in variant slots (three bars per variant).
const BAR_WIDTH: f64 = 0.26;

/// The top of a bar panel's y axis: above every mean + std and reported score.
fn bar_top(panel: &BarPanel) -> f64 {
    let values = panel.groups.iter().flat_map(|g| {
        let measured = g
            .scores
            .iter()
            .flatten()
            .map(|s| s.mean + spread(s))
            .collect::<Vec<_>>();
        measured.into_iter().chain(g.reported.into_iter().flatten())
    });
    let (_, top) = nice_range(values.chain([0.0]), 10.0, 0.0, 100.0);
    top
}

/// One dataset's panel: axes with a tick per variant, then every variant's bars.
fn bar_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &BarPanel,
) -> anyhow::Result<()> {
    let n = panel.groups.len().max(1);
    let top = bar_top(panel);
    let keys: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let labels: Vec<String> = panel.groups.iter().map(|g| g.label.clone()).collect();
    let mut chart = frame(area, Some(&panel.title), 50)
        .build_cartesian_2d(Ticks::new(-0.5..n as f64 - 0.5, keys), 0.0..top)
        .map_err(err)?;
    let label_of = |x: &f64| {
        let i = x.round();
        if (x - i).abs() < 1e-6 && i >= 0.0 {
            labels.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    draw_mesh(
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&label_of)
            .light_line_style(WHITE),
        "model variant",
        "test score (%)",
    )?;
    for (i, g) in panel.groups.iter().enumerate() {
        bar_group(&mut chart, i, g)?;
    }
    Ok(())
}

/// Variant `i`'s P, R and F1 bars side by side, each with the paper's tick.
fn bar_group<DB: DrawingBackend>(
    chart: &mut TickChart<DB>,
    i: usize,
    g: &BarGroup,
) -> anyhow::Result<()> {
    let width = BAR_WIDTH;
    for (k, s) in g.scores.iter().enumerate() {
        let x = i as f64 + (k as f64 - 1.0) * width;
        if let Some(s) = s {
            bar(chart, x, METRIC_COLORS[k], s)?;
        }
        if let Some(r) = g.reported {
            chart
                .draw_series([PathElement::new(
                    vec![(x - width / 2.0, r[k]), (x + width / 2.0, r[k])],
                    BLACK.stroke_width(3),
                )])
                .map_err(err)?;
        }
    }
    Ok(())
}

/// One bar centred on `x` at the mean, with a ±1 std error bar when there is a std.
fn bar<DB: DrawingBackend>(
    chart: &mut TickChart<DB>,
    x: f64,
    fill: RGBColor,
    s: &Stat,
) -> anyhow::Result<()> {
    let width = BAR_WIDTH;
    chart
        .draw_series([Rectangle::new(
            [
                (x - width / 2.0 + 0.01, 0.0),
                (x + width / 2.0 - 0.01, s.mean),
            ],
            fill.filled(),
        )])
        .map_err(err)?;
    if let Some(std) = s.std {
        let (lo, hi, cap) = ((s.mean - std).max(0.0), s.mean + std, width / 5.0);
        chart
            .draw_series([PathElement::new(
                vec![
                    (x - cap, lo),
                    (x + cap, lo),
                    (x, lo),
                    (x, hi),
                    (x - cap, hi),
                    (x + cap, hi),
                ],
                BLACK.stroke_width(1),
            )])
            .map_err(err)?;
    }
    Ok(())
}
