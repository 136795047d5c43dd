package linux_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

func TestTTYConstants(t *testing.T) {
	for _, c := range []struct {
		name         string
		ours, theirs int
	}{
		{"TIOCSCTTY", linux.TIOCSCTTY, unix.TIOCSCTTY},
		{"TIOCNOTTY", linux.TIOCNOTTY, unix.TIOCNOTTY},
		{"TIOCSPGRP", linux.TIOCSPGRP, unix.TIOCSPGRP},
		{"TIOCGSID", linux.TIOCGSID, unix.TIOCGSID},
		{"ISIG", linux.ISIG, unix.ISIG},
		{"ICANON", linux.ICANON, unix.ICANON},
		{"ECHO", linux.ECHO, unix.ECHO},
		{"TOSTOP", linux.TOSTOP, unix.TOSTOP},
	} {
		if c.ours != c.theirs {
			t.Errorf("%s = %#x, x/sys has %#x", c.name, c.ours, c.theirs)
		}
	}
}
