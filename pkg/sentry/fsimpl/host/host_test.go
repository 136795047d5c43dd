package host

import (
	"os"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// fakeBlocker records BlockFD calls. Before waiting it runs onBlock (to
// make the FD ready, or not); if interrupt is set it returns EINTR-family
// ERESTARTSYS instead of waiting, as a task with a pending signal does.
type fakeBlocker struct {
	mu        sync.Mutex
	calls     []int16
	onBlock   func()
	interrupt bool
}

func (b *fakeBlocker) BlockFD(fd int, events int16) error {
	b.mu.Lock()
	b.calls = append(b.calls, events)
	b.mu.Unlock()
	if b.onBlock != nil {
		b.onBlock()
	}
	if b.interrupt {
		return linux.ERESTARTSYS
	}
	_, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: events}}, -1)
	return err
}

var _ vfs.Blocker = (*fakeBlocker)(nil)

func newPipe(t *testing.T) (r, w vfs.FileDescription, hr, hw int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	rf, err := NewFD(p[0])
	if err != nil {
		t.Fatal(err)
	}
	wf, err := NewFD(p[1])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rf.DecRef(); wf.DecRef() })
	return rf, wf, p[0], p[1]
}

func TestPipeReadBlocksThroughBlocker(t *testing.T) {
	r, w, _, _ := newPipe(t)
	b := &fakeBlocker{onBlock: func() {
		if n, err := w.Write(nil, []byte("late")); n != 4 || err != nil {
			t.Errorf("write from onBlock: %d %v", n, err)
		}
	}}
	buf := make([]byte, 16)
	n, err := r.Read(b, buf)
	if err != nil || string(buf[:n]) != "late" {
		t.Fatalf("Read = %d %v %q", n, err, buf[:n])
	}
	if len(b.calls) != 1 || b.calls[0] != unix.POLLIN {
		t.Fatalf("BlockFD calls = %v, want one POLLIN", b.calls)
	}
}

func TestPipeReadInterrupted(t *testing.T) {
	r, _, _, _ := newPipe(t)
	b := &fakeBlocker{interrupt: true}
	if _, err := r.Read(b, make([]byte, 4)); err != linux.ERESTARTSYS {
		t.Fatalf("interrupted Read = %v, want ERESTARTSYS", err)
	}
}

func TestNonblockingIsTheFilesOwn(t *testing.T) {
	r, w, hr, hw := newPipe(t)
	if err := r.SetStatusFlags(linux.O_NONBLOCK | linux.O_WRONLY); err != nil {
		t.Fatal(err)
	}
	if got := r.StatusFlags(); got&linux.O_ACCMODE != linux.O_RDONLY || got&linux.O_NONBLOCK == 0 {
		t.Fatalf("StatusFlags = %#o", got)
	}
	b := &fakeBlocker{}
	if _, err := r.Read(b, make([]byte, 4)); err != linux.EAGAIN {
		t.Fatalf("Read of empty non-blocking pipe = %v", err)
	}
	if len(b.calls) != 0 {
		t.Fatalf("non-blocking Read blocked")
	}
	for _, fd := range []int{hr, hw} {
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil {
			t.Fatal(err)
		}
		if fl&unix.O_NONBLOCK != 0 {
			t.Fatalf("host fd %d became non-blocking", fd)
		}
	}
	// A full pipe: a non-blocking write is partial, then EAGAIN.
	if err := w.SetStatusFlags(linux.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	size, err := w.(*fileDescription).PipeSize()
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, size+10000)
	n, err := w.Write(b, big)
	if err != nil || n <= 0 || n >= len(big) {
		t.Fatalf("non-blocking Write of %d bytes = %d %v", len(big), n, err)
	}
	if _, err := w.Write(b, big); err != linux.EAGAIN {
		t.Fatalf("Write to a full non-blocking pipe = %v", err)
	}
}

func TestHostNonblockingFDStillBlocksForTheApp(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[1])
	r, err := NewFD(p[0])
	if err != nil {
		t.Fatal(err)
	}
	defer r.DecRef()
	if r.StatusFlags()&linux.O_NONBLOCK == 0 {
		t.Fatalf("the initial view does not mirror the host's O_NONBLOCK")
	}
	r.SetStatusFlags(0)
	b := &fakeBlocker{onBlock: func() { unix.Write(p[1], []byte("x")) }}
	buf := make([]byte, 4)
	if n, err := r.Read(b, buf); n != 1 || err != nil {
		t.Fatalf("Read = %d %v", n, err)
	}
}

func TestStreamsHaveNoOffset(t *testing.T) {
	r, w, _, _ := newPipe(t)
	for name, err := range map[string]error{
		"Seek":   second(r.Seek(0, linux.SEEK_SET)),
		"PRead":  second(r.PRead(nil, make([]byte, 1), 0)),
		"PWrite": second(w.PWrite(nil, []byte{1}, 0)),
	} {
		if err != linux.ESPIPE {
			t.Errorf("%s on a pipe = %v, want ESPIPE", name, err)
		}
	}
	st, err := r.Stat()
	if err != nil || st.Mode&linux.S_IFMT != linux.S_IFIFO {
		t.Fatalf("Stat = %+v %v", st, err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestRegularFile(t *testing.T) {
	path := t.TempDir() + "/f"
	if err := os.WriteFile(path, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	hfd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFD(hfd)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	buf := make([]byte, 4)
	if n, err := f.PRead(nil, buf, 6); n != 4 || err != nil || string(buf) != "6789" {
		t.Fatalf("PRead = %d %v %q", n, err, buf)
	}
	if pos, err := f.Seek(-3, linux.SEEK_END); pos != 7 || err != nil {
		t.Fatalf("Seek = %d %v", pos, err)
	}
	if _, err := f.Seek(0, 42); err != linux.EINVAL {
		t.Fatalf("Seek with bad whence = %v", err)
	}
	if _, err := f.Seek(-100, linux.SEEK_SET); err != linux.EINVAL {
		t.Fatalf("Seek before the start = %v", err)
	}
	f.Seek(0, linux.SEEK_SET)
	if err := f.SetStatusFlags(linux.O_APPEND); err != nil {
		t.Fatal(err)
	}
	if n, err := f.Write(nil, []byte("ab")); n != 2 || err != nil {
		t.Fatalf("Write = %d %v", n, err)
	}
	if n, err := f.PWrite(nil, []byte("Z"), 0); n != 1 || err != nil {
		t.Fatalf("PWrite = %d %v", n, err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "Z123456789ab" {
		t.Fatalf("content %q", got)
	}
	st, err := f.Stat()
	if err != nil || st.Size != 12 || st.Mode&linux.S_IFMT != linux.S_IFREG || st.Nlink != 1 {
		t.Fatalf("Stat = %+v %v", st, err)
	}
	if _, err := f.Ioctl(&usermem.BytesIO{Bytes: make([]byte, 64)}, linux.TCGETS, 0); err != linux.ENOTTY {
		t.Fatalf("TCGETS on a file = %v", err)
	}
	if _, err := f.(*fileDescription).PipeSize(); err != linux.EBADF {
		t.Fatalf("PipeSize on a file = %v", err)
	}
}

func TestStatusFlagsFromHost(t *testing.T) {
	path := t.TempDir() + "/f"
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		open int
		want uint32
	}{
		{unix.O_RDONLY, linux.O_RDONLY | linux.O_LARGEFILE},
		{unix.O_WRONLY | unix.O_APPEND, linux.O_WRONLY | linux.O_APPEND | linux.O_LARGEFILE},
		{unix.O_RDWR | unix.O_NOATIME, linux.O_RDWR | linux.O_NOATIME | linux.O_LARGEFILE},
	} {
		hfd, err := unix.Open(path, tc.open|unix.O_CLOEXEC, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		f, err := NewFD(hfd)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.StatusFlags(); got != tc.want {
			t.Errorf("open flags %#o: StatusFlags %#o, want %#o", tc.open, got, tc.want)
		}
		f.DecRef()
	}
}

func TestLastDecRefClosesHostFD(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[1])
	f, err := NewFD(p[0])
	if err != nil {
		t.Fatal(err)
	}
	f.IncRef()
	f.DecRef()
	if _, err := unix.FcntlInt(uintptr(p[0]), unix.F_GETFD, 0); err != nil {
		t.Fatalf("host fd closed while referenced: %v", err)
	}
	f.DecRef()
	if _, err := unix.FcntlInt(uintptr(p[0]), unix.F_GETFD, 0); err != unix.EBADF {
		t.Fatalf("host fd still open after the last DecRef: %v", err)
	}
}

func TestNewFDBadFD(t *testing.T) {
	if _, err := NewFD(-1); err == nil {
		t.Fatal("NewFD(-1) succeeded")
	}
}

func TestPTY(t *testing.T) {
	master, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pty support here: open /dev/ptmx: %v", err)
	}
	defer unix.Close(master)
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(master, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := unix.Open("/dev/pts/"+strconv.Itoa(int(n)), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pty support here: open slave: %v", err)
	}
	f, err := NewFD(slave)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	if !f.(*fileDescription).IsTTY() {
		t.Fatal("pty slave is not a tty")
	}
	if _, err := f.Seek(0, linux.SEEK_CUR); err != linux.ESPIPE {
		t.Fatalf("Seek on a tty = %v", err)
	}
	mem := &usermem.BytesIO{Base: 0x1000, Bytes: make([]byte, 256)}
	if _, err := f.Ioctl(mem, linux.TCGETS, 0x1000); err != nil {
		t.Fatal(err)
	}
	// Raw mode: no echo, no line buffering.
	const lflagOff = 12
	lflag := uint32(mem.Bytes[lflagOff]) | uint32(mem.Bytes[lflagOff+1])<<8
	lflag &^= unix.ICANON | unix.ECHO
	mem.Bytes[lflagOff], mem.Bytes[lflagOff+1] = byte(lflag), byte(lflag>>8)
	if _, err := f.Ioctl(mem, linux.TCSETSF, 0x1000); err != nil {
		t.Fatal(err)
	}
	ht, err := unix.IoctlGetTermios(slave, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if ht.Lflag&(unix.ICANON|unix.ECHO) != 0 {
		t.Fatalf("TCSETSF did not reach the host: lflag %#o", ht.Lflag)
	}
	if _, err := f.Ioctl(mem, linux.TCGETS, 0x1000+250); err != linux.EFAULT {
		t.Fatalf("TCGETS past the end of memory = %v", err)
	}
	copy(mem.Bytes[64:], []byte{25, 0, 81, 0, 0, 0, 0, 0})
	if _, err := f.Ioctl(mem, linux.TIOCSWINSZ, 0x1000+64); err != nil {
		t.Fatal(err)
	}
	if ws, err := unix.IoctlGetWinsize(slave, unix.TIOCGWINSZ); err != nil || ws.Row != 25 || ws.Col != 81 {
		t.Fatalf("host winsize = %+v %v", ws, err)
	}
	// Data typed at the master reaches a blocked reader.
	b := &fakeBlocker{onBlock: func() { unix.Write(master, []byte("k")) }}
	buf := make([]byte, 8)
	if n, err := f.Read(b, buf); n != 1 || err != nil || buf[0] != 'k' {
		t.Fatalf("Read = %d %v %q", n, err, buf[:n])
	}
	if _, err := f.Ioctl(mem, linux.FIONREAD, 0x1000); err != nil || mem.Bytes[0] != 0 {
		t.Fatalf("FIONREAD = %v %d", err, mem.Bytes[0])
	}
	if n, err := f.Write(b, []byte("out")); n != 3 || err != nil {
		t.Fatalf("Write = %d %v", n, err)
	}
}
