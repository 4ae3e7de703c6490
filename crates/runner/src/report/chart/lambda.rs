//! λ sensitivity: F1 against eq. 18's weight of the adversarial loss, on an
//! axis that shows λ = 0 beside the logarithmic rest.

use super::*;

/// Test F1 at one λ: every seed's value and their statistics.
#[derive(Debug, Clone)]
pub struct LambdaPoint {
    pub lambda: f64,
    pub values: Vec<f64>,
}

/// One λ sweep (a dataset and variant).
#[derive(Debug, Clone)]
pub struct LambdaSeries {
    pub label: String,
    pub points: Vec<LambdaPoint>,
    /// The paper's (λ, F1), drawn as a star.
    pub reported: Option<(f64, f64)>,
}

/// Where λ sits on the x axis: log10 λ, with 0 one decade left of the smallest λ > 0.
fn lambda_position(lambda: f64, zero_at: f64) -> f64 {
    if lambda > 0.0 {
        lambda.log10()
    } else {
        zero_at
    }
}

/// Test F1 against λ (log scale, 0 shown): mean line, ±std band, seeds as dots.
pub fn lambda_sensitivity(
    stem: &Path,
    title: &str,
    series: &[LambdaSeries],
) -> anyhow::Result<Vec<PathBuf>> {
    png_and_svg!(stem, (1100, 560), draw_lambda(title, series))
}

/// Draws every λ sweep on one panel and the legend.
fn draw_lambda<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    series: &[LambdaSeries],
) -> anyhow::Result<()> {
    let (areas, legend_area) = layout(root, title, 1, 300)?;
    let axis = LambdaAxis::of(series);
    let mut chart = lambda_chart(&areas[0], &axis, series)?;
    let mut entries = Vec::new();
    for (i, s) in series.iter().enumerate() {
        entries.extend(lambda_series(&mut chart, s, color(i + 1), axis.zero_at)?);
    }
    legend(&legend_area, "Legend", &entries)
}

/// The λ axis: where λ = 0 sits, one tick per distinct λ, and the x range.
struct LambdaAxis {
    zero_at: f64,
    keys: Vec<f64>,
    range: std::ops::Range<f64>,
}

impl LambdaAxis {
    /// Places every λ of `series`, measured or reported, on a log axis.
    fn of(series: &[LambdaSeries]) -> Self {
        let lambdas: Vec<f64> = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.lambda))
            .chain(series.iter().filter_map(|s| s.reported.map(|r| r.0)))
            .collect();
        let smallest = lambdas
            .iter()
            .copied()
            .filter(|l| *l > 0.0)
            .fold(f64::INFINITY, f64::min);
        let smallest = if smallest.is_finite() { smallest } else { 0.01 };
        let zero_at = smallest.log10().floor() - 1.0;
        let mut keys: Vec<f64> = Vec::new();
        for &l in &lambdas {
            let x = lambda_position(l, zero_at);
            if !keys.iter().any(|k| (k - x).abs() < 1e-9) {
                keys.push(x);
            }
        }
        keys.sort_by(f64::total_cmp);
        let x_lo = keys.first().copied().unwrap_or(zero_at) - 0.3;
        let x_hi = keys.last().copied().unwrap_or(0.0) + 0.3;
        Self {
            zero_at,
            keys,
            range: x_lo..x_hi,
        }
    }
}

/// The λ chart's axes: λ ticks labelled by value (0 at far left), F1 in %.
fn lambda_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    axis: &LambdaAxis,
    series: &[LambdaSeries],
) -> anyhow::Result<TickChart<'a, DB>> {
    let values = series.iter().flat_map(|s| {
        s.points
            .iter()
            .flat_map(|p| p.values.clone())
            .chain(s.reported.map(|r| r.1))
    });
    let (lo, hi) = nice_range(values, 5.0, 0.0, 100.0);
    let mut chart = frame(area, None, 55)
        .build_cartesian_2d(Ticks::new(axis.range.clone(), axis.keys.clone()), lo..hi)
        .map_err(err)?;
    let zero_at = axis.zero_at;
    let label_of = |x: &f64| {
        if (x - zero_at).abs() < 1e-9 {
            "0".to_string()
        } else {
            crate::report::aggregate::format_lambda(round_sig(10f64.powf(*x)))
        }
    };
    draw_mesh(
        chart
            .configure_mesh()
            .x_label_formatter(&label_of)
            .light_line_style(LIGHT_GRID),
        "λ, adversarial loss weight (log scale; 0 at far left)",
        "test F1 (%)",
    )?;
    Ok(chart)
}

/// Draws one λ sweep (±std band, mean line, seeds, the paper's point) and
/// returns its legend entries.
fn lambda_series<DB: DrawingBackend>(
    chart: &mut TickChart<DB>,
    s: &LambdaSeries,
    c: RGBColor,
    zero_at: f64,
) -> anyhow::Result<Vec<(Mark, String)>> {
    let stats: Vec<(f64, Stat)> = s
        .points
        .iter()
        .filter_map(|p| Some((lambda_position(p.lambda, zero_at), Stat::of(&p.values)?)))
        .collect();
    let mut band: Vec<(f64, f64)> = stats
        .iter()
        .map(|(x, st)| (*x, st.mean + spread(st)))
        .collect();
    band.extend(stats.iter().rev().map(|(x, st)| (*x, st.mean - spread(st))));
    chart
        .draw_series([Polygon::new(band, c.mix(0.18).filled())])
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(
            stats.iter().map(|(x, st)| (*x, st.mean)),
            c.stroke_width(3),
        ))
        .map_err(err)?;
    chart
        .draw_series(s.points.iter().flat_map(|p| {
            let x = lambda_position(p.lambda, zero_at);
            p.values
                .iter()
                .map(move |v| Circle::new((x, *v), 4, c.mix(0.7).stroke_width(1)))
        }))
        .map_err(err)?;
    let mut entries = vec![
        (Mark::Line(c), format!("{} (mean)", s.label)),
        (Mark::Band(c), "±1 std over seeds".into()),
        (Mark::Hollow(c), "one seed".into()),
    ];
    if let Some((l, f)) = s.reported {
        let x = lambda_position(l, zero_at);
        chart
            .draw_series([TriangleMarker::new((x, f), 9, BLACK.filled())])
            .map_err(err)?;
        entries.push((
            Mark::Triangle,
            format!(
                "reported (paper, λ = {})",
                crate::report::aggregate::format_lambda(l)
            ),
        ));
    }
    Ok(entries)
}

/// 0.0999999 → 0.1: key points come back through log10 and powf.
fn round_sig(x: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    let digits = 6 - x.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}
