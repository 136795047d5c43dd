package cmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/runsc/filestore"
	"bulwark.dev/bulwark/runsc/sandbox"
	"github.com/google/subcommands"
)

// Do implements `runsc do`: run one program in a sandbox, with the host's
// file system as its root, and exit with its status.
type Do struct{}

// Name implements subcommands.Command.
func (*Do) Name() string { return "do" }

// Synopsis implements subcommands.Command.
func (*Do) Synopsis() string { return "run a program in a sandbox and exit with its status" }

// Usage implements subcommands.Command.
func (*Do) Usage() string {
	return usageLine(
		"do [--] <command> [args...]",
		"",
		"Runs <command> in a new sandbox and exits with its exit status (128+N",
		"if signal N killed it). A command without a slash is looked up in",
		"$PATH. The program gets runsc's environment and standard I/O.",
		"Exit status 127: no such program; 126: it cannot be executed.",
	)
}

// SetFlags implements subcommands.Command.
func (*Do) SetFlags(*flag.FlagSet) {}

// Execute implements subcommands.Command.
func (d *Do) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	conf, env := confAndEnv(args)
	argv := f.Args()
	if len(argv) == 0 {
		env.errorf("do: no command given (see 'runsc help do')")
		return ExitUsage
	}

	path, exe, err := sandbox.OpenExecutable(argv[0], os.Getenv("PATH"))
	if err != nil {
		env.errorf("do: %v", err)
		var ee *sandbox.ExecError
		if errors.As(err, &ee) {
			return subcommands.ExitStatus(ee.Code)
		}
		return ExitFailure
	}
	// The sentry opens the program itself, through the gofer; the host
	// file was opened only to give a clear error before starting.
	exe.Close()
	cwd, err := os.Getwd()
	if err != nil {
		cwd = "/"
	}

	hostname, err := os.Hostname()
	if err != nil {
		env.errorf("do: get hostname: %v", err)
		return ExitFailure
	}

	// Logs are opened only now that the command line is known to be good,
	// so a bad one leaves no file behind.
	pid := os.Getpid()
	ownLog, err := conf.OpenDebugLog(pid, doID(pid), "do")
	if err != nil {
		env.errorf("do: %v", err)
		return ExitFailure
	}
	if ownLog != nil {
		defer ownLog.Close()
		log.SetTarget(ownLog)
	}
	log.SetDebug(conf.Debug)
	bootLog, err := conf.OpenDebugLog(pid, doID(pid), "boot")
	if err != nil {
		env.errorf("do: %v", err)
		return ExitFailure
	}
	if bootLog != nil {
		defer bootLog.Close()
	}

	log.Debugf("do: running %q (%s) with config %+v", argv, path, *conf)
	// The overlay's upper layer: in memory, or in a filestore file that
	// has no name on the host.
	store, err := filestore.ForOverlay(conf.GetOverlay2(), "/", doID(pid))
	if err != nil {
		env.errorf("do: %v", err)
		return ExitFailure
	}
	if store != nil {
		defer store.Close()
	}
	// The container's root is the host's, served by the gofer: read-only
	// under the sandbox's overlay, writable with --overlay2=none.
	goferFD, gofer, err := sandbox.StartGofer("/", conf.GetOverlay2().Enabled())
	if err != nil {
		env.errorf("do: %v", err)
		return ExitFailure
	}
	goferConn := os.NewFile(uintptr(goferFD), "gofer")
	defer sandbox.StopGofer(gofer)
	defer goferConn.Close()

	sigs, stop := sandbox.NotifyForward()
	defer stop()
	// In the foreground of a terminal, the sandbox takes the foreground
	// for as long as it runs (runsc/sandbox/tty.go).
	term := sandbox.ForegroundTerminal(env.Stdin, env.Stdout, env.Stderr)
	sb, err := sandbox.Start(sandbox.Args{
		Config: conf,
		Request: sandbox.BootRequest{
			ExecPath: path,
			Argv:     argv,
			Envv:     os.Environ(),
			Hostname: hostname,
			Cwd:      cwd,
		},
		Gofer:     goferConn,
		Log:       bootLog,
		Stdin:     env.Stdin,
		Stdout:    env.Stdout,
		Stderr:    env.Stderr,
		Terminal:  term,
		Filestore: store,
	})
	if err != nil {
		env.errorf("do: %v", err)
		return ExitFailure
	}
	// The sandbox holds its own copy now: the gofer sees the connection
	// close when the sandbox ends.
	goferConn.Close()

	code, err := sb.Run(sigs)
	if term != nil {
		if err := sandbox.ReclaimForeground(term); err != nil {
			log.Warningf("do: %v", err)
		}
	}
	if err != nil {
		env.errorf("do: %v", err)
		return ExitFailure
	}
	log.Debugf("do: sandbox exited with status %d", code)
	return subcommands.ExitStatus(code)
}

// doID is the name `runsc do` gives its sandbox where a container ID is
// wanted (--debug-log's %ID%, the filestore's name).
func doID(pid int) string { return fmt.Sprintf("do-%d", pid) }
