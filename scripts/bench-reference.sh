#!/usr/bin/env bash
# The full model's training throughput against the PyTorch reference a user would
# write themselves (../shared/bench/ref_pytorch.py), measured in one run, alternating
# (ours, reference, ours, reference, ...) so that both see the same machine state.
#
#   scripts/bench-reference.sh [rounds] [threads] [batch sizes]    (defaults: 2 2 "20 64")
#
# Each round: `runner bench --variants full` at every batch size (fp32, and bf16 where
# the CPU runs it natively), then the reference (fp32; it has no bf16 path) for 60
# optimiser steps at each batch size. Prints one line per measurement: round, who,
# precision, batch, characters/s. The machine should be otherwise idle.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
threads=${2:-2}
batches=${3:-20 64}
ref=${REFERENCE:-../shared/bench/ref_pytorch.py}
python=${PYTHON:-.venv/bin/python}
runner=${RUNNER:-target/debug/runner}
data=data/cache
[ -f "$data/weibo/weiboNER.conll.train" ] || "$runner" data fetch weibo ctb6 char-vec-50 >&2
vectors=$(mktemp --suffix .txt)
trap 'rm -f "$vectors"' EXIT
xzcat "$data/embeddings/char_vec.txt.xz" > "$vectors"

grep -m1 'model name' /proc/cpuinfo | sed 's/.*: /# cpu: /'
echo "# $(date -u +%FT%TZ), $threads threads, $rounds rounds"
for round in $(seq "$rounds"); do
    "$runner" bench --variants full --batch-sizes "${batches// /,}" --threads "$threads" \
        | awk -v r="$round" -F'|' '$3 ~ /full/ {gsub(/ /, ""); print r, "ours", $4, $5, $7}'
    for batch in $batches; do
        "$python" -W ignore "$ref" --variant full --bench --max-steps 60 --batch-size "$batch" \
            --threads "$threads" --emb-dim 50 --weibo-mode named \
            --ner-train "$data/weibo/weiboNER.conll.train" --ner-dev "$data/weibo/weiboNER.conll.dev" \
            --ner-test "$data/weibo/weiboNER.conll.test" --cws-train <(xzcat "$data/ctb6_cws/ctb6.train.seg.xz") \
            --embeddings "$vectors" 2>/dev/null \
            | python3 -c 'import json, sys; r = json.load(sys.stdin); print(sys.argv[1], "reference fp32", r["batch_size"], round(r["tokens_per_s"]))' "$round"
    done
done
