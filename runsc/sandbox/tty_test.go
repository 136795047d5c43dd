package sandbox

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// TestForegroundTerminalNeedsOwnTerminal: pipes, /dev/null and a terminal
// that is not the test's controlling terminal are not terminals runsc is
// in the foreground of. (That it finds its own is checked end to end:
// test/e2e/tty_test.go.)
func TestForegroundTerminalNeedsOwnTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	files := []*os.File{nil, r, w, null}
	if m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0); err == nil {
		defer unix.Close(m)
		if unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0) == nil {
			if n, err := unix.IoctlGetUint32(m, unix.TIOCGPTN); err == nil {
				if s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|unix.O_NOCTTY, 0); err == nil {
					defer s.Close()
					if !IsTerminal(int(s.Fd())) {
						t.Errorf("IsTerminal(pty slave) = false")
					}
					files = append(files, s)
				}
			}
		}
	}
	if f := ForegroundTerminal(files...); f != nil {
		t.Errorf("ForegroundTerminal = %s, want none", f.Name())
	}
	if IsTerminal(int(null.Fd())) || IsTerminal(int(r.Fd())) {
		t.Errorf("IsTerminal of /dev/null or a pipe = true")
	}
}
