# The ablation workspace. `just` lists the recipes.

set shell := ["bash", "-euo", "pipefail", "-c"]

runner := "cargo run --quiet --release -p runner --"

# List the recipes.
default:
    @just --list

# Install libtorch 2.13 (torch==2.13.0 into .venv unless LIBTORCH is set) and link it for cargo.
setup:
    scripts/setup.sh

# Copy the datasets from the mirror into data/cache, verifying checksums.
fetch *names: setup
    {{runner}} data fetch {{names}}

# Print the paper's Table 1 for every dataset.
stats: setup
    {{runner}} data stats

# Build and run every test (unit, property, end-to-end on tiny data).
test: setup
    cargo test --workspace --all-targets

# Format and lint checks.
lint: setup
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
