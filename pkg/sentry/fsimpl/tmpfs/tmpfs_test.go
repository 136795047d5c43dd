package tmpfs

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// testCtx is the vfs.Context of the tests: a task with fixed credentials
// that never blocks on host FDs.
type testCtx struct{ creds *auth.Credentials }

func (c *testCtx) Credentials() *auth.Credentials { return c.creds }

func (c *testCtx) BlockFD(fd int, events int16) error { return linux.EINVAL }

func (c *testCtx) Block(ch <-chan struct{}, deadline time.Time) error {
	<-ch
	return nil
}

func rootCtx() *testCtx { return &testCtx{creds: auth.Root()} }

// env is a VFS with one tmpfs mount as its root.
type env struct {
	t   *testing.T
	v   *vfs.VirtualFilesystem
	mf  *pgalloc.MemoryFile
	ns  *vfs.MountNamespace
	fs  *filesystem
	ctx *testCtx
}

// testCapacity is the memory file size of the tests: enough for the
// large-file test, sparse like the real one.
const testCapacity = 1 << 30

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	mf, err := pgalloc.New("tmpfs-test", testCapacity)
	if err != nil {
		t.Fatalf("pgalloc.New: %v", err)
	}
	t.Cleanup(mf.Close)
	v := vfs.New()
	fs, root := NewFilesystem(v, mf, opts)
	ns := v.NewMountNamespace(fs, root, "tmpfs", vfs.MountFlags{})
	return &env{t: t, v: v, mf: mf, ns: ns, fs: fs.Impl().(*filesystem), ctx: rootCtx()}
}

func (e *env) pop(path string) *vfs.PathOperation {
	root := e.ns.Root()
	return &vfs.PathOperation{Root: root, Start: root, Path: path, FollowFinal: true}
}

// open opens path with flags (and mode 0644 if created).
func (e *env) open(path string, flags uint32) (vfs.FileDescription, error) {
	return e.v.OpenAt(e.ctx, e.pop(path), vfs.OpenOptions{Flags: flags, Mode: 0644})
}

func (e *env) mustOpen(path string, flags uint32) *RegularFile {
	e.t.Helper()
	f, err := e.open(path, flags)
	if err != nil {
		e.t.Fatalf("open %q: %v", path, err)
	}
	rf, ok := f.(*RegularFile)
	if !ok {
		e.t.Fatalf("open %q: got %T", path, f)
	}
	e.t.Cleanup(rf.DecRef)
	return rf
}

func (e *env) stat(path string) linux.Statx {
	e.t.Helper()
	p := e.pop(path)
	p.FollowFinal = false
	st, err := e.v.StatAt(e.ctx, p)
	if err != nil {
		e.t.Fatalf("stat %q: %v", path, err)
	}
	return st
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

func mustWrite(t *testing.T, f vfs.FileDescription, b []byte, off int64) {
	t.Helper()
	n, err := f.PWrite(nil, b, off)
	if err != nil || n != len(b) {
		t.Fatalf("pwrite %d at %d = %d, %v", len(b), off, n, err)
	}
}

func mustRead(t *testing.T, f vfs.FileDescription, n int, off int64) []byte {
	t.Helper()
	b := make([]byte, n)
	got, err := f.PRead(nil, b, off)
	if err != nil {
		t.Fatalf("pread %d at %d: %v", n, off, err)
	}
	return b[:got]
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) || (want == nil) != (err == nil) {
		t.Errorf("%s: got %v, want %v", what, err, want)
	}
}

func TestSparseReadWrite(t *testing.T) {
	e := newEnv(t, Options{})
	f := e.mustOpen("/f", linux.O_CREAT|linux.O_RDWR)
	mustWrite(t, f, []byte("abc"), 3*pageSize+10)
	st := e.stat("/f")
	if st.Size != 3*pageSize+13 || st.Blocks != 8 {
		t.Errorf("size %d blocks %d, want %d and 8", st.Size, st.Blocks, 3*pageSize+13)
	}
	got := mustRead(t, f, 4*pageSize, 0)
	want := make([]byte, 3*pageSize+13)
	copy(want[3*pageSize+10:], "abc")
	if !bytes.Equal(got, want) {
		t.Errorf("read back differs (len %d, want %d)", len(got), len(want))
	}
	if b := mustRead(t, f, 10, 1<<40); len(b) != 0 {
		t.Errorf("read beyond EOF = %d bytes", len(b))
	}
	// A write across a page boundary allocates both pages.
	mustWrite(t, f, pattern(100, 1), pageSize-50)
	if st := e.stat("/f"); st.Blocks != 24 {
		t.Errorf("blocks after second write = %d, want 24", st.Blocks)
	}
	if got := mustRead(t, f, 100, pageSize-50); !bytes.Equal(got, pattern(100, 1)) {
		t.Errorf("page-crossing write read back differs")
	}
}

func TestOffsetReadWriteAppend(t *testing.T) {
	e := newEnv(t, Options{})
	f := e.mustOpen("/f", linux.O_CREAT|linux.O_RDWR)
	if n, err := f.Write(nil, []byte("hello")); n != 5 || err != nil {
		t.Fatalf("write = %d, %v", n, err)
	}
	if off, err := f.Seek(0, linux.SEEK_CUR); off != 5 || err != nil {
		t.Fatalf("offset after write = %d, %v", off, err)
	}
	f.Seek(1, linux.SEEK_SET)
	b := make([]byte, 10)
	if n, _ := f.Read(nil, b); string(b[:n]) != "ello" {
		t.Errorf("read = %q", b[:n])
	}
	a := e.mustOpen("/f", linux.O_WRONLY|linux.O_APPEND)
	if n, err := a.Write(nil, []byte("!!")); n != 2 || err != nil {
		t.Fatalf("append = %d, %v", n, err)
	}
	if off, _ := a.Seek(0, linux.SEEK_CUR); off != 7 {
		t.Errorf("offset after append = %d, want 7", off)
	}
	// pwrite on an O_APPEND file appends (Linux).
	if n, err := a.PWrite(nil, []byte("?"), 0); n != 1 || err != nil {
		t.Fatalf("pwrite append = %d, %v", n, err)
	}
	if got := mustRead(t, f, 100, 0); string(got) != "hello!!?" {
		t.Errorf("content = %q", got)
	}
	if _, err := a.Read(nil, b); err != linux.EBADF {
		t.Errorf("read of O_WRONLY file: %v, want EBADF", err)
	}
	r := e.mustOpen("/f", linux.O_RDONLY)
	if _, err := r.Write(nil, b); err != linux.EBADF {
		t.Errorf("write of O_RDONLY file: %v, want EBADF", err)
	}
}

func TestLargeFile(t *testing.T) {
	e := newEnv(t, Options{})
	base := e.mf.Used()
	f, err := e.open("/big", linux.O_CREAT|linux.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	const chunk = 1 << 20
	const total = 100 << 20
	// Every chunk is the same pattern stamped with its index.
	data := pattern(chunk, 5)
	stamped := func(off int) []byte {
		copy(data, fmt.Sprintf("chunk %03d", off>>20))
		return data
	}
	for off := 0; off < total; off += chunk {
		if n, err := f.Write(nil, stamped(off)); n != chunk || err != nil {
			t.Fatalf("write at %d = %d, %v", off, n, err)
		}
	}
	r := f.(*RegularFile).inode
	r.dataMu.RLock()
	nExt := len(r.extents)
	r.dataMu.RUnlock()
	// Sequential writes of a file nothing else allocates around must
	// stay a handful of extents (they merge).
	if nExt > 4 {
		t.Errorf("100 MB sequential file has %d extents", nExt)
	}
	if st := e.stat("/big"); st.Size != total || st.Blocks != total/512 {
		t.Errorf("size %d blocks %d", st.Size, st.Blocks)
	}
	if used := e.mf.Used() - base; used != total {
		t.Errorf("memory file use %d, want %d", used, total)
	}
	buf := make([]byte, chunk)
	for off := 0; off < total; off += chunk {
		if n, err := f.PRead(nil, buf, int64(off)); n != chunk || err != nil || !bytes.Equal(buf, stamped(off)) {
			t.Fatalf("read back at %d: n=%d err=%v", off, n, err)
		}
	}
	// Unlinking keeps the data while the file is open; closing frees it.
	if err := e.v.UnlinkAt(e.ctx, e.pop("/big")); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.PRead(nil, buf[:10], total-10); n != 10 {
		t.Errorf("read of unlinked open file = %d", n)
	}
	f.DecRef()
	if used := e.mf.Used(); used != base {
		t.Errorf("memory file use after close %d, want %d", used, base)
	}
	if e.fs.usedPages.Load() != 0 {
		t.Errorf("fs still accounts %d pages", e.fs.usedPages.Load())
	}
}

func TestManySmallFiles(t *testing.T) {
	e := newEnv(t, Options{})
	for i := 0; i < 2000; i++ {
		f, err := e.open(fmt.Sprintf("/f%d", i), linux.O_CREAT|linux.O_RDWR)
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(t, f, []byte(fmt.Sprint(i)), 0)
		f.DecRef()
	}
	for i := 0; i < 2000; i += 199 {
		f := e.mustOpen(fmt.Sprintf("/f%d", i), linux.O_RDONLY)
		if got := mustRead(t, f, 10, 0); string(got) != fmt.Sprint(i) {
			t.Errorf("f%d = %q", i, got)
		}
	}
	if got := e.fs.usedPages.Load(); got != 2000 {
		t.Errorf("pages = %d, want 2000", got)
	}
}

func TestTruncate(t *testing.T) {
	e := newEnv(t, Options{})
	f := e.mustOpen("/f", linux.O_CREAT|linux.O_RDWR)
	mustWrite(t, f, pattern(3*pageSize, 9), 0)
	vd := f.VirtualDentry()
	trunc := func(size uint64) {
		t.Helper()
		if err := e.v.Truncate(e.ctx, vd, size); err != nil {
			t.Fatalf("truncate %d: %v", size, err)
		}
	}
	trunc(100)
	if st := e.stat("/f"); st.Size != 100 || st.Blocks != 8 {
		t.Errorf("after shrink: size %d blocks %d", st.Size, st.Blocks)
	}
	trunc(2 * pageSize)
	got := mustRead(t, f, 3*pageSize, 0)
	if len(got) != 2*pageSize || !bytes.Equal(got[:100], pattern(100, 9)) || !bytes.Equal(got[100:], make([]byte, 2*pageSize-100)) {
		t.Errorf("grown file does not read as the kept bytes then zeros")
	}
	if st := e.stat("/f"); st.Blocks != 8 {
		t.Errorf("growing allocated pages: blocks %d", st.Blocks)
	}
	trunc(0)
	if st := e.stat("/f"); st.Size != 0 || st.Blocks != 0 {
		t.Errorf("after truncate to 0: size %d blocks %d", st.Size, st.Blocks)
	}
	if err := e.v.Truncate(e.ctx, vd, linux.MAX_LFS_FILESIZE+1); err != linux.EFBIG {
		t.Errorf("truncate beyond MAX_LFS_FILESIZE: %v, want EFBIG", err)
	}
	trunc(linux.MAX_LFS_FILESIZE)
	if off, err := f.Seek(0, linux.SEEK_END); err != nil || off != linux.MAX_LFS_FILESIZE {
		t.Errorf("SEEK_END of a maximal file = %d, %v", off, err)
	}
}

func TestWriteLimits(t *testing.T) {
	e := newEnv(t, Options{})
	f := e.mustOpen("/f", linux.O_CREAT|linux.O_RDWR)
	if _, err := f.PWrite(nil, []byte("x"), linux.MAX_LFS_FILESIZE); err != linux.EFBIG {
		t.Errorf("write at MAX_LFS_FILESIZE: %v, want EFBIG", err)
	}
	if n, err := f.PWrite(nil, []byte("xy"), linux.MAX_LFS_FILESIZE-1); n != 1 || err != nil {
		t.Errorf("write across MAX_LFS_FILESIZE = %d, %v; want 1 byte", n, err)
	}
	if st := e.stat("/f"); st.Size != linux.MAX_LFS_FILESIZE || st.Blocks != 8 {
		t.Errorf("size %d blocks %d", st.Size, st.Blocks)
	}
	if _, err := f.PWrite(nil, []byte("x"), -1); err != linux.EINVAL {
		t.Errorf("pwrite at -1: %v", err)
	}
}

func TestSeek(t *testing.T) {
	e := newEnv(t, Options{})
	f := e.mustOpen("/f", linux.O_CREAT|linux.O_RDWR)
	mustWrite(t, f, []byte("0123456789"), 0)
	for _, tc := range []struct {
		off    int64
		whence int
		want   int64
		err    error
	}{
		{3, linux.SEEK_SET, 3, nil},
		{2, linux.SEEK_CUR, 5, nil},
		{-1, linux.SEEK_END, 9, nil},
		{-20, linux.SEEK_END, 0, linux.EINVAL},
		{-1, linux.SEEK_SET, 0, linux.EINVAL},
		{linux.MAX_LFS_FILESIZE, linux.SEEK_END, 0, linux.EINVAL},
		{0, 5, 0, linux.EINVAL},
		{100, linux.SEEK_SET, 100, nil},
		{10, linux.SEEK_DATA, 0, linux.ENXIO},
		{-1, linux.SEEK_HOLE, 0, linux.ENXIO},
		{4, linux.SEEK_HOLE, 10, nil},
	} {
		got, err := f.Seek(tc.off, tc.whence)
		if err != tc.err || (err == nil && got != tc.want) {
			t.Errorf("lseek(%d, %d) = %d, %v; want %d, %v", tc.off, tc.whence, got, err, tc.want, tc.err)
		}
	}
}

// TestSeekDataHole follows what Linux 6.x tmpfs answers (checked
// natively): fallocated pages are holes until written.
func TestSeekDataHole(t *testing.T) {
	e := newEnv(t, Options{})
	f := e.mustOpen("/f", linux.O_CREAT|linux.O_RDWR)
	if err := f.Allocate(e.ctx, linux.FALLOC_FL_KEEP_SIZE, 0, 2*pageSize); err != nil {
		t.Fatal(err)
	}
	if st := e.stat("/f"); st.Size != 0 || st.Blocks != 16 {
		t.Errorf("KEEP_SIZE fallocate: size %d blocks %d", st.Size, st.Blocks)
	}
	if err := e.v.Truncate(e.ctx, f.VirtualDentry(), 3*pageSize); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, linux.SEEK_DATA); err != linux.ENXIO {
		t.Errorf("SEEK_DATA over fallocated pages: %v, want ENXIO", err)
	}
	mustWrite(t, f, []byte("x"), pageSize+5)
	for _, tc := range []struct {
		off    int64
		whence int
		want   int64
		err    error
	}{
		{0, linux.SEEK_DATA, pageSize, nil},
		{pageSize + 5, linux.SEEK_HOLE, 2 * pageSize, nil},
		{pageSize + 5, linux.SEEK_DATA, pageSize + 5, nil},
		{3 * pageSize, linux.SEEK_HOLE, 0, linux.ENXIO},
		{2*pageSize + 1, linux.SEEK_DATA, 0, linux.ENXIO},
		{0, linux.SEEK_HOLE, 0, nil},
	} {
		got, err := f.Seek(tc.off, tc.whence)
		if err != tc.err || (err == nil && got != tc.want) {
			t.Errorf("lseek(%d, %d) = %d, %v; want %d, %v", tc.off, tc.whence, got, err, tc.want, tc.err)
		}
	}
	if st := e.stat("/f"); st.Blocks != 16 {
		t.Errorf("blocks %d, want 16", st.Blocks)
	}
}

func TestFallocate(t *testing.T) {
	e := newEnv(t, Options{})
	f := e.mustOpen("/f", linux.O_CREAT|linux.O_RDWR)
	ro := e.mustOpen("/f", linux.O_RDONLY)
	for _, tc := range []struct {
		name      string
		f         *RegularFile
		mode      uint32
		off, len  uint64
		err       error
		size      uint64
		blocks    uint64
		wantBytes []byte // at off, if set
	}{
		{name: "zero length", f: f, len: 0, err: linux.EINVAL},
		{name: "ZERO_RANGE", f: f, mode: linux.FALLOC_FL_ZERO_RANGE, len: 10, err: linux.EOPNOTSUPP},
		{name: "COLLAPSE_RANGE", f: f, mode: linux.FALLOC_FL_COLLAPSE_RANGE, len: pageSize, err: linux.EOPNOTSUPP},
		{name: "unknown", f: f, mode: 0x100, len: 10, err: linux.EOPNOTSUPP},
		{name: "PUNCH_HOLE alone", f: f, mode: linux.FALLOC_FL_PUNCH_HOLE, len: 10, err: linux.EOPNOTSUPP},
		{name: "read-only file", f: ro, len: 10, err: linux.EBADF},
		{name: "beyond max size", f: f, off: linux.MAX_LFS_FILESIZE - pageSize + 1, len: 2 * pageSize, err: linux.EFBIG},
		{name: "mode 0 grows", f: f, off: 10000, len: 100, size: 10100, blocks: 8},
		{name: "KEEP_SIZE", f: f, mode: linux.FALLOC_FL_KEEP_SIZE, off: 0, len: 3 * pageSize, size: 10100, blocks: 24},
		{name: "punch middle page", f: f, mode: linux.FALLOC_FL_PUNCH_HOLE | linux.FALLOC_FL_KEEP_SIZE, off: pageSize, len: pageSize, size: 10100, blocks: 16},
	} {
		err := tc.f.Allocate(e.ctx, tc.mode, tc.off, tc.len)
		if err != tc.err {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		if st := e.stat("/f"); st.Size != tc.size || st.Blocks != tc.blocks {
			t.Errorf("%s: size %d blocks %d, want %d and %d", tc.name, st.Size, st.Blocks, tc.size, tc.blocks)
		}
	}
	// Punching part of a page zeroes just that part.
	mustWrite(t, f, pattern(3*pageSize, 3), 0)
	if err := f.Allocate(e.ctx, linux.FALLOC_FL_PUNCH_HOLE|linux.FALLOC_FL_KEEP_SIZE, 100, 2*pageSize); err != nil {
		t.Fatal(err)
	}
	got := mustRead(t, f, 3*pageSize, 0)
	want := pattern(3*pageSize, 3)
	clear(want[100 : 100+2*pageSize])
	if !bytes.Equal(got, want) {
		t.Errorf("partial punch: content differs")
	}
	if st := e.stat("/f"); st.Blocks != 16 {
		t.Errorf("partial punch freed the wrong pages: blocks %d, want 16", st.Blocks)
	}
}

func TestFIONREAD(t *testing.T) {
	e := newEnv(t, Options{})
	f := e.mustOpen("/f", linux.O_CREAT|linux.O_RDWR)
	mustWrite(t, f, make([]byte, 100), 0)
	mem := &usermem.BytesIO{Base: 0x1000, Bytes: make([]byte, 4)}
	for _, tc := range []struct {
		off  int64
		want int32
	}{{0, 100}, {60, 40}, {300, -200}} {
		f.Seek(tc.off, linux.SEEK_SET)
		if _, err := f.Ioctl(mem, linux.FIONREAD, 0x1000); err != nil {
			t.Fatalf("FIONREAD: %v", err)
		}
		got, _ := usermem.CopyInUint32(mem, 0x1000)
		if int32(got) != tc.want {
			t.Errorf("FIONREAD at %d = %d, want %d", tc.off, int32(got), tc.want)
		}
	}
	if _, err := f.Ioctl(mem, linux.FIONREAD, 0x5000); err != linux.EFAULT {
		t.Errorf("FIONREAD to a bad address: %v, want EFAULT", err)
	}
	if _, err := f.Ioctl(mem, linux.TCGETS, 0x1000); err != linux.ENOTTY {
		t.Errorf("TCGETS: %v, want ENOTTY", err)
	}
}

func TestMaxSize(t *testing.T) {
	e := newEnv(t, Options{MaxSize: 4 * pageSize})
	f := e.mustOpen("/f", linux.O_CREAT|linux.O_RDWR)
	// A write that does not fit is short; one that cannot start fails.
	if n, err := f.PWrite(nil, make([]byte, 6*pageSize), 0); n != 4*pageSize || err != nil {
		t.Errorf("write beyond MaxSize = %d, %v; want %d", n, err, 4*pageSize)
	}
	if _, err := f.PWrite(nil, []byte("x"), 10*pageSize); err != linux.ENOSPC {
		t.Errorf("write into a full fs: %v, want ENOSPC", err)
	}
	if err := f.Allocate(e.ctx, 0, 10*pageSize, pageSize); err != linux.ENOSPC {
		t.Errorf("fallocate into a full fs: %v, want ENOSPC", err)
	}
	// Writing into pages the file has needs no space.
	mustWrite(t, f, []byte("y"), 5)
	sfs, _ := e.fs.StatFS(e.ctx)
	if sfs.Blocks != 4 || sfs.Bfree != 0 || sfs.Type != linux.TMPFS_MAGIC || sfs.Namelen != 255 || sfs.Bsize != pageSize {
		t.Errorf("statfs %+v", sfs)
	}
	if err := e.v.Truncate(e.ctx, f.VirtualDentry(), pageSize); err != nil {
		t.Fatal(err)
	}
	if sfs, _ := e.fs.StatFS(e.ctx); sfs.Bfree != 3 {
		t.Errorf("bfree after truncate = %d, want 3", sfs.Bfree)
	}
	// Long symlinks take a page.
	if err := e.v.SymlinkAt(e.ctx, e.pop("/l"), string(bytes.Repeat([]byte("a"), 200))); err != nil {
		t.Fatal(err)
	}
	if st := e.stat("/l"); st.Blocks != 8 || st.Size != 200 {
		t.Errorf("long symlink: size %d blocks %d", st.Size, st.Blocks)
	}
	if err := e.v.SymlinkAt(e.ctx, e.pop("/s"), "short"); err != nil {
		t.Fatal(err)
	}
	if st := e.stat("/s"); st.Blocks != 0 || st.Size != 5 {
		t.Errorf("short symlink: size %d blocks %d", st.Size, st.Blocks)
	}
}

func TestInodeSpace(t *testing.T) {
	e := newEnv(t, Options{MaxInodes: 4})
	// The root takes one inode: three more fit.
	for i := 0; i < 3; i++ {
		if err := e.v.MkdirAt(e.ctx, e.pop(fmt.Sprintf("/d%d", i)), 0755); err != nil {
			t.Fatalf("mkdir %d: %v", i, err)
		}
	}
	if err := e.v.MkdirAt(e.ctx, e.pop("/d3"), 0755); err != linux.ENOSPC {
		t.Errorf("mkdir beyond MaxInodes: %v, want ENOSPC", err)
	}
	sfs, _ := e.fs.StatFS(e.ctx)
	if sfs.Files != 4 || sfs.Ffree != 0 {
		t.Errorf("files %d ffree %d", sfs.Files, sfs.Ffree)
	}
	if err := e.v.RmdirAt(e.ctx, e.pop("/d2")); err != nil {
		t.Fatal(err)
	}
	vd, _ := e.v.GetDentryAt(e.ctx, e.pop("/d0"))
	// An inode's worth of space holds attributes up to 1024 bytes in all.
	big := make([]byte, bogoInodeSize-xattrOverhead-len("user.a")-1)
	if err := e.v.SetXattr(e.ctx, vd, "user.a", big, 0); err != nil {
		t.Fatalf("setxattr filling the inode space: %v", err)
	}
	if err := e.v.SetXattr(e.ctx, vd, "user.b", nil, 0); err != linux.ENOSPC {
		t.Errorf("setxattr beyond the inode space: %v, want ENOSPC", err)
	}
	if err := e.v.RemoveXattr(e.ctx, vd, "user.a"); err != nil {
		t.Fatal(err)
	}
	if err := e.v.SetXattr(e.ctx, vd, "user.b", nil, 0); err != nil {
		t.Errorf("setxattr after freeing space: %v", err)
	}
}

func TestXattrs(t *testing.T) {
	e := newEnv(t, Options{})
	e.mustOpen("/f", linux.O_CREAT|linux.O_RDWR)
	vd, err := e.v.GetDentryAt(e.ctx, e.pop("/f"))
	if err != nil {
		t.Fatal(err)
	}
	user := &testCtx{creds: &auth.Credentials{RealUID: 1000, EffectiveUID: 1000, SavedUID: 1000, FilesystemUID: 1000}}
	big := make([]byte, linux.XATTR_SIZE_MAX+1)
	steps := []struct {
		name string
		do   func() error
		err  error
	}{
		{"set empty value", func() error { return e.v.SetXattr(e.ctx, vd, "user.a", nil, 0) }, nil},
		{"set", func() error { return e.v.SetXattr(e.ctx, vd, "user.b", []byte("value"), 0) }, nil},
		{"create existing", func() error { return e.v.SetXattr(e.ctx, vd, "user.b", []byte("x"), linux.XATTR_CREATE) }, linux.EEXIST},
		{"replace missing", func() error { return e.v.SetXattr(e.ctx, vd, "user.c", []byte("x"), linux.XATTR_REPLACE) }, linux.ENODATA},
		{"replace", func() error { return e.v.SetXattr(e.ctx, vd, "user.b", []byte("value2"), linux.XATTR_REPLACE) }, nil},
		{"too big", func() error { return e.v.SetXattr(e.ctx, vd, "user.big", big, 0) }, linux.E2BIG},
		{"security", func() error { return e.v.SetXattr(e.ctx, vd, "security.x", []byte("v"), 0) }, nil},
		{"trusted", func() error { return e.v.SetXattr(e.ctx, vd, "trusted.x", []byte("v"), 0) }, nil},
		{"system", func() error { return e.v.SetXattr(e.ctx, vd, "system.x", []byte("v"), 0) }, linux.EOPNOTSUPP},
		{"unknown namespace", func() error { return e.v.SetXattr(e.ctx, vd, "foo.x", []byte("v"), 0) }, linux.EOPNOTSUPP},
		{"bare prefix", func() error { return e.v.SetXattr(e.ctx, vd, "user.", []byte("v"), 0) }, linux.EINVAL},
		{"remove missing", func() error { return e.v.RemoveXattr(e.ctx, vd, "user.zz") }, linux.ENODATA},
		{"trusted as user", func() error { return e.v.SetXattr(user, vd, "trusted.y", []byte("v"), 0) }, linux.EPERM},
		{"user xattr without write permission", func() error { return e.v.SetXattr(user, vd, "user.y", []byte("v"), 0) }, linux.EACCES},
	}
	for _, s := range steps {
		wantErr(t, s.name, s.do(), s.err)
	}
	if v, err := e.v.GetXattr(e.ctx, vd, "user.b", 0); err != nil || string(v) != "value2" {
		t.Errorf("get user.b (size query) = %q, %v", v, err)
	}
	if _, err := e.v.GetXattr(e.ctx, vd, "user.b", 3); err != linux.ERANGE {
		t.Errorf("get with a small buffer: %v, want ERANGE", err)
	}
	if v, err := e.v.GetXattr(e.ctx, vd, "user.a", 0); err != nil || len(v) != 0 {
		t.Errorf("get empty = %q, %v", v, err)
	}
	if _, err := e.v.GetXattr(e.ctx, vd, "user.none", 0); err != linux.ENODATA {
		t.Errorf("get missing: %v, want ENODATA", err)
	}
	names, err := e.v.ListXattr(e.ctx, vd, 0)
	if want := "security.x trusted.x user.a user.b"; err != nil || fmt.Sprint(names) != "["+want+"]" {
		t.Errorf("list = %v, %v; want [%s]", names, err, want)
	}
	if _, err := e.v.ListXattr(e.ctx, vd, 10); err != linux.ERANGE {
		t.Errorf("list with a small buffer: %v, want ERANGE", err)
	}
	if names, _ := e.v.ListXattr(user, vd, 0); fmt.Sprint(names) != "[security.x user.a user.b]" {
		t.Errorf("list without CAP_SYS_ADMIN = %v", names)
	}
}

func TestSeals(t *testing.T) {
	e := newEnv(t, Options{})
	plain := e.mustOpen("/f", linux.O_CREAT|linux.O_RDWR)
	if s := plain.Seals(); s != linux.F_SEAL_SEAL {
		t.Errorf("seals of a tmpfs file = %#x, want F_SEAL_SEAL", s)
	}
	wantErr(t, "seal a tmpfs file", plain.AddSeals(linux.F_SEAL_WRITE), linux.EPERM)

	m := NewInternalMount(e.v, e.mf)
	fd, err := NewMemfd(e.ctx, m, "s", linux.MFD_ALLOW_SEALING)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.DecRef()
	f := fd.(*RegularFile)
	mustWrite(t, f, []byte("hello"), 0)
	vd := f.VirtualDentry()
	trunc := func(n uint64) func() error { return func() error { return e.v.Truncate(e.ctx, vd, n) } }
	pw := func(s string, off int64) func() error {
		return func() error { _, err := f.PWrite(e.ctx, []byte(s), off); return err }
	}
	falloc := func(mode uint32, off, n uint64) func() error {
		return func() error { return f.Allocate(e.ctx, mode, off, n) }
	}
	for _, s := range []struct {
		name string
		do   func() error
		err  error
	}{
		{"unknown seal", func() error { return f.AddSeals(0x100) }, linux.EINVAL},
		{"add grow", func() error { return f.AddSeals(linux.F_SEAL_GROW) }, nil},
		{"write extending", pw("abcdefgh", 2), linux.EPERM},
		{"write extending from the last page", pw("abcdefgh", 4090), linux.EPERM},
		{"write within", pw("ab", 1), nil},
		{"truncate grow", trunc(100), linux.EPERM},
		{"truncate shrink", trunc(3), nil},
		{"fallocate grow", falloc(0, 0, 100), linux.EPERM},
		{"fallocate keep size beyond EOF", falloc(linux.FALLOC_FL_KEEP_SIZE, 0, 100), linux.EPERM},
		{"add write", func() error { return f.AddSeals(linux.F_SEAL_WRITE) }, nil},
		{"write", pw("x", 0), linux.EPERM},
		{"punch", falloc(linux.FALLOC_FL_PUNCH_HOLE|linux.FALLOC_FL_KEEP_SIZE, 0, 1), linux.EPERM},
		{"add shrink", func() error { return f.AddSeals(linux.F_SEAL_SHRINK | linux.F_SEAL_SEAL) }, nil},
		{"truncate shrink sealed", trunc(1), linux.EPERM},
		{"add after F_SEAL_SEAL", func() error { return f.AddSeals(linux.F_SEAL_EXEC) }, linux.EPERM},
	} {
		wantErr(t, s.name, s.do(), s.err)
	}
	if s := f.Seals(); s != linux.F_SEAL_SEAL|linux.F_SEAL_GROW|linux.F_SEAL_WRITE|linux.F_SEAL_SHRINK {
		t.Errorf("seals = %#x", s)
	}

	// F_SEAL_EXEC on an executable memfd implies the write seals; on
	// any memfd it forbids changing the execute bits.
	x, _ := NewMemfd(e.ctx, m, "x", linux.MFD_ALLOW_SEALING)
	defer x.DecRef()
	xf := x.(*RegularFile)
	if err := xf.AddSeals(linux.F_SEAL_EXEC); err != nil {
		t.Fatal(err)
	}
	if s := xf.Seals(); s != 0x3e {
		t.Errorf("seals after F_SEAL_EXEC on a 0777 memfd = %#x, want 0x3e", s)
	}
	xvd := xf.VirtualDentry()
	wantErr(t, "chmod exec bits", e.v.SetStat(e.ctx, xvd, vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0776}), linux.EPERM)
	wantErr(t, "chmod other bits", e.v.SetStat(e.ctx, xvd, vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0755}), nil)

	ro, err := e.v.OpenDentry(e.ctx, vd, linux.O_RDONLY, false)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.DecRef()
	wantErr(t, "add seals through a read-only file", ro.(Sealable).AddSeals(linux.F_SEAL_SHRINK), linux.EPERM)
}

func TestMemfd(t *testing.T) {
	e := newEnv(t, Options{})
	m := NewInternalMount(e.v, e.mf)
	base := e.mf.Used()
	user := &testCtx{creds: &auth.Credentials{FilesystemUID: 1000, FilesystemGID: 1001}}
	fd, err := NewMemfd(user, m, "my/name", 0)
	if err != nil {
		t.Fatal(err)
	}
	f := fd.(*RegularFile)
	if p, _ := e.v.PathName(vfs.VirtualDentry{Mount: m, Dentry: m.Root()}, f.VirtualDentry()); p != "/memfd:my/name (deleted)" {
		t.Errorf("path = %q", p)
	}
	st, err := e.v.Stat(f.VirtualDentry())
	if err != nil {
		t.Fatal(err)
	}
	if st.Nlink != 0 || st.Mode != linux.S_IFREG|0777 || st.UID != 1000 || st.GID != 1001 {
		t.Errorf("stat: nlink %d mode %o uid %d gid %d", st.Nlink, st.Mode, st.UID, st.GID)
	}
	if f.StatusFlags()&linux.O_ACCMODE != linux.O_RDWR {
		t.Errorf("flags %#x", f.StatusFlags())
	}
	if s := f.Seals(); s != linux.F_SEAL_SEAL {
		t.Errorf("seals without MFD_ALLOW_SEALING = %#x", s)
	}
	mustWrite(t, f, pattern(3*pageSize, 0), 0)
	f.DecRef()
	if e.mf.Used() != base {
		t.Errorf("memfd data not freed on close: %d bytes", e.mf.Used()-base)
	}

	nx, err := NewMemfd(e.ctx, m, "nx", linux.MFD_NOEXEC_SEAL)
	if err != nil {
		t.Fatal(err)
	}
	defer nx.DecRef()
	if st, _ := nx.Stat(); st.Mode != linux.S_IFREG|0666 || nx.(*RegularFile).Seals() != linux.F_SEAL_EXEC {
		t.Errorf("MFD_NOEXEC_SEAL: mode %o seals %#x", st.Mode, nx.(*RegularFile).Seals())
	}
	for _, tc := range []struct {
		name  string
		flags uint32
		n     string
	}{
		{"unknown flag", 0x100, "a"},
		{"hugetlb", linux.MFD_HUGETLB, "a"},
		{"exec and noexec", linux.MFD_EXEC | linux.MFD_NOEXEC_SEAL, "a"},
		{"long name", 0, string(bytes.Repeat([]byte("n"), linux.MFD_NAME_MAX_LEN+1))},
	} {
		if _, err := NewMemfd(e.ctx, m, tc.n, tc.flags); err != linux.EINVAL {
			t.Errorf("%s: %v, want EINVAL", tc.name, err)
		}
	}
	ok, err := NewMemfd(e.ctx, m, string(bytes.Repeat([]byte("n"), linux.MFD_NAME_MAX_LEN)), 0)
	if err != nil {
		t.Errorf("longest name: %v", err)
	} else {
		ok.DecRef()
	}
	// A memfd cannot get a name in a directory of another mount.
	mf2, _ := NewMemfd(e.ctx, m, "l", 0)
	defer mf2.DecRef()
	vd := mf2.(*RegularFile).VirtualDentry()
	wantErr(t, "link of a memfd into another mount", e.v.LinkDentry(e.ctx, vd, e.pop("/l")), linux.EXDEV)
}

func TestSharedPages(t *testing.T) {
	e := newEnv(t, Options{})
	f := e.mustOpen("/f", linux.O_CREAT|linux.O_RDWR)
	mustWrite(t, f, []byte("hello"), 0)
	if f.MMapSource() != vfs.MMapPages {
		t.Fatalf("MMapSource = %v", f.MMapSource())
	}
	if _, err := f.SharedPages(1, pageSize); err != linux.EINVAL {
		t.Errorf("unaligned SharedPages: %v", err)
	}
	ranges, err := f.SharedPages(0, 2*pageSize)
	if err != nil {
		t.Fatal(err)
	}
	var total uint64
	for _, r := range ranges {
		total += r.Length
	}
	if total != 2*pageSize {
		t.Fatalf("ranges %v cover %d bytes", ranges, total)
	}
	// A write through the mapping is what read() sees, and vice versa.
	mem := e.mf.Bytes(ranges[0].Offset, ranges[0].Length)
	copy(mem[1:], "ELLO")
	if got := mustRead(t, f, 10, 0); string(got) != "hELLO" {
		t.Errorf("read after mapping write = %q", got)
	}
	mustWrite(t, f, []byte("J"), 0)
	if mem[0] != 'J' {
		t.Errorf("mapping does not see write()")
	}
	// The mapping wrote beyond EOF; growing the file must not show it.
	mem[100] = 'z'
	if err := e.v.Truncate(e.ctx, f.VirtualDentry(), 200); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, f, 200, 0); got[100] != 0 {
		t.Errorf("grown file shows bytes written beyond EOF")
	}
	// The mapping's own references keep its pages after the file lets
	// go of them.
	used := e.mf.Used()
	if err := e.v.Truncate(e.ctx, f.VirtualDentry(), 0); err != nil {
		t.Fatal(err)
	}
	if e.mf.Used() != used {
		t.Errorf("truncate freed pages a mapping still holds")
	}
	for _, r := range ranges {
		e.mf.Free(r.Offset, r.Length)
	}
	if e.mf.Used() == used {
		t.Errorf("pages not freed after the mapping let go")
	}
}

func TestSetIDClearedOnWrite(t *testing.T) {
	e := newEnv(t, Options{})
	f := e.mustOpen("/f", linux.O_CREAT|linux.O_RDWR)
	vd := f.VirtualDentry()
	for _, tc := range []struct {
		name       string
		ctx        *testCtx
		mode, want uint32
	}{
		{"root keeps", e.ctx, 06755, 06755},
		{"suid cleared", &testCtx{creds: &auth.Credentials{}}, 04755, 0755},
		{"sgid with group exec cleared", &testCtx{creds: &auth.Credentials{}}, 02775, 0775},
		{"sgid without group exec kept", &testCtx{creds: &auth.Credentials{}}, 02764, 02764},
	} {
		if err := e.v.SetStat(e.ctx, vd, vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: tc.mode}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.PWrite(tc.ctx, []byte("x"), 0); err != nil {
			t.Fatal(err)
		}
		if st := e.stat("/f"); uint32(st.Mode)&07777 != tc.want {
			t.Errorf("%s: mode %o, want %o", tc.name, st.Mode&07777, tc.want)
		}
	}
}

func TestDirectories(t *testing.T) {
	e := newEnv(t, Options{RootMode: 0755})
	if st := e.stat("/"); st.Mode != linux.S_IFDIR|0755 || st.Nlink != 2 || st.Size != 40 {
		t.Errorf("root: mode %o nlink %d size %d", st.Mode, st.Nlink, st.Size)
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("mkdir a", e.v.MkdirAt(e.ctx, e.pop("/a"), 0755))
	must("mkdir b", e.v.MkdirAt(e.ctx, e.pop("/b"), 0755))
	must("mknod f", e.v.MknodAt(e.ctx, e.pop("/a/f"), linux.S_IFREG|0644, 0))
	must("mkdir a/sub", e.v.MkdirAt(e.ctx, e.pop("/a/sub"), 0755))
	if st := e.stat("/"); st.Nlink != 4 || st.Size != 80 {
		t.Errorf("root after two mkdirs: nlink %d size %d", st.Nlink, st.Size)
	}
	if st := e.stat("/a"); st.Nlink != 3 || st.Size != 80 {
		t.Errorf("/a: nlink %d size %d", st.Nlink, st.Size)
	}
	before := e.stat("/b")
	time.Sleep(2 * time.Millisecond) // timestamps must be able to move
	// Moving a directory moves its ".." link.
	must("rename sub", e.v.RenameAt(e.ctx, e.pop("/a/sub"), e.pop("/b/sub"), 0))
	if a, b := e.stat("/a"), e.stat("/b"); a.Nlink != 2 || b.Nlink != 3 {
		t.Errorf("after moving sub: /a nlink %d, /b nlink %d", a.Nlink, b.Nlink)
	}
	after := e.stat("/b")
	if after.Mtime == before.Mtime || after.Ctime == before.Ctime {
		t.Errorf("rename did not update the new parent's mtime and ctime")
	}
	// Exchange a file and a directory across parents.
	must("exchange", e.v.RenameAt(e.ctx, e.pop("/a/f"), e.pop("/b/sub"), linux.RENAME_EXCHANGE))
	if st := e.stat("/a/f"); st.Mode&linux.S_IFMT != linux.S_IFDIR {
		t.Errorf("/a/f is not the directory after the exchange")
	}
	if a, b := e.stat("/a"), e.stat("/b"); a.Nlink != 3 || b.Nlink != 2 {
		t.Errorf("after exchange: /a nlink %d, /b nlink %d", a.Nlink, b.Nlink)
	}
	// Replace a file with a file: the old one loses its link.
	must("mknod x", e.v.MknodAt(e.ctx, e.pop("/x"), linux.S_IFREG|0644, 0))
	must("link x", e.v.LinkAt(e.ctx, e.pop("/x"), e.pop("/x2")))
	if st := e.stat("/x"); st.Nlink != 2 {
		t.Errorf("nlink after link = %d", st.Nlink)
	}
	must("rename over x", e.v.RenameAt(e.ctx, e.pop("/b/sub"), e.pop("/x"), 0))
	if st := e.stat("/x2"); st.Nlink != 1 {
		t.Errorf("replaced file nlink = %d, want 1", st.Nlink)
	}
	// Replace an empty directory; a non-empty one is ENOTEMPTY.
	must("mkdir e", e.v.MkdirAt(e.ctx, e.pop("/e"), 0755))
	must("mkdir e2", e.v.MkdirAt(e.ctx, e.pop("/e2"), 0755))
	must("mkdir e2/c", e.v.MkdirAt(e.ctx, e.pop("/e2/c"), 0755))
	wantErr(t, "rename over a non-empty dir", e.v.RenameAt(e.ctx, e.pop("/e"), e.pop("/e2"), 0), linux.ENOTEMPTY)
	wantErr(t, "rmdir non-empty", e.v.RmdirAt(e.ctx, e.pop("/e2")), linux.ENOTEMPTY)
	rootBefore := e.stat("/").Nlink
	must("rename over an empty dir", e.v.RenameAt(e.ctx, e.pop("/e2/c"), e.pop("/e"), 0))
	if n := e.stat("/").Nlink; n != rootBefore {
		t.Errorf("root nlink %d after replacing a subdirectory with one, want %d", n, rootBefore)
	}
	if n := e.stat("/e2").Nlink; n != 2 {
		t.Errorf("/e2 nlink %d after its subdirectory left, want 2", n)
	}
	must("rmdir e2", e.v.RmdirAt(e.ctx, e.pop("/e2")))
	// Readdir lists in creation order, "." and ".." first.
	must("mkdir order", e.v.MkdirAt(e.ctx, e.pop("/order"), 0755))
	for _, n := range []string{"z", "a", "m"} {
		must("create "+n, e.v.MknodAt(e.ctx, e.pop("/order/"+n), linux.S_IFREG|0644, 0))
	}
	df, err := e.v.OpenAt(e.ctx, e.pop("/order"), vfs.OpenOptions{Flags: linux.O_RDONLY | linux.O_DIRECTORY})
	if err != nil {
		t.Fatal(err)
	}
	defer df.DecRef()
	var names []string
	df.(vfs.DirentFile).IterDirents(e.ctx, func(d vfs.Dirent, next int64) bool {
		names = append(names, d.Name)
		return true
	})
	if fmt.Sprint(names) != "[. .. z a m]" {
		t.Errorf("readdir = %v", names)
	}
}

func TestSpecialFiles(t *testing.T) {
	var gotRdev uint64
	devFile := &vfs.OpathFile{}
	e := newEnv(t, Options{OpenDevice: func(ctx vfs.Context, vd vfs.VirtualDentry, rdev uint64, flags uint32) (vfs.FileDescription, error) {
		gotRdev = rdev
		if rdev == linux.MakeDev(1, 3) {
			return devFile, nil
		}
		return nil, linux.ENXIO
	}})
	for _, n := range []struct {
		path string
		mode uint32
		dev  uint64
	}{
		{"/null", linux.S_IFCHR | 0666, linux.MakeDev(1, 3)},
		{"/other", linux.S_IFCHR | 0666, linux.MakeDev(9, 9)},
		{"/blk", linux.S_IFBLK | 0666, linux.MakeDev(1, 3)},
		{"/fifo", linux.S_IFIFO | 0666, 0},
		{"/sock", linux.S_IFSOCK | 0666, 0},
	} {
		if err := e.v.MknodAt(e.ctx, e.pop(n.path), n.mode, n.dev); err != nil {
			t.Fatalf("mknod %s: %v", n.path, err)
		}
	}
	if st := e.stat("/null"); linux.MakeDev(st.RdevMajor, st.RdevMinor) != linux.MakeDev(1, 3) || st.Mode != linux.S_IFCHR|0666 {
		t.Errorf("stat /null: rdev %d:%d mode %o", st.RdevMajor, st.RdevMinor, st.Mode)
	}
	f, err := e.open("/null", linux.O_RDWR)
	if err != nil || f != vfs.FileDescription(devFile) || gotRdev != linux.MakeDev(1, 3) {
		t.Errorf("open /null = %v, %v (rdev %#x)", f, err, gotRdev)
	}
	for _, p := range []string{"/other", "/blk", "/sock"} {
		if _, err := e.open(p, linux.O_RDONLY); err != linux.ENXIO {
			t.Errorf("open %s: %v, want ENXIO", p, err)
		}
	}
	noHook := newEnv(t, Options{})
	if err := noHook.v.MknodAt(noHook.ctx, noHook.pop("/null"), linux.S_IFCHR|0666, linux.MakeDev(1, 3)); err != nil {
		t.Fatal(err)
	}
	if _, err := noHook.open("/null", linux.O_RDONLY); err != linux.ENXIO {
		t.Errorf("open of a device without OpenDevice: %v, want ENXIO", err)
	}
}

// TestFIFO checks that every open of a FIFO shares one pipe, with
// fifo(7)'s open rules, and that the open files show the FIFO.
func TestFIFO(t *testing.T) {
	e := newEnv(t, Options{})
	for _, p := range []string{"/f1", "/f2"} {
		if err := e.v.MknodAt(e.ctx, e.pop(p), linux.S_IFIFO|0o640, 0); err != nil {
			t.Fatalf("mknod %s: %v", p, err)
		}
	}
	if _, err := e.open("/f1", linux.O_WRONLY|linux.O_NONBLOCK); err != linux.ENXIO {
		t.Errorf("nonblocking write open without a reader: %v, want ENXIO", err)
	}
	r, err := e.open("/f1", linux.O_RDONLY|linux.O_NONBLOCK)
	if err != nil {
		t.Fatalf("nonblocking read open: %v", err)
	}
	defer r.DecRef()
	w, err := e.open("/f1", linux.O_WRONLY|linux.O_NONBLOCK)
	if err != nil {
		t.Fatalf("write open with a reader: %v", err)
	}
	defer w.DecRef()
	// Another FIFO has its own pipe.
	if _, err := e.open("/f2", linux.O_WRONLY|linux.O_NONBLOCK); err != linux.ENXIO {
		t.Errorf("second FIFO: %v, want ENXIO", err)
	}
	if n, err := w.Write(nil, []byte("through the fifo")); n != 16 || err != nil {
		t.Fatalf("write: %d, %v", n, err)
	}
	buf := make([]byte, 32)
	if n, err := r.Read(nil, buf); n != 16 || err != nil || string(buf[:n]) != "through the fifo" {
		t.Errorf("read: %q, %v", buf[:n], err)
	}
	st, err := r.Stat()
	if err != nil || st.Mode != linux.S_IFIFO|0o640 || st.Size != 0 || st.Ino != e.stat("/f1").Ino {
		t.Errorf("fstat of a FIFO end: %+v, %v", st, err)
	}
	if _, ok := r.(vfs.PathFile); !ok {
		t.Errorf("a FIFO end (%T) is not a vfs.PathFile", r)
	}
}

// TestConcurrentIO runs readers, writers, appenders, truncaters and
// fallocate on one file at once; run with -race.
func TestConcurrentIO(t *testing.T) {
	e := newEnv(t, Options{})
	f := e.mustOpen("/f", linux.O_CREAT|linux.O_RDWR)
	a := e.mustOpen("/f", linux.O_WRONLY|linux.O_APPEND)
	vd := f.VirtualDentry()
	var wg sync.WaitGroup
	const iters = 200
	run := func(fn func(i int)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < iters; i++ {
				fn(i)
			}
		}()
	}
	run(func(i int) { f.PWrite(nil, pattern(3000, byte(i)), int64(i*1000%50000)) })
	run(func(i int) { a.Write(nil, []byte("append")) })
	run(func(i int) {
		b := make([]byte, 5000)
		f.PRead(nil, b, int64(i*777%60000))
	})
	run(func(i int) { e.v.Truncate(e.ctx, vd, uint64(i*311%70000)) })
	run(func(i int) {
		f.Allocate(e.ctx, linux.FALLOC_FL_PUNCH_HOLE|linux.FALLOC_FL_KEEP_SIZE, uint64(i*123%40000), 6000)
	})
	run(func(i int) { e.stat("/f") })
	run(func(i int) {
		if rs, err := f.SharedPages(uint64(i%10)*pageSize, pageSize); err == nil {
			for _, r := range rs {
				e.mf.Free(r.Offset, r.Length)
			}
		}
	})
	wg.Wait()
	// The extents must still be sorted, disjoint and page-aligned, and
	// the page count must match them.
	r := f.inode
	r.dataMu.RLock()
	defer r.dataMu.RUnlock()
	var pages uint64
	for i, x := range r.extents {
		if x.off%pageSize != 0 || x.length%pageSize != 0 || x.length == 0 {
			t.Errorf("extent %d misaligned: %+v", i, x)
		}
		if i > 0 && r.extents[i-1].end() > x.off {
			t.Errorf("extents %d and %d overlap", i-1, i)
		}
		pages += x.length / pageSize
	}
	if pages != r.pages.Load() || pages != e.fs.usedPages.Load() {
		t.Errorf("extents hold %d pages, inode counts %d, fs %d", pages, r.pages.Load(), e.fs.usedPages.Load())
	}
}
