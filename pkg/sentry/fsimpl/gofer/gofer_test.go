package gofer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/lisafs"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// env is a gofer file system over a fakeClient, mounted as the root of a
// mount namespace.
type env struct {
	t     *testing.T
	fc    *fakeClient
	v     *vfs.VirtualFilesystem
	fs    *Filesystem
	vfsfs *vfs.Filesystem
	root  vfs.VirtualDentry
	ctx   *testContext
}

// newEnv builds the tree with populate, then the file system.
func newEnv(t *testing.T, opts Options, donate bool, populate func(fc *fakeClient)) *env {
	t.Helper()
	fc := newFakeClient(t, donate)
	if populate != nil {
		populate(fc)
	}
	fc.mu.Lock()
	rootInode := fc.inode(fc.root)
	fc.mu.Unlock()
	v := vfs.New()
	vfsfs, root := newFilesystem(v, fc, rootInode, opts)
	ns := v.NewMountNamespace(vfsfs, root, "none", vfs.MountFlags{})
	return &env{
		t:     t,
		fc:    fc,
		v:     v,
		fs:    vfsfs.Impl().(*Filesystem),
		vfsfs: vfsfs,
		root:  ns.Root(),
		ctx:   &testContext{creds: auth.Root()},
	}
}

func (e *env) pop(path string, follow bool) *vfs.PathOperation {
	return &vfs.PathOperation{Root: e.root, Start: e.root, Path: path, FollowFinal: follow}
}

func (e *env) open(path string, flags, mode uint32) (vfs.FileDescription, error) {
	return e.v.OpenAt(e.ctx, e.pop(path, true), vfs.OpenOptions{Flags: flags, Mode: mode})
}

func (e *env) mustOpen(path string, flags, mode uint32) vfs.FileDescription {
	e.t.Helper()
	f, err := e.open(path, flags, mode)
	if err != nil {
		e.t.Fatalf("open %q: %v", path, err)
	}
	e.t.Cleanup(f.DecRef)
	return f
}

func (e *env) stat(path string) (linux.Statx, error) {
	return e.v.StatAt(e.ctx, e.pop(path, true))
}

func (e *env) mustStat(path string) linux.Statx {
	e.t.Helper()
	st, err := e.stat(path)
	if err != nil {
		e.t.Fatalf("stat %q: %v", path, err)
	}
	return st
}

// readdir lists the directory at path, "." and ".." included.
func (e *env) readdir(path string) []string {
	e.t.Helper()
	f, err := e.open(path, linux.O_RDONLY|linux.O_DIRECTORY, 0)
	if err != nil {
		e.t.Fatalf("open %q: %v", path, err)
	}
	defer f.DecRef()
	var names []string
	err = f.(vfs.DirentFile).IterDirents(e.ctx, func(d vfs.Dirent, next int64) bool {
		names = append(names, d.Name)
		return true
	})
	if err != nil {
		e.t.Fatalf("readdir %q: %v", path, err)
	}
	return names
}

// standardTree is /etc/{passwd,hosts}, /usr/bin/ls, /bin -> usr/bin and
// /empty.
func standardTree(fc *fakeClient) {
	etc := fc.add(fc.root, "etc", linux.S_IFDIR|0755, "")
	fc.add(etc, "passwd", linux.S_IFREG|0644, "root:x:0:0\n")
	fc.add(etc, "hosts", linux.S_IFREG|0644, "127.0.0.1 localhost\n")
	usr := fc.add(fc.root, "usr", linux.S_IFDIR|0755, "")
	bin := fc.add(usr, "bin", linux.S_IFDIR|0755, "")
	fc.add(bin, "ls", linux.S_IFREG|0755, "\x7fELF")
	fc.add(fc.root, "bin", linux.S_IFLNK|0777, "").target = "usr/bin"
	fc.add(fc.root, "empty", linux.S_IFDIR|0755, "")
}

func TestLookupStatReaddirReadlink(t *testing.T) {
	e := newEnv(t, Options{}, true, standardTree)
	passwd := e.fc.nodeAt("etc", "passwd")

	st := e.mustStat("/etc/passwd")
	if st.Ino != passwd.stat.Ino || st.Size != 11 || uint32(st.Mode) != linux.S_IFREG|0644 {
		t.Errorf("stat /etc/passwd = ino %d size %d mode %#o, want ino %d size 11 mode %#o",
			st.Ino, st.Size, st.Mode, passwd.stat.Ino, linux.S_IFREG|0644)
	}
	if dev := linux.MakeDev(st.DevMajor, st.DevMinor); dev != e.vfsfs.Dev() {
		t.Errorf("st_dev = %#x, want the file system's %#x", dev, e.vfsfs.Dev())
	}
	if got, err := e.v.ReadlinkAt(e.ctx, e.pop("/bin", false)); err != nil || got != "usr/bin" {
		t.Errorf("readlink /bin = %q, %v; want usr/bin", got, err)
	}
	if st := e.mustStat("/bin/ls"); st.Size != 4 {
		t.Errorf("stat /bin/ls: size %d, want 4", st.Size)
	}
	if got, want := e.readdir("/etc"), []string{".", "..", "hosts", "passwd"}; !slices.Equal(got, want) {
		t.Errorf("readdir /etc = %v, want %v", got, want)
	}
	if _, err := e.stat("/etc/nothing"); err != linux.ENOENT {
		t.Errorf("stat /etc/nothing: %v, want ENOENT", err)
	}
	if _, err := e.stat("/etc/passwd/x"); err != linux.ENOTDIR {
		t.Errorf("stat /etc/passwd/x: %v, want ENOTDIR", err)
	}

	// Exclusive mode: everything again, from the caches.
	before := e.fc.total()
	e.mustStat("/etc/passwd")
	e.mustStat("/bin/ls")
	if _, err := e.v.ReadlinkAt(e.ctx, e.pop("/bin", false)); err != nil {
		t.Fatal(err)
	}
	e.readdir("/etc")
	if after := e.fc.total(); after != before {
		t.Errorf("cached stat, readlink and readdir made %d RPCs, want 0 (%v)", after-before, e.fc.calls)
	}
}

func TestReadWrite(t *testing.T) {
	for _, tc := range []struct {
		name   string
		donate bool
		access FileAccess
	}{
		{"host FD exclusive", true, Exclusive},
		{"host FD shared", true, Shared},
		{"RPC exclusive", false, Exclusive},
		{"RPC shared", false, Shared},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{FileAccess: tc.access}, tc.donate, func(fc *fakeClient) {
				fc.add(fc.root, "f", linux.S_IFREG|0644, "0123456789")
			})
			f := e.mustOpen("/f", linux.O_RDWR, 0)
			buf := make([]byte, 4)
			if n, err := f.Read(nil, buf); err != nil || string(buf[:n]) != "0123" {
				t.Fatalf("read = %q, %v", buf[:n], err)
			}
			if n, err := f.Read(nil, buf); err != nil || string(buf[:n]) != "4567" {
				t.Fatalf("second read = %q, %v", buf[:n], err)
			}
			if n, err := f.PRead(nil, buf, 8); err != nil || string(buf[:n]) != "89" {
				t.Fatalf("pread at 8 = %q, %v", buf[:n], err)
			}
			if n, err := f.PRead(nil, buf, 100); err != nil || n != 0 {
				t.Fatalf("pread past EOF = %d, %v; want 0, nil", n, err)
			}
			if n, err := f.Write(nil, []byte("ab")); err != nil || n != 2 {
				t.Fatalf("write = %d, %v", n, err)
			}
			if n, err := f.PWrite(nil, []byte("XYZ"), 10); err != nil || n != 3 {
				t.Fatalf("pwrite at 10 = %d, %v", n, err)
			}
			if st := e.mustStat("/f"); st.Size != 13 {
				t.Errorf("size after writes = %d, want 13", st.Size)
			}
			all := make([]byte, 32)
			// "89" was overwritten by "ab" at offset 8.
			if n, err := f.PRead(nil, all, 0); err != nil || string(all[:n]) != "01234567abXYZ" {
				t.Errorf("contents = %q, %v; want 01234567abXYZ", all[:n], err)
			}
			if off, err := f.Seek(0, linux.SEEK_END); err != nil || off != 13 {
				t.Errorf("seek end = %d, %v; want 13", off, err)
			}
			if off, err := f.Seek(-3, linux.SEEK_CUR); err != nil || off != 10 {
				t.Errorf("seek cur -3 = %d, %v; want 10", off, err)
			}
			if _, err := f.Seek(-20, linux.SEEK_CUR); err != linux.EINVAL {
				t.Errorf("seek before 0: %v, want EINVAL", err)
			}
			if off, err := f.Seek(2, linux.SEEK_DATA); err != nil || off != 2 {
				t.Errorf("SEEK_DATA 2 = %d, %v; want 2", off, err)
			}
			if off, err := f.Seek(2, linux.SEEK_HOLE); err != nil || off != 13 {
				t.Errorf("SEEK_HOLE 2 = %d, %v; want 13", off, err)
			}
			if _, err := f.Seek(13, linux.SEEK_DATA); err != linux.ENXIO {
				t.Errorf("SEEK_DATA at EOF: %v, want ENXIO", err)
			}
			if _, err := f.Seek(0, 99); err != linux.EINVAL {
				t.Errorf("seek whence 99: %v, want EINVAL", err)
			}

			// FIONREAD: bytes from the offset to the end.
			if _, err := f.Seek(3, linux.SEEK_SET); err != nil {
				t.Fatal(err)
			}
			mem := &usermem.BytesIO{Base: 0x1000, Bytes: make([]byte, 4)}
			if _, err := f.Ioctl(mem, linux.FIONREAD, 0x1000); err != nil {
				t.Fatalf("FIONREAD: %v", err)
			}
			if got := binary.LittleEndian.Uint32(mem.Bytes); got != 10 {
				t.Errorf("FIONREAD = %d, want 10", got)
			}
			if _, err := f.Ioctl(mem, 0x5401, 0x1000); err != linux.ENOTTY {
				t.Errorf("TCGETS: %v, want ENOTTY", err)
			}

			// O_APPEND lands at the end, whatever the offset.
			a := e.mustOpen("/f", linux.O_WRONLY|linux.O_APPEND, 0)
			if n, err := a.Write(nil, []byte("!!")); err != nil || n != 2 {
				t.Fatalf("append = %d, %v", n, err)
			}
			if n, err := a.PWrite(nil, []byte("?"), 0); err != nil || n != 1 {
				t.Fatalf("append pwrite = %d, %v", n, err)
			}
			n, _ := f.PRead(nil, all, 0)
			if got := string(all[:n]); got != "01234567abXYZ!!?" {
				t.Errorf("contents after appends = %q", got)
			}
			if _, err := a.Read(nil, buf); err != linux.EBADF {
				t.Errorf("read of O_WRONLY file: %v, want EBADF", err)
			}
			r := e.mustOpen("/f", linux.O_RDONLY, 0)
			if _, err := r.Write(nil, buf); err != linux.EBADF {
				t.Errorf("write of O_RDONLY file: %v, want EBADF", err)
			}
			if err := r.(vfs.Allocator).Allocate(e.ctx, 0, 0, 10); err != linux.EBADF {
				t.Errorf("fallocate of O_RDONLY file: %v, want EBADF", err)
			}
			if err := f.(vfs.Syncer).Sync(e.ctx, false); err != nil {
				t.Errorf("fsync: %v", err)
			}
			if err := f.(vfs.Allocator).Allocate(e.ctx, 0, 0, 100); err != nil {
				t.Errorf("fallocate: %v", err)
			}
			if st := e.mustStat("/f"); st.Size != 100 {
				t.Errorf("size after fallocate = %d, want 100", st.Size)
			}
			if err := f.(vfs.Allocator).Allocate(e.ctx, linux.FALLOC_FL_KEEP_SIZE, 0, 200); err != nil {
				t.Errorf("fallocate KEEP_SIZE: %v", err)
			}
			if st := e.mustStat("/f"); st.Size != 100 {
				t.Errorf("size after fallocate KEEP_SIZE = %d, want 100", st.Size)
			}
			if src := f.(vfs.Mappable).MMapSource(); src != vfs.MMapCopy {
				t.Errorf("MMapSource = %v, want MMapCopy", src)
			}

			rpcIO := e.fc.count("PRead") + e.fc.count("PWrite")
			if tc.donate && rpcIO != 0 {
				t.Errorf("with a donated host FD, %d PRead/PWrite RPCs were made; want 0", rpcIO)
			}
			if !tc.donate && rpcIO == 0 {
				t.Errorf("without a host FD, no PRead/PWrite RPC was made")
			}
		})
	}
}

// TestReadMakesNoRPC checks the performance requirement: reading a file
// with a donated host FD costs no RPC at all, in either mode.
func TestReadMakesNoRPC(t *testing.T) {
	for _, access := range []FileAccess{Exclusive, Shared} {
		t.Run(access.String(), func(t *testing.T) {
			e := newEnv(t, Options{FileAccess: access}, true, func(fc *fakeClient) {
				fc.add(fc.root, "big", linux.S_IFREG|0644, string(bytes.Repeat([]byte("x"), 1<<16)))
			})
			f := e.mustOpen("/big", linux.O_RDONLY, 0)
			before := e.fc.total()
			buf := make([]byte, 4096)
			total := 0
			for {
				n, err := f.Read(nil, buf)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
				total += n
			}
			if total != 1<<16 {
				t.Errorf("read %d bytes, want %d", total, 1<<16)
			}
			if got := e.fc.total() - before; got != 0 {
				t.Errorf("reads made %d RPCs, want 0", got)
			}
		})
	}
}

func TestCreateMkdirSymlinkLinkUnlinkRename(t *testing.T) {
	e := newEnv(t, Options{}, true, standardTree)
	if got, want := e.readdir("/empty"), []string{".", ".."}; !slices.Equal(got, want) {
		t.Fatalf("readdir /empty = %v, want %v", got, want)
	}
	// O_CREAT of a file with mode 0444, opened for writing: as on Linux
	// it works (the create's own open file is used; the fake refuses a
	// later write open of a read-only file).
	f, err := e.open("/empty/ro", linux.O_CREAT|linux.O_WRONLY, 0444)
	if err != nil {
		t.Fatalf("open(O_CREAT|O_WRONLY, 0444): %v", err)
	}
	if n, err := f.Write(nil, []byte("data")); err != nil || n != 4 {
		t.Errorf("write to the new file = %d, %v", n, err)
	}
	f.DecRef()
	if st := e.mustStat("/empty/ro"); uint32(st.Mode) != linux.S_IFREG|0444 || st.Size != 4 {
		t.Errorf("new file: mode %#o size %d, want %#o 4", st.Mode, st.Size, linux.S_IFREG|0444)
	}
	if err := e.v.MkdirAt(e.ctx, e.pop("/empty/d", false), 0700); err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	if st := e.mustStat("/empty/d"); uint32(st.Mode) != linux.S_IFDIR|0700 {
		t.Errorf("mkdir: mode %#o", st.Mode)
	}
	if st := e.mustStat("/empty"); st.Nlink != 3 {
		t.Errorf("parent nlink after mkdir = %d, want 3", st.Nlink)
	}
	if err := e.v.SymlinkAt(e.ctx, e.pop("/empty/l", false), "ro"); err != nil {
		t.Fatalf("symlink: %v", err)
	}
	if err := e.v.MknodAt(e.ctx, e.pop("/empty/fifo", false), linux.S_IFIFO|0600, 0); err != nil {
		t.Fatalf("mknod fifo: %v", err)
	}
	if err := e.v.LinkAt(e.ctx, e.pop("/empty/ro", false), e.pop("/empty/hard", false)); err != nil {
		t.Fatalf("link: %v", err)
	}
	if st := e.mustStat("/empty/hard"); st.Nlink != 2 {
		t.Errorf("nlink after link = %d, want 2", st.Nlink)
	}
	if got, want := e.readdir("/empty"), []string{".", "..", "d", "fifo", "hard", "l", "ro"}; !slices.Equal(got, want) {
		t.Errorf("readdir after creates = %v, want %v", got, want)
	}
	if st := e.mustStat("/empty/l"); st.Size != 4 {
		t.Errorf("stat through new symlink: size %d, want 4", st.Size)
	}

	if err := e.v.RenameAt(e.ctx, e.pop("/empty/ro", false), e.pop("/empty/d/moved", false), 0); err != nil {
		t.Fatalf("rename: %v", err)
	}
	if _, err := e.stat("/empty/ro"); err != linux.ENOENT {
		t.Errorf("old name after rename: %v, want ENOENT", err)
	}
	if got, want := e.readdir("/empty/d"), []string{".", "..", "moved"}; !slices.Equal(got, want) {
		t.Errorf("readdir of the rename target = %v, want %v", got, want)
	}
	if err := e.v.RenameAt(e.ctx, e.pop("/empty/hard", false), e.pop("/empty/fifo", false), linux.RENAME_EXCHANGE); err != linux.EINVAL {
		t.Errorf("RENAME_EXCHANGE: %v, want EINVAL", err)
	}
	if err := e.v.UnlinkAt(e.ctx, e.pop("/empty/hard", false)); err != nil {
		t.Fatalf("unlink: %v", err)
	}
	if st := e.mustStat("/empty/d/moved"); st.Nlink != 1 {
		t.Errorf("nlink after unlink of the other name = %d, want 1", st.Nlink)
	}
	if err := e.v.RmdirAt(e.ctx, e.pop("/empty/d", false)); err != linux.ENOTEMPTY {
		t.Errorf("rmdir of a non-empty dir: %v, want ENOTEMPTY", err)
	}
	if err := e.v.UnlinkAt(e.ctx, e.pop("/empty/d/moved", false)); err != nil {
		t.Fatalf("unlink: %v", err)
	}
	if err := e.v.RmdirAt(e.ctx, e.pop("/empty/d", false)); err != nil {
		t.Fatalf("rmdir: %v", err)
	}
	if got, want := e.readdir("/empty"), []string{".", "..", "fifo", "l"}; !slices.Equal(got, want) {
		t.Errorf("readdir after removals = %v, want %v", got, want)
	}
	if err := e.v.SetStat(e.ctx, e.root, vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0711}); err != nil {
		t.Fatalf("chmod /: %v", err)
	}
	if st := e.mustStat("/"); uint32(st.Mode) != linux.S_IFDIR|0711 {
		t.Errorf("mode after chmod = %#o", st.Mode)
	}
}

// TestReadOnly checks that a read-only gofer file system refuses every
// mutation with EROFS before sending anything, even through a mount that
// is not read-only.
func TestReadOnly(t *testing.T) {
	e := newEnv(t, Options{ReadOnly: true}, true, standardTree)
	mutating := []string{"SetStat", "OpenCreateAt", "MkdirAt", "MknodAt", "SymlinkAt", "LinkAt", "UnlinkAt", "RenameAt", "SetXattr", "RemoveXattr", "FAllocate", "PWrite"}
	ctx := e.ctx
	for _, tc := range []struct {
		name string
		op   func() error
	}{
		{"mkdir", func() error { return e.v.MkdirAt(ctx, e.pop("/etc/d", false), 0755) }},
		{"mknod", func() error { return e.v.MknodAt(ctx, e.pop("/etc/n", false), linux.S_IFREG|0644, 0) }},
		{"creat", func() error {
			_, err := e.open("/etc/new", linux.O_CREAT|linux.O_WRONLY, 0644)
			return err
		}},
		{"open for writing", func() error {
			_, err := e.open("/etc/passwd", linux.O_WRONLY, 0)
			return err
		}},
		{"truncate", func() error {
			_, err := e.open("/etc/passwd", linux.O_RDONLY|linux.O_TRUNC, 0)
			return err
		}},
		{"symlink", func() error { return e.v.SymlinkAt(ctx, e.pop("/etc/l", false), "x") }},
		{"link", func() error { return e.v.LinkAt(ctx, e.pop("/etc/passwd", false), e.pop("/etc/l2", false)) }},
		{"unlink", func() error { return e.v.UnlinkAt(ctx, e.pop("/etc/passwd", false)) }},
		{"rmdir", func() error { return e.v.RmdirAt(ctx, e.pop("/empty", false)) }},
		{"rename", func() error { return e.v.RenameAt(ctx, e.pop("/etc/hosts", false), e.pop("/etc/h2", false), 0) }},
		{"chmod", func() error {
			vd, err := e.v.GetDentryAt(ctx, e.pop("/etc/passwd", false))
			if err != nil {
				return err
			}
			return e.v.SetStat(ctx, vd, vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0600})
		}},
		{"setxattr", func() error {
			vd, err := e.v.GetDentryAt(ctx, e.pop("/etc/passwd", false))
			if err != nil {
				return err
			}
			return e.v.SetXattr(ctx, vd, "user.a", []byte("1"), 0)
		}},
		{"removexattr", func() error {
			vd, err := e.v.GetDentryAt(ctx, e.pop("/etc/passwd", false))
			if err != nil {
				return err
			}
			return e.v.RemoveXattr(ctx, vd, "user.a")
		}},
		{"Create directly", func() error {
			d := e.root.Dentry.Inode().(vfs.DirInode)
			_, err := d.Create(ctx, "x", vfs.CreateOptions{Mode: linux.S_IFREG | 0644})
			return err
		}},
		{"Rename directly", func() error {
			d := e.root.Dentry.Inode().(vfs.DirInode)
			child, err := d.Lookup(ctx, "etc")
			if err != nil {
				return err
			}
			return d.Rename(ctx, "etc", child, d, "etc2", nil, 0)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); err != linux.EROFS {
				t.Errorf("%s: %v, want EROFS", tc.name, err)
			}
			for _, m := range mutating {
				if n := e.fc.count(m); n != 0 {
					t.Errorf("%s sent %d %s requests, want none", tc.name, n, m)
				}
			}
		})
	}
	// Reading still works.
	f := e.mustOpen("/etc/passwd", linux.O_RDONLY, 0)
	buf := make([]byte, 4)
	if n, err := f.Read(nil, buf); err != nil || string(buf[:n]) != "root" {
		t.Errorf("read on a read-only file system = %q, %v", buf[:n], err)
	}
}

// TestSharedRevalidation changes the tree behind the sentry's back.
func TestSharedRevalidation(t *testing.T) {
	for _, tc := range []struct {
		access FileAccess
		// wantNew says whether the sentry sees the replaced file.
		wantNew bool
	}{
		{Shared, true},
		{Exclusive, false},
	} {
		t.Run(tc.access.String(), func(t *testing.T) {
			e := newEnv(t, Options{FileAccess: tc.access}, true, standardTree)
			old := e.mustStat("/etc/passwd")
			e.mustStat("/etc/hosts")
			e.readdir("/etc")

			// Replace passwd with another file, change hosts' mode, add
			// a file.
			etc := e.fc.nodeAt("etc")
			repl := e.fc.add(etc, "passwd", linux.S_IFREG|0600, "new contents\n")
			e.fc.mu.Lock()
			etc.children["hosts"].stat.Mode = linux.S_IFREG | 0600
			e.fc.mu.Unlock()
			e.fc.add(etc, "group", linux.S_IFREG|0644, "")

			st := e.mustStat("/etc/passwd")
			hosts := e.mustStat("/etc/hosts")
			names := e.readdir("/etc")
			if tc.wantNew {
				if st.Ino != repl.stat.Ino || st.Size != 13 {
					t.Errorf("replaced file: ino %d size %d, want ino %d size 13", st.Ino, st.Size, repl.stat.Ino)
				}
				if hosts.Mode&07777 != 0600 {
					t.Errorf("mode changed behind the sentry's back: got %#o, want 0600", hosts.Mode&07777)
				}
				if !slices.Contains(names, "group") {
					t.Errorf("readdir %v misses the new file", names)
				}
				// The new file reads with the new contents.
				f := e.mustOpen("/etc/passwd", linux.O_RDONLY, 0)
				buf := make([]byte, 64)
				if n, _ := f.Read(nil, buf); string(buf[:n]) != "new contents\n" {
					t.Errorf("read after replacement = %q", buf[:n])
				}
				// Removed behind the back: gone.
				e.fc.mu.Lock()
				delete(etc.children, "passwd")
				e.fc.mu.Unlock()
				if _, err := e.stat("/etc/passwd"); err != linux.ENOENT {
					t.Errorf("stat of a file removed behind the sentry's back: %v, want ENOENT", err)
				}
			} else {
				if st.Ino != old.Ino {
					t.Errorf("exclusive mode: ino changed from %d to %d; the cache should be trusted", old.Ino, st.Ino)
				}
				if hosts.Mode&07777 != 0644 {
					t.Errorf("exclusive mode: mode %#o, want the cached 0644", hosts.Mode&07777)
				}
				if slices.Contains(names, "group") {
					t.Errorf("exclusive mode: readdir %v should come from the cache", names)
				}
			}
		})
	}
}

// TestConnectionLost kills the gofer: operations fail with EIO and Done
// is closed.
func TestConnectionLost(t *testing.T) {
	e := newEnv(t, Options{FileAccess: Shared}, false, standardTree)
	f := e.mustOpen("/etc/passwd", linux.O_RDONLY, 0)
	select {
	case <-e.fs.Done():
		t.Fatal("Done closed before the connection was lost")
	default:
	}
	e.fc.kill()
	select {
	case <-e.fs.Done():
	default:
		t.Fatal("Done not closed after the connection was lost")
	}
	for _, tc := range []struct {
		name string
		op   func() error
	}{
		{"stat", func() error { _, err := e.stat("/etc/passwd"); return err }},
		{"lookup", func() error { _, err := e.stat("/usr/bin/ls"); return err }},
		{"read", func() error { _, err := f.Read(nil, make([]byte, 4)); return err }},
		{"mkdir", func() error { return e.v.MkdirAt(e.ctx, e.pop("/empty/x", false), 0755) }},
		{"statfs", func() error { _, err := e.v.StatFS(e.ctx, e.root); return err }},
	} {
		if err := tc.op(); err != linux.EIO {
			t.Errorf("%s after the gofer died: %v, want EIO", tc.name, err)
		}
	}
}

// TestControlFDLifetime checks that control FDs are closed when the last
// name and open file of an inode are gone, and all of them at Release.
func TestControlFDLifetime(t *testing.T) {
	e := newEnv(t, Options{}, true, standardTree)
	e.mustStat("/empty")
	base := e.openFDs()
	f, err := e.open("/empty/tmp", linux.O_CREAT|linux.O_RDWR, 0644)
	if err != nil {
		t.Fatal(err)
	}
	// A control FD and an open FD.
	if got := e.openFDs(); got != base+2 {
		t.Errorf("after create: %d FDs, want %d", got, base+2)
	}
	if err := e.v.UnlinkAt(e.ctx, e.pop("/empty/tmp", false)); err != nil {
		t.Fatal(err)
	}
	if got := e.openFDs(); got != base+2 {
		t.Errorf("after unlink of an open file: %d FDs, want %d", got, base+2)
	}
	// The unlinked open file still works.
	if n, err := f.Write(nil, []byte("abc")); err != nil || n != 3 {
		t.Errorf("write to an unlinked file = %d, %v", n, err)
	}
	if st, err := f.Stat(); err != nil || st.Nlink != 0 || st.Size != 3 {
		t.Errorf("fstat of an unlinked file = nlink %d size %d, %v; want 0, 3", st.Nlink, st.Size, err)
	}
	f.DecRef()
	if got := e.openFDs(); got != base {
		t.Errorf("after the last close: %d FDs, want %d", got, base)
	}

	// A file created without an open (mknod) keeps its create's open FD
	// until it is opened or removed.
	if err := e.v.MknodAt(e.ctx, e.pop("/empty/n", false), linux.S_IFREG|0600, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.v.UnlinkAt(e.ctx, e.pop("/empty/n", false)); err != nil {
		t.Fatal(err)
	}
	if got := e.openFDs(); got != base {
		t.Errorf("after mknod and unlink: %d FDs, want %d", got, base)
	}

	e.mustStat("/usr/bin/ls")
	e.fs.Release()
	if got := e.openFDs(); got != 0 {
		t.Errorf("after Release: %d FDs, want 0", got)
	}
	if e.fc.count("Close") != 1 {
		t.Errorf("Release closed the client %d times, want 1", e.fc.count("Close"))
	}
	e.fs.Release()
}

// TestHardLinksShareInode: two names of one host file are one inode, so
// a write through one is seen through the other without an RPC.
func TestHardLinksShareInode(t *testing.T) {
	e := newEnv(t, Options{}, true, func(fc *fakeClient) {
		n := fc.add(fc.root, "x", linux.S_IFREG|0644, "")
		fc.root.children["y"] = n
		n.stat.Nlink = 2
	})
	x, y := e.mustStat("/x"), e.mustStat("/y")
	if x.Ino != y.Ino {
		t.Fatalf("ino %d and %d for two names of one file", x.Ino, y.Ino)
	}
	vx, err := e.v.GetDentryAt(e.ctx, e.pop("/x", false))
	if err != nil {
		t.Fatal(err)
	}
	vy, err := e.v.GetDentryAt(e.ctx, e.pop("/y", false))
	if err != nil {
		t.Fatal(err)
	}
	if vx.Dentry.Inode() != vy.Dentry.Inode() {
		t.Errorf("two names of one host file have two inodes")
	}
	// One control FD for both names.
	if got := len(e.fs.live); got != 2 {
		t.Errorf("%d live inodes, want 2 (root and the file)", got)
	}
	f := e.mustOpen("/x", linux.O_WRONLY, 0)
	if _, err := f.Write(nil, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if st := e.mustStat("/y"); st.Size != 5 {
		t.Errorf("size through the other name = %d, want 5", st.Size)
	}
}

func TestDevicesFIFOsSockets(t *testing.T) {
	populate := func(fc *fakeClient) {
		n := fc.add(fc.root, "null", linux.S_IFCHR|0666, "")
		n.stat.RdevMajor, n.stat.RdevMinor = 1, 3
		fc.add(fc.root, "fifo", linux.S_IFIFO|0666, "")
		fc.add(fc.root, "sock", linux.S_IFSOCK|0666, "")
		fc.add(fc.root, "blk", linux.S_IFBLK|0666, "")
	}
	var gotRdev uint64
	hook := func(ctx vfs.Context, vd vfs.VirtualDentry, rdev uint64, flags uint32) (vfs.FileDescription, error) {
		gotRdev = rdev
		return vfs.NewOpathFile(vd, flags), nil
	}
	withHook := newEnv(t, Options{OpenDevice: hook}, true, populate)
	noHook := newEnv(t, Options{}, true, populate)
	for _, tc := range []struct {
		e       *env
		path    string
		wantErr error
	}{
		{withHook, "/null", nil},
		{noHook, "/null", linux.ENXIO},
		{withHook, "/fifo", nil},
		{withHook, "/sock", linux.ENXIO},
		{withHook, "/blk", linux.ENXIO},
	} {
		f, err := tc.e.open(tc.path, linux.O_RDWR, 0)
		if err != tc.wantErr {
			t.Errorf("open %s: %v, want %v", tc.path, err, tc.wantErr)
		}
		if f != nil {
			f.DecRef()
		}
	}
	if gotRdev != linux.MakeDev(1, 3) {
		t.Errorf("OpenDevice got rdev %#x, want %#x", gotRdev, linux.MakeDev(1, 3))
	}

	// Every open of the FIFO is an end of one sandbox-internal pipe.
	w, err := noHook.open("/fifo", linux.O_RDWR|linux.O_NONBLOCK, 0)
	if err != nil {
		t.Fatalf("open fifo: %v", err)
	}
	defer w.DecRef()
	r, err := noHook.open("/fifo", linux.O_RDONLY|linux.O_NONBLOCK, 0)
	if err != nil {
		t.Fatalf("open fifo again: %v", err)
	}
	defer r.DecRef()
	if n, err := w.Write(noHook.ctx, []byte("hi")); n != 2 || err != nil {
		t.Fatalf("write fifo: %d, %v", n, err)
	}
	buf := make([]byte, 8)
	if n, err := r.Read(noHook.ctx, buf); err != nil || string(buf[:n]) != "hi" {
		t.Errorf("read fifo: %q, %v; want \"hi\"", buf[:n], err)
	}
}

func TestXattrs(t *testing.T) {
	e := newEnv(t, Options{}, true, standardTree)
	vd, err := e.v.GetDentryAt(e.ctx, e.pop("/etc/passwd", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.v.GetXattr(e.ctx, vd, "user.a", 0); err != linux.ENODATA {
		t.Errorf("getxattr of a missing name: %v, want ENODATA", err)
	}
	if err := e.v.SetXattr(e.ctx, vd, "user.a", []byte("value"), linux.XATTR_CREATE); err != nil {
		t.Fatalf("setxattr: %v", err)
	}
	if err := e.v.SetXattr(e.ctx, vd, "user.a", []byte("v2"), linux.XATTR_CREATE); err != linux.EEXIST {
		t.Errorf("setxattr XATTR_CREATE of an existing name: %v, want EEXIST", err)
	}
	if v, err := e.v.GetXattr(e.ctx, vd, "user.a", 0); err != nil || string(v) != "value" {
		t.Errorf("getxattr = %q, %v", v, err)
	}
	if _, err := e.v.GetXattr(e.ctx, vd, "user.a", 2); err != linux.ERANGE {
		t.Errorf("getxattr with a small buffer: %v, want ERANGE", err)
	}
	if names, err := e.v.ListXattr(e.ctx, vd, 0); err != nil || !slices.Equal(names, []string{"user.a"}) {
		t.Errorf("listxattr = %v, %v", names, err)
	}
	if err := e.v.RemoveXattr(e.ctx, vd, "user.a"); err != nil {
		t.Errorf("removexattr: %v", err)
	}
	if err := e.v.RemoveXattr(e.ctx, vd, "user.a"); err != linux.ENODATA {
		t.Errorf("second removexattr: %v, want ENODATA", err)
	}
}

func TestStatFS(t *testing.T) {
	e := newEnv(t, Options{}, true, nil)
	sfs, err := e.v.StatFS(e.ctx, e.root)
	if err != nil {
		t.Fatal(err)
	}
	if sfs.Type != linux.V9FS_MAGIC || sfs.Bsize != 4096 || sfs.Blocks != 100 {
		t.Errorf("statfs = %+v, want the gofer's numbers with V9FS_MAGIC", sfs)
	}
	if e.fs.Name() != "9p" {
		t.Errorf("Name() = %q", e.fs.Name())
	}
}

func TestRPCErrors(t *testing.T) {
	fs := &Filesystem{}
	for _, tc := range []struct {
		err  error
		want error
	}{
		{linux.ENOENT, linux.ENOENT},
		{errors.Join(errors.New("context"), linux.EACCES), linux.EACCES},
		{lisafsLost(), linux.EIO},
		{errors.New("protocol error"), linux.EIO},
	} {
		if got := fs.rpcErr("op", "name", tc.err); got != tc.want {
			t.Errorf("rpcErr(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if fs.rpcErr("op", "", nil) != nil {
		t.Errorf("rpcErr(nil) != nil")
	}
}

// lisafsLost returns an error like the client's after the gofer died.
func lisafsLost() error {
	return fmt.Errorf("lisafs: walk: %w", lisafs.ErrConnectionLost)
}

// openFDs counts the FDIDs the fake client holds once the queued closes
// are sent.
func (e *env) openFDs() int {
	e.fs.syncCloses()
	return e.fc.openFDs()
}
