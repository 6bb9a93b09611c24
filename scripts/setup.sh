#!/usr/bin/env bash
# Installs everything Aperture needs on this machine, then builds the runner and lab images.
# Safe to re-run: every step checks first and skips what is already done.
#   scripts/setup.sh            npm packages, Podman (configured for this host), images, web UI
#   scripts/setup.sh --test     also PostgreSQL and Chromium (storage and browser tests)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/common.sh

WITH_TEST=0
for arg in "$@"; do
  case "$arg" in
    --test) WITH_TEST=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) die "unknown option $arg (see --help)" ;;
  esac
done

require_node 20
install_npm_packages
bash scripts/lib/build-web.sh
bash scripts/lib/podman-setup.sh
bash scripts/build-images.sh
if [[ $WITH_TEST == 1 ]]; then
  ensure_debian_packages postgresql chromium
fi
step "setup complete"
