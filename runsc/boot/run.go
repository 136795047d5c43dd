package boot

import (
	"errors"
	"fmt"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/pkg/sentry/arch"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/host"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/platform/ptrace"
	"bulwark.dev/bulwark/pkg/sentry/strace"
	syscalls "bulwark.dev/bulwark/pkg/sentry/syscalls/linux"
	"golang.org/x/sys/unix"
)

// Run starts the sentry and the first process and blocks until its thread
// group exits. Host signals that runsc forwards (SIGINT, SIGTERM, ...)
// arrive on forward and are sent to the first process as kill(2) from
// outside would be; except that when the first process's session has a
// host terminal as its controlling terminal (see below), the signals a
// terminal sends (SIGINT, SIGQUIT and SIGTSTP from its keys, SIGWINCH
// when its window size changed) go to the terminal's foreground process
// group instead. An error means the sandbox could not start; the caller
// prints it as one line and exits non-zero.
//
// If one of the stdio FDs is a terminal, the first of them becomes the
// controlling terminal of the first process's session, as a login shell's
// terminal is, with the first process's group in the foreground.
func Run(args Args, forward <-chan int) (ExitStatus, error) {
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

	k := kernel.NewKernel(p, mf, syscalls.AMD64)
	k.Strace = st
	k.Hostname = args.Hostname
	k.XStateSize = arch.XStateSize()
	// The filestore must reach the platform before the first address
	// space is made.
	upperMF, err := OverlayMemoryFile(p, args, mf)
	if err != nil {
		return ExitStatus{}, err
	}
	gfs, err := setupFilesystems(k, mf, args.GoferFD, args.Overlay, upperMF)
	if err != nil {
		return ExitStatus{}, err
	}
	defer gfs.Release()

	limits := kernel.DefaultLimits()
	fds := kernel.NewFDTable()
	var ctty *kernel.TTY
	for i, hfd := range args.Stdio {
		// The application gets copies: runsc boot keeps its own stderr
		// to report errors on after the application's FDs are gone.
		dup, err := unix.FcntlInt(uintptr(hfd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			fds.Release()
			return ExitStatus{}, fmt.Errorf("stdio fd %d: %w", i, err)
		}
		f, err := host.ImportFD(k, dup)
		if err != nil {
			unix.Close(dup)
			fds.Release()
			return ExitStatus{}, fmt.Errorf("stdio fd %d: %w", i, err)
		}
		if ctty == nil {
			ctty = host.TTYOf(f)
		}
		fds.SetFD(int32(i), f, false, uint64(limits[kernel.RLIMIT_NOFILE].Cur))
		f.DecRef()
	}
	root := k.MountNS.Root()
	t, err := k.NewProcessFromExec(kernel.ExecArgs{
		Path:   args.ExecPath,
		Argv:   args.Argv,
		Envv:   args.Envv,
		FDs:    fds,
		FS:     kernel.NewFSContext(root, workingDirectory(k, args.Cwd)),
		Limits: limits,
	})
	if err != nil {
		fds.Release()
		return ExitStatus{}, &ExecError{Err: err}
	}
	tg := t.ThreadGroup()
	if ctty != nil {
		// It cannot fail for a new session leader; if it did, the
		// program would run without a controlling terminal.
		if err := ctty.Acquire(t, false, true); err != nil {
			log.Warningf("boot: controlling terminal: %v", err)
			ctty = nil
		}
	}
	log.Infof("starting %s", args.ExecPath)
	t.Start()
	for {
		select {
		case <-gfs.Done():
			// Without its file server the sandbox cannot go on: end the
			// application rather than let it hang on its next file access.
			tg.SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGKILL), Code: linux.SI_KERNEL})
			<-tg.Done()
			return ExitStatus{}, errors.New("the gofer (the sandbox's file server) died: the sandbox cannot continue")
		case sig := <-forward:
			s := linux.Signal(sig)
			if ctty != nil && terminalSignal(ctty, s) {
				continue
			}
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

// terminalSignal delivers s as the terminal tty would if it is one that
// terminals send: SIGINT, SIGQUIT and SIGTSTP to the foreground process
// group, and SIGWINCH there too if the window size changed (not if the
// change was made from inside the sandbox, which has signalled it
// already). It reports false if s is to go to the first process instead:
// another signal, or SIGINT or SIGQUIT when no session has the terminal
// any more (runsc also forwards those when they are sent to it with
// kill). SIGTSTP and SIGWINCH only come from the terminal: without a
// session they go nowhere, as on a terminal.
func terminalSignal(tty *kernel.TTY, s linux.Signal) bool {
	switch s {
	case linux.SIGINT, linux.SIGQUIT:
		return tty.SignalForeground(s)
	case linux.SIGTSTP:
		tty.SignalForeground(s)
		return true
	case linux.SIGWINCH:
		tty.HostResized()
		return true
	}
	return false
}
