package cmd

import (
	"context"
	"encoding/json"
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
// container's root, and each bind mount of an OCI spec on a socket of its
// own, to the sentry over LISAFS. runsc starts it (see sandbox.StartGofer
// and StartGoferWithMounts) in a new mount namespace; users do not run it.
type Gofer struct {
	root     string
	sockFD   int
	readOnly bool
	detached bool
	mounts   string
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
		"gofer --root=DIR --sock-fd=N [--read-only] [--mounts=JSON]",
		"",
		"Internal: the gofer process, started by runsc in a new mount namespace.",
		"It pivots into DIR and serves it on the SOCK_SEQPACKET socket N until",
		"the socket is closed; bind mount i of --mounts is served on FD N+1+i.",
	)
}

// SetFlags implements subcommands.Command.
func (g *Gofer) SetFlags(f *flag.FlagSet) {
	f.StringVar(&g.root, sandbox.FlagGoferRoot, "", "directory to serve")
	f.IntVar(&g.sockFD, sandbox.FlagGoferSockFD, -1, "FD of the main LISAFS socket")
	f.BoolVar(&g.readOnly, sandbox.FlagGoferReadOnly, false, "refuse every change with EROFS")
	f.BoolVar(&g.detached, sandbox.FlagGoferDetached, false, "outlive the parent process (runsc create)")
	f.StringVar(&g.mounts, sandbox.FlagGoferMounts, "", "bind mounts to serve, as JSON (sandbox.GoferMount)")
}

// Execute implements subcommands.Command.
func (g *Gofer) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	_, env := confAndEnv(args)
	if err := g.run(); err != nil {
		env.errorf("gofer: %v", err)
		return ExitFailure
	}
	return subcommands.ExitSuccess
}

func (g *Gofer) run() error {
	if g.root == "" || g.sockFD < 0 {
		return fmt.Errorf("--%s and --%s are required", sandbox.FlagGoferRoot, sandbox.FlagGoferSockFD)
	}
	var mounts []sandbox.GoferMount
	if g.mounts != "" {
		if err := json.Unmarshal([]byte(g.mounts), &mounts); err != nil {
			return fmt.Errorf("--%s: %w", sandbox.FlagGoferMounts, err)
		}
	}
	if !g.detached {
		if err := sandbox.SetParentDeathSignal(); err != nil {
			return err
		}
	}
	sandbox.CloseOnExec(g.sockFD)
	for i := range mounts {
		sandbox.CloseOnExec(g.sockFD + 1 + i)
	}
	// fsgofer creates files with exactly the mode the sentry asks for.
	unix.Umask(0)
	// The gofer's own FD directory, for reopening files by identity
	// (fsgofer.Config.ProcSelfFD); it keeps working after the pivot.
	procSelfFD, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		log.Warningf("gofer: open /proc/self/fd: %v (files that lose their name become ESTALE)", err)
		procSelfFD = -1
	} else {
		defer unix.Close(procSelfFD)
	}
	// The bind sources are host paths: open them before the pivot.
	if err := sandbox.MakeMountsPrivate(); err != nil {
		return err
	}
	var binds []*fsgofer.Gofer
	defer func() {
		for _, b := range binds {
			b.Close()
		}
	}()
	for _, m := range mounts {
		br, err := sandbox.OpenBindSource(m)
		if err != nil {
			return err
		}
		conf := fsgofer.Config{ReadOnly: m.ReadOnly, ProcSelfFD: procSelfFD}
		var b *fsgofer.Gofer
		if br.Name == "" {
			b, err = fsgofer.New(br.DirFD, conf)
		} else {
			b, err = fsgofer.NewFileRoot(br.DirFD, br.Name, conf)
		}
		if err != nil {
			return fmt.Errorf("bind source %q: %w", m.Source, err)
		}
		binds = append(binds, b)
	}
	if err := sandbox.EnterGoferRoot(g.root, g.readOnly); err != nil {
		return err
	}
	gofer, err := fsgofer.Open("/", fsgofer.Config{ReadOnly: g.readOnly, ProcSelfFD: procSelfFD})
	if err != nil {
		return err
	}
	defer gofer.Close()
	log.Debugf("gofer: serving %s (read-only %v) on FD %d and %d bind mounts", g.root, g.readOnly, g.sockFD, len(binds))
	// Each tree is served on its own socket until that socket closes;
	// the gofer exits when all are closed.
	errs := make(chan error, len(binds))
	for i, b := range binds {
		go func() { errs <- lisafs.NewServer(b).Serve(g.sockFD + 1 + i) }()
	}
	err = lisafs.NewServer(gofer).Serve(g.sockFD)
	for range binds {
		if e := <-errs; err == nil {
			err = e
		}
	}
	return err
}
