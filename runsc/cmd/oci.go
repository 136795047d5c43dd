package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/runsc/config"
	"bulwark.dev/bulwark/runsc/container"
	"bulwark.dev/bulwark/runsc/control"
	"bulwark.dev/bulwark/runsc/oci"
	"bulwark.dev/bulwark/runsc/sandbox"
	"github.com/google/subcommands"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The OCI runtime commands, with runc's conventions: a container ID as
// the argument, state under the global --root, one error line on failure.

// oneID returns the single container ID argument of command name.
func oneID(name string, f *flag.FlagSet, env Env) (string, bool) {
	if f.NArg() != 1 {
		env.errorf("%s: want exactly one container ID (see 'runsc help %s')", name, name)
		return "", false
	}
	return f.Arg(0), true
}

// fail prints err as runsc's one error line for command name.
func fail(env Env, name string, err error) subcommands.ExitStatus {
	env.errorf("%s: %v", name, err)
	return ExitFailure
}

// Spec implements `runsc spec`.
type Spec struct {
	bundle string
}

func (*Spec) Name() string     { return "spec" }
func (*Spec) Synopsis() string { return "write a default config.json for a bundle" }
func (*Spec) Usage() string {
	return usageLine("spec [--bundle DIR] [-- command args...]",
		"",
		"Writes config.json into the bundle directory (default: the current",
		"directory): a process in the bundle's rootfs, with the usual mounts.",
		"The command defaults to sh. An existing config.json is not replaced.")
}
func (s *Spec) SetFlags(f *flag.FlagSet) {
	f.StringVar(&s.bundle, "bundle", "", "bundle directory (default: the current directory)")
}

func (s *Spec) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	_, env := confAndEnv(args)
	dir := s.bundle
	if dir == "" {
		dir = "."
	}
	path := filepath.Join(dir, oci.ConfigName)
	if _, err := os.Lstat(path); err == nil {
		return fail(env, "spec", fmt.Errorf("%s exists: remove it first", path))
	}
	b, err := json.MarshalIndent(oci.DefaultSpec(f.Args()), "", "\t")
	if err != nil {
		return fail(env, "spec", err)
	}
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fail(env, "spec", err)
	}
	if _, err := out.Write(append(b, '\n')); err != nil {
		out.Close()
		os.Remove(path)
		return fail(env, "spec", err)
	}
	if err := out.Close(); err != nil {
		return fail(env, "spec", err)
	}
	return subcommands.ExitSuccess
}

// createFlags are the flags create and run share.
type createFlags struct {
	bundle, pidFile, consoleSocket string
}

func (c *createFlags) set(f *flag.FlagSet) {
	f.StringVar(&c.bundle, "bundle", "", "bundle directory (default: the current directory)")
	f.StringVar(&c.pidFile, "pid-file", "", "file to write the sandbox process's pid to")
	f.StringVar(&c.consoleSocket, "console-socket", "", "unix socket to send the terminal's master to")
}

// create runs container.Create for command name.
func (c *createFlags) create(conf *config.Config, env Env, name, id string, foreground bool) (*container.Container, error) {
	// Logs are opened only now that the command line is known to be good.
	bootLog, err := conf.OpenDebugLog(os.Getpid(), id, "boot")
	if err != nil {
		return nil, err
	}
	if bootLog != nil {
		defer bootLog.Close()
	}
	return container.Create(conf, id, container.CreateOptions{
		Bundle:        c.bundle,
		PIDFile:       c.pidFile,
		Stdin:         env.Stdin,
		Stdout:        env.Stdout,
		Stderr:        env.Stderr,
		Log:           bootLog,
		Foreground:    foreground,
		ConsoleSocket: c.consoleSocket,
	})
}

// Create implements `runsc create`.
type Create struct{ createFlags }

func (*Create) Name() string     { return "create" }
func (*Create) Synopsis() string { return "create a container from a bundle (OCI)" }
func (*Create) Usage() string {
	return usageLine("create [--bundle DIR] [--pid-file F] [--console-socket S] <container-id>",
		"",
		"Sets the container up and leaves it waiting: `runsc start` runs its",
		"process. Its stdio are runsc's; with process.terminal, they are a new",
		"terminal whose master goes to --console-socket (required).")
}
func (c *Create) SetFlags(f *flag.FlagSet) { c.set(f) }

func (c *Create) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf, env := confAndEnv(args)
	id, ok := oneID("create", f, env)
	if !ok {
		return ExitUsage
	}
	if _, err := c.create(conf, env, "create", id, false); err != nil {
		return fail(env, "create", err)
	}
	return subcommands.ExitSuccess
}

// Start implements `runsc start`.
type Start struct{}

func (*Start) Name() string             { return "start" }
func (*Start) Synopsis() string         { return "start a created container (OCI)" }
func (*Start) Usage() string            { return usageLine("start <container-id>") }
func (*Start) SetFlags(f *flag.FlagSet) {}

func (*Start) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	return idCommand("start", f, args, container.Start)
}

// Run implements `runsc run`: create, start, and (without --detach) wait
// for the container and delete it, exiting with its status.
type Run struct {
	createFlags
	detach bool
}

func (*Run) Name() string     { return "run" }
func (*Run) Synopsis() string { return "create and start a container, and wait for it (OCI)" }
func (*Run) Usage() string {
	return usageLine("run [--bundle DIR] [--pid-file F] [--console-socket S] [--detach] <container-id>",
		"",
		"Without --detach, waits for the container's process, deletes the",
		"container and exits with the process's status (128+N for signal N).",
		"With process.terminal, the process gets a new terminal whose master",
		"goes to --console-socket, or else runsc's own terminal (stdin).")
}
func (r *Run) SetFlags(f *flag.FlagSet) {
	r.set(f)
	f.BoolVar(&r.detach, "detach", false, "return once the container is started")
}

func (r *Run) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf, env := confAndEnv(args)
	id, ok := oneID("run", f, env)
	if !ok {
		return ExitUsage
	}
	var sigs chan os.Signal
	if !r.detach {
		var stop func()
		sigs, stop = sandbox.NotifyForward()
		defer stop()
	}
	c, err := r.create(conf, env, "run", id, !r.detach)
	if err != nil {
		return fail(env, "run", err)
	}
	if err := container.Start(conf, id); err != nil {
		container.Delete(conf, id, true)
		return fail(env, "run", err)
	}
	if r.detach {
		return subcommands.ExitSuccess
	}
	code, err := c.Sandbox.Run(sigs)
	if c.Terminal != nil {
		if err := sandbox.ReclaimForeground(c.Terminal); err != nil {
			log.Warningf("run: %v", err)
		}
	}
	if derr := container.Delete(conf, id, true); derr != nil {
		log.Warningf("run: %v", derr)
	}
	if err != nil {
		return fail(env, "run", err)
	}
	return subcommands.ExitStatus(code)
}

// State implements `runsc state`.
type State struct{}

func (*State) Name() string             { return "state" }
func (*State) Synopsis() string         { return "print a container's OCI state as JSON" }
func (*State) Usage() string            { return usageLine("state <container-id>") }
func (*State) SetFlags(f *flag.FlagSet) {}

func (*State) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf, env := confAndEnv(args)
	id, ok := oneID("state", f, env)
	if !ok {
		return ExitUsage
	}
	s, err := container.Load(conf.RootDir, id)
	if err != nil {
		return fail(env, "state", err)
	}
	b, err := json.MarshalIndent(s.OCI(), "", "  ")
	if err != nil {
		return fail(env, "state", err)
	}
	fmt.Fprintf(env.Stdout, "%s\n", b)
	return subcommands.ExitSuccess
}

// List implements `runsc list`.
type List struct {
	format string
	quiet  bool
}

func (*List) Name() string     { return "list" }
func (*List) Synopsis() string { return "list the containers under --root" }
func (*List) Usage() string    { return usageLine("list [--format table|json] [--quiet]") }
func (l *List) SetFlags(f *flag.FlagSet) {
	f.StringVar(&l.format, "format", "table", "output format: table or json")
	f.BoolVar(&l.quiet, "quiet", false, "print only the IDs")
	f.BoolVar(&l.quiet, "q", false, "print only the IDs")
}

func (l *List) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf, env := confAndEnv(args)
	if f.NArg() != 0 {
		env.errorf("list: takes no arguments")
		return ExitUsage
	}
	if l.format != "table" && l.format != "json" {
		env.errorf("list: invalid format %q (table or json)", l.format)
		return ExitUsage
	}
	ids, err := container.List(conf.RootDir)
	if err != nil {
		return fail(env, "list", err)
	}
	var states []container.OCIState
	for _, id := range ids {
		s, err := container.Load(conf.RootDir, id)
		if err != nil {
			// Deleted meanwhile: not listed.
			continue
		}
		states = append(states, s.OCI())
	}
	switch {
	case l.quiet:
		for _, s := range states {
			fmt.Fprintln(env.Stdout, s.ID)
		}
	case l.format == "json":
		if states == nil {
			states = []container.OCIState{}
		}
		b, err := json.Marshal(states)
		if err != nil {
			return fail(env, "list", err)
		}
		fmt.Fprintf(env.Stdout, "%s\n", b)
	default:
		w := tabwriter.NewWriter(env.Stdout, 12, 1, 3, ' ', 0)
		fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
		for _, s := range states {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Pid, s.Status, s.Bundle,
				s.Created.Format(time.RFC3339Nano), s.Owner)
		}
		w.Flush()
	}
	return subcommands.ExitSuccess
}

// Kill implements `runsc kill`.
type Kill struct {
	all bool
}

func (*Kill) Name() string     { return "kill" }
func (*Kill) Synopsis() string { return "send a signal to a container's process" }
func (*Kill) Usage() string {
	return usageLine("kill [--all] <container-id> [signal]",
		"",
		"The signal is a number or a name (TERM, SIGTERM); the default is SIGTERM.",
		"--all sends it to every process of the container.")
}
func (k *Kill) SetFlags(f *flag.FlagSet) {
	f.BoolVar(&k.all, "all", false, "send the signal to every process of the container")
	f.BoolVar(&k.all, "a", false, "send the signal to every process of the container")
}

func (k *Kill) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf, env := confAndEnv(args)
	if f.NArg() < 1 || f.NArg() > 2 {
		env.errorf("kill: want a container ID and an optional signal (see 'runsc help kill')")
		return ExitUsage
	}
	sig, err := container.ParseSignal(f.Arg(1))
	if err != nil {
		env.errorf("kill: %v", err)
		return ExitUsage
	}
	if err := container.Kill(conf, f.Arg(0), sig, k.all); err != nil {
		return fail(env, "kill", err)
	}
	return subcommands.ExitSuccess
}

// Delete implements `runsc delete`.
type Delete struct {
	force bool
}

func (*Delete) Name() string     { return "delete" }
func (*Delete) Synopsis() string { return "delete a container and everything runsc keeps for it" }
func (*Delete) Usage() string {
	return usageLine("delete [--force] <container-id>",
		"",
		"A running container is deleted only with --force, which kills it.")
}
func (d *Delete) SetFlags(f *flag.FlagSet) {
	f.BoolVar(&d.force, "force", false, "kill a running container; a missing one is not an error")
	f.BoolVar(&d.force, "f", false, "kill a running container; a missing one is not an error")
}

func (d *Delete) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf, env := confAndEnv(args)
	id, ok := oneID("delete", f, env)
	if !ok {
		return ExitUsage
	}
	if err := container.Delete(conf, id, d.force); err != nil {
		return fail(env, "delete", err)
	}
	return subcommands.ExitSuccess
}

// Wait implements `runsc wait`.
type Wait struct {
	pid int
}

func (*Wait) Name() string     { return "wait" }
func (*Wait) Synopsis() string { return "wait for a container's process and print its exit status" }
func (*Wait) Usage() string {
	return usageLine("wait [--pid N] <container-id>",
		"",
		`Prints {"id": ID, "exitStatus": N} once the process ends.`)
}
func (w *Wait) SetFlags(f *flag.FlagSet) {
	f.IntVar(&w.pid, "pid", 0, "a process of the container (default: its init)")
}

func (w *Wait) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf, env := confAndEnv(args)
	id, ok := oneID("wait", f, env)
	if !ok {
		return ExitUsage
	}
	ws, err := container.Wait(conf, id, w.pid)
	if err != nil {
		return fail(env, "wait", err)
	}
	code := ws.ExitStatus()
	if ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	b, _ := json.Marshal(struct {
		ID         string `json:"id"`
		ExitStatus int    `json:"exitStatus"`
	}{id, code})
	fmt.Fprintf(env.Stdout, "%s\n", b)
	return subcommands.ExitSuccess
}

// PS implements `runsc ps`.
type PS struct {
	format string
}

func (*PS) Name() string     { return "ps" }
func (*PS) Synopsis() string { return "list a container's processes" }
func (*PS) Usage() string    { return usageLine("ps [--format table|json] <container-id>") }
func (p *PS) SetFlags(f *flag.FlagSet) {
	f.StringVar(&p.format, "format", "table", "output format: table or json (a list of pids)")
}

func (p *PS) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf, env := confAndEnv(args)
	id, ok := oneID("ps", f, env)
	if !ok {
		return ExitUsage
	}
	if p.format != "table" && p.format != "json" {
		env.errorf("ps: invalid format %q (table or json)", p.format)
		return ExitUsage
	}
	procs, err := container.Procs(conf, id)
	if err != nil {
		return fail(env, "ps", err)
	}
	if p.format == "json" {
		pids := []int{}
		for _, pr := range procs {
			pids = append(pids, pr.PID)
		}
		b, _ := json.Marshal(pids)
		fmt.Fprintf(env.Stdout, "%s\n", b)
		return subcommands.ExitSuccess
	}
	w := tabwriter.NewWriter(env.Stdout, 6, 1, 2, ' ', 0)
	fmt.Fprint(w, "UID\tPID\tPPID\tTHREADS\tCMD\n")
	for _, pr := range procs {
		fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%s\n", pr.UID, pr.PID, pr.PPID, pr.Threads, strings.TrimSpace(pr.Cmd))
	}
	w.Flush()
	return subcommands.ExitSuccess
}

// Exec implements `runsc exec`: start a process in a running container.
type Exec struct {
	processFile string
	detach      bool
	pidFile     string
	cwd         string
	user        string
	env         listFlag
	tty         bool
	// consoleSocket receives the master of a terminal made for the
	// process (--tty, or terminal in --process).
	consoleSocket string
	// readyFD and processFD are internal: the detached parent passes the
	// process description and waits for the start (see detachExec).
	readyFD, processFD int
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func (*Exec) Name() string     { return "exec" }
func (*Exec) Synopsis() string { return "run a new process in a running container" }
func (*Exec) Usage() string {
	return usageLine("exec [--process F | -- command args...] [--detach] [--pid-file F] [--cwd D] [--user UID[:GID]] [--env K=V] [--tty [--console-socket S]] <container-id>",
		"",
		"Runs the process in the container with runsc's stdio and exits with its",
		"status (128+N for signal N). --process names a JSON OCI process.",
		"With --detach, returns once it runs; --pid-file then names a host",
		"process that ends with it and whose exit status is its.",
		"--tty (or terminal in --process) gives it a new terminal whose master",
		"goes to --console-socket; without one, runsc's own terminal (stdin,",
		"attached only).")
}
func (e *Exec) SetFlags(f *flag.FlagSet) {
	f.StringVar(&e.processFile, "process", "", "JSON file of an OCI process (instead of arguments)")
	f.BoolVar(&e.detach, "detach", false, "return once the process runs")
	f.BoolVar(&e.detach, "d", false, "return once the process runs")
	f.StringVar(&e.pidFile, "pid-file", "", "file to write the pid of the host process standing for it to")
	f.StringVar(&e.cwd, "cwd", "", "working directory in the container")
	f.StringVar(&e.user, "user", "", "UID[:GID] to run as")
	f.StringVar(&e.user, "u", "", "UID[:GID] to run as")
	f.Var(&e.env, "env", "an environment variable K=V (repeatable)")
	f.Var(&e.env, "e", "an environment variable K=V (repeatable)")
	f.BoolVar(&e.tty, "tty", false, "give the process a terminal")
	f.BoolVar(&e.tty, "t", false, "give the process a terminal")
	f.StringVar(&e.consoleSocket, "console-socket", "", "unix socket to send the terminal's master to")
	f.IntVar(&e.readyFD, "internal-ready-fd", -1, "internal")
	f.IntVar(&e.processFD, "internal-process-fd", -1, "internal")
}

// process builds the process to run from the flags and arguments: the
// --process file, or the arguments with the container's environment. It
// also returns the process's console size, if it has one.
func (e *Exec) process(conf *config.Config, id string, args []string) (*control.Process, *specs.Box, error) {
	if e.processFD >= 0 {
		f := os.NewFile(uintptr(e.processFD), "process")
		defer f.Close()
		var p control.Process
		if err := json.NewDecoder(f).Decode(&p); err != nil {
			return nil, nil, fmt.Errorf("internal process description: %w", err)
		}
		return &p, nil, nil
	}
	s, err := container.Load(conf.RootDir, id)
	if err != nil {
		return nil, nil, err
	}
	var sp specs.Process
	if e.processFile != "" {
		if len(args) != 0 {
			return nil, nil, errors.New("give --process or a command, not both")
		}
		b, err := os.ReadFile(e.processFile)
		if err != nil {
			return nil, nil, fmt.Errorf("--process: %w", err)
		}
		if err := json.Unmarshal(b, &sp); err != nil {
			return nil, nil, fmt.Errorf("--process %s: invalid JSON: %w", e.processFile, err)
		}
	} else {
		if len(args) == 0 {
			return nil, nil, errors.New("no command given")
		}
		sp.Args = args
		if s.Spec != nil && s.Spec.Process != nil {
			// As runc: the container's process settings.
			sp.Env = s.Spec.Process.Env
			sp.Cwd = s.Spec.Process.Cwd
			sp.User = s.Spec.Process.User
			sp.Capabilities = s.Spec.Process.Capabilities
			sp.NoNewPrivileges = s.Spec.Process.NoNewPrivileges
			sp.Rlimits = s.Spec.Process.Rlimits
		}
	}
	if len(sp.Args) == 0 {
		return nil, nil, errors.New("process.args is empty")
	}
	sp.Env = append(sp.Env, e.env...)
	if e.cwd != "" {
		sp.Cwd = e.cwd
	}
	if sp.Cwd == "" {
		sp.Cwd = "/"
	}
	if e.user != "" {
		uid, gid, err := parseUser(e.user)
		if err != nil {
			return nil, nil, err
		}
		sp.User.UID, sp.User.GID = uid, gid
	}
	caps, err := oci.Capabilities(sp.Capabilities)
	if err != nil {
		return nil, nil, err
	}
	rlimits, err := oci.Rlimits(sp.Rlimits)
	if err != nil {
		return nil, nil, err
	}
	return &control.Process{
		Argv: sp.Args, Envv: sp.Env, Cwd: sp.Cwd,
		UID: sp.User.UID, GID: sp.User.GID, Groups: sp.User.AdditionalGids,
		Terminal: sp.Terminal || e.tty,
		Caps:     caps, NoNewPrivileges: sp.NoNewPrivileges, Rlimits: rlimits,
	}, sp.ConsoleSize, nil
}

// parseUser reads UID[:GID].
func parseUser(s string) (uint32, uint32, error) {
	u, g, _ := strings.Cut(s, ":")
	uid, err := strconv.ParseUint(u, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("invalid --user %q: want UID[:GID] as numbers", s)
	}
	gid := uint64(0)
	if g != "" {
		if gid, err = strconv.ParseUint(g, 10, 32); err != nil {
			return 0, 0, fmt.Errorf("invalid --user %q: want UID[:GID] as numbers", s)
		}
	}
	return uint32(uid), uint32(gid), nil
}

func (e *Exec) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf, env := confAndEnv(args)
	if f.NArg() < 1 {
		env.errorf("exec: want a container ID (see 'runsc help exec')")
		return ExitUsage
	}
	id := f.Arg(0)
	p, size, err := e.process(conf, id, f.Args()[1:])
	if err != nil {
		return fail(env, "exec", err)
	}
	var term *container.Terminal
	if e.processFD < 0 {
		// Not the internal child of a detached exec, whose stdio are
		// already the terminal its parent chose.
		term, err = container.OpenTerminal(p.Terminal, size, e.consoleSocket, !e.detach, &env.Stdin, &env.Stdout, &env.Stderr)
		if err != nil {
			return fail(env, "exec", err)
		}
		defer term.Close()
		if err := term.Send(e.consoleSocket); err != nil {
			return fail(env, "exec", err)
		}
	}
	if e.detach {
		return e.detachExec(conf, env, id, p, term != nil && term.Console != nil)
	}
	sigs, stop := sandbox.NotifyForward()
	defer stop()
	if p.Terminal {
		// The terminal's size changes reach the process as they would
		// through its terminal.
		signal.Notify(sigs, unix.SIGWINCH)
	}
	pid, err := container.Exec(conf, id, p, [3]int{int(env.Stdin.Fd()), int(env.Stdout.Fd()), int(env.Stderr.Fd())})
	if err != nil {
		return fail(env, "exec", err)
	}
	if e.readyFD >= 0 {
		ready := os.NewFile(uintptr(e.readyFD), "ready")
		ready.Write([]byte{1})
		ready.Close()
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case sig := <-sigs:
				if n, ok := sig.(syscall.Signal); ok {
					container.Signal(conf, id, pid, unix.Signal(n), p.Terminal)
				}
			case <-done:
				return
			}
		}
	}()
	ws, err := container.Wait(conf, id, pid)
	if err != nil {
		return fail(env, "exec", err)
	}
	if ws.Signaled() {
		return subcommands.ExitStatus(128 + int(ws.Signal()))
	}
	return subcommands.ExitStatus(ws.ExitStatus())
}

// detachExec runs the exec in a child runsc that waits for the process,
// so that the host has a process standing for it: its pid goes to the pid
// file and its exit status is the process's (what a container engine's
// monitor waits for). It returns once the process runs.
//
// With console, the child's stdio are a console's slave, which becomes its
// controlling terminal in its new session: what the engine does to the
// master (^C, a window size change) signals it, and it passes that on.
func (e *Exec) detachExec(conf *config.Config, env Env, id string, p *control.Process, console bool) subcommands.ExitStatus {
	desc, err := json.Marshal(p)
	if err != nil {
		return fail(env, "exec", err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return fail(env, "exec", err)
	}
	defer pr.Close()
	procR, procW, err := os.Pipe()
	if err != nil {
		pw.Close()
		return fail(env, "exec", err)
	}
	defer procR.Close()
	cmd := exec.Command("/proc/self/exe", "--root", conf.RootDir, "exec",
		"--internal-ready-fd=3", "--internal-process-fd=4", id)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = env.Stdin, env.Stdout, env.Stderr
	cmd.ExtraFiles = []*os.File{pw, procR}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if console {
		cmd.SysProcAttr.Setctty = true
		cmd.SysProcAttr.Ctty = 0
	}
	if err := cmd.Start(); err != nil {
		pw.Close()
		procW.Close()
		return fail(env, "exec", err)
	}
	pw.Close()
	_, werr := procW.Write(desc)
	procW.Close()
	var b [1]byte
	if n, _ := pr.Read(b[:]); n != 1 || werr != nil {
		// The child failed before the process ran; it said why.
		cmd.Wait()
		return ExitFailure
	}
	if e.pidFile != "" {
		if err := container.WritePIDFile(e.pidFile, cmd.Process.Pid); err != nil {
			return fail(env, "exec", err)
		}
	}
	return subcommands.ExitSuccess
}

// Events implements `runsc events`.
type Events struct {
	stats    bool
	interval time.Duration
}

func (*Events) Name() string     { return "events" }
func (*Events) Synopsis() string { return "print a container's resource usage" }
func (*Events) Usage() string {
	return usageLine("events [--stats] [--interval D] <container-id>",
		"",
		"Prints a stats event as JSON every --interval until the container stops,",
		"or once with --stats.")
}
func (ev *Events) SetFlags(f *flag.FlagSet) {
	f.BoolVar(&ev.stats, "stats", false, "print the stats once and exit")
	f.DurationVar(&ev.interval, "interval", 5*time.Second, "time between two stats events")
}

func (ev *Events) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf, env := confAndEnv(args)
	id, ok := oneID("events", f, env)
	if !ok {
		return ExitUsage
	}
	if ev.interval <= 0 {
		env.errorf("events: --interval must be positive")
		return ExitUsage
	}
	for {
		st, err := container.Stats(conf, id)
		if err != nil {
			if !ev.stats && strings.Contains(err.Error(), "not running") {
				return subcommands.ExitSuccess
			}
			return fail(env, "events", err)
		}
		b, _ := json.Marshal(map[string]any{"type": "stats", "id": id, "data": st})
		fmt.Fprintf(env.Stdout, "%s\n", b)
		if ev.stats {
			return subcommands.ExitSuccess
		}
		time.Sleep(ev.interval)
	}
}
