//! Charts with plotters, each written as PNG and SVG: Table 5 as grouped bars
//! with ±std error bars, λ sensitivity (eq. 18's weight), learning curves with
//! the discriminator's accuracy (eq. 15–17), and precision against recall.
//!
//! Text is drawn with DejaVu Sans, compiled in (`assets/`, Bitstream Vera
//! licence) and registered with plotters' ab_glyph backend, so charts need no
//! system fonts. Legends sit in their own column beside the plots, so they
//! never cover data; tick labels are short variant names.

use std::path::{Path, PathBuf};
use std::sync::Once;

use anyhow::anyhow;
use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::aggregate::Stat;

const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Registers the bundled font once per process.
fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let registered = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
        assert!(
            registered.is_ok(),
            "the bundled DejaVu Sans is a valid TrueType font"
        );
    });
}

/// A colour-blind-friendly palette (Okabe & Ito 2008), grey first for the baseline.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(110, 110, 110),
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
];

/// Minor grid lines: barely there.
const LIGHT_GRID: RGBColor = RGBColor(244, 244, 244);

fn color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

const METRIC_COLORS: [RGBColor; 3] = [
    RGBColor(158, 202, 225),
    RGBColor(66, 146, 198),
    RGBColor(8, 69, 148),
];

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("drawing a chart: {e}")
}

/// A panel's frame, the same in every chart: caption, margin, label areas.
fn frame<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: Option<&str>,
    x_label_area: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    if let Some(caption) = caption {
        builder.caption(caption, (FONT, 20));
    }
    builder
        .margin(12)
        .x_label_area_size(x_label_area)
        .y_label_area_size(60);
    builder
}

/// A value in % as a whole number: every chart's y labels.
fn whole(v: &f64) -> String {
    format!("{v:.0}")
}

/// Draws `mesh` (its x labels and grid already set by the chart) with the
/// style every chart shares: whole-number y labels, axis titles, fonts.
fn draw_mesh<X, Y, DB>(
    mesh: &mut MeshStyle<'_, '_, X, Y, DB>,
    x_desc: &str,
    y_desc: &str,
) -> anyhow::Result<()>
where
    X: Ranged + ValueFormatter<X::ValueType>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    DB: DrawingBackend,
{
    mesh.y_label_formatter(&whole)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()
        .map_err(err)
}

/// Draws with `$draw(&root, args…)` into `<stem>.png` and `<stem>.svg`.
macro_rules! png_and_svg {
    ($stem:expr, $size:expr, $draw:ident ( $($arg:expr),* )) => {{
        register_font();
        let stem: &Path = $stem;
        let png = stem.with_extension("png");
        let svg = stem.with_extension("svg");
        {
            let root = BitMapBackend::new(&png, $size).into_drawing_area();
            $draw(&root, $($arg),*)?;
            root.present().map_err(err)?;
        }
        {
            let root = SVGBackend::new(&svg, $size).into_drawing_area();
            $draw(&root, $($arg),*)?;
            root.present().map_err(err)?;
        }
        Ok(vec![png, svg])
    }};
}

/// One legend line: a mark and its text.
#[derive(Debug, Clone)]
enum Mark {
    Bar(RGBColor),
    Line(RGBColor),
    Band(RGBColor),
    Dot(RGBColor),
    Hollow(RGBColor),
    Tick,
    ErrorBar,
    Dashed(RGBColor),
    Triangle,
}

/// Draws `entries` top-down in `area` (a column beside the plots).
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    heading: &str,
    entries: &[(Mark, String)],
) -> anyhow::Result<()> {
    let text = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let bold = TextStyle::from((FONT, 16).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let top = 70;
    area.draw(&Text::new(heading.to_string(), (10, top), bold))
        .map_err(err)?;
    for (i, (mark, label)) in entries.iter().enumerate() {
        let y = top + 28 + 26 * i as i32;
        let (x0, x1) = (12, 40);
        match mark {
            Mark::Bar(c) => area.draw(&Rectangle::new([(x0, y - 7), (x1, y + 7)], c.filled())),
            Mark::Line(c) => {
                area.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(3)))
            }
            Mark::Band(c) => area.draw(&Rectangle::new(
                [(x0, y - 7), (x1, y + 7)],
                c.mix(0.2).filled(),
            )),
            Mark::Dot(c) => area.draw(&Circle::new((26, y), 6, c.filled())),
            Mark::Hollow(c) => area.draw(&Circle::new((26, y), 6, c.stroke_width(2))),
            Mark::Tick => area.draw(&PathElement::new(
                vec![(x0 + 2, y), (x1 - 2, y)],
                BLACK.stroke_width(3),
            )),
            Mark::ErrorBar => area.draw(&PathElement::new(
                vec![
                    (22, y - 9),
                    (30, y - 9),
                    (26, y - 9),
                    (26, y + 9),
                    (22, y + 9),
                    (30, y + 9),
                ],
                BLACK.stroke_width(1),
            )),
            Mark::Dashed(c) => area.draw(&DashedPathElement::new(
                vec![(x0, y), (x1, y)],
                5,
                4,
                c.stroke_width(2),
            )),
            Mark::Triangle => area.draw(&TriangleMarker::new((26, y), 8, BLACK.filled())),
        }
        .map_err(err)?;
        area.draw(&Text::new(label.clone(), (50, y), text.clone()))
            .map_err(err)?;
    }
    Ok(())
}

/// Plot panels, left to right, and the legend column.
type Layout<DB> = (Vec<DrawingArea<DB, Shift>>, DrawingArea<DB, Shift>);

/// Splits the canvas into title, plot panels and a legend column.
fn layout<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    panels: usize,
    legend_width: u32,
) -> anyhow::Result<Layout<DB>> {
    root.fill(&WHITE).map_err(err)?;
    let body = root.titled(title, (FONT, 24)).map_err(err)?;
    let (w, _) = body.dim_in_pixel();
    let (plots, legend) = body.split_horizontally(w.saturating_sub(legend_width));
    Ok((plots.split_evenly((1, panels.max(1))), legend))
}

/// `[lo, hi]` padded and rounded out to multiples of `step`, within `[floor, ceil]`.
fn nice_range(values: impl Iterator<Item = f64>, step: f64, floor: f64, ceil: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (floor, ceil);
    }
    let lo = ((lo - step / 2.0) / step).floor() * step;
    let hi = ((hi + step / 2.0) / step).ceil() * step;
    let (lo, hi) = (lo.max(floor), hi.min(ceil));
    if hi - lo < step {
        (lo, lo + step)
    } else {
        (lo, hi)
    }
}

/// A linear f64 axis whose ticks are exactly the given positions (variants,
/// λ values), labelled by the chart's formatter.
struct Ticks {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
}

impl Ticks {
    fn new(range: std::ops::Range<f64>, ticks: Vec<f64>) -> Self {
        Self { range, ticks }
    }
}

impl Ranged for Ticks {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let share = (value - self.range.start) / (self.range.end - self.range.start);
        limit.0 + (share * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.max_num_points() == 0 {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

/// A chart whose x axis ticks sit at chosen positions (variants, λ values).
type TickChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticks, RangedCoordf64>>;

/// A chart with linear f64 axes.
type LinearChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn spread(s: &Stat) -> f64 {
    s.std.unwrap_or(0.0)
}

// ---------------------------------------------------------------------------
// Table 5 as grouped bars

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

// ---------------------------------------------------------------------------
// λ sensitivity

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
            super::aggregate::format_lambda(round_sig(10f64.powf(*x)))
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
                super::aggregate::format_lambda(l)
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

// ---------------------------------------------------------------------------
// Learning curves

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
    let width = 300 + 620 * panels as u32;
    png_and_svg!(
        stem,
        (width, 560),
        draw_curves(title, dev_f1, discriminator)
    )
}

fn draw_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    dev_f1: &[Curve],
    discriminator: &[Curve],
) -> anyhow::Result<()> {
    let panels = 1 + usize::from(!discriminator.is_empty());
    let (areas, legend_area) = layout(root, title, panels, 300)?;
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

// ---------------------------------------------------------------------------
// Precision against recall

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
    let width = 300 + 560 * panels.len().max(1) as u32;
    png_and_svg!(stem, (width, 600), draw_pr(title, panels))
}

/// Draws the precision–recall panels side by side and the legend.
fn draw_pr<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    panels: &[PrPanel],
) -> anyhow::Result<()> {
    let (areas, legend_area) = layout(root, title, panels.len(), 300)?;
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
