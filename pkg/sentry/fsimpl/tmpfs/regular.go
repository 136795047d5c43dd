package tmpfs

import (
	"sort"
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// maxFileSize is the largest size of a tmpfs file (s_maxbytes).
const maxFileSize = linux.MAX_LFS_FILESIZE

func pageDown(x uint64) uint64 { return x &^ (pageSize - 1) }

// pageUp rounds x up to a page boundary. x is at most maxFileSize + 1 page
// everywhere it is used, so it cannot overflow.
func pageUp(x uint64) uint64 { return (x + pageSize - 1) &^ (pageSize - 1) }

// extent maps the page-aligned file range [off, off+length) to the memory
// file range starting at mfOff.
type extent struct {
	off, length, mfOff uint64
	// unwritten is set for pages fallocate(2) made that nothing has
	// written (or mapped) since: holes for SEEK_DATA.
	unwritten bool
}

func (e *extent) end() uint64 { return e.off + e.length }

// regularInode is a regular file.
type regularInode struct {
	inode

	// dataMu protects extents, seals, mappedPastEOF and changes of
	// inode.size. Readers of the contents hold it for reading.
	dataMu sync.RWMutex
	// extents are the file's pages, sorted by offset, never
	// overlapping; neighbours that could be merged are.
	extents []extent
	// seals are the F_SEAL_* seals (memfd_create(2)). Files not made
	// by NewMemfd start with F_SEAL_SEAL, like Linux's.
	seals uint32
	// mappedPastEOF is set once a shared mapping covered pages beyond
	// the end of the file: it may have written there, so growing the
	// file must zero what it uncovers.
	mappedPastEOF bool

	// opens counts the open files of the inode (protected by inode.mu):
	// its data stays until the last link and the last open file are
	// gone.
	opens int
	// watchMu protects watchers, the memory managers that map the
	// file and are told when it shrinks (with the number of times each
	// registered). It is a leaf lock.
	watchMu  sync.Mutex
	watchers map[vfs.SizeWatcher]int

	// linkable (protected by inode.mu) is set for a file made by
	// O_TMPFILE without O_EXCL until its first link: linkat may give
	// it a name although it has no link (Linux's I_LINKABLE).
	linkable bool
}

var (
	_ node              = (*regularInode)(nil)
	_ vfs.LinkableInode = (*regularInode)(nil)
)

// newRegular makes a regular file inode; the caller has reserved its
// inode space.
func (fs *filesystem) newRegular(opts vfs.CreateOptions, nlink uint32) *regularInode {
	r := &regularInode{seals: linux.F_SEAL_SEAL}
	r.init(fs, opts, nlink)
	return r
}

// Open implements vfs.Inode.
func (r *regularInode) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	r.mu.Lock()
	r.opens++
	r.mu.Unlock()
	return newRegularFile(vd, flags, r), nil
}

// Linkable implements vfs.LinkableInode.
func (r *regularInode) Linkable() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.nlink == 0 && r.linkable
}

// closed is called when an open file of r is released.
func (r *regularInode) closed() {
	r.mu.Lock()
	r.opens--
	r.mu.Unlock()
	r.maybeEvict()
}

// maybeEvict frees the file's data and space if it has neither a link
// nor an open file left.
func (r *regularInode) maybeEvict() {
	r.mu.Lock()
	gone := r.nlink == 0 && r.opens == 0
	r.mu.Unlock()
	if !gone {
		return
	}
	r.dataMu.Lock()
	r.freeRangeLocked(0, ^uint64(0)&^(pageSize-1))
	r.dataMu.Unlock()
	r.evict()
}

// SetStat implements vfs.Inode: the size (truncate) and the other
// attributes, with the seals' rules.
func (r *regularInode) SetStat(ctx vfs.Context, opts vfs.SetStatOptions) error {
	if opts.Mask&linux.STATX_MODE != 0 {
		r.dataMu.RLock()
		seals := r.seals
		r.dataMu.RUnlock()
		r.mu.Lock()
		cur := r.mode
		r.mu.Unlock()
		if seals&linux.F_SEAL_EXEC != 0 && (cur^opts.Mode)&0111 != 0 {
			return linux.EPERM
		}
	}
	if opts.Mask&linux.STATX_SIZE != 0 {
		if err := r.truncate(opts.Size); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t := now()
	if opts.Mask&linux.STATX_SIZE != 0 && opts.Mask&linux.STATX_MTIME == 0 {
		// truncate changes the mtime (ctime: setStatLocked).
		r.mtime = t
	}
	r.setStatLocked(&opts, t)
	return nil
}

// truncate sets the file size. Shrinking tells the memory managers that
// map the file, after dataMu is released (they take their own lock, which
// is held around calls into the file).
func (r *regularInode) truncate(size uint64) error {
	if size > maxFileSize {
		return linux.EFBIG
	}
	r.dataMu.Lock()
	old := r.size.Load()
	switch {
	case size < old && r.seals&linux.F_SEAL_SHRINK != 0:
		r.dataMu.Unlock()
		return linux.EPERM
	case size > old && r.seals&linux.F_SEAL_GROW != 0:
		r.dataMu.Unlock()
		return linux.EPERM
	}
	r.setSizeLocked(size)
	r.dataMu.Unlock()
	if size < old {
		r.notifyShrunk(size)
	}
	return nil
}

// watchShrink implements vfs.ShrinkNotifier.WatchShrink.
func (r *regularInode) watchShrink(w vfs.SizeWatcher) func() {
	r.watchMu.Lock()
	if r.watchers == nil {
		r.watchers = make(map[vfs.SizeWatcher]int)
	}
	r.watchers[w]++
	r.watchMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.watchMu.Lock()
			defer r.watchMu.Unlock()
			if r.watchers[w]--; r.watchers[w] <= 0 {
				delete(r.watchers, w)
			}
		})
	}
}

// notifyShrunk tells the watchers that the file shrank to size.
//
// Preconditions: no lock of r is held.
func (r *regularInode) notifyShrunk(size uint64) {
	r.watchMu.Lock()
	ws := make([]vfs.SizeWatcher, 0, len(r.watchers))
	for w := range r.watchers {
		ws = append(ws, w)
	}
	r.watchMu.Unlock()
	for _, w := range ws {
		w.FileShrunk(r, size)
	}
}

// setSizeLocked changes the size: shrinking frees the pages beyond the new
// end (fallocated ones too) and zeroes the rest of the last page; growing
// zeroes what a shared mapping may have written beyond the old end.
//
// Preconditions: r.dataMu is held for writing.
func (r *regularInode) setSizeLocked(size uint64) {
	old := r.size.Load()
	switch {
	case size < old:
		r.size.Store(size)
		r.freeRangeLocked(pageUp(size), ^uint64(0)&^(pageSize-1))
		r.zeroLocked(size, pageUp(size))
	case size > old:
		if r.mappedPastEOF {
			r.zeroLocked(old, size)
		}
		r.size.Store(size)
	}
}

// firstAfterLocked returns the index of the first extent that ends after
// off.
//
// Preconditions: r.dataMu is held.
func (r *regularInode) firstAfterLocked(off uint64) int {
	return sort.Search(len(r.extents), func(i int) bool { return r.extents[i].end() > off })
}

// allocRun allocates memory for the page-aligned file range [start, end),
// in as few pieces as the memory file allows.
func (r *regularInode) allocRun(start, end uint64, unwritten bool) ([]extent, error) {
	total := (end - start) / pageSize
	if err := r.fs.reservePages(total); err != nil {
		return nil, err
	}
	var out []extent
	for pos := start; pos < end; {
		n := end - pos
		for {
			off, err := r.fs.mf.Allocate(n)
			if err == nil {
				out = append(out, extent{off: pos, length: n, mfOff: off, unwritten: unwritten})
				break
			}
			if n == pageSize {
				for _, e := range out {
					r.fs.mf.Free(e.mfOff, e.length)
				}
				r.fs.unreservePages(total)
				return nil, err
			}
			// The memory file has no free range that long: take
			// smaller pieces.
			n = max(pageDown(n/2), pageSize)
		}
		pos += n
	}
	r.pages.Add(total)
	return out, nil
}

// freeExtents gives back the memory of extents (made by allocRun).
func (r *regularInode) freeExtents(es []extent) {
	var n uint64
	for _, e := range es {
		r.fs.mf.Free(e.mfOff, e.length)
		n += e.length / pageSize
	}
	r.pages.Add(^(n - 1))
	r.fs.unreservePages(n)
}

// spliceLocked replaces extents[i:j] with repl and merges neighbours.
//
// Preconditions: r.dataMu is held for writing.
func (r *regularInode) spliceLocked(i, j int, repl []extent) {
	tail := append(repl, r.extents[j:]...)
	r.extents = append(r.extents[:i], tail...)
	r.mergeLocked(i-1, i+len(repl))
}

// mergeLocked merges mergeable neighbours among extents[lo:hi+1].
//
// Preconditions: r.dataMu is held for writing.
func (r *regularInode) mergeLocked(lo, hi int) {
	lo = max(lo, 0)
	hi = min(hi, len(r.extents)-1)
	if lo >= hi {
		return
	}
	w := lo
	for k := lo + 1; k <= hi; k++ {
		a, b := &r.extents[w], r.extents[k]
		if a.end() == b.off && a.mfOff+a.length == b.mfOff && a.unwritten == b.unwritten {
			a.length += b.length
			continue
		}
		w++
		r.extents[w] = b
	}
	if w < hi {
		r.extents = append(r.extents[:w+1], r.extents[hi+1:]...)
	}
}

// fillLocked makes sure every page of the page-aligned range [start, end)
// has memory. written marks the range as written (a write or a mapping);
// otherwise new pages are unwritten (fallocate). On failure nothing
// changes.
//
// Preconditions: r.dataMu is held for writing; start < end.
func (r *regularInode) fillLocked(start, end uint64, written bool) error {
	i := r.firstAfterLocked(start)
	if i < len(r.extents) {
		e := &r.extents[i]
		if e.off <= start && e.end() >= end && !(written && e.unwritten) {
			return nil
		}
	}
	j := i
	for j < len(r.extents) && r.extents[j].off < end {
		j++
	}
	var repl, fresh []extent
	grow := func(s, t uint64) error {
		got, err := r.allocRun(s, t, !written)
		if err != nil {
			r.freeExtents(fresh)
			return err
		}
		fresh = append(fresh, got...)
		repl = append(repl, got...)
		return nil
	}
	pos := start
	for _, e := range r.extents[i:j] {
		if pos < e.off {
			if err := grow(pos, e.off); err != nil {
				return err
			}
		}
		if written && e.unwritten {
			s, t := max(e.off, start), min(e.end(), end)
			if e.off < s {
				repl = append(repl, extent{off: e.off, length: s - e.off, mfOff: e.mfOff, unwritten: true})
			}
			repl = append(repl, extent{off: s, length: t - s, mfOff: e.mfOff + s - e.off})
			if t < e.end() {
				repl = append(repl, extent{off: t, length: e.end() - t, mfOff: e.mfOff + t - e.off, unwritten: true})
			}
		} else {
			repl = append(repl, e)
		}
		pos = max(pos, e.end())
	}
	if pos < end {
		if err := grow(pos, end); err != nil {
			return err
		}
	}
	r.spliceLocked(i, j, repl)
	return nil
}

// freeRangeLocked frees the pages of the page-aligned range [start, end).
//
// Preconditions: r.dataMu is held for writing.
func (r *regularInode) freeRangeLocked(start, end uint64) {
	i := r.firstAfterLocked(start)
	j := i
	var repl []extent
	var freed uint64
	for ; j < len(r.extents) && r.extents[j].off < end; j++ {
		e := r.extents[j]
		s, t := max(e.off, start), min(e.end(), end)
		if e.off < s {
			repl = append(repl, extent{off: e.off, length: s - e.off, mfOff: e.mfOff, unwritten: e.unwritten})
		}
		r.fs.mf.Free(e.mfOff+s-e.off, t-s)
		freed += (t - s) / pageSize
		if t < e.end() {
			repl = append(repl, extent{off: t, length: e.end() - t, mfOff: e.mfOff + t - e.off, unwritten: e.unwritten})
		}
	}
	if freed == 0 {
		return
	}
	r.spliceLocked(i, j, repl)
	r.pages.Add(^(freed - 1))
	r.fs.unreservePages(freed)
}

// zeroLocked zeroes the allocated bytes of [start, end): whole pages are
// given back to the host (they read as zeros and stay allocated), partial
// ones are cleared.
//
// Preconditions: r.dataMu is held for writing.
func (r *regularInode) zeroLocked(start, end uint64) {
	for i := r.firstAfterLocked(start); i < len(r.extents) && r.extents[i].off < end; i++ {
		e := r.extents[i]
		s, t := max(e.off, start), min(e.end(), end)
		ps, pt := pageUp(s), pageDown(t)
		if ps >= pt {
			clear(r.fs.mf.Bytes(e.mfOff+s-e.off, t-s))
			continue
		}
		clear(r.fs.mf.Bytes(e.mfOff+s-e.off, ps-s))
		r.fs.mf.Decommit(e.mfOff+ps-e.off, pt-ps)
		clear(r.fs.mf.Bytes(e.mfOff+pt-e.off, t-pt))
	}
}

// copyLocked copies between buf and the file range [off, off+len(buf)),
// which is allocated if toFile; holes read as zeros.
//
// Preconditions: r.dataMu is held (for writing if toFile).
func (r *regularInode) copyLocked(buf []byte, off uint64, toFile bool) {
	end := off + uint64(len(buf))
	pos := off
	for i := r.firstAfterLocked(off); pos < end; {
		if i < len(r.extents) && r.extents[i].off <= pos {
			e := &r.extents[i]
			t := min(end, e.end())
			mem := r.fs.mf.Bytes(e.mfOff+pos-e.off, t-pos)
			if toFile {
				copy(mem, buf[pos-off:t-off])
			} else {
				copy(buf[pos-off:t-off], mem)
			}
			pos = t
			i++
			continue
		}
		t := end
		if i < len(r.extents) {
			t = min(end, r.extents[i].off)
		}
		clear(buf[pos-off : t-off])
		pos = t
	}
}

// read reads into dst from off; it returns how much it read (0 at or
// beyond the end of the file).
func (r *regularInode) read(dst []byte, off uint64) int {
	r.dataMu.RLock()
	defer r.dataMu.RUnlock()
	size := r.size.Load()
	if off >= size {
		return 0
	}
	n := min(uint64(len(dst)), size-off)
	r.copyLocked(dst[:n], off, false)
	return int(n)
}

// write writes src at off (at the end of the file if appending) and
// returns how much it wrote and where the write ended. A write that runs
// out of space is short; a write that cannot write anything fails.
func (r *regularInode) write(creds *auth.Credentials, src []byte, off uint64, appending bool) (int, uint64, error) {
	r.dataMu.Lock()
	size := r.size.Load()
	if appending {
		off = size
	}
	n, err := r.writeLocked(src, off, size)
	r.dataMu.Unlock()
	if n > 0 {
		r.wrote(creds)
	}
	return n, off + uint64(n), err
}

// writeLocked is write.
//
// Preconditions: r.dataMu is held for writing; size is r.size.
func (r *regularInode) writeLocked(src []byte, off, size uint64) (int, error) {
	if r.seals&(linux.F_SEAL_WRITE|linux.F_SEAL_FUTURE_WRITE) != 0 {
		return 0, linux.EPERM
	}
	if off >= maxFileSize {
		return 0, linux.EFBIG
	}
	if uint64(len(src)) > maxFileSize-off {
		src = src[:maxFileSize-off]
	}
	end := off + uint64(len(src))
	if end > size && r.seals&linux.F_SEAL_GROW != 0 {
		// Linux checks the seal per page-sized step of the write: the
		// steps that end within the file are written, the first that
		// would grow it fails.
		limit := max(pageDown(size), off)
		if limit <= off {
			return 0, linux.EPERM
		}
		src = src[:limit-off]
		end = limit
	}
	if len(src) == 0 {
		return 0, nil
	}
	if err := r.fillLocked(pageDown(off), pageUp(end), true); err != nil {
		// Out of space: write the pages that can still be had.
		p := pageDown(off)
		for ; p < end; p += pageSize {
			if r.fillLocked(p, p+pageSize, true) != nil {
				break
			}
		}
		if p <= off {
			return 0, err
		}
		end = min(end, p)
		src = src[:end-off]
	}
	if off > size {
		// The write leaves a gap after the old end: it must read as
		// zeros.
		r.setSizeLocked(off)
	}
	r.copyLocked(src, off, true)
	if end > r.size.Load() {
		r.size.Store(end)
	}
	return len(src), nil
}

// wrote updates the times after a write and clears the set-user-ID bit,
// and the set-group-ID bit of a group-executable file, unless the writer
// has CAP_FSETID (file_remove_privs).
func (r *regularInode) wrote(creds *auth.Credentials) {
	t := now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mtime, r.ctime = t, t
	kill := r.mode&linux.S_ISUID != 0 || r.mode&(linux.S_ISGID|linux.S_IXGRP) == linux.S_ISGID|linux.S_IXGRP
	if kill && (creds == nil || !creds.HasCapability(linux.CAP_FSETID)) {
		r.mode &^= linux.S_ISUID
		if r.mode&linux.S_IXGRP != 0 {
			r.mode &^= linux.S_ISGID
		}
	}
}

// allocate implements fallocate(2)'s modes 0, KEEP_SIZE and
// PUNCH_HOLE|KEEP_SIZE; the range is valid (checked by the caller).
func (r *regularInode) allocate(mode uint32, off, length uint64) error {
	end := off + length
	r.dataMu.Lock()
	defer r.dataMu.Unlock()
	if mode&linux.FALLOC_FL_PUNCH_HOLE != 0 {
		if r.seals&(linux.F_SEAL_WRITE|linux.F_SEAL_FUTURE_WRITE) != 0 {
			return linux.EPERM
		}
		r.zeroLocked(off, min(end, pageUp(off)))
		if ps, pe := pageUp(off), pageDown(end); ps < pe {
			r.freeRangeLocked(ps, pe)
		}
		r.zeroLocked(max(pageDown(end), off), end)
		return nil
	}
	if end > r.size.Load() && r.seals&linux.F_SEAL_GROW != 0 {
		return linux.EPERM
	}
	if err := r.fillLocked(pageDown(off), pageUp(end), false); err != nil {
		return err
	}
	if mode&linux.FALLOC_FL_KEEP_SIZE == 0 && end > r.size.Load() {
		r.setSizeLocked(end)
	}
	return nil
}

// seek finds the next data (SEEK_DATA) or hole (SEEK_HOLE) at or after
// off: ENXIO at or beyond the end of the file. The end of the file counts
// as a hole; unwritten (fallocated) pages count as holes.
func (r *regularInode) seek(off uint64, whence int) (uint64, error) {
	r.dataMu.RLock()
	defer r.dataMu.RUnlock()
	size := r.size.Load()
	if off >= size {
		return 0, linux.ENXIO
	}
	i := r.firstAfterLocked(off)
	if whence == linux.SEEK_DATA {
		for ; i < len(r.extents); i++ {
			e := &r.extents[i]
			if e.unwritten {
				continue
			}
			if p := max(e.off, off); p < size {
				return p, nil
			}
			break
		}
		return 0, linux.ENXIO
	}
	pos := off
	for ; i < len(r.extents); i++ {
		e := &r.extents[i]
		if e.off > pos || e.unwritten {
			break
		}
		pos = e.end()
	}
	return min(pos, size), nil
}

// sharedPages implements vfs.PageMappable.SharedPages.
func (r *regularInode) sharedPages(off, length uint64) ([]vfs.MemoryRange, error) {
	if off%pageSize != 0 || length%pageSize != 0 || length == 0 {
		return nil, linux.EINVAL
	}
	end := off + length
	if end < off || end > pageUp(maxFileSize) {
		return nil, linux.EFBIG
	}
	r.dataMu.Lock()
	defer r.dataMu.Unlock()
	if err := r.fillLocked(off, end, true); err != nil {
		return nil, err
	}
	if end > r.size.Load() {
		r.mappedPastEOF = true
	}
	var out []vfs.MemoryRange
	for i := r.firstAfterLocked(off); i < len(r.extents) && r.extents[i].off < end; i++ {
		e := &r.extents[i]
		s, t := max(e.off, off), min(e.end(), end)
		mr := vfs.MemoryRange{Offset: e.mfOff + s - e.off, Length: t - s}
		r.fs.mf.IncRef(mr.Offset, mr.Length)
		out = append(out, mr)
	}
	return out, nil
}

// Seals returns the file's seals.
func (r *regularInode) Seals() uint32 {
	r.dataMu.RLock()
	defer r.dataMu.RUnlock()
	return r.seals
}

// addSeals adds seals (F_ADD_SEALS, after the caller's checks of the
// file's mode).
func (r *regularInode) addSeals(seals uint32) error {
	if seals&^linux.F_ALL_SEALS != 0 {
		return linux.EINVAL
	}
	r.dataMu.Lock()
	defer r.dataMu.Unlock()
	if r.seals&linux.F_SEAL_SEAL != 0 {
		return linux.EPERM
	}
	if seals&linux.F_SEAL_EXEC != 0 {
		r.mu.Lock()
		exec := r.mode&0111 != 0
		r.mu.Unlock()
		if exec {
			// An executable file sealed against chmod must not be
			// writable either (W^X), as Linux makes it.
			seals |= linux.F_SEAL_SHRINK | linux.F_SEAL_GROW | linux.F_SEAL_WRITE | linux.F_SEAL_FUTURE_WRITE
		}
	}
	r.seals |= seals
	return nil
}
