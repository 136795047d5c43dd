package auth

import (
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

func bit(cap int) CapSet { return CapSet(1) << cap }

func TestSetCaps(t *testing.T) {
	full := Root()
	noSetpcap := Root()
	noSetpcap.Effective &^= bit(linux.CAP_SETPCAP)
	noSetpcap.Permitted &^= bit(linux.CAP_SETPCAP) | bit(linux.CAP_KILL)
	noSetpcap.Effective &^= bit(linux.CAP_KILL)
	smallBounding := Root()
	smallBounding.Bounding = bit(linux.CAP_CHOWN)
	for _, tc := range []struct {
		name           string
		c              *Credentials
		eff, perm, inh CapSet
		err            error
	}{
		{"same sets", full, AllCaps, AllCaps, 0, nil},
		{"drop effective", full, 0, AllCaps, 0, nil},
		{"drop permitted", full, 0, bit(linux.CAP_CHOWN), 0, nil},
		{"effective beyond permitted", full, bit(linux.CAP_KILL), bit(linux.CAP_CHOWN), 0, linux.EPERM},
		{"bits above CAP_LAST_CAP ignored", full, AllCaps | 1<<63, AllCaps | 1<<62, 0, nil},
		{"new permitted", noSetpcap, 0, noSetpcap.Permitted | bit(linux.CAP_KILL), 0, linux.EPERM},
		{"inheritable from permitted", noSetpcap, 0, noSetpcap.Permitted, bit(linux.CAP_CHOWN), nil},
		{"inheritable beyond permitted without CAP_SETPCAP", noSetpcap, 0, noSetpcap.Permitted, bit(linux.CAP_KILL), linux.EPERM},
		{"inheritable beyond permitted with CAP_SETPCAP", full, 0, bit(linux.CAP_SETPCAP), bit(linux.CAP_KILL), nil},
		{"inheritable outside the bounding set", smallBounding, AllCaps, AllCaps, bit(linux.CAP_KILL), linux.EPERM},
		{"inheritable inside the bounding set", smallBounding, AllCaps, AllCaps, bit(linux.CAP_CHOWN), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c.Fork()
			err := c.SetCaps(tc.eff, tc.perm, tc.inh)
			if err != tc.err {
				t.Fatalf("SetCaps: %v, want %v", err, tc.err)
			}
			want := tc.c
			if err == nil {
				want = &Credentials{Effective: tc.eff & AllCaps, Permitted: tc.perm & AllCaps, Inheritable: tc.inh}
			}
			if c.Effective != want.Effective || c.Permitted != want.Permitted || c.Inheritable != want.Inheritable {
				t.Errorf("sets %x/%x/%x, want %x/%x/%x", c.Effective, c.Permitted, c.Inheritable, want.Effective, want.Permitted, want.Inheritable)
			}
		})
	}
}

func TestSetUIDCaps(t *testing.T) {
	for _, tc := range []struct {
		name      string
		keepCaps  bool
		r, e, s   uint32
		eff, perm CapSet
	}{
		{"all non-zero", false, 1000, 1000, 1000, 0, 0},
		{"all non-zero, keepcaps", true, 1000, 1000, 1000, 0, AllCaps},
		{"effective non-zero", false, NoID, 1000, NoID, 0, AllCaps},
		{"saved zero remains", false, 1000, 1000, NoID, 0, AllCaps},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Root()
			if tc.keepCaps {
				c.Securebits = 1 << linux.SECURE_KEEP_CAPS
			}
			if err := c.SetResUID(tc.r, tc.e, tc.s); err != nil {
				t.Fatal(err)
			}
			if c.Effective != tc.eff || c.Permitted != tc.perm {
				t.Errorf("effective %x permitted %x, want %x %x", c.Effective, c.Permitted, tc.eff, tc.perm)
			}
		})
	}
	// Back to effective uid 0: the permitted set becomes effective.
	c := Root()
	if err := c.SetResUID(NoID, 1000, NoID); err != nil {
		t.Fatal(err)
	}
	if err := c.SetResUID(NoID, 0, NoID); err != nil {
		t.Fatal(err)
	}
	if c.Effective != AllCaps {
		t.Errorf("effective %x after seteuid(0), want all", c.Effective)
	}
}

func TestDropBounding(t *testing.T) {
	c := Root()
	if err := c.DropBounding(linux.CAP_KILL); err != nil {
		t.Fatal(err)
	}
	if c.Bounding.Has(linux.CAP_KILL) || !c.Bounding.Has(linux.CAP_CHOWN) {
		t.Errorf("bounding set %x after dropping CAP_KILL", c.Bounding)
	}
	if !c.Permitted.Has(linux.CAP_KILL) {
		t.Errorf("dropping from the bounding set changed the permitted set")
	}
	for _, cap := range []int{-1, linux.CAP_LAST_CAP + 1} {
		if err := c.DropBounding(cap); err != linux.EINVAL {
			t.Errorf("DropBounding(%d): %v, want EINVAL", cap, err)
		}
	}
	c.Effective &^= bit(linux.CAP_SETPCAP)
	if err := c.DropBounding(linux.CAP_CHOWN); err != linux.EPERM {
		t.Errorf("DropBounding without CAP_SETPCAP: %v, want EPERM", err)
	}
}
