// Package loader loads an x86-64 ELF program into a fresh address space
// and builds its initial stack (argv, envp, auxv) the way Linux's execve
// does (fs/binfmt_elf.c, fs/exec.c): static and position-independent
// programs, and dynamically linked ones, whose program interpreter (the
// dynamic linker named by PT_INTERP) is loaded beside them and started
// first.
//
// It owns the interpretation of ELF headers and the layout of the initial
// stack. It must not choose the address-space layout (the memory manager
// says where the stack, PIE programs and the interpreter go), resolve
// paths or open files (the caller hands it the executable, and opens the
// interpreter through Args.OpenInterp) or touch the host: everything goes
// through Memory. Executables and interpreters are untrusted: every
// malformed file is an error (ENOEXEC, or ELIBBAD for a bad interpreter),
// never a panic.
package loader

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/usermem"
)

// Memory is the address space the loader fills. pkg/sentry/mm implements
// it.
type Memory interface {
	// IO reads and writes memory; CopyIn/CopyOut honour page protections.
	usermem.IO
	// MapAnonymous creates a private anonymous mapping of length bytes
	// with prot. If fixed, it is placed exactly at addr, replacing
	// mappings; otherwise addr is a hint (0: mm chooses) and the chosen
	// address is returned. growsDown marks a stack mapping.
	MapAnonymous(addr, length uint64, prot platform.Prot, fixed, growsDown bool) (uint64, error)
	// Poke writes data at addr regardless of the mapping's protection
	// (the loader fills read-only segments with it). It fails with EFAULT
	// where nothing is mapped.
	Poke(addr uint64, data []byte) error
	// SetBrkBase sets the start (and current end) of the program break.
	SetBrkBase(addr uint64)
	// Unmap removes the mappings in [addr, addr+length) (page
	// aligned).
	Unmap(addr, length uint64) error
	// StackTop is the highest address of the initial stack + 1 (page
	// aligned), chosen by mm (ASLR).
	StackTop() uint64
	// PIEBase is the load bias for ET_DYN executables (page aligned),
	// chosen by mm (ASLR).
	PIEBase() uint64
}

// MappingNamer is implemented by Memory that can show the pages of an
// image as a private mapping of its file in /proc/PID/maps, as Linux's
// mmap of the segments shows them.
type MappingNamer interface {
	// NameMapping makes the mapped range [addr, addr+length) (page
	// aligned) show as a mapping of the file name (device dev, encoded
	// as linux.MakeDev does, inode ino) from file offset off.
	NameMapping(addr, length, off uint64, name string, dev, ino uint64) error
}

// MappedFile is implemented by the io.ReaderAt of an executable or
// interpreter that is a named file: the loader names its segments'
// mappings after it (with a MappingNamer).
type MappedFile interface {
	// MappedFileID returns the file's path (as /proc/PID/maps shows it),
	// device and inode number.
	MappedFileID() (name string, dev, ino uint64)
}

// Args is what execve hands the loader.
type Args struct {
	// Exe is the executable, opened by the caller.
	Exe io.ReaderAt
	// OpenInterp opens the program interpreter that a PT_INTERP header
	// names, resolving path in the container's file system with
	// execve's checks (regular file, execute permission, exec-able
	// mount). Its errors (ENOENT, EACCES...) fail the load as they are.
	// Nil: dynamically linked programs fail with ENOEXEC.
	OpenInterp func(path string) (io.ReaderAt, error)
	// ExecFn is the AT_EXECFN string (the path execve was given).
	ExecFn string
	// Argv and Envv are the arguments and environment. An empty Argv
	// becomes {""}, as Linux does since 5.18.
	Argv, Envv []string
	// StackSize is the size of the initial stack mapping (RLIMIT_STACK,
	// e.g. 8 MiB); it also bounds argv+envp (a quarter of it).
	StackSize uint64
	// Credentials for AT_UID, AT_EUID, AT_GID, AT_EGID.
	UID, EUID, GID, EGID uint32
	// Secure is AT_SECURE.
	Secure bool
	// Random supplies AT_RANDOM's 16 bytes.
	Random io.Reader
	// HWCap and HWCap2 are AT_HWCAP and AT_HWCAP2 (the host's
	// CPUID-derived values).
	HWCap, HWCap2 uint64
	// ClockTick is AT_CLKTCK (100).
	ClockTick uint64
	// MinSigStackSize is AT_MINSIGSTKSZ: arch.MinSigStackSize(xstate
	// size), or the host's own value.
	MinSigStackSize uint64
}

// Result describes the loaded program.
type Result struct {
	// Entry is the initial rip (the interpreter's entry point for a
	// dynamically linked program); StackPointer the initial rsp
	// (pointing at argc, 16-byte aligned).
	Entry, StackPointer uint64
	// ExeEntry is the program's own entry point (AT_ENTRY).
	ExeEntry uint64
	// InterpBase is the interpreter's load bias (AT_BASE), 0 without
	// an interpreter.
	InterpBase uint64
	// BrkBase is where the program break starts.
	BrkBase uint64
	// Phdr is the address of the program headers in memory (AT_PHDR), or
	// 0 if no segment contains them.
	Phdr uint64
	// ArgvStart, ArgvEnd, EnvStart, EnvEnd delimit the argument and
	// environment strings on the stack (for /proc/self/cmdline, environ).
	ArgvStart, ArgvEnd, EnvStart, EnvEnd uint64
}

// Limits on arguments, from include/uapi/linux/binfmts.h and fs/exec.c.
const (
	// maxArgStrlen is MAX_ARG_STRLEN: one string, NUL included.
	maxArgStrlen = 32 * usermem.PageSize
	// argMax is ARG_MAX: the floor of the argument space.
	argMax = 32 * usermem.PageSize
	// stkLim is _STK_LIM; at most three quarters of it go to arguments.
	stkLim = 8 << 20
)

// platformString is AT_PLATFORM on x86-64 (ELF_PLATFORM).
const platformString = "x86_64"

// Load maps the program in args.Exe (and its interpreter, if it names
// one) into mem, builds its initial stack and sets the program break.
// Errors wrap a linux.Errno: ENOEXEC for a malformed or unsupported file,
// ELIBBAD for a malformed interpreter, E2BIG for oversized arguments, EIO
// for a failing read, or the error OpenInterp or Memory returned.
func Load(mem Memory, args Args) (Result, error) {
	argv := args.Argv
	if len(argv) == 0 {
		argv = []string{""}
	}
	if err := checkArgLimits(argv, args.Envv, args.ExecFn, args.StackSize); err != nil {
		return Result{}, err
	}
	info, err := parseELF(args.Exe)
	if err != nil {
		return Result{}, err
	}
	// Like Linux, the interpreter is found and checked before anything
	// is mapped.
	var interp io.ReaderAt
	var interpInfo *elfInfo
	if info.interp != nil {
		if interp, interpInfo, err = openInterp(args, info.interp); err != nil {
			return Result{}, err
		}
	}

	var bias uint64
	if info.typ == linux.ET_DYN {
		// The first segment lands at PIEBase.
		base := mem.PIEBase()
		first := usermem.PageRoundDown(info.loads[0].Vaddr)
		bias = base - first
		span := imageSpan(info)
		if base%usermem.PageSize != 0 || base >= maxUserAddress || span > maxUserAddress-base {
			return Result{}, noexec("position-independent image of %#x bytes does not fit at %#x", span, base)
		}
	}

	stackTop := mem.StackTop()
	if stackTop%usermem.PageSize != 0 || args.StackSize == 0 || args.StackSize%usermem.PageSize != 0 || args.StackSize > stackTop {
		return Result{}, fmt.Errorf("loader: stack of %#x bytes below %#x is not page aligned or does not fit: %w", args.StackSize, stackTop, linux.EINVAL)
	}
	stackBottom := stackTop - args.StackSize
	stack := region{start: stackBottom, end: stackTop}

	regions, err := segmentRegions(info.loads, bias)
	if err != nil {
		return Result{}, err
	}
	if err := checkCollisions(regions, []region{stack}); err != nil {
		return Result{}, err
	}

	if _, err := mem.MapAnonymous(stackBottom, args.StackSize, platform.Prot{Read: true, Write: true}, true, true); err != nil {
		return Result{}, fmt.Errorf("loader: map stack [%#x, %#x): %w", stackBottom, stackTop, err)
	}
	if err := mapImage(mem, args.Exe, info, regions, bias); err != nil {
		return Result{}, err
	}

	var res Result
	var brk uint64
	for _, ph := range info.loads {
		if ph.Off <= info.phoff && info.phoff-ph.Off < ph.Filesz {
			res.Phdr = info.phoff - ph.Off + ph.Vaddr + bias
		}
		brk = max(brk, ph.Vaddr+ph.Memsz+bias)
	}
	res.BrkBase, _ = usermem.PageRoundUp(brk) // brk < maxUserAddress: no overflow.
	mem.SetBrkBase(res.BrkBase)
	res.ExeEntry = info.entry + bias
	res.Entry = res.ExeEntry

	if interpInfo != nil {
		ibias, err := loadInterp(mem, interp, interpInfo, append(regions, stack))
		if err != nil {
			return Result{}, err
		}
		res.InterpBase = ibias
		res.Entry = interpInfo.entry + ibias
	}

	auxv := [][2]uint64{
		{linux.AT_MINSIGSTKSZ, args.MinSigStackSize},
		{linux.AT_HWCAP, args.HWCap},
		{linux.AT_PAGESZ, usermem.PageSize},
		{linux.AT_CLKTCK, args.ClockTick},
		{linux.AT_PHDR, res.Phdr},
		{linux.AT_PHENT, linux.Elf64_PhdrSize},
		{linux.AT_PHNUM, uint64(info.phnum)},
		{linux.AT_BASE, res.InterpBase},
		{linux.AT_FLAGS, 0},
		{linux.AT_ENTRY, res.ExeEntry},
		{linux.AT_UID, uint64(args.UID)},
		{linux.AT_EUID, uint64(args.EUID)},
		{linux.AT_GID, uint64(args.GID)},
		{linux.AT_EGID, uint64(args.EGID)},
		{linux.AT_SECURE, boolToUint64(args.Secure)},
		{linux.AT_RANDOM, 0}, // filled by buildStack
		{linux.AT_HWCAP2, args.HWCap2},
		{linux.AT_EXECFN, 0},   // filled by buildStack
		{linux.AT_PLATFORM, 0}, // filled by buildStack
		{linux.AT_NULL, 0},
	}
	if err := buildStack(mem, &res, stackTop, stackBottom, argv, args, auxv); err != nil {
		return Result{}, err
	}
	return res, nil
}

// imageSpan is the size of the page range that info's segments cover.
func imageSpan(info *elfInfo) uint64 {
	first := usermem.PageRoundDown(info.loads[0].Vaddr)
	last := info.loads[len(info.loads)-1]
	// parseELF bounded every segment below maxUserAddress.
	end, _ := usermem.PageRoundUp(last.Vaddr + last.Memsz)
	return end - first
}

// checkCollisions fails with ENOMEM if a region of image overlaps one of
// taken.
func checkCollisions(image, taken []region) error {
	for _, r := range image {
		for _, t := range taken {
			if r.start < t.end && t.start < r.end {
				return fmt.Errorf("loader: segment pages [%#x, %#x) collide with [%#x, %#x): %w", r.start, r.end, t.start, t.end, linux.ENOMEM)
			}
		}
	}
	return nil
}

// mapImage maps the page regions of an image loaded with bias and fills
// them from r.
func mapImage(mem Memory, r io.ReaderAt, info *elfInfo, regions []region, bias uint64) error {
	for _, rg := range regions {
		if _, err := mem.MapAnonymous(rg.start, rg.end-rg.start, rg.prot, true, false); err != nil {
			return fmt.Errorf("loader: map segment pages [%#x, %#x): %w", rg.start, rg.end, err)
		}
	}
	for i := range info.loads {
		if err := fillSegment(mem, r, info.loads, i, bias); err != nil {
			return err
		}
	}
	return nameImage(mem, r, info, bias)
}

// nameImage names the file pages of each segment after the image's file,
// if both mem and r know how: from the page of p_vaddr to the end of the
// page of its last file byte, at the page of p_offset. The bss pages
// after them stay anonymous, as in Linux.
func nameImage(mem Memory, r io.ReaderAt, info *elfInfo, bias uint64) error {
	namer, ok := mem.(MappingNamer)
	if !ok {
		return nil
	}
	mf, ok := r.(MappedFile)
	if !ok {
		return nil
	}
	name, dev, ino := mf.MappedFileID()
	for i, ph := range info.loads {
		if ph.Filesz == 0 {
			continue
		}
		vaddr := ph.Vaddr + bias
		start := usermem.PageRoundDown(vaddr)
		end, _ := usermem.PageRoundUp(vaddr + ph.Filesz) // segmentRegions checked the range.
		lead := vaddr - start
		off := uint64(0)
		if ph.Off >= lead {
			off = ph.Off - lead
		}
		if err := namer.NameMapping(start, end-start, off, name, dev, ino); err != nil {
			return fmt.Errorf("loader: segment %d: name [%#x, %#x): %w", i, start, end, err)
		}
	}
	return nil
}

// openInterp reads the interpreter path that ph names in args.Exe, opens
// it through args.OpenInterp and validates it.
func openInterp(args Args, ph *linux.Elf64_Phdr) (io.ReaderAt, *elfInfo, error) {
	// fs/binfmt_elf.c: the path, NUL included, has 2 to PATH_MAX bytes
	// and ends with its NUL.
	if ph.Filesz < 2 || ph.Filesz > linux.PATH_MAX {
		return nil, nil, noexec("interpreter path of %d bytes", ph.Filesz)
	}
	buf := make([]byte, ph.Filesz)
	if err := readFull(args.Exe, buf, ph.Off, "interpreter path"); err != nil {
		return nil, nil, err
	}
	if buf[len(buf)-1] != 0 {
		return nil, nil, noexec("interpreter path is not NUL-terminated")
	}
	// Like Linux, the path is the C string: it ends at the first NUL.
	path := string(buf[:bytes.IndexByte(buf, 0)])
	if args.OpenInterp == nil {
		return nil, nil, noexec("no way to open the interpreter %q", path)
	}
	r, err := args.OpenInterp(path)
	if err != nil {
		return nil, nil, fmt.Errorf("loader: open interpreter %q: %w", path, err)
	}
	info, err := parseELF(r)
	if err != nil {
		if errors.Is(err, linux.ENOEXEC) {
			return nil, nil, fmt.Errorf("loader: interpreter %q: %v: %w", path, err, linux.ELIBBAD)
		}
		return nil, nil, fmt.Errorf("loader: interpreter %q: %w", path, err)
	}
	if info.interp != nil {
		return nil, nil, fmt.Errorf("loader: interpreter %q has an interpreter itself: %w", path, linux.ELIBBAD)
	}
	return r, info, nil
}

// loadInterp maps the interpreter and returns its load bias. A
// position-independent interpreter goes where mm places a new mapping
// of its size (top-down from the mmap base, as Linux's mmap of it does);
// one linked at fixed addresses must not collide with taken.
func loadInterp(mem Memory, r io.ReaderAt, info *elfInfo, taken []region) (uint64, error) {
	var bias uint64
	if info.typ == linux.ET_DYN {
		span := imageSpan(info)
		// Reserve a range to learn where it goes, then hand it back:
		// the segments are mapped at fixed addresses inside it, and the
		// holes between them stay unmapped, as in Linux.
		base, err := mem.MapAnonymous(0, span, platform.Prot{}, false, false)
		if err != nil {
			return 0, fmt.Errorf("loader: no room for the interpreter's %#x bytes: %w", span, err)
		}
		if err := mem.Unmap(base, span); err != nil {
			return 0, fmt.Errorf("loader: unmap interpreter reservation: %w", err)
		}
		if base%usermem.PageSize != 0 || base >= maxUserAddress || span > maxUserAddress-base {
			return 0, fmt.Errorf("loader: interpreter of %#x bytes does not fit at %#x: %w", span, base, linux.ENOMEM)
		}
		bias = base - usermem.PageRoundDown(info.loads[0].Vaddr)
	}
	regions, err := segmentRegions(info.loads, bias)
	if err != nil {
		return 0, err
	}
	if info.typ != linux.ET_DYN {
		if err := checkCollisions(regions, taken); err != nil {
			return 0, err
		}
	}
	if err := mapImage(mem, r, info, regions, bias); err != nil {
		return 0, err
	}
	return bias, nil
}

func boolToUint64(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// region is a page-aligned range to map with one protection.
type region struct {
	start, end uint64
	prot       platform.Prot
}

func segmentProt(flags uint32) platform.Prot {
	return platform.Prot{
		Read:    flags&linux.PF_R != 0,
		Write:   flags&linux.PF_W != 0,
		Execute: flags&linux.PF_X != 0,
	}
}

func unionProt(a, b platform.Prot) platform.Prot {
	return platform.Prot{Read: a.Read || b.Read, Write: a.Write || b.Write, Execute: a.Execute || b.Execute}
}

// segmentRegions turns the sorted, non-overlapping segments into the page
// ranges to map. Two segments may share a page (one ends and the next
// begins inside it); that page gets both protections.
func segmentRegions(loads []linux.Elf64_Phdr, bias uint64) ([]region, error) {
	var out []region
	for _, ph := range loads {
		start := usermem.PageRoundDown(ph.Vaddr + bias)
		end, ok := usermem.PageRoundUp(ph.Vaddr + bias + ph.Memsz)
		if !ok || end > maxUserAddress {
			return nil, noexec("segment at %#x ends beyond the user address range", ph.Vaddr+bias)
		}
		prot := segmentProt(ph.Flags)
		if n := len(out); n > 0 && start < out[n-1].end {
			// Sorted and disjoint segments can share only the
			// previous one's last page.
			last := &out[n-1]
			shared := region{start: start, end: start + usermem.PageSize, prot: unionProt(last.prot, prot)}
			if last.end-last.start == usermem.PageSize {
				*last = shared
			} else {
				last.end -= usermem.PageSize
				out = append(out, shared)
			}
			start = shared.end
		}
		if start < end {
			out = append(out, region{start: start, end: end, prot: prot})
		}
	}
	return out, nil
}

// pokeChunk bounds the buffer used to copy file contents into memory.
const pokeChunk = 1 << 20

// fillSegment copies segment i's file contents into memory. Like Linux,
// which maps whole file pages, the bytes of the first page before p_vaddr
// and, for a segment without bss, of the last page after the file part are
// the file's too (where no neighbouring segment claims them). The bss
// tail of the last file page is zeroed; pages beyond it are fresh
// anonymous memory and already zero.
func fillSegment(mem Memory, exe io.ReaderAt, loads []linux.Elf64_Phdr, i int, bias uint64) error {
	ph := loads[i]
	vaddr := ph.Vaddr + bias
	if err := copyFile(mem, exe, vaddr, ph.Off, ph.Filesz, true); err != nil {
		return fmt.Errorf("loader: segment %d: %w", i, err)
	}

	// Leading bytes of the first page.
	lead := vaddr % usermem.PageSize
	if i > 0 {
		if prevEnd := loads[i-1].Vaddr + loads[i-1].Memsz + bias; prevEnd > vaddr-lead {
			lead = vaddr - prevEnd
		}
	}
	if lead > 0 {
		if err := copyFile(mem, exe, vaddr-lead, ph.Off-lead, lead, false); err != nil {
			return fmt.Errorf("loader: segment %d: %w", i, err)
		}
	}

	fileEnd := vaddr + ph.Filesz
	pageEnd, _ := usermem.PageRoundUp(fileEnd) // segmentRegions checked the range.
	tail := pageEnd - fileEnd
	if i+1 < len(loads) {
		if next := loads[i+1].Vaddr + bias; next < pageEnd {
			tail = next - fileEnd
		}
	}
	if tail == 0 {
		return nil
	}
	if ph.Memsz > ph.Filesz {
		// bss: zero the rest of the last file page.
		n := min(tail, ph.Memsz-ph.Filesz)
		if err := mem.Poke(fileEnd, make([]byte, n)); err != nil {
			return fmt.Errorf("loader: segment %d: zero bss at %#x: %w", i, fileEnd, err)
		}
		return nil
	}
	if err := copyFile(mem, exe, fileEnd, ph.Off+ph.Filesz, tail, false); err != nil {
		return fmt.Errorf("loader: segment %d: %w", i, err)
	}
	return nil
}

// copyFile pokes length bytes of exe at off into memory at addr. If
// required is false, a short file ends the copy silently (the bytes
// outside the segment proper that Linux would show from the page).
func copyFile(mem Memory, exe io.ReaderAt, addr, off, length uint64, required bool) error {
	buf := make([]byte, min(length, pokeChunk))
	for done := uint64(0); done < length; {
		n := min(length-done, pokeChunk)
		b := buf[:n]
		if err := readFull(exe, b, off+done, "segment contents"); err != nil {
			if !required && errors.Is(err, linux.ENOEXEC) {
				got, _ := exe.ReadAt(b, int64(off+done))
				if got > 0 {
					return mem.Poke(addr+done, b[:got])
				}
				return nil
			}
			return err
		}
		if err := mem.Poke(addr+done, b); err != nil {
			return fmt.Errorf("write %d bytes at %#x: %w", n, addr+done, err)
		}
		done += n
	}
	return nil
}
