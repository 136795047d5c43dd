package mm

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// This file holds the pages of file mappings that lie wholly beyond the
// end of a regular file, which Linux answers with SIGBUS when touched.
//
// When a regular file is mapped, only the pages up to its end (rounded up
// to a page) get memory as file.go describes; the rest of the mapping is a
// vma with beyondEOF set: no memory, nothing mapped in the platform, so an
// access by application code faults. The kernel asks HandleFault what the
// fault means. If the file has grown over the page since, the vma gets
// memory for a window around the page, up to the new end of the file (the
// file's own pages for a shared mapping of a PageMappable file, a fresh
// copy of its contents otherwise), and the access is retried; otherwise
// the answer is SIGBUS (BUS_ADRERR).
//
// Files that can shrink while mapped and say so (vfs.ShrinkNotifier:
// tmpfs) are watched by every MM that maps them (watchFile); FileShrunk
// takes the memory of the pages now wholly beyond the end away again.
// Other files (gofer) are not: a private copy made while the file was
// larger keeps its pages after the file shrinks.
//
// Copy-in and copy-out (a system call's buffer in such a page) fail with
// EFAULT, even when the file has grown since: only an access by
// application code brings the page in.

// faultWindow is the most a fault brings in of a file that grew.
const faultWindow = 16 * usermem.PageSize

// FaultResult says what a page fault of application code means.
type FaultResult int

const (
	// FaultSegv: a real SIGSEGV (no vma, an access the protection
	// forbids, or a fault mm cannot explain).
	FaultSegv FaultResult = iota
	// FaultRetry: mm has mapped the page; the access is run again.
	FaultRetry
	// FaultBus: the page is wholly beyond the end of the mapped file;
	// the application gets SIGBUS with BUS_ADRERR.
	FaultBus
)

// fileEnd returns the end of f's data rounded up to a page, beyond which
// a mapping of f raises SIGBUS, and whether there is one (only regular
// files have an end that matters).
func fileEnd(f vfs.FileDescription) (uint64, bool) {
	st, err := f.Stat()
	if err != nil || st.Mode&linux.S_IFMT != linux.S_IFREG {
		return 0, false
	}
	end, ok := usermem.PageRoundUp(uint64(max(st.Size, 0)))
	if !ok {
		return 0, false
	}
	return end, true
}

// belowEnd returns how much of length bytes of f from file offset off
// lies below the end of f.
func belowEnd(f vfs.FileDescription, off, length uint64) uint64 {
	end, ok := fileEnd(f)
	switch {
	case !ok:
		return length
	case end <= off:
		return 0
	default:
		return min(length, end-off)
	}
}

// allowed reports whether prot permits an access (Linux's access_error:
// a read is allowed by any permission).
func allowed(prot platform.Prot, write, exec bool) bool {
	switch {
	case write:
		return prot.Write
	case exec:
		return prot.Execute
	default:
		return prot.Any()
	}
}

// HandleFault explains a page fault of application code at addr (write
// or exec say what the access was): the first write to copy-on-write
// memory (fork.go), or a touch beyond the end of a mapped file. b blocks
// while a file that grew is read.
func (mm *MM) HandleFault(b vfs.Blocker, addr uint64, write, exec bool) FaultResult {
	mm.mu.Lock()
	defer mm.unlock()
	v := mm.lookup(addr)
	// A copy-on-write vma is mapped with every permission but write, so
	// a fault in it that is not an exec is a write, even when the
	// platform could not say.
	if v != nil && v.cow && v.prot.Write && !exec {
		if err := mm.breakCOW(v); err != nil {
			// Linux's answer to a fault it has no memory for.
			return FaultBus
		}
		return FaultRetry
	}
	if v != nil && v.backed && allowed(v.prot, write, exec) {
		// The access is allowed and the memory is there: another
		// thread changed the mapping between the fault and now (it
		// broke copy-on-write, say). Map the page again as it should
		// be, so that a platform that missed an update cannot fault
		// forever, and run the access again.
		page := usermem.PageRoundDown(addr)
		if err := mm.as.MapFile(page, mm.memOf(v).FD(), v.fileOffset(page), usermem.PageSize, v.platformProt()); err != nil {
			return FaultSegv
		}
		return FaultRetry
	}
	if v == nil || !v.beyondEOF || !allowed(v.prot, write, exec) {
		return FaultSegv
	}
	page := usermem.PageRoundDown(addr)
	fileOff := v.fileOff + (page - v.start)
	n := belowEnd(v.file, fileOff, v.end-page)
	if n == 0 {
		return FaultBus
	}
	// Bring in an aligned window around the page, within the vma and
	// below the end of the file.
	s := max(v.start, page&^(faultWindow-1))
	e := min(page+n, s+faultWindow)
	if err := mm.backBeyondEOF(b, v, s, e); err != nil {
		// Linux fails a fault it cannot fill with SIGBUS (an I/O
		// error) or the OOM killer.
		return FaultBus
	}
	return FaultRetry
}

// backBeyondEOF gives [s, e) of v, a beyondEOF vma, memory now that the
// file covers it, and maps it.
//
// Preconditions: mm.mu is held for writing; v is in mm.vmas; v.start <=
// s < e <= v.end; [s, e) lies below the end of the file.
func (mm *MM) backBeyondEOF(b vfs.Blocker, v *vma, s, e uint64) error {
	tmpl := *v
	tmpl.beyondEOF = false
	fileOff := v.fileOff + (s - v.start)
	var ranges []vfs.MemoryRange
	var mf *pgalloc.MemoryFile
	if v.filePages {
		rs, rmf, err := mm.sharedPages(v.file, fileOff, e-s)
		if err != nil {
			return err
		}
		ranges, mf = rs, rmf
	} else {
		off, err := mm.mf.Allocate(e - s)
		if err != nil {
			return linux.ENOMEM
		}
		if err := mm.fillFromFile(b, v.file, off, fileOff, e-s); err != nil {
			mm.mf.Free(off, e-s)
			return err
		}
		ranges = []vfs.MemoryRange{{Offset: off, Length: e - s}}
	}
	// The beyondEOF part has no memory and no platform mapping:
	// removing it only drops its file reference (after mm.mu is
	// released), and the new vmas take their own.
	if err := mm.removeRange(s, e); err != nil {
		fb := fileBacking{ranges: ranges, mf: mf}
		fb.free(mm)
		return err
	}
	return mm.insertRanges(&tmpl, s, fileOff, ranges, mf)
}

// insertBeyondEOF adds a beyondEOF vma like tmpl for [start, end), mapping
// the file from fileOff.
//
// Preconditions: mm.mu is held for writing; the range is free; tmpl is a
// file mapping.
func (mm *MM) insertBeyondEOF(tmpl *vma, start, end, fileOff uint64) {
	v := *tmpl
	v.start, v.end, v.fileOff = start, end, fileOff
	v.off, v.backed, v.beyondEOF, v.mf = 0, false, true, nil
	v.file.IncRef()
	mm.insert(&v)
}

// watchFile registers mm with f's inode, once, if f tells its mappers
// when it shrinks. The registrations last until Release.
//
// Preconditions: mm.mu is held for writing.
func (mm *MM) watchFile(f vfs.Mappable) {
	sn, ok := f.(vfs.ShrinkNotifier)
	if !ok {
		return
	}
	in := inodeOf(f)
	if in == nil {
		return
	}
	if _, ok := mm.watching[in]; ok {
		return
	}
	if mm.watching == nil {
		mm.watching = make(map[vfs.Inode]func())
	}
	mm.watching[in] = sn.WatchShrink(mm)
}

// inodeOf returns the inode f was opened at, or nil.
func inodeOf(f vfs.FileDescription) vfs.Inode {
	pf, ok := f.(vfs.PathFile)
	if !ok || !pf.VirtualDentry().Ok() {
		return nil
	}
	return pf.VirtualDentry().Dentry.Inode()
}

var _ vfs.SizeWatcher = (*MM)(nil)

// FileShrunk implements vfs.SizeWatcher: the pages of mappings of inode
// that are now wholly beyond its end lose their memory and become
// beyondEOF.
func (mm *MM) FileShrunk(inode vfs.Inode, size uint64) {
	end, ok := usermem.PageRoundUp(size)
	if !ok {
		return
	}
	mm.mu.Lock()
	defer mm.unlock()
	mm.shrinkLocked(end, func(f vfs.FileDescription) bool { return inodeOf(f) == inode })
}

// shrinkLocked drops the memory of the pages of the file mappings of the
// files that match whose file offset is end or beyond.
//
// Preconditions: mm.mu is held for writing.
func (mm *MM) shrinkLocked(end uint64, match func(f vfs.FileDescription) bool) {
	type span struct{ start, end uint64 }
	var cut []span
	for _, v := range mm.vmas {
		if !v.backed || v.file == nil || v.fileOff+v.length() <= end || !match(v.file) {
			continue
		}
		s := v.start
		if v.fileOff < end {
			s += end - v.fileOff
		}
		cut = append(cut, span{s, v.end})
	}
	for _, c := range cut {
		mm.dropMemory(c.start, c.end)
	}
}

// dropMemory makes [s, e), part of one backed file vma, beyondEOF: its
// memory is freed and unmapped.
//
// Preconditions: mm.mu is held for writing.
func (mm *MM) dropMemory(s, e uint64) {
	mm.split(s)
	mm.split(e)
	v := mm.lookup(s)
	if v == nil || !v.backed || v.start != s || v.end != e {
		return
	}
	// Unmap cannot fail for a range the platform mapped; if it did,
	// the pages would stay reachable, so they are not freed.
	if err := mm.as.Unmap(s, e-s); err != nil {
		return
	}
	mm.memOf(v).Free(v.off, v.length())
	v.off, v.backed, v.beyondEOF, v.mf = 0, false, true, nil
	mm.mergeRange(s, e)
}
