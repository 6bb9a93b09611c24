// Command generate prints the Localhost seccomp profile of Aperture's run pods (ADR 0006): the
// RuntimeDefault profile containerd 1.6 gives a container without capabilities, computed by
// containerd's own code, with the namespace syscalls runlimit --isolate --userns needs added.
//
// Usage: go run . -arch amd64|arm64 (through ../generate.sh; see ../README.md).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/opencontainers/runtime-spec/specs-go"

	"aperture.local/deploy/seccomp/generate/containerddefault"
)

// namespaceSyscalls are allowed with no argument condition on top of RuntimeDefault. Without
// CAP_SYS_ADMIN, containerd's default allows clone only without CLONE_NEW* flags and none of the
// others; sethostname and setdomainname change only the execution's own UTS namespace.
var namespaceSyscalls = []string{
	"clone",
	"mount",
	"pivot_root",
	"setdomainname",
	"sethostname",
	"umount2",
	"unshare",
}

func main() {
	arch := flag.String("arch", "amd64", "GOARCH of the nodes the profile is for")
	flag.Parse()
	containerddefault.GOARCH = *arch

	// A run pod drops every capability (PodSecurity restricted): the bounding set is empty.
	spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{}}}
	profile := containerddefault.DefaultProfile(spec)
	if len(profile.Architectures) == 0 {
		fmt.Fprintf(os.Stderr, "containerd's default profile knows no architecture %q\n", *arch)
		os.Exit(2)
	}

	// The default's clone rule (no CLONE_NEW* flags) is replaced by an unconditional one.
	kept := profile.Syscalls[:0]
	for _, rule := range profile.Syscalls {
		if len(rule.Names) == 1 && rule.Names[0] == "clone" && rule.Action == specs.ActAllow {
			continue
		}
		for _, name := range rule.Names {
			for _, extra := range namespaceSyscalls {
				if name == extra && rule.Action == specs.ActAllow && len(rule.Args) == 0 {
					fmt.Fprintf(os.Stderr, "containerd's default already allows %s: update namespaceSyscalls\n", name)
					os.Exit(2)
				}
			}
		}
		kept = append(kept, rule)
	}
	profile.Syscalls = append(kept, specs.LinuxSyscall{
		Names:  namespaceSyscalls,
		Action: specs.ActAllow,
		Args:   []specs.LinuxSeccompArg{},
	})

	out, err := json.MarshalIndent(profile, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(append(out, '\n'))
}
