package mm

import (
	"bulwark.dev/bulwark/pkg/sentry/platform"
)

// Copy-on-write.
//
// Fork gives the child a vma for each of the parent's, over the same
// memory-file pages (one more reference on them). Shared vmas stay shared.
// Private vmas with memory become copy-on-write (vma.cow) in both address
// spaces: their platform mappings lose write permission, so the first
// write of either side faults, and HandleFault (or a sentry write through
// copy, or an atomic) breaks the sharing for the whole vma: if the other
// side has meanwhile let go of the pages (exec, exit, munmap), the vma
// simply becomes writable again; otherwise it gets a fresh range of the
// memory file holding a copy of the data (holes stay holes, so the copy
// costs what the vma really uses) and drops its reference on the old one.

// platformProt is the protection v's memory has in the platform: a
// copy-on-write vma is never writable there.
func (v *vma) platformProt() platform.Prot {
	p := v.prot
	if v.cow {
		p.Write = false
	}
	return p
}

// Fork returns a copy-on-write duplicate of mm in the platform address
// space as, for a child process. On error as has been released.
func (mm *MM) Fork(as platform.AddressSpace) (*MM, error) {
	mm.mu.Lock()
	defer mm.unlock()
	child := New(mm.mf, as, mm.layout)
	child.brkBase, child.brk, child.brkLimit, child.asLimit = mm.brkBase, mm.brk, mm.brkLimit, mm.asLimit
	child.vmas = make([]*vma, 0, len(mm.vmas))
	// System V shared memory attachments the child gets (shm.go).
	forked := make(map[ShmAttachment]ShmAttachment)
	for _, v := range mm.vmas {
		if v.dontFork {
			continue
		}
		if v.wipeOnFork {
			// Private anonymous memory (madvise checked): the child
			// gets fresh zeros.
			nv := *v
			nv.backed = false
			if err := child.back(&nv); err != nil {
				child.Release()
				return nil, err
			}
			child.vmas = append(child.vmas, &nv)
			continue
		}
		if v.backed && !v.shared && !v.cow {
			v.cow = true
			if v.prot.Write {
				if err := mm.as.Protect(v.start, v.length(), v.platformProt()); err != nil {
					child.Release()
					return nil, err
				}
			}
		}
		nv := *v
		if nv.file != nil {
			nv.file = forkFile(nv.file, forked)
			child.watchFile(nv.file)
		}
		child.vmas = append(child.vmas, &nv)
		if !nv.backed {
			continue
		}
		mf := mm.memOf(&nv)
		mf.IncRef(nv.off, nv.length())
		if err := as.MapFile(nv.start, mf.FD(), nv.off, nv.length(), nv.platformProt()); err != nil {
			child.Release()
			return nil, err
		}
	}
	return child, nil
}

// breakCOW gives v, a copy-on-write vma, memory of its own (or finds that
// it already has it) and makes it writable in the platform as its
// protection says.
//
// Preconditions: mm.mu is held for writing; v is in mm.vmas; v.cow (so
// its memory is in mm.mf: only shared vmas have memory elsewhere).
func (mm *MM) breakCOW(v *vma) error {
	if !mm.mf.Exclusive(v.off, v.length()) {
		off, err := mm.mf.Allocate(v.length())
		if err != nil {
			return err
		}
		mm.mf.CopyData(off, v.off, v.length())
		mm.mf.Free(v.off, v.length())
		v.off = off
		v.cow = false
		return mm.as.MapFile(v.start, mm.mf.FD(), v.off, v.length(), v.platformProt())
	}
	v.cow = false
	if !v.prot.Write {
		return nil
	}
	return mm.as.Protect(v.start, v.length(), v.platformProt())
}

// breakCOWRange breaks copy-on-write in every vma that intersects
// [start, end).
//
// Preconditions: mm.mu is held for writing.
func (mm *MM) breakCOWRange(start, end uint64) error {
	for i := mm.find(start); i < len(mm.vmas) && mm.vmas[i].start < end; i++ {
		if v := mm.vmas[i]; v.cow {
			if err := mm.breakCOW(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeNeedsCOWBreak reports whether a write to [addr, addr+n) would land
// in a copy-on-write vma.
//
// Preconditions: mm.mu is held.
func (mm *MM) writeNeedsCOWBreak(addr, n uint64) bool {
	for i := mm.find(addr); i < len(mm.vmas) && mm.vmas[i].start < addr+n; i++ {
		if mm.vmas[i].cow {
			return true
		}
	}
	return false
}

// prepareWrite breaks copy-on-write in [addr, addr+n) if needed, for a
// write by the sentry on the application's behalf. Errors are left to the
// write itself to report.
func (mm *MM) prepareWrite(addr, n uint64) {
	if n == 0 || addr+n < addr {
		return
	}
	mm.mu.RLock()
	need := mm.writeNeedsCOWBreak(addr, n)
	mm.mu.RUnlock()
	if !need {
		return
	}
	mm.mu.Lock()
	mm.breakCOWRange(addr, addr+n)
	mm.unlock()
}
