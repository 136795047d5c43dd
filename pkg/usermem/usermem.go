// Package usermem is how the sentry reads and writes application memory.
//
// It owns the IO interface that every consumer of application memory
// (syscall handlers, the loader, signal delivery, strace) goes through, and
// helpers for the common shapes: integers, NUL-terminated strings, arrays.
// Application memory is untrusted: a bad address is an EFAULT, never a panic.
// This package must not know how memory is backed; that is pkg/sentry/mm.
package usermem

import (
	"encoding/binary"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// IO reads and writes an application address space.
type IO interface {
	// CopyIn copies len(dst) bytes from addr into dst. It returns the
	// number of bytes copied and linux.EFAULT if it could not copy all.
	CopyIn(addr uint64, dst []byte) (int, error)
	// CopyOut copies src to addr, with the same contract as CopyIn.
	CopyOut(addr uint64, src []byte) (int, error)
}

// PageSize is the page size of x86-64.
const PageSize = 4096

// PageRoundDown rounds addr down to a page boundary.
func PageRoundDown(addr uint64) uint64 { return addr &^ (PageSize - 1) }

// PageRoundUp rounds addr up to a page boundary. ok is false on overflow.
func PageRoundUp(addr uint64) (rounded uint64, ok bool) {
	rounded = PageRoundDown(addr + PageSize - 1)
	return rounded, rounded >= addr
}

// CopyInUint32 reads a little-endian uint32 at addr.
func CopyInUint32(io IO, addr uint64) (uint32, error) {
	var b [4]byte
	if _, err := io.CopyIn(addr, b[:]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

// CopyOutUint32 writes a little-endian uint32 to addr.
func CopyOutUint32(io IO, addr uint64, v uint32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	_, err := io.CopyOut(addr, b[:])
	return err
}

// CopyInUint64 reads a little-endian uint64 at addr.
func CopyInUint64(io IO, addr uint64) (uint64, error) {
	var b [8]byte
	if _, err := io.CopyIn(addr, b[:]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// CopyOutUint64 writes a little-endian uint64 to addr.
func CopyOutUint64(io IO, addr uint64, v uint64) error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	_, err := io.CopyOut(addr, b[:])
	return err
}

// CopyInString reads a NUL-terminated string of at most maxLen bytes
// (excluding the NUL) at addr. It returns ENAMETOOLONG if no NUL is found
// within maxLen+1 bytes, and EFAULT if the memory cannot be read.
func CopyInString(io IO, addr uint64, maxLen int) (string, error) {
	const chunk = 256
	var out []byte
	buf := make([]byte, chunk)
	for len(out) <= maxLen {
		// Never read across a page boundary in one step: the next page
		// may be unmapped even though the string ends before it.
		n := chunk - int((addr+uint64(len(out)))%chunk)
		got, err := io.CopyIn(addr+uint64(len(out)), buf[:n])
		for i := 0; i < got; i++ {
			if buf[i] == 0 {
				out = append(out, buf[:i]...)
				if len(out) > maxLen {
					return "", linux.ENAMETOOLONG
				}
				return string(out), nil
			}
		}
		if err != nil {
			return "", linux.EFAULT
		}
		out = append(out, buf[:got]...)
	}
	return "", linux.ENAMETOOLONG
}

// CopyInVector reads a NULL-terminated array of pointers (argv, envp) at
// addr and the strings they point to. maxCount bounds the number of
// entries and maxTotal the summed string length (E2BIG beyond either).
func CopyInVector(io IO, addr uint64, maxCount, maxTotal int) ([]string, error) {
	var out []string
	total := 0
	for i := 0; ; i++ {
		if i >= maxCount {
			return nil, linux.E2BIG
		}
		p, err := CopyInUint64(io, addr+uint64(8*i))
		if err != nil {
			return nil, err
		}
		if p == 0 {
			return out, nil
		}
		s, err := CopyInString(io, p, maxTotal-total)
		if err == linux.ENAMETOOLONG {
			return nil, linux.E2BIG
		}
		if err != nil {
			return nil, err
		}
		total += len(s) + 1
		out = append(out, s)
	}
}

// BytesIO is an IO over a plain byte slice starting at address Base. It
// serves tests and in-sentry buffers.
type BytesIO struct {
	Base  uint64
	Bytes []byte
}

func (b *BytesIO) span(addr uint64, n int) (int, bool) {
	if addr < b.Base || addr-b.Base > uint64(len(b.Bytes)) {
		return 0, false
	}
	off := int(addr - b.Base)
	avail := len(b.Bytes) - off
	if avail < n {
		return avail, false
	}
	return n, true
}

// CopyIn implements IO.
func (b *BytesIO) CopyIn(addr uint64, dst []byte) (int, error) {
	n, ok := b.span(addr, len(dst))
	if n > 0 {
		copy(dst[:n], b.Bytes[addr-b.Base:])
	}
	if !ok {
		return n, linux.EFAULT
	}
	return n, nil
}

// CopyOut implements IO.
func (b *BytesIO) CopyOut(addr uint64, src []byte) (int, error) {
	n, ok := b.span(addr, len(src))
	if n > 0 {
		copy(b.Bytes[addr-b.Base:], src[:n])
	}
	if !ok {
		return n, linux.EFAULT
	}
	return n, nil
}
