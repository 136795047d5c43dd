// Package cmd implements runsc's command line: global flag parsing (the
// flags themselves are declared in runsc/config), subcommand dispatch on
// github.com/google/subcommands, and one file per subcommand.
//
// Every way the command line can be wrong ends in one line on stderr and a
// non-zero exit, with nothing started and nothing created. This package must
// not declare global flags (runsc/config does) and must not build the sentry
// (runsc/boot does).
package cmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"bulwark.dev/bulwark/runsc/config"
	"github.com/google/subcommands"
)

// Exit codes for runsc's own failures.
const (
	// ExitUsage is returned for a bad command line.
	ExitUsage = 2
	// ExitFailure is returned when a command could not do its work.
	ExitFailure = 1
)

// internalGroup is the subcommands group of commands that runsc runs
// itself; help output does not list it.
const internalGroup = "internal"

// Env is what Main needs from the process it runs in.
type Env struct {
	Stdin          *os.File
	Stdout, Stderr *os.File

	// log is the --log file, once Main has opened it.
	log *runtimeLog
}

// Main runs runsc with the arguments after the program name and returns the
// process exit code.
func Main(args []string, env Env) int {
	fs := flag.NewFlagSet("runsc", flag.ContinueOnError)
	// The flag package would print the full usage on every error; runsc
	// prints one line instead.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	conf := config.RegisterFlags(fs)

	cdr := newCommander(fs, env)

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			cdr.Explain(env.Stdout)
			return 0
		}
		env.errorf("%v (see 'runsc help')", err)
		return ExitUsage
	}
	// Parsing is over: `runsc flags` prints the flag list through fs.
	fs.SetOutput(env.Stdout)
	if conf.ShowVersion {
		fmt.Fprintf(env.Stdout, "runsc version %s\n", config.Version)
		if config.Commit != "" {
			fmt.Fprintf(env.Stdout, "commit: %s\n", config.Commit)
		}
		return 0
	}
	if err := conf.Validate(); err != nil {
		env.errorf("%v", err)
		return ExitUsage
	}

	if conf.Log != "" {
		l, err := openRuntimeLog(conf.Log, conf.LogFormat)
		if err != nil {
			env.errorf("%v", err)
			return ExitUsage
		}
		defer l.close()
		env.log = l
		if conf.Debug {
			l.record("debug", "runsc "+strings.Join(args, " "), time.Now())
		}
	}

	if fs.NArg() == 0 {
		env.errorf("no subcommand given (see 'runsc help')")
		return ExitUsage
	}
	name := fs.Arg(0)
	sub := findCommand(cdr, name)
	if sub == nil {
		env.errorf("unknown subcommand %q (see 'runsc help')", name)
		return ExitUsage
	}
	// subcommands parses the subcommand's flags itself and prints the
	// command's usage on an error; parse them here first, quietly, so that
	// a bad flag gives one line.
	subFS := flag.NewFlagSet(name, flag.ContinueOnError)
	sub.SetFlags(subFS)
	subFS.SetOutput(io.Discard)
	subFS.Usage = func() {}
	if err := subFS.Parse(fs.Args()[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			cdr.ExplainCommand(env.Stdout, sub)
			return 0
		}
		env.errorf("%s: %v (see 'runsc help %s')", name, err, name)
		return ExitUsage
	}

	return int(cdr.Execute(context.Background(), conf, env))
}

func newCommander(fs *flag.FlagSet, env Env) *subcommands.Commander {
	cdr := subcommands.NewCommander(fs, "runsc")
	cdr.Output = env.Stdout
	cdr.Error = env.Stderr
	cdr.ExplainGroup = func(w io.Writer, g *subcommands.CommandGroup) { explainGroup(cdr, w, g) }
	// NewCommander points fs.Usage at its explanation; Main wants the
	// flag package quiet and prints its own error lines.
	fs.Usage = func() {}

	cdr.Register(cdr.HelpCommand(), "")
	cdr.Register(cdr.FlagsCommand(), "")
	cdr.Register(&Do{}, "")
	for _, c := range []subcommands.Command{&Spec{}, &Create{}, &Start{}, &Run{}, &State{}, &List{}, &Kill{}, &Delete{}, &Wait{}, &PS{}, &Exec{}, &Events{}, &Pause{}, &Resume{}} {
		cdr.Register(c, "oci")
	}
	cdr.Register(&Syscalls{}, "")
	cdr.Register(&Boot{}, internalGroup)
	cdr.Register(&Gofer{}, internalGroup)
	for _, name := range []string{"debug", "debug-log", "platform", "network", "rootless", "strace"} {
		cdr.ImportantFlag(name)
	}
	return cdr
}

func findCommand(cdr *subcommands.Commander, name string) subcommands.Command {
	var found subcommands.Command
	cdr.VisitCommands(func(_ *subcommands.CommandGroup, c subcommands.Command) {
		if found == nil && c.Name() == name {
			found = c
		}
	})
	return found
}

// explainGroup lists a group's commands for `runsc help`, leaving out the
// internal group: users do not run those commands.
func explainGroup(cdr *subcommands.Commander, w io.Writer, g *subcommands.CommandGroup) {
	if g.Name() == internalGroup {
		return
	}
	// The subcommands package gives a group's name but not its members:
	// pick them out of all commands.
	var cmds []subcommands.Command
	cdr.VisitCommands(func(cg *subcommands.CommandGroup, c subcommands.Command) {
		if cg == g {
			cmds = append(cmds, c)
		}
	})
	if len(cmds) == 0 {
		return
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	if g.Name() == "" {
		fmt.Fprintf(w, "Subcommands:\n")
	} else {
		fmt.Fprintf(w, "Subcommands for %s:\n", g.Name())
	}
	for _, c := range cmds {
		fmt.Fprintf(w, "\t%-15s  %s\n", c.Name(), c.Synopsis())
	}
	fmt.Fprintln(w)
}

// confAndEnv extracts the arguments Main passes to every command's Execute.
func confAndEnv(args []any) (*config.Config, Env) {
	conf := args[0].(*config.Config)
	env := args[1].(Env)
	return conf, env
}

// usageLine is the usage text of a command: its first line, then details.
func usageLine(lines ...string) string {
	return strings.Join(lines, "\n") + "\n"
}
