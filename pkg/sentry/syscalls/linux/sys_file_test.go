package linux

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"reflect"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/host"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/mm"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform"
)

// The tests run handlers on a real Task whose platform never runs
// application code: memory is the memory file, reached through mm.

const (
	testMaxAddr = 0x7ffffffff000
	rwBase      = 0x10000000 // 1 MiB read-write
	rwSize      = 1 << 20
	roBase      = 0x20000000 // one read-only page
	badAddr     = 0x30000000 // unmapped
)

type fakePlatform struct{}

func (fakePlatform) Name() string                                    { return "fake" }
func (fakePlatform) NewAddressSpace() (platform.AddressSpace, error) { return fakeAS{}, nil }
func (fakePlatform) NewContext() platform.Context                    { return &fakeContext{} }
func (fakePlatform) MaxUserAddress() uint64                          { return testMaxAddr }

type fakeAS struct{}

func (fakeAS) MapFile(uint64, int, uint64, uint64, platform.Prot) error { return nil }
func (fakeAS) Unmap(uint64, uint64) error                               { return nil }
func (fakeAS) Protect(uint64, uint64, platform.Prot) error              { return nil }
func (fakeAS) Release()                                                 {}

type fakeContext struct{ cpu atomic.Int64 }

func (c *fakeContext) Switch(platform.AddressSpace, *linux.PtraceRegs) (platform.Event, *linux.SignalInfo, error) {
	return 0, nil, errors.New("fake context cannot run code")
}
func (c *fakeContext) Interrupt()                  {}
func (c *fakeContext) LastTrap() platform.TrapInfo { return platform.TrapInfo{} }
func (c *fakeContext) FPState() ([]byte, error)    { return nil, nil }
func (c *fakeContext) SetFPState(s []byte) error   { return nil }
func (c *fakeContext) CPUTime() int64              { return c.cpu.Load() }
func (c *fakeContext) Release()                    {}

// newTestTask returns a task with rwBase mapped read-write and roBase
// read-only, and an empty FD table.
func newTestTask(t *testing.T) *kernel.Task {
	t.Helper()
	mf, err := pgalloc.New("sys-test", 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mf.Close)
	m := mm.New(mf, fakeAS{}, mm.Layout{MaxAddr: testMaxAddr, StackTop: 0x7ff000000000, MmapBase: 0x7f0000000000, PIEBase: 0x555555554000})
	rw := platform.Prot{Read: true, Write: true}
	if _, err := m.MMap(mm.MMapOpts{Addr: rwBase, Length: rwSize, Prot: rw, Fixed: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.MMap(mm.MMapOpts{Addr: roBase, Length: 4096, Prot: platform.Prot{Read: true}, Fixed: true}); err != nil {
		t.Fatal(err)
	}
	k := kernel.NewKernel(fakePlatform{}, mf, AMD64)
	k.Hostname = "testhost"
	task, err := k.NewProcess(kernel.ProcessArgs{MM: m, FDs: kernel.NewFDTable(), Limits: kernel.DefaultLimits()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { task.FDTable().Release() })
	return task
}

// call runs a handler and returns its result as the application sees it.
func call(t *testing.T, task *kernel.Task, nr uintptr, args ...uint64) (uint64, error) {
	t.Helper()
	s, ok := AMD64.Lookup(nr)
	if !ok {
		t.Fatalf("syscall %d has no handler", nr)
	}
	var a kernel.SyscallArgs
	copy(a[:], args)
	return s.Fn(task, a)
}

// mustCall fails the test if the handler returns an error.
func mustCall(t *testing.T, task *kernel.Task, nr uintptr, args ...uint64) uint64 {
	t.Helper()
	r, err := call(t, task, nr, args...)
	if err != nil {
		t.Fatalf("%s(%x): %v", linux.SyscallName(nr), args, err)
	}
	return r
}

func poke(t *testing.T, task *kernel.Task, addr uint64, b []byte) {
	t.Helper()
	if _, err := task.CopyOut(addr, b); err != nil {
		t.Fatalf("poke %#x: %v", addr, err)
	}
}

func peek(t *testing.T, task *kernel.Task, addr uint64, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := task.CopyIn(addr, b); err != nil {
		t.Fatalf("peek %#x: %v", addr, err)
	}
	return b
}

// installHost wraps hostFD and installs it in the task's table.
func installHost(t *testing.T, task *kernel.Task, hostFD int) int32 {
	t.Helper()
	f, err := host.ImportFD(task.Kernel(), hostFD)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	fd, err := task.FDTable().NewFD(f, 0, false, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

// pipeFDs returns a sandbox pipe: read end, write end.
func pipeFDs(t *testing.T, task *kernel.Task) (uint64, uint64) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	return uint64(installHost(t, task, p[0])), uint64(installHost(t, task, p[1]))
}

// regularFD returns a sandbox fd for a new temporary file opened O_RDWR
// with content.
func regularFD(t *testing.T, task *kernel.Task, content string, flags int) uint64 {
	t.Helper()
	path := t.TempDir() + "/f"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	hfd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(installHost(t, task, hfd))
}

func iovecs(t *testing.T, task *kernel.Task, at uint64, iovs ...[2]uint64) uint64 {
	t.Helper()
	var b []byte
	for _, iov := range iovs {
		b = binary.LittleEndian.AppendUint64(b, iov[0])
		b = binary.LittleEndian.AppendUint64(b, iov[1])
	}
	poke(t, task, at, b)
	return at
}

func TestReadWritePipe(t *testing.T) {
	task := newTestTask(t)
	r, w := pipeFDs(t, task)
	poke(t, task, rwBase, []byte("hello"))
	if n := mustCall(t, task, linux.SYS_WRITE, w, rwBase, 5); n != 5 {
		t.Fatalf("write = %d", n)
	}
	if n := mustCall(t, task, linux.SYS_READ, r, rwBase+100, 100); n != 5 {
		t.Fatalf("read = %d", n)
	}
	if got := peek(t, task, rwBase+100, 5); string(got) != "hello" {
		t.Fatalf("read %q", got)
	}
	// Zero-length calls succeed without blocking.
	mustCall(t, task, linux.SYS_READ, r, rwBase, 0)
	mustCall(t, task, linux.SYS_WRITE, w, rwBase, 0)
}

func TestVectoredIO(t *testing.T) {
	task := newTestTask(t)
	r, w := pipeFDs(t, task)
	poke(t, task, rwBase, []byte("abcdefgh"))
	iov := iovecs(t, task, rwBase+0x1000, [2]uint64{rwBase, 3}, [2]uint64{rwBase + 5, 0}, [2]uint64{rwBase + 3, 5})
	if n := mustCall(t, task, linux.SYS_WRITEV, w, iov, 3); n != 8 {
		t.Fatalf("writev = %d", n)
	}
	riov := iovecs(t, task, rwBase+0x2000, [2]uint64{rwBase + 0x3000, 2}, [2]uint64{rwBase + 0x4000, 10})
	if n := mustCall(t, task, linux.SYS_READV, r, riov, 2); n != 8 {
		t.Fatalf("readv = %d", n)
	}
	if got := string(peek(t, task, rwBase+0x3000, 2)) + string(peek(t, task, rwBase+0x4000, 6)); got != "abcdefgh" {
		t.Fatalf("readv got %q", got)
	}
}

func TestVectoredIOErrors(t *testing.T) {
	task := newTestTask(t)
	r, w := pipeFDs(t, task)
	good := iovecs(t, task, rwBase+0x1000, [2]uint64{rwBase, 4})
	negative := iovecs(t, task, rwBase+0x2000, [2]uint64{rwBase, 4}, [2]uint64{rwBase, 1 << 63})
	beyond := iovecs(t, task, rwBase+0x3000, [2]uint64{testMaxAddr - 2, 4})
	for _, tc := range []struct {
		name       string
		nr         uintptr
		fd, iov, n uint64
		want       error
	}{
		{"readv too many", linux.SYS_READV, r, good, linux.UIO_MAXIOV + 1, linux.EINVAL},
		{"writev too many", linux.SYS_WRITEV, w, good, 1 << 40, linux.EINVAL},
		{"writev negative length", linux.SYS_WRITEV, w, negative, 2, linux.EINVAL},
		{"writev iovec array unreadable", linux.SYS_WRITEV, w, badAddr, 1, linux.EFAULT},
		{"writev buffer beyond address space", linux.SYS_WRITEV, w, beyond, 1, linux.EFAULT},
		{"readv on write end", linux.SYS_READV, w, good, 1, linux.EBADF},
		{"writev on read end", linux.SYS_WRITEV, r, good, 1, linux.EBADF},
		{"readv on write end, zero count", linux.SYS_READV, w, good, 0, linux.EBADF},
		{"readv bad fd", linux.SYS_READV, 99, good, 1, linux.EBADF},
		{"preadv on pipe", linux.SYS_PREADV, r, good, 1, linux.ESPIPE},
		{"pwritev on pipe, bad iovec", linux.SYS_PWRITEV, w, badAddr, 1, linux.ESPIPE},
	} {
		if _, err := call(t, task, tc.nr, tc.fd, tc.iov, tc.n); err != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	if n := mustCall(t, task, linux.SYS_WRITEV, w, good, 0); n != 0 {
		t.Errorf("writev of 0 iovecs = %d", n)
	}
}

func TestReadWriteErrors(t *testing.T) {
	task := newTestTask(t)
	r, w := pipeFDs(t, task)
	ro := regularFD(t, task, "data", unix.O_RDONLY)
	for _, tc := range []struct {
		name string
		nr   uintptr
		args []uint64
		want error
	}{
		{"read bad fd", linux.SYS_READ, []uint64{77, rwBase, 1}, linux.EBADF},
		{"read write end", linux.SYS_READ, []uint64{w, rwBase, 1}, linux.EBADF},
		{"write read end", linux.SYS_WRITE, []uint64{r, rwBase, 1}, linux.EBADF},
		{"write read-only file", linux.SYS_WRITE, []uint64{ro, rwBase, 1}, linux.EBADF},
		{"read huge count", linux.SYS_READ, []uint64{ro, rwBase, 1 << 63}, linux.EFAULT},
		{"read into read-only memory", linux.SYS_READ, []uint64{ro, roBase, 4}, linux.EFAULT},
		{"read into unmapped memory", linux.SYS_READ, []uint64{ro, badAddr, 4}, linux.EFAULT},
		{"write from unmapped memory", linux.SYS_WRITE, []uint64{w, badAddr, 4}, linux.EFAULT},
		{"pread negative offset", linux.SYS_PREAD64, []uint64{ro, rwBase, 1, 1 << 63}, linux.EINVAL},
		{"pread negative offset, bad fd", linux.SYS_PREAD64, []uint64{99, rwBase, 1, ^uint64(0)}, linux.EINVAL},
		{"pread pipe", linux.SYS_PREAD64, []uint64{r, rwBase, 1, 0}, linux.ESPIPE},
		{"pread pipe write end", linux.SYS_PREAD64, []uint64{w, rwBase, 1, 0}, linux.ESPIPE},
		{"pwrite pipe", linux.SYS_PWRITE64, []uint64{w, rwBase, 1, 0}, linux.ESPIPE},
		{"pread offset overflow", linux.SYS_PREAD64, []uint64{ro, rwBase, 16, 1<<63 - 8}, linux.EINVAL},
		{"lseek pipe", linux.SYS_LSEEK, []uint64{r, 0, linux.SEEK_SET}, linux.ESPIPE},
		{"lseek bad whence", linux.SYS_LSEEK, []uint64{r, 0, 5}, linux.EINVAL},
		{"lseek bad fd", linux.SYS_LSEEK, []uint64{99, 0, 0}, linux.EBADF},
		{"fstat bad buffer", linux.SYS_FSTAT, []uint64{r, roBase}, linux.EFAULT},
		{"preadv2 bad flag", linux.SYS_PREADV2, []uint64{ro, iovecs(t, task, rwBase, [2]uint64{rwBase + 64, 4}), 1, 0, 0, 0x200}, linux.EOPNOTSUPP},
		{"preadv2 offset -2", linux.SYS_PREADV2, []uint64{ro, rwBase, 1, ^uint64(1), 0, 0}, linux.EINVAL},
	} {
		if _, err := call(t, task, tc.nr, tc.args...); err != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestRegularFile(t *testing.T) {
	task := newTestTask(t)
	fd := regularFD(t, task, "0123456789", unix.O_RDWR)
	if n := mustCall(t, task, linux.SYS_PREAD64, fd, rwBase, 4, 3); n != 4 || string(peek(t, task, rwBase, 4)) != "3456" {
		t.Fatalf("pread = %d %q", n, peek(t, task, rwBase, 4))
	}
	if pos := mustCall(t, task, linux.SYS_LSEEK, fd, 0, linux.SEEK_CUR); pos != 0 {
		t.Fatalf("pread moved the offset to %d", pos)
	}
	if n := mustCall(t, task, linux.SYS_READ, fd, rwBase, 100); n != 10 {
		t.Fatalf("read = %d", n)
	}
	if n := mustCall(t, task, linux.SYS_READ, fd, rwBase, 100); n != 0 {
		t.Fatalf("read at EOF = %d", n)
	}
	if pos := mustCall(t, task, linux.SYS_LSEEK, fd, ^uint64(1), linux.SEEK_END); pos != 8 {
		t.Fatalf("lseek(-2, SEEK_END) = %d", pos)
	}
	poke(t, task, rwBase, []byte("XY"))
	mustCall(t, task, linux.SYS_WRITE, fd, rwBase, 2)
	// O_APPEND set through fcntl appends although the host FD lacks it.
	mustCall(t, task, linux.SYS_LSEEK, fd, 0, linux.SEEK_SET)
	fl := mustCall(t, task, linux.SYS_FCNTL, fd, linux.F_GETFL)
	mustCall(t, task, linux.SYS_FCNTL, fd, linux.F_SETFL, fl|linux.O_APPEND)
	poke(t, task, rwBase, []byte("Z"))
	mustCall(t, task, linux.SYS_WRITE, fd, rwBase, 1)
	iov := iovecs(t, task, rwBase+0x1000, [2]uint64{rwBase + 0x2000, 5}, [2]uint64{rwBase + 0x3000, 6})
	if n := mustCall(t, task, linux.SYS_PREADV, fd, iov, 2, 1); n != 10 {
		t.Fatalf("preadv = %d", n)
	}
	if got := string(peek(t, task, rwBase+0x2000, 5)) + string(peek(t, task, rwBase+0x3000, 5)); got != "1234567XYZ" {
		t.Fatalf("file content %q", got)
	}
	mustCall(t, task, linux.SYS_FSTAT, fd, rwBase)
	var st linux.Stat
	if err := binary.Read(bytes.NewReader(peek(t, task, rwBase, linux.SizeOfStat)), binary.LittleEndian, &st); err != nil {
		t.Fatal(err)
	}
	if st.Size != 11 || st.Mode&linux.S_IFMT != linux.S_IFREG {
		t.Fatalf("fstat: size %d mode %o", st.Size, st.Mode)
	}
}

func TestWriteBrokenPipeRaisesSIGPIPE(t *testing.T) {
	task := newTestTask(t)
	r, w := pipeFDs(t, task)
	// Blocked, so that PendingSignals (sigpending) reports it.
	task.SetSignalMask(linux.SignalSetOf(linux.SIGPIPE))
	mustCall(t, task, linux.SYS_CLOSE, r)
	if _, err := call(t, task, linux.SYS_WRITE, w, rwBase, 1); err != linux.EPIPE {
		t.Fatalf("write = %v, want EPIPE", err)
	}
	if task.PendingSignals()&linux.SignalSetOf(linux.SIGPIPE) == 0 {
		t.Fatalf("SIGPIPE not pending after EPIPE")
	}
}

func TestNonblockingViewOnly(t *testing.T) {
	task := newTestTask(t)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r := uint64(installHost(t, task, p[0]))
	poke(t, task, rwBase, []byte{1, 0, 0, 0})
	mustCall(t, task, linux.SYS_IOCTL, r, linux.FIONBIO, rwBase)
	if fl := mustCall(t, task, linux.SYS_FCNTL, r, linux.F_GETFL); fl&linux.O_NONBLOCK == 0 {
		t.Fatalf("F_GETFL = %#o after FIONBIO", fl)
	}
	if _, err := call(t, task, linux.SYS_READ, r, rwBase, 1); err != linux.EAGAIN {
		t.Fatalf("read of empty non-blocking pipe = %v", err)
	}
	hfl, err := unix.FcntlInt(uintptr(p[0]), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	if hfl&unix.O_NONBLOCK != 0 {
		t.Fatalf("host FD became non-blocking")
	}
	if _, err := call(t, task, linux.SYS_IOCTL, r, linux.FIONBIO, badAddr); err != linux.EFAULT {
		t.Fatalf("FIONBIO with a bad pointer = %v", err)
	}
}

func TestIoctl(t *testing.T) {
	task := newTestTask(t)
	r, w := pipeFDs(t, task)
	poke(t, task, rwBase, []byte("abc"))
	mustCall(t, task, linux.SYS_WRITE, w, rwBase, 3)
	mustCall(t, task, linux.SYS_IOCTL, r, linux.FIONREAD, rwBase+16)
	if n := binary.LittleEndian.Uint32(peek(t, task, rwBase+16, 4)); n != 3 {
		t.Fatalf("FIONREAD = %d", n)
	}
	mustCall(t, task, linux.SYS_IOCTL, r, linux.FIOCLEX)
	if fl := mustCall(t, task, linux.SYS_FCNTL, r, linux.F_GETFD); fl != linux.FD_CLOEXEC {
		t.Fatalf("F_GETFD after FIOCLEX = %d", fl)
	}
	mustCall(t, task, linux.SYS_IOCTL, r, linux.FIONCLEX)
	if fl := mustCall(t, task, linux.SYS_FCNTL, r, linux.F_GETFD); fl != 0 {
		t.Fatalf("F_GETFD after FIONCLEX = %d", fl)
	}
	for _, cmd := range []uint64{linux.TCGETS, linux.TIOCGWINSZ, linux.TIOCGPGRP, linux.TIOCSPGRP, 0x1234} {
		if _, err := call(t, task, linux.SYS_IOCTL, r, cmd, rwBase); err != linux.ENOTTY {
			t.Errorf("ioctl(pipe, %#x) = %v, want ENOTTY", cmd, err)
		}
	}
	if _, err := call(t, task, linux.SYS_IOCTL, 99, linux.FIOCLEX); err != linux.EBADF {
		t.Errorf("ioctl(bad fd) = %v", err)
	}
}

func TestTTYIoctl(t *testing.T) {
	task := newTestTask(t)
	master, slave := openPTY(t)
	defer unix.Close(master)
	fd := uint64(installHost(t, task, slave))
	mustCall(t, task, linux.SYS_IOCTL, fd, linux.TCGETS, rwBase)
	tio := peek(t, task, rwBase, linux.SizeOfTermios)
	// Clear ECHO (lflag bit 0010) and set it back through TCSETS.
	lflag := binary.LittleEndian.Uint32(tio[12:])
	binary.LittleEndian.PutUint32(tio[12:], lflag&^0o10)
	poke(t, task, rwBase, tio)
	mustCall(t, task, linux.SYS_IOCTL, fd, linux.TCSETS, rwBase)
	ht, err := unix.IoctlGetTermios(slave, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if ht.Lflag&unix.ECHO != 0 {
		t.Fatalf("TCSETS did not reach the host terminal")
	}
	poke(t, task, rwBase, []byte{24, 0, 80, 0, 0, 0, 0, 0})
	mustCall(t, task, linux.SYS_IOCTL, fd, linux.TIOCSWINSZ, rwBase)
	mustCall(t, task, linux.SYS_IOCTL, fd, linux.TIOCGWINSZ, rwBase+64)
	if got := peek(t, task, rwBase+64, 4); !bytes.Equal(got, []byte{24, 0, 80, 0}) {
		t.Fatalf("TIOCGWINSZ = %v", got)
	}
	// Not the controlling terminal until the session leader takes it.
	if _, err := call(t, task, linux.SYS_IOCTL, fd, linux.TIOCGPGRP, rwBase); err != linux.ENOTTY {
		t.Fatalf("TIOCGPGRP without a controlling terminal = %v, want ENOTTY", err)
	}
	mustCall(t, task, linux.SYS_IOCTL, fd, linux.TIOCSCTTY, 0)
	mustCall(t, task, linux.SYS_IOCTL, fd, linux.TIOCGPGRP, rwBase)
	if pg := binary.LittleEndian.Uint32(peek(t, task, rwBase, 4)); pg != uint32(task.ThreadGroup().ID()) {
		t.Fatalf("TIOCGPGRP = %d", pg)
	}
	if _, err := call(t, task, linux.SYS_IOCTL, fd, linux.TCGETS, roBase); err != linux.EFAULT {
		t.Fatalf("TCGETS into read-only memory = %v", err)
	}
	if _, err := call(t, task, linux.SYS_LSEEK, fd, 0, 0); err != linux.ESPIPE {
		t.Fatalf("lseek(tty) = %v", err)
	}
}

// openPTY returns a pty pair (master, slave), skipping without /dev/ptmx.
func openPTY(t *testing.T) (int, int) {
	t.Helper()
	master, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pty support here: open /dev/ptmx: %v", err)
	}
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(master, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := unix.Open("/dev/pts/"+itoa(int(n)), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pty support here: open slave: %v", err)
	}
	return master, slave
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestFcntl(t *testing.T) {
	task := newTestTask(t)
	r, w := pipeFDs(t, task)
	reg := regularFD(t, task, "x", unix.O_RDONLY)
	if fl := mustCall(t, task, linux.SYS_FCNTL, r, linux.F_GETFL); fl&^linux.O_LARGEFILE != linux.O_RDONLY {
		t.Errorf("F_GETFL(pipe read end) = %#o", fl)
	}
	if fl := mustCall(t, task, linux.SYS_FCNTL, w, linux.F_GETFL); fl&^linux.O_LARGEFILE != linux.O_WRONLY {
		t.Errorf("F_GETFL(pipe write end) = %#o", fl)
	}
	// F_SETFL cannot change the access mode.
	mustCall(t, task, linux.SYS_FCNTL, r, linux.F_SETFL, linux.O_RDWR|linux.O_NONBLOCK)
	if fl := mustCall(t, task, linux.SYS_FCNTL, r, linux.F_GETFL); fl&^linux.O_LARGEFILE != linux.O_RDONLY|linux.O_NONBLOCK {
		t.Errorf("F_GETFL after F_SETFL = %#o", fl)
	}
	nfd := mustCall(t, task, linux.SYS_FCNTL, r, linux.F_DUPFD_CLOEXEC, 10)
	if nfd != 10 || mustCall(t, task, linux.SYS_FCNTL, nfd, linux.F_GETFD) != linux.FD_CLOEXEC {
		t.Errorf("F_DUPFD_CLOEXEC gave fd %d", nfd)
	}
	mustCall(t, task, linux.SYS_FCNTL, nfd, linux.F_SETFD, 0)
	if fl := mustCall(t, task, linux.SYS_FCNTL, nfd, linux.F_GETFD); fl != 0 {
		t.Errorf("F_GETFD after F_SETFD 0 = %d", fl)
	}
	if n := mustCall(t, task, linux.SYS_FCNTL, r, linux.F_GETPIPE_SZ); n == 0 {
		t.Errorf("F_GETPIPE_SZ = 0")
	}
	next := uint64(rwBase + 0x800)
	flock := func(typ, whence int16) uint64 {
		b := make([]byte, linux.SizeOfFlock)
		binary.LittleEndian.PutUint16(b[0:], uint16(typ))
		binary.LittleEndian.PutUint16(b[2:], uint16(whence))
		next += linux.SizeOfFlock
		poke(t, task, next, b)
		return next
	}
	lk := flock(linux.F_WRLCK, linux.SEEK_SET)
	mustCall(t, task, linux.SYS_FCNTL, r, linux.F_GETLK, lk)
	if typ := binary.LittleEndian.Uint16(peek(t, task, lk, 2)); typ != linux.F_UNLCK {
		t.Errorf("F_GETLK l_type = %d", typ)
	}
	for _, tc := range []struct {
		name string
		fd   uint64
		cmd  uint64
		arg  uint64
		want error
	}{
		{"bad fd", 99, linux.F_GETFL, 0, linux.EBADF},
		{"unknown command", r, 9999, 0, linux.EINVAL},
		{"F_DUPFD at the limit", r, linux.F_DUPFD, 1024, linux.EINVAL},
		{"F_DUPFD -1", r, linux.F_DUPFD, ^uint64(0), linux.EINVAL},
		{"F_GETPIPE_SZ of a file", reg, linux.F_GETPIPE_SZ, 0, linux.EBADF},
		{"F_SETSIG 65", r, linux.F_SETSIG, 65, linux.EINVAL},
		{"F_GETLK unlock", r, linux.F_GETLK, flock(linux.F_UNLCK, 0), linux.EINVAL},
		{"F_SETLK write lock on read end", r, linux.F_SETLK, flock(linux.F_WRLCK, 0), linux.EBADF},
		{"F_SETLK read lock on write end", w, linux.F_SETLK, flock(linux.F_RDLCK, 0), linux.EBADF},
		{"F_GETLK bad type", r, linux.F_GETLK, flock(7, 0), linux.EINVAL},
		{"F_GETLK bad whence", r, linux.F_GETLK, flock(linux.F_RDLCK, 9), linux.EINVAL},
		{"F_GETLK bad pointer", r, linux.F_GETLK, badAddr, linux.EFAULT},
	} {
		if _, err := call(t, task, linux.SYS_FCNTL, tc.fd, tc.cmd, tc.arg); err != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestDupAndClose(t *testing.T) {
	task := newTestTask(t)
	r, w := pipeFDs(t, task)
	d := mustCall(t, task, linux.SYS_DUP, w)
	if d != 2 {
		t.Fatalf("dup = %d, want the lowest free fd 2", d)
	}
	if n := mustCall(t, task, linux.SYS_DUP2, r, r); n != r {
		t.Fatalf("dup2(fd, fd) = %d", n)
	}
	if n := mustCall(t, task, linux.SYS_DUP3, r, 20, linux.O_CLOEXEC); n != 20 {
		t.Fatalf("dup3 = %d", n)
	}
	if fl := mustCall(t, task, linux.SYS_FCNTL, 20, linux.F_GETFD); fl != linux.FD_CLOEXEC {
		t.Fatalf("dup3 O_CLOEXEC: F_GETFD = %d", fl)
	}
	// dup2 onto an open fd replaces it.
	mustCall(t, task, linux.SYS_DUP2, w, 20)
	if fl := mustCall(t, task, linux.SYS_FCNTL, 20, linux.F_GETFL); fl&^linux.O_LARGEFILE != linux.O_WRONLY {
		t.Fatalf("dup2 did not replace fd 20: F_GETFL %#o", fl)
	}
	for _, tc := range []struct {
		name string
		nr   uintptr
		args []uint64
		want error
	}{
		{"dup bad fd", linux.SYS_DUP, []uint64{50}, linux.EBADF},
		{"dup2 bad same fd", linux.SYS_DUP2, []uint64{50, 50}, linux.EBADF},
		{"dup2 beyond RLIMIT_NOFILE", linux.SYS_DUP2, []uint64{r, 1024}, linux.EBADF},
		{"dup2 negative", linux.SYS_DUP2, []uint64{r, ^uint64(0)}, linux.EBADF},
		{"dup3 same fd", linux.SYS_DUP3, []uint64{r, r, 0}, linux.EINVAL},
		{"dup3 bad flags", linux.SYS_DUP3, []uint64{r, 30, 1}, linux.EINVAL},
		{"close bad fd", linux.SYS_CLOSE, []uint64{50}, linux.EBADF},
		{"close_range first > last", linux.SYS_CLOSE_RANGE, []uint64{5, 4, 0}, linux.EINVAL},
		{"close_range bad flags", linux.SYS_CLOSE_RANGE, []uint64{0, 10, 8}, linux.EINVAL},
	} {
		if _, err := call(t, task, tc.nr, tc.args...); err != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	mustCall(t, task, linux.SYS_CLOSE_RANGE, 0, ^uint64(0)>>32, linux.CLOSE_RANGE_CLOEXEC)
	if fl := mustCall(t, task, linux.SYS_FCNTL, r, linux.F_GETFD); fl != linux.FD_CLOEXEC {
		t.Fatalf("close_range CLOEXEC: F_GETFD = %d", fl)
	}
	mustCall(t, task, linux.SYS_CLOSE_RANGE, 1, ^uint64(0)>>32, 0)
	if _, err := call(t, task, linux.SYS_FCNTL, 20, linux.F_GETFD); err != linux.EBADF {
		t.Fatalf("fd 20 still open after close_range: %v", err)
	}
	mustCall(t, task, linux.SYS_FCNTL, r, linux.F_GETFD)
	// RLIMIT_NOFILE bounds new fds.
	lim := make([]byte, 16)
	binary.LittleEndian.PutUint64(lim[0:], 1)
	binary.LittleEndian.PutUint64(lim[8:], 4096)
	poke(t, task, rwBase, lim)
	mustCall(t, task, linux.SYS_SETRLIMIT, kernel.RLIMIT_NOFILE, rwBase)
	if _, err := call(t, task, linux.SYS_DUP, r); err != linux.EMFILE {
		t.Fatalf("dup with RLIMIT_NOFILE 1 = %v, want EMFILE", err)
	}
}

// TestABIMatchesHost checks the constants this family added to
// pkg/abi/linux against x/sys, which is generated from the kernel headers
// independently.
func TestABIMatchesHost(t *testing.T) {
	for _, c := range []struct {
		name         string
		ours, theirs int64
	}{
		{"O_APPEND", linux.O_APPEND, unix.O_APPEND},
		{"O_NONBLOCK", linux.O_NONBLOCK, unix.O_NONBLOCK},
		{"O_DIRECT", linux.O_DIRECT, unix.O_DIRECT},
		{"O_NOATIME", linux.O_NOATIME, unix.O_NOATIME},
		{"O_CLOEXEC", linux.O_CLOEXEC, unix.O_CLOEXEC},
		{"O_SYNC", linux.O_SYNC, unix.O_SYNC},
		{"O_PATH", linux.O_PATH, unix.O_PATH},
		{"O_TMPFILE", linux.O_TMPFILE, unix.O_TMPFILE},
		{"FASYNC", linux.FASYNC, unix.O_ASYNC},
		{"F_DUPFD_CLOEXEC", linux.F_DUPFD_CLOEXEC, unix.F_DUPFD_CLOEXEC},
		{"F_GETPIPE_SZ", linux.F_GETPIPE_SZ, unix.F_GETPIPE_SZ},
		{"F_SETPIPE_SZ", linux.F_SETPIPE_SZ, unix.F_SETPIPE_SZ},
		{"F_OFD_SETLKW", linux.F_OFD_SETLKW, unix.F_OFD_SETLKW},
		{"F_ADD_SEALS", linux.F_ADD_SEALS, unix.F_ADD_SEALS},
		{"F_SETSIG", linux.F_SETSIG, unix.F_SETSIG},
		{"TCGETS", linux.TCGETS, unix.TCGETS},
		{"TCSETSF", linux.TCSETSF, unix.TCSETSF},
		{"TIOCGPGRP", linux.TIOCGPGRP, unix.TIOCGPGRP},
		{"TIOCSWINSZ", linux.TIOCSWINSZ, unix.TIOCSWINSZ},
		{"FIONREAD", linux.FIONREAD, unix.TIOCINQ},
		{"TIOCGSID", linux.TIOCGSID, unix.TIOCGSID},
		{"CLOCK_TAI", linux.CLOCK_TAI, unix.CLOCK_TAI},
		{"CLOCK_BOOTTIME_ALARM", linux.CLOCK_BOOTTIME_ALARM, unix.CLOCK_BOOTTIME_ALARM},
		{"TIMER_ABSTIME", linux.TIMER_ABSTIME, unix.TIMER_ABSTIME},
		{"GRND_INSECURE", linux.GRND_INSECURE, unix.GRND_INSECURE},
		{"GRND_RANDOM", linux.GRND_RANDOM, unix.GRND_RANDOM},
		{"CLOSE_RANGE_CLOEXEC", linux.CLOSE_RANGE_CLOEXEC, unix.CLOSE_RANGE_CLOEXEC},
		{"RWF_NOWAIT", linux.RWF_NOWAIT, unix.RWF_NOWAIT},
		{"RWF_APPEND", linux.RWF_APPEND, unix.RWF_APPEND},
		{"SEEK_HOLE", linux.SEEK_HOLE, unix.SEEK_HOLE},
		{"SCHED_DEADLINE", linux.SCHED_DEADLINE, unix.SCHED_DEADLINE},
		{"RUSAGE_THREAD", linux.RUSAGE_THREAD, unix.RUSAGE_THREAD},
		{"RUSAGE_CHILDREN", linux.RUSAGE_CHILDREN, unix.RUSAGE_CHILDREN},
		{"UIO_MAXIOV", linux.UIO_MAXIOV, 1024},
	} {
		if c.ours != c.theirs {
			t.Errorf("%s: ours %#x, x/sys %#x", c.name, c.ours, c.theirs)
		}
	}
	for _, s := range []struct {
		name string
		v    any
		want int
	}{
		{"Timeval", linux.Timeval{}, linux.SizeOfTimeval},
		{"Timezone", linux.Timezone{}, linux.SizeOfTimezone},
		{"Utsname", linux.Utsname{}, linux.SizeOfUtsname},
		{"Sysinfo", linux.Sysinfo{}, linux.SizeOfSysinfo},
		{"Rlimit", linux.Rlimit{}, linux.SizeOfRlimit},
		{"Rusage", linux.Rusage{}, linux.SizeOfRusage},
		{"Termios", linux.Termios{}, linux.SizeOfTermios},
		{"Winsize", linux.Winsize{}, linux.SizeOfWinsize},
		{"Flock", linux.Flock{}, linux.SizeOfFlock},
		{"SchedParam", linux.SchedParam{}, linux.SizeOfSchedParam},
		{"Stat", linux.Stat{}, linux.SizeOfStat},
	} {
		if got := binary.Size(s.v); got != s.want {
			t.Errorf("binary.Size(%s) = %d, want %d", s.name, got, s.want)
		}
	}
	// Layouts x/sys also describes (reflect gives the padded size).
	for _, s := range []struct {
		name string
		ours int
		host reflect.Type
	}{
		{"Sysinfo", linux.SizeOfSysinfo, reflect.TypeFor[unix.Sysinfo_t]()},
		{"Rusage", linux.SizeOfRusage, reflect.TypeFor[unix.Rusage]()},
		{"Flock", linux.SizeOfFlock, reflect.TypeFor[unix.Flock_t]()},
		{"Utsname", linux.SizeOfUtsname, reflect.TypeFor[unix.Utsname]()},
		{"Winsize", linux.SizeOfWinsize, reflect.TypeFor[unix.Winsize]()},
		{"Timeval", linux.SizeOfTimeval, reflect.TypeFor[unix.Timeval]()},
	} {
		if s.ours != int(s.host.Size()) {
			t.Errorf("sizeof %s: ours %d, x/sys %d", s.name, s.ours, s.host.Size())
		}
	}
}
