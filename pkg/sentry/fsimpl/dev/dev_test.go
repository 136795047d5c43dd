package dev

import (
	"bytes"
	"errors"
	"sort"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// testCtx is a vfs.Context for a task that never blocks.
type testCtx struct{ creds *auth.Credentials }

func (c testCtx) Credentials() *auth.Credentials                   { return c.creds }
func (testCtx) BlockFD(fd int, events int16) error                 { return nil }
func (testCtx) Block(ch <-chan struct{}, deadline time.Time) error { return nil }

var root = testCtx{auth.Root()}

// user is an unprivileged caller.
var user = testCtx{&auth.Credentials{RealUID: 1000, EffectiveUID: 1000, SavedUID: 1000, FilesystemUID: 1000,
	RealGID: 1000, EffectiveGID: 1000, SavedGID: 1000, FilesystemGID: 1000}}

type testFS struct {
	v  *vfs.VirtualFilesystem
	ns *vfs.MountNamespace
}

func newTestFS(t *testing.T) *testFS {
	t.Helper()
	v := vfs.New()
	fs, rootInode := NewFilesystem(v)
	return &testFS{v: v, ns: v.NewMountNamespace(fs, rootInode, "none", vfs.MountFlags{})}
}

func (f *testFS) pop(path string, follow bool) *vfs.PathOperation {
	return &vfs.PathOperation{Root: f.ns.Root(), Start: f.ns.Root(), Path: path, FollowFinal: follow}
}

func (f *testFS) open(t *testing.T, ctx vfs.Context, path string, flags uint32) vfs.FileDescription {
	t.Helper()
	fd, err := f.v.OpenAt(ctx, f.pop(path, true), vfs.OpenOptions{Flags: flags})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(fd.DecRef)
	return fd
}

func TestDeviceIO(t *testing.T) {
	f := newTestFS(t)
	type result struct {
		n   int
		err error
	}
	for _, tc := range []struct {
		name     string
		read     result // of an 8-byte read
		zeros    bool   // the bytes read are zeros
		write    result // of a 3-byte write
		mappable bool
	}{
		{name: "null", read: result{0, nil}, write: result{3, nil}},
		{name: "zero", read: result{8, nil}, zeros: true, write: result{3, nil}, mappable: true},
		{name: "full", read: result{8, nil}, zeros: true, write: result{0, linux.ENOSPC}},
		{name: "random", read: result{8, nil}, write: result{3, nil}},
		{name: "urandom", read: result{8, nil}, write: result{3, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fd := f.open(t, user, "/"+tc.name, linux.O_RDWR)
			for _, read := range []func([]byte) (int, error){
				func(b []byte) (int, error) { return fd.Read(nil, b) },
				func(b []byte) (int, error) { return fd.PRead(nil, b, 100) },
			} {
				buf := bytes.Repeat([]byte{0xff}, 8)
				n, err := read(buf)
				if n != tc.read.n || err != tc.read.err {
					t.Errorf("read = %d, %v; want %d, %v", n, err, tc.read.n, tc.read.err)
				}
				if tc.zeros && !bytes.Equal(buf, make([]byte, 8)) {
					t.Errorf("read %x, want zeros", buf)
				}
			}
			for _, write := range []func([]byte) (int, error){
				func(b []byte) (int, error) { return fd.Write(nil, b) },
				func(b []byte) (int, error) { return fd.PWrite(nil, b, 5) },
			} {
				n, err := write([]byte("abc"))
				if n != tc.write.n || err != tc.write.err {
					t.Errorf("write = %d, %v; want %d, %v", n, err, tc.write.n, tc.write.err)
				}
			}
			// lseek always lands at 0, and rejects an unknown whence.
			for _, whence := range []int{linux.SEEK_SET, linux.SEEK_CUR, linux.SEEK_END} {
				if off, err := fd.Seek(100, whence); off != 0 || err != nil {
					t.Errorf("seek(100, %d) = %d, %v; want 0, nil", whence, off, err)
				}
			}
			if _, err := fd.Seek(0, 7); err != linux.EINVAL {
				t.Errorf("seek whence 7: %v, want EINVAL", err)
			}
			m, ok := fd.(vfs.Mappable)
			if ok != tc.mappable {
				t.Fatalf("mappable = %v, want %v", ok, tc.mappable)
			}
			if ok && m.MMapSource() != vfs.MMapAnonymous {
				t.Errorf("mmap source %v, want anonymous", m.MMapSource())
			}
		})
	}
}

func TestRandomDiffers(t *testing.T) {
	f := newTestFS(t)
	fd := f.open(t, root, "/urandom", linux.O_RDONLY)
	a, b := make([]byte, 32), make([]byte, 32)
	if _, err := fd.Read(nil, a); err != nil {
		t.Fatal(err)
	}
	if _, err := fd.Read(nil, b); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Errorf("two reads gave the same 32 bytes %x", a)
	}
}

func TestTreeStat(t *testing.T) {
	f := newTestFS(t)
	for _, tc := range []struct {
		path         string
		mode         uint32
		major, minor uint32
		target       string
	}{
		{path: "/", mode: linux.S_IFDIR | 0o755},
		{path: "/null", mode: linux.S_IFCHR | 0o666, major: 1, minor: 3},
		{path: "/zero", mode: linux.S_IFCHR | 0o666, major: 1, minor: 5},
		{path: "/full", mode: linux.S_IFCHR | 0o666, major: 1, minor: 7},
		{path: "/random", mode: linux.S_IFCHR | 0o666, major: 1, minor: 8},
		{path: "/urandom", mode: linux.S_IFCHR | 0o666, major: 1, minor: 9},
		{path: "/tty", mode: linux.S_IFCHR | 0o666, major: 5, minor: 0},
		{path: "/fd", mode: linux.S_IFLNK | 0o777, target: "/proc/self/fd"},
		{path: "/stdin", mode: linux.S_IFLNK | 0o777, target: "/proc/self/fd/0"},
		{path: "/stdout", mode: linux.S_IFLNK | 0o777, target: "/proc/self/fd/1"},
		{path: "/stderr", mode: linux.S_IFLNK | 0o777, target: "/proc/self/fd/2"},
		{path: "/shm", mode: linux.S_IFDIR | 0o1777},
		{path: "/pts", mode: linux.S_IFDIR | 0o755},
	} {
		st, err := f.v.StatAt(user, f.pop(tc.path, false))
		if err != nil {
			t.Errorf("stat %s: %v", tc.path, err)
			continue
		}
		if uint32(st.Mode) != tc.mode || st.RdevMajor != tc.major || st.RdevMinor != tc.minor || st.UID != 0 || st.GID != 0 {
			t.Errorf("stat %s: mode %#o rdev %d:%d owner %d:%d; want mode %#o rdev %d:%d owner 0:0",
				tc.path, st.Mode, st.RdevMajor, st.RdevMinor, st.UID, st.GID, tc.mode, tc.major, tc.minor)
		}
		if tc.target != "" {
			got, err := f.v.ReadlinkAt(user, f.pop(tc.path, false))
			if got != tc.target || err != nil {
				t.Errorf("readlink %s = %q, %v; want %q", tc.path, got, err, tc.target)
			}
			if st.Size != uint64(len(tc.target)) {
				t.Errorf("stat %s: size %d, want %d", tc.path, st.Size, len(tc.target))
			}
		}
	}
}

func TestReaddir(t *testing.T) {
	f := newTestFS(t)
	fd := f.open(t, user, "/", linux.O_RDONLY|linux.O_DIRECTORY)
	df, ok := fd.(vfs.DirentFile)
	if !ok {
		t.Fatalf("%T is not a DirentFile", fd)
	}
	got := map[string]uint8{}
	inos := map[uint64]string{}
	err := df.IterDirents(user, func(d vfs.Dirent, next int64) bool {
		got[d.Name] = d.Type
		if d.Name != "." && d.Name != ".." {
			if prev, dup := inos[d.Ino]; dup {
				t.Errorf("%s and %s share inode %d", prev, d.Name, d.Ino)
			}
			inos[d.Ino] = d.Name
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint8{
		".": linux.DT_DIR, "..": linux.DT_DIR,
		"null": linux.DT_CHR, "zero": linux.DT_CHR, "full": linux.DT_CHR, "random": linux.DT_CHR,
		"urandom": linux.DT_CHR, "tty": linux.DT_CHR,
		"fd": linux.DT_LNK, "stdin": linux.DT_LNK, "stdout": linux.DT_LNK, "stderr": linux.DT_LNK,
		"shm": linux.DT_DIR, "pts": linux.DT_DIR,
	}
	var names []string
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(got) != len(want) {
		t.Errorf("entries %v, want %d entries", names, len(want))
	}
	for n, typ := range want {
		if got[n] != typ {
			t.Errorf("entry %q: type %d, want %d (entries %v)", n, got[n], typ, names)
		}
	}
}

func TestTTYHasNoControllingTerminal(t *testing.T) {
	f := newTestFS(t)
	if _, err := f.v.OpenAt(root, f.pop("/tty", true), vfs.OpenOptions{Flags: linux.O_RDWR}); err != linux.ENXIO {
		t.Errorf("open /dev/tty: %v, want ENXIO", err)
	}
}

// cttyCtx is a caller whose controlling terminal opens as file (nil: it
// has none); it records the flags it was opened with.
type cttyCtx struct {
	testCtx
	file  vfs.FileDescription
	flags *uint32
}

func (c cttyCtx) OpenControllingTTY(flags uint32) (vfs.FileDescription, error) {
	*c.flags = flags
	if c.file == nil {
		return nil, linux.ENXIO
	}
	c.file.IncRef()
	return c.file, nil
}

func TestTTYOpensControllingTerminal(t *testing.T) {
	f := newTestFS(t)
	term := f.open(t, root, "/null", linux.O_RDWR)
	for _, tc := range []struct {
		name string
		file vfs.FileDescription
		want error
	}{
		{"with a controlling terminal", term, nil},
		{"without", nil, linux.ENXIO},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var flags uint32
			ctx := cttyCtx{testCtx: root, file: tc.file, flags: &flags}
			fd, err := f.v.OpenAt(ctx, f.pop("/tty", true), vfs.OpenOptions{Flags: linux.O_WRONLY | linux.O_NONBLOCK})
			if err != tc.want || fd != tc.file {
				t.Fatalf("open /dev/tty = %v, %v; want %v, %v", fd, err, tc.file, tc.want)
			}
			if flags&(linux.O_ACCMODE|linux.O_NONBLOCK) != linux.O_WRONLY|linux.O_NONBLOCK {
				t.Errorf("terminal opened with flags %#o", flags)
			}
			if fd != nil {
				fd.DecRef()
			}
		})
	}
}

func TestMutations(t *testing.T) {
	f := newTestFS(t)
	for _, tc := range []struct {
		name string
		op   func() error
		want error
	}{
		{"mknod new", func() error { return f.v.MknodAt(root, f.pop("/x", false), linux.S_IFREG|0o644, 0) }, linux.EPERM},
		{"mknod existing", func() error { return f.v.MknodAt(root, f.pop("/null", false), linux.S_IFREG|0o644, 0) }, linux.EEXIST},
		{"mkdir new", func() error { return f.v.MkdirAt(root, f.pop("/d", false), 0o755) }, linux.EPERM},
		{"mkdir existing", func() error { return f.v.MkdirAt(root, f.pop("/shm", false), 0o755) }, linux.EEXIST},
		{"symlink new", func() error { return f.v.SymlinkAt(root, f.pop("/l", false), "null") }, linux.EPERM},
		{"symlink existing", func() error { return f.v.SymlinkAt(root, f.pop("/fd", false), "null") }, linux.EEXIST},
		{"open O_CREAT new", func() error {
			_, err := f.v.OpenAt(root, f.pop("/new", true), vfs.OpenOptions{Flags: linux.O_CREAT | linux.O_WRONLY, Mode: 0o644})
			return err
		}, linux.EPERM},
		{"open O_CREAT|O_EXCL existing", func() error {
			_, err := f.v.OpenAt(root, f.pop("/null", true), vfs.OpenOptions{Flags: linux.O_CREAT | linux.O_EXCL | linux.O_WRONLY, Mode: 0o644})
			return err
		}, linux.EEXIST},
		{"link", func() error { return f.v.LinkAt(root, f.pop("/null", false), f.pop("/null2", false)) }, linux.EPERM},
		{"unlink", func() error { return f.v.UnlinkAt(root, f.pop("/null", false)) }, linux.EPERM},
		{"rmdir", func() error { return f.v.RmdirAt(root, f.pop("/pts", false)) }, linux.EPERM},
		{"rename", func() error { return f.v.RenameAt(root, f.pop("/null", false), f.pop("/nul", false), 0) }, linux.EPERM},
		{"unprivileged mknod", func() error { return f.v.MknodAt(user, f.pop("/x", false), linux.S_IFREG|0o644, 0) }, linux.EACCES},
	} {
		if err := tc.op(); err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// Nothing appeared or went away.
	for _, p := range []string{"/x", "/d", "/l", "/new", "/null2", "/nul"} {
		if _, err := f.v.StatAt(root, f.pop(p, false)); err != linux.ENOENT {
			t.Errorf("stat %s after failed create: %v, want ENOENT", p, err)
		}
	}
	if _, err := f.v.StatAt(root, f.pop("/null", false)); err != nil {
		t.Errorf("stat /null after failed unlink: %v", err)
	}
}

func TestChmodChown(t *testing.T) {
	f := newTestFS(t)
	vd, err := f.v.GetDentryAt(root, f.pop("/null", false))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.v.SetStat(user, vd, vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0o600}); err != linux.EPERM {
		t.Errorf("chmod by non-owner: %v, want EPERM", err)
	}
	if err := f.v.SetStat(root, vd, vfs.SetStatOptions{Mask: linux.STATX_MODE | linux.STATX_UID, Mode: 0o600, UID: 1000}); err != nil {
		t.Fatalf("chmod/chown by root: %v", err)
	}
	st, err := f.v.Stat(vd)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != linux.S_IFCHR|0o600 || st.UID != 1000 {
		t.Errorf("after chmod: mode %#o uid %d, want %#o uid 1000", st.Mode, st.UID, linux.S_IFCHR|0o600)
	}
	// Now the device is the user's own and others' reads are refused.
	f.open(t, user, "/null", linux.O_RDWR)
	other := testCtx{&auth.Credentials{FilesystemUID: 2000, FilesystemGID: 2000}}
	if _, err := f.v.OpenAt(other, f.pop("/null", true), vfs.OpenOptions{Flags: linux.O_RDONLY}); err != linux.EACCES {
		t.Errorf("open by another user after chmod 600: %v, want EACCES", err)
	}
}

func TestOpenDevice(t *testing.T) {
	f := newTestFS(t)
	// Any location works: a node on another file system passes its own.
	vd, err := f.v.GetDentryAt(root, f.pop("/shm", false))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		major, minor uint32
		want         error
	}{
		{1, 3, nil}, {1, 5, nil}, {1, 7, nil}, {1, 8, nil}, {1, 9, nil},
		{5, 0, linux.ENXIO}, // no controlling terminal
		{1, 1, linux.ENXIO}, // /dev/mem
		{8, 0, linux.ENXIO}, // a disk
		{0, 0, linux.ENXIO},
		{4095, 1 << 19, linux.ENXIO},
	} {
		fd, err := OpenDevice(root, vd, linux.MakeDev(tc.major, tc.minor), linux.O_RDWR)
		if !errors.Is(err, tc.want) || (err == nil) != (fd != nil) {
			t.Errorf("OpenDevice(%d:%d) = %v, %v; want error %v", tc.major, tc.minor, fd, err, tc.want)
			continue
		}
		if fd == nil {
			continue
		}
		if pf, ok := fd.(vfs.PathFile); !ok || pf.VirtualDentry() != vd {
			t.Errorf("OpenDevice(%d:%d): file does not remember where it was opened", tc.major, tc.minor)
		}
		if fd.StatusFlags()&linux.O_ACCMODE != linux.O_RDWR {
			t.Errorf("OpenDevice(%d:%d): flags %#x", tc.major, tc.minor, fd.StatusFlags())
		}
		fd.DecRef()
	}
}

func TestStatFS(t *testing.T) {
	f := newTestFS(t)
	sfs, err := f.v.StatFS(root, f.ns.Root())
	if err != nil {
		t.Fatal(err)
	}
	if sfs.Type != linux.TMPFS_MAGIC || sfs.Namelen != linux.NAME_MAX {
		t.Errorf("statfs: type %#x namelen %d", sfs.Type, sfs.Namelen)
	}
	if name := f.ns.Root().Mount.Filesystem().Impl().Name(); name != "devtmpfs" {
		t.Errorf("name %q", name)
	}
}
