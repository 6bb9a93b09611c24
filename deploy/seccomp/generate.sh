#!/usr/bin/env bash
# Regenerates (or, with --check, verifies) the Localhost seccomp profiles of Aperture's run pods
# from containerd's own RuntimeDefault code (contrib/seccomp/seccomp_default.go of the pinned
# containerd module) plus the namespace syscalls of generate/main.go. See README.md.
#
#   deploy/seccomp/generate.sh           rewrite aperture-runner.json (amd64), aperture-runner.arm64.json
#   deploy/seccomp/generate.sh --check   exit 1 if either differs from what the source gives
#
# Needs Go and the Go module proxy (or a module cache that has the containerd module).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
check=0
case ${1:-} in
--check) check=1 ;;
'') ;;
-h | --help)
  sed -n '2,9p' "$0"
  exit 0
  ;;
*)
  echo "usage: $0 [--check]" >&2
  exit 2
  ;;
esac

command -v go >/dev/null || {
  echo "generate.sh: needs Go" >&2
  exit 2
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/generate/go.mod" "$here/generate/main.go" "$work/"
[[ -f $here/generate/go.sum ]] && cp "$here/generate/go.sum" "$work/"
cd "$work"
export GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-local}
module=github.com/containerd/containerd
version=$(awk -v m="$module" '$1 == "require" && $2 == m { print $3 } $1 == m { print $2 }' go.mod)
dir=$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -f $dir/contrib/seccomp/seccomp_default.go ]] || {
  echo "generate.sh: $module@$version has no contrib/seccomp/seccomp_default.go" >&2
  exit 1
}
# containerd decides the architecture by runtime.GOARCH; the copy takes it from a variable, so one
# machine generates the profile of every architecture. Nothing else of the file changes.
mkdir containerddefault
{
  sed -e 's/^package seccomp$/package containerddefault/' \
    -e 's/runtime\.GOARCH/GOARCH/g' \
    -e '/^[[:space:]]*"runtime"$/d' \
    "$dir/contrib/seccomp/seccomp_default.go"
  printf '\n// GOARCH stands in for the Go runtime'\''s (set by main).\nvar GOARCH string\n'
} >containerddefault/seccomp_default.go
grep -q 'runtime\.' containerddefault/seccomp_default.go && {
  echo "generate.sh: seccomp_default.go still uses package runtime; update the patch" >&2
  exit 1
}
go mod tidy >/dev/null 2>&1 || go mod tidy

status=0
for arch in amd64 arm64; do
  name=aperture-runner.json
  [[ $arch == amd64 ]] || name=aperture-runner.$arch.json
  go run . -arch "$arch" >"$work/$name"
  if ((check)); then
    if ! cmp -s "$work/$name" "$here/$name"; then
      echo "generate.sh: deploy/seccomp/$name differs from containerd $version's default + generate/main.go:" >&2
      diff -u "$here/$name" "$work/$name" >&2 || true
      status=1
    fi
  else
    cp "$work/$name" "$here/$name"
    echo "wrote deploy/seccomp/$name (containerd $version RuntimeDefault, $arch, + namespace syscalls)"
  fi
done
((check)) || cp go.sum "$here/generate/go.sum"
((status)) || ((!check)) || echo "deploy/seccomp: profiles match containerd $version's default + generate/main.go"
exit $status
