package container

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/runsc/config"
	"bulwark.dev/bulwark/runsc/control"
	"bulwark.dev/bulwark/runsc/filestore"
	"bulwark.dev/bulwark/runsc/oci"
	"bulwark.dev/bulwark/runsc/sandbox"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The lifecycle: Create starts a gofer and a sandbox process that builds
// the sentry and waits; Start makes it run the container's process; Kill,
// Wait and Procs talk to it through its control socket; Delete ends what
// is left and removes the state. Each takes the container's lock for its
// whole duration, so concurrent runsc calls on one container are
// serialized (Wait takes it only to read the state).

// CreateOptions are the inputs of Create besides the configuration.
type CreateOptions struct {
	// Bundle is the bundle directory.
	Bundle string
	// PIDFile, if set, receives the sandbox process's pid.
	PIDFile string
	// Stdin, Stdout and Stderr become the container process's stdio.
	Stdin, Stdout, Stderr *os.File
	// Log, if not nil, is the sandbox's debug log.
	Log *os.File
	// Foreground says the sandbox dies with the caller (`runsc run`
	// without --detach) instead of outliving it.
	Foreground bool
	// ConsoleSocket, if set, is the unix socket that receives the
	// master of the terminal made for a process.terminal container.
	ConsoleSocket string
}

// Container is a container that Create set up.
type Container struct {
	State *State
	// Sandbox is the sandbox process, a child of the caller.
	Sandbox *sandbox.Sandbox
	// Terminal, if not nil, is the caller's terminal whose foreground
	// the sandbox process took (a foreground `runsc run` of a
	// process.terminal container): take it back with
	// sandbox.ReclaimForeground once the sandbox ends.
	Terminal *os.File
}

// Create sets up container id from its bundle: it validates everything
// first, then starts the gofer and the sandbox, waits until the sandbox
// serves its control socket, writes the pid file and saves the state as
// created. On any failure nothing is left behind: no process, no state.
func Create(conf *config.Config, id string, o CreateOptions) (*Container, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	bundle, spec, err := oci.LoadBundle(o.Bundle)
	if err != nil {
		return nil, err
	}
	term, err := openTerminal(spec, &o)
	if err != nil {
		return nil, err
	}
	defer term.Close()
	req, err := bootRequest(spec)
	if err != nil {
		return nil, err
	}
	req.WaitStart = true
	req.Detached = !o.Foreground
	ov := conf.GetOverlay2()
	mounts, binds, err := specMounts(spec, bundle, ov)
	if err != nil {
		return nil, err
	}
	req.Mounts = mounts

	lock, err := LockContainer(conf.RootDir, id)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if Exists(conf.RootDir, id) {
		return nil, fmt.Errorf("container %q already exists", id)
	}
	dir := Dir(conf.RootDir, id)
	if err := os.Mkdir(dir, 0o711); err != nil {
		return nil, fmt.Errorf("container %q: state directory: %w", id, err)
	}
	c := &Container{State: &State{
		ID:            id,
		Bundle:        bundle,
		Rootfs:        oci.RootfsPath(spec, bundle),
		Status:        Creating,
		Owner:         os.Geteuid(),
		Spec:          oci.Copy(spec),
		ControlSocket: dir + "/" + control.SocketName,
	}}
	ok := false
	defer func() {
		if !ok {
			c.cleanUp(conf.RootDir)
		}
	}()

	listener, err := control.Listen(dir)
	if err != nil {
		return nil, err
	}
	defer listener.Close()
	exitFile, err := os.OpenFile(filepath.Join(dir, exitName), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("container %q: exit status file: %w", id, err)
	}
	defer exitFile.Close()
	// Under the overlay the gofer only reads the rootfs; without one,
	// writes reach it unless the spec makes the root read-only. Bind
	// mounts are served on sockets of their own.
	goferFD, mountFDs, gofer, err := sandbox.StartGoferWithMounts(sandbox.GoferOptions{
		Root:     c.State.Rootfs,
		ReadOnly: ov.Enabled() || spec.Root.Readonly,
		Detached: !o.Foreground,
		Mounts:   binds,
	})
	if err != nil {
		return nil, err
	}
	var mountConns []*os.File
	for _, fd := range mountFDs {
		mountConns = append(mountConns, os.NewFile(uintptr(fd), "gofer-mount"))
	}
	defer func() {
		for _, f := range mountConns {
			f.Close()
		}
	}()
	store, err := filestore.ForOverlay(ov, c.State.Rootfs, id)
	if err != nil {
		return nil, err
	}
	if store != nil {
		defer store.Close()
	}
	c.State.GoferPID, c.State.GoferStart = gofer.Pid, StartTime(gofer.Pid)
	goferConn := os.NewFile(uintptr(goferFD), "gofer")
	defer goferConn.Close()
	// The gofer is reaped by whoever inherits it; this process only
	// needs to kill it if the sandbox fails to start.
	gofer.Release()

	// The sandbox's error, if it fails before it serves the control
	// socket, comes back through errR to be this create's one line.
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("container %q: %w", id, err)
	}
	defer errR.Close()
	sb, err := sandbox.Start(sandbox.Args{
		Config:         conf,
		Request:        *req,
		Gofer:          goferConn,
		GoferMounts:    mountConns,
		Log:            o.Log,
		Stdin:          o.Stdin,
		Stdout:         o.Stdout,
		Stderr:         o.Stderr,
		Terminal:       term.Foreground,
		ControllingTTY: term.Console != nil,
		Control:        listener,
		ExitFile:       exitFile,
		Filestore:      store,
		ErrorFile:      errW,
	})
	errW.Close()
	if err != nil {
		return nil, err
	}
	c.Sandbox = sb
	c.State.SandboxPID, c.State.SandboxStart = sb.Pid(), StartTime(sb.Pid())
	// Only the sandbox may hold the listener now: if it dies, the ping
	// below must fail rather than wait on a socket nobody serves.
	listener.Close()
	goferConn.Close()
	for _, f := range mountConns {
		f.Close()
	}
	if _, err := control.Call(dir, &control.Request{Op: control.OpPing}); err != nil {
		if errors.Is(err, control.ErrNoSandbox) {
			code, _ := sb.Wait()
			if why, _ := io.ReadAll(io.LimitReader(errR, 4096)); len(why) > 0 {
				return nil, fmt.Errorf("container %q: %s", id, why)
			}
			return nil, fmt.Errorf("container %q: the sandbox failed to start (status %d)", id, code)
		}
		return nil, fmt.Errorf("container %q: %w", id, err)
	}
	if err := term.Send(o.ConsoleSocket); err != nil {
		return nil, err
	}
	if o.PIDFile != "" {
		if err := WritePIDFile(o.PIDFile, sb.Pid()); err != nil {
			return nil, err
		}
	}
	c.Terminal = term.Foreground
	c.State.Status = Created
	c.State.Created = time.Now()
	if err := c.State.Save(conf.RootDir); err != nil {
		if o.PIDFile != "" {
			os.Remove(o.PIDFile)
		}
		return nil, err
	}
	ok = true
	return c, nil
}

// cleanUp undoes a failed Create: the processes it started and its state.
func (c *Container) cleanUp(root string) {
	s := c.State
	killProcess(s.SandboxPID, s.SandboxStart)
	if c.Sandbox != nil {
		c.Sandbox.Wait()
	}
	killProcess(s.GoferPID, s.GoferStart)
	if err := Remove(root, s.ID); err != nil {
		log.Warningf("%v", err)
	}
}

// bootRequest turns the spec's process into the sandbox's boot request.
func bootRequest(spec *specs.Spec) (*sandbox.BootRequest, error) {
	p := spec.Process
	req := &sandbox.BootRequest{
		ExecPath: p.Args[0],
		Argv:     p.Args,
		Envv:     p.Env,
		Cwd:      p.Cwd,
		Hostname: spec.Hostname,
		UID:      p.User.UID,
		GID:      p.User.GID,
		Groups:   p.User.AdditionalGids,
		// The spec's root.readonly; Root is checked by oci.Validate.
		RootReadOnly: spec.Root.Readonly,
	}
	if req.Hostname == "" {
		req.Hostname = "runsc"
	}
	if spec.Linux != nil {
		req.MaskedPaths, req.ReadonlyPaths = spec.Linux.MaskedPaths, spec.Linux.ReadonlyPaths
	}
	caps, err := oci.Capabilities(p.Capabilities)
	if err != nil {
		return nil, err
	}
	req.Caps, req.NoNewPrivileges = caps, p.NoNewPrivileges
	if req.Rlimits, err = oci.Rlimits(p.Rlimits); err != nil {
		return nil, err
	}
	return req, nil
}

// WritePIDFile writes pid to path atomically, as runc does.
func WritePIDFile(path string, pid int) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(fmt.Sprint(pid)), 0o644); err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("pid file: %w", err)
	}
	return nil
}

// Start runs the process of the created container id.
func Start(conf *config.Config, id string) error {
	return transition(conf, id, Created, Running, control.OpStart)
}

// ParseSignal reads a signal as kill(1) takes it: a number, or a name
// with or without "SIG".
func ParseSignal(s string) (unix.Signal, error) {
	if s == "" {
		return unix.SIGTERM, nil
	}
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err == nil && fmt.Sprint(n) == s {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("invalid signal %q", s)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("invalid signal %q", s)
}

// Kill sends sig to the container's init, or to all its processes.
func Kill(conf *config.Config, id string, sig unix.Signal, all bool) error {
	s, err := Load(conf.RootDir, id)
	if err != nil {
		return err
	}
	if s.Status == Stopped {
		return fmt.Errorf("container %q is not running", id)
	}
	_, err = control.Call(Dir(conf.RootDir, id), &control.Request{Op: control.OpSignal, Sig: int(sig), All: all})
	if err != nil {
		if errors.Is(err, control.ErrNoSandbox) {
			return fmt.Errorf("container %q is not running", id)
		}
		return fmt.Errorf("container %q: kill: %w", id, err)
	}
	return nil
}

// Wait waits for the container's init (pid 0) or process pid to end and
// returns its wait(2) status.
func Wait(conf *config.Config, id string, pid int) (unix.WaitStatus, error) {
	if _, err := Load(conf.RootDir, id); err != nil {
		return 0, err
	}
	r, err := control.Call(Dir(conf.RootDir, id), &control.Request{Op: control.OpWait, PID: pid})
	if err != nil {
		if errors.Is(err, control.ErrNoSandbox) {
			// Gone: its init's status may have been recorded.
			if ws, ok := recordedExit(conf.RootDir, id); ok && pid == 0 {
				return ws, nil
			}
			return 0, fmt.Errorf("container %q is not running", id)
		}
		return 0, fmt.Errorf("container %q: wait: %w", id, err)
	}
	return unix.WaitStatus(r.Status), nil
}

// exitName is the file in a container's state directory that the
// sandbox writes its init's wait status to.
const exitName = "exit_status"

// recordedExit returns the wait status the sandbox of container id
// recorded when its init ended.
func recordedExit(root, id string) (unix.WaitStatus, bool) {
	b, err := os.ReadFile(filepath.Join(Dir(root, id), exitName))
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, false
	}
	return unix.WaitStatus(n), true
}

// Procs lists the container's processes.
func Procs(conf *config.Config, id string) ([]control.ProcInfo, error) {
	if _, err := Load(conf.RootDir, id); err != nil {
		return nil, err
	}
	r, err := control.Call(Dir(conf.RootDir, id), &control.Request{Op: control.OpProcs})
	if err != nil {
		if errors.Is(err, control.ErrNoSandbox) {
			return nil, fmt.Errorf("container %q is not running", id)
		}
		return nil, fmt.Errorf("container %q: ps: %w", id, err)
	}
	return r.Procs, nil
}

// Delete removes container id: without force only a container that is
// created (never started: its sandbox is told to exit) or stopped; with
// force also a running one, whose sandbox and gofer are killed. Every
// trace goes: processes, control socket, state and lock file. A missing
// container is an error unless force.
func Delete(conf *config.Config, id string, force bool) error {
	if err := ValidateID(id); err != nil {
		return err
	}
	lock, err := LockContainer(conf.RootDir, id)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	s, err := Load(conf.RootDir, id)
	if err != nil {
		if errors.Is(err, ErrNotExist) && force {
			// Nothing to delete but a stray lock file.
			return Remove(conf.RootDir, id)
		}
		return err
	}
	switch s.Status {
	case Running, Paused:
		if !force {
			return fmt.Errorf("cannot delete container %q that is %s (stop it first, or use --force)", id, s.Status)
		}
	case Created:
		// Tell the waiting sandbox to go; killing it below covers a
		// sandbox that does not answer.
		control.Call(Dir(conf.RootDir, id), &control.Request{Op: control.OpDestroy})
	}
	killProcess(s.SandboxPID, s.SandboxStart)
	killProcess(s.GoferPID, s.GoferStart)
	return Remove(conf.RootDir, id)
}

// killProcess SIGKILLs host process pid if it is still the one that
// started at start, and waits until it is gone (or a zombie its parent
// will reap).
func killProcess(pid int, start uint64) {
	if pid <= 0 || !Alive(pid, start) {
		return
	}
	unix.Kill(pid, unix.SIGKILL)
	for i := 0; Alive(pid, start); i++ {
		if i == 1000 {
			log.Warningf("process %d does not die after SIGKILL", pid)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Exec starts p in running container id with stdio as its FDs 0, 1 and 2,
// and returns its pid in the container.
func Exec(conf *config.Config, id string, p *control.Process, stdio [3]int) (int, error) {
	s, err := Load(conf.RootDir, id)
	if err != nil {
		return 0, err
	}
	if s.Status != Running {
		return 0, fmt.Errorf("container %q is %s, not running", id, s.Status)
	}
	r, err := control.Call(Dir(conf.RootDir, id), &control.Request{Op: control.OpExec, Process: p}, stdio[:]...)
	if err != nil {
		if errors.Is(err, control.ErrNoSandbox) {
			return 0, fmt.Errorf("container %q is not running", id)
		}
		return 0, fmt.Errorf("container %q: %w", id, err)
	}
	return r.PID, nil
}

// Signal sends sig to process pid of container id. With fromTerminal,
// sig came from the exec'd process's terminal and goes where that
// terminal sends it in the sandbox (see control.Request.Terminal).
func Signal(conf *config.Config, id string, pid int, sig unix.Signal, fromTerminal bool) error {
	_, err := control.Call(Dir(conf.RootDir, id), &control.Request{Op: control.OpSignal, Sig: int(sig), PID: pid, Terminal: fromTerminal})
	return err
}

// Stats returns the container's resource usage.
func Stats(conf *config.Config, id string) (*control.Stats, error) {
	if _, err := Load(conf.RootDir, id); err != nil {
		return nil, err
	}
	r, err := control.Call(Dir(conf.RootDir, id), &control.Request{Op: control.OpStats})
	if err != nil {
		if errors.Is(err, control.ErrNoSandbox) {
			return nil, fmt.Errorf("container %q is not running", id)
		}
		return nil, fmt.Errorf("container %q: stats: %w", id, err)
	}
	return r.Stats, nil
}
