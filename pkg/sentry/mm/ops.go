package mm

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// MMapOpts are the decoded arguments of mmap.
type MMapOpts struct {
	Addr, Length uint64
	Prot         platform.Prot
	Shared       bool
	Fixed        bool
	NoReplace    bool
	GrowsDown    bool
	// Name is what /proc/PID/maps shows: "[stack]", or the path of File.
	Name string

	// File, if set, is the file to map from Offset (page aligned); the
	// mapping takes its own reference. A file whose source is
	// vfs.MMapAnonymous gives anonymous memory. The syscall layer has
	// checked the file's access mode against Prot and Shared.
	File   vfs.Mappable
	Offset uint64
	// Blocker is passed to File.PRead.
	Blocker vfs.Blocker
	// NoMayWrite and NoMayExec forbid mprotect to make the mapping
	// writable or executable later (VM_MAYWRITE, VM_MAYEXEC cleared).
	NoMayWrite, NoMayExec bool
}

// MMap creates a mapping and returns its address. Length must be
// non-zero; the syscall layer has validated flags.
func (mm *MM) MMap(o MMapOpts) (uint64, error) {
	length, ok := usermem.PageRoundUp(o.Length)
	if !ok || length == 0 || length > mm.layout.MaxAddr {
		return 0, linux.ENOMEM
	}
	if o.File != nil && o.File.MMapSource() == vfs.MMapAnonymous {
		// Like Linux, a private mapping of /dev/zero is plain
		// anonymous memory; a shared one is memory of an unlinked
		// file.
		o.File = nil
		if !o.Shared {
			o.Name = ""
		} else if o.Name != "" {
			o.Name += " (deleted)"
		}
	}
	var fb fileBacking
	if o.File != nil {
		// Reading the file may block: it is done before mm.mu is
		// taken, and given back if the mapping cannot be made.
		var err error
		if fb, err = mm.prepareFile(&o, length); err != nil {
			return 0, err
		}
	}
	mm.mu.Lock()
	defer mm.unlock()
	addr, err := mm.placeLocked(&o, length)
	if err == nil && len(mm.vmas)+fb.vmaCount() > MaxMapCount {
		err = linux.ENOMEM
	}
	if err == nil && !mm.mayGrowLocked(length-mm.mappedInLocked(addr, addr+length)) {
		err = linux.ENOMEM
	}
	if err == nil {
		err = mm.removeRange(addr, addr+length)
	}
	if err != nil {
		fb.free(mm)
		return 0, err
	}
	if o.File != nil {
		return addr, mm.insertFile(addr, &o, fb)
	}
	v := &vma{start: addr, end: addr + length, prot: o.Prot, shared: o.Shared, growsDown: o.GrowsDown, name: o.Name}
	if err := mm.back(v); err != nil {
		return 0, err
	}
	mm.insert(v)
	return addr, nil
}

// placeLocked chooses the address of a new mapping of length bytes.
//
// Preconditions: mm.mu is held.
func (mm *MM) placeLocked(o *MMapOpts, length uint64) (uint64, error) {
	addr := o.Addr
	switch {
	case o.Fixed || o.NoReplace:
		if addr%usermem.PageSize != 0 {
			return 0, linux.EINVAL
		}
		if !mm.checkRange(addr, length) {
			return 0, linux.ENOMEM
		}
		if o.NoReplace && !mm.isFree(addr, addr+length) {
			return 0, linux.EEXIST
		}
	default:
		addr = usermem.PageRoundDown(addr)
		if addr == 0 || !mm.checkRange(addr, length) || addr < 0x10000 || !mm.isFree(addr, addr+length) {
			var found bool
			if addr, found = mm.findGap(length, mm.layout.MmapBase); !found {
				return 0, linux.ENOMEM
			}
		}
	}
	return addr, nil
}

// MapAnonymous implements loader.Memory.
func (mm *MM) MapAnonymous(addr, length uint64, prot platform.Prot, fixed, growsDown bool) (uint64, error) {
	name := ""
	if growsDown {
		name = "[stack]"
	}
	return mm.MMap(MMapOpts{Addr: addr, Length: length, Prot: prot, Fixed: fixed, GrowsDown: growsDown, Name: name})
}

// NameMapping implements loader.MappingNamer: the anonymous memory in
// [addr, addr+length) shows in /proc/PID/maps as a private mapping of the
// file name (dev, ino) from offset off. It stays anonymous memory in
// every other way. ENOMEM if part of the range is not mapped (the part
// before the hole is named), EINVAL if part of it is a file mapping.
func (mm *MM) NameMapping(addr, length, off uint64, name string, dev, ino uint64) error {
	if addr%usermem.PageSize != 0 || length%usermem.PageSize != 0 || length == 0 || !mm.checkRange(addr, length) {
		return linux.EINVAL
	}
	end := addr + length
	mm.mu.Lock()
	defer mm.unlock()
	mm.split(addr)
	mm.split(end)
	cur := addr
	for i := mm.find(addr); i < len(mm.vmas) && mm.vmas[i].start < end && mm.vmas[i].start == cur; i++ {
		v := mm.vmas[i]
		if v.file != nil {
			mm.mergeRange(addr, end)
			return linux.EINVAL
		}
		v.name, v.dev, v.ino = name, dev, ino
		v.fileOff = off + (v.start - addr)
		cur = v.end
	}
	mm.mergeRange(addr, end)
	if cur < end {
		return linux.ENOMEM
	}
	return nil
}

// Unmap implements loader.Memory.
func (mm *MM) Unmap(addr, length uint64) error { return mm.MUnmap(addr, length) }

// MUnmap removes the mappings in [addr, addr+length).
func (mm *MM) MUnmap(addr, length uint64) error {
	if addr%usermem.PageSize != 0 || length == 0 {
		return linux.EINVAL
	}
	length, ok := usermem.PageRoundUp(length)
	if !ok || !mm.checkRange(addr, length) {
		return linux.EINVAL
	}
	mm.mu.Lock()
	defer mm.unlock()
	return mm.removeRange(addr, addr+length)
}

// MProtect changes the protection of [addr, addr+length). Like Linux, it
// changes the mapped prefix and fails with ENOMEM at the first hole.
func (mm *MM) MProtect(addr, length uint64, prot platform.Prot) error {
	if addr%usermem.PageSize != 0 {
		return linux.EINVAL
	}
	if length == 0 {
		return nil
	}
	length, ok := usermem.PageRoundUp(length)
	if !ok || !mm.checkRange(addr, length) {
		return linux.ENOMEM
	}
	end := addr + length
	mm.mu.Lock()
	defer mm.unlock()
	mm.split(addr)
	mm.split(end)
	cur := addr
	for i := mm.find(addr); i < len(mm.vmas) && mm.vmas[i].start < end && mm.vmas[i].start == cur; i++ {
		v := mm.vmas[i]
		if (prot.Write && v.noMayWrite) || (prot.Execute && v.noMayExec) {
			// Like Linux, the mappings before this one keep their
			// new protection.
			mm.mergeRange(addr, end)
			return linux.EACCES
		}
		v.prot = prot
		if v.backed {
			// A vma beyond the end of its file has nothing mapped.
			if err := mm.as.Protect(v.start, v.length(), v.platformProt()); err != nil {
				return err
			}
		}
		cur = v.end
	}
	mm.mergeRange(addr, end)
	if cur < end {
		return linux.ENOMEM
	}
	return nil
}

// taskSize is Linux's TASK_SIZE for 4-level page tables: the end of the
// user address range, whatever part of it a platform leaves to the
// application.
const taskSize = 0x7fff_ffff_f000

// MRemap flags, defined in include/uapi/linux/mman.h.
const (
	MREMAP_MAYMOVE   = 1
	MREMAP_FIXED     = 2
	MREMAP_DONTUNMAP = 4
)

// MRemap resizes and/or moves the mapping at oldAddr. Growing a file
// mapping maps more of the file; ctx is passed to the file's PRead.
func (mm *MM) MRemap(ctx vfs.Blocker, oldAddr, oldLen, newLen uint64, flags uint64, newAddr uint64) (uint64, error) {
	if flags&^(MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP) != 0 || oldAddr%usermem.PageSize != 0 {
		return 0, linux.EINVAL
	}
	if flags&MREMAP_FIXED != 0 && flags&MREMAP_MAYMOVE == 0 {
		return 0, linux.EINVAL
	}
	if flags&MREMAP_DONTUNMAP != 0 {
		// Needs a second private mapping of the same pages; not
		// supported yet.
		return 0, linux.EINVAL
	}
	oldLen, ok1 := usermem.PageRoundUp(oldLen)
	newLen, ok2 := usermem.PageRoundUp(newLen)
	// Like Linux, lengths beyond the whole user address range (TASK_SIZE)
	// are EINVAL before any mapping is looked at.
	if !ok1 || !ok2 || newLen == 0 || oldLen > taskSize || newLen > taskSize {
		return 0, linux.EINVAL
	}
	mm.mu.Lock()
	defer mm.unlock()
	v := mm.lookup(oldAddr)
	if v == nil || oldLen > v.end-oldAddr {
		return 0, linux.EFAULT
	}
	if oldLen == 0 {
		return mm.duplicate(v, oldAddr, newLen, flags, newAddr)
	}
	if newLen > oldLen && !mm.mayGrowLocked(newLen-oldLen) {
		return 0, linux.ENOMEM
	}
	fixed := flags&MREMAP_FIXED != 0
	if fixed {
		if newAddr%usermem.PageSize != 0 || !mm.checkRange(newAddr, newLen) {
			return 0, linux.EINVAL
		}
		if newAddr < oldAddr+oldLen && oldAddr < newAddr+newLen {
			return 0, linux.EINVAL
		}
	}
	if !fixed {
		if newLen <= oldLen {
			if err := mm.removeRange(oldAddr+newLen, oldAddr+oldLen); err != nil {
				return 0, err
			}
			return oldAddr, nil
		}
		// Grow in place when the range after the vma is free.
		if oldAddr+oldLen == v.end && mm.checkRange(oldAddr, newLen) && mm.isFree(v.end, oldAddr+newLen) {
			return oldAddr, mm.grow(ctx, v, oldAddr+newLen)
		}
		if flags&MREMAP_MAYMOVE == 0 {
			return 0, linux.ENOMEM
		}
		var found bool
		if newAddr, found = mm.findGap(newLen, mm.layout.MmapBase); !found {
			return 0, linux.ENOMEM
		}
	}
	return mm.move(ctx, oldAddr, oldLen, newAddr, newLen)
}

// duplicate implements mremap with old_size 0: a second mapping of the
// same shared pages.
//
// Preconditions: mm.mu is held for writing; v contains oldAddr.
func (mm *MM) duplicate(v *vma, oldAddr, newLen, flags, newAddr uint64) (uint64, error) {
	if !v.shared {
		return 0, linux.EINVAL
	}
	if flags&MREMAP_MAYMOVE == 0 {
		return 0, linux.ENOMEM
	}
	if oldAddr+newLen > v.end || oldAddr+newLen < oldAddr {
		// The pages beyond the original mapping do not exist.
		return 0, linux.ENOMEM
	}
	if flags&MREMAP_FIXED == 0 {
		var found bool
		if newAddr, found = mm.findGap(newLen, mm.layout.MmapBase); !found {
			return 0, linux.ENOMEM
		}
	} else if newAddr < v.end && v.start < newAddr+newLen {
		return 0, linux.EINVAL
	}
	if err := mm.removeRange(newAddr, newAddr+newLen); err != nil {
		return 0, err
	}
	nv := *v
	nv.start, nv.end, nv.off = newAddr, newAddr+newLen, v.fileOffset(oldAddr)
	if nv.hasFileOffset() {
		nv.fileOff = v.fileOff + (oldAddr - v.start)
	}
	if nv.file != nil {
		nv.file.IncRef()
	}
	if nv.backed {
		mf := mm.memOf(&nv)
		mf.IncRef(nv.off, newLen)
		if err := mm.as.MapFile(nv.start, mf.FD(), nv.off, newLen, nv.platformProt()); err != nil {
			return 0, err
		}
	}
	mm.insert(&nv)
	return newAddr, nil
}

// grow extends v, which is in mm.vmas, to end: with more anonymous
// memory, more of a private copy of its file, or more of its file's
// pages; the part of a file mapping wholly beyond the end of the file
// gets none (eof.go).
//
// Preconditions: mm.mu is held for writing; [v.end, end) is free.
func (mm *MM) grow(ctx vfs.Blocker, v *vma, end uint64) error {
	if v.file == nil {
		return mm.extendCopy(ctx, v, end)
	}
	start, fileOff := v.end, v.fileOff+v.length()
	mid := start + belowEnd(v.file, fileOff, end-start)
	tmpl := *v
	if mid > start {
		if !v.backed {
			// The file grew over a vma beyond its end: the new
			// part starts beyond the end too, then gets memory.
			mm.insertBeyondEOF(&tmpl, start, mid, fileOff)
			if err := mm.backBeyondEOF(ctx, mm.lookup(start), start, mid); err != nil {
				return err
			}
		} else if v.filePages {
			if err := mm.mapFilePages(v, start, mid, fileOff); err != nil {
				return err
			}
		} else if err := mm.extendCopy(ctx, v, mid); err != nil {
			return err
		}
	}
	if mid < end {
		mm.insertBeyondEOF(&tmpl, mid, end, fileOff+(mid-start))
	}
	return nil
}

// extendCopy grows v, which holds its own memory, to end; a private file
// mapping gets the file's contents in the new part.
//
// Preconditions: mm.mu is held for writing; [v.end, end) is free; v is
// not filePages.
func (mm *MM) extendCopy(ctx vfs.Blocker, v *vma, end uint64) error {
	old := v.end
	if err := mm.extend(v, end); err != nil {
		return err
	}
	if v.file == nil {
		return nil
	}
	return mm.fillFromFile(ctx, v.file, v.fileOffset(old), v.fileOff+(old-v.start), end-old)
}

// extend grows v to end, keeping its memory contiguous in the file.
//
// Preconditions: mm.mu is held for writing; [v.end, end) is free; v is
// not filePages (so its memory is in mm.mf).
func (mm *MM) extend(v *vma, end uint64) error {
	if v.cow {
		// The new part would be this address space's alone.
		if err := mm.breakCOW(v); err != nil {
			return err
		}
	}
	grow := end - v.end
	if !v.backed || !mm.mf.AllocateAt(v.off+v.length(), grow) {
		// Move the contents to a range of the file big enough for both.
		off, err := mm.mf.Allocate(end - v.start)
		if err != nil {
			return linux.ENOMEM
		}
		if v.backed {
			copy(mm.mf.Bytes(off, v.length()), mm.mf.Bytes(v.off, v.length()))
			mm.mf.Free(v.off, v.length())
		}
		v.off, v.backed = off, true
		v.end = end
		return mm.as.MapFile(v.start, mm.mf.FD(), v.off, v.length(), v.platformProt())
	}
	old := v.end
	v.end = end
	return mm.as.MapFile(old, mm.mf.FD(), v.fileOffset(old), grow, v.platformProt())
}

// move relocates [oldAddr, oldAddr+oldLen) to newAddr, resized to newLen.
//
// Preconditions: mm.mu is held for writing; the old range is in one vma.
func (mm *MM) move(ctx vfs.Blocker, oldAddr, oldLen, newAddr, newLen uint64) (uint64, error) {
	if len(mm.vmas)+2 >= MaxMapCount {
		return 0, linux.ENOMEM
	}
	mm.split(oldAddr)
	mm.split(oldAddr + oldLen)
	i := mm.find(oldAddr)
	v := mm.vmas[i]
	// Take v out without freeing its memory, then unmap the target.
	mm.vmas = append(mm.vmas[:i], mm.vmas[i+1:]...)
	if err := mm.as.Unmap(oldAddr, oldLen); err != nil {
		return 0, err
	}
	if err := mm.removeRange(newAddr, newAddr+newLen); err != nil {
		return 0, err
	}
	keep := min(oldLen, newLen)
	if newLen < oldLen && v.backed {
		mm.memOf(v).Free(v.off+newLen, oldLen-newLen)
	}
	nv := *v
	nv.start, nv.end = newAddr, newAddr+keep
	if nv.backed {
		if err := mm.as.MapFile(nv.start, mm.memOf(&nv).FD(), nv.off, keep, nv.platformProt()); err != nil {
			return 0, err
		}
	}
	mm.insert(&nv)
	if newLen > keep {
		// insert may have merged nv into the vma before it: grow
		// whichever vma now ends where nv does.
		if err := mm.grow(ctx, mm.lookup(newAddr+keep-1), newAddr+newLen); err != nil {
			return 0, err
		}
	}
	return newAddr, nil
}

// madvise advice values, defined in include/uapi/asm-generic/mman-common.h.
const (
	MADV_NORMAL      = 0
	MADV_RANDOM      = 1
	MADV_SEQUENTIAL  = 2
	MADV_WILLNEED    = 3
	MADV_DONTNEED    = 4
	MADV_FREE        = 8
	MADV_REMOVE      = 9
	MADV_DONTFORK    = 10
	MADV_DOFORK      = 11
	MADV_MERGEABLE   = 12
	MADV_UNMERGEABLE = 13
	MADV_HUGEPAGE    = 14
	MADV_NOHUGEPAGE  = 15
	MADV_DONTDUMP    = 16
	MADV_DODUMP      = 17
	MADV_WIPEONFORK  = 18
	MADV_KEEPONFORK  = 19
	MADV_COLD        = 20
	MADV_PAGEOUT     = 21
)

// MAdvise applies advice to [addr, addr+length). MADV_DONTNEED gives a
// private file mapping its file's contents back (read with ctx).
func (mm *MM) MAdvise(ctx vfs.Blocker, addr, length uint64, advice int32) error {
	switch advice {
	case MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MADV_FREE,
		MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK, MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE,
		MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP, MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD,
		MADV_PAGEOUT:
	default:
		return linux.EINVAL
	}
	if addr%usermem.PageSize != 0 {
		return linux.EINVAL
	}
	length, ok := usermem.PageRoundUp(length)
	if !ok || !mm.checkRange(addr, length) {
		return linux.EINVAL
	}
	if length == 0 {
		return nil
	}
	end := addr + length
	mm.mu.Lock()
	defer mm.unlock()
	switch advice {
	case MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK, MADV_KEEPONFORK:
		return mm.setForkAdvice(addr, end, advice)
	}
	cur := addr
	for i := mm.find(addr); i < len(mm.vmas) && mm.vmas[i].start < end; i++ {
		v := mm.vmas[i]
		if v.start > cur {
			return linux.ENOMEM
		}
		s, e := max(v.start, addr), min(v.end, end)
		if v.cow && (advice == MADV_DONTNEED || advice == MADV_FREE) {
			// The pages to drop are shared with another process.
			if err := mm.breakCOW(v); err != nil {
				return err
			}
		}
		switch advice {
		case MADV_DONTNEED:
			// Shared memory keeps its data; private memory goes back
			// to what it was mapped from.
			switch {
			case v.shared || !v.backed:
			case v.file != nil:
				if err := mm.refill(ctx, v, s, e); err != nil {
					return err
				}
			default:
				mm.mf.Decommit(v.fileOffset(s), e-s)
			}
		case MADV_FREE:
			// Only private anonymous memory can be freed lazily.
			if v.file != nil {
				return linux.EINVAL
			}
			if !v.shared && v.backed {
				mm.mf.Decommit(v.fileOffset(s), e-s)
			}
		case MADV_REMOVE:
			// Punches a hole in the shared memory (madvise_remove).
			switch {
			case !v.shared:
				return linux.EINVAL
			case v.noMayWrite:
				return linux.EACCES
			case v.file != nil && !v.filePages:
				// The file's data is not in the memory file: the
				// hole would have to be punched in the file itself.
				return linux.EOPNOTSUPP
			}
			if v.backed {
				mm.memOf(v).Decommit(v.fileOffset(s), e-s)
			}
		}
		cur = e
	}
	if cur < end {
		return linux.ENOMEM
	}
	return nil
}

// SetBrkBase implements loader.Memory.
func (mm *MM) SetBrkBase(addr uint64) {
	mm.mu.Lock()
	mm.brkBase, mm.brk = addr, addr
	mm.mu.Unlock()
}

// SetASLimit bounds the total size of the mappings (RLIMIT_AS).
func (mm *MM) SetASLimit(limit uint64) {
	mm.mu.Lock()
	mm.asLimit = limit
	mm.mu.Unlock()
}

// mayGrowLocked reports whether n more bytes of mappings stay within
// RLIMIT_AS (Linux's may_expand_vm).
//
// Preconditions: mm.mu is held.
func (mm *MM) mayGrowLocked(n uint64) bool {
	if mm.asLimit == ^uint64(0) {
		return true
	}
	total := mm.mappedInLocked(0, ^uint64(0))
	return total+n >= total && total+n <= mm.asLimit
}

// mappedInLocked returns how many bytes of [start, end) are mapped.
//
// Preconditions: mm.mu is held.
func (mm *MM) mappedInLocked(start, end uint64) uint64 {
	var n uint64
	for i := mm.find(start); i < len(mm.vmas) && mm.vmas[i].start < end; i++ {
		v := mm.vmas[i]
		n += min(v.end, end) - max(v.start, start)
	}
	return n
}

// SetBrkLimit bounds the heap (RLIMIT_DATA).
func (mm *MM) SetBrkLimit(limit uint64) {
	mm.mu.Lock()
	mm.brkLimit = limit
	mm.mu.Unlock()
}

// Brk implements brk(2): it moves the break to addr if it can and returns
// the break, as Linux does (never an error).
func (mm *MM) Brk(addr uint64) uint64 {
	mm.mu.Lock()
	defer mm.unlock()
	if addr < mm.brkBase || addr-mm.brkBase > mm.brkLimit || !mm.checkRange(addr, 0) {
		return mm.brk
	}
	oldEnd, _ := usermem.PageRoundUp(mm.brk)
	newEnd, _ := usermem.PageRoundUp(addr)
	switch {
	case newEnd > oldEnd:
		if !mm.isFree(oldEnd, newEnd) || !mm.mayGrowLocked(newEnd-oldEnd) {
			return mm.brk
		}
		v := &vma{start: oldEnd, end: newEnd, prot: platform.Prot{Read: true, Write: true}, name: "[heap]"}
		if err := mm.back(v); err != nil {
			return mm.brk
		}
		mm.insert(v)
	case newEnd < oldEnd:
		if err := mm.removeRange(newEnd, oldEnd); err != nil {
			return mm.brk
		}
	}
	mm.brk = addr
	return mm.brk
}

// StackTop implements loader.Memory.
func (mm *MM) StackTop() uint64 { return mm.layout.StackTop }

// PIEBase implements loader.Memory.
func (mm *MM) PIEBase() uint64 { return mm.layout.PIEBase }

// setForkAdvice applies MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK or
// MADV_KEEPONFORK to [start, end): ENOMEM at the first hole (after changing
// what comes before it, as Linux), EINVAL for WIPEONFORK on anything but
// private anonymous memory.
//
// Preconditions: mm.mu is held for writing.
func (mm *MM) setForkAdvice(start, end uint64, advice int32) error {
	if advice == MADV_WIPEONFORK {
		for i := mm.find(start); i < len(mm.vmas) && mm.vmas[i].start < end; i++ {
			if v := mm.vmas[i]; v.shared || v.hasFileOffset() {
				return linux.EINVAL
			}
		}
	}
	mm.split(start)
	mm.split(end)
	cur := start
	for i := mm.find(start); i < len(mm.vmas) && mm.vmas[i].start < end; i++ {
		v := mm.vmas[i]
		if v.start > cur {
			break
		}
		switch advice {
		case MADV_DONTFORK:
			v.dontFork = true
		case MADV_DOFORK:
			v.dontFork = false
		case MADV_WIPEONFORK:
			v.wipeOnFork = true
		case MADV_KEEPONFORK:
			v.wipeOnFork = false
		}
		cur = v.end
	}
	mm.mergeRange(start, end)
	if cur < end {
		return linux.ENOMEM
	}
	return nil
}
