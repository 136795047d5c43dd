// Package pgalloc owns the memory file: the one host file (a memfd) that
// backs all application memory. The sentry maps the whole file once, so
// copying to or from application memory is a plain memory copy; stubs map
// ranges of the same file where the application sees them.
//
// It hands out page-aligned ranges of the file and returns freed ranges to
// the host (hole punching). It must not know about addresses or VMAs: that
// is pkg/sentry/mm.
package pgalloc

import (
	"fmt"
	"sort"
	"sync"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

const pageSize = 4096

// DefaultCapacity is the size of the memory file's address range. The file
// is sparse: only pages that are touched use memory.
const DefaultCapacity = 256 << 30

// MemoryFile is the memory file and its allocator.
type MemoryFile struct {
	fd      int
	mapping []byte

	mu sync.Mutex
	// free holds the free ranges, sorted by offset, never adjacent.
	free []frange
	// used is the number of allocated bytes.
	used uint64
	// refs counts the references beyond the first of pages shared by
	// several mappings (refs.go). Pages it does not cover have one.
	refs refRanges
}

type frange struct{ off, end uint64 }

// New creates a memory file of the given capacity.
func New(name string, capacity uint64) (*MemoryFile, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("pgalloc: memfd_create: %w", err)
	}
	if err := unix.Ftruncate(fd, int64(capacity)); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("pgalloc: size memory file: %w", err)
	}
	m, err := unix.Mmap(fd, 0, int(capacity), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_NORESERVE)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("pgalloc: map memory file: %w", err)
	}
	// Offset 0 is never handed out, so that a zero offset can mean "none"
	// in debugging output.
	return &MemoryFile{fd: fd, mapping: m, free: []frange{{pageSize, capacity}}}, nil
}

// FD returns the host FD of the memory file.
func (f *MemoryFile) FD() int { return f.fd }

// Allocate reserves length bytes (page-aligned) of the file. The range
// reads as zeros. It returns ENOMEM when the file is full.
func (f *MemoryFile) Allocate(length uint64) (uint64, error) {
	if length == 0 || length%pageSize != 0 {
		return 0, linux.EINVAL
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.free {
		r := &f.free[i]
		if r.end-r.off >= length {
			off := r.off
			r.off += length
			if r.off == r.end {
				f.free = append(f.free[:i], f.free[i+1:]...)
			}
			f.used += length
			return off, nil
		}
	}
	return 0, linux.ENOMEM
}

// AllocateAt reserves exactly [off, off+length) if it is free, and reports
// whether it did.
func (f *MemoryFile) AllocateAt(off, length uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	end := off + length
	i := sort.Search(len(f.free), func(i int) bool { return f.free[i].end > off })
	if i == len(f.free) || f.free[i].off > off || f.free[i].end < end {
		return false
	}
	r := f.free[i]
	var repl []frange
	if r.off < off {
		repl = append(repl, frange{r.off, off})
	}
	if end < r.end {
		repl = append(repl, frange{end, r.end})
	}
	f.free = append(f.free[:i], append(repl, f.free[i+1:]...)...)
	f.used += length
	return true
}

// IncRef adds a reference to every page of [off, off+length), so that it
// takes one more Free to release them.
func (f *MemoryFile) IncRef(off, length uint64) {
	if length == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refs.add(off, off+length, 1)
}

// Free drops a reference to [off, off+length); pages whose last reference
// goes are returned to the host and can be allocated again.
func (f *MemoryFile) Free(off, length uint64) {
	if length == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// The pages with no extra reference are released; the others lose
	// one.
	for _, r := range f.refs.gaps(off, off+length) {
		f.freeLocked(r.off, r.end-r.off)
	}
	f.refs.add(off, off+length, -1)
}

// Exclusive reports whether every page of [off, off+length) has exactly
// one reference: whoever holds it is the only user.
func (f *MemoryFile) Exclusive(off, length uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.refs.overlaps(off, off+length)
}

// CopyData copies length bytes from offset src to offset dst, skipping the
// holes of src (which read as zeros, as the freshly allocated dst does).
//
// Preconditions: [dst, dst+length) was just allocated and is not shared.
func (f *MemoryFile) CopyData(dst, src, length uint64) {
	end := src + length
	for off := src; off < end; {
		data, err := unix.Seek(f.fd, int64(off), unix.SEEK_DATA)
		if err != nil || uint64(data) >= end {
			return // ENXIO: no data up to the end of the file.
		}
		hole, err := unix.Seek(f.fd, data, unix.SEEK_HOLE)
		if err != nil || uint64(hole) > end {
			hole = int64(end)
		}
		d, h := uint64(data), uint64(hole)
		copy(f.mapping[dst+d-src:dst+h-src], f.mapping[d:h])
		off = h
	}
}

// freeLocked returns [off, off+length) to the free list and the host.
//
// Preconditions: f.mu is held.
func (f *MemoryFile) freeLocked(off, length uint64) {
	f.Decommit(off, length)
	end := off + length
	i := sort.Search(len(f.free), func(i int) bool { return f.free[i].off >= off })
	f.free = append(f.free, frange{})
	copy(f.free[i+1:], f.free[i:])
	f.free[i] = frange{off, end}
	// Merge with the neighbours.
	if i+1 < len(f.free) && f.free[i+1].off == end {
		f.free[i].end = f.free[i+1].end
		f.free = append(f.free[:i+1], f.free[i+2:]...)
	}
	if i > 0 && f.free[i-1].end == off {
		f.free[i-1].end = f.free[i].end
		f.free = append(f.free[:i], f.free[i+1:]...)
	}
	f.used -= length
}

// Decommit zeroes [off, off+length) and returns its memory to the host,
// keeping the range allocated.
func (f *MemoryFile) Decommit(off, length uint64) {
	// Punching a hole cannot fail on a memfd for an in-range request; if
	// it ever did, the range would keep its memory, not lose data.
	unix.Fallocate(f.fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, int64(off), int64(length))
}

// Bytes returns the sentry's view of [off, off+length).
func (f *MemoryFile) Bytes(off, length uint64) []byte {
	return f.mapping[off : off+length : off+length]
}

// Used returns the number of allocated bytes.
func (f *MemoryFile) Used() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.used
}

// Close unmaps and closes the memory file.
func (f *MemoryFile) Close() {
	unix.Munmap(f.mapping)
	unix.Close(f.fd)
}
