package cmd

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/google/subcommands"

	"bulwark.dev/bulwark/pkg/abi/linux"
	syscalls "bulwark.dev/bulwark/pkg/sentry/syscalls/linux"
)

// Syscalls implements `runsc syscalls`: the compatibility table, printed
// from the sentry's syscall table so that it cannot drift from the code.
type Syscalls struct {
	all bool
}

// Name implements subcommands.Command.
func (*Syscalls) Name() string { return "syscalls" }

// Synopsis implements subcommands.Command.
func (*Syscalls) Synopsis() string { return "print the system call compatibility table" }

// Usage implements subcommands.Command.
func (*Syscalls) Usage() string {
	return "syscalls [--all]: number, name, support level and notes of each implemented system call\n"
}

// SetFlags implements subcommands.Command.
func (s *Syscalls) SetFlags(fs *flag.FlagSet) {
	fs.BoolVar(&s.all, "all", false, "also list the system calls that are not implemented (ENOSYS)")
}

// Execute implements subcommands.Command.
func (s *Syscalls) Execute(_ context.Context, f *flag.FlagSet, args ...any) subcommands.ExitStatus {
	_, env := confAndEnv(args)
	if f.NArg() != 0 {
		env.errorf("syscalls: unexpected argument %q", f.Arg(0))
		return ExitUsage
	}
	var nrs []uintptr
	for nr := range syscalls.AMD64.Entries {
		nrs = append(nrs, nr)
	}
	if s.all {
		nrs = nrs[:0]
		for nr := uintptr(0); nr < linux.NumSyscalls; nr++ {
			if linux.SyscallNames[nr] != "" {
				nrs = append(nrs, nr)
			}
		}
	}
	sort.Slice(nrs, func(i, j int) bool { return nrs[i] < nrs[j] })
	w := tabwriter.NewWriter(env.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "NR\tNAME\tSUPPORT\tNOTE")
	for _, nr := range nrs {
		e, ok := syscalls.AMD64.Entries[nr]
		level, note := "none", "ENOSYS"
		if ok {
			level, note = e.Support.String(), e.Note
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", nr, linux.SyscallName(nr), level, note)
	}
	w.Flush()
	return subcommands.ExitSuccess
}
