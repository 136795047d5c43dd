package cmd

import (
	"context"
	"flag"

	"bulwark.dev/bulwark/runsc/config"
	"bulwark.dev/bulwark/runsc/container"
	"github.com/google/subcommands"
)

// Pause implements `runsc pause`.
type Pause struct{}

func (*Pause) Name() string             { return "pause" }
func (*Pause) Synopsis() string         { return "stop every process of a running container" }
func (*Pause) Usage() string            { return usageLine("pause <container-id>") }
func (*Pause) SetFlags(f *flag.FlagSet) {}

func (*Pause) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	return idCommand("pause", f, args, container.Pause)
}

// Resume implements `runsc resume`.
type Resume struct{}

func (*Resume) Name() string             { return "resume" }
func (*Resume) Synopsis() string         { return "let the processes of a paused container run again" }
func (*Resume) Usage() string            { return usageLine("resume <container-id>") }
func (*Resume) SetFlags(f *flag.FlagSet) {}

func (*Resume) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	return idCommand("resume", f, args, container.Resume)
}

// idCommand runs a command whose only argument is a container ID.
func idCommand(name string, f *flag.FlagSet, args []any, fn func(*config.Config, string) error) subcommands.ExitStatus {
	conf, env := confAndEnv(args)
	id, ok := oneID(name, f, env)
	if !ok {
		return ExitUsage
	}
	if err := fn(conf, id); err != nil {
		return fail(env, name, err)
	}
	return subcommands.ExitSuccess
}
