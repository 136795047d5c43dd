package mm

import (
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

const (
	testMaxAddr  = 0x7fff_ffff_f000
	testMmapBase = 0x7f00_0000_0000
)

// fakeAS records, per page, the file, offset and protection the platform
// was told to map there.
type fakeAS struct {
	mu    sync.Mutex
	pages map[uint64]fakePTE
}

type fakePTE struct {
	off  uint64
	prot platform.Prot
	fd   int
}

func (as *fakeAS) MapFile(addr uint64, fd int, off, length uint64, prot platform.Prot) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	for p := uint64(0); p < length; p += usermem.PageSize {
		as.pages[addr+p] = fakePTE{off + p, prot, fd}
	}
	return nil
}

func (as *fakeAS) Unmap(addr, length uint64) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	for p := uint64(0); p < length; p += usermem.PageSize {
		delete(as.pages, addr+p)
	}
	return nil
}

func (as *fakeAS) Protect(addr, length uint64, prot platform.Prot) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	for p := uint64(0); p < length; p += usermem.PageSize {
		if pte, ok := as.pages[addr+p]; ok {
			pte.prot = prot
			as.pages[addr+p] = pte
		}
	}
	return nil
}

func (as *fakeAS) Release() {}

func (as *fakeAS) pte(addr uint64) (fakePTE, bool) {
	as.mu.Lock()
	defer as.mu.Unlock()
	pte, ok := as.pages[addr]
	return pte, ok
}

// newTestMM returns an empty address space on a fresh memory file.
func newTestMM(t *testing.T) (*MM, *fakeAS, *pgalloc.MemoryFile) {
	t.Helper()
	mf, err := pgalloc.New("mm-test", 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mf.Close)
	as := &fakeAS{pages: map[uint64]fakePTE{}}
	m := New(mf, as, Layout{MaxAddr: testMaxAddr, StackTop: 0x7fff_f000_0000, MmapBase: testMmapBase, PIEBase: 0x5555_5555_4000})
	return m, as, mf
}

// fakeFile is a vfs.Mappable whose data is a byte slice (MMapCopy), or,
// with pages set, lives in the memory file (MMapPages, PageMappable).
type fakeFile struct {
	vfs.FileBase
	source vfs.MMapSource
	refs   atomic.Int64
	ino    uint64

	mu      sync.Mutex
	data    []byte
	readErr error
	// For MMapPages: the file's pages in the memory file, by file page
	// offset; the file owns one reference on each.
	mf    *pgalloc.MemoryFile
	pages map[uint64]uint64
	// badRanges makes SharedPages return an empty range too.
	badRanges bool
	// regular makes Stat report a regular file, whose end matters to
	// mappings (pages beyond it raise SIGBUS).
	regular bool
}

func newCopyFile(data []byte) *fakeFile {
	f := &fakeFile{source: vfs.MMapCopy, data: data, ino: 42}
	f.refs.Store(1)
	return f
}

func newPageFile(mf *pgalloc.MemoryFile, data []byte) *fakeFile {
	f := &fakeFile{source: vfs.MMapPages, mf: mf, pages: map[uint64]uint64{}, ino: 43}
	f.refs.Store(1)
	f.pwrite(data, 0)
	return f
}

func (f *fakeFile) IncRef() { f.refs.Add(1) }
func (f *fakeFile) DecRef() {
	if f.refs.Add(-1) < 0 {
		panic("fakeFile: negative reference count")
	}
}

func (f *fakeFile) MMapSource() vfs.MMapSource { return f.source }

func (f *fakeFile) Stat() (linux.Stat, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := linux.Stat{Dev: linux.MakeDev(0, 99), Ino: f.ino, Size: int64(len(f.data))}
	if f.regular {
		st.Mode = linux.S_IFREG | 0o644
	}
	return st, nil
}

// page returns the memory-file offset of file page p, allocating it.
//
// Preconditions: f.mu is held.
func (f *fakeFile) page(p uint64) uint64 {
	off, ok := f.pages[p]
	if !ok {
		var err error
		if off, err = f.mf.Allocate(usermem.PageSize); err != nil {
			panic(err)
		}
		f.pages[p] = off
	}
	return off
}

func (f *fakeFile) pwrite(src []byte, off uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pages == nil {
		if end := int(off) + len(src); end > len(f.data) {
			f.data = append(f.data, make([]byte, end-len(f.data))...)
		}
		copy(f.data[off:], src)
		return
	}
	for i := 0; i < len(src); {
		a := off + uint64(i)
		po := a % usermem.PageSize
		n := copy(f.mf.Bytes(f.page(a-po)+po, usermem.PageSize-po), src[i:])
		i += n
	}
	if end := int(off) + len(src); end > len(f.data) {
		f.data = make([]byte, end) // only the size matters for page files
	}
}

func (f *fakeFile) PRead(b vfs.Blocker, dst []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.readErr != nil {
		return 0, f.readErr
	}
	if off >= int64(len(f.data)) {
		return 0, nil
	}
	n := min(len(dst), len(f.data)-int(off))
	if f.pages == nil {
		return copy(dst, f.data[off:int(off)+n]), nil
	}
	for i := 0; i < n; {
		a := uint64(off) + uint64(i)
		po := a % usermem.PageSize
		src := make([]byte, usermem.PageSize-po)
		if pg, ok := f.pages[a-po]; ok {
			copy(src, f.mf.Bytes(pg+po, usermem.PageSize-po))
		}
		i += copy(dst[i:n], src)
	}
	return n, nil
}

func (f *fakeFile) SharedPages(off, length uint64) ([]vfs.MemoryRange, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []vfs.MemoryRange
	for p := off; p < off+length; p += usermem.PageSize {
		pg := f.page(p)
		f.mf.IncRef(pg, usermem.PageSize)
		if n := len(out); n > 0 && out[n-1].Offset+out[n-1].Length == pg {
			out[n-1].Length += usermem.PageSize
		} else {
			out = append(out, vfs.MemoryRange{Offset: pg, Length: usermem.PageSize})
		}
	}
	if f.badRanges {
		out = append(out, vfs.MemoryRange{Offset: out[0].Offset})
	}
	return out, nil
}

// release frees the file's pages (its own references).
func (f *fakeFile) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, off := range f.pages {
		f.mf.Free(off, usermem.PageSize)
	}
	f.pages = map[uint64]uint64{}
}

// pattern returns n recognisable bytes.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed | 1
	}
	return b
}

// read reads application memory through mm, failing the test on error.
func read(t *testing.T, m *MM, addr uint64, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if err := m.Peek(addr, b); err != nil {
		t.Fatalf("read %#x+%d: %v", addr, n, err)
	}
	return b
}

// vmaInfos returns what /proc/PID/maps would show.
func vmaInfos(m *MM) []MapInfo {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []MapInfo
	for _, v := range m.vmas {
		out = append(out, vmaMapInfo(v))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}
