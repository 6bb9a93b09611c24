// Generates deploy/seccomp/aperture-runner*.json from containerd's own default seccomp profile
// (contrib/seccomp, the RuntimeDefault of containerd 1.6) plus what per-execution namespaces need.
// Run through ../generate.sh, which adds containerd's seccomp_default.go (patched to take the
// architecture as a variable) as the package ./containerddefault before `go run`.
module aperture.local/deploy/seccomp/generate

go 1.24.0

require github.com/containerd/containerd v1.6.20
