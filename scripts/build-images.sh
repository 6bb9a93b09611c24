#!/usr/bin/env bash
# Build Aperture's images from images/*/Containerfile with Podman, offline from any registry
# (`--pull=never`; the Debian base comes from scripts/lib/base-image.sh): runner-base first, then
# one runner image per language, then the lab base images (lab-*, FROM the Debian base, not
# runner-base; docs/labs.md, "Images"). An image whose inputs (its build context + the id of the
# image it builds FROM) are unchanged is skipped: the inputs' sha256 is stored in the image as the
# label dev.aperture.inputs. See docs/adr/0002-offline-images.md.
#
# Usage: scripts/build-images.sh [--force] [IMAGE...]
#   IMAGE: runner-base runner-python runner-c runner-cpp runner-java runner-javascript runner-bash
#          (or just the language id: python, c, ...), lab-shell lab-nginx lab-postgres lab-desktop.
#          Default: all. runner-base is always checked first when a runner is built, because every
#          runner builds FROM it; lab images alone leave it (and the harness bundle) out.
# Environment:
#   APERTURE_HARNESS_ENTRY   harness entry point (default packages/harness/src/main.ts)
#   APERTURE_RUNLIMIT_SRC    runlimit source (default packages/harness/native/runlimit.c)
#   APERTURE_BUILD_NETWORK   passed to `podman build --network` (e.g. host) if the default bridge
#                            cannot reach the apt mirror; builds only, never runs
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ALL_IMAGES=(runner-base runner-python runner-c runner-cpp runner-java runner-javascript runner-bash
  lab-shell lab-nginx lab-postgres lab-desktop)
HARNESS_ENTRY=${APERTURE_HARNESS_ENTRY:-$ROOT/packages/harness/src/main.ts}
RUNLIMIT_SRC=${APERTURE_RUNLIMIT_SRC:-$ROOT/packages/harness/native/runlimit.c}

log() { printf 'build-images: %s\n' "$*" >&2; }
die() {
  printf 'build-images: ERROR: %s\n' "$*" >&2
  exit 1
}

ref_of() { echo "localhost/aperture/$1:latest"; }

image_id() { podman image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

# The image a Containerfile's last stage builds FROM, resolved to a local image id.
parent_id() {
  local from
  from=$(awk 'toupper($1) == "FROM" { ref = $2 } END { print ref }' "$ROOT/images/$1/Containerfile")
  [[ $from == debian:* ]] && from=docker.io/library/$from
  image_id "$from"
}

# sha256 over every file of the build context (names and contents) and the parent image id.
inputs_hash() {
  local ctx=$1 parent=$2
  {
    (cd "$ctx" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    printf 'parent %s\n' "$parent"
  } | sha256sum | cut -d' ' -f1
}

bundle_harness() {
  local out=$1
  [[ -f $HARNESS_ENTRY ]] || die "harness entry $HARNESS_ENTRY does not exist (set APERTURE_HARNESS_ENTRY)"
  [[ -f $RUNLIMIT_SRC ]] || die "runlimit source $RUNLIMIT_SRC does not exist (set APERTURE_RUNLIMIT_SRC)"
  if ! (cd "$ROOT" && npx --no-install esbuild "$HARNESS_ENTRY" --bundle --platform=node \
    --target=node18 --format=esm --log-level=warning --outfile="$out/harness.mjs") >"$out/esbuild.log" 2>&1; then
    tail -n 30 "$out/esbuild.log" >&2
    die "bundling the harness with esbuild failed (log above)"
  fi
}

# Build context of one image: its folder, plus the harness bundle and runlimit for runner-base.
make_context() {
  local name=$1 ctx=$2
  mkdir -p "$ctx"
  cp -R "$ROOT/images/$name/." "$ctx/"
  if [[ $name == runner-base ]]; then
    cp "$WORK/harness.mjs" "$ctx/harness.mjs"
    cp "$RUNLIMIT_SRC" "$ctx/runlimit.c"
  fi
}

build_one() {
  local name=$1 ref ctx parent hash current start old_id network=()
  ref=$(ref_of "$name")
  ctx=$WORK/ctx/$name
  start=$(date +%s.%N)
  make_context "$name" "$ctx"
  parent=$(parent_id "$name")
  [[ -n $parent ]] || die "$name: the image it builds FROM is missing (run scripts/lib/podman-setup.sh, or build runner-base)"
  hash=$(inputs_hash "$ctx" "$parent")
  current=$(podman image inspect --format '{{index .Labels "dev.aperture.inputs"}}' "$ref" 2>/dev/null || true)
  if ((FORCE == 0)) && [[ $current == "$hash" ]]; then
    progress "$name" skipped "$start" "$ref"
    return 0
  fi
  [[ -n ${APERTURE_BUILD_NETWORK:-} ]] && network=(--network "$APERTURE_BUILD_NETWORK")
  old_id=$(image_id "$ref")
  if ! podman build --pull=never --layers "${network[@]}" \
    --label "dev.aperture.inputs=$hash" -t "$ref" -f "$ctx/Containerfile" "$ctx" >"$WORK/$name.log" 2>&1; then
    printf -- '--- last lines of the podman build log of %s ---\n' "$name" >&2
    tail -n 40 "$WORK/$name.log" >&2
    die "$name: podman build failed at $(grep -oE '(\[[0-9]+/[0-9]+\] )?STEP [0-9]+/[0-9]+: .{0,80}' "$WORK/$name.log" | tail -n 1)"
  fi
  # The previous build of this image is now untagged; drop it unless something still uses it.
  if [[ -n $old_id && $old_id != "$(image_id "$ref")" ]]; then
    podman rmi "$old_id" >/dev/null 2>&1 || true
  fi
  progress "$name" built "$start" "$ref"
}

progress() {
  local name=$1 what=$2 start=$3 ref=$4 size
  size=$(podman image inspect --format '{{.Size}}' "$ref" | awk '{ printf "%.0f MB", $1 / 1e6 }')
  printf '%-18s %-8s %6.1fs  %s  %s\n' "$name" "$what" "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "$size" "$ref"
}

# Sets IMAGES: the requested images in dependency order, runner-base first whenever a runner is
# requested (the runners build FROM it, so a stale base must be rebuilt before them).
select_images() {
  local arg want=() name runners=0
  for arg in "$@"; do
    [[ $arg == runner-* || $arg == lab-* ]] || arg=runner-$arg
    [[ " ${ALL_IMAGES[*]} " == *" $arg "* ]] || die "unknown image '$arg' (known: ${ALL_IMAGES[*]})"
    want+=("$arg")
  done
  ((${#want[@]} == 0)) && want=("${ALL_IMAGES[@]}")
  if [[ " ${want[*]} " == *" runner-"* ]]; then runners=1; fi
  IMAGES=()
  for name in "${ALL_IMAGES[@]}"; do
    if [[ ($name == runner-base && $runners == 1) || " ${want[*]} " == *" $name "* ]]; then IMAGES+=("$name"); fi
  done
}

main() {
  FORCE=0
  local args=() name
  for name in "$@"; do
    case $name in
      --force) FORCE=1 ;;
      -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        return 0
        ;;
      -*) die "unknown option $name" ;;
      *) args+=("$name") ;;
    esac
  done
  select_images "${args[@]}"
  command -v podman >/dev/null || die "podman is not installed (run scripts/lib/podman-setup.sh)"
  bash "$ROOT/scripts/lib/base-image.sh"

  WORK=$(mktemp -d /tmp/aperture-images.XXXXXX)
  trap 'rm -rf "$WORK"' EXIT
  if [[ " ${IMAGES[*]} " == *" runner-base "* ]]; then bundle_harness "$WORK"; fi
  local start=$SECONDS
  for name in "${IMAGES[@]}"; do build_one "$name"; done
  log "done in $((SECONDS - start))s"
}

main "$@"
