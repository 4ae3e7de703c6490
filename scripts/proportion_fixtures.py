"""Reference values for `runner::stats::proportion` (the Wilson score
interval of a probe's accuracy), from statsmodels' `proportion_confint(...,
method="wilson")`, written to crates/runner/tests/fixtures/stats/proportion.json
(read by crates/runner/tests/stats_reference.rs, which needs no Python).

    python3 -m venv /var/tmp/atner/statsvenv
    /var/tmp/atner/statsvenv/bin/pip install statsmodels
    /var/tmp/atner/statsvenv/bin/python scripts/proportion_fixtures.py
"""

import importlib.metadata as md
import json
import platform
from pathlib import Path

from statsmodels.stats.proportion import proportion_confint

OUT = Path(__file__).resolve().parent.parent / "crates/runner/tests/fixtures/stats/proportion.json"
# (correct, total): chance, near-chance, high, the extremes, a small n.
CASES = [(50, 100), (640, 1350), (1300, 1350), (0, 20), (20, 20), (7, 9), (1, 3)]


def main():
    cases = []
    for k, n in CASES:
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
        cases.append({"correct": k, "total": n, "low": low, "high": high})
    out = {
        "generated_by": "scripts/proportion_fixtures.py",
        "python": platform.python_version(),
        "statsmodels": md.version("statsmodels"),
        "alpha": 0.05,
        "cases": cases,
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
