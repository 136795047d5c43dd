package mm

import (
	"testing"
)

func TestGrowStack(t *testing.T) {
	const top = 0x7fff_f000_0000
	for _, tc := range []struct {
		name string
		// below, if non-zero, is the end of an accessible mapping
		// below the stack.
		below uint64
		addr  uint64
		limit uint64
		grows bool
	}{
		{"within the limit", 0, top - 4*page - 8, 8 * page, true},
		{"exactly at the limit", 0, top - 8*page, 8 * page, true},
		{"past the limit", 0, top - 8*page - 1, 8 * page, false},
		{"guard gap kept", top - 4*page - StackGuardGap - 8*page, top - 4*page - page, 64 * page, true},
		{"inside the guard gap", top - 4*page - StackGuardGap, top - 4*page - page, 1 << 30, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, _ := newTestMM(t)
			if _, err := m.MapAnonymous(top-2*page, 2*page, protRW, true, true); err != nil {
				t.Fatal(err)
			}
			if tc.below != 0 {
				if _, err := m.MapAnonymous(tc.below-page, page, protRW, true, false); err != nil {
					t.Fatal(err)
				}
			}
			if got := m.GrowStack(tc.addr, tc.limit); got != tc.grows {
				t.Fatalf("GrowStack(%#x) = %v, want %v", tc.addr, got, tc.grows)
			}
			m.mu.RLock()
			v := m.lookup(tc.addr)
			m.mu.RUnlock()
			if (v != nil) != tc.grows {
				t.Fatalf("address %#x mapped: %v, want %v", tc.addr, v != nil, tc.grows)
			}
			if v != nil && (!v.growsDown || !v.prot.Write) {
				t.Errorf("grown part is not a writable stack: %+v", v)
			}
		})
	}
	// An address below a mapping that is not a stack does not grow it.
	m, _, _ := newTestMM(t)
	if _, err := m.MapAnonymous(top-2*page, 2*page, protRW, true, false); err != nil {
		t.Fatal(err)
	}
	if m.GrowStack(top-3*page, 1<<30) {
		t.Errorf("a mapping that does not grow down grew")
	}
}
