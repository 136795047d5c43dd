package oci

// The process settings the sandbox applies, converted from the spec.

import (
	"fmt"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/runsc/control"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Capabilities converts a spec's process.capabilities (names such as
// "CAP_CHOWN") to the bit masks the sandbox applies; nil stays nil (the
// process keeps what its user gets by default). A name Linux does not
// know is an error naming its set.
func Capabilities(c *specs.LinuxCapabilities) (*control.Capabilities, error) {
	if c == nil {
		return nil, nil
	}
	var out control.Capabilities
	for _, set := range []struct {
		name  string
		names []string
		mask  *uint64
	}{
		{"bounding", c.Bounding, &out.Bounding},
		{"effective", c.Effective, &out.Effective},
		{"inheritable", c.Inheritable, &out.Inheritable},
		{"permitted", c.Permitted, &out.Permitted},
		{"ambient", c.Ambient, &out.Ambient},
	} {
		for _, name := range set.names {
			n, ok := linux.CapabilityByName(name)
			if !ok {
				return nil, fmt.Errorf("process.capabilities.%s: unknown capability %q", set.name, name)
			}
			*set.mask |= 1 << n
		}
	}
	return &out, nil
}

// Rlimits converts a spec's process.rlimits; an unknown type is an error.
func Rlimits(rs []specs.POSIXRlimit) ([]control.Rlimit, error) {
	var out []control.Rlimit
	for _, r := range rs {
		n, ok := RlimitNumber(r.Type)
		if !ok {
			return nil, fmt.Errorf("process.rlimits: unknown type %q", r.Type)
		}
		out = append(out, control.Rlimit{Resource: n, Cur: r.Soft, Max: r.Hard})
	}
	return out, nil
}
