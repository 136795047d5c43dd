package mm

import (
	"bytes"
	"errors"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

var (
	protR   = platform.Prot{Read: true}
	protRW  = platform.Prot{Read: true, Write: true}
	protRX  = platform.Prot{Read: true, Execute: true}
	protRWX = platform.Prot{Read: true, Write: true, Execute: true}
)

const page = usermem.PageSize

// fileMap maps length bytes of f at off, shared or private, and fails
// the test on error.
func fileMap(t *testing.T, m *MM, f *fakeFile, addr, length, off uint64, prot platform.Prot, shared bool) uint64 {
	t.Helper()
	got, err := m.MMap(MMapOpts{Addr: addr, Length: length, Prot: prot, Shared: shared, Fixed: addr != 0, File: f, Offset: off, Name: "/file"})
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	return got
}

func TestPrivateFileMapping(t *testing.T) {
	for _, tc := range []struct {
		name string
		page bool // an MMapPages file (its private mappings copy too)
	}{{"copy file", false}, {"page file", true}} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, mf := newTestMM(t)
			data := pattern(3*page+100, 5)
			f := newCopyFile(bytes.Clone(data))
			if tc.page {
				f = newPageFile(mf, data)
				defer f.release()
			}
			addr := fileMap(t, m, f, 0, 5*page, page, protRW, false)
			got := read(t, m, addr, 5*page)
			want := make([]byte, 5*page)
			copy(want, data[page:])
			if !bytes.Equal(got, want) {
				t.Errorf("mapping does not hold the file from offset %#x, zero past EOF", page)
			}
			// Writes stay private.
			if _, err := m.CopyOut(addr, []byte("private")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 7)
			f.PRead(nil, buf, page)
			if string(buf) == "private" {
				t.Errorf("write to a private mapping reached the file")
			}
			mi := vmaInfos(m)
			if len(mi) != 1 || mi[0].Offset != page || mi[0].Ino != f.ino || mi[0].Dev != linux.MakeDev(0, 99) || mi[0].Name != "/file" || mi[0].Shared {
				t.Errorf("maps = %+v", mi)
			}
			if f.refs.Load() != 2 {
				t.Errorf("file refs = %d with one mapping, want 2", f.refs.Load())
			}
			if err := m.MUnmap(addr, 5*page); err != nil {
				t.Fatal(err)
			}
			if f.refs.Load() != 1 {
				t.Errorf("file refs = %d after munmap, want 1", f.refs.Load())
			}
		})
	}
}

func TestSharedPageMappingIsTheFile(t *testing.T) {
	m, as, mf := newTestMM(t)
	base := mf.Used()
	f := newPageFile(mf, pattern(2*page, 9))
	addr := fileMap(t, m, f, 0, 4*page, 0, protRW, true)

	// The platform maps the file's own pages.
	for p := uint64(0); p < 4; p++ {
		pte, ok := as.pte(addr + p*page)
		f.mu.Lock()
		want := f.pages[p*page]
		f.mu.Unlock()
		if !ok || pte.off != want {
			t.Errorf("page %d mapped at %#x (%v), want the file's page %#x", p, pte.off, ok, want)
		}
	}
	// A write through the mapping is what read(2) sees, and the other
	// way round, also beyond the end of file.
	if _, err := m.CopyOut(addr+10, []byte("mapped")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	f.PRead(nil, buf, 10)
	if string(buf) != "mapped" {
		t.Errorf("file reads %q after a write through the mapping", buf)
	}
	f.pwrite([]byte("written"), 3*page+5)
	if got := read(t, m, addr+3*page+5, 7); string(got) != "written" {
		t.Errorf("mapping reads %q after write(2) past the old end of file", got)
	}
	mi := vmaInfos(m)
	if len(mi) == 0 || !mi[0].Shared || mi[0].Offset != 0 {
		t.Errorf("maps = %+v", mi)
	}

	// Unmapping drops the mapping's page references only: the file
	// keeps its data; once it frees its pages, the memory is back.
	if err := m.MUnmap(addr, 4*page); err != nil {
		t.Fatal(err)
	}
	f.PRead(nil, buf, 10)
	if string(buf) != "mapped" {
		t.Errorf("file lost its data when the mapping went away: %q", buf)
	}
	f.release()
	if got := mf.Used(); got != base {
		t.Errorf("memory used %d after everything is freed, want %d", got, base)
	}
	if f.refs.Load() != 1 {
		t.Errorf("file refs = %d, want 1", f.refs.Load())
	}
}

func TestFileMappingSplitKeepsOffsets(t *testing.T) {
	m, _, mf := newTestMM(t)
	data := pattern(8*page, 3)
	for _, shared := range []bool{false, true} {
		f := newPageFile(mf, data)
		addr := fileMap(t, m, f, 0, 8*page, 0, protRW, shared)
		// Punch out pages 2-3 and change the protection of page 5.
		if err := m.MUnmap(addr+2*page, 2*page); err != nil {
			t.Fatal(err)
		}
		if err := m.MProtect(addr+5*page, page, protR); err != nil {
			t.Fatal(err)
		}
		var offs []uint64
		for _, mi := range vmaInfos(m) {
			offs = append(offs, mi.Offset)
			if got, want := read(t, m, mi.Start, int(mi.End-mi.Start)), data[mi.Offset:mi.Offset+mi.End-mi.Start]; !bytes.Equal(got, want) {
				t.Errorf("shared=%v: vma at %#x (offset %#x) does not hold its part of the file", shared, mi.Start, mi.Offset)
			}
		}
		if want := []uint64{0, 4 * page, 5 * page, 6 * page}; !equalU64(offs, want) {
			t.Errorf("shared=%v: offsets %#x, want %#x", shared, offs, want)
		}
		// Restoring the protection merges the pieces again.
		if err := m.MProtect(addr+5*page, page, protRW); err != nil {
			t.Fatal(err)
		}
		if n := len(vmaInfos(m)); n != 2 {
			t.Errorf("shared=%v: %d vmas after mprotect back, want 2", shared, n)
		}
		if err := m.MUnmap(addr, 8*page); err != nil {
			t.Fatal(err)
		}
		if f.refs.Load() != 1 {
			t.Errorf("shared=%v: file refs = %d after munmap, want 1", shared, f.refs.Load())
		}
		f.release()
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFileMappingsDoNotMerge(t *testing.T) {
	m, _, _ := newTestMM(t)
	a, b := newCopyFile(pattern(4*page, 1)), newCopyFile(pattern(4*page, 2))
	const at = 0x1000_0000
	for _, tc := range []struct {
		name      string
		second    *fakeFile
		secondOff uint64
		want      int
	}{
		{"other file", b, page, 2},
		{"same file, offsets apart", a, 3 * page, 2},
		{"anonymous neighbour", nil, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fileMap(t, m, a, at, page, 0, protR, false)
			if tc.second != nil {
				fileMap(t, m, tc.second, at+page, page, tc.secondOff, protR, false)
			} else if _, err := m.MMap(MMapOpts{Addr: at + page, Length: page, Prot: protR, Fixed: true, Name: "/file"}); err != nil {
				t.Fatal(err)
			}
			if n := len(vmaInfos(m)); n != tc.want {
				t.Errorf("%d vmas, want %d", n, tc.want)
			}
			m.MUnmap(at, 2*page)
		})
	}
	if a.refs.Load() != 1 || b.refs.Load() != 1 {
		t.Errorf("file refs %d, %d after munmap, want 1, 1", a.refs.Load(), b.refs.Load())
	}
}

func TestMProtectMayBits(t *testing.T) {
	m, _, _ := newTestMM(t)
	f := newCopyFile(pattern(page, 1))
	for _, tc := range []struct {
		name                  string
		noMayWrite, noMayExec bool
		prot                  platform.Prot
		want                  error
	}{
		{"write on read-only shared", true, false, protRW, linux.EACCES},
		{"exec on noexec", false, true, protRX, linux.EACCES},
		{"read stays fine", true, true, protR, nil},
		{"allowed", false, false, protRWX, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, err := m.MMap(MMapOpts{Length: page, Prot: protR, Shared: true, File: f, NoMayWrite: tc.noMayWrite, NoMayExec: tc.noMayExec})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.MProtect(addr, page, tc.prot); !errors.Is(err, tc.want) && err != tc.want {
				t.Errorf("mprotect = %v, want %v", err, tc.want)
			}
			m.MUnmap(addr, page)
		})
	}
}

func TestMRemapFileMappings(t *testing.T) {
	m, _, mf := newTestMM(t)
	data := pattern(6*page, 7)
	t.Run("grow shared in place", func(t *testing.T) {
		f := newPageFile(mf, data)
		defer f.release()
		addr := fileMap(t, m, f, 0x2000_0000, 2*page, page, protRW, true)
		got, err := m.MRemap(nil, addr, 2*page, 4*page, 0, 0)
		if err != nil || got != addr {
			t.Fatalf("mremap = %#x, %v", got, err)
		}
		if !bytes.Equal(read(t, m, addr, 4*page), data[page:5*page]) {
			t.Errorf("grown mapping does not show the file")
		}
		if _, err := m.CopyOut(addr+3*page, []byte("grown")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 5)
		f.PRead(nil, buf, 4*page)
		if string(buf) != "grown" {
			t.Errorf("write to the grown part did not reach the file")
		}
		m.MUnmap(addr, 4*page)
		if f.refs.Load() != 1 {
			t.Errorf("file refs = %d, want 1", f.refs.Load())
		}
	})
	t.Run("move and grow private", func(t *testing.T) {
		f := newCopyFile(bytes.Clone(data))
		addr := fileMap(t, m, f, 0x2000_0000, 2*page, 0, protRW, false)
		// Block growth in place.
		if _, err := m.MMap(MMapOpts{Addr: addr + 2*page, Length: page, Prot: protR, Fixed: true}); err != nil {
			t.Fatal(err)
		}
		got, err := m.MRemap(nil, addr, 2*page, 3*page, MREMAP_MAYMOVE, 0)
		if err != nil || got == addr {
			t.Fatalf("mremap = %#x, %v; want a move", got, err)
		}
		if !bytes.Equal(read(t, m, got, 3*page), data[:3*page]) {
			t.Errorf("moved mapping does not show the file, new part included")
		}
		if mi := vmaInfos(m); mi[len(mi)-1].Offset != 0 || mi[len(mi)-1].End-mi[len(mi)-1].Start != 3*page {
			t.Errorf("maps = %+v", mi)
		}
		m.MUnmap(got, 3*page)
		m.MUnmap(addr, 3*page)
		if f.refs.Load() != 1 {
			t.Errorf("file refs = %d, want 1", f.refs.Load())
		}
	})
	t.Run("move and grow shared", func(t *testing.T) {
		f := newPageFile(mf, data)
		defer f.release()
		addr := fileMap(t, m, f, 0x2000_0000, 2*page, 0, protRW, true)
		got, err := m.MRemap(nil, addr, 2*page, 3*page, MREMAP_MAYMOVE|MREMAP_FIXED, 0x3000_0000)
		if err != nil || got != 0x3000_0000 {
			t.Fatalf("mremap = %#x, %v", got, err)
		}
		if !bytes.Equal(read(t, m, got, 3*page), data[:3*page]) {
			t.Errorf("moved mapping does not show the file")
		}
		m.MUnmap(got, 3*page)
		if f.refs.Load() != 1 {
			t.Errorf("file refs = %d, want 1", f.refs.Load())
		}
	})
	t.Run("duplicate shared", func(t *testing.T) {
		f := newPageFile(mf, data)
		defer f.release()
		addr := fileMap(t, m, f, 0x2000_0000, 4*page, 0, protRW, true)
		dup, err := m.MRemap(nil, addr+page, 0, 2*page, MREMAP_MAYMOVE, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.CopyOut(dup, []byte("dup")); err != nil {
			t.Fatal(err)
		}
		if got := read(t, m, addr+page, 3); string(got) != "dup" {
			t.Errorf("duplicate is not the same memory: %q", got)
		}
		var dupOff uint64 = ^uint64(0)
		for _, mi := range vmaInfos(m) {
			if mi.Start == dup {
				dupOff = mi.Offset
			}
		}
		if dupOff != page {
			t.Errorf("duplicate's file offset %#x, want %#x", dupOff, page)
		}
		m.MUnmap(addr, 4*page)
		m.MUnmap(dup, 2*page)
		if f.refs.Load() != 1 {
			t.Errorf("file refs = %d, want 1", f.refs.Load())
		}
	})
}

func TestMAdviseFileMappings(t *testing.T) {
	m, _, mf := newTestMM(t)
	data := pattern(2*page, 4)
	f := newCopyFile(bytes.Clone(data))
	addr := fileMap(t, m, f, 0, 2*page, 0, protRW, false)
	if _, err := m.CopyOut(addr, bytes.Repeat([]byte{0xaa}, 2*page)); err != nil {
		t.Fatal(err)
	}
	if err := m.MAdvise(nil, addr, 2*page, MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(read(t, m, addr, 2*page), data) {
		t.Errorf("MADV_DONTNEED did not give the private mapping its file's contents back")
	}
	if err := m.MAdvise(nil, addr, page, MADV_FREE); err != linux.EINVAL {
		t.Errorf("MADV_FREE on a file mapping = %v, want EINVAL", err)
	}
	shared := fileMap(t, m, f, 0, page, 0, protRW, true)
	if err := m.MAdvise(nil, shared, page, MADV_REMOVE); err != linux.EOPNOTSUPP {
		t.Errorf("MADV_REMOVE on a copied shared mapping = %v, want EOPNOTSUPP", err)
	}
	pf := newPageFile(mf, data)
	defer pf.release()
	ps := fileMap(t, m, pf, 0, page, 0, protRW, true)
	if err := m.MAdvise(nil, ps, page, MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(read(t, m, ps, page), data[:page]) {
		t.Errorf("MADV_DONTNEED changed a shared mapping")
	}
	if err := m.MAdvise(nil, ps, page, MADV_REMOVE); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	pf.PRead(nil, buf, 0)
	if !bytes.Equal(buf, make([]byte, 16)) {
		t.Errorf("MADV_REMOVE did not punch the file's page: %x", buf)
	}
}

func TestFileMappingErrors(t *testing.T) {
	m, _, mf := newTestMM(t)
	base := mf.Used()
	t.Run("read error", func(t *testing.T) {
		f := newCopyFile(pattern(page, 1))
		f.readErr = linux.EIO
		if _, err := m.MMap(MMapOpts{Length: page, Prot: protR, File: f}); err != linux.EIO {
			t.Errorf("mmap = %v, want EIO", err)
		}
		if f.refs.Load() != 1 {
			t.Errorf("file refs = %d, want 1", f.refs.Load())
		}
	})
	t.Run("bad ranges from the file system", func(t *testing.T) {
		f := newPageFile(mf, pattern(2*page, 1))
		defer f.release()
		f.badRanges = true
		if _, err := m.MMap(MMapOpts{Length: 2 * page, Prot: protR, Shared: true, File: f}); err != linux.EIO {
			t.Errorf("mmap = %v, want EIO", err)
		}
	})
	t.Run("offset not page aligned", func(t *testing.T) {
		if _, err := m.MMap(MMapOpts{Length: page, Prot: protR, File: newCopyFile(nil), Offset: 5}); err != linux.EINVAL {
			t.Errorf("mmap = %v, want EINVAL", err)
		}
	})
	t.Run("offset overflows", func(t *testing.T) {
		if _, err := m.MMap(MMapOpts{Length: 2 * page, Prot: protR, File: newCopyFile(nil), Offset: ^uint64(0) &^ (page - 1)}); err != linux.EOVERFLOW {
			t.Errorf("mmap = %v, want EOVERFLOW", err)
		}
	})
	t.Run("address taken", func(t *testing.T) {
		f := newCopyFile(pattern(page, 1))
		at := fileMap(t, m, f, 0x4000_0000, page, 0, protR, false)
		if _, err := m.MMap(MMapOpts{Addr: at, Length: page, Prot: protR, NoReplace: true, File: f}); err != linux.EEXIST {
			t.Errorf("mmap = %v, want EEXIST", err)
		}
		m.MUnmap(at, page)
		if f.refs.Load() != 1 {
			t.Errorf("file refs = %d, want 1", f.refs.Load())
		}
	})
	if got := mf.Used(); got != base {
		t.Errorf("memory used %d after failed mappings, want %d", got, base)
	}
}

func TestReleaseDropsFiles(t *testing.T) {
	m, _, mf := newTestMM(t)
	base := mf.Used()
	f := newCopyFile(pattern(3*page, 1))
	pf := newPageFile(mf, pattern(3*page, 2))
	fileMap(t, m, f, 0, 3*page, 0, protR, false)
	fileMap(t, m, pf, 0, 3*page, 0, protRW, true)
	m.MProtect(vmaInfos(m)[0].Start+page, page, protRW) // split one
	m.Release()
	if f.refs.Load() != 1 || pf.refs.Load() != 1 {
		t.Errorf("file refs %d, %d after Release, want 1, 1", f.refs.Load(), pf.refs.Load())
	}
	pf.release()
	if got := mf.Used(); got != base {
		t.Errorf("memory used %d after Release, want %d", got, base)
	}
}

func TestDevZeroMapping(t *testing.T) {
	m, _, _ := newTestMM(t)
	f := newCopyFile(nil)
	f.source = vfs.MMapAnonymous
	for _, tc := range []struct {
		shared bool
		name   string
	}{{false, ""}, {true, "/dev/zero (deleted)"}} {
		addr, err := m.MMap(MMapOpts{Length: page, Prot: protRW, Shared: tc.shared, File: f, Name: "/dev/zero"})
		if err != nil {
			t.Fatal(err)
		}
		var got MapInfo
		for _, mi := range vmaInfos(m) {
			if mi.Start == addr {
				got = mi
			}
		}
		if got.Name != tc.name || got.Ino != 0 {
			t.Errorf("shared=%v: maps entry %+v, want anonymous memory named %q", tc.shared, got, tc.name)
		}
	}
	if f.refs.Load() != 1 {
		t.Errorf("/dev/zero refs = %d, want 1 (anonymous memory holds none)", f.refs.Load())
	}
}
