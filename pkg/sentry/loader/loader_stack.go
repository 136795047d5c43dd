package loader

import (
	"encoding/binary"
	"fmt"
	"io"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// checkArgLimits applies execve's argument limits (fs/exec.c
// bprm_stack_limits and copy_strings): each string, NUL included, is at
// most MAX_ARG_STRLEN; the strings plus the pointer arrays fit in a quarter
// of the stack limit (at most 6 MiB, at least ARG_MAX). Beyond either:
// E2BIG.
func checkArgLimits(argv, envv []string, execFn string, stackSize uint64) error {
	limit := min(uint64(stkLim/4*3), stackSize/4)
	limit = max(limit, argMax)
	ptrs := uint64(len(argv)+len(envv)) * 8
	if limit <= ptrs {
		return fmt.Errorf("loader: %d arguments and environment strings: %w", len(argv)+len(envv), linux.E2BIG)
	}
	limit -= ptrs
	// The terminating NULL pointer at the very top and AT_EXECFN's copy
	// of the file name count too.
	total := uint64(8)
	for _, list := range [][]string{{execFn}, envv, argv} {
		for _, s := range list {
			n := uint64(len(s)) + 1
			if n > maxArgStrlen {
				return fmt.Errorf("loader: string of %d bytes exceeds MAX_ARG_STRLEN: %w", n, linux.E2BIG)
			}
			total += n
			if total > limit {
				return fmt.Errorf("loader: arguments and environment exceed %d bytes: %w", limit, linux.E2BIG)
			}
		}
	}
	return nil
}

// buildStack writes the initial stack below top as Linux's execve does
// (fs/exec.c copies the strings, fs/binfmt_elf.c create_elf_tables adds
// the rest). From top down:
//
//	8 zero bytes
//	AT_EXECFN string
//	environment strings, argument strings (argv[0] lowest)
//	alignment to 16 (Linux also subtracts a random amount here)
//	"x86_64" (AT_PLATFORM)
//	16 random bytes (AT_RANDOM)
//	padding so that rsp ends 16-byte aligned
//	auxv pairs, AT_NULL last
//	envp[], NULL
//	argv[], NULL
//	argc                           <- rsp
//
// auxv holds the entries in order; AT_RANDOM, AT_EXECFN and AT_PLATFORM
// values are filled in here.
func buildStack(mem Memory, res *Result, top, bottom uint64, argv []string, args Args, auxv [][2]uint64) error {
	// The strings block, lowest address first.
	var block []byte
	argvOff := make([]uint64, len(argv))
	for i, s := range argv {
		argvOff[i] = uint64(len(block))
		block = append(append(block, s...), 0)
	}
	argvEnd := uint64(len(block))
	envOff := make([]uint64, len(args.Envv))
	for i, s := range args.Envv {
		envOff[i] = uint64(len(block))
		block = append(append(block, s...), 0)
	}
	envEnd := uint64(len(block))
	execFnOff := uint64(len(block))
	block = append(append(block, args.ExecFn...), 0)
	block = append(block, make([]byte, 8)...)

	items := uint64(1 + len(argv) + 1 + len(args.Envv) + 1)
	words := items + 2*uint64(len(auxv))
	// Strings, alignment, platform string, random bytes, vectors and
	// final alignment must all fit in the stack mapping.
	if need := uint64(len(block)) + 15 + uint64(len(platformString)+1) + 16 + words*8 + 15; need > top-bottom {
		return fmt.Errorf("loader: initial stack of %d bytes does not fit in %#x: %w", need, top-bottom, linux.E2BIG)
	}
	stringsStart := top - uint64(len(block))
	res.ArgvStart, res.ArgvEnd = stringsStart, stringsStart+argvEnd
	res.EnvStart, res.EnvEnd = stringsStart+argvEnd, stringsStart+envEnd

	p := stringsStart &^ 15
	p -= uint64(len(platformString) + 1)
	platformAddr := p
	p -= 16
	randomAddr := p
	var random [16]byte
	if args.Random == nil {
		return fmt.Errorf("loader: no source for AT_RANDOM: %w", linux.EINVAL)
	}
	if _, err := io.ReadFull(args.Random, random[:]); err != nil {
		return fmt.Errorf("loader: read AT_RANDOM bytes: %v: %w", err, linux.EIO)
	}

	for i := range auxv {
		switch auxv[i][0] {
		case linux.AT_RANDOM:
			auxv[i][1] = randomAddr
		case linux.AT_EXECFN:
			auxv[i][1] = stringsStart + execFnOff
		case linux.AT_PLATFORM:
			auxv[i][1] = platformAddr
		}
	}
	sp := (p - words*8) &^ 15

	vec := make([]byte, 0, words*8)
	le := binary.LittleEndian
	vec = le.AppendUint64(vec, uint64(len(argv)))
	for _, off := range argvOff {
		vec = le.AppendUint64(vec, stringsStart+off)
	}
	vec = le.AppendUint64(vec, 0)
	for _, off := range envOff {
		vec = le.AppendUint64(vec, stringsStart+off)
	}
	vec = le.AppendUint64(vec, 0)
	for _, e := range auxv {
		vec = le.AppendUint64(vec, e[0])
		vec = le.AppendUint64(vec, e[1])
	}

	for _, w := range []struct {
		addr uint64
		data []byte
		what string
	}{
		{stringsStart, block, "argument strings"},
		{platformAddr, append([]byte(platformString), 0), "AT_PLATFORM string"},
		{randomAddr, random[:], "AT_RANDOM bytes"},
		{sp, vec, "argv, envp and auxv"},
	} {
		if _, err := mem.CopyOut(w.addr, w.data); err != nil {
			return fmt.Errorf("loader: write %s at %#x: %w", w.what, w.addr, err)
		}
	}
	res.StackPointer = sp
	return nil
}
