package linux_test

import (
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

func TestCapabilityNames(t *testing.T) {
	for _, c := range []struct {
		name string
		num  int
	}{
		{"CAP_CHOWN", linux.CAP_CHOWN},
		{"CAP_NET_BROADCAST", linux.CAP_NET_BROADCAST},
		{"CAP_SYS_ADMIN", linux.CAP_SYS_ADMIN},
		{"CAP_SETFCAP", linux.CAP_SETFCAP},
		{"CAP_CHECKPOINT_RESTORE", linux.CAP_CHECKPOINT_RESTORE},
	} {
		if n, ok := linux.CapabilityByName(c.name); !ok || n != c.num {
			t.Errorf("CapabilityByName(%q) = %d, %v; want %d", c.name, n, ok, c.num)
		}
		if got := linux.CapabilityName(c.num); got != c.name {
			t.Errorf("CapabilityName(%d) = %q, want %q", c.num, got, c.name)
		}
	}
	for i := 0; i <= linux.CAP_LAST_CAP; i++ {
		if n, ok := linux.CapabilityByName(linux.CapabilityName(i)); !ok || n != i {
			t.Errorf("capability %d: name %q does not map back", i, linux.CapabilityName(i))
		}
	}
	for _, bad := range []string{"", "CAP_FOO", "cap_chown", "SYS_ADMIN"} {
		if _, ok := linux.CapabilityByName(bad); ok {
			t.Errorf("CapabilityByName(%q) found a capability", bad)
		}
	}
	if linux.CapabilityName(linux.CAP_LAST_CAP+1) != "" || linux.CapabilityName(-1) != "" {
		t.Errorf("CapabilityName out of range is not empty")
	}
}
