package mm

import (
	"bytes"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/platform"
)

var rw = platform.Prot{Read: true, Write: true}

// forkTest maps one private and one shared anonymous page in a new mm,
// writes "before" in both and forks it.
func forkTest(t *testing.T) (parent, child *MM, pas, cas *fakeAS, priv, shared uint64) {
	t.Helper()
	parent, pas, _ = newTestMM(t)
	priv, err := parent.MMap(MMapOpts{Length: 2 * 4096, Prot: rw})
	if err != nil {
		t.Fatal(err)
	}
	shared, err = parent.MMap(MMapOpts{Length: 4096, Prot: rw, Shared: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []uint64{priv, shared} {
		if _, err := parent.CopyOut(a, []byte("before")); err != nil {
			t.Fatal(err)
		}
	}
	cas = &fakeAS{pages: map[uint64]fakePTE{}}
	child, err = parent.Fork(cas)
	if err != nil {
		t.Fatal(err)
	}
	return
}

func TestForkPrivateIsCopiedOnWrite(t *testing.T) {
	parent, child, pas, cas, priv, shared := forkTest(t)
	// Both sides see the same pages, mapped read-only where private.
	for _, as := range []*fakeAS{pas, cas} {
		pte, ok := as.pte(priv)
		if !ok || pte.prot.Write || !pte.prot.Read {
			t.Errorf("private page after fork: %+v, %v; want read-only", pte, ok)
		}
		if pte, _ := as.pte(shared); !pte.prot.Write {
			t.Errorf("shared page after fork lost write: %+v", pte)
		}
	}
	if p, c := func() (fakePTE, fakePTE) { a, _ := pas.pte(priv); b, _ := cas.pte(priv); return a, b }(); p.off != c.off {
		t.Errorf("private page copied at fork: parent off %#x, child %#x", p.off, c.off)
	}
	// The child writes: the fault breaks the sharing for it alone.
	if r := child.HandleFault(nil, priv, true, false); r != FaultRetry {
		t.Fatalf("write fault on copy-on-write memory = %v, want FaultRetry", r)
	}
	if pte, _ := cas.pte(priv); !pte.prot.Write {
		t.Errorf("child page not writable after the fault: %+v", pte)
	}
	if _, err := child.CopyOut(priv, []byte("child!")); err != nil {
		t.Fatal(err)
	}
	if _, err := child.CopyOut(shared, []byte("shared")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, parent, priv, 6); !bytes.Equal(got, []byte("before")) {
		t.Errorf("parent sees %q after the child's private write", got)
	}
	if got := read(t, parent, shared, 6); !bytes.Equal(got, []byte("shared")) {
		t.Errorf("parent sees %q in shared memory, want the child's write", got)
	}
	if got := read(t, child, priv, 6); !bytes.Equal(got, []byte("child!")) {
		t.Errorf("child sees %q", got)
	}
	// The parent is now the pages' only user: its write needs no copy.
	before, _ := pas.pte(priv)
	if _, err := parent.CopyOut(priv+4096, []byte("x")); err != nil {
		t.Fatal(err)
	}
	after, _ := pas.pte(priv)
	if !after.prot.Write || after.off != before.off {
		t.Errorf("parent's exclusive write: pte %+v, before %+v; want same page, writable", after, before)
	}
	child.Release()
	parent.Release()
}

func TestForkSentryWriteBreaksSharing(t *testing.T) {
	parent, child, _, _, priv, _ := forkTest(t)
	// A system call writing into the parent's memory (copy-out) must
	// not show through in the child.
	if _, err := parent.CopyOut(priv, []byte("parent")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, child, priv, 6); !bytes.Equal(got, []byte("before")) {
		t.Errorf("child sees %q after the parent's copy-out", got)
	}
	if _, err := parent.CompareAndSwapUint32(priv+8, 0, 7); err != nil {
		t.Fatal(err)
	}
	if v, _ := child.LoadUint32(priv + 8); v != 0 {
		t.Errorf("child sees the parent's atomic store: %d", v)
	}
	child.Release()
	parent.Release()
}

func TestForkReleasesPages(t *testing.T) {
	parent, child, _, _, _, _ := forkTest(t)
	used := parent.mf.Used()
	child.Release()
	if parent.mf.Used() != used {
		t.Errorf("child release freed shared pages: used %d, was %d", parent.mf.Used(), used)
	}
	parent.Release()
	if parent.mf.Used() != 0 {
		t.Errorf("%d bytes still allocated after both released", parent.mf.Used())
	}
}

func TestForkAdvice(t *testing.T) {
	parent, _, _ := newTestMM(t)
	dont, err := parent.MMap(MMapOpts{Length: 4096, Prot: rw})
	if err != nil {
		t.Fatal(err)
	}
	wipe, err := parent.MMap(MMapOpts{Length: 4096, Prot: rw})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []uint64{dont, wipe} {
		parent.CopyOut(a, []byte("data"))
	}
	if err := parent.MAdvise(nil, dont, 4096, MADV_DONTFORK); err != nil {
		t.Fatal(err)
	}
	if err := parent.MAdvise(nil, wipe, 4096, MADV_WIPEONFORK); err != nil {
		t.Fatal(err)
	}
	shared, _ := parent.MMap(MMapOpts{Length: 4096, Prot: rw, Shared: true})
	if err := parent.MAdvise(nil, shared, 4096, MADV_WIPEONFORK); err != linux.EINVAL {
		t.Errorf("MADV_WIPEONFORK on shared memory = %v, want EINVAL", err)
	}
	child, err := parent.Fork(&fakeAS{pages: map[uint64]fakePTE{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := child.CopyIn(dont, make([]byte, 1)); err != linux.EFAULT {
		t.Errorf("MADV_DONTFORK range in the child: %v, want EFAULT (unmapped)", err)
	}
	if got := read(t, child, wipe, 4); !bytes.Equal(got, make([]byte, 4)) {
		t.Errorf("MADV_WIPEONFORK range in the child = %q, want zeros", got)
	}
	if got := read(t, parent, wipe, 4); string(got) != "data" {
		t.Errorf("parent's MADV_WIPEONFORK range = %q", got)
	}
	child.Release()
	parent.Release()
}
