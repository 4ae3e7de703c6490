"""The decision rule of experiments/sighan-precision.toml, applied to a store:
for each variant and seed, d = mean over epochs 6-10 of (bf16 dev F1 - fp32 dev F1);
per variant, the mean of d over the seeds. bf16 stays if every variant's mean is at
least -0.5 F1, fp32 if any is below -1.0; between, a third seed decides. Reads only
dev F1 (runs.csv and epochs.csv of the store; no dependencies beyond Python).

    python3 scripts/precision_parity.py /var/tmp/atner/sighan-precision
"""
import csv
import sys
from collections import defaultdict
from pathlib import Path

VARIANTS = ("baseline", "full")
EPOCHS = range(6, 11)
KEEP, REJECT = -0.5, -1.0


def dev_curves(store):
    """(variant, seed, precision) -> {epoch: dev F1} for the store's finished runs."""
    cells = {r["run_id"]: (r["variant"], int(r["seed"]), r["precision"])
             for r in csv.DictReader(open(store / "runs.csv")) if r["variant"] in VARIANTS}
    curves = defaultdict(dict)
    for r in csv.DictReader(open(store / "epochs.csv")):
        if r["run_id"] in cells and r["dev_f1"]:
            curves[cells[r["run_id"]]][int(r["epoch"])] = float(r["dev_f1"])
    return curves


def main(store):
    curves = dev_curves(Path(store))
    by_variant = defaultdict(list)
    for variant, seed in sorted({(v, s) for v, s, _ in curves}):
        fp32, bf16 = curves.get((variant, seed, "fp32"), {}), curves.get((variant, seed, "bf16"), {})
        missing = [e for e in EPOCHS if e not in fp32 or e not in bf16]
        if missing:
            print(f"{variant} seed {seed}: not comparable yet (epochs {missing} missing in a precision)")
            continue
        d = sum(bf16[e] - fp32[e] for e in EPOCHS) / len(EPOCHS)
        by_variant[variant].append(d)
        print(f"{variant} seed {seed}: d = {d:+.2f} F1 (bf16 - fp32, dev, epochs 6-10)")
    verdicts = []
    for variant, ds in sorted(by_variant.items()):
        mean = sum(ds) / len(ds)
        verdicts.append("fp32" if mean < REJECT else "bf16" if mean >= KEEP and len(ds) >= 2 else "undecided")
        print(f"{variant}: mean d over {len(ds)} seed(s) {mean:+.2f} F1 -> {verdicts[-1]}")
    if len(by_variant) < 2 or "undecided" in verdicts:
        print("decision: not yet (the rule needs both variants at two seeds; between -1.0 and -0.5, a third seed)")
    else:
        print("decision:", "fp32" if "fp32" in verdicts else "bf16")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results/sighan-precision")
