package host

import (
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// openPTY returns a pseudo-terminal's master and slave host FDs, closed
// when the test ends.
func openPTY(t *testing.T) (master, slave int) {
	t.Helper()
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pty support here: open /dev/ptmx: %v", err)
	}
	t.Cleanup(func() { unix.Close(m) })
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(m, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := unix.Open("/dev/pts/"+strconv.Itoa(int(n)), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pty support here: open slave: %v", err)
	}
	t.Cleanup(func() { unix.Close(s) })
	return m, s
}

// importDup imports a dup of hostFD (the file owns the dup).
func importDup(t *testing.T, k *kernel.Kernel, hostFD int) vfs.FileDescription {
	t.Helper()
	dup, err := unix.FcntlInt(uintptr(hostFD), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ImportFD(k, dup)
	if err != nil {
		unix.Close(dup)
		t.Fatal(err)
	}
	t.Cleanup(f.DecRef)
	return f
}

func TestImportFDSharesTerminalRecord(t *testing.T) {
	k := kernel.NewKernel(nil, nil, nil)
	_, slave := openPTY(t)
	_, otherSlave := openPTY(t)
	stdin, stdout := importDup(t, k, slave), importDup(t, k, slave)
	if TTYOf(stdin) == nil || TTYOf(stdin) != TTYOf(stdout) {
		t.Fatalf("two FDs of one terminal have records %p and %p, want one", TTYOf(stdin), TTYOf(stdout))
	}
	if other := importDup(t, k, otherSlave); TTYOf(other) == TTYOf(stdin) {
		t.Errorf("two terminals share a record")
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[1])
	if pipe := importDup(t, k, p[0]); TTYOf(pipe) != nil {
		t.Errorf("a pipe has a terminal record")
	}
	unix.Close(p[0])
	plain, err := NewFD(mustDup(t, slave))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.DecRef()
	if TTYOf(plain) != nil {
		t.Errorf("a terminal wrapped without a kernel has a record")
	}
}

func mustDup(t *testing.T, fd int) int {
	t.Helper()
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return dup
}

// TestTerminalDeviceOpen opens the terminal through its record's device,
// as /dev/tty does: a new file of the same terminal, with its own status
// flags, linked to the same record, that outlives the imported files.
func TestTerminalDeviceOpen(t *testing.T) {
	k := kernel.NewKernel(nil, nil, nil)
	master, slave := openPTY(t)
	wo, err := unix.Open("/proc/self/fd/"+strconv.Itoa(slave), unix.O_WRONLY|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("cannot reopen the pty slave write-only: %v", err)
	}
	// Imported write-only first: the device must still open for reading
	// once a read-write FD of the terminal is offered.
	first, err := ImportFD(k, wo)
	if err != nil {
		unix.Close(wo)
		t.Fatal(err)
	}
	tty := TTYOf(first)
	importDup(t, k, slave)
	first.DecRef()

	f, err := tty.Device().OpenTTY(linux.O_RDWR | linux.O_NONBLOCK | linux.O_NOCTTY)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	if fl := f.StatusFlags(); fl != linux.O_RDWR|linux.O_NONBLOCK {
		t.Errorf("status flags %#o, want O_RDWR|O_NONBLOCK", fl)
	}
	if TTYOf(f) != tty {
		t.Errorf("the new file is not linked to the terminal's record")
	}
	if _, err := f.Write(nil, []byte("x")); err != nil {
		t.Errorf("write: %v", err)
	}
	if _, err := f.Read(nil, make([]byte, 1)); err != linux.EAGAIN {
		t.Errorf("non-blocking read with nothing typed: %v, want EAGAIN", err)
	}
	unix.Write(master, []byte("y\n"))
	buf := make([]byte, 4)
	if n, err := f.Read(&fakeBlocker{}, buf); err != nil || string(buf[:n]) != "y\n" {
		t.Errorf("read %q, %v", buf[:n], err)
	}
	ws, err := tty.Device().WindowSize()
	hw, herr := unix.IoctlGetWinsize(slave, unix.TIOCGWINSZ)
	if err != nil || herr != nil || ws.Row != hw.Row || ws.Col != hw.Col {
		t.Errorf("window size %+v, %v; host %+v, %v", ws, err, hw, herr)
	}
}

// TestJobControlIoctlsWithoutTask: a caller that is not a task (or a file
// made without a kernel) has no controlling terminal.
func TestJobControlIoctlsWithoutTask(t *testing.T) {
	k := kernel.NewKernel(nil, nil, nil)
	_, slave := openPTY(t)
	withRecord := importDup(t, k, slave)
	without, err := NewFD(mustDup(t, slave))
	if err != nil {
		t.Fatal(err)
	}
	defer without.DecRef()
	mem := &usermem.BytesIO{Base: 0x1000, Bytes: make([]byte, 64)}
	for _, f := range []vfs.FileDescription{withRecord, without} {
		for _, tc := range []struct {
			cmd  uint32
			want error
		}{
			{linux.TIOCGPGRP, linux.ENOTTY},
			{linux.TIOCSPGRP, linux.ENOTTY},
			{linux.TIOCGSID, linux.ENOTTY},
			{linux.TIOCNOTTY, linux.ENOTTY},
			{linux.TIOCSCTTY, linux.EPERM},
		} {
			if _, err := f.Ioctl(mem, tc.cmd, 0x1000); err != tc.want {
				t.Errorf("ioctl %#x (record %v) = %v, want %v", tc.cmd, TTYOf(f) != nil, err, tc.want)
			}
		}
	}
	// A size set from inside is recorded, so that the host's SIGWINCH
	// for it is not passed on a second time.
	copy(mem.Bytes, []byte{50, 0, 132, 0, 0, 0, 0, 0})
	if _, err := withRecord.Ioctl(mem, linux.TIOCSWINSZ, 0x1000); err != nil {
		t.Fatal(err)
	}
	if TTYOf(withRecord).HostResized() {
		t.Errorf("the host's report of a size set inside counted as a change")
	}
}
