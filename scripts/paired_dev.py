#!/usr/bin/env python3
"""Paired comparison of two settings of one results store, on dev (and test).

    scripts/paired_dev.py RESULTS KEY A B [--gold-dev FILE --mode named|all]

RESULTS is a results store (runs/<id>/config.json, result.json, predictions.json);
KEY a dotted setting (e.g. train.precision); A and B two of its values. Runs are
paired by variant and seed. Printed: dev and test F1 of each side (mean ± sample
std, n), the per-seed differences B − A, an exact sign-flip permutation test over
the seed pairs, and, with --gold-dev (a WeiboNER CoNLL dev file), a paired
approximate randomization test over dev sentences pooled over seeds (swapping the
two sides' per-sentence entity counts, conlleval chunking; 10,000 resamples).

Standard library only: this is an analysis script, not part of the tool.
"""

import argparse
import itertools
import json
import lzma
import random
import statistics
import sys
from pathlib import Path


def setting(config, key):
    node = config
    for part in key.split("."):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return "fp32" if node == {} and key == "train.precision" else node


def read_json(path):
    """A run file, or its xz-compressed twin (committed results keep those)."""
    path = Path(path)
    if not path.exists() and path.with_name(path.name + ".xz").exists():
        return json.loads(lzma.decompress(path.with_name(path.name + ".xz").read_bytes()))
    return json.loads(path.read_text())


def load_runs(root):
    runs = []
    for d in sorted((Path(root) / "runs").iterdir()):
        if not (d / "DONE").exists():
            continue
        planned = json.loads((d / "config.json").read_text())
        result = read_json(d / "result.json")
        runs.append((d, planned["config"], result))
    return runs


def best_scores(result):
    state = result["state"]
    best = state["records"][state["best_epoch"] - 1]
    return best["dev"]["overall"], best["test"]["overall"]


def f1(counts):
    correct, guessed, gold = counts
    p = correct / guessed if guessed else 0.0
    r = correct / gold if gold else 0.0
    return 100 * 2 * p * r / (p + r) if p + r else 0.0


def overall_f1(scores):
    return f1((scores["correct"], scores["guessed"], scores["gold"]))


def chunks(tags):
    """conlleval's chunks: (start, end, type); an I-X after O or another type opens one."""
    out, start, kind = [], None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, t = tag.partition("-")
        opens = prefix == "B" or (prefix == "I" and t != kind)
        if kind is not None and (prefix == "O" or opens):
            out.append((start, i, kind))
            kind = None
        if opens:
            start, kind = i, t
    return set(out)


def read_gold(path, mode):
    sentences, current = [], []
    for line in Path(path).read_bytes().decode("utf-8", "replace").splitlines():
        if not line.strip():
            if current:
                sentences.append(current)
            current = []
            continue
        tag = line.rsplit("\t", 1)[-1].strip()
        if tag != "O" and mode == "named":
            tag = "O" if tag.endswith(".NOM") else tag.removesuffix(".NAM")
        current.append(tag)
    if current:
        sentences.append(current)
    return sentences


def sentence_counts(gold, pred):
    out = []
    for g, p in zip(gold, pred):
        cg, cp = chunks(g), chunks(p)
        out.append((len(cg & cp), len(cp), len(cg)))
    return out


def approximate_randomization(units_a, units_b, resamples=10_000, seed=2018):
    total = lambda units: tuple(map(sum, zip(*units)))
    observed = abs(f1(total(units_b)) - f1(total(units_a)))
    rng = random.Random(seed)
    hits = 0
    for _ in range(resamples):
        a, b = [0, 0, 0], [0, 0, 0]
        for ua, ub in zip(units_a, units_b):
            if rng.random() < 0.5:
                ua, ub = ub, ua
            for i in range(3):
                a[i] += ua[i]
                b[i] += ub[i]
        hits += abs(f1(b) - f1(a)) >= observed - 1e-12
    return (hits + 1) / (resamples + 1)


def sign_flip(diffs):
    observed = abs(statistics.mean(diffs))
    signs = list(itertools.product([1, -1], repeat=len(diffs)))
    hits = sum(abs(statistics.mean(s * d for s, d in zip(sign, diffs))) >= observed - 1e-12
               for sign in signs)
    return hits / len(signs)


def describe(values):
    sd = statistics.stdev(values) if len(values) > 1 else float("nan")
    return f"{statistics.mean(values):6.2f} ± {sd:4.2f} (n={len(values)})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results")
    ap.add_argument("key")
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--gold-dev")
    ap.add_argument("--mode", default="named")
    args = ap.parse_args()
    sides = {args.a: {}, args.b: {}}
    for d, config, result in load_runs(args.results):
        value = str(setting(config, args.key))
        if value in sides:
            sides[value][(config["variant"], config["train"]["seed"])] = (d, result)
    pairs = sorted(set(sides[args.a]) & set(sides[args.b]))
    if not pairs:
        sys.exit(f"no pairs of finished runs with {args.key} = {args.a} and {args.b}")
    rows = {s: [best_scores(sides[s][k][1]) for k in pairs] for s in sides}
    for split, index in (("dev", 0), ("test", 1)):
        for s in (args.a, args.b):
            print(f"{split:>4} F1 {args.key}={s:<6} {describe([overall_f1(r[index]) for r in rows[s]])}")
    diffs = [overall_f1(b[0]) - overall_f1(a[0]) for a, b in zip(rows[args.a], rows[args.b])]
    print("dev F1 differences B − A by seed:", " ".join(f"{d:+.2f}" for d in diffs))
    print(f"mean difference {statistics.mean(diffs):+.2f}; "
          f"exact sign-flip p = {sign_flip(diffs):.3f} over {len(diffs)} pairs")
    if args.gold_dev:
        gold = read_gold(args.gold_dev, args.mode)
        units = {s: [] for s in sides}
        for s in sides:
            for k in pairs:
                d = sides[s][k][0]
                pred = read_json(d / "predictions.json")["dev"]
                units[s].extend(sentence_counts(gold, pred))
        for s in sides:  # the per-sentence counts add up to each run's scores
            pooled = sum(r[0]["correct"] for r in rows[s])
            assert pooled == sum(u[0] for u in units[s]), "gold file does not match the runs"
        p = approximate_randomization(units[args.a], units[args.b])
        print(f"pooled dev approximate randomization: p = {p:.4f} "
              f"({len(units[args.a])} sentence units)")


if __name__ == "__main__":
    main()
