package mm

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// System V shared memory (shmat, shmdt) needs little of mm: an attachment
// is a shared mapping of a ShmAttachment, made with MMap like any file
// mapping, whose vmas hold references on it as on any mapped file. What
// is particular is:
//
//   - fork: the child's copies of an attachment's vmas refer to an
//     attachment of the child's own (ForkAttachment), one per parent
//     attachment, so the segment counts the child as attached
//     (shm_nattch) until the child detaches, execs or exits;
//   - shmdt: DetachShm finds the attachment that starts at an address
//     and unmaps it, as Linux's shmdt does.
//
// Exit and exec need nothing: releasing the address space drops the
// vmas' references, and an attachment's last reference detaches it.

// ShmAttachment is implemented by the files that shmat(2) maps
// (ipc.Attachment). Its methods may be called with MM.mu held: they must
// not call into mm.
type ShmAttachment interface {
	vfs.Mappable
	// ShmSize returns the size of the segment in bytes.
	ShmSize() uint64
	// ForkAttachment returns a new attachment of the same segment, with
	// one reference, for a forked child.
	ForkAttachment() ShmAttachment
}

// forkFile returns the file that a forked child's copy of a vma mapping f
// refers to, with a reference for it: f itself, or for an attachment the
// child's own, made once per attachment (forked remembers them).
//
// Preconditions: the parent's mu is held.
func forkFile(f vfs.Mappable, forked map[ShmAttachment]ShmAttachment) vfs.Mappable {
	a, ok := f.(ShmAttachment)
	if !ok {
		f.IncRef()
		return f
	}
	if c, ok := forked[a]; ok {
		c.IncRef()
		return c
	}
	c := a.ForkAttachment()
	forked[a] = c
	return c
}

// DetachShm implements the memory half of shmdt(2): it unmaps the
// attachment that starts at addr and returns it. Like Linux, it looks
// for the first attachment vma at or after addr whose start is addr plus
// its file offset (so a piece of an attachment split or cut by mprotect
// or munmap counts, even if the first page is gone), then unmaps every
// vma of that same attachment that starts where its offset says and ends
// within the segment's size (rounded up to a page) from addr. EINVAL if
// addr is not page aligned or no attachment starts there.
func (mm *MM) DetachShm(addr uint64) (ShmAttachment, error) {
	if addr%usermem.PageSize != 0 {
		return nil, linux.EINVAL
	}
	mm.mu.Lock()
	defer mm.unlock()
	isPiece := func(v *vma) (ShmAttachment, bool) {
		a, ok := v.file.(ShmAttachment)
		return a, ok && v.start >= addr && v.start-addr == v.fileOff
	}
	var att ShmAttachment
	i := mm.find(addr)
	for ; i < len(mm.vmas); i++ {
		if a, ok := isPiece(mm.vmas[i]); ok {
			att = a
			break
		}
	}
	if att == nil {
		return nil, linux.EINVAL
	}
	size, ok := usermem.PageRoundUp(att.ShmSize())
	if !ok {
		size = ^uint64(0) &^ (usermem.PageSize - 1)
	}
	type span struct{ start, end uint64 }
	spans := []span{{mm.vmas[i].start, mm.vmas[i].end}}
	for j := i + 1; j < len(mm.vmas) && mm.vmas[j].end-addr <= size; j++ {
		if a, ok := isPiece(mm.vmas[j]); ok && a == att {
			spans = append(spans, span{mm.vmas[j].start, mm.vmas[j].end})
		}
	}
	for _, s := range spans {
		if err := mm.removeRange(s.start, s.end); err != nil {
			return att, err
		}
	}
	return att, nil
}
