package boot

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/pkg/sentry/arch"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/gofer"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/host"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/platform/ptrace"
	"bulwark.dev/bulwark/pkg/sentry/strace"
	syscalls "bulwark.dev/bulwark/pkg/sentry/syscalls/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/runsc/control"
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
	// An OCI container's init is a pid namespace's init in every way.
	k.StrictInit = args.ControlFD > 2
	k.XStateSize = arch.XStateSize()
	// The filestore must reach the platform before the first address
	// space is made.
	upperMF, err := OverlayMemoryFile(p, args, mf)
	if err != nil {
		return ExitStatus{}, err
	}
	gofers, err := setupFilesystems(k, mf, upperMF, &args)
	defer func() {
		for _, g := range gofers {
			g.Release()
		}
	}()
	if err != nil {
		return ExitStatus{}, err
	}
	goferLost := anyDone(gofers)

	var ctl *controller
	if args.ControlFD > 2 {
		if args.WaitStart {
			// As runc's create: a program that cannot be run fails
			// create (the control socket is never served), not start.
			if err := checkProgram(k, initSpec(&args)); err != nil {
				return ExitStatus{}, err
			}
		}
		ctl = newController(k, args.ControlFD, func(p *control.Process, stdio []int) (*kernel.ThreadGroup, *kernel.TTY, error) {
			return startProcess(k, processSpec{
				path: p.Argv[0], argv: p.Argv, envv: p.Envv, cwd: p.Cwd,
				uid: p.UID, gid: p.GID, groups: p.Groups, stdio: stdio,
				caps: p.Caps, noNewPrivs: p.NoNewPrivileges, rlimits: p.Rlimits,
			})
		})
		defer ctl.stop()
		if args.WaitStart {
			select {
			case <-ctl.startReq:
			case <-ctl.destroyReq:
				return ExitStatus{}, ErrDestroyed
			}
		}
	}
	tg, ctty, err := startProcess(k, initSpec(&args))
	if ctl != nil {
		ctl.initStarted(tg, err)
	}
	if err != nil {
		return ExitStatus{}, err
	}
	for {
		select {
		case <-goferLost:
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
			status := ExitStatus{Code: es.Code, Signal: int(es.Signal)}
			if args.ExitFD > 2 {
				// Before the control socket closes, so that a
				// `runsc wait` that finds it closed finds this.
				f := os.NewFile(uintptr(args.ExitFD), "exit-status")
				fmt.Fprintf(f, "%d\n", status.WaitStatus())
				f.Close()
			}
			return status, nil
		}
	}
}

// anyDone returns a channel that is closed when the connection of any of
// fss to the gofer is lost.
func anyDone(fss []*gofer.Filesystem) <-chan struct{} {
	if len(fss) == 1 {
		return fss[0].Done()
	}
	lost := make(chan struct{})
	var once sync.Once
	for _, fs := range fss {
		go func() {
			<-fs.Done()
			once.Do(func() { close(lost) })
		}()
	}
	return lost
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

// ErrDestroyed is Run's error when the container was deleted before it
// was started.
var ErrDestroyed = errors.New("the container was deleted before it started")

// processSpec is a process to start in the sandbox: the container's init
// or an exec'd process.
type processSpec struct {
	// path names the program: absolute, relative to cwd, or a bare
	// name looked up in envv's PATH inside the container.
	path       string
	argv, envv []string
	cwd        string
	uid, gid   uint32
	groups     []uint32
	rlimits    []control.Rlimit
	// caps, if not nil, replace the user's default capability sets
	// before the program is executed; noNewPrivs sets no_new_privs.
	caps       *control.Capabilities
	noNewPrivs bool
	// stdio are host FDs for the process's FDs 0, 1 and 2; they are
	// duplicated, the caller keeps its own.
	stdio []int
}

// initSpec is the first process of args.
func initSpec(args *Args) processSpec {
	return processSpec{
		path: args.ExecPath, argv: args.Argv, envv: args.Envv, cwd: args.Cwd,
		uid: args.UID, gid: args.GID, groups: args.Groups, rlimits: args.Rlimits,
		caps: args.Caps, noNewPrivs: args.NoNewPrivileges, stdio: args.Stdio[:],
	}
}

// checkProgram checks, before the process is started, what its execve
// would check first: that ps's program is found (in $PATH for a bare
// name) and is a regular file its user may execute. It returns an
// *ExecError as startProcess would.
func checkProgram(k *kernel.Kernel, ps processSpec) error {
	root := k.MountNS.Root()
	cwd := workingDirectory(k, ps.cwd)
	path := lookPath(k, root, cwd, ps.path, ps.envv)
	if !strings.Contains(path, "/") {
		return &ExecError{Err: fmt.Errorf("%q: executable file not found in $PATH: %w", path, linux.ENOENT)}
	}
	st, err := k.VFS.StatAt(bootContext{}, &vfs.PathOperation{Root: root, Start: cwd, Path: path, FollowFinal: true})
	if err == nil && !vfs.IsRegular(st.Mode) {
		err = linux.EACCES
	}
	if err == nil {
		err = vfs.MayAccess(processCreds(ps), &st, vfs.MayExec)
	}
	if err != nil {
		return &ExecError{Err: fmt.Errorf("exec %s: %w", path, err)}
	}
	return nil
}

// processCreds are the credentials ps's program is executed with.
func processCreds(ps processSpec) *auth.Credentials {
	creds := auth.Root()
	if ps.uid != 0 || ps.gid != 0 || len(ps.groups) != 0 {
		creds = auth.ForUser(ps.uid, ps.gid, ps.groups)
	}
	if c := ps.caps; c != nil {
		// As runc leaves them just before it executes the program.
		creds.Bounding = auth.CapSet(c.Bounding) & auth.AllCaps
		creds.Permitted = auth.CapSet(c.Permitted) & auth.AllCaps
		creds.Effective = auth.CapSet(c.Effective) & creds.Permitted
		creds.Inheritable = auth.CapSet(c.Inheritable) & auth.AllCaps
		creds.Ambient = auth.CapSet(c.Ambient) & creds.Permitted & creds.Inheritable
	}
	return creds
}

// startProcess starts a process with no parent in the sandbox (like the
// children of a pid namespace's creator) and returns it running. If one of
// its stdio FDs is a host terminal, the first of them becomes the
// controlling terminal of the new process's session (returned; nil if
// none), as a login shell's terminal is, with the process's group in the
// foreground.
func startProcess(k *kernel.Kernel, ps processSpec) (*kernel.ThreadGroup, *kernel.TTY, error) {
	limits := kernel.DefaultLimits()
	for _, r := range ps.rlimits {
		if r.Resource < 0 || r.Resource >= len(limits) {
			return nil, nil, fmt.Errorf("rlimit %d: unknown resource", r.Resource)
		}
		limits[r.Resource] = kernel.Limit{Cur: r.Cur, Max: r.Max}
	}
	fds := kernel.NewFDTable()
	var ctty *kernel.TTY
	for i, hfd := range ps.stdio {
		// The application gets copies: runsc boot keeps its own stderr
		// to report errors on after the application's FDs are gone.
		dup, err := unix.FcntlInt(uintptr(hfd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			fds.Release()
			return nil, nil, fmt.Errorf("stdio fd %d: %w", i, err)
		}
		f, err := host.ImportFD(k, dup)
		if err != nil {
			unix.Close(dup)
			fds.Release()
			return nil, nil, fmt.Errorf("stdio fd %d: %w", i, err)
		}
		if ctty == nil {
			ctty = host.TTYOf(f)
		}
		fds.SetFD(int32(i), f, false, uint64(limits[kernel.RLIMIT_NOFILE].Cur))
		f.DecRef()
	}
	root := k.MountNS.Root()
	cwd := workingDirectory(k, ps.cwd)
	path := lookPath(k, root, cwd, ps.path, ps.envv)
	if !strings.Contains(path, "/") {
		fds.Release()
		return nil, nil, &ExecError{Err: fmt.Errorf("%q: executable file not found in $PATH: %w", path, linux.ENOENT)}
	}
	creds := processCreds(ps)
	t, err := k.NewProcessFromExec(kernel.ExecArgs{
		Path:       path,
		Argv:       ps.argv,
		Envv:       ps.envv,
		FDs:        fds,
		FS:         kernel.NewFSContext(root, cwd),
		Limits:     limits,
		Creds:      creds,
		NoNewPrivs: ps.noNewPrivs,
	})
	if err != nil {
		fds.Release()
		return nil, nil, &ExecError{Err: err}
	}
	if ctty != nil {
		// It cannot fail for a new session leader; if it did, the
		// program would run without a controlling terminal.
		if err := ctty.Acquire(t, false, true); err != nil {
			log.Warningf("boot: controlling terminal: %v", err)
			ctty = nil
		}
	}
	log.Infof("starting %s", path)
	t.Start()
	return t.ThreadGroup(), ctty, nil
}

// lookPath resolves a program name without a slash through the PATH of
// envv inside the container, as execvp would; other names are returned
// as they are. A name not found is returned unchanged, so that exec
// reports ENOENT for it.
func lookPath(k *kernel.Kernel, root, cwd vfs.VirtualDentry, name string, envv []string) string {
	if name == "" || strings.Contains(name, "/") {
		return name
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range envv {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range strings.Split(path, ":") {
		if dir == "" {
			dir = "."
		}
		cand := dir + "/" + name
		st, err := k.VFS.StatAt(bootContext{}, &vfs.PathOperation{Root: root, Start: cwd, Path: cand, FollowFinal: true})
		if err == nil && vfs.IsRegular(st.Mode) && st.Mode&0o111 != 0 {
			return cand
		}
	}
	return name
}
