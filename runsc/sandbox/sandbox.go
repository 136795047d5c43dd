// Package sandbox starts and isolates the sandbox process (`runsc boot`).
//
// The parent side (Start, Sandbox) re-executes runsc as `runsc boot` in new
// namespaces and hands it everything it needs as inherited FDs: the
// executable, a memfd holding the BootRequest as JSON (which carries the
// serialized config), and optionally the debug log and the overlay's
// filestore (runsc/filestore). It then forwards signals
// to it and reports its exit status. The child side (ReadBootRequest,
// EnterEmptyRoot) runs inside `runsc boot` before the sentry starts.
//
// This package must not parse flags (the config arrives already parsed),
// must not let the sandbox process open host paths after EnterEmptyRoot,
// and must not build the sentry itself: that is runsc/boot's job.
package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"

	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/runsc/config"
	"bulwark.dev/bulwark/runsc/control"
	"golang.org/x/sys/unix"
)

// Flags of `runsc boot` that name its inherited FDs. They are internal to
// the runsc binary: Start writes them and runsc/cmd's boot command reads them.
const (
	FlagBootFD      = "boot-fd"
	FlagGoferFD     = "gofer-fd"
	FlagLogFD       = "log-fd"
	FlagFilestoreFD = "filestore-fd"
	// FlagControlFD names the listening control socket (runsc/control)
	// of a sandbox started by `runsc create`.
	FlagControlFD = "control-fd"
	// FlagExitFD names a file that the sandbox writes its first
	// process's wait status to, as decimal text, before it exits.
	FlagExitFD = "exit-fd"
	// FlagErrorFD names a pipe that gets the sandbox's error, instead of
	// its stderr, if it fails before it serves its control socket: the
	// `runsc create` that started it reports it as its own one line.
	FlagErrorFD = "error-fd"
)

// BootRequest is what `runsc boot` needs besides its FDs. It travels as JSON
// through the boot FD.
type BootRequest struct {
	// Config is the parent's parsed and validated configuration, as
	// config.Config.ToJSON wrote it.
	Config []byte `json:"config"`
	// ExecPath is the executable's path as the user gave it (or as found in
	// $PATH); Argv and Envv are the program's arguments and environment.
	ExecPath string   `json:"exec_path"`
	Argv     []string `json:"argv"`
	Envv     []string `json:"envv"`
	// Hostname is the UTS node name to set in the sandbox.
	Hostname string `json:"hostname"`
	// Cwd is the program's working directory in the container ("/" if
	// empty or missing there).
	Cwd string `json:"cwd"`
	// UID, GID and Groups are the program's credentials; Rlimits its
	// resource limits beyond the defaults.
	UID     uint32           `json:"uid,omitempty"`
	GID     uint32           `json:"gid,omitempty"`
	Groups  []uint32         `json:"groups,omitempty"`
	Rlimits []control.Rlimit `json:"rlimits,omitempty"`
	// Caps and NoNewPrivileges are the spec's process.capabilities
	// (nil: root's full sets) and process.noNewPrivileges.
	Caps            *control.Capabilities `json:"caps,omitempty"`
	NoNewPrivileges bool                  `json:"no_new_privileges,omitempty"`
	// RootReadOnly makes the container's root read-only (the OCI spec's
	// root.readonly).
	RootReadOnly bool `json:"root_read_only,omitempty"`
	// WaitStart says the program starts only when a start request
	// arrives on the control socket (`runsc create`, then `start`).
	WaitStart bool `json:"wait_start,omitempty"`
	// Detached says the sandbox outlives the runsc that started it: it
	// must not die with its parent.
	Detached bool `json:"detached,omitempty"`
	// Mounts are the OCI spec's mounts, made after the root in this
	// order (see mounts.go).
	Mounts []Mount `json:"mounts,omitempty"`
	// MaskedPaths and ReadonlyPaths are the spec's linux.maskedPaths
	// and linux.readonlyPaths, applied after the mounts.
	MaskedPaths   []string `json:"masked_paths,omitempty"`
	ReadonlyPaths []string `json:"readonly_paths,omitempty"`
}

// ForwardedSignals are the signals runsc passes on to the sandbox process,
// and that the sandbox process passes on to the application.
var ForwardedSignals = []os.Signal{
	unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2,
}

// Args says how to start a sandbox process.
type Args struct {
	// Config is the validated configuration passed to the sandbox.
	Config *config.Config
	// Request is sent to the sandbox; Start fills in Request.Config.
	Request BootRequest
	// Gofer is the sandbox's end of the connection to the gofer (see
	// StartGofer). Start passes it on; the caller still owns (and should
	// close) its copy.
	Gofer *os.File
	// GoferMounts are the sandbox's ends of the gofer's bind-mount
	// sockets (StartGoferWithMounts), indexed by Mount.GoferIndex; the
	// caller still owns its copies.
	GoferMounts []*os.File
	// Log, if not nil, becomes the sandbox's debug log; the caller still
	// owns its copy.
	Log *os.File
	// Filestore, if not nil, is the file that holds the root overlay's
	// upper-layer data (runsc/filestore); the caller still owns its copy
	// and should close it once Start returns, so that the sandbox holds
	// the only one.
	Filestore *os.File
	// Stdin, Stdout and Stderr become the sandbox's FDs 0, 1 and 2.
	Stdin, Stdout, Stderr *os.File
	// Terminal, if not nil, is a terminal in whose foreground runsc is
	// (ForegroundTerminal): the sandbox process gets a process group of
	// its own in the terminal's foreground (see tty.go).
	Terminal *os.File
	// ControllingTTY says Stdin is a terminal made for the sandbox (a
	// console, see console.go): the sandbox process gets a session of
	// its own with it as its controlling terminal, so that the signals
	// the terminal sends reach it. Terminal must be nil.
	ControllingTTY bool
	// Control, if not nil, is the listening control socket the sandbox
	// serves (see runsc/control); the caller keeps its copy.
	Control *os.File
	// ExitFile, if not nil, receives the first process's wait status
	// when it ends (FlagExitFD); the caller keeps its copy.
	ExitFile *os.File
	// ErrorFile, if not nil, is the write end of a pipe that gets the
	// sandbox's error if it fails to start (FlagErrorFD).
	ErrorFile *os.File
}

// Sandbox is a started sandbox process.
type Sandbox struct {
	cmd *exec.Cmd
}

// Start starts `runsc boot` (by re-executing /proc/self/exe) in new mount,
// PID, IPC and UTS namespaces, a new network namespace for --network=none,
// and a new user namespace mapping the caller to root for --rootless or when
// the caller is not root. The sandbox process stays in the caller's process
// group and is killed (SIGKILL) if the thread that started it dies; Go keeps
// its threads alive unless a goroutine exits while locked to one, so call
// Start from a goroutine that is not locked to its thread, or from one that
// outlives the sandbox.
func Start(args Args) (*Sandbox, error) {
	conf := args.Config
	confJSON, err := conf.ToJSON()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	req := args.Request
	req.Config = confJSON
	reqFile, err := requestMemfd(&req)
	if err != nil {
		return nil, err
	}
	defer reqFile.Close()

	// ExtraFiles[i] becomes FD 3+i in the child.
	extra := []*os.File{args.Gofer, reqFile}
	bootArgs := []string{
		"runsc", "boot",
		"--" + FlagGoferFD + "=" + strconv.Itoa(3),
		"--" + FlagBootFD + "=" + strconv.Itoa(4),
	}
	if args.Log != nil {
		bootArgs = append(bootArgs, "--"+FlagLogFD+"="+strconv.Itoa(3+len(extra)))
		extra = append(extra, args.Log)
	}
	if args.Control != nil {
		bootArgs = append(bootArgs, "--"+FlagControlFD+"="+strconv.Itoa(3+len(extra)))
		extra = append(extra, args.Control)
	}
	if args.ExitFile != nil {
		bootArgs = append(bootArgs, "--"+FlagExitFD+"="+strconv.Itoa(3+len(extra)))
		extra = append(extra, args.ExitFile)
	}
	if args.ErrorFile != nil {
		bootArgs = append(bootArgs, "--"+FlagErrorFD+"="+strconv.Itoa(3+len(extra)))
		extra = append(extra, args.ErrorFile)
	}
	if len(args.GoferMounts) > 0 {
		var fds []int
		for _, f := range args.GoferMounts {
			fds = append(fds, 3+len(extra))
			extra = append(extra, f)
		}
		bootArgs = append(bootArgs, "--"+FlagGoferMountFDs+"="+FormatFDs(fds))
	}
	if args.Filestore != nil {
		extra = append(extra, args.Filestore)
		bootArgs = append(bootArgs, "--"+FlagFilestoreFD+"="+strconv.Itoa(3+len(extra)-1))
	}

	cmd := &exec.Cmd{
		Path: "/proc/self/exe",
		Args: bootArgs,
		// The program's environment travels in the request. The Go
		// runtime must not keep the host's cgroup files open for its
		// GOMAXPROCS updates: the sandbox holds no host file.
		Env:        []string{"GODEBUG=containermaxprocs=0,updatemaxprocs=0"},
		Stdin:      args.Stdin,
		Stdout:     args.Stdout,
		Stderr:     args.Stderr,
		ExtraFiles: extra,
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: namespaceFlags(conf),
			Pdeathsig:  unix.SIGKILL,
		},
	}
	if args.Terminal != nil {
		cmd.SysProcAttr.Foreground = true
		cmd.SysProcAttr.Ctty = int(args.Terminal.Fd())
	}
	if req.Detached {
		// It outlives runsc, in a session of its own, like runc's
		// container process.
		cmd.SysProcAttr.Pdeathsig = 0
		cmd.SysProcAttr.Setsid = true
	}
	if args.ControllingTTY {
		if args.Terminal != nil || args.Stdin == nil {
			return nil, errors.New("sandbox: a console needs Stdin and no Terminal")
		}
		// Ctty is the child's FD: its stdin.
		cmd.SysProcAttr.Setsid = true
		cmd.SysProcAttr.Setctty = true
		cmd.SysProcAttr.Ctty = 0
	}
	if userNamespace(conf) {
		uid, gid := os.Getuid(), os.Getgid()
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}}
		// An unprivileged caller may only write gid_map with setgroups
		// denied.
		cmd.SysProcAttr.GidMappingsEnableSetgroups = false
	}
	log.Debugf("sandbox: starting %v, clone flags %#x", bootArgs, cmd.SysProcAttr.Cloneflags)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("sandbox: start sandbox process: %w", err)
	}
	log.Debugf("sandbox: sandbox process has host pid %d", cmd.Process.Pid)
	return &Sandbox{cmd: cmd}, nil
}

// userNamespace reports whether the sandbox gets its own user namespace.
func userNamespace(conf *config.Config) bool {
	return conf.Rootless || os.Geteuid() != 0
}

// namespaceFlags returns the clone flags for the sandbox process.
func namespaceFlags(conf *config.Config) uintptr {
	flags := uintptr(unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS)
	if conf.Network == config.NetworkNone {
		flags |= unix.CLONE_NEWNET
	}
	if userNamespace(conf) {
		flags |= unix.CLONE_NEWUSER
	}
	return flags
}

// requestMemfd writes req to a sealed memfd positioned at offset 0.
func requestMemfd(req *BootRequest) (*os.File, error) {
	b, err := encodeRequest(req)
	if err != nil {
		return nil, err
	}
	fd, err := unix.MemfdCreate("runsc-boot-request", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("sandbox: memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "runsc-boot-request")
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: write boot request: %w", err)
	}
	// The request is complete: nobody may change it from here on.
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS,
		unix.F_SEAL_SEAL|unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE); err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: seal boot request: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: rewind boot request: %w", err)
	}
	return f, nil
}

// Pid returns the sandbox process's host pid.
func (s *Sandbox) Pid() int { return s.cmd.Process.Pid }

// Signal sends sig to the sandbox process.
func (s *Sandbox) Signal(sig os.Signal) error {
	if err := s.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("sandbox: signal %v to pid %d: %w", sig, s.Pid(), err)
	}
	return nil
}

// Wait waits for the sandbox process to end and returns the status a shell
// would report for it: its exit code, or 128+N if signal N killed it.
func (s *Sandbox) Wait() (int, error) {
	err := s.cmd.Wait()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return 0, fmt.Errorf("sandbox: wait for pid %d: %w", s.Pid(), err)
	}
	ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		return 0, fmt.Errorf("sandbox: wait for pid %d: no wait status", s.Pid())
	}
	return shellCode(ws), nil
}

func shellCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// Run forwards ForwardedSignals that runsc receives to the sandbox process
// until it ends, and returns its shell status as Wait does.
//
// Signal forwarding is set up by the caller before Start (NotifyForward)
// so that no signal arriving in between is lost or kills runsc.
func (s *Sandbox) Run(sigs <-chan os.Signal) (int, error) {
	done := make(chan struct{})
	forwarded := make(chan struct{})
	go func() {
		defer close(forwarded)
		for {
			select {
			case sig := <-sigs:
				log.Debugf("sandbox: forwarding %v to pid %d", sig, s.Pid())
				if err := s.Signal(sig); err != nil {
					log.Warningf("%v", err)
				}
			case <-done:
				return
			}
		}
	}()
	code, err := s.Wait()
	close(done)
	<-forwarded
	return code, err
}

// NotifyForward starts catching ForwardedSignals on a channel for
// Sandbox.Run; stop returns them to their default handling.
func NotifyForward() (sigs chan os.Signal, stop func()) {
	sigs = make(chan os.Signal, 16)
	signal.Notify(sigs, ForwardedSignals...)
	return sigs, func() { signal.Stop(sigs) }
}
