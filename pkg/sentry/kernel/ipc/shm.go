package ipc

import (
	"fmt"
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/tmpfs"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/mm"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// Shared memory segments.
//
// A segment's memory is a file of the kernel's internal tmpfs (made like a
// memfd), so a shared mapping of it maps the file's own pages and every
// attachment sees the same bytes. shmat maps an Attachment: a file that
// stands for the segment in one address space. The vmas of that mapping
// hold references on it (one each, as on any mapped file); a fork gives
// the child its own Attachment (mm calls ForkAttachment). shm_nattch is
// the number of Attachments that still have references, so it counts
// attachments per address space, across fork, and drops when an address
// space detaches (shmdt, munmap of the whole range, exit, exec). The
// segment dies when it is marked for destruction (IPC_RMID) and its last
// attachment goes.

// shmRegistry is the namespace's segments.
type shmRegistry struct {
	// mount is where segment files live; memLimit bounds segments made
	// without SHM_NORESERVE (0: no bound). Both are set once.
	mount    *vfs.Mount
	memLimit uint64

	mu  sync.Mutex
	reg registry[*Segment]
	// pages is the number of pages of all segments (shm_tot).
	pages uint64
}

func (r *shmRegistry) init(mount *vfs.Mount, memLimit uint64) {
	r.mount, r.memLimit = mount, memLimit
	r.reg.init(linux.SHMMNI)
}

// Segment is a shared memory segment (struct shmid_kernel). Its fields are
// protected by shmRegistry.mu.
type Segment struct {
	object
	r *shmRegistry
	// size is shm_segsz; file holds the memory; name is what
	// /proc/PID/maps shows for attachments.
	size uint64
	file vfs.FileDescription
	name string
	// nattch counts the live Attachments.
	nattch       uint64
	atime, dtime int64
	cpid, lpid   int32
}

// ShmGet implements shmget(2) for a caller with creds and process id pid.
func (ns *Namespace) ShmGet(ctx vfs.Context, pid int32, key int32, size uint64, flags int32) (int32, error) {
	r := &ns.shm
	creds := ctx.Credentials()
	var release vfs.FileDescription
	defer func() {
		if release != nil {
			release.DecRef()
		}
	}()
	r.mu.Lock()
	defer r.mu.Unlock()
	check := func(s *Segment) error {
		if s.size < size {
			return linux.EINVAL
		}
		return nil
	}
	pages := (size + usermem.PageSize - 1) / usermem.PageSize
	create := func() (*Segment, error) {
		if size < linux.SHMMIN || size > linux.SHMMAX {
			return nil, linux.EINVAL
		}
		if pages*usermem.PageSize < size {
			return nil, linux.ENOSPC
		}
		if r.pages+pages < r.pages || r.pages+pages > linux.SHMALL {
			return nil, linux.ENOSPC
		}
		if flags&linux.SHM_HUGETLB != 0 {
			// There is no hugetlbfs: Linux fails the same way when
			// no huge pages are reserved.
			return nil, linux.ENOMEM
		}
		if size > linux.MAX_LFS_FILESIZE {
			return nil, linux.EINVAL
		}
		if flags&linux.SHM_NORESERVE == 0 && r.memLimit != 0 && size > r.memLimit {
			// Linux's overcommit heuristic (shmem_acct_size): the
			// memory could never be there.
			return nil, linux.ENOMEM
		}
		if r.reg.full() {
			return nil, linux.ENOSPC
		}
		if r.mount == nil {
			return nil, linux.ENOSYS
		}
		name := fmt.Sprintf("SYSV%08x", uint32(key))
		f, err := newSegmentFile(ctx, r.mount, name, size)
		if err != nil {
			return nil, err
		}
		r.pages += pages
		return &Segment{
			object: newObject(creds, key, uint32(flags)),
			r:      r,
			size:   size,
			file:   f,
			name:   "/" + name + " (deleted)",
			cpid:   pid,
		}, nil
	}
	discard := func(s *Segment) {
		r.pages -= pages
		release = s.file
	}
	return r.reg.get(creds, key, flags, check, create, discard)
}

// newSegmentFile makes the memory of a segment: a memfd-like file of
// mount, size bytes long.
func newSegmentFile(ctx vfs.Context, mount *vfs.Mount, name string, size uint64) (vfs.FileDescription, error) {
	f, err := tmpfs.NewMemfd(ctx, mount, name, 0)
	if err != nil {
		return nil, err
	}
	pf, ok := f.(vfs.PathFile)
	if _, pm := f.(vfs.PageMappable); !ok || !pm {
		f.DecRef()
		return nil, fmt.Errorf("ipc: segment file %T cannot be mapped", f)
	}
	if err := pf.VirtualDentry().Dentry.Inode().SetStat(ctx, vfs.SetStatOptions{Mask: linux.STATX_SIZE, Size: size}); err != nil {
		f.DecRef()
		return nil, err
	}
	return f, nil
}

// ShmAttach implements the IPC half of shmat(2): it checks that creds may
// attach segment id (readOnly: SHM_RDONLY; exec: SHM_EXEC) and returns an
// Attachment to map, with one reference that the caller drops with Done
// once the mapping is made (or has failed). While the caller holds it,
// the segment counts it in shm_nattch and cannot die.
func (ns *Namespace) ShmAttach(creds *auth.Credentials, id int32, readOnly, exec bool) (*Attachment, error) {
	r := &ns.shm
	acc := uint32(modeRead)
	if !readOnly {
		acc |= modeWrite
	}
	if exec {
		acc |= modeExec
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s, err := r.reg.lookup(id)
	if err != nil {
		return nil, err
	}
	if !s.permits(creds, acc) {
		return nil, linux.EACCES
	}
	if s.dead {
		return nil, linux.EIDRM
	}
	return s.newAttachmentLocked(!readOnly), nil
}

// newAttachmentLocked returns a new attachment of s with one reference.
//
// Preconditions: s.r.mu is held.
func (s *Segment) newAttachmentLocked(writable bool) *Attachment {
	s.nattch++
	return &Attachment{seg: s, writable: writable, refs: 1}
}

// Attachment is a segment as one address space maps it (Linux's struct
// shm_file_data). It implements mm.ShmAttachment and vfs.PageMappable:
// mapping it maps the segment's pages. Its reference count is protected
// by the registry's mutex.
type Attachment struct {
	seg      *Segment
	writable bool
	refs     int64
}

var (
	_ mm.ShmAttachment = (*Attachment)(nil)
	_ vfs.PageMappable = (*Attachment)(nil)
)

// Name is what /proc/PID/maps shows for the attachment.
func (a *Attachment) Name() string { return a.seg.name }

// Done drops the reference that ShmAttach returned. If mapped, the
// mapping was made by process pid: it is the segment's last user and
// shm_atime is now.
func (a *Attachment) Done(pid int32, mapped bool) {
	r := a.seg.r
	r.mu.Lock()
	if mapped {
		a.seg.lpid = pid
		a.seg.atime = now()
	}
	release := a.decRefLocked(false)
	r.mu.Unlock()
	if release != nil {
		release.DecRef()
	}
}

// Detached records that process pid detached a (shmdt): it becomes the
// segment's last user.
func (a *Attachment) Detached(pid int32) {
	r := a.seg.r
	r.mu.Lock()
	a.seg.lpid = pid
	r.mu.Unlock()
}

// IncRef implements vfs.FileDescription (a vma takes a reference).
func (a *Attachment) IncRef() {
	r := a.seg.r
	r.mu.Lock()
	a.refs++
	r.mu.Unlock()
}

// DecRef implements vfs.FileDescription: the last reference detaches.
func (a *Attachment) DecRef() {
	r := a.seg.r
	r.mu.Lock()
	release := a.decRefLocked(true)
	r.mu.Unlock()
	if release != nil {
		release.DecRef()
	}
}

// decRefLocked drops a reference. The last one detaches from the
// segment (setting shm_dtime if detachTime), which then dies if it was
// marked for destruction and this was its last attachment: the caller
// releases the returned file after unlocking.
//
// Preconditions: a.seg.r.mu is held.
func (a *Attachment) decRefLocked(detachTime bool) vfs.FileDescription {
	a.refs--
	if a.refs > 0 {
		return nil
	}
	if a.refs < 0 {
		// A bug of the caller; the segment was detached already.
		log.Warningf("ipc: shm attachment of segment %d released once too often", a.seg.id)
		return nil
	}
	s := a.seg
	s.nattch--
	if detachTime {
		s.dtime = now()
	}
	if s.nattch == 0 && s.mode&linux.SHM_DEST != 0 {
		return s.destroyLocked()
	}
	return nil
}

// ForkAttachment implements mm.ShmAttachment: the child's attachment,
// with one reference, counted in shm_nattch (Linux's shm_open at fork).
func (a *Attachment) ForkAttachment() mm.ShmAttachment {
	r := a.seg.r
	r.mu.Lock()
	defer r.mu.Unlock()
	a.seg.atime = now()
	return a.seg.newAttachmentLocked(a.writable)
}

// ShmSize implements mm.ShmAttachment.
func (a *Attachment) ShmSize() uint64 { return a.seg.size }

// MMapSource implements vfs.Mappable: the segment's own pages.
func (a *Attachment) MMapSource() vfs.MMapSource { return vfs.MMapPages }

// SharedPages implements vfs.PageMappable.
func (a *Attachment) SharedPages(off, length uint64) ([]vfs.MemoryRange, error) {
	return a.seg.file.(vfs.PageMappable).SharedPages(off, length)
}

// Stat implements vfs.FileDescription: the segment file's.
func (a *Attachment) Stat() (linux.Stat, error) { return a.seg.file.Stat() }

// Read implements vfs.FileDescription; an attachment has no descriptor.
func (a *Attachment) Read(vfs.Blocker, []byte) (int, error) { return 0, linux.EINVAL }

// Write implements vfs.FileDescription.
func (a *Attachment) Write(vfs.Blocker, []byte) (int, error) { return 0, linux.EINVAL }

// PRead implements vfs.FileDescription: the segment's bytes.
func (a *Attachment) PRead(b vfs.Blocker, dst []byte, off int64) (int, error) {
	return a.seg.file.PRead(b, dst, off)
}

// PWrite implements vfs.FileDescription.
func (a *Attachment) PWrite(vfs.Blocker, []byte, int64) (int, error) { return 0, linux.EINVAL }

// Seek implements vfs.FileDescription.
func (a *Attachment) Seek(int64, int) (int64, error) { return 0, linux.ESPIPE }

// Ioctl implements vfs.FileDescription.
func (a *Attachment) Ioctl(usermem.IO, uint32, uint64) (uint64, error) { return 0, linux.ENOTTY }

// StatusFlags implements vfs.FileDescription: the access mode shmat
// opened the segment with.
func (a *Attachment) StatusFlags() uint32 {
	if a.writable {
		return linux.O_RDWR
	}
	return linux.O_RDONLY
}

// SetStatusFlags implements vfs.FileDescription.
func (a *Attachment) SetStatusFlags(uint32) error { return linux.EINVAL }

// destroyLocked removes s for good and returns its file, which the caller
// releases after unlocking.
//
// Preconditions: s.r.mu is held; s has no attachment.
func (s *Segment) destroyLocked() vfs.FileDescription {
	r := s.r
	if !s.dead {
		r.reg.remove(s)
		r.pages -= (s.size + usermem.PageSize - 1) / usermem.PageSize
	}
	f := s.file
	s.file = nil
	return f
}

// ShmStat implements shmctl IPC_STAT (byIndex false: id is an id), and
// SHM_STAT and SHM_STAT_ANY (byIndex: id is an index; any: no read
// permission needed). It returns the segment's id.
func (ns *Namespace) ShmStat(creds *auth.Credentials, id int32, byIndex, any bool) (linux.ShmidDS, int32, error) {
	r := &ns.shm
	r.mu.Lock()
	defer r.mu.Unlock()
	var s *Segment
	var err error
	if byIndex {
		s, err = r.reg.byIndex(id)
	} else {
		s, err = r.reg.lookup(id)
	}
	if err != nil {
		return linux.ShmidDS{}, 0, err
	}
	if !any && !s.permits(creds, modeRead) {
		return linux.ShmidDS{}, 0, linux.EACCES
	}
	return linux.ShmidDS{
		Perm:   s.perm(),
		Segsz:  s.size,
		Atime:  s.atime,
		Dtime:  s.dtime,
		Ctime:  s.ctime,
		CPID:   s.cpid,
		LPID:   s.lpid,
		Nattch: s.nattch,
	}, s.id, nil
}

// ShmSet implements shmctl IPC_SET.
func (ns *Namespace) ShmSet(creds *auth.Credentials, id int32, ds *linux.ShmidDS) error {
	r := &ns.shm
	r.mu.Lock()
	defer r.mu.Unlock()
	s, err := r.reg.lookup(id)
	if err != nil {
		return err
	}
	if !s.controlledBy(creds) {
		return linux.EPERM
	}
	return s.setPerm(&ds.Perm)
}

// ShmRemove implements shmctl IPC_RMID: the segment dies now if nothing
// is attached, else when its last attachment goes; meanwhile its key is
// IPC_PRIVATE and its mode has SHM_DEST.
func (ns *Namespace) ShmRemove(creds *auth.Credentials, id int32) error {
	r := &ns.shm
	r.mu.Lock()
	s, err := r.reg.lookup(id)
	if err != nil {
		r.mu.Unlock()
		return err
	}
	if !s.controlledBy(creds) {
		r.mu.Unlock()
		return linux.EPERM
	}
	var release vfs.FileDescription
	if s.nattch > 0 {
		s.mode |= linux.SHM_DEST
		r.reg.forgetKey(s)
	} else {
		release = s.destroyLocked()
	}
	r.mu.Unlock()
	if release != nil {
		release.DecRef()
	}
	return nil
}

// ShmLock implements shmctl SHM_LOCK (lock) and SHM_UNLOCK: only the
// SHM_LOCKED mode bit, as memory is never swapped. Without CAP_IPC_LOCK
// the caller must own or have created the segment. (Linux also refuses
// SHM_LOCK to such a caller whose RLIMIT_MEMLOCK is 0; that limit is not
// checked.)
func (ns *Namespace) ShmLock(creds *auth.Credentials, id int32, lock bool) error {
	r := &ns.shm
	r.mu.Lock()
	defer r.mu.Unlock()
	s, err := r.reg.lookup(id)
	if err != nil {
		return err
	}
	if !creds.HasCapability(linux.CAP_IPC_LOCK) && creds.EffectiveUID != s.uid && creds.EffectiveUID != s.cuid {
		return linux.EPERM
	}
	if lock {
		s.mode |= linux.SHM_LOCKED
	} else {
		s.mode &^= linux.SHM_LOCKED
	}
	return nil
}

// ShmInfo implements shmctl IPC_INFO: the limits, and the highest index
// in use.
func (ns *Namespace) ShmInfo() (linux.ShmInfo64, int32) {
	r := &ns.shm
	r.mu.Lock()
	defer r.mu.Unlock()
	return linux.ShmInfo64{
		Shmmax: linux.SHMMAX,
		Shmmin: linux.SHMMIN,
		Shmmni: linux.SHMMNI,
		Shmseg: linux.SHMSEG,
		Shmall: linux.SHMALL,
	}, r.reg.maxIdx()
}

// ShmUsage implements shmctl SHM_INFO: what the segments use (all their
// pages count as resident), and the highest index in use.
func (ns *Namespace) ShmUsage() (linux.ShmInfo, int32) {
	r := &ns.shm
	r.mu.Lock()
	defer r.mu.Unlock()
	return linux.ShmInfo{
		UsedIDs: int32(len(r.reg.byIdx)),
		ShmTot:  r.pages,
		ShmRss:  r.pages,
	}, r.reg.maxIdx()
}
