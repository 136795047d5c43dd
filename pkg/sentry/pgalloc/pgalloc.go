// Package pgalloc owns memory files: host files that back application and
// tmpfs memory. The main one (New) is a memfd that backs all application
// memory; others (NewFromFD) are host files on disk, donated by runsc, that
// back an overlay's upper tmpfs (the filestore). The sentry maps each file
// whole once, so copying to or from it is a plain memory copy; stubs map
// ranges of the same files where the application sees them.
//
// It hands out page-aligned ranges of a file and returns freed ranges to
// the host (hole punching, on a memfd or a regular file alike). It must not
// know about addresses or VMAs: that is pkg/sentry/mm.
package pgalloc

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

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
	// id tells memory files apart in Key.
	id uint64
	// commit is set for a file on disk (NewFromFD): every allocated
	// range gets its disk blocks at once (fallocate), so that the
	// sentry's writes through its mapping can never fault for want of
	// space (SIGBUS); a full disk is ENOSPC from Allocate instead.
	commit bool
	// noPunch is set once the host file system refused to punch a hole
	// (EOPNOTSUPP): freed ranges are then zeroed by writing.
	noPunch atomic.Bool

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

// nextID numbers memory files (Key).
var nextID atomic.Uint64

// New creates a memory file of the given capacity (a memfd).
func New(name string, capacity uint64) (*MemoryFile, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("pgalloc: memfd_create: %w", err)
	}
	f, err := newFile(fd, name, capacity, false)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return f, nil
}

// NewFromFD makes a memory file of the given capacity (page-aligned) over
// fd, a regular host file open for reading and writing, such as a filestore
// that runsc created and donated. Whatever the file held is discarded: it is
// truncated, then extended (sparsely) to capacity. The file system under it
// must hold a sparse file of that size.
//
// On success the MemoryFile owns fd (Close closes it) and keeps it at the
// same number, so that FD returns fd; on failure the caller still owns it.
// name is used in error messages.
func NewFromFD(fd int, name string, capacity uint64) (*MemoryFile, error) {
	if capacity == 0 || capacity%pageSize != 0 || capacity > 1<<62 {
		return nil, fmt.Errorf("pgalloc: %s: capacity %#x: %w", name, capacity, linux.EINVAL)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("pgalloc: %s: stat: %w", name, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("pgalloc: %s: not a regular file (mode %#o): %w", name, st.Mode, linux.EINVAL)
	}
	if err := unix.Ftruncate(fd, 0); err != nil {
		return nil, fmt.Errorf("pgalloc: %s: truncate: %w", name, err)
	}
	return newFile(fd, name, capacity, true)
}

// newFile sizes and maps fd. It does not close fd on failure.
func newFile(fd int, name string, capacity uint64, commit bool) (*MemoryFile, error) {
	if err := unix.Ftruncate(fd, int64(capacity)); err != nil {
		return nil, fmt.Errorf("pgalloc: %s: size memory file: %w", name, err)
	}
	m, err := unix.Mmap(fd, 0, int(capacity), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("pgalloc: %s: map memory file: %w", name, err)
	}
	// Offset 0 is never handed out, so that a zero offset can mean "none"
	// in debugging output.
	return &MemoryFile{
		fd:      fd,
		mapping: m,
		id:      nextID.Add(1) - 1,
		commit:  commit,
		free:    []frange{{pageSize, capacity}},
	}, nil
}

// FD returns the host FD of the memory file.
func (f *MemoryFile) FD() int { return f.fd }

// keyShift places a memory file's id above any offset in Key.
const keyShift = 48

// Key returns a value that names the page at offset off of f among the
// pages of every memory file of the sentry (a shared futex's key): the
// offset, with f's number above it. Offsets stay below 2^48 (256 TiB);
// numbers wrap after 2^16 memory files have been created, which only
// tests come near.
func (f *MemoryFile) Key(off uint64) uint64 {
	return f.id<<keyShift | off&(1<<keyShift-1)
}

// OnDisk reports whether f is a host file on disk (NewFromFD), not a memfd.
func (f *MemoryFile) OnDisk() bool { return f.commit }

// Allocate reserves length bytes (page-aligned) of the file. The range
// reads as zeros. It returns ENOMEM when the file is full, and ENOSPC or
// EDQUOT when a file on disk cannot get the disk blocks.
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
			if err := f.commitRange(off, length); err != nil {
				return 0, err
			}
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

// commitRange gives [off, off+length) of a file on disk its disk blocks.
// It fails with ENOSPC (or EDQUOT) when the disk is full, having given
// back whatever part it got. A memfd needs nothing.
func (f *MemoryFile) commitRange(off, length uint64) error {
	if !f.commit {
		return nil
	}
	switch err := fallocateRetry(f.fd, unix.FALLOC_FL_KEEP_SIZE, off, length); err {
	case nil:
		return nil
	case unix.EOPNOTSUPP:
		// The file system cannot reserve space: writes then allocate
		// as they go, as they would on a memfd.
		return nil
	case unix.ENOSPC:
		f.punch(off, length)
		return linux.ENOSPC
	case unix.EDQUOT:
		f.punch(off, length)
		return linux.EDQUOT
	default:
		f.punch(off, length)
		return linux.ENOMEM
	}
}

// AllocateAt reserves exactly [off, off+length) if it is free (and, on
// disk, its blocks can be had), and reports whether it did.
func (f *MemoryFile) AllocateAt(off, length uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	end := off + length
	i := sort.Search(len(f.free), func(i int) bool { return f.free[i].end > off })
	if i == len(f.free) || f.free[i].off > off || f.free[i].end < end {
		return false
	}
	if f.commitRange(off, length) != nil {
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
	f.punch(off, length)
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
// keeping the range allocated. On a file on disk the range keeps its disk
// blocks (it is still allocated, and writes to it must not fault for want
// of space): only Free gives them back.
func (f *MemoryFile) Decommit(off, length uint64) {
	if length == 0 {
		return
	}
	if f.commit {
		if fallocateRetry(f.fd, unix.FALLOC_FL_ZERO_RANGE|unix.FALLOC_FL_KEEP_SIZE, off, length) == nil {
			return
		}
		// Without ZERO_RANGE: a hole, then the blocks again.
		f.punch(off, length)
		f.commitRange(off, length)
		return
	}
	f.punch(off, length)
}

// punch zeroes [off, off+length) and gives its memory or disk blocks back
// to the host (a hole). Where the file system cannot punch holes, the range
// is zeroed by writing, which keeps its blocks: freed pages must read as
// zeros when they are handed out again.
func (f *MemoryFile) punch(off, length uint64) {
	if !f.noPunch.Load() {
		err := fallocateRetry(f.fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, length)
		if err == nil {
			return
		}
		if errors.Is(err, unix.EOPNOTSUPP) {
			f.noPunch.Store(true)
		}
	}
	clear(f.mapping[off : off+length])
}

// fallocateRetry is fallocate(2), retried on EINTR (a file on disk can be
// interrupted).
func fallocateRetry(fd int, mode uint32, off, length uint64) error {
	for {
		err := unix.Fallocate(fd, mode, int64(off), int64(length))
		if err != unix.EINTR {
			return err
		}
	}
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
