//! Charts with plotters, each written as PNG and SVG: Table 5 as grouped bars
//! with ±std error bars, λ sensitivity (eq. 18's weight), learning curves with
//! the discriminator's accuracy (eq. 15–17), and precision against recall.
//!
//! Text is drawn with DejaVu Sans, compiled in (`assets/`, Bitstream Vera
//! licence) and registered with plotters' ab_glyph backend, so charts need no
//! system fonts. Legends sit in their own column beside the plots, so they
//! never cover data; tick labels are short variant names.
//!
//! This module holds what every chart shares (font, palette, frame, mesh,
//! legend column, layout, tick formats); each chart is a submodule:
//! `bars`, `lambda`, `curves`, `precision_recall` and `forest` (the verdicts).

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
static FONT_BYTES: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");

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

/// The legend column's width: room for the longest of `labels` after its mark
/// (DejaVu Sans at 15 px averages under 9 px a character), at least `min`.
fn legend_width<'a>(min: u32, labels: impl IntoIterator<Item = &'a str>) -> u32 {
    let longest = labels.into_iter().map(|l| l.chars().count()).max();
    let needed = 60 + 9 * longest.unwrap_or(0);
    min.max(u32::try_from(needed).unwrap_or(u32::MAX))
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

// The charts, after the macro they share (macro_rules! are textual).
mod bars;
mod curves;
mod forest;
mod lambda;
mod precision_recall;

pub use bars::{ablation_bars, BarGroup, BarPanel};
pub use curves::{learning_curves, Curve};
pub use forest::{budget, forest, BudgetSeries, ForestLine, ForestPanel};
pub use lambda::{lambda_sensitivity, LambdaPoint, LambdaSeries};
pub use precision_recall::{precision_recall, PrPanel, PrSeries};
