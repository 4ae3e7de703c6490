#!/usr/bin/env bash
# Idempotent set-up: make libtorch 2.13 available at ./.libtorch for cargo.
#
# With LIBTORCH set, that libtorch is used as it is (no download). Without it,
# torch==2.13.0 is installed from the Python package index into ./.venv (a
# CPU+CUDA build: 4.7 GB installed, measured) and its
# `torch/` folder, which holds libtorch's headers and shared libraries, is used.
# .cargo/config.toml points LIBTORCH at ./.libtorch, and each crate's build
# script sets an rpath to ./.libtorch/lib, so `cargo build`, `cargo test` and
# the `runner` binary work without exporting anything.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION=2.13.0
link=.libtorch

say() { printf '[setup] %s\n' "$*" >&2; }

if [ -n "${LIBTORCH:-}" ]; then
    [ -f "$LIBTORCH/lib/libtorch_cpu.so" ] || { say "LIBTORCH=$LIBTORCH has no lib/libtorch_cpu.so"; exit 1; }
    target=$(cd "$LIBTORCH" && pwd)
else
    python=${PYTHON:-python3}
    if [ ! -x .venv/bin/python ]; then
        say "creating .venv with $python"
        "$python" -m venv .venv || { say "python3 -m venv failed: install Python 3 with venv (Debian: apt-get install python3-venv)"; exit 1; }
    fi
    have=$(.venv/bin/python -W ignore -c 'import torch; print(torch.__version__)' 2>/dev/null || true)
    if [ "${have%%+*}" != "$TORCH_VERSION" ]; then
        say "installing torch==$TORCH_VERSION into .venv (about 5 GB installed; this takes a while once)"
        .venv/bin/pip install --quiet --progress-bar off "torch==$TORCH_VERSION"
    fi
    target=$(.venv/bin/python -W ignore -c 'import os, torch; print(os.path.dirname(torch.__file__))')
fi

if [ "$(readlink "$link" 2>/dev/null)" != "$target" ]; then
    ln -sfn "$target" "$link"
    say "libtorch: $link -> $target"
fi
