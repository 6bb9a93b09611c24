#!/usr/bin/env bash
# Build the web UI (apps/web) into apps/web/dist with Vite, after type-checking it. Skipped when
# its inputs are unchanged: the sha256 of the sources, the configs and package-lock.json is kept
# in apps/web/dist/.inputs.sha256. Prints one progress line.
#   scripts/lib/build-web.sh [--force]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WEB=$ROOT/apps/web
STAMP=$WEB/dist/.inputs.sha256

inputs_hash() {
  {
    (cd "$WEB" && find src index.html package.json tsconfig.json vite.config.ts -type f -print0 |
      LC_ALL=C sort -z | xargs -0 sha256sum)
    sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1
  } | sha256sum | cut -d' ' -f1
}

start=$(date +%s.%N)
hash=$(inputs_hash)
if [[ ${1:-} != --force && -f $STAMP && $(cat "$STAMP") == "$hash" && -f $WEB/dist/index.html ]]; then
  printf '%-18s %-8s %6.1fs  %s\n' web-ui skipped "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" apps/web/dist
  exit 0
fi
log=$(mktemp /tmp/aperture-web-build.XXXXXX)
trap 'rm -f "$log"' EXIT
if ! (cd "$WEB" && npx --no-install tsc -p tsconfig.json --noEmit && NODE_ENV=production npx --no-install vite build --logLevel warn) >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  printf 'build-web: ERROR: building the web UI failed (output above)\n' >&2
  exit 1
fi
echo "$hash" >"$STAMP"
printf '%-18s %-8s %6.1fs  %s\n' web-ui built "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" apps/web/dist
