package cmd

import (
	"context"
	"flag"
	"fmt"

	"bulwark.dev/bulwark/pkg/lisafs"
	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/runsc/fsgofer"
	"bulwark.dev/bulwark/runsc/sandbox"
	"github.com/google/subcommands"
	"golang.org/x/sys/unix"
)

// Gofer implements the internal `runsc gofer`: the process that serves the
// container's root to the sentry over LISAFS. runsc starts it (see
// sandbox.StartGofer) in a new mount namespace; users do not run it.
type Gofer struct {
	root     string
	sockFD   int
	readOnly bool
	detached bool
}

// Name implements subcommands.Command.
func (*Gofer) Name() string { return "gofer" }

// Synopsis implements subcommands.Command.
func (*Gofer) Synopsis() string {
	return "serve the container root over LISAFS (internal: runsc runs it itself)"
}

// Usage implements subcommands.Command.
func (*Gofer) Usage() string {
	return usageLine(
		"gofer --root=DIR --sock-fd=N [--read-only]",
		"",
		"Internal: the gofer process, started by runsc in a new mount namespace.",
		"It pivots into DIR and serves it on the SOCK_SEQPACKET socket N until",
		"the socket is closed.",
	)
}

// SetFlags implements subcommands.Command.
func (g *Gofer) SetFlags(f *flag.FlagSet) {
	f.StringVar(&g.root, sandbox.FlagGoferRoot, "", "directory to serve")
	f.IntVar(&g.sockFD, sandbox.FlagGoferSockFD, -1, "FD of the main LISAFS socket")
	f.BoolVar(&g.readOnly, sandbox.FlagGoferReadOnly, false, "refuse every change with EROFS")
	f.BoolVar(&g.detached, sandbox.FlagGoferDetached, false, "outlive the parent process (runsc create)")
}

// Execute implements subcommands.Command.
func (g *Gofer) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	_, env := confAndEnv(args)
	if err := g.run(); err != nil {
		fmt.Fprintf(env.Stderr, "runsc: gofer: %v\n", err)
		return ExitFailure
	}
	return subcommands.ExitSuccess
}

func (g *Gofer) run() error {
	if g.root == "" || g.sockFD < 0 {
		return fmt.Errorf("--%s and --%s are required", sandbox.FlagGoferRoot, sandbox.FlagGoferSockFD)
	}
	if !g.detached {
		if err := sandbox.SetParentDeathSignal(); err != nil {
			return err
		}
	}
	sandbox.CloseOnExec(g.sockFD)
	// fsgofer creates files with exactly the mode the sentry asks for.
	unix.Umask(0)
	if err := sandbox.EnterGoferRoot(g.root, g.readOnly); err != nil {
		return err
	}
	gofer, err := fsgofer.Open("/", fsgofer.Config{ReadOnly: g.readOnly})
	if err != nil {
		return err
	}
	defer gofer.Close()
	log.Debugf("gofer: serving %s (read-only %v) on FD %d", g.root, g.readOnly, g.sockFD)
	return lisafs.NewServer(gofer).Serve(g.sockFD)
}
