// Package mm is an application's address space as the sentry sees it: the
// VMAs, the program break, and the translation of application addresses to
// ranges of the memory file.
//
// Every VMA that allows any access is backed by a range of the memory file
// as soon as it exists, and is mapped into the platform address space at
// once; the file is sparse, so untouched pages cost nothing. The one
// exception are the pages of file mappings wholly beyond the end of a
// regular file, which have no memory so that touching them faults: the
// kernel asks HandleFault, which answers SIGBUS or, if the file has grown
// since, brings the pages in (eof.go). The other exception is private
// memory shared copy-on-write with a forked process, mapped without write
// permission until its first write (fork.go). Every other page fault in
// the application is a real fault (SIGSEGV), never work for mm.
//
// Copy-in and copy-out go through the sentry's own mapping of the memory
// file and honour the VMA's protections, as copy_from_user does.
//
// An address space's memory is in its memory file (MM.mf), with one
// exception: a shared mapping of a file whose pages live in a memory file
// of its own (MemoryFileMappable: the upper tmpfs of an overlay over a
// filestore) maps those pages where they are; such a vma names its memory
// file (vma.mf) and is never copy-on-write. The platform must have been
// told about that file before the address space was created
// (platform.MemoryFileAdder).
//
// File mappings (file.go) are backed the same way: a shared mapping of a
// file whose data lives in the memory file (tmpfs) maps the file's own
// pages, so writes through it and write(2) see each other; every other
// file mapping is a private copy of the file's contents, read when the
// mapping is made.
//
// Locking: MM.mu protects the VMAs and the break. Platform calls are made
// with mu held for writing, so the platform address space never disagrees
// with the VMAs that a reader can see. pgalloc's lock is taken inside mu.
// mremap and madvise read mapped files (PRead, SharedPages) with mu held,
// so file systems must never touch application memory (usermem.IO) while
// they hold a lock of their own. A VMA holds a reference on its file; the
// references of VMAs that go away are dropped after mu is released
// (MM.unlock), so a file's release never runs under mu. A file system's
// watch lock (vfs.ShrinkNotifier) is taken inside mu; FileShrunk is called
// with no file system lock held.
package mm

import (
	"sort"
	"sync"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// MaxMapCount is vm.max_map_count's default.
const MaxMapCount = 65530

// Layout is where things go in a new address space.
type Layout struct {
	// MaxAddr is the end of the usable range (the platform's).
	MaxAddr uint64
	// StackTop is the top of the initial stack.
	StackTop uint64
	// MmapBase is where top-down allocation of mmap starts.
	MmapBase uint64
	// PIEBase is where a position-independent executable is loaded.
	PIEBase uint64
}

// vma is a virtual memory area: [start, end) with one set of properties.
type vma struct {
	start, end uint64
	prot       platform.Prot
	shared     bool
	growsDown  bool
	// off is the memory-file offset of start, when backed.
	off    uint64
	backed bool
	// mf is the memory file off is in when it is not the MM's own
	// (nil): only for the file pages (filePages) of a file that
	// implements MemoryFileMappable. Always nil when not backed.
	mf   *pgalloc.MemoryFile
	name string
	// noMayWrite and noMayExec clear VM_MAYWRITE and VM_MAYEXEC:
	// mprotect may not make the mapping writable (a shared mapping of a
	// file not open for writing) or executable (a file on a noexec
	// mount).
	noMayWrite, noMayExec bool
	// file is the mapped file, nil for anonymous memory; the vma holds
	// a reference on it. fileOff is the file offset of start; dev and
	// ino identify the file for /proc/PID/maps. Anonymous memory the
	// loader filled from a file has them too (named, see NameMapping),
	// without a file. filePages says the
	// memory is the file's own pages (a shared mapping of a
	// PageMappable file), not a private copy of its contents.
	file      vfs.Mappable
	fileOff   uint64
	dev, ino  uint64
	filePages bool
	// beyondEOF marks a file vma whose pages were wholly beyond the end
	// of the file when last looked at: it has no memory (backed is
	// false) and nothing in the platform, so touching it faults (see
	// eof.go). filePages then says what memory it would get.
	beyondEOF bool
	// cow marks private memory shared with another address space since
	// a fork: it is copied before it is first written (fork.go).
	cow bool
	// dontFork (MADV_DONTFORK) leaves the vma out of a fork's child;
	// wipeOnFork (MADV_WIPEONFORK) gives the child zeros instead.
	dontFork, wipeOnFork bool
}

func (v *vma) length() uint64 { return v.end - v.start }

// hasFileOffset reports whether v shows a file (and fileOff means
// something): a file mapping, or memory the loader named after a file.
func (v *vma) hasFileOffset() bool { return v.file != nil || v.ino != 0 }

// fileOffset returns the memory file offset of addr in v.
func (v *vma) fileOffset(addr uint64) uint64 { return v.off + addr - v.start }

// memOf returns the memory file that holds v's memory.
func (mm *MM) memOf(v *vma) *pgalloc.MemoryFile {
	if v.mf != nil {
		return v.mf
	}
	return mm.mf
}

// MemoryFileMappable is implemented by vfs.PageMappable files whose pages
// may live in a memory file other than the sentry's main one (tmpfs over a
// filestore). A file that passes mmap on to another file (overlay) passes
// this method on too, asking the other file once, so that the ranges and
// the memory file always agree. Files that do not implement it have their
// pages in the address space's memory file. vfs.CachedMappable pages are
// always in the address space's memory file.
type MemoryFileMappable interface {
	vfs.PageMappable
	// SharedPagesWithFile is SharedPages that also returns the memory
	// file the ranges are in (nil: the address space's own).
	SharedPagesWithFile(off, length uint64) ([]vfs.MemoryRange, *pgalloc.MemoryFile, error)
}

// MM is an address space.
type MM struct {
	// users counts the processes whose address space this is: more
	// than one only between a vfork (clone with CLONE_VM) and the
	// child's exec or exit.
	users atomic.Int32

	id     uintptr
	mf     *pgalloc.MemoryFile
	as     platform.AddressSpace
	layout Layout

	mu sync.RWMutex
	// vmas is sorted by start and never overlaps.
	vmas []*vma
	// brkBase and brk are the start and current end of the heap.
	brkBase, brk uint64
	// brkLimit bounds brk-brkBase (RLIMIT_DATA).
	brkLimit uint64
	// asLimit bounds the total size of the vmas (RLIMIT_AS).
	asLimit uint64
	// dropped are the files of vmas that went away, whose references
	// unlock drops.
	dropped []vfs.FileDescription
	// watching are the unwatch functions of the inodes that tell mm
	// when they shrink (eof.go), by inode.
	watching map[vfs.Inode]func()
}

// New returns an empty address space.
func New(mf *pgalloc.MemoryFile, as platform.AddressSpace, layout Layout) *MM {
	mm := &MM{id: uintptr(nextID.Add(1)), mf: mf, as: as, layout: layout, brkLimit: ^uint64(0), asLimit: ^uint64(0)}
	mm.users.Store(1)
	return mm
}

// IncUsers adds a process that shares mm (clone with CLONE_VM).
func (mm *MM) IncUsers() { mm.users.Add(1) }

// DecUsers drops a process's use of mm; the last one releases it.
func (mm *MM) DecUsers() {
	if mm.users.Add(-1) == 0 {
		mm.Release()
	}
}

var nextID atomic.Uint64

// ID identifies the address space for as long as it exists (private futex
// keys use it).
func (mm *MM) ID() uintptr { return mm.id }

// AddressSpace returns the platform address space.
func (mm *MM) AddressSpace() platform.AddressSpace { return mm.as }

// Layout returns the layout mm was created with.
func (mm *MM) Layout() Layout { return mm.layout }

// Release frees all memory and the platform address space.
func (mm *MM) Release() {
	mm.mu.Lock()
	defer mm.unlock()
	for _, v := range mm.vmas {
		if v.backed {
			mm.memOf(v).Free(v.off, v.length())
		}
		mm.dropFile(v)
	}
	mm.vmas = nil
	for _, unwatch := range mm.watching {
		unwatch()
	}
	mm.watching = nil
	mm.as.Release()
}

// unlock releases mm.mu held for writing, then drops the references of
// the files whose vmas went away meanwhile.
func (mm *MM) unlock() {
	dropped := mm.dropped
	mm.dropped = nil
	mm.mu.Unlock()
	for _, f := range dropped {
		f.DecRef()
	}
}

// dropFile schedules the release of v's file reference, as v goes away.
//
// Preconditions: mm.mu is held for writing.
func (mm *MM) dropFile(v *vma) {
	if v.file != nil {
		mm.dropped = append(mm.dropped, v.file)
		v.file = nil
	}
}

// find returns the index of the first vma whose end is above addr.
//
// Preconditions: mm.mu is held.
func (mm *MM) find(addr uint64) int {
	return sort.Search(len(mm.vmas), func(i int) bool { return mm.vmas[i].end > addr })
}

// lookup returns the vma containing addr, or nil.
//
// Preconditions: mm.mu is held.
func (mm *MM) lookup(addr uint64) *vma {
	i := mm.find(addr)
	if i < len(mm.vmas) && mm.vmas[i].start <= addr {
		return mm.vmas[i]
	}
	return nil
}

// isFree reports whether [start, end) overlaps no vma.
//
// Preconditions: mm.mu is held.
func (mm *MM) isFree(start, end uint64) bool {
	i := mm.find(start)
	return i == len(mm.vmas) || mm.vmas[i].start >= end
}

// split makes addr a vma boundary if it falls inside one.
//
// Preconditions: mm.mu is held for writing.
func (mm *MM) split(addr uint64) {
	i := mm.find(addr)
	if i == len(mm.vmas) || mm.vmas[i].start >= addr {
		return
	}
	v := mm.vmas[i]
	tail := *v
	tail.start = addr
	if v.backed {
		tail.off = v.fileOffset(addr)
	}
	if v.hasFileOffset() {
		tail.fileOff = v.fileOff + (addr - v.start)
	}
	if v.file != nil {
		v.file.IncRef()
	}
	v.end = addr
	mm.vmas = append(mm.vmas, nil)
	copy(mm.vmas[i+2:], mm.vmas[i+1:])
	mm.vmas[i+1] = &tail
}

// mergeable reports whether b can be appended to a: same properties,
// and memory (and file offsets, for the same file) that continue.
func mergeable(a, b *vma) bool {
	return a.end == b.start && a.prot == b.prot && a.shared == b.shared &&
		a.growsDown == b.growsDown && a.name == b.name && a.backed == b.backed &&
		(!a.backed || a.off+a.length() == b.off) && a.mf == b.mf &&
		a.noMayWrite == b.noMayWrite && a.noMayExec == b.noMayExec &&
		a.file == b.file && a.filePages == b.filePages && a.dev == b.dev && a.ino == b.ino &&
		a.beyondEOF == b.beyondEOF && a.cow == b.cow &&
		a.dontFork == b.dontFork && a.wipeOnFork == b.wipeOnFork &&
		(!a.hasFileOffset() || a.fileOff+a.length() == b.fileOff)
}

// mergeRange merges mergeable neighbours among the vmas that touch
// [start, end].
//
// Preconditions: mm.mu is held for writing.
func (mm *MM) mergeRange(start, end uint64) {
	for j := max(mm.find(start)-1, 0); j+1 < len(mm.vmas) && mm.vmas[j].start <= end; {
		if mergeable(mm.vmas[j], mm.vmas[j+1]) {
			mm.vmas[j].end = mm.vmas[j+1].end
			mm.dropFile(mm.vmas[j+1])
			mm.vmas = append(mm.vmas[:j+1], mm.vmas[j+2:]...)
		} else {
			j++
		}
	}
}

// insert adds v, which must not overlap any vma, and merges it.
//
// Preconditions: mm.mu is held for writing.
func (mm *MM) insert(v *vma) {
	i := mm.find(v.start)
	mm.vmas = append(mm.vmas, nil)
	copy(mm.vmas[i+1:], mm.vmas[i:])
	mm.vmas[i] = v
	mm.mergeRange(v.start, v.end)
}

// removeRange unmaps [start, end): the vmas go away, their memory is freed
// and the platform mapping is removed.
//
// Preconditions: mm.mu is held for writing.
func (mm *MM) removeRange(start, end uint64) error {
	mm.split(start)
	mm.split(end)
	i := mm.find(start)
	j := i
	for j < len(mm.vmas) && mm.vmas[j].start < end {
		v := mm.vmas[j]
		if v.backed {
			mm.memOf(v).Free(v.off, v.length())
		}
		mm.dropFile(v)
		j++
	}
	if j == i {
		return nil
	}
	mm.vmas = append(mm.vmas[:i], mm.vmas[j:]...)
	return mm.as.Unmap(start, end-start)
}

// back gives v memory and maps it in the platform.
//
// Preconditions: mm.mu is held for writing; v is not backed.
func (mm *MM) back(v *vma) error {
	off, err := mm.mf.Allocate(v.length())
	if err != nil {
		return err
	}
	v.off, v.backed = off, true
	return mm.as.MapFile(v.start, mm.mf.FD(), off, v.length(), v.platformProt())
}

// findGap returns the highest free range of length bytes below below, or
// the lowest above it if there is none.
//
// Preconditions: mm.mu is held.
func (mm *MM) findGap(length, below uint64) (uint64, bool) {
	const minAddr = 0x10000 // vm.mmap_min_addr
	top := below
	for i := mm.find(below) - 1; ; i-- {
		floor := uint64(minAddr)
		if i >= 0 {
			floor = max(mm.vmas[i].end, minAddr)
		}
		if top >= floor && top-floor >= length {
			return top - length, true
		}
		if i < 0 {
			break
		}
		top = min(top, mm.vmas[i].start)
	}
	// Bottom-up above the base, as Linux falls back to.
	start := below
	for i := mm.find(below); start+length <= mm.layout.MaxAddr && start+length > start; i++ {
		if i == len(mm.vmas) || mm.vmas[i].start >= start+length {
			return start, true
		}
		start = max(start, mm.vmas[i].end)
	}
	return 0, false
}

// checkRange validates a user range like Linux's access checks.
func (mm *MM) checkRange(addr, length uint64) bool {
	end := addr + length
	return end >= addr && end <= mm.layout.MaxAddr
}

var _ usermem.IO = (*MM)(nil)

// copy moves bytes between buf and application memory at addr. write says
// which way; force ignores protections (for the loader and ptrace-like
// pokes).
func (mm *MM) copy(addr uint64, buf []byte, write, force bool) (int, error) {
	if write {
		mm.prepareWrite(addr, uint64(len(buf)))
	}
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	done := 0
	for done < len(buf) {
		a := addr + uint64(done)
		if a < addr {
			return done, linux.EFAULT
		}
		v := mm.lookup(a)
		if v == nil || !v.backed {
			return done, linux.EFAULT
		}
		if !force && ((write && !v.prot.Write) || (!write && !v.prot.Read)) {
			return done, linux.EFAULT
		}
		n := min(uint64(len(buf)-done), v.end-a)
		mem := mm.memOf(v).Bytes(v.fileOffset(a), n)
		if write {
			copy(mem, buf[done:])
		} else {
			copy(buf[done:], mem)
		}
		done += int(n)
	}
	return done, nil
}

// ReadInto has fill write up to n bytes at addr straight into the memory
// that backs them, instead of into a buffer that CopyOut then copies:
// fill gets one contiguous piece (within one mapping) at a time and
// returns how many bytes it wrote there; a short count or an error ends
// the call. The range must be writable by the application, as for
// CopyOut (EFAULT where it is not: the bytes before it count).
//
// fill runs with mm.mu held for reading: it must not block on other tasks
// and must not use this MM.
func (mm *MM) ReadInto(addr, n uint64, fill func(dst []byte) (int, error)) (int, error) {
	mm.prepareWrite(addr, n)
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	var done uint64
	for done < n {
		a := addr + done
		if a < addr {
			return int(done), linux.EFAULT
		}
		v := mm.lookup(a)
		if v == nil || !v.backed || !v.prot.Write {
			return int(done), linux.EFAULT
		}
		m := min(n-done, v.end-a)
		got, err := fill(mm.memOf(v).Bytes(v.fileOffset(a), m))
		done += uint64(got)
		if err != nil || uint64(got) < m {
			return int(done), err
		}
	}
	return int(done), nil
}

// CopyIn implements usermem.IO.
func (mm *MM) CopyIn(addr uint64, dst []byte) (int, error) { return mm.copy(addr, dst, false, false) }

// CopyOut implements usermem.IO.
func (mm *MM) CopyOut(addr uint64, src []byte) (int, error) { return mm.copy(addr, src, true, false) }

// Poke writes data at addr whatever the protection of the mapping.
func (mm *MM) Poke(addr uint64, data []byte) error {
	_, err := mm.copy(addr, data, true, true)
	return err
}

// Peek reads at addr whatever the protection of the mapping.
func (mm *MM) Peek(addr uint64, data []byte) error {
	_, err := mm.copy(addr, data, false, true)
	return err
}

// FileOffset returns the identity of the memory that backs addr, for
// shared futexes: the offset in its memory file, told apart from the
// same offset of another memory file (pgalloc.MemoryFile.Key).
func (mm *MM) FileOffset(addr uint64) (uint64, error) {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	v := mm.lookup(addr)
	if v == nil || !v.backed {
		return 0, linux.EFAULT
	}
	return mm.memOf(v).Key(v.fileOffset(addr)), nil
}
