"""Reference values for the statistics of `runner::stats`, from scipy,
statsmodels and deepsig, written to crates/runner/tests/fixtures/stats/reference.json
(read by crates/runner/tests/stats_reference.rs, which needs no Python).

Run it with a venv outside the checkout, e.g.

    python3 -m venv /var/tmp/atner/statsvenv
    /var/tmp/atner/statsvenv/bin/pip install numpy scipy statsmodels 'deepsig>=1.2.3'
    /var/tmp/atner/statsvenv/bin/python scripts/stats_fixtures.py

(made with Python 3.11, numpy 2, scipy 1.17.1, statsmodels 0.15.0, deepsig 1.2.8;
the versions used are recorded in the JSON). The cases: Table 5's deltas from the
committed per-seed scores (test F1 of the dev-selected epoch, `results/*/runs.csv`),
synthetic Gaussian pairs at n = 3, 10, 30, and a small exact case.
"""

import csv
import importlib.metadata as md
import json
import math
import platform
from pathlib import Path

import numpy as np
from deepsig import aso
from deepsig.aso import compute_violation_ratio
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestPower

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "crates/runner/tests/fixtures/stats/reference.json"
CLAIMS = [
    ("transfer", "baseline"),
    ("adversarial", "transfer"),
    ("self-attention", "baseline"),
    ("full", "baseline"),
]
PAPER = {
    "weibo": [1.08, 0.36, 1.24, 2.07],
    "sighan": [0.76, 0.15, 0.58, 1.51],
}
# deepsig seeds bootstrap iteration i with seed + i, so runs seeded 0, 1, 2, ...
# would share all but a few of their 1000 resamples; seeds 10 000 apart share none.
ASO = {"confidence_level": 0.95, "num_bootstrap_iterations": 1000, "dt": 0.005}


def scores(store):
    """Per variant, seed → test F1 of the paper's configurations."""
    out = {}
    with open(ROOT / "results" / store / "runs.csv") as f:
        for row in csv.DictReader(f):
            key = (row["variant"], int(row["seed"]))
            assert key not in out, f"{store}: {key} twice"
            out[key] = float(row["test_f1"])
    return out


def case(name, a, b, paper):
    a, b = np.asarray(a, float), np.asarray(b, float)
    delta = a - b
    n = len(delta)
    mean, sd = float(delta.mean()), float(delta.std(ddof=1))
    lo, hi = stats.t.interval(0.95, n - 1, loc=mean, scale=sd / math.sqrt(n))
    flip = None
    if n <= 16:
        flip = stats.permutation_test(
            (delta,), np.mean, permutation_type="samples",
            alternative="two-sided", n_resamples=np.inf,
        ).pvalue
    power = TTestPower()
    d = abs(paper) / sd
    return {
        "name": name,
        "a": a.tolist(),
        "b": b.tolist(),
        "delta": delta.tolist(),
        "n": n,
        "mean": mean,
        "sd": sd,
        "t_ci95": [float(lo), float(hi)],
        "t_p": float(stats.ttest_1samp(delta, 0.0).pvalue),
        "sign_flip_p": None if flip is None else float(flip),
        "mde80": float(power.solve_power(nobs=n, alpha=0.05, power=0.8, alternative="two-sided")) * sd,
        "paper": paper,
        "power_at_paper": float(power.power(effect_size=d, nobs=n, alpha=0.05, alternative="two-sided")),
        "seeds_needed": int(math.ceil(power.solve_power(effect_size=d, alpha=0.05, power=0.8, alternative="two-sided"))),
        "aso_eps_min_a_over_b": [
            float(aso(a, b, seed=s * 10_000, show_progress=False, **ASO)) for s in range(10)
        ],
        "violation_ratio_a_over_b": float(compute_violation_ratio(a, b, dt=ASO["dt"])),
    }


def committed():
    cases = []
    for store, papers in PAPER.items():
        s = scores(store)
        for (va, vb), paper in zip(CLAIMS, papers):
            seeds = sorted(seed for (v, seed) in s if v == va and (vb, seed) in s)
            a = [s[(va, seed)] for seed in seeds]
            b = [s[(vb, seed)] for seed in seeds]
            cases.append(case(f"{store} {va}-{vb}", a, b, paper))
    return cases


def synthetic():
    rng = np.random.Generator(np.random.PCG64(20261207))
    cases = []
    for n in (3, 10, 30):
        for k in (1, 2):
            b = rng.normal(40.0, 2.0, n)
            a = b + rng.normal(0.8, 1.5, n)
            cases.append(case(f"synthetic n={n} #{k}", a, b, 1.0))
    cases.append(case("small exact", [1, 2, 3, 4.5], [1, 1, 1, 1], 1.0))
    return cases


def main():
    cases = committed() + synthetic()
    flips = [c["sign_flip_p"] for c in cases[:8]]
    families = [flips, [0.001, 0.01, 0.02, 0.04], [0.03, 0.03, 0.2], [0.5, 0.012, 0.2, 0.9, 0.04]]
    holm = []
    for p in families:
        reject, adjusted, _, _ = multipletests(p, alpha=0.05, method="holm")
        holm.append({"p": p, "adjusted": adjusted.tolist(), "reject": reject.tolist()})
    quantiles = [
        {"df": k, "p": 0.975, "q": float(stats.t.ppf(0.975, k))}
        for k in (1, 2, 3, 4, 5, 9, 19, 29, 99)
    ]
    versions = {"python": platform.python_version()}
    versions.update({p: md.version(p) for p in ("numpy", "scipy", "statsmodels", "deepsig")})
    out = {
        "generator": "scripts/stats_fixtures.py",
        "versions": versions,
        "aso_settings": ASO,
        "cases": cases,
        "holm": holm,
        "t_quantiles": quantiles,
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"{OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
