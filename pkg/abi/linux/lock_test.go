package linux_test

import (
	"math"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// TestLockConstants checks lock.go against x/sys where x/sys has the
// value.
func TestLockConstants(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uint64
	}{
		{"LOCK_SH", linux.LOCK_SH, unix.LOCK_SH},
		{"LOCK_EX", linux.LOCK_EX, unix.LOCK_EX},
		{"LOCK_NB", linux.LOCK_NB, unix.LOCK_NB},
		{"LOCK_UN", linux.LOCK_UN, unix.LOCK_UN},
		{"OFFSET_MAX", linux.OFFSET_MAX, math.MaxInt64},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}
