package mm

import (
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

func TestASLimit(t *testing.T) {
	m, _, _ := newTestMM(t)
	m.SetASLimit(4 * 4096)
	a, err := m.MMap(MMapOpts{Length: 3 * 4096, Prot: rw})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.MMap(MMapOpts{Length: 2 * 4096, Prot: rw}); err != linux.ENOMEM {
		t.Errorf("mmap beyond RLIMIT_AS = %v, want ENOMEM", err)
	}
	// Replacing mapped pages in place does not grow the address space.
	if _, err := m.MMap(MMapOpts{Addr: a, Length: 3 * 4096, Prot: rw, Fixed: true}); err != nil {
		t.Errorf("MAP_FIXED over existing pages: %v", err)
	}
	if _, err := m.MRemap(nil, a, 3*4096, 5*4096, MREMAP_MAYMOVE, 0); err != linux.ENOMEM {
		t.Errorf("mremap beyond RLIMIT_AS = %v, want ENOMEM", err)
	}
	if _, err := m.MMap(MMapOpts{Length: 4096, Prot: rw}); err != nil {
		t.Errorf("mmap up to the limit: %v", err)
	}
	m.Release()
}
