package boot

import (
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/platform/ptrace"
)

// tmpFD returns a nameless regular file, as runsc/filestore makes.
func tmpFD(t *testing.T) int {
	t.Helper()
	fd, err := unix.Open(t.TempDir(), unix.O_RDWR|unix.O_TMPFILE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

func TestOverlayMemoryFile(t *testing.T) {
	mf, err := pgalloc.New("boot-test", 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	p, err := ptrace.New(mf.FD())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	// Without a filestore (also an Args that never set the field), the
	// overlay uses the main memory file.
	for _, fd := range []int{-1, 0} {
		got, err := OverlayMemoryFile(p, Args{FilestoreFD: fd}, mf)
		if err != nil || got != mf {
			t.Errorf("FilestoreFD %d: OverlayMemoryFile = %p, %v; want the main memory file", fd, got, err)
		}
	}

	args := Args{FilestoreFD: tmpFD(t)}
	fmf, err := OverlayMemoryFile(p, args, mf)
	if err != nil {
		t.Fatalf("OverlayMemoryFile: %v", err)
	}
	if fmf == mf || !fmf.OnDisk() || fmf.FD() != args.FilestoreFD {
		t.Fatalf("OverlayMemoryFile = fd %d (on disk %v), want a memory file over fd %d", fmf.FD(), fmf.OnDisk(), args.FilestoreFD)
	}
	if again, err := OverlayMemoryFile(p, args, mf); err != nil || again != fmf {
		t.Errorf("second call = %p, %v; want the same memory file %p", again, err, fmf)
	}
	// Address spaces created now can map its pages.
	off, err := fmf.Allocate(4096)
	if err != nil {
		t.Fatal(err)
	}
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer as.Release()
	if err := as.MapFile(0x600000, fmf.FD(), off, 4096, platform.Prot{Read: true, Write: true}); err != nil {
		t.Errorf("an address space cannot map the filestore: %v", err)
	}
}

// noAdder is a platform that can map only its own memory file.
type noAdder struct{ platform.Platform }

func (noAdder) Name() string { return "fake" }

// adder is a platform that takes added files, or refuses them with err.
type adder struct {
	noAdder
	err error
}

func (a adder) AddMemoryFile(int) error { return a.err }

func TestOverlayMemoryFileErrors(t *testing.T) {
	mf, err := pgalloc.New("boot-test", 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	var pipe [2]int
	if err := unix.Pipe2(pipe[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pipe[1])
	for _, tc := range []struct {
		name string
		p    platform.Platform
		fd   int
	}{
		{"platform cannot map a second file", noAdder{}, tmpFD(t)},
		{"platform refuses the file", adder{err: unix.EMFILE}, tmpFD(t)},
		{"not a regular file", adder{}, pipe[0]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := OverlayMemoryFile(tc.p, Args{FilestoreFD: tc.fd}, mf)
			if err == nil {
				t.Fatalf("OverlayMemoryFile = %p, nil; want an error", got)
			}
			// It took the FD: it is closed, and a second call does
			// not touch whatever may reuse the number.
			if _, err := unix.FcntlInt(uintptr(tc.fd), unix.F_GETFD, 0); err != unix.EBADF {
				t.Errorf("the filestore FD is still open after the failure (%v)", err)
			}
			if _, err2 := OverlayMemoryFile(tc.p, Args{FilestoreFD: tc.fd}, mf); err2 == nil {
				t.Error("a second call succeeded")
			}
		})
	}
}
