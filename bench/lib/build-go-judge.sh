#!/usr/bin/env bash
# Builds go-judge (the peer of bench/peer-go-judge.ts) from its Go module and caches the binary
# outside the repo, keyed by version. Idempotent: a cached binary is reused. Prints its path.
#
#   bash bench/lib/build-go-judge.sh            # -> ~/.cache/aperture/go-judge/v1.8.5/go-judge
#   GO_JUDGE_VERSION=v1.8.5 bash bench/lib/build-go-judge.sh
#
# `go install github.com/criyle/go-judge/cmd/go-judge@v1.8.5` fails where the module proxy serves
# only that version (go install reads the module's version list, @v/list, and gets 403), so:
# download the module, copy its source out of the read-only module cache and `go build` it there.
set -euo pipefail

VERSION="${GO_JUDGE_VERSION:-v1.8.5}"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/aperture/go-judge/$VERSION"
BINARY="$CACHE_ROOT/go-judge"

if [ -x "$BINARY" ] && [ "$("$BINARY" -version 2>/dev/null)" = "$VERSION" ]; then
  echo "$BINARY"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then
    export PATH="$PATH:/usr/local/go/bin"
  else
    echo "build-go-judge: Go is not installed" >&2
    exit 1
  fi
fi

mkdir -p "$CACHE_ROOT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/go-judge-build.XXXXXX")"
trap 'chmod -R u+w "$WORK" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# `go mod download` needs a module to run in; an empty throwaway one is enough.
(cd "$WORK" && go mod init aperture.local/go-judge-download >/dev/null 2>&1)
SOURCE="$(cd "$WORK" && GOFLAGS=-mod=mod go mod download -json "github.com/criyle/go-judge@$VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
if [ -z "$SOURCE" ] || [ ! -d "$SOURCE" ]; then
  echo "build-go-judge: go mod download gave no source directory for go-judge@$VERSION" >&2
  exit 1
fi

cp -R "$SOURCE" "$WORK/src"
chmod -R u+w "$WORK/src"
cd "$WORK/src"
# What `go generate` would write from git (absent from the module): lets `go-judge -version` name it.
echo "$VERSION" >cmd/go-judge/version/version.txt
echo "build-go-judge: building go-judge $VERSION in $WORK/src" >&2
# Static first (no C toolchain needed); go-judge's Linux sandbox is pure Go.
if ! CGO_ENABLED=0 go build -trimpath -o "$WORK/go-judge" ./cmd/go-judge; then
  echo "build-go-judge: CGO_ENABLED=0 failed, retrying with cgo" >&2
  CGO_ENABLED=1 go build -trimpath -o "$WORK/go-judge" ./cmd/go-judge
fi
# Move into place atomically, so a concurrent or interrupted build never leaves half a binary.
mv "$WORK/go-judge" "$BINARY.tmp.$$"
mv "$BINARY.tmp.$$" "$BINARY"
echo "$BINARY"
