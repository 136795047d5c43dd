package boot

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/pkg/sentry/arch"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/host"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/loader"
	"bulwark.dev/bulwark/pkg/sentry/mm"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/platform/ptrace"
	"bulwark.dev/bulwark/pkg/sentry/strace"
	syscalls "bulwark.dev/bulwark/pkg/sentry/syscalls/linux"
)

// Run starts the sentry and the first process and blocks until its thread
// group exits. Host signals that runsc forwards (SIGINT, SIGTERM, ...)
// arrive on forward and are sent to the first process as kill(2) from
// outside would be. An error means the sandbox could not start; the caller
// prints it as one line and exits non-zero.
func Run(args Args, forward <-chan int) (ExitStatus, error) {
	exe := os.NewFile(uintptr(args.ExecFD), args.ExecPath)
	defer exe.Close()

	var st *strace.Logger
	if args.Strace {
		var err error
		if st, err = strace.New(args.Log, args.StraceSyscalls); err != nil {
			return ExitStatus{}, err
		}
	}
	mf, err := pgalloc.New("bulwark-memory", pgalloc.DefaultCapacity)
	if err != nil {
		return ExitStatus{}, err
	}
	defer mf.Close()
	var p platform.Platform
	switch args.Platform {
	case "ptrace", "":
		pp, err := ptrace.New(mf.FD())
		if err != nil {
			return ExitStatus{}, err
		}
		defer pp.Close()
		p = pp
	default:
		return ExitStatus{}, fmt.Errorf("unknown platform %q", args.Platform)
	}

	as, err := p.NewAddressSpace()
	if err != nil {
		return ExitStatus{}, err
	}
	limits := kernel.DefaultLimits()
	m := mm.New(mf, as, newLayout(p.MaxUserAddress(), limits[kernel.RLIMIT_STACK].Cur))
	xstate := arch.XStateSize()
	res, err := loader.Load(m, loader.Args{
		Exe:             exe,
		ExecFn:          args.ExecPath,
		Argv:            args.Argv,
		Envv:            args.Envv,
		StackSize:       limits[kernel.RLIMIT_STACK].Cur,
		Random:          rand.Reader,
		HWCap:           arch.HWCap(),
		ClockTick:       100,
		MinSigStackSize: arch.MinSigStackSize(xstate),
	})
	if err != nil {
		m.Release()
		return ExitStatus{}, fmt.Errorf("exec %s: %w", args.ExecPath, err)
	}

	fds := kernel.NewFDTable()
	for i, hfd := range args.Stdio {
		f, err := host.NewFD(hfd)
		if err != nil {
			m.Release()
			return ExitStatus{}, fmt.Errorf("stdio fd %d: %w", i, err)
		}
		fds.SetFD(int32(i), f, false, uint64(limits[kernel.RLIMIT_NOFILE].Cur))
		f.DecRef()
	}

	k := kernel.NewKernel(p, mf, syscalls.AMD64)
	k.Strace = st
	k.Hostname = args.Hostname
	k.XStateSize = xstate
	t, err := k.NewProcess(kernel.ProcessArgs{
		MM:     m,
		FDs:    fds,
		Limits: limits,
		Regs: linux.PtraceRegs{
			Rip:    res.Entry,
			Rsp:    res.StackPointer,
			Cs:     linux.USER_CS,
			Ss:     linux.USER_DS,
			Eflags: linux.X86_EFLAGS_IF | 0x2,
		},
	})
	if err != nil {
		return ExitStatus{}, err
	}
	tg := t.ThreadGroup()
	log.Infof("starting %s (entry %#x)", args.ExecPath, res.Entry)
	t.Start()
	for {
		select {
		case sig := <-forward:
			s := linux.Signal(sig)
			if s.IsValid() {
				// From outside the sandbox: no sender pid, as the
				// kernel sends it.
				tg.SendSignal(&linux.SignalInfo{Signo: int32(s), Code: linux.SI_USER})
			}
		case <-tg.Done():
			es := tg.ExitStatus()
			return ExitStatus{Code: es.Code, Signal: int(es.Signal)}, nil
		}
	}
}

// newLayout places the stack, the mmap area and PIE executables, with
// random offsets as Linux's ASLR does (with fewer bits).
func newLayout(maxAddr, stackSize uint64) mm.Layout {
	var b [8]byte
	rand.Read(b[:])
	r := binary.LittleEndian.Uint64(b[:])
	const page = 4096
	stackTop := maxAddr - page*(r&0x3fff)
	mmapBase := stackTop - stackSize - (256 << 20) - page*((r>>14)&0xfffff)
	pieBase := uint64(0x5555_5555_4000) + page*((r>>34)&0xffff)
	return mm.Layout{MaxAddr: maxAddr, StackTop: stackTop, MmapBase: mmapBase, PIEBase: pieBase}
}
