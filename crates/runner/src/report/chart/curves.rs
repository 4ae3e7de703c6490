//! Learning curves: dev F1, losses and the discriminator's accuracy (eq.
//! 15–17) per epoch.

use super::*;

/// One curve: a score per epoch, mean ± std over the seeds that reached it.
#[derive(Debug, Clone)]
pub struct Curve {
    pub label: String,
    pub color: usize,
    pub points: Vec<(usize, Stat)>,
}

/// Dev F1 per epoch per variant and, when there are adversarial variants,
/// the discriminator's accuracy per epoch beside it (chance = 50% for 2 tasks).
pub fn learning_curves(
    stem: &Path,
    title: &str,
    dev_f1: &[Curve],
    discriminator: &[Curve],
) -> anyhow::Result<Vec<PathBuf>> {
    let panels = 1 + usize::from(!discriminator.is_empty());
    let labels = dev_f1.iter().chain(discriminator).map(|c| c.label.as_str());
    let legend = legend_width(300, labels);
    let width = legend + 620 * panels as u32;
    png_and_svg!(
        stem,
        (width, 560),
        draw_curves(title, dev_f1, discriminator, legend)
    )
}

fn draw_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    dev_f1: &[Curve],
    discriminator: &[Curve],
    legend_width: u32,
) -> anyhow::Result<()> {
    let panels = 1 + usize::from(!discriminator.is_empty());
    let (areas, legend_area) = layout(root, title, panels, legend_width)?;
    curve_panel(
        &areas[0],
        "dev F1 (mean over seeds)",
        "dev F1 (%)",
        dev_f1,
        None,
    )?;
    if !discriminator.is_empty() {
        curve_panel(
            &areas[1],
            "task discriminator (adversarial variants)",
            "discriminator accuracy (%)",
            discriminator,
            Some(50.0),
        )?;
    }
    let mut entries: Vec<(Mark, String)> = dev_f1
        .iter()
        .map(|c| (Mark::Line(color(c.color)), c.label.clone()))
        .collect();
    for c in discriminator {
        if !dev_f1.iter().any(|d| d.label == c.label) {
            entries.push((Mark::Line(color(c.color)), c.label.clone()));
        }
    }
    entries.push((Mark::Band(PALETTE[0]), "±1 std over seeds".into()));
    if !discriminator.is_empty() {
        entries.push((Mark::Dashed(BLACK), "chance (2 tasks)".into()));
    }
    legend(&legend_area, "Variant", &entries)
}

/// One panel of curves over epochs, with an optional dashed chance level.
fn curve_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    y_desc: &str,
    curves: &[Curve],
    chance: Option<f64>,
) -> anyhow::Result<()> {
    let last = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .max()
        .unwrap_or(1)
        .max(2);
    let values = curves
        .iter()
        .flat_map(|c| {
            c.points
                .iter()
                .flat_map(|(_, s)| [s.mean - spread(s), s.mean + spread(s)])
        })
        .chain(chance);
    let (lo, hi) = nice_range(values, 10.0, 0.0, 100.0);
    let mut chart = epoch_chart(area, caption, y_desc, last, lo..hi)?;
    if let Some(level) = chance {
        chart
            .draw_series([DashedPathElement::new(
                vec![(1.0, level), (last as f64, level)],
                6,
                5,
                BLACK.stroke_width(2),
            )])
            .map_err(err)?;
    }
    for c in curves {
        curve(&mut chart, c)?;
    }
    Ok(())
}

/// A curve panel's axes: epochs 1..=`last` (integer labels) against `y` in %.
fn epoch_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    y_desc: &str,
    last: usize,
    y: std::ops::Range<f64>,
) -> anyhow::Result<LinearChart<'a, DB>> {
    let mut chart = frame(area, Some(caption), 50)
        .build_cartesian_2d(1f64..last as f64, y)
        .map_err(err)?;
    let integer = |x: &f64| {
        if (x - x.round()).abs() < 1e-6 {
            format!("{}", x.round() as i64)
        } else {
            String::new()
        }
    };
    draw_mesh(
        chart
            .configure_mesh()
            .x_labels(last.min(12))
            .x_label_formatter(&integer)
            .light_line_style(LIGHT_GRID),
        "epoch",
        y_desc,
    )?;
    Ok(chart)
}

/// One curve: its ±std band, the mean line, and a dot per epoch.
fn curve<DB: DrawingBackend>(chart: &mut LinearChart<DB>, c: &Curve) -> anyhow::Result<()> {
    let col = color(c.color);
    let mut band: Vec<(f64, f64)> = c
        .points
        .iter()
        .map(|(e, s)| (*e as f64, s.mean + spread(s)))
        .collect();
    band.extend(
        c.points
            .iter()
            .rev()
            .map(|(e, s)| (*e as f64, s.mean - spread(s))),
    );
    chart
        .draw_series([Polygon::new(band, col.mix(0.15).filled())])
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(
            c.points.iter().map(|(e, s)| (*e as f64, s.mean)),
            col.stroke_width(3),
        ))
        .map_err(err)?;
    chart
        .draw_series(
            c.points
                .iter()
                .map(|(e, s)| Circle::new((*e as f64, s.mean), 3, col.filled())),
        )
        .map_err(err)?;
    Ok(())
}
