package mm

import (
	"bytes"
	"testing"

	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// foreignFile is a page file whose pages live in a memory file of its own
// (as tmpfs over a filestore does).
type foreignFile struct{ *fakeFile }

func (f foreignFile) SharedPagesWithFile(off, length uint64) ([]vfs.MemoryRange, *pgalloc.MemoryFile, error) {
	rs, err := f.SharedPages(off, length)
	return rs, f.mf, err
}

var _ MemoryFileMappable = foreignFile{}

// checkMapped checks that [addr, addr+n pages) is mapped from f's own pages
// in f's memory file.
func checkMapped(t *testing.T, as *fakeAS, f *fakeFile, addr uint64, n int) {
	t.Helper()
	for p := uint64(0); p < uint64(n); p++ {
		pte, ok := as.pte(addr + p*page)
		f.mu.Lock()
		want := f.pages[p*page]
		f.mu.Unlock()
		if !ok || pte.fd != f.mf.FD() || pte.off != want {
			t.Errorf("page %d: mapped %+v (%v), want fd %d offset %#x", p, pte, ok, f.mf.FD(), want)
		}
	}
}

func TestSharedMappingOfSecondMemoryFile(t *testing.T) {
	m, as, mf := newTestMM(t)
	second, err := pgalloc.New("mm-test-second", 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(second.Close)
	base := mf.Used()
	f := newPageFile(second, pattern(2*page, 3))
	ff := foreignFile{f}
	addr, err := m.MMap(MMapOpts{Length: 3 * page, Prot: protRW, Shared: true, File: ff, Name: "/upper"})
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	checkMapped(t, as, f, addr, 3)
	if mf.Used() != base {
		t.Errorf("a shared mapping of the second file took %d bytes of the main one", mf.Used()-base)
	}

	// Copy-out and copy-in go to the second file's pages.
	if _, err := m.CopyOut(addr+page+3, []byte("upper")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	f.PRead(nil, buf, page+3)
	if string(buf) != "upper" {
		t.Errorf("file reads %q after a write through the mapping", buf)
	}
	// Shared futex keys tell the second file's page from the main
	// file's page at the same offset.
	key, err := m.FileOffset(addr)
	f.mu.Lock()
	off0 := f.pages[0]
	f.mu.Unlock()
	if err != nil || key != second.Key(off0) || key == mf.Key(off0) {
		t.Errorf("FileOffset = %#x, %v; want %#x (not %#x)", key, err, second.Key(off0), mf.Key(off0))
	}

	// A fork shares the pages; mremap keeps naming the second file.
	cas := &fakeAS{pages: map[uint64]fakePTE{}}
	child, err := m.Fork(cas)
	if err != nil {
		t.Fatal(err)
	}
	checkMapped(t, cas, f, addr, 3)
	moved, err := child.MRemap(nil, addr, 3*page, 3*page, MREMAP_MAYMOVE|MREMAP_FIXED, addr+64*page)
	if err != nil {
		t.Fatalf("mremap: %v", err)
	}
	checkMapped(t, cas, f, moved, 3)
	if got := read(t, child, moved+page+3, 5); string(got) != "upper" {
		t.Errorf("moved mapping reads %q", got)
	}
	// A write fault in the shared mapping only maps the page again.
	if r := child.HandleFault(nil, moved, true, false); r != FaultRetry {
		t.Errorf("fault on a mapped shared page = %v, want FaultRetry", r)
	}
	checkMapped(t, cas, f, moved, 1)
	child.Release()

	// MADV_REMOVE punches the hole in the second file.
	if err := m.MAdvise(nil, addr+page, page, MADV_REMOVE); err != nil {
		t.Fatal(err)
	}
	f.PRead(nil, buf, page+3)
	if !bytes.Equal(buf, make([]byte, 5)) {
		t.Errorf("file reads %q after MADV_REMOVE", buf)
	}

	// A private mapping copies into the address space's own file.
	priv, err := m.MMap(MMapOpts{Length: page, Prot: protRW, File: ff, Name: "/upper"})
	if err != nil {
		t.Fatal(err)
	}
	if pte, _ := as.pte(priv); pte.fd != mf.FD() {
		t.Errorf("private mapping mapped from fd %d, want the main file %d", pte.fd, mf.FD())
	}

	// Unmapping gives every reference back.
	if err := m.MUnmap(addr, 3*page); err != nil {
		t.Fatal(err)
	}
	if err := m.MUnmap(priv, page); err != nil {
		t.Fatal(err)
	}
	f.release()
	if second.Used() != 0 || mf.Used() != base {
		t.Errorf("memory used after everything is unmapped: second %d, main %d (want 0, %d)", second.Used(), mf.Used(), base)
	}
}
