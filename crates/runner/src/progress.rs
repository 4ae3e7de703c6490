//! Progress display: indicatif bars on a terminal, one plain line per event otherwise.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar with the fixed template every command uses; hidden when stderr is not a terminal.
pub fn bar(len: u64, unit: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let template =
        format!("{{prefix:>12}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{msg}} (eta {{eta}})");
    let style = ProgressStyle::with_template(&template)
        .expect("the template is valid")
        .progress_chars("=> ");
    ProgressBar::new(len).with_style(style)
}

/// Reports an event: on the bar when it is visible, else as a line on stderr.
pub fn event(bar: &ProgressBar, line: &str) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.set_message(line.to_string());
    }
}

/// `3725 s` → `1 h 2 min (3725 s)`.
pub fn format_duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    let (h, min) = (s / 3600, (s % 3600) / 60);
    match (h, min) {
        (0, 0) => format!("{s} s"),
        (0, m) => format!("{m} min {} s", s % 60),
        (h, m) => format!("{h} h {m} min ({s} s)"),
    }
}
