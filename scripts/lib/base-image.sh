#!/usr/bin/env bash
# Seed the Debian base image from Debian's own packages, for machines that reach Debian's apt
# mirror but no container registry. mmdebstrap builds a minimal bookworm rootfs from the mirror the
# host's apt already uses; Podman imports it under the name a registry pull would have given it
# (docker.io/library/debian:bookworm-slim), so ordinary `FROM debian:bookworm-slim` Containerfiles
# build unchanged with `podman build --pull=never`. See docs/adr/0002-offline-images.md.
#
# Usage: base-image.sh [--force]
# Environment:
#   APERTURE_BASE_IMAGE      reference to create (default docker.io/library/debian:bookworm-slim)
#   APERTURE_DEBIAN_SUITE    suite (default bookworm)
#   APERTURE_DEBIAN_MIRROR   mirror URL to use instead of the host's apt sources
set -euo pipefail

REF=${APERTURE_BASE_IMAGE:-docker.io/library/debian:bookworm-slim}
SUITE=${APERTURE_DEBIAN_SUITE:-bookworm}

log() { printf 'base-image: %s\n' "$*" >&2; }
die() {
  printf 'base-image: ERROR: %s\n' "$*" >&2
  exit 1
}

# deb822 stanzas (*.sources) of the host whose suites are $SUITE, $SUITE-updates or $SUITE-security.
host_deb822_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk -v suite="$SUITE" '
      BEGIN { RS = ""; ORS = "\n\n" }
      {
        keep = 0
        n = split($0, lines, "\n")
        for (i = 1; i <= n; i++) {
          if (lines[i] ~ /^Enabled:[ \t]*no/) { keep = 0; break }
          if (lines[i] ~ /^Suites:/) {
            m = split(lines[i], words, /[ \t]+/)
            for (j = 2; j <= m; j++)
              if (words[j] ~ ("^" suite "(-updates|-security)?$")) keep = 1
          }
        }
        if (keep) print
      }' "$f"
  done
}

# One-line entries (sources.list, *.list) for the same suites.
host_oneline_sources() {
  local files=()
  [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list; do [[ -f $f ]] && files+=("$f"); done
  ((${#files[@]} == 0)) && return 0
  awk -v suite="$SUITE" '
    $1 == "deb" {
      i = 2
      if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      if ($(i + 1) ~ ("^" suite "(-updates|-security)?$")) print
    }' "${files[@]}"
}

# The mirror arguments for mmdebstrap: files in $1 (a temp dir), one per format.
write_sources() {
  local dir=$1
  if [[ -n ${APERTURE_DEBIAN_MIRROR:-} ]]; then
    printf 'deb %s %s main\n' "$APERTURE_DEBIAN_MIRROR" "$SUITE" >"$dir/mirror.list"
    echo "$dir/mirror.list"
    return
  fi
  host_deb822_sources >"$dir/host.sources"
  host_oneline_sources >"$dir/host.list"
  [[ -s $dir/host.sources ]] && echo "$dir/host.sources"
  [[ -s $dir/host.list ]] && echo "$dir/host.list"
  if [[ ! -s $dir/host.sources && ! -s $dir/host.list ]]; then
    log "no $SUITE entry in the host's apt sources; using http://deb.debian.org/debian"
    printf 'deb http://deb.debian.org/debian %s main\n' "$SUITE" >"$dir/mirror.list"
    echo "$dir/mirror.list"
  fi
}

# Host apt settings that decide whether the mirror is reachable at all (proxies, snapshot mirrors
# with expired Release files). mmdebstrap also writes them into the image, so apt in later
# `podman build` RUN steps behaves like the host's.
host_apt_options() {
  apt-config dump 2>/dev/null | grep -E '^Acquire::(Check-Valid-Until|Check-Date|Retries|https?::Proxy|ForceIPv4) ' || true
}

main() {
  local force=0
  [[ ${1:-} == --force ]] && force=1
  if ((force == 0)) && podman image exists "$REF"; then
    log "$REF exists; skipping (--force rebuilds)"
    return 0
  fi
  command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (run scripts/lib/podman-setup.sh)"
  ((EUID == 0)) || die "run as root: mmdebstrap's root mode and rootful podman storage need it"

  local start mirrors aptopts=() opt old_id=""
  old_id=$(podman image inspect --format '{{.Id}}' "$REF" 2>/dev/null || true)
  tmp=$(mktemp -d /tmp/aperture-base.XXXXXX) # global: the EXIT trap needs it
  trap 'rm -rf "$tmp"' EXIT
  mapfile -t mirrors < <(write_sources "$tmp")
  while IFS= read -r opt; do aptopts+=(--aptopt="$opt"); done < <(host_apt_options)

  # Like Debian's official images: apt keeps no .deb cache, so Containerfile layers stay small.
  cat >"$tmp/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF

  start=$SECONDS
  log "mmdebstrap $SUITE (minbase) from: $(cat "${mirrors[@]}" | grep -E '^(URIs|deb)' | tr '\n' ' ')"
  # minbase = Essential + apt: what `apt-get install` in a Containerfile needs, nothing more.
  # merged-usr hook: otherwise apt satisfies init-system-helpers with usrmerge, which drags perl in.
  # The dpkg path excludes stay in the image (like Debian's -slim images), so packages installed by
  # later builds also skip docs, man pages and translations.
  # shellcheck disable=SC2016 # "$1" in the hooks is the rootfs, expanded by mmdebstrap's shell
  if ! mmdebstrap --variant=minbase --format=tar --mode=root \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    "${aptopts[@]}" \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --customize-hook="upload $tmp/docker-clean /etc/apt/apt.conf.d/docker-clean" \
    --customize-hook='rm -f "$1"/etc/hostname "$1"/etc/resolv.conf; rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    "$SUITE" "$tmp/rootfs.tar" "${mirrors[@]}" >"$tmp/mmdebstrap.log" 2>&1; then
    tail -n 30 "$tmp/mmdebstrap.log" >&2
    die "mmdebstrap failed (log tail above)"
  fi
  local built=$((SECONDS - start))

  podman import --quiet \
    --change 'CMD ["bash"]' \
    --change 'LABEL dev.aperture.seed=mmdebstrap' \
    --change "LABEL dev.aperture.suite=$SUITE" \
    --message "mmdebstrap --variant=minbase $SUITE" \
    "$tmp/rootfs.tar" "$REF" >/dev/null || die "podman import failed"
  # The replaced image is now untagged; drop it unless a derived image still uses it.
  if [[ -n $old_id ]]; then podman rmi "$old_id" >/dev/null 2>&1 || true; fi
  log "built $REF in ${built}s (mmdebstrap) + $((SECONDS - start - built))s (import), $(podman image inspect --format '{{.Size}}' "$REF" | awk '{printf "%.0f MB", $1 / 1e6}')"
}

main "$@"
