package boot

import (
	"errors"
	"fmt"
	"strings"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/pkg/sentry/arch"
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
// outside would be. An error means the sandbox could not start; the caller
// prints it as one line and exits non-zero.
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
	gfs, err := setupFilesystems(k, mf, args.GoferFD)
	if err != nil {
		return ExitStatus{}, err
	}
	defer gfs.Release()

	var ctl *controller
	if args.ControlFD >= 0 {
		ctl = newController(k, args.ControlFD, func(p *control.Process, stdio []int) (*kernel.ThreadGroup, error) {
			return startProcess(k, processSpec{
				path: p.Argv[0], argv: p.Argv, envv: p.Envv, cwd: p.Cwd,
				uid: p.UID, gid: p.GID, groups: p.Groups, stdio: stdio,
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
	tg, err := startProcess(k, processSpec{
		path: args.ExecPath, argv: args.Argv, envv: args.Envv, cwd: args.Cwd,
		uid: args.UID, gid: args.GID, groups: args.Groups, rlimits: args.Rlimits,
		stdio: args.Stdio[:],
	})
	if ctl != nil {
		ctl.initStarted(tg, err)
	}
	if err != nil {
		return ExitStatus{}, err
	}
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
	rlimits    []Rlimit
	// stdio are host FDs for the process's FDs 0, 1 and 2; they are
	// duplicated, the caller keeps its own.
	stdio []int
}

// startProcess starts a process with no parent in the sandbox (like the
// children of a pid namespace's creator) and returns it running.
func startProcess(k *kernel.Kernel, ps processSpec) (*kernel.ThreadGroup, error) {
	limits := kernel.DefaultLimits()
	for _, r := range ps.rlimits {
		if r.Resource < 0 || r.Resource >= len(limits) {
			return nil, fmt.Errorf("rlimit %d: unknown resource", r.Resource)
		}
		limits[r.Resource] = kernel.Limit{Cur: r.Cur, Max: r.Max}
	}
	fds := kernel.NewFDTable()
	for i, hfd := range ps.stdio {
		// The application gets copies: runsc boot keeps its own stderr
		// to report errors on after the application's FDs are gone.
		dup, err := unix.FcntlInt(uintptr(hfd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			fds.Release()
			return nil, fmt.Errorf("stdio fd %d: %w", i, err)
		}
		f, err := host.NewFD(dup)
		if err != nil {
			unix.Close(dup)
			fds.Release()
			return nil, fmt.Errorf("stdio fd %d: %w", i, err)
		}
		fds.SetFD(int32(i), f, false, uint64(limits[kernel.RLIMIT_NOFILE].Cur))
		f.DecRef()
	}
	root := k.MountNS.Root()
	cwd := workingDirectory(k, ps.cwd)
	path := lookPath(k, root, cwd, ps.path, ps.envv)
	if !strings.Contains(path, "/") {
		fds.Release()
		return nil, &ExecError{Err: fmt.Errorf("%q: executable file not found in $PATH: %w", path, linux.ENOENT)}
	}
	creds := auth.Root()
	if ps.uid != 0 || ps.gid != 0 || len(ps.groups) != 0 {
		creds = auth.ForUser(ps.uid, ps.gid, ps.groups)
	}
	t, err := k.NewProcessFromExec(kernel.ExecArgs{
		Path:   path,
		Argv:   ps.argv,
		Envv:   ps.envv,
		FDs:    fds,
		FS:     kernel.NewFSContext(root, cwd),
		Limits: limits,
		Creds:  creds,
	})
	if err != nil {
		fds.Release()
		return nil, &ExecError{Err: err}
	}
	log.Infof("starting %s", path)
	t.Start()
	return t.ThreadGroup(), nil
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
