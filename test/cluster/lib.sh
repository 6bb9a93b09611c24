# shellcheck shell=bash
# Shared settings and helpers for test/cluster/{build,up,down,env}. Sourced, never run.
#
# Versions: Kubernetes 1.34.x pairs with @kubernetes/client-node 1.4.x; etcd is the version
# k8s.io/kubernetes v1.34.10 itself requires (go.mod of this directory pins both).
K8S_VERSION=v1.34.10
ETCD_VERSION=v3.6.4
KWOK_VERSION=v0.7.0

CLUSTER_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
APERTURE_CACHE_ROOT=${APERTURE_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aperture/k8s}
# Binaries are cached outside the repository, keyed by version.
K8S_CACHE_DIR="$APERTURE_CACHE_ROOT/$K8S_VERSION"
K8S_BIN_DIR="$K8S_CACHE_DIR/bin"
# Go's own caches for these builds (kept next to the binaries so a cold build is really cold and
# `rm -rf ~/.cache/aperture/k8s` resets everything). Override with APERTURE_K8S_GOCACHE=shared
# to use the user's normal GOMODCACHE/GOCACHE instead.
K8S_GO_DIR="$APERTURE_CACHE_ROOT/go"
# Pointer to the most recently started cluster, for `down`/`env` without arguments.
K8S_CURRENT_FILE="$APERTURE_CACHE_ROOT/current"

CONTROL_PLANE_BINS=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)

log() { printf '[k8s %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  printf '[k8s] ERROR: %s\n' "$*" >&2
  exit 1
}

# A free TCP port on 127.0.0.1 (the kernel picks it; a tiny race with other programs remains).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Is $1 a live process (a zombie, i.e. exited but not yet reaped, counts as dead)?
pid_alive() {
  local pid=$1 state
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || true)
  [[ $state != Z && $state != X ]]
}

# Is $1 a live process started from one of our cached binaries (guards against PID reuse)?
pid_is_ours() {
  local pid=$1 expected=$2
  pid_alive "$pid" || return 1
  local exe
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  expected=$(readlink -f "$expected" 2>/dev/null || printf '%s' "$expected")
  [[ $exe == "$expected" || $exe == "$expected (deleted)" ]]
}

tail_log() {
  local name=$1 file=$2
  printf '[k8s] ---- last 30 lines of %s (%s) ----\n' "$name" "$file" >&2
  tail -n 30 "$file" >&2 2>/dev/null || true
  printf '[k8s] ---- end of %s log ----\n' "$name" >&2
}

# Resolve the cluster directory: explicit argument, $APERTURE_K8S_DIR, or the `current` pointer.
resolve_cluster_dir() {
  local dir=${1:-${APERTURE_K8S_DIR:-}}
  if [[ -z $dir && -f $K8S_CURRENT_FILE ]]; then dir=$(<"$K8S_CURRENT_FILE"); fi
  printf '%s' "$dir"
}
