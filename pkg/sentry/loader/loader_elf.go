package loader

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/usermem"
)

// maxUserAddress is the end of the x86-64 user address range with 4-level
// paging (TASK_SIZE_MAX in arch/x86/include/asm/page_64_types.h). No
// segment may extend past it.
const maxUserAddress = 1<<47 - usermem.PageSize

// maxPhdrBytes bounds the program header table, as Linux's
// load_elf_phdrs does.
const maxPhdrBytes = 64 << 10

// elfInfo is what Load needs from a validated ELF file.
type elfInfo struct {
	typ   uint16
	entry uint64
	phoff uint64
	phnum uint16
	// loads are the PT_LOAD headers with p_memsz > 0, sorted by address
	// and non-overlapping.
	loads []linux.Elf64_Phdr
	// interp is the first PT_INTERP header, if any: the program needs
	// a dynamic linker (the program interpreter).
	interp *linux.Elf64_Phdr
	// execStack records PT_GNU_STACK's PF_X. Bulwark, like Linux on
	// x86-64 for 64-bit programs, does not make the stack executable
	// for it (READ_IMPLIES_EXEC does not apply); it is parsed so the
	// choice is visible.
	execStack bool
}

// noexec returns an error wrapping linux.ENOEXEC.
func noexec(format string, args ...any) error {
	return fmt.Errorf("loader: %s: %w", fmt.Sprintf(format, args...), linux.ENOEXEC)
}

// readFull reads len(buf) bytes at off. A short file is an ENOEXEC (the
// headers promise bytes that are not there); other read errors are EIO.
func readFull(r io.ReaderAt, buf []byte, off uint64, what string) error {
	if off > 1<<62 {
		return noexec("%s at offset %#x is beyond any file", what, off)
	}
	n, err := r.ReadAt(buf, int64(off))
	if n == len(buf) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return noexec("%s: file truncated (%d of %d bytes at offset %#x)", what, n, len(buf), off)
	}
	return fmt.Errorf("loader: read %s at offset %#x: %v: %w", what, off, err, linux.EIO)
}

// parseELF reads and validates the ELF header and program headers of r.
// Every malformed input gives an error wrapping linux.ENOEXEC.
func parseELF(r io.ReaderAt) (*elfInfo, error) {
	var hb [linux.Elf64_EhdrSize]byte
	if err := readFull(r, hb[:], 0, "ELF header"); err != nil {
		return nil, err
	}
	var eh linux.Elf64_Ehdr
	if _, err := binary.Decode(hb[:], binary.LittleEndian, &eh); err != nil {
		return nil, noexec("decode ELF header: %v", err)
	}
	switch {
	case string(eh.Ident[:linux.SELFMAG]) != linux.ELFMAG:
		return nil, noexec("not an ELF file")
	case eh.Ident[linux.EI_CLASS] != linux.ELFCLASS64:
		return nil, noexec("ELF class %d is not ELFCLASS64", eh.Ident[linux.EI_CLASS])
	case eh.Ident[linux.EI_DATA] != linux.ELFDATA2LSB:
		return nil, noexec("ELF data encoding %d is not little-endian", eh.Ident[linux.EI_DATA])
	case eh.Machine != linux.EM_X86_64:
		return nil, noexec("ELF machine %d is not x86-64", eh.Machine)
	case eh.Type != linux.ET_EXEC && eh.Type != linux.ET_DYN:
		return nil, noexec("ELF type %d is not an executable", eh.Type)
	case eh.Phentsize != linux.Elf64_PhdrSize:
		return nil, noexec("program header size %d, want %d", eh.Phentsize, linux.Elf64_PhdrSize)
	case eh.Phnum == 0:
		return nil, noexec("no program headers")
	case int(eh.Phnum)*linux.Elf64_PhdrSize > maxPhdrBytes:
		return nil, noexec("%d program headers exceed %d bytes", eh.Phnum, maxPhdrBytes)
	}
	pb := make([]byte, int(eh.Phnum)*linux.Elf64_PhdrSize)
	if err := readFull(r, pb, eh.Phoff, "program headers"); err != nil {
		return nil, err
	}
	phdrs := make([]linux.Elf64_Phdr, eh.Phnum)
	if _, err := binary.Decode(pb, binary.LittleEndian, phdrs); err != nil {
		return nil, noexec("decode program headers: %v", err)
	}

	info := &elfInfo{typ: eh.Type, entry: eh.Entry, phoff: eh.Phoff, phnum: eh.Phnum}
	var end uint64 // end of the previous PT_LOAD's memory
	for i, ph := range phdrs {
		switch ph.Type {
		case linux.PT_INTERP:
			// Like Linux, the first one counts.
			if info.interp == nil {
				info.interp = &phdrs[i]
			}
		case linux.PT_GNU_STACK:
			info.execStack = ph.Flags&linux.PF_X != 0
		case linux.PT_LOAD:
			if ph.Filesz > ph.Memsz {
				return nil, noexec("program header %d: p_filesz %#x > p_memsz %#x", i, ph.Filesz, ph.Memsz)
			}
			if ph.Off%usermem.PageSize != ph.Vaddr%usermem.PageSize {
				return nil, noexec("program header %d: p_offset %#x and p_vaddr %#x differ modulo the page size", i, ph.Off, ph.Vaddr)
			}
			if ph.Vaddr >= maxUserAddress || ph.Memsz > maxUserAddress-ph.Vaddr {
				return nil, noexec("program header %d: segment [%#x, +%#x) beyond the user address range", i, ph.Vaddr, ph.Memsz)
			}
			if ph.Off > 1<<62 || ph.Filesz > 1<<62-ph.Off {
				return nil, noexec("program header %d: file range [%#x, +%#x) is absurd", i, ph.Off, ph.Filesz)
			}
			if ph.Memsz == 0 {
				continue
			}
			if len(info.loads) > 0 && ph.Vaddr < end {
				return nil, noexec("program header %d: PT_LOAD at %#x overlaps or precedes the previous one ending at %#x", i, ph.Vaddr, end)
			}
			end = ph.Vaddr + ph.Memsz
			info.loads = append(info.loads, ph)
		}
	}
	if len(info.loads) == 0 {
		return nil, noexec("no loadable segment")
	}
	return info, nil
}
