package cmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/runsc/boot"
	"bulwark.dev/bulwark/runsc/config"
	"bulwark.dev/bulwark/runsc/sandbox"
	"github.com/google/subcommands"
)

// exitBootFailed is `runsc boot`'s status when the sandbox could not start.
const exitBootFailed = 128

// Boot implements the internal `runsc boot`: the sandbox process. runsc
// starts it (see runsc/sandbox) in new namespaces as pid 1 of a new PID
// namespace; users do not run it.
type Boot struct {
	bootFD      int
	goferFD     int
	logFD       int
	filestoreFD int
	controlFD   int
	exitFD      int
	errorFD     int
	mountFDs    string
}

// Name implements subcommands.Command.
func (*Boot) Name() string { return "boot" }

// Synopsis implements subcommands.Command.
func (*Boot) Synopsis() string { return "start the sentry (internal: runsc runs it itself)" }

// Usage implements subcommands.Command.
func (*Boot) Usage() string {
	return usageLine(
		"boot --boot-fd=N --gofer-fd=N [--log-fd=N] [--filestore-fd=N]",
		"",
		"Internal: the sandbox process, started by runsc in new namespaces.",
	)
}

// SetFlags implements subcommands.Command.
func (b *Boot) SetFlags(f *flag.FlagSet) {
	f.IntVar(&b.bootFD, sandbox.FlagBootFD, -1, "FD holding the boot request as JSON")
	f.IntVar(&b.goferFD, sandbox.FlagGoferFD, -1, "FD of the connection to the gofer")
	f.IntVar(&b.logFD, sandbox.FlagLogFD, -1, "FD of the debug log (default: stderr)")
	f.IntVar(&b.filestoreFD, sandbox.FlagFilestoreFD, -1, "FD of the file that holds the root overlay's upper-layer data (default: memory)")
	f.IntVar(&b.controlFD, sandbox.FlagControlFD, -1, "FD of the listening control socket (runsc create)")
	f.IntVar(&b.exitFD, sandbox.FlagExitFD, -1, "FD of the file to write the first process's wait status to")
	f.IntVar(&b.errorFD, sandbox.FlagErrorFD, -1, "FD of a pipe that gets the error, instead of stderr, if the sandbox fails to start")
	f.StringVar(&b.mountFDs, sandbox.FlagGoferMountFDs, "", "FDs of the connections to the gofer's bind mounts, comma-separated")
}

// Execute implements subcommands.Command.
func (b *Boot) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	_, env := confAndEnv(args)
	status, err := b.run()
	if errors.Is(err, boot.ErrDestroyed) {
		// `runsc delete` of a container never started: nothing to say.
		return subcommands.ExitSuccess
	}
	if err != nil {
		if b.errorFD > 2 {
			// runsc create reports it.
			f := os.NewFile(uintptr(b.errorFD), "error")
			fmt.Fprintf(f, "%v", err)
			f.Close()
		} else {
			env.errorf("boot: %v", err)
		}
		var ee *boot.ExecError
		if errors.As(err, &ee) {
			return subcommands.ExitStatus(ee.ShellCode())
		}
		return exitBootFailed
	}
	return subcommands.ExitStatus(status.ShellCode())
}

func (b *Boot) run() (boot.ExitStatus, error) {
	if b.bootFD < 0 || b.goferFD < 0 {
		return boot.ExitStatus{}, fmt.Errorf("--%s and --%s are required", sandbox.FlagBootFD, sandbox.FlagGoferFD)
	}
	// Catch forwarded signals first: as pid 1 of its PID namespace this
	// process would otherwise ignore them, and a signal arriving before
	// boot.Run must not be lost.
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, sandbox.ForwardedSignals...)
	if sandbox.IsTerminal(0) || sandbox.IsTerminal(1) || sandbox.IsTerminal(2) {
		// The application gets a controlling terminal; these
		// reach its foreground process group (runsc/boot).
		signal.Notify(sigs, sandbox.TerminalSignals...)
	}
	defer signal.Stop(sigs)

	sandbox.CloseOnExec(b.bootFD, b.goferFD, b.logFD, b.filestoreFD, b.controlFD, b.exitFD, b.errorFD)
	mountFDs, err := sandbox.ParseFDs(b.mountFDs)
	if err != nil {
		return boot.ExitStatus{}, fmt.Errorf("--%s: %w", sandbox.FlagGoferMountFDs, err)
	}
	sandbox.CloseOnExec(mountFDs...)

	// The flags of the command line that started this process arrive
	// serialized in the request; this process's own global flags are
	// ignored.
	req, err := sandbox.ReadBootRequest(b.bootFD)
	if err != nil {
		return boot.ExitStatus{}, err
	}
	if !req.Detached {
		if err := sandbox.SetParentDeathSignal(); err != nil {
			return boot.ExitStatus{}, err
		}
	}
	conf, err := config.FromJSON(req.Config)
	if err != nil {
		return boot.ExitStatus{}, err
	}
	// Strace lines go to the debug log, or stderr. Log lines (warnings
	// such as unsupported system calls) go to the debug log, or to stderr
	// only with --debug, so that a program's stderr in the sandbox is
	// what it would be natively.
	logFile := os.Stderr
	if b.logFD >= 0 {
		logFile = os.NewFile(uintptr(b.logFD), "debug-log")
		log.SetTarget(logFile)
	} else if !conf.Debug {
		log.SetTarget(io.Discard)
	}
	log.SetDebug(conf.Debug)

	if err := sandbox.SetHostname(req.Hostname); err != nil {
		return boot.ExitStatus{}, err
	}
	if err := sandbox.EnterEmptyRoot(); err != nil {
		return boot.ExitStatus{}, err
	}
	log.Debugf("boot: pid %d, in empty root, hostname %q", os.Getpid(), req.Hostname)

	forward := make(chan int, 16)
	go func() {
		for sig := range sigs {
			if n, ok := sig.(syscall.Signal); ok {
				forward <- int(n)
			}
		}
	}()

	args := boot.Args{
		GoferFD:         b.goferFD,
		FilestoreFD:     b.filestoreFD,
		Overlay:         conf.GetOverlay2(),
		RootReadOnly:    req.RootReadOnly,
		Mounts:          bootMounts(req.Mounts),
		MaskedPaths:     req.MaskedPaths,
		Caps:            req.Caps,
		NoNewPrivileges: req.NoNewPrivileges,
		ReadonlyPaths:   req.ReadonlyPaths,
		GoferMountFDs:   mountFDs,
		ExecPath:        req.ExecPath,
		Cwd:             req.Cwd,
		Argv:            req.Argv,
		Envv:            req.Envv,
		Stdio:           [3]int{0, 1, 2},
		UID:             req.UID,
		GID:             req.GID,
		Groups:          req.Groups,
		Rlimits:         req.Rlimits,
		ControlFD:       b.controlFD,
		ExitFD:          b.exitFD,
		WaitStart:       req.WaitStart,
		Hostname:        req.Hostname,
		Platform:        conf.Platform,
		Strace:          conf.Strace,
		StraceSyscalls:  conf.StraceSyscalls,
		Debug:           conf.Debug,
		Log:             logFile,
	}
	log.Debugf("boot: calling boot.Run for %q (%s), platform %s", args.Argv, args.ExecPath, args.Platform)
	return boot.Run(args, forward)
}

// bootMounts converts the request's mounts.
func bootMounts(ms []sandbox.Mount) []boot.Mount {
	var out []boot.Mount
	for _, m := range ms {
		out = append(out, boot.Mount{
			Destination: m.Destination, Type: m.Type, Source: m.Source,
			ReadOnly: m.ReadOnly, NoSuid: m.NoSuid, NoDev: m.NoDev, NoExec: m.NoExec,
			GoferIndex: m.GoferIndex, File: m.File,
			Size: m.Size, Mode: m.Mode, UID: m.UID, GID: m.GID, Inodes: m.Inodes,
		})
	}
	return out
}
