#!/usr/bin/env bash
# README command 1: set up (idempotent), then start Aperture on SQLite + Podman with the demo
# course. Data lives in .data/ (override with APERTURE_DATA_DIR). Extra flags go to `aperture server`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export APERTURE_DATA_DIR=${APERTURE_DATA_DIR:-$PWD/.data}
# Isolated pool sandboxes serve many runs (docs/operations.md): one lane per language, 2 each.
export APERTURE_POOL_SIZE=${APERTURE_POOL_SIZE:-2}
export APERTURE_POOL_LANGUAGES=${APERTURE_POOL_LANGUAGES:-python,c,cpp,java,javascript,bash}
exec node apps/cli/bin/aperture.js server --demo "$@"
