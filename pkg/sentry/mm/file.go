package mm

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// This file holds file-backed mappings. How a file is mapped depends on
// its vfs.MMapSource:
//
//   - MMapPages, shared: the vmas map the file's own memory-file pages
//     (vfs.PageMappable.SharedPages), one vma per contiguous range of the
//     memory file. The vma owns one reference on each page, which
//     removeRange and Release drop with MemoryFile.Free like any other
//     backed vma; the file keeps its own. Writes through the mapping and
//     write(2) therefore see each other. The pages may be in a memory
//     file other than the address space's (MemoryFileMappable); the vmas
//     then name it.
//   - MMapPages private, and MMapCopy: the vma gets fresh pages filled
//     with the file's contents (PRead) when it is made; bytes past the end
//     of file read as zero. Later changes of the file are not seen through
//     the mapping (Linux shows them until the page is first written), and
//     writes to a shared MMapCopy mapping never reach the file.
//   - MMapAnonymous: anonymous memory (MMap treats the file as absent).
//
// Pages wholly beyond the end of a regular file get no memory: touching
// them raises SIGBUS, as in Linux (eof.go). The rest of the page that holds
// the end of the file reads as zeros. A read error of the file fails the
// mmap (Linux would fail the fault later with SIGBUS).

// fileReadChunk bounds one PRead that fills a mapping.
const fileReadChunk = 4 << 20

// fileBacking is the memory of a new file mapping, in address order:
// ranges cover its first backed bytes (the part below the end of the
// file); the rest, up to length, is beyond the end of the file.
type fileBacking struct {
	ranges []vfs.MemoryRange
	// mf is the memory file ranges are in, when not the MM's own.
	mf             *pgalloc.MemoryFile
	backed, length uint64
	filePages      bool
	// cow says ranges are a file cache's pages, mapped copy-on-write
	// (vfs.CachedMappable).
	cow      bool
	dev, ino uint64
}

// vmaCount is how many vmas the mapping makes at most.
func (fb *fileBacking) vmaCount() int {
	n := len(fb.ranges)
	if fb.backed < fb.length {
		n++
	}
	return max(n, 1)
}

// free drops the references the backing holds.
func (fb *fileBacking) free(mm *MM) {
	mf := fb.mf
	if mf == nil {
		mf = mm.mf
	}
	for _, r := range fb.ranges {
		mf.Free(r.Offset, r.Length)
	}
	fb.ranges = nil
}

// prepareFile gets the memory for a mapping of length bytes of o.File
// from o.Offset. It is called without mm.mu: reading the file may block.
func (mm *MM) prepareFile(o *MMapOpts, length uint64) (fileBacking, error) {
	var fb fileBacking
	if o.Offset%usermem.PageSize != 0 {
		return fb, linux.EINVAL
	}
	if o.Offset+length < o.Offset {
		return fb, linux.EOVERFLOW
	}
	if st, err := o.File.Stat(); err == nil {
		fb.dev, fb.ino = st.Dev, st.Ino
	}
	fb.length = length
	switch o.File.MMapSource() {
	case vfs.MMapPages:
		fb.filePages = o.Shared
	case vfs.MMapCopy:
	default:
		return fb, linux.ENODEV
	}
	fb.backed = belowEnd(o.File, o.Offset, length)
	if fb.backed == 0 {
		return fb, nil
	}
	if fb.filePages {
		rs, mf, err := mm.sharedPages(o.File, o.Offset, fb.backed)
		if err != nil {
			return fb, err
		}
		fb.ranges, fb.mf = rs, mf
		return fb, nil
	}
	if cm, ok := o.File.(vfs.CachedMappable); ok && !o.Shared {
		r, ok, err := cm.CachedPages(o.Blocker, o.Offset, fb.backed)
		if err != nil {
			return fb, err
		}
		if ok {
			if r.Length != fb.backed || r.Offset%usermem.PageSize != 0 {
				// A file system bug: copy rather than map it.
				mm.mf.Free(r.Offset, r.Length)
			} else {
				fb.ranges, fb.cow = []vfs.MemoryRange{r}, true
				return fb, nil
			}
		}
	}
	off, err := mm.mf.Allocate(fb.backed)
	if err != nil {
		return fb, err
	}
	fb.ranges = []vfs.MemoryRange{{Offset: off, Length: fb.backed}}
	if err := mm.fillFromFile(o.Blocker, o.File, off, o.Offset, fb.backed); err != nil {
		fb.free(mm)
		return fb, err
	}
	return fb, nil
}

// sharedPages returns f's pages for [off, off+length), and the memory file
// they are in if it is not mm's own, checking that the file system gave
// page-aligned ranges covering exactly that much.
func (mm *MM) sharedPages(f vfs.Mappable, off, length uint64) ([]vfs.MemoryRange, *pgalloc.MemoryFile, error) {
	var rs []vfs.MemoryRange
	var mf *pgalloc.MemoryFile
	var err error
	if fm, ok := f.(MemoryFileMappable); ok {
		rs, mf, err = fm.SharedPagesWithFile(off, length)
		if mf == mm.mf {
			mf = nil
		}
	} else if pm, ok := f.(vfs.PageMappable); ok {
		rs, err = pm.SharedPages(off, length)
	} else {
		return nil, nil, linux.ENODEV
	}
	if err != nil {
		return nil, nil, err
	}
	var total uint64
	valid := true
	for _, r := range rs {
		if r.Length == 0 || r.Offset%usermem.PageSize != 0 || r.Length%usermem.PageSize != 0 {
			valid = false
		}
		total += r.Length
	}
	if !valid || total != length {
		// A file system bug: give the pages back rather than map
		// something else.
		fb := fileBacking{ranges: rs, mf: mf}
		fb.free(mm)
		return nil, nil, linux.EIO
	}
	return rs, mf, nil
}

// fillFromFile copies length bytes of f from fileOff into the memory file
// at off; what lies beyond the end of the file becomes zeros.
func (mm *MM) fillFromFile(b vfs.Blocker, f vfs.FileDescription, off, fileOff, length uint64) error {
	dst := mm.mf.Bytes(off, length)
	done := uint64(0)
	for done < length {
		pos := fileOff + done
		if pos > 1<<63-1 {
			break // beyond any file
		}
		n := min(length-done, fileReadChunk)
		got, err := f.PRead(b, dst[done:done+n], int64(pos))
		done += uint64(max(got, 0))
		if err != nil {
			return err
		}
		if got <= 0 {
			break // end of file
		}
	}
	clear(dst[done:])
	return nil
}

// refill gives [s, e) of v, a private file mapping, its file's contents
// again (MADV_DONTNEED).
//
// Preconditions: mm.mu is held; v holds its own memory.
func (mm *MM) refill(b vfs.Blocker, v *vma, s, e uint64) error {
	return mm.fillFromFile(b, v.file, v.fileOffset(s), v.fileOff+(s-v.start), e-s)
}

// insertFile makes the vmas of a new file mapping at addr from fb: backed
// ones, then one beyond the end of the file.
//
// Preconditions: mm.mu is held for writing; the range is free.
func (mm *MM) insertFile(addr uint64, o *MMapOpts, fb fileBacking) error {
	tmpl := vma{
		prot:       o.Prot,
		shared:     o.Shared,
		name:       o.Name,
		noMayWrite: o.NoMayWrite,
		noMayExec:  o.NoMayExec,
		file:       o.File,
		dev:        fb.dev,
		ino:        fb.ino,
		filePages:  fb.filePages,
		cow:        fb.cow,
	}
	if err := mm.insertRanges(&tmpl, addr, o.Offset, fb.ranges, fb.mf); err != nil {
		return err
	}
	tmpl.cow = false
	if fb.backed < fb.length {
		mm.insertBeyondEOF(&tmpl, addr+fb.backed, addr+fb.length, o.Offset+fb.backed)
	}
	mm.watchFile(o.File)
	return nil
}

// mapFilePages maps tmpl's file's pages for [start, end), from file
// offset fileOff, with tmpl's properties (mremap growing a shared
// mapping).
//
// Preconditions: mm.mu is held for writing; the range is free; tmpl is
// filePages.
func (mm *MM) mapFilePages(tmpl *vma, start, end, fileOff uint64) error {
	if tmpl.file == nil {
		return linux.EFAULT
	}
	rs, mf, err := mm.sharedPages(tmpl.file, fileOff, end-start)
	if err != nil {
		return err
	}
	if len(mm.vmas)+len(rs) > MaxMapCount {
		fb := fileBacking{ranges: rs, mf: mf}
		fb.free(mm)
		return linux.ENOMEM
	}
	return mm.insertRanges(tmpl, start, fileOff, rs, mf)
}

// insertRanges makes one vma like tmpl for each memory range (of mf, or
// of mm.mf if nil), from start on, with file offsets from fileOff, and
// maps them. Each takes a reference on the file and owns its range's page
// references. If the platform fails to map them, they are removed again.
//
// Preconditions: mm.mu is held for writing; the range is free.
func (mm *MM) insertRanges(tmpl *vma, start, fileOff uint64, ranges []vfs.MemoryRange, mf *pgalloc.MemoryFile) error {
	cur := start
	for _, r := range ranges {
		v := *tmpl
		v.start, v.end = cur, cur+r.Length
		v.off, v.backed, v.mf = r.Offset, true, mf
		v.fileOff = fileOff + (cur - start)
		v.file.IncRef()
		mm.insert(&v)
		cur = v.end
	}
	fd := mm.mf.FD()
	if mf != nil {
		fd = mf.FD()
	}
	for a, i := start, 0; i < len(ranges); i++ {
		if err := mm.as.MapFile(a, fd, ranges[i].Offset, ranges[i].Length, tmpl.platformProt()); err != nil {
			mm.removeRange(start, cur)
			return err
		}
		a += ranges[i].Length
	}
	return nil
}

// vmaMapInfo is what /proc/PID/maps shows of v.
func vmaMapInfo(v *vma) MapInfo {
	mi := MapInfo{
		Start:  v.start,
		End:    v.end,
		Read:   v.prot.Read,
		Write:  v.prot.Write,
		Exec:   v.prot.Execute,
		Shared: v.shared,
		Name:   v.name,
	}
	if v.hasFileOffset() {
		mi.Offset, mi.Dev, mi.Ino = v.fileOff, v.dev, v.ino
	}
	return mi
}
