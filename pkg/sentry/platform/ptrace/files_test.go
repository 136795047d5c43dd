package ptrace

import (
	"encoding/binary"
	"reflect"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/platform"
)

// TestMapSecondFile maps a page of a second file (a regular file on disk,
// as an overlay's filestore is) into an address space and checks that the
// application reads what the sentry wrote and the sentry sees what the
// application wrote.
func TestMapSecondFile(t *testing.T) {
	code := []byte{
		0x48, 0x8b, 0x3c, 0x25, 0x00, 0x00, 0x60, 0x00, // mov 0x600000, %rdi
		0x48, 0x89, 0x3c, 0x25, 0x08, 0x00, 0x60, 0x00, // mov %rdi, 0x600008
		0xb8, 0x27, 0x00, 0x00, 0x00, // mov $39, %eax
		0x0f, 0x05, // syscall
	}
	p, oldAS, _ := newTestPlatform(t, code)

	fd, err := unix.Open(t.TempDir(), unix.O_RDWR|unix.O_TMPFILE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Ftruncate(fd, 2*4096); err != nil {
		t.Fatal(err)
	}
	file, err := unix.Mmap(fd, 0, 2*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(file) })
	const planted = 0x1122334455667788
	binary.LittleEndian.PutUint64(file[4096:], planted)

	if err := p.AddMemoryFile(fd); err != nil {
		t.Fatalf("AddMemoryFile: %v", err)
	}
	// Adding it again changes nothing.
	if err := p.AddMemoryFile(fd); err != nil {
		t.Fatalf("AddMemoryFile again: %v", err)
	}
	// An address space made before the file was added does not hold it.
	if err := oldAS.MapFile(0x600000, fd, 4096, 4096, platform.Prot{Read: true}); err == nil {
		t.Fatal("an address space older than the file mapped it")
	}

	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(as.Release)
	if err := as.MapFile(0x400000, p.memfd, 0, 4096, platform.Prot{Read: true, Execute: true}); err != nil {
		t.Fatal(err)
	}
	if err := as.MapFile(0x600000, fd, 4096, 4096, platform.Prot{Read: true, Write: true}); err != nil {
		t.Fatalf("MapFile of the second file: %v", err)
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ctx := p.NewContext()
	defer ctx.Release()
	regs := linux.PtraceRegs{Rip: 0x400000, Rsp: 0x600800, Cs: linux.USER_CS, Ss: linux.USER_DS, Eflags: 0x202}
	ev, _, err := ctx.Switch(as, &regs)
	if err != nil || ev != platform.EventSyscall {
		t.Fatalf("Switch = %v, %v; want syscall (rip %#x)", ev, err, regs.Rip)
	}
	if regs.Rdi != planted {
		t.Errorf("the application read %#x from the second file, want %#x", regs.Rdi, uint64(planted))
	}
	if got := binary.LittleEndian.Uint64(file[4096+8:]); got != planted {
		t.Errorf("the sentry's view of the second file holds %#x, want %#x", got, uint64(planted))
	}
	var buf [8]byte
	if _, err := unix.Pread(fd, buf[:], 4096+8); err != nil || binary.LittleEndian.Uint64(buf[:]) != planted {
		t.Errorf("the file holds %#x (%v), want %#x", binary.LittleEndian.Uint64(buf[:]), err, uint64(planted))
	}
}

func TestAddMemoryFileBadFD(t *testing.T) {
	p, _, _ := newTestPlatform(t, []byte{0xcc})
	for _, fd := range []int{-1, 1 << 20} {
		if err := p.AddMemoryFile(fd); err == nil {
			t.Errorf("AddMemoryFile(%d) succeeded", fd)
		}
	}
	// The platform still works: a good file is added after the failures.
	fd, err := unix.MemfdCreate("second", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Ftruncate(fd, 4096); err != nil {
		t.Fatal(err)
	}
	if err := p.AddMemoryFile(fd); err != nil {
		t.Fatalf("AddMemoryFile after failures: %v", err)
	}
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer as.Release()
	if err := as.MapFile(0x600000, fd, 0, 4096, platform.Prot{Read: true}); err != nil {
		t.Fatalf("MapFile: %v", err)
	}
}

func TestCloseGaps(t *testing.T) {
	const top = ^uint64(0) >> 32
	for _, tc := range []struct {
		keep []int
		want [][2]uint64
	}{
		{[]int{5}, [][2]uint64{{0, 4}, {6, top}}},
		{[]int{7, 3}, [][2]uint64{{0, 2}, {4, 6}, {8, top}}},
		{[]int{0, 1}, [][2]uint64{{2, top}}},
		{[]int{4, 5}, [][2]uint64{{0, 3}, {6, top}}},
	} {
		if got := closeGaps(tc.keep...); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("closeGaps(%v) = %v, want %v", tc.keep, got, tc.want)
		}
	}
}
