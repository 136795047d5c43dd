package mm

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/usermem"
)

// MMapOpts are the decoded arguments of an anonymous mmap.
type MMapOpts struct {
	Addr, Length uint64
	Prot         platform.Prot
	Shared       bool
	Fixed        bool
	NoReplace    bool
	GrowsDown    bool
	Name         string
}

// MMap creates an anonymous mapping and returns its address. Length must
// be non-zero; the syscall layer has validated flags.
func (mm *MM) MMap(o MMapOpts) (uint64, error) {
	length, ok := usermem.PageRoundUp(o.Length)
	if !ok || length == 0 || length > mm.layout.MaxAddr {
		return 0, linux.ENOMEM
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
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
	if len(mm.vmas) >= MaxMapCount {
		return 0, linux.ENOMEM
	}
	if err := mm.removeRange(addr, addr+length); err != nil {
		return 0, err
	}
	v := &vma{start: addr, end: addr + length, prot: o.Prot, shared: o.Shared, growsDown: o.GrowsDown, name: o.Name}
	if err := mm.back(v); err != nil {
		return 0, err
	}
	mm.insert(v)
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
	defer mm.mu.Unlock()
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
	defer mm.mu.Unlock()
	mm.split(addr)
	mm.split(end)
	cur := addr
	for i := mm.find(addr); i < len(mm.vmas) && mm.vmas[i].start < end && mm.vmas[i].start == cur; i++ {
		v := mm.vmas[i]
		v.prot = prot
		if err := mm.as.Protect(v.start, v.length(), prot); err != nil {
			return err
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

// MRemap resizes and/or moves the mapping at oldAddr.
func (mm *MM) MRemap(oldAddr, oldLen, newLen uint64, flags uint64, newAddr uint64) (uint64, error) {
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
	defer mm.mu.Unlock()
	v := mm.lookup(oldAddr)
	if v == nil || oldLen > v.end-oldAddr {
		return 0, linux.EFAULT
	}
	if oldLen == 0 {
		return mm.duplicate(v, oldAddr, newLen, flags, newAddr)
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
			return oldAddr, mm.extend(v, oldAddr+newLen)
		}
		if flags&MREMAP_MAYMOVE == 0 {
			return 0, linux.ENOMEM
		}
		var found bool
		if newAddr, found = mm.findGap(newLen, mm.layout.MmapBase); !found {
			return 0, linux.ENOMEM
		}
	}
	return mm.move(oldAddr, oldLen, newAddr, newLen)
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
	mm.mf.IncRef(nv.off, newLen)
	if err := mm.as.MapFile(nv.start, mm.mf.FD(), nv.off, newLen, nv.prot); err != nil {
		return 0, err
	}
	mm.insert(&nv)
	return newAddr, nil
}

// extend grows v to end, keeping its memory contiguous in the file.
//
// Preconditions: mm.mu is held for writing; [v.end, end) is free.
func (mm *MM) extend(v *vma, end uint64) error {
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
		return mm.as.MapFile(v.start, mm.mf.FD(), v.off, v.length(), v.prot)
	}
	old := v.end
	v.end = end
	return mm.as.MapFile(old, mm.mf.FD(), v.fileOffset(old), grow, v.prot)
}

// move relocates [oldAddr, oldAddr+oldLen) to newAddr, resized to newLen.
//
// Preconditions: mm.mu is held for writing; the old range is in one vma.
func (mm *MM) move(oldAddr, oldLen, newAddr, newLen uint64) (uint64, error) {
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
		mm.mf.Free(v.off+newLen, oldLen-newLen)
	}
	nv := *v
	nv.start, nv.end = newAddr, newAddr+keep
	if nv.backed {
		if err := mm.as.MapFile(nv.start, mm.mf.FD(), nv.off, keep, nv.prot); err != nil {
			return 0, err
		}
	}
	if newLen > keep {
		if err := mm.extend(&nv, newAddr+newLen); err != nil {
			return 0, err
		}
	}
	mm.insert(&nv)
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

// MAdvise applies advice to [addr, addr+length).
func (mm *MM) MAdvise(addr, length uint64, advice int32) error {
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
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	cur := addr
	for i := mm.find(addr); i < len(mm.vmas) && mm.vmas[i].start < end; i++ {
		v := mm.vmas[i]
		if v.start > cur {
			return linux.ENOMEM
		}
		s, e := max(v.start, addr), min(v.end, end)
		zero := (advice == MADV_DONTNEED || advice == MADV_FREE) && !v.shared || advice == MADV_REMOVE && v.shared
		if advice == MADV_REMOVE && !v.shared {
			return linux.EINVAL
		}
		if zero && v.backed {
			mm.mf.Decommit(v.fileOffset(s), e-s)
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
	defer mm.mu.Unlock()
	if addr < mm.brkBase || addr-mm.brkBase > mm.brkLimit || !mm.checkRange(addr, 0) {
		return mm.brk
	}
	oldEnd, _ := usermem.PageRoundUp(mm.brk)
	newEnd, _ := usermem.PageRoundUp(addr)
	switch {
	case newEnd > oldEnd:
		if !mm.isFree(oldEnd, newEnd) {
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
