package linux_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

func TestPipeConstants(t *testing.T) {
	for _, c := range []struct {
		name         string
		ours, theirs int
	}{
		{"SPLICE_F_MOVE", linux.SPLICE_F_MOVE, unix.SPLICE_F_MOVE},
		{"SPLICE_F_NONBLOCK", linux.SPLICE_F_NONBLOCK, unix.SPLICE_F_NONBLOCK},
		{"SPLICE_F_MORE", linux.SPLICE_F_MORE, unix.SPLICE_F_MORE},
		{"SPLICE_F_GIFT", linux.SPLICE_F_GIFT, unix.SPLICE_F_GIFT},
		{"F_SETPIPE_SZ", linux.F_SETPIPE_SZ, unix.F_SETPIPE_SZ},
		{"F_GETPIPE_SZ", linux.F_GETPIPE_SZ, unix.F_GETPIPE_SZ},
		{"O_NOTIFICATION_PIPE", linux.O_NOTIFICATION_PIPE, unix.O_EXCL},
	} {
		if c.ours != c.theirs {
			t.Errorf("%s = %#x, x/sys has %#x", c.name, c.ours, c.theirs)
		}
	}
}
