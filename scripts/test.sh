#!/usr/bin/env bash
# README command 2: set up (idempotent; adds PostgreSQL), then run the linter, the type checker
# and every test suite (SQLite and PostgreSQL, real Podman). Ends with one line:
#   N passed, N failed, N skipped
# Extra arguments go to Vitest, e.g. `scripts/test.sh packages/harness` or `-t "fork bomb"`.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --test || { echo "0 passed, 1 failed"; exit 1; }

results=.cache/test-results
rm -rf "$results" && mkdir -p "$results"
checks_passed=0
checks_failed=0
check() {
  local name=$1; shift
  printf '\033[1m==> %s\033[0m\n' "$name" >&2
  if "$@"; then checks_passed=$((checks_passed + 1)); else checks_failed=$((checks_failed + 1)); echo "FAILED: $name" >&2; fi
}

if (( $# == 0 )); then
  check "lint and format (biome)" npx biome check --diagnostic-level=error .
  check "type check (tsc)" npx tsc -p tsconfig.json --noEmit
  check "type check web (tsc)" npx tsc -p apps/web/tsconfig.json --noEmit
fi
printf '\033[1m==> tests (vitest)\033[0m\n' >&2
npx vitest run --reporter=default --reporter=json --outputFile.json="$results/vitest.json" "$@"
node scripts/lib/summarize-tests.mjs "$results/vitest.json" "$checks_passed" "$checks_failed"
