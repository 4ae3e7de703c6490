//! Every chart is written as a non-empty PNG and SVG (with the bundled font).

use std::path::Path;

use runner::report::aggregate::Stat;
use runner::report::chart::{
    ablation_bars, lambda_sensitivity, learning_curves, precision_recall, BarGroup, BarPanel,
    Curve, LambdaPoint, LambdaSeries, PrPanel, PrSeries,
};

fn stat(mean: f64, std: f64) -> Option<Stat> {
    Some(Stat {
        mean,
        std: Some(std),
        n: 3,
    })
}

fn assert_png_and_svg(files: &[std::path::PathBuf], stem: &Path) {
    assert_eq!(
        files,
        [stem.with_extension("png"), stem.with_extension("svg")]
    );
    let png = std::fs::read(&files[0]).expect("PNG written");
    assert!(png.len() > 1000, "PNG of {} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(&files[1]).expect("SVG written");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("<text"), "SVG has its labels");
}

#[test]
fn ablation_bars_are_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stem = dir.path().join("bars");
    let group = |label: &str, f1: f64| BarGroup {
        label: label.into(),
        scores: [stat(f1 + 5.0, 1.0), stat(f1 - 5.0, 2.0), stat(f1, 1.5)],
        reported: Some([60.0, 45.0, 51.0]),
    };
    let panels = [
        BarPanel {
            title: "SighanNER".into(),
            groups: vec![group("baseline", 89.0), group("full", 90.5)],
        },
        BarPanel {
            title: "WeiboNER".into(),
            groups: vec![
                group("baseline", 50.0),
                group("+transfer", 51.0),
                group("full", 53.0),
            ],
        },
    ];
    let files = ablation_bars(&stem, "Ablation", &panels).expect("drawn");
    assert_png_and_svg(&files, &stem);
}

#[test]
fn lambda_sensitivity_shows_zero_on_a_log_axis() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stem = dir.path().join("lambda");
    let points = [0.0, 0.01, 0.06, 0.3, 1.0]
        .iter()
        .map(|&lambda| LambdaPoint {
            lambda,
            values: vec![50.0 + lambda, 51.0, 52.5 - lambda],
        })
        .collect();
    let series = [LambdaSeries {
        label: "full, WeiboNER".into(),
        points,
        reported: Some((0.06, 53.08)),
    }];
    let files = lambda_sensitivity(&stem, "λ sensitivity", &series).expect("drawn");
    assert_png_and_svg(&files, &stem);
    let svg = std::fs::read_to_string(&files[1]).expect("SVG");
    // Tick labels: 0 at the far left, then the λ values themselves.
    let texts: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| {
            t.split_once('>')
                .and_then(|(_, rest)| rest.split_once("</text>"))
        })
        .map(|(text, _)| text.trim())
        .collect();
    for label in ["0", "0.01", "0.06", "0.3", "1"] {
        assert!(
            texts.contains(&label),
            "tick {label} missing from {texts:?}"
        );
    }
}

#[test]
fn learning_curves_with_and_without_a_discriminator_panel() {
    let dir = tempfile::tempdir().expect("tempdir");
    let curve = |label: &str, color: usize, base: f64| Curve {
        label: label.into(),
        color,
        points: (1..=6)
            .map(|e| {
                (
                    e,
                    Stat {
                        mean: base + 3.0 * e as f64,
                        std: Some(1.0),
                        n: 2,
                    },
                )
            })
            .collect(),
    };
    let dev = [curve("baseline", 0, 20.0), curve("full", 4, 25.0)];
    let disc = [curve("full", 4, 70.0)];
    let stem = dir.path().join("curves");
    assert_png_and_svg(
        &learning_curves(&stem, "Learning", &dev, &disc).expect("drawn"),
        &stem,
    );
    let stem = dir.path().join("curves-no-disc");
    assert_png_and_svg(
        &learning_curves(&stem, "Learning", &dev, &[]).expect("drawn"),
        &stem,
    );
}

#[test]
fn precision_recall_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stem = dir.path().join("pr");
    let panels = [PrPanel {
        title: "WeiboNER".into(),
        series: vec![
            PrSeries {
                label: "baseline".into(),
                color: 0,
                seeds: vec![(44.0, 58.0), (46.0, 60.0)],
                reported: Some((44.93, 58.99)),
            },
            PrSeries {
                label: "full".into(),
                color: 4,
                seeds: vec![(50.0, 55.0), (51.0, 56.5)],
                reported: Some((50.68, 55.72)),
            },
        ],
    }];
    let files = precision_recall(&stem, "Precision and recall", &panels).expect("drawn");
    assert_png_and_svg(&files, &stem);
}
