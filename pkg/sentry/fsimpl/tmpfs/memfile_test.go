package tmpfs

import (
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// TestFilestorePages checks a tmpfs whose data is in a memory file on disk
// (an overlay's upper layer over a filestore): its pages are had only with
// the memory file they are in.
func TestFilestorePages(t *testing.T) {
	fd, err := unix.Open(t.TempDir(), unix.O_RDWR|unix.O_TMPFILE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	mf, err := pgalloc.NewFromFD(fd, "tmpfs-filestore-test", 1<<24)
	if err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	t.Cleanup(mf.Close)
	v := vfs.New()
	fs, root := NewFilesystem(v, mf, Options{})
	ns := v.NewMountNamespace(fs, root, "tmpfs", vfs.MountFlags{})
	e := &env{t: t, v: v, mf: mf, ns: ns, fs: fs.Impl().(*filesystem), ctx: rootCtx()}

	f := e.mustOpen("/f", linux.O_CREAT|linux.O_RDWR)
	mustWrite(t, f, []byte("on disk"), 0)
	// A caller that takes the pages to be in the main memory file gets
	// none.
	if _, err := f.SharedPages(0, pageSize); err != linux.ENODEV {
		t.Errorf("SharedPages of a file over a filestore = %v, want ENODEV", err)
	}
	ranges, got, err := f.SharedPagesWithFile(0, pageSize)
	if err != nil || got != mf || len(ranges) != 1 {
		t.Fatalf("SharedPagesWithFile = %v, %p, %v; want one range of %p", ranges, got, err, mf)
	}
	if s := string(mf.Bytes(ranges[0].Offset, 7)); s != "on disk" {
		t.Errorf("the filestore holds %q where the file's page is", s)
	}
	mf.Free(ranges[0].Offset, ranges[0].Length)
}
