package loader

import (
	"bytes"
	"encoding/binary"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/usermem"
)

// fakeMem is a Memory of lazily allocated pages that honours protections
// in CopyIn/CopyOut, as the real memory manager must.
type fakeMem struct {
	pages    map[uint64]*fakePage
	stackTop uint64
	pieBase  uint64
	mmapBase uint64
	brk      uint64
	maxPages int
}

type fakePage struct {
	data      []byte // nil: all zero
	prot      platform.Prot
	growsDown bool
}

const (
	testStackTop = 0x7fff_f000_0000
	testPIEBase  = 0x5555_5555_4000
	testMmapBase = 0x7fff_e000_0000
)

func newFakeMem() *fakeMem {
	return &fakeMem{pages: map[uint64]*fakePage{}, stackTop: testStackTop, pieBase: testPIEBase, mmapBase: testMmapBase, maxPages: 1 << 16}
}

func (m *fakeMem) MapAnonymous(addr, length uint64, prot platform.Prot, fixed, growsDown bool) (uint64, error) {
	if length == 0 || length%usermem.PageSize != 0 || addr+length < addr {
		return 0, linux.EINVAL
	}
	if !fixed {
		// Top-down from the mmap base, as mm places mappings.
		var ok bool
		if addr, ok = m.findGap(length); !ok {
			return 0, linux.ENOMEM
		}
	}
	if addr%usermem.PageSize != 0 {
		return 0, linux.EINVAL
	}
	if len(m.pages)+int(min(length/usermem.PageSize, 1<<30)) > m.maxPages {
		return 0, linux.ENOMEM
	}
	for a := addr; a < addr+length; a += usermem.PageSize {
		m.pages[a] = &fakePage{prot: prot, growsDown: growsDown}
	}
	return addr, nil
}

// findGap returns the highest free range of length bytes below the mmap
// base.
func (m *fakeMem) findGap(length uint64) (uint64, bool) {
	if length > m.mmapBase || length/usermem.PageSize > uint64(m.maxPages) {
		return 0, false
	}
	for top := m.mmapBase; top >= length && top-length >= 0x10000; top -= usermem.PageSize {
		free := true
		for a := top - length; a < top; a += usermem.PageSize {
			if m.pages[a] != nil {
				free = false
				break
			}
		}
		if free {
			return top - length, true
		}
	}
	return 0, false
}

func (m *fakeMem) Unmap(addr, length uint64) error {
	if addr%usermem.PageSize != 0 || length%usermem.PageSize != 0 || addr+length < addr {
		return linux.EINVAL
	}
	for a := addr; a < addr+length; a += usermem.PageSize {
		delete(m.pages, a)
	}
	return nil
}

// access copies between buf and memory at addr; check decides per page
// whether the access is allowed.
func (m *fakeMem) access(addr uint64, buf []byte, write bool, check func(platform.Prot) bool) (int, error) {
	done := 0
	for done < len(buf) {
		a := addr + uint64(done)
		p := m.pages[usermem.PageRoundDown(a)]
		if p == nil || !check(p.prot) {
			return done, linux.EFAULT
		}
		off := int(a % usermem.PageSize)
		n := min(len(buf)-done, usermem.PageSize-off)
		if write {
			if p.data == nil {
				p.data = make([]byte, usermem.PageSize)
			}
			copy(p.data[off:], buf[done:done+n])
		} else if p.data == nil {
			clear(buf[done : done+n])
		} else {
			copy(buf[done:done+n], p.data[off:])
		}
		done += n
	}
	return done, nil
}

func (m *fakeMem) CopyIn(addr uint64, dst []byte) (int, error) {
	return m.access(addr, dst, false, func(p platform.Prot) bool { return p.Read })
}

func (m *fakeMem) CopyOut(addr uint64, src []byte) (int, error) {
	return m.access(addr, src, true, func(p platform.Prot) bool { return p.Write })
}

func (m *fakeMem) Poke(addr uint64, data []byte) error {
	_, err := m.access(addr, data, true, func(platform.Prot) bool { return true })
	return err
}

// peek reads memory regardless of protection.
func (m *fakeMem) peek(addr uint64, n int) ([]byte, error) {
	buf := make([]byte, n)
	_, err := m.access(addr, buf, false, func(platform.Prot) bool { return true })
	return buf, err
}

func (m *fakeMem) SetBrkBase(addr uint64) { m.brk = addr }
func (m *fakeMem) StackTop() uint64       { return m.stackTop }
func (m *fakeMem) PIEBase() uint64        { return m.pieBase }

// image builds an ELF file: header, program headers at offset 64, and
// data placed at given offsets.
type image struct {
	hdr    linux.Elf64_Ehdr
	phdrs  []linux.Elf64_Phdr
	chunks map[uint64][]byte
	size   int
}

func newImage(typ uint16, entry uint64) *image {
	im := &image{chunks: map[uint64][]byte{}}
	copy(im.hdr.Ident[:], linux.ELFMAG)
	im.hdr.Ident[linux.EI_CLASS] = linux.ELFCLASS64
	im.hdr.Ident[linux.EI_DATA] = linux.ELFDATA2LSB
	im.hdr.Ident[linux.EI_VERSION] = linux.EV_CURRENT
	im.hdr.Type = typ
	im.hdr.Machine = linux.EM_X86_64
	im.hdr.Version = linux.EV_CURRENT
	im.hdr.Entry = entry
	im.hdr.Phoff = linux.Elf64_EhdrSize
	im.hdr.Ehsize = linux.Elf64_EhdrSize
	im.hdr.Phentsize = linux.Elf64_PhdrSize
	return im
}

func (im *image) bytes() []byte {
	im.hdr.Phnum = uint16(len(im.phdrs))
	size := im.size
	end := int(im.hdr.Phoff) + len(im.phdrs)*linux.Elf64_PhdrSize
	size = max(size, end)
	for off, c := range im.chunks {
		size = max(size, int(off)+len(c))
	}
	buf := make([]byte, size)
	for off, c := range im.chunks {
		copy(buf[off:], c)
	}
	var w bytes.Buffer
	binary.Write(&w, binary.LittleEndian, &im.hdr)
	binary.Write(&w, binary.LittleEndian, im.phdrs)
	copy(buf, w.Bytes()[:linux.Elf64_EhdrSize])
	copy(buf[im.hdr.Phoff:], w.Bytes()[linux.Elf64_EhdrSize:])
	return buf
}

// pattern returns n recognisable bytes.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31) ^ seed | 1
	}
	return b
}

// testImage is a small static executable: a read-execute segment holding
// the headers and text from offset 0, and a read-write data segment with
// bss that shares its last file page with trailing file bytes that must not
// show through the bss.
func testImage(typ uint16, base uint64) *image {
	im := newImage(typ, base+0x100)
	im.chunks[0x100] = pattern(0xf00, 0x5a) // text
	im.chunks[0x1234] = pattern(0x100, 0xa5)
	im.chunks[0x1334] = bytes.Repeat([]byte{0xee}, 0x200) // not part of any segment
	im.phdrs = []linux.Elf64_Phdr{
		{Type: linux.PT_LOAD, Flags: linux.PF_R | linux.PF_X, Off: 0, Vaddr: base, Filesz: 0x1000, Memsz: 0x1000, Align: 0x1000},
		{Type: linux.PT_LOAD, Flags: linux.PF_R | linux.PF_W, Off: 0x1234, Vaddr: base + 0x2234, Filesz: 0x100, Memsz: 0x2000, Align: 0x1000},
		{Type: linux.PT_GNU_STACK, Flags: linux.PF_R | linux.PF_W},
	}
	return im
}
