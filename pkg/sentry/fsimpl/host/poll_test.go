package host

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// newTestFD wraps a host FD for the test; the file closes it.
func newTestFD(t *testing.T, hostFD int) *fileDescription {
	t.Helper()
	f, err := NewFD(hostFD)
	if err != nil {
		t.Fatal(err)
	}
	return f.(*fileDescription)
}

func TestPollable(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	null, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/f"
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	reg, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		fd   int
		want bool
	}{
		{"pipe read end", p[0], true},
		{"pipe write end", p[1], true},
		{"/dev/null", null, false},
		{"regular file", reg, false},
	} {
		f := newTestFD(t, c.fd)
		if got := f.Pollable(); got != c.want {
			t.Errorf("%s: Pollable = %v, want %v", c.name, got, c.want)
		}
		f.DecRef()
	}
}

func TestReadinessAndRelease(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r, w := newTestFD(t, p[0]), newTestFD(t, p[1])
	defer w.DecRef()
	const all = linux.EPOLLIN | linux.EPOLLOUT | linux.EPOLLERR | linux.EPOLLHUP
	if got := r.Readiness(all); got != 0 {
		t.Errorf("empty pipe read end: readiness %#x, want 0", got)
	}
	if got := w.Readiness(all); got != linux.EPOLLOUT {
		t.Errorf("pipe write end: readiness %#x, want EPOLLOUT", got)
	}
	if _, err := unix.Write(p[1], []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got := r.Readiness(all); got != linux.EPOLLIN {
		t.Errorf("pipe with data: readiness %#x, want EPOLLIN", got)
	}
	if got := r.Readiness(linux.EPOLLOUT); got != 0 {
		t.Errorf("masked readiness %#x, want 0", got)
	}
	if !r.NeedsRepoll() || r.Released() {
		t.Errorf("live host file: NeedsRepoll %v Released %v", r.NeedsRepoll(), r.Released())
	}
	r.DecRef()
	if !r.Released() || r.Readiness(all) != 0 {
		t.Errorf("released host file: Released %v, readiness %#x", r.Released(), r.Readiness(all))
	}
	// The writer now sees the hang-up of the read end.
	if got := w.Readiness(linux.EPOLLOUT | linux.EPOLLERR | linux.EPOLLHUP); got&linux.EPOLLERR == 0 {
		t.Errorf("pipe without reader: readiness %#x, want EPOLLERR", got)
	}
}
