package mm

import (
	"bytes"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

func TestBeyondEOF(t *testing.T) {
	for _, tc := range []struct {
		name   string
		page   bool // an MMapPages file
		shared bool
	}{
		{"copy file, private", false, false},
		{"page file, private", true, false},
		{"page file, shared", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, as, mf := newTestMM(t)
			data := pattern(page+10, 3)
			f := newCopyFile(bytes.Clone(data))
			if tc.page {
				f = newPageFile(mf, data)
				defer f.release()
			}
			f.regular = true
			addr := fileMap(t, m, f, 0, 4*page, 0, protRW, tc.shared)
			// The page holding the end of file is there, zero after it.
			want := make([]byte, 2*page)
			copy(want, data)
			if got := read(t, m, addr, 2*page); !bytes.Equal(got, want) {
				t.Errorf("the first two pages do not hold the file then zeros")
			}
			for p := uint64(2); p < 4; p++ {
				if _, ok := as.pte(addr + p*page); ok {
					t.Errorf("page %d, beyond the end of file, is mapped", p)
				}
			}
			if _, err := m.CopyIn(addr+2*page, make([]byte, 1)); err != linux.EFAULT {
				t.Errorf("copy-in beyond the end of file: %v, want EFAULT", err)
			}
			if mi := vmaInfos(m); len(mi) != 2 || mi[1].Start != addr+2*page || mi[1].Offset != 2*page || mi[1].Name != "/file" {
				t.Errorf("maps = %+v, want the mapping in two parts at the end of file", mi)
			}
			for _, fc := range []struct {
				addr        uint64
				write, exec bool
				want        FaultResult
			}{
				{addr + 2*page, false, false, FaultBus},
				{addr + 3*page + 5, true, false, FaultBus},
				{addr + 2*page, false, true, FaultSegv},  // not executable
				{addr + 5*page, false, false, FaultSegv}, // not mapped
				{addr, false, true, FaultSegv},           // mapped but not executable: a real fault
				{addr, false, false, FaultRetry},         // allowed and mapped: a stale platform mapping
			} {
				if got := m.HandleFault(nil, fc.addr, fc.write, fc.exec); got != fc.want {
					t.Errorf("fault at %#x (write %v, exec %v) = %v, want %v", fc.addr, fc.write, fc.exec, got, fc.want)
				}
			}
			// The file grows over page 2: a fault brings it in.
			f.pwrite(pattern(page, 9), 2*page)
			if got := m.HandleFault(nil, addr+2*page+1, false, false); got != FaultRetry {
				t.Fatalf("fault after growth = %v, want FaultRetry", got)
			}
			if _, ok := as.pte(addr + 2*page); !ok {
				t.Errorf("page 2 is not mapped after the fault")
			}
			if got := read(t, m, addr+2*page, page); !bytes.Equal(got, pattern(page, 9)) {
				t.Errorf("page 2 does not hold the file's new data")
			}
			if got := m.HandleFault(nil, addr+3*page, false, false); got != FaultBus {
				t.Errorf("fault at page 3 after growth = %v, want FaultBus", got)
			}
			// Shrinking takes the pages beyond the new end away.
			m.mu.Lock()
			m.shrinkLocked(page, func(g vfs.FileDescription) bool { return g == vfs.FileDescription(f) })
			m.unlock()
			if _, ok := as.pte(addr + page); ok {
				t.Errorf("page 1 is still mapped after it was dropped")
			}
			if _, err := m.CopyIn(addr+page, make([]byte, 1)); err != linux.EFAULT {
				t.Errorf("copy-in from a dropped page: %v, want EFAULT", err)
			}
			if err := m.MUnmap(addr, 4*page); err != nil {
				t.Fatal(err)
			}
			if len(m.vmas) != 0 {
				t.Errorf("vmas left after munmap: %d", len(m.vmas))
			}
			if f.refs.Load() != 1 {
				t.Errorf("file refs = %d after munmap, want 1", f.refs.Load())
			}
		})
	}
}

func TestBeyondEOFMProtectAndMRemap(t *testing.T) {
	m, as, _ := newTestMM(t)
	f := newCopyFile(pattern(page, 1))
	f.regular = true
	addr := fileMap(t, m, f, 0, 2*page, 0, protR, false)
	if err := m.MProtect(addr, 2*page, protRW); err != nil {
		t.Fatalf("mprotect over a part beyond the end of file: %v", err)
	}
	if pte, ok := as.pte(addr); !ok || pte.prot != protRW {
		t.Errorf("page 0 = %+v, %v after mprotect", pte, ok)
	}
	// Growing the part beyond the end of file keeps it beyond.
	if _, err := m.MRemap(nil, addr+page, page, 3*page, 0, 0); err != nil {
		t.Fatalf("mremap: %v", err)
	}
	if r := m.HandleFault(nil, addr+3*page, false, false); r != FaultBus {
		t.Errorf("fault in the grown part = %v, want FaultBus", r)
	}
	if _, ok := as.pte(addr + 3*page); ok {
		t.Errorf("the grown part is mapped")
	}
	got := addr
	if err := m.MUnmap(got, 4*page); err != nil {
		t.Fatal(err)
	}
	if f.refs.Load() != 1 {
		t.Errorf("file refs = %d after munmap, want 1", f.refs.Load())
	}
}

func TestNameMapping(t *testing.T) {
	m, _, _ := newTestMM(t)
	addr, err := m.MapAnonymous(0, 3*page, protRX, false, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.NameMapping(addr, 2*page, 0x5000, "/bin/x", linux.MakeDev(0, 7), 77); err != nil {
		t.Fatal(err)
	}
	// mprotect splits the named part; the offsets follow.
	if err := m.MProtect(addr+page, page, protR); err != nil {
		t.Fatal(err)
	}
	mi := vmaInfos(m)
	want := []MapInfo{
		{Start: addr, End: addr + page, Read: true, Exec: true, Offset: 0x5000, Dev: linux.MakeDev(0, 7), Ino: 77, Name: "/bin/x"},
		{Start: addr + page, End: addr + 2*page, Read: true, Offset: 0x6000, Dev: linux.MakeDev(0, 7), Ino: 77, Name: "/bin/x"},
		{Start: addr + 2*page, End: addr + 3*page, Read: true, Exec: true},
	}
	if len(mi) != len(want) {
		t.Fatalf("maps = %+v, want %+v", mi, want)
	}
	for i := range want {
		if mi[i] != want[i] {
			t.Errorf("maps[%d] = %+v, want %+v", i, mi[i], want[i])
		}
	}
	if err := m.NameMapping(addr+3*page, page, 0, "/bin/x", 0, 77); err != linux.ENOMEM {
		t.Errorf("naming an unmapped range: %v, want ENOMEM", err)
	}
}
