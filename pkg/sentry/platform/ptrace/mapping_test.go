package ptrace

import (
	"encoding/binary"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/platform"
)

// loadCode reads the word at 0x600000 into rax and makes a system call, so
// the syscall stop reports the word as Orig_rax.
var loadCode = []byte{
	0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00, // mov 0x600000, %rax
	0x0f, 0x05, // syscall
}

// loadWord runs loadCode once and returns the word it read, or ok=false
// if the load faulted.
func loadWord(t *testing.T, ctx platform.Context, as platform.AddressSpace) (uint64, bool) {
	t.Helper()
	regs := linux.PtraceRegs{Rip: 0x400000, Rsp: 0x501000, Cs: linux.USER_CS, Ss: linux.USER_DS, Eflags: 0x202}
	ev, _, err := ctx.Switch(as, &regs)
	if err != nil {
		t.Fatalf("Switch: %v", err)
	}
	switch ev {
	case platform.EventSyscall:
		return regs.Orig_rax, true
	case platform.EventFault:
		return 0, false
	}
	t.Fatalf("Switch = %v", ev)
	return 0, false
}

// TestMappingChanges checks that mapping changes take effect in order
// whether they are made before the address space has a thread (deferred
// to the first one), from the OS thread of a context running in it
// (injected through that context's thread) or from elsewhere (through the
// injector).
func TestMappingChanges(t *testing.T) {
	const word = 0x1122334455667788
	rw := platform.Prot{Read: true, Write: true}
	tests := []struct {
		name string
		// early runs before the first Switch; late after it, on the
		// context's OS thread if onThread, else on another goroutine.
		early, late func(as platform.AddressSpace, fd int) error
		onThread    bool
		// wantFirst and wantLate are what the load gives (0: it
		// faults) before and after late.
		wantFirst, wantLate uint64
	}{
		{
			name: "deferred in order",
			early: func(as platform.AddressSpace, fd int) error {
				if err := as.MapFile(0x600000, fd, 0, 4096, rw); err != nil {
					return err
				}
				if err := as.Unmap(0x600000, 4096); err != nil {
					return err
				}
				return as.MapFile(0x600000, fd, 4096, 4096, platform.Prot{Read: true})
			},
			wantFirst: word, wantLate: word,
		},
		{
			name:     "map from the context's thread",
			late:     func(as platform.AddressSpace, fd int) error { return as.MapFile(0x600000, fd, 4096, 4096, rw) },
			onThread: true,
			wantLate: word,
		},
		{
			name:     "map from another thread",
			late:     func(as platform.AddressSpace, fd int) error { return as.MapFile(0x600000, fd, 4096, 4096, rw) },
			wantLate: word,
		},
		{
			name: "protect from the context's thread",
			early: func(as platform.AddressSpace, fd int) error {
				return as.MapFile(0x600000, fd, 4096, 4096, rw)
			},
			late:      func(as platform.AddressSpace, fd int) error { return as.Protect(0x600000, 4096, platform.Prot{}) },
			onThread:  true,
			wantFirst: word,
		},
		{
			name: "unmap from another thread",
			early: func(as platform.AddressSpace, fd int) error {
				return as.MapFile(0x600000, fd, 4096, 4096, rw)
			},
			late:      func(as platform.AddressSpace, fd int) error { return as.Unmap(0x600000, 4096) },
			wantFirst: word,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, as, mem := newTestPlatform(t, loadCode)
			// newTestPlatform mapped the memory file's second page
			// at 0x500000: this test maps it at 0x600000 too.
			binary.LittleEndian.PutUint64(mem[4096:], word)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			if tc.early != nil {
				if err := tc.early(as, p.memfd); err != nil {
					t.Fatalf("before the first thread: %v", err)
				}
			}
			ctx := p.NewContext()
			defer ctx.Release()
			if got, _ := loadWord(t, ctx, as); got != tc.wantFirst {
				t.Fatalf("first load = %#x, want %#x", got, tc.wantFirst)
			}
			if tc.late != nil {
				var err error
				if tc.onThread {
					err = tc.late(as, p.memfd)
				} else {
					errc := make(chan error)
					go func() { errc <- tc.late(as, p.memfd) }()
					err = <-errc
				}
				if err != nil {
					t.Fatalf("change: %v", err)
				}
			}
			if got, _ := loadWord(t, ctx, as); got != tc.wantLate {
				t.Fatalf("load after the change = %#x, want %#x", got, tc.wantLate)
			}
		})
	}
}

// TestDeferredChangeError checks that a host error in a deferred change is
// reported when the first thread is made.
func TestDeferredChangeError(t *testing.T) {
	p, as, _ := newTestPlatform(t, loadCode)
	// Not page aligned: the host's mmap fails with EINVAL.
	if err := as.MapFile(0x600001, p.memfd, 0, 4096, platform.Prot{Read: true}); err != nil {
		t.Fatalf("MapFile before the first thread = %v, want it deferred", err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ctx := p.NewContext()
	defer ctx.Release()
	regs := linux.PtraceRegs{Rip: 0x400000, Rsp: 0x501000, Cs: linux.USER_CS, Ss: linux.USER_DS, Eflags: 0x202}
	if _, _, err := ctx.Switch(as, &regs); err == nil {
		t.Fatal("Switch succeeded after a failed deferred mmap")
	}
}

// TestCloseWaitsForStubs checks that after Close every released address
// space's stub process is gone and the pool has released its own.
func TestCloseWaitsForStubs(t *testing.T) {
	fd, err := unix.MemfdCreate("ptrace-test", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	p, err := New(fd)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for i := 0; i < 2*poolSize+1; i++ {
		as, err := p.NewAddressSpace()
		if err != nil {
			t.Fatal(err)
		}
		as.(*addressSpace).inj.do(func(th *thread) { pids = append(pids, th.tid) })
		as.Release()
	}
	p.Close()
	for _, pid := range pids {
		if err := unix.Kill(pid, 0); err != unix.ESRCH {
			t.Errorf("stub %d after Close: kill(0) = %v, want ESRCH", pid, err)
		}
	}
	if n := len(p.pool.ready); n != 0 {
		t.Errorf("the pool holds %d address spaces after Close", n)
	}
}
