//! Precision against recall: every seed, their mean, the paper's point and
//! iso-F1 lines.

use super::*;

/// One variant on the precision–recall plane.
#[derive(Debug, Clone)]
pub struct PrSeries {
    pub label: String,
    pub color: usize,
    /// (recall, precision) of every seed.
    pub seeds: Vec<(f64, f64)>,
    /// The paper's (recall, precision).
    pub reported: Option<(f64, f64)>,
}

#[derive(Debug, Clone)]
pub struct PrPanel {
    pub title: String,
    pub series: Vec<PrSeries>,
}

/// Precision against recall per variant: seeds as dots, the mean as a large
/// dot, the paper's point as a hollow ring, iso-F1 curves dashed.
pub fn precision_recall(
    stem: &Path,
    title: &str,
    panels: &[PrPanel],
) -> anyhow::Result<Vec<PathBuf>> {
    let labels = panels
        .iter()
        .flat_map(|p| &p.series)
        .map(|s| s.label.as_str());
    let legend = legend_width(300, labels);
    let width = legend + 560 * panels.len().max(1) as u32;
    png_and_svg!(stem, (width, 600), draw_pr(title, panels, legend))
}

/// Draws the precision–recall panels side by side and the legend.
fn draw_pr<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    panels: &[PrPanel],
    legend_width: u32,
) -> anyhow::Result<()> {
    let (areas, legend_area) = layout(root, title, panels.len(), legend_width)?;
    let mut entries: Vec<(Mark, String)> = Vec::new();
    for (area, panel) in areas.iter().zip(panels) {
        let (x, y) = pr_ranges(panel);
        let mut chart = pr_chart(area, &panel.title, x.clone(), y.clone())?;
        iso_f1(&mut chart, x, y)?;
        for s in &panel.series {
            let c = color(s.color);
            if pr_series(&mut chart, s, c)? && !entries.iter().any(|(_, l)| l == &s.label) {
                entries.push((Mark::Dot(c), s.label.clone()));
            }
        }
    }
    entries.push((Mark::Dot(PALETTE[0]), "small: one seed; large: mean".into()));
    entries.push((Mark::Hollow(BLACK), "ring: reported (paper)".into()));
    entries.push((
        Mark::Dashed(RGBColor(180, 180, 180)),
        "iso-F1, every 10 points".into(),
    ));
    legend(&legend_area, "Variant", &entries)
}

/// A panel's recall (x) and precision (y) ranges, covering seeds and the paper.
fn pr_ranges(panel: &PrPanel) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
    let recalls = panel
        .series
        .iter()
        .flat_map(|s| s.seeds.iter().map(|p| p.0).chain(s.reported.map(|p| p.0)));
    let precisions = panel
        .series
        .iter()
        .flat_map(|s| s.seeds.iter().map(|p| p.1).chain(s.reported.map(|p| p.1)));
    // A little room above 100, so that markers at 100% are not cut.
    let (x_lo, x_hi) = nice_range(recalls, 5.0, 0.0, 102.0);
    let (y_lo, y_hi) = nice_range(precisions, 5.0, 0.0, 102.0);
    (x_lo..x_hi, y_lo..y_hi)
}

/// A precision–recall panel's axes: recall across, precision up, both in %.
fn pr_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> anyhow::Result<LinearChart<'a, DB>> {
    let mut chart = frame(area, Some(caption), 50)
        .build_cartesian_2d(x, y)
        .map_err(err)?;
    draw_mesh(
        chart
            .configure_mesh()
            .x_label_formatter(&whole)
            .light_line_style(LIGHT_GRID),
        "test recall (%)",
        "test precision (%)",
    )?;
    Ok(chart)
}

/// Iso-F1 curves every 10 points, P = F R / (2R − F), clipped to the panel.
fn iso_f1<DB: DrawingBackend>(
    chart: &mut LinearChart<DB>,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> anyhow::Result<()> {
    let (x_lo, x_hi) = (x.start, x.end);
    let (y_lo, y_hi) = (y.start, y.end);
    for f in (1..10).map(|k| 10.0 * k as f64) {
        let steps = 120;
        let points: Vec<(f64, f64)> = (0..=steps)
            .map(|i| x_lo + (x_hi - x_lo) * i as f64 / steps as f64)
            .filter(|r| 2.0 * r - f > 0.0)
            .map(|r| (r, f * r / (2.0 * r - f)))
            .filter(|(_, p)| *p >= y_lo && *p <= y_hi)
            .collect();
        if points.len() > 1 {
            chart
                .draw_series([DashedPathElement::new(
                    points,
                    4,
                    4,
                    RGBColor(180, 180, 180).stroke_width(1),
                )])
                .map_err(err)?;
        }
    }
    Ok(())
}

/// One variant's seeds, mean and reported point; whether it had a mean to
/// draw (and so belongs in the legend).
fn pr_series<DB: DrawingBackend>(
    chart: &mut LinearChart<DB>,
    s: &PrSeries,
    c: RGBColor,
) -> anyhow::Result<bool> {
    chart
        .draw_series(
            s.seeds
                .iter()
                .map(|p| Circle::new(*p, 4, c.mix(0.6).filled())),
        )
        .map_err(err)?;
    let (Some(r), Some(p)) = (
        Stat::of(&s.seeds.iter().map(|p| p.0).collect::<Vec<_>>()),
        Stat::of(&s.seeds.iter().map(|p| p.1).collect::<Vec<_>>()),
    ) else {
        return Ok(false);
    };
    chart
        .draw_series([Circle::new((r.mean, p.mean), 9, c.filled())])
        .map_err(err)?;
    if let Some(rep) = s.reported {
        chart
            .draw_series([Circle::new(rep, 9, c.stroke_width(3))])
            .map_err(err)?;
    }
    Ok(true)
}
