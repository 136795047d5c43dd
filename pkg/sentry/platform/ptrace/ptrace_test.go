package ptrace

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/platform"
)

// newTestPlatform returns a platform over a one-page memory file that holds
// code, and that page mapped in the sentry.
func newTestPlatform(t *testing.T, code []byte) (*Platform, platform.AddressSpace, []byte) {
	t.Helper()
	fd, err := unix.MemfdCreate("ptrace-test", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Ftruncate(fd, 2*4096); err != nil {
		t.Fatal(err)
	}
	mem, err := unix.Mmap(fd, 0, 2*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(mem) })
	copy(mem, code)
	p, err := New(fd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(as.Release)
	if err := as.MapFile(0x400000, fd, 0, 4096, platform.Prot{Read: true, Execute: true}); err != nil {
		t.Fatal(err)
	}
	if err := as.MapFile(0x500000, fd, 4096, 4096, platform.Prot{Read: true, Write: true}); err != nil {
		t.Fatal(err)
	}
	return p, as, mem
}

func TestSyscallAndFault(t *testing.T) {
	code := []byte{
		0xb8, 0x27, 0x00, 0x00, 0x00, // mov $39, %eax
		0x0f, 0x05, // syscall
		0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00, // mov %rax, 0x500000
		0x48, 0x8b, 0x04, 0x25, 0x08, 0x00, 0x00, 0x00, // mov 0x8, %rax (fault)
	}
	p, as, mem := newTestPlatform(t, code)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ctx := p.NewContext()
	defer ctx.Release()
	regs := linux.PtraceRegs{Rip: 0x400000, Rsp: 0x501000, Cs: linux.USER_CS, Ss: linux.USER_DS, Eflags: 0x202}
	ev, _, err := ctx.Switch(as, &regs)
	if err != nil || ev != platform.EventSyscall {
		t.Fatalf("Switch = %v, %v; want syscall", ev, err)
	}
	if regs.Orig_rax != 39 || regs.Rip != 0x400007 {
		t.Fatalf("syscall stop: orig_rax=%d rip=%#x", regs.Orig_rax, regs.Rip)
	}
	regs.Rax = 4242
	ev, info, err := ctx.Switch(as, &regs)
	if err != nil || ev != platform.EventFault {
		t.Fatalf("Switch = %v, %v; want fault", ev, err)
	}
	if info.Signo != int32(linux.SIGSEGV) || info.Addr() != 8 || regs.Rip != 0x40000f {
		t.Fatalf("fault: signo=%d addr=%#x rip=%#x", info.Signo, info.Addr(), regs.Rip)
	}
	if got := mem[4096]; got != 4242&0xff {
		t.Fatalf("store through the stub mapping: got %d", got)
	}
	if fp, err := ctx.FPState(); err != nil || len(fp) < 576 {
		t.Fatalf("FPState: %d bytes, %v", len(fp), err)
	}
}

func TestInterrupt(t *testing.T) {
	code := []byte{0xeb, 0xfe} // jmp . (spin)
	p, as, _ := newTestPlatform(t, code)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ctx := p.NewContext()
	defer ctx.Release()
	regs := linux.PtraceRegs{Rip: 0x400000, Rsp: 0x501000, Cs: linux.USER_CS, Ss: linux.USER_DS, Eflags: 0x202}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				ctx.Interrupt()
				runtime.Gosched()
			}
		}
	}()
	ev, _, err := ctx.Switch(as, &regs)
	close(done)
	if err != nil || ev != platform.EventInterrupted {
		t.Fatalf("Switch = %v, %v; want interrupted", ev, err)
	}
}
