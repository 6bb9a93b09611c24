# shellcheck shell=bash
# Tier B: one real node (kubelet + containerd + runc + CNI bridge) joined to the cluster `up` just
# started. Sourced by `up --real-node`, which provides: dir, bin, pki, server, timeout_s and the
# functions start, wait_ready, gen_cert, write_kubeconfig, log, die.
#
# Needs root, Debian's containerd/runc/containernetworking-plugins/buildah/gcc (installed when
# missing), overlayfs, and the runner and lab images in Podman (scripts/build-images.sh). Images reach
# containerd without any registry: `podman save` → `ctr -n k8s.io images import`. The pause image
# is our own: pause.c from the k8s.io/kubernetes module, compiled statically, put in a scratch
# image with buildah.

REAL_NODE_NAME=${APERTURE_K8S_REAL_NODE_NAME:-aperture-real-node}
PAUSE_IMAGE=localhost/aperture/pause:3.10.1
# Images the real node gets (env APERTURE_K8S_NODE_IMAGES, space-separated Podman references): the
# runner images, and the lab images the lab provisioner's Tier B tests run (terminal, port-forward).
NODE_IMAGES=${APERTURE_K8S_NODE_IMAGES:-$(printf "localhost/aperture/runner-%s:latest " python c cpp java javascript bash)$(printf "localhost/aperture/lab-%s:latest " shell nginx postgres desktop)}
CNI_BRIDGE=apk8s0
CNI_SUBNET=10.85.0.0/24

# Checks (and, as root, installs from Debian) what a real node needs. Sets REAL_NODE_MISSING to a
# readable list and fails when something cannot be provided.
REAL_NODE_MISSING=
real_node_preflight() {
  local missing=() pkgs=()
  if [[ $(id -u) != 0 ]]; then
    REAL_NODE_MISSING="root (kubelet and containerd manage mounts, cgroups and network namespaces)"
    return 1
  fi
  command -v containerd >/dev/null && command -v ctr >/dev/null && command -v containerd-shim-runc-v2 >/dev/null ||
    pkgs+=(containerd)
  command -v runc >/dev/null || pkgs+=(runc)
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] || pkgs+=(containernetworking-plugins)
  command -v buildah >/dev/null || pkgs+=(buildah)
  command -v gcc >/dev/null && [[ -f /usr/lib/x86_64-linux-gnu/libc.a || -f /usr/lib/aarch64-linux-gnu/libc.a ]] ||
    pkgs+=(gcc libc6-dev)
  command -v ip >/dev/null || pkgs+=(iproute2)
  if ((${#pkgs[@]})); then
    log "Tier B: installing missing Debian packages: ${pkgs[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}" >&2 ||
      missing+=("Debian packages ${pkgs[*]} (apt-get install failed)")
  fi
  command -v podman >/dev/null || missing+=("podman (the runner images are built into Podman by scripts/build-images.sh)")
  grep -qw overlay /proc/filesystems || missing+=("overlayfs in the kernel (containerd's snapshotter)")
  [[ -d /sys/fs/cgroup/memory || -f /sys/fs/cgroup/cgroup.controllers ]] || missing+=("a cgroup v1 memory controller or cgroup v2")
  local ref
  if command -v podman >/dev/null; then
    for ref in $NODE_IMAGES; do
      podman image exists "$ref" 2>/dev/null || missing+=("image $ref in Podman (run scripts/build-images.sh)")
    done
  fi
  # One real node per machine: the bridge, /kubepods cgroups and runc's state dir are per host.
  local owner
  owner=$(cat "$APERTURE_CACHE_ROOT/real-node.owner" 2>/dev/null || true)
  if [[ -n $owner && -f $owner/pids/kubelet ]] && pid_alive "$(<"$owner/pids/kubelet")"; then
    missing+=("a free real-node slot (the cluster in $owner runs one; one per machine)")
  fi
  if ((${#missing[@]})); then
    REAL_NODE_MISSING=$(printf '%s; ' "${missing[@]}")
    REAL_NODE_MISSING=${REAL_NODE_MISSING%; }
    return 1
  fi
}

# A non-loopback IPv4 address of this host: kubelet refuses a loopback node IP.
real_node_ip() {
  local ip
  ip=$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -n1)
  [[ -n $ip ]] || ip=$(ip -4 -o addr show scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
  [[ -n $ip ]] || die "Tier B: this host has no non-loopback IPv4 address for the node (kubelet refuses 127.0.0.1)"
  printf '%s' "$ip"
}

# The pause image as a docker-archive, built once per version into the cache.
real_node_pause_tar() {
  local out=$K8S_CACHE_DIR/images/pause-3.10.1.tar
  [[ -s $out ]] && {
    printf '%s' "$out"
    return
  }
  mkdir -p "$K8S_CACHE_DIR/images"
  local modcache src work c
  if [[ ${APERTURE_K8S_GOCACHE:-} == shared ]]; then modcache=$(go env GOMODCACHE); else modcache=$K8S_GO_DIR/mod; fi
  src=$modcache/k8s.io/kubernetes@$K8S_VERSION/build/pause/linux/pause.c
  if [[ ! -f $src ]]; then
    (cd "$CLUSTER_SRC_DIR" && GOMODCACHE=$modcache GOFLAGS=-mod=mod GOTOOLCHAIN=local go mod download k8s.io/kubernetes) >&2
  fi
  [[ -f $src ]] || die "Tier B: pause.c not found at $src"
  work=$(mktemp -d)
  log "Tier B: building the pause image from $src"
  gcc -Os -Wall -static -DVERSION="\"3.10.1-aperture\"" -o "$work/pause" "$src" >&2 || die "Tier B: compiling pause.c failed"
  c=$(buildah from scratch)
  buildah copy "$c" "$work/pause" /pause >/dev/null
  buildah config --entrypoint '["/pause"]' --user 65535:65535 "$c"
  buildah commit -q "$c" "$PAUSE_IMAGE" >/dev/null
  buildah rm "$c" >/dev/null
  rm -f "$out.tmp"
  buildah push -q "$PAUSE_IMAGE" "docker-archive:$out.tmp:$PAUSE_IMAGE" >&2 || die "Tier B: saving the pause image failed"
  mv "$out.tmp" "$out"
  rm -rf "$work"
  printf '%s' "$out"
}

# A Podman image as a docker-archive, cached by image id.
real_node_image_tar() {
  local ref=$1 id out
  id=$(podman image inspect --format '{{.Id}}' "$ref") || die "Tier B: image $ref not in Podman"
  out=$K8S_CACHE_DIR/images/$(printf '%s' "$ref" | tr '/:' '__')-${id:0:12}.tar
  if [[ ! -s $out ]]; then
    mkdir -p "$K8S_CACHE_DIR/images"
    rm -f "$K8S_CACHE_DIR/images/$(printf '%s' "$ref" | tr '/:' '__')"-*.tar
    log "Tier B: podman save $ref"
    podman save -q --format docker-archive -o "$out.tmp" "$ref" >&2 || die "Tier B: podman save $ref failed"
    mv "$out.tmp" "$out"
  fi
  printf '%s' "$out"
}

# A registry pull leaves containerd both `name:tag` and `name@sha256:<manifest>`; an import only the
# tag. Without the digest reference the kubelet reports a bare image id (no repo digest), which no
# `image@sha256:…` pin can name: the lab checkpoint (resolveImageDigests) needs what a pull gives.
real_node_digest_ref() {
  local sock=$1 ref=$2 digest
  digest=$(ctr --address "$sock" -n k8s.io images ls | awk -v r="$ref" '$1 == r { print $3 }')
  [[ $digest == sha256:* ]] || die "Tier B: no manifest digest for $ref after the import"
  ctr --address "$sock" -n k8s.io images tag --force "$ref" "${ref%:*}@$digest" >/dev/null ||
    die "Tier B: tagging $ref as ${ref%:*}@$digest failed"
}

# Can this process lower its oom_score_adj? Not without CAP_SYS_RESOURCE, which some sandboxed
# hosts (this CI VM among them) drop from root's bounding set.
can_lower_oom_score() {
  local cur
  cur=$(</proc/self/oom_score_adj)
  (echo $((cur - 1)) >/proc/self/oom_score_adj) 2>/dev/null
}

# kubelet asks for oom_score_adj -998 for every pod sandbox (and -997 for Guaranteed pods); runc
# fails with "can't get final child's PID from pipe: EOF" when it may not lower the value. Where
# that is the case, containerd runs runc through this wrapper, which raises any oomScoreAdj below
# zero to our own (0 here) in the bundle's config.json. Written per cluster, never committed.
write_runc_wrapper() {
  local out=$1 runc floor
  runc=$(command -v runc)
  floor=$(</proc/self/oom_score_adj)
  {
    printf '#!/usr/bin/env bash\n'
    printf '# Generated by test/cluster/real-node.sh: oomScoreAdj >= %s (no CAP_SYS_RESOURCE here).\n' "$floor"
    cat <<'EOF'
bundle='' prev=''
for a in "$@"; do
  [[ $prev == --bundle || $prev == -b ]] && bundle=$a
  [[ $a == --bundle=* ]] && bundle=${a#--bundle=}
  prev=$a
done
EOF
    printf 'if [[ -n $bundle && -f $bundle/config.json ]]; then\n'
    printf '  sed -i -E '\''s/"oomScoreAdj":-[0-9]+/"oomScoreAdj":%s/'\'' "$bundle/config.json"\n' "$floor"
    printf 'fi\nexec %s "$@"\n' "$runc"
  } >"$out"
  chmod 755 "$out"
}

# Installs deploy/seccomp's run profile where the kubelet with --root-dir=$1 looks for
# `localhostProfile: aperture/runner.json`, as an operator does on every runner node.
real_node_install_seccomp() {
  local root=$1 src
  case $(uname -m) in
  x86_64) src=$CLUSTER_SRC_DIR/../../deploy/seccomp/aperture-runner.json ;;
  aarch64) src=$CLUSTER_SRC_DIR/../../deploy/seccomp/aperture-runner.arm64.json ;;
  *) die "Tier B: deploy/seccomp has no run profile for $(uname -m)" ;;
  esac
  [[ -f $src ]] || die "Tier B: $src is missing"
  mkdir -p "$root/seccomp/aperture"
  install -m 0644 "$src" "$root/seccomp/aperture/runner.json"
}

real_node_up() {
  local node_ip kubelet_port healthz_port stream_port sock cdir kdir
  printf '%s\n' "$dir" >"$APERTURE_CACHE_ROOT/real-node.owner"
  node_ip=$(real_node_ip)
  kubelet_port=$(free_port)
  healthz_port=$(free_port)
  stream_port=$(free_port)
  cdir=$dir/containerd
  kdir=$dir/kubelet
  sock=$cdir/containerd.sock
  mkdir -p "$cdir/root" "$cdir/state" "$dir/cni/net.d" "$dir/cni/ipam" "$kdir/root" "$kdir/pki"
  printf 'kubelet=%s\nkubelet-healthz=%s\ncontainerd-stream=%s\n' "$kubelet_port" "$healthz_port" "$stream_port" >>"$dir/ports"

  # -- CNI: a bridge of our own with host-local IPAM, state kept in the cluster dir.
  cat >"$dir/cni/net.d/10-aperture.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "aperture-k8s",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$dir/cni/ipam",
        "ranges": [[{ "subnet": "$CNI_SUBNET" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    }
  ]
}
EOF
  ip link show "$CNI_BRIDGE" >/dev/null 2>&1 || : >"$dir/created-bridge"

  local runc_binary
  runc_binary=$(command -v runc)
  if ! can_lower_oom_score; then
    mkdir -p "$dir/bin"
    write_runc_wrapper "$dir/bin/runc"
    runc_binary=$dir/bin/runc
    log "Tier B: this root cannot lower oom_score_adj (no CAP_SYS_RESOURCE); runc goes through $runc_binary"
  fi

  # -- containerd: private root, state, socket and config; runc via the v2 shim; cgroupfs.
  cat >"$cdir/config.toml" <<EOF
version = 2
root = "$cdir/root"
state = "$cdir/state"
[grpc]
  address = "$sock"
[ttrpc]
  address = "$cdir/containerd-ttrpc.sock"
[debug]
  address = "$cdir/debug.sock"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$cdir/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "$stream_port"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$runc_binary"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/net.d"
EOF
  printf '%s\n' "$sock" >"$dir/containerd-address"
  start containerd "$(command -v containerd)" --config "$cdir/config.toml" --log-level warn
  wait_ready containerd ctr --address "$sock" version

  local tar ref
  tar=$(real_node_pause_tar)
  ctr --address "$sock" -n k8s.io images import "$tar" >/dev/null 2>"$dir/logs/ctr-import.log" || {
    cat "$dir/logs/ctr-import.log" >&2
    die "Tier B: ctr images import of the pause image failed"
  }
  for ref in $NODE_IMAGES; do
    tar=$(real_node_image_tar "$ref")
    log "Tier B: importing $ref into containerd"
    ctr --address "$sock" -n k8s.io images import "$tar" >/dev/null 2>"$dir/logs/ctr-import.log" || {
      cat "$dir/logs/ctr-import.log" >&2
      die "Tier B: ctr images import of $ref failed"
    }
    real_node_digest_ref "$sock" "$ref"
  done

  # -- The Localhost seccomp profile of isolated run pods (ADR 0006, deploy/seccomp/README.md):
  # kubelet reads `<--root-dir>/seccomp/<localhostProfile>`, so runs that ask for
  # `aperture/runner.json` get deploy/seccomp's profile for this machine's architecture.
  real_node_install_seccomp "$kdir/root"

  # -- kubelet: client cert as system:node:<name>; webhook authn/authz; relaxed GC and eviction.
  gen_cert kubelet "/O=system:nodes/CN=system:node:$REAL_NODE_NAME" clientAuth
  write_kubeconfig "$kdir/kubelet.kubeconfig" kubelet "system:node:$REAL_NODE_NAME"
  cat >"$kdir/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
port: $kubelet_port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $healthz_port
containerRuntimeEndpoint: unix://$sock
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
oomScoreAdj: $(</proc/self/oom_score_adj)
registerWithTaints:
- {key: aperture.dev/real-node, value: "true", effect: NoSchedule}
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
resolvConf: /etc/resolv.conf
podLogsDir: $kdir/pod-logs
registerNode: true
serializeImagePulls: false
# Kubernetes has no per-pod pids limit in the pod spec: the kubelet's podPidsLimit is what stops a
# fork bomb in a run pod (the Podman sandbox gets --pids-limit). Operators set it on runner nodes.
podPidsLimit: 512
EOF
  start kubelet "$bin/kubelet" \
    --config="$kdir/config.yaml" --kubeconfig="$kdir/kubelet.kubeconfig" \
    --hostname-override="$REAL_NODE_NAME" --node-ip="$node_ip" \
    --root-dir="$kdir/root" --cert-dir="$kdir/pki" \
    --node-labels=aperture.dev/node-kind=real
  wait_ready kubelet curl -sf --max-time 5 "http://127.0.0.1:$healthz_port/healthz"
  # `kubectl wait` fails at once with NotFound while the kubelet has not registered the node yet
  # (healthz answers before that; on a loaded machine, seconds before): wait for the object first.
  local registered_by=$((SECONDS + timeout_s))
  until KUBECONFIG=$dir/admin.kubeconfig kubectl get "node/$REAL_NODE_NAME" >/dev/null 2>&1; do
    ((SECONDS < registered_by)) || break
    sleep 0.5
  done
  if ! KUBECONFIG=$dir/admin.kubeconfig kubectl wait --for=condition=Ready "node/$REAL_NODE_NAME" \
    --timeout="${timeout_s}s" >/dev/null 2>>"$dir/logs/kubectl.log"; then
    KUBECONFIG=$dir/admin.kubeconfig kubectl describe "node/$REAL_NODE_NAME" >&2 || true
    tail_log kubelet "$dir/logs/kubelet.log"
    die "Tier B: node $REAL_NODE_NAME did not become Ready"
  fi
  log "Tier B: real node $REAL_NODE_NAME Ready ($node_ip:$kubelet_port)"
}
