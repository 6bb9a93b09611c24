#!/usr/bin/env bash
# Make this machine able to build and run Aperture's runner images with Podman, offline from any
# container registry: install Podman and friends from Debian, write a containers.conf that works
# on hosts without systemd and with cgroup v1, seed the Debian base image (base-image.sh), then
# prove it by running one locked-down container.
#
# Idempotent and fast on a second run (no apt, no writes when nothing changed).
# Execute it (`bash scripts/lib/podman-setup.sh`) or source it and call `aperture_podman_setup`;
# the work runs in a subshell either way, so sourcing does not change the caller's shell options.
#
# Environment:
#   APERTURE_SKIP_APT=1          never call apt-get (fail instead when something is missing)
#   APERTURE_CONTAINERS_CONF     where to write the engine config (default /etc/containers/containers.conf)
#   APERTURE_SKIP_BASE_IMAGE=1   do not seed the base image, and skip the container check

APERTURE_PODMAN_PACKAGES=(
  podman runc mmdebstrap uidmap slirp4netns fuse-overlayfs
  containernetworking-plugins catatonit netavark aardvark-dns
)

_aps_log() { printf 'podman-setup: %s\n' "$*" >&2; }
_aps_die() {
  printf 'podman-setup: ERROR: %s\n' "$*" >&2
  return 1
}

_aps_not_installed() {
  local pkg
  for pkg in "${APERTURE_PODMAN_PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) == installed ]] || printf '%s\n' "$pkg"
  done
}

# Not every Debian release has every package (netavark only from bookworm on): keep those apt knows.
_aps_available() {
  local pkg
  for pkg in "$@"; do
    apt-cache show --no-all-versions "$pkg" >/dev/null 2>&1 && printf '%s\n' "$pkg"
  done
  return 0
}

_aps_install_packages() {
  local missing available
  mapfile -t missing < <(_aps_not_installed)
  ((${#missing[@]} == 0)) && return 0
  mapfile -t available < <(_aps_available "${missing[@]}")
  # Package lists present (apt knows podman) and nothing installable is missing: nothing to do.
  if ((${#available[@]} == 0)) && apt-cache show --no-all-versions podman >/dev/null 2>&1; then
    return 0
  fi
  [[ ${APERTURE_SKIP_APT:-} == 1 ]] && _aps_die "missing packages (${missing[*]}) and APERTURE_SKIP_APT=1"
  ((EUID == 0)) || _aps_die "missing packages (${missing[*]}); run as root or: sudo apt-get install ${missing[*]}"
  _aps_log "apt-get update"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq || _aps_die "apt-get update failed"
  mapfile -t available < <(_aps_available "${missing[@]}")
  ((${#available[@]} == 0)) && _aps_die "none of ${missing[*]} is available from apt"
  _aps_log "installing: ${available[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${available[@]}" >/dev/null ||
    _aps_die "apt-get install ${available[*]} failed"
  command -v podman >/dev/null || _aps_die "podman is still not installed"
}

# systemd as PID 1 can own cgroups; anything else (containers, CI sandboxes, sysvinit) cannot.
_aps_cgroup_manager() {
  if [[ -d /run/systemd/system && $(cat /proc/1/comm 2>/dev/null) == systemd ]]; then
    echo systemd
  else
    echo cgroupfs
  fi
}

# Podman's rootful defaults (nofile=1048576, nproc=4194304) are above the hard limits of hosts
# where root lacks CAP_SYS_RESOURCE (CI sandboxes), and runc then fails with "error setting rlimit
# type 7" (nofile) or "type 6" (nproc). nofile: student programs need few files. nproc counts every
# process of a uid on the whole host (no user namespace), so it must not be small (processes per
# run are capped by --pids-limit instead); measured: podman runs with nproc lowered to
# kernel.pid_max (32768 here, below the shell's 96365), so take the smaller of the two.
_aps_ulimits() {
  local nproc pid_max
  nproc=$(ulimit -Hu)
  pid_max=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo "$nproc")
  if [[ $nproc == unlimited ]] || ((pid_max < nproc)); then nproc=$pid_max; fi
  echo "\"nofile=1024:1024\", \"nproc=$nproc:$nproc\""
}

# crun fails on hybrid cgroup v1 hosts (controllers under /sys/fs/cgroup/<name>); runc works on both.
_aps_containers_conf() {
  cat <<EOF
# Written by scripts/lib/podman-setup.sh (Aperture). Re-running the script rewrites it.
[containers]
# Podman's defaults exceed this host's hard limits (runc: "error setting rlimit"); see the script.
default_ulimits = [$(_aps_ulimits)]

[engine]
cgroup_manager = "$(_aps_cgroup_manager)"
runtime = "runc"
events_logger = "file"
EOF
}

_aps_write_conf() {
  local path=${APERTURE_CONTAINERS_CONF:-/etc/containers/containers.conf} want
  want=$(_aps_containers_conf)
  if [[ -f $path && $(cat "$path") == "$want" ]]; then
    return 0
  fi
  [[ -w $(dirname "$path") ]] || mkdir -p "$(dirname "$path")" 2>/dev/null ||
    _aps_die "cannot write $path; run as root"
  [[ -f $path ]] && cp "$path" "$path.bak.$(date +%s)"
  printf '%s\n' "$want" >"$path" || _aps_die "cannot write $path"
  _aps_log "wrote $path (cgroup_manager=$(_aps_cgroup_manager), runtime=runc)"
}

# One container under the same restrictions a student's run gets.
_aps_verify() {
  local ref=${APERTURE_BASE_IMAGE:-docker.io/library/debian:bookworm-slim} out
  if ! out=$(podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}}' 2>&1); then
    _aps_die "'podman info' failed: $out"
  fi
  [[ ${APERTURE_SKIP_BASE_IMAGE:-} == 1 ]] && return 0
  if ! out=$(podman run --rm --pull=never --network none --read-only \
    --tmpfs /work:rw,exec,size=8m,mode=1777 --cap-drop ALL --security-opt no-new-privileges \
    --user 1000:1000 --memory 64m --memory-swap 64m --pids-limit 16 \
    "$ref" sh -c 'cd /work && echo ok >f && cat f' 2>&1) || [[ $out != ok ]]; then
    _aps_die "test container (podman run ... $ref) failed: $out
  check: podman info; the runtime (runc) and cgroup manager in ${APERTURE_CONTAINERS_CONF:-/etc/containers/containers.conf}"
  fi
  _aps_log "ok: podman $(podman version --format '{{.Client.Version}}') ($out, runtime/cgroups: $(podman info --format '{{.Host.OCIRuntime.Name}}/{{.Host.CgroupManager}}'))"
}

aperture_podman_setup() (
  set -euo pipefail
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  _aps_install_packages
  _aps_write_conf
  if [[ ${APERTURE_SKIP_BASE_IMAGE:-} != 1 ]]; then
    bash "$here/base-image.sh"
  fi
  _aps_verify
)

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  aperture_podman_setup "$@"
fi
