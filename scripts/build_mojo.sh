#!/usr/bin/env bash
# Compiles the Mojo sources in mojo/ into build/mojo/ (the MAX custom-op package kernels.mojoc and the
# Python extension motion_kernels.so). Called by scripts/setup.sh; a no-op when nothing changed.
# --force rebuilds anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m inference.backends.mojo.build "$@"
