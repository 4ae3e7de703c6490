# The ablation workspace. `just` lists the recipes.

set shell := ["bash", "-euo", "pipefail", "-c"]

# One build profile (optimised dev) serves tests and experiments alike.
runner := "cargo run --quiet -p runner --"

# List the recipes.
default:
    @just --list

# Install libtorch 2.13 (torch==2.13.0 into .venv unless LIBTORCH is set) and link it for cargo.
setup:
    scripts/setup.sh

# Copy datasets from the mirror into data/cache, verifying checksums (all, or the named ones).
fetch *names: setup
    {{runner}} data fetch {{names}}

# Print the paper's Table 1 for every dataset.
stats: setup
    {{runner}} data stats

# The WeiboNER ablation (Table 5's WeiboNER column, Table 2's full-model row): train what results/weibo lacks, then report.
ablation: setup
    {{runner}} sweep experiments/weibo.toml --jobs 2 --threads 1
    {{runner}} report --all
    @echo "reports: reports/weibo.md, reports/REPRODUCTION.md"

# The SighanNER ablation (Table 4, Table 5's SighanNER column), in bf16: half a day to a day of 2 cores; resumes when restarted; see README.
ablation-sighan: setup
    {{runner}} sweep experiments/sighan.toml --jobs 2 --threads 1
    {{runner}} report --all

# λ sensitivity of the full model on WeiboNER.
ablation-lambda: setup
    {{runner}} sweep experiments/lambda.toml --jobs 2 --threads 1
    {{runner}} report --all

# Render every report and reports/REPRODUCTION.md from the committed results (no training; seconds).
report: setup
    {{runner}} report --all

# Training and evaluation throughput of every variant (figures for BENCHMARKS.md).
bench: setup
    {{runner}} bench

# A single-node Slurm on localhost for `runner sweep --backend slurm` (root; Debian's slurm-wlm): start, stop or status.
slurm action="status":
    scripts/local-slurm.sh {{action}}

# Build and run every test (unit, property, brute-force, end-to-end on tiny data; the Slurm
# test starts a local Slurm when run as root, and says SKIPPED otherwise).
test: setup
    cargo test --workspace --all-targets

# Format and lint checks.
lint: setup
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
