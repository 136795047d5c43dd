package vfs_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/tmpfs"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// testCtx is a task for the VFS: credentials, and blocking that never
// needs to wait for a host FD.
type testCtx struct{ creds *auth.Credentials }

func (c *testCtx) Credentials() *auth.Credentials { return c.creds }

func (c *testCtx) BlockFD(fd int, events int16) error { return linux.EINVAL }

func (c *testCtx) Block(ch <-chan struct{}, deadline time.Time) error {
	<-ch
	return nil
}

var (
	root = &testCtx{creds: auth.Root()}
	// user is uid/gid 1000 without capabilities.
	user = &testCtx{creds: &auth.Credentials{
		RealUID: 1000, EffectiveUID: 1000, SavedUID: 1000, FilesystemUID: 1000,
		RealGID: 1000, EffectiveGID: 1000, SavedGID: 1000, FilesystemGID: 1000,
	}}
)

// world is a mount namespace with a tmpfs root and a second tmpfs at
// /mnt, populated by newWorld:
//
//	/a/b/f          "data"
//	/f
//	/d/             empty
//	/abs -> /a/b    /rel -> a/b    /dangling -> /newfile    /loop -> loop
//	/l0 -> l1 ... /l40 -> f        (l1 needs 40 links, l0 41)
//	/mnt/inner      (another file system)
//	/mnt/up -> ../a
//	/sticky/        01777
type world struct {
	t   *testing.T
	v   *vfs.VirtualFilesystem
	ns  *vfs.MountNamespace
	mnt *vfs.Mount
}

func newWorld(t *testing.T) *world {
	t.Helper()
	mf, err := pgalloc.New("vfs-test", 64<<20)
	if err != nil {
		t.Fatalf("pgalloc.New: %v", err)
	}
	t.Cleanup(mf.Close)
	v := vfs.New()
	fs, rootInode := tmpfs.NewFilesystem(v, mf, tmpfs.Options{RootMode: 0755})
	w := &world{t: t, v: v, ns: v.NewMountNamespace(fs, rootInode, "tmpfs", vfs.MountFlags{})}
	w.mkdir("/a")
	w.mkdir("/a/b")
	w.mkdir("/d")
	w.mkdir("/mnt")
	w.mkdir("/sticky")
	w.must("chmod sticky", w.v.SetStat(root, w.at("/sticky"), vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 01777}))
	w.file("/a/b/f", "data")
	w.file("/f", "")
	w.symlink("/abs", "/a/b")
	w.symlink("/rel", "a/b")
	w.symlink("/dangling", "/newfile")
	w.symlink("/loop", "loop")
	for i := 0; i < 40; i++ {
		w.symlink(fmt.Sprintf("/l%d", i), fmt.Sprintf("l%d", i+1))
	}
	w.symlink("/l40", "f")
	fs2, root2 := tmpfs.NewFilesystem(v, mf, tmpfs.Options{RootMode: 0755})
	w.mnt, err = v.Mount(w.at("/mnt"), fs2, v.NewRootDentry(fs2, root2), "tmpfs", vfs.MountFlags{})
	if err != nil {
		t.Fatalf("mount: %v", err)
	}
	w.file("/mnt/inner", "inner")
	w.symlink("/mnt/up", "../a")
	return w
}

func (w *world) must(what string, err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("%s: %v", what, err)
	}
}

func (w *world) pop(path string) *vfs.PathOperation {
	r := w.ns.Root()
	return &vfs.PathOperation{Root: r, Start: r, Path: path, FollowFinal: true}
}

// at resolves path (following a final symlink) or fails the test.
func (w *world) at(path string) vfs.VirtualDentry {
	w.t.Helper()
	vd, err := w.v.GetDentryAt(root, w.pop(path))
	w.must("resolve "+path, err)
	return vd
}

func (w *world) mkdir(path string) {
	w.t.Helper()
	w.must("mkdir "+path, w.v.MkdirAt(root, w.pop(path), 0755))
}

func (w *world) symlink(path, target string) {
	w.t.Helper()
	w.must("symlink "+path, w.v.SymlinkAt(root, w.pop(path), target))
}

func (w *world) file(path, content string) {
	w.t.Helper()
	f, err := w.v.OpenAt(root, w.pop(path), vfs.OpenOptions{Flags: linux.O_CREAT | linux.O_WRONLY, Mode: 0644})
	w.must("create "+path, err)
	defer f.DecRef()
	if content != "" {
		_, err := f.Write(nil, []byte(content))
		w.must("write "+path, err)
	}
}

// name is the path of vd from the namespace root, or an error string.
func (w *world) name(vd vfs.VirtualDentry, err error) string {
	if err != nil {
		return "error " + errName(err)
	}
	p, ok := w.v.PathName(w.ns.Root(), vd)
	if !ok {
		return "unreachable " + p
	}
	return p
}

func errName(err error) string {
	if e, ok := err.(linux.Errno); ok {
		for _, c := range []struct {
			e linux.Errno
			n string
		}{
			{linux.ENOENT, "ENOENT"}, {linux.ENOTDIR, "ENOTDIR"}, {linux.EISDIR, "EISDIR"},
			{linux.EEXIST, "EEXIST"}, {linux.ELOOP, "ELOOP"}, {linux.ENAMETOOLONG, "ENAMETOOLONG"},
			{linux.EXDEV, "EXDEV"}, {linux.EACCES, "EACCES"}, {linux.EPERM, "EPERM"},
			{linux.EINVAL, "EINVAL"}, {linux.EBUSY, "EBUSY"}, {linux.ENOTEMPTY, "ENOTEMPTY"},
			{linux.EROFS, "EROFS"}, {linux.EBADF, "EBADF"},
		} {
			if e == c.e {
				return c.n
			}
		}
	}
	return err.Error()
}

func expect(t *testing.T, what string, err, want error) {
	t.Helper()
	if err != want {
		got, w := "nil", "nil"
		if err != nil {
			got = errName(err)
		}
		if want != nil {
			w = errName(want)
		}
		t.Errorf("%s: got %s, want %s", what, got, w)
	}
}

func TestResolve(t *testing.T) {
	w := newWorld(t)
	long := strings.Repeat("x", linux.NAME_MAX+1)
	for _, tc := range []struct {
		path     string
		nofollow bool
		start    string // "" is the root
		want     string
	}{
		{path: "/a/b/f", want: "/a/b/f"},
		{path: "a/b", want: "/a/b"},
		{path: "b/f", start: "/a", want: "/a/b/f"},
		{path: ".", start: "/a", want: "/a"},
		{path: "..", start: "/a/b", want: "/a"},
		{path: "/a/./b/../b/f", want: "/a/b/f"},
		{path: "//a///b//", want: "/a/b"},
		{path: "/..", want: "/"},
		{path: "/../../a", want: "/a"},
		{path: "/", want: "/"},
		{path: "/a/b/f/", want: "error ENOTDIR"},
		{path: "/a/b/f/.", want: "error ENOTDIR"},
		{path: "/a/b/f/..", want: "error ENOTDIR"},
		{path: "/f/x", want: "error ENOTDIR"},
		{path: "/nonexist", want: "error ENOENT"},
		{path: "/nonexist/x", want: "error ENOENT"},
		{path: "", want: "error ENOENT"},
		{path: "/abs/f", want: "/a/b/f"},
		{path: "/rel/f", want: "/a/b/f"},
		{path: "/abs", want: "/a/b"},
		{path: "/abs", nofollow: true, want: "/abs"},
		{path: "/abs/", nofollow: true, want: "/a/b"},
		{path: "/dangling", want: "error ENOENT"},
		{path: "/dangling", nofollow: true, want: "/dangling"},
		{path: "/loop", want: "error ELOOP"},
		{path: "/loop/x", nofollow: true, want: "error ELOOP"},
		{path: "/loop", nofollow: true, want: "/loop"},
		{path: "/l1", want: "/f"},
		{path: "/l0", want: "error ELOOP"},
		{path: "/" + long, want: "error ENAMETOOLONG"},
		{path: "/a/" + long + "/x", want: "error ENAMETOOLONG"},
		{path: "/" + long[1:], want: "error ENOENT"},
		{path: "/mnt", want: "/mnt"},
		{path: "/mnt/inner", want: "/mnt/inner"},
		{path: "/mnt/..", want: "/"},
		{path: "/mnt/../a", want: "/a"},
		{path: "..", start: "/mnt", want: "/"},
		{path: "/mnt/up/b/f", want: "/a/b/f"},
	} {
		p := w.pop(tc.path)
		p.FollowFinal = !tc.nofollow
		if tc.start != "" {
			p.Start = w.at(tc.start)
		}
		if got := w.name(w.v.GetDentryAt(root, p)); got != tc.want {
			t.Errorf("resolve %q (start %q, nofollow %v) = %s, want %s", trim(tc.path), tc.start, tc.nofollow, got, tc.want)
		}
	}
	// The mount shows the other file system.
	rootSt, _ := w.v.Stat(w.at("/"))
	mntSt, _ := w.v.Stat(w.at("/mnt"))
	innerSt, _ := w.v.Stat(w.at("/mnt/inner"))
	if rootSt.DevMinor == mntSt.DevMinor || mntSt.DevMinor != innerSt.DevMinor || mntSt.MntID == rootSt.MntID {
		t.Errorf("st_dev/mnt_id: root %d/%d, /mnt %d/%d, inner %d", rootSt.DevMinor, rootSt.MntID, mntSt.DevMinor, mntSt.MntID, innerSt.DevMinor)
	}
}

func trim(s string) string {
	if len(s) > 40 {
		return s[:20] + "..." + s[len(s)-10:]
	}
	return s
}

// TestChrootResolve resolves with a root that is not the namespace's:
// "/", ".." and absolute symlinks stay inside it.
func TestChrootResolve(t *testing.T) {
	w := newWorld(t)
	w.symlink("/a/up", "/../../b")
	a := w.at("/a")
	for _, tc := range []struct{ path, want string }{
		{"/", "/a"},
		{"/../..", "/a"},
		{"/b/f", "/a/b/f"},
		{"/up/f", "/a/b/f"},
		{"/f", "error ENOENT"},
	} {
		p := &vfs.PathOperation{Root: a, Start: a, Path: tc.path, FollowFinal: true}
		if got := w.name(w.v.GetDentryAt(root, p)); got != tc.want {
			t.Errorf("resolve %q in /a = %s, want %s", tc.path, got, tc.want)
		}
	}
	// Seen from the chroot, files outside it are unreachable.
	if p, ok := w.v.PathName(a, w.at("/f")); ok {
		t.Errorf("PathName of /f from /a = %q, reachable", p)
	}
	if p, ok := w.v.PathName(a, w.at("/a/b/f")); !ok || p != "/b/f" {
		t.Errorf("PathName of /a/b/f from /a = %q, %v", p, ok)
	}
}

func TestResolveFlags(t *testing.T) {
	w := newWorld(t)
	w.symlink("/a/absl", "/a/b")
	w.symlink("/a/inroot", "/b")
	w.symlink("/a/relup", "../f")
	for _, tc := range []struct {
		start, path string
		flags       uint64
		want        string
	}{
		{"/a", "b/f", linux.RESOLVE_BENEATH, "/a/b/f"},
		{"/a", "b/..", linux.RESOLVE_BENEATH, "/a"},
		{"/a", "../f", linux.RESOLVE_BENEATH, "error EXDEV"},
		{"/a", "b/../../f", linux.RESOLVE_BENEATH, "error EXDEV"},
		{"/a", "/f", linux.RESOLVE_BENEATH, "error EXDEV"},
		{"/a", "absl", linux.RESOLVE_BENEATH, "error EXDEV"},
		{"/a", "relup", linux.RESOLVE_BENEATH, "error EXDEV"},
		{"/", "..", linux.RESOLVE_BENEATH, "error EXDEV"},
		{"/", "a/..", linux.RESOLVE_BENEATH, "/"},
		{"/a", "../b/f", linux.RESOLVE_IN_ROOT, "/a/b/f"},
		{"/a", "/b/f", linux.RESOLVE_IN_ROOT, "/a/b/f"},
		{"/a", "inroot/f", linux.RESOLVE_IN_ROOT, "/a/b/f"},
		{"/a", "absl", linux.RESOLVE_IN_ROOT, "error ENOENT"},
		{"/", "rel/f", linux.RESOLVE_NO_SYMLINKS, "error ELOOP"},
		{"/", "a/b/f", linux.RESOLVE_NO_SYMLINKS, "/a/b/f"},
		{"/", "abs", linux.RESOLVE_NO_SYMLINKS, "error ELOOP"},
		{"/", "mnt/inner", linux.RESOLVE_NO_XDEV, "error EXDEV"},
		{"/", "mnt", linux.RESOLVE_NO_XDEV, "error EXDEV"},
		{"/mnt", "..", linux.RESOLVE_NO_XDEV, "error EXDEV"},
		{"/mnt", "inner", linux.RESOLVE_NO_XDEV, "/mnt/inner"},
		{"/mnt", "up", linux.RESOLVE_NO_XDEV, "error EXDEV"},
		{"/", "a/b", linux.RESOLVE_NO_XDEV, "/a/b"},
	} {
		p := w.pop(tc.path)
		p.Start = w.at(tc.start)
		p.Resolve = tc.flags
		if got := w.name(w.v.GetDentryAt(root, p)); got != tc.want {
			t.Errorf("resolve %q from %s with %#x = %s, want %s", tc.path, tc.start, tc.flags, got, tc.want)
		}
	}
}

func TestOpen(t *testing.T) {
	w := newWorld(t)
	long := strings.Repeat("x", linux.NAME_MAX+1)
	for _, tc := range []struct {
		path  string
		flags uint32
		err   error
	}{
		{"/a/b/f", linux.O_RDONLY, nil},
		{"/a/b/f", linux.O_RDONLY | linux.O_DIRECTORY, linux.ENOTDIR},
		{"/a", linux.O_WRONLY, linux.EISDIR},
		{"/a", linux.O_RDWR, linux.EISDIR},
		{"/a", linux.O_RDONLY | linux.O_TRUNC, linux.EISDIR},
		{"/a", linux.O_RDONLY | linux.O_CREAT, linux.EISDIR},
		{"/a", linux.O_RDONLY | linux.O_DIRECTORY, nil},
		{"/a/", linux.O_RDONLY, nil},
		{"/abs", linux.O_RDONLY | linux.O_NOFOLLOW, linux.ELOOP},
		{"/abs", linux.O_PATH | linux.O_NOFOLLOW, nil},
		{"/abs", linux.O_PATH | linux.O_NOFOLLOW | linux.O_DIRECTORY, linux.ENOTDIR},
		{"/abs", linux.O_RDONLY | linux.O_CREAT, linux.EISDIR},
		{"/abs", linux.O_RDONLY | linux.O_CREAT | linux.O_NOFOLLOW, linux.ELOOP},
		{"/dangling", linux.O_RDONLY | linux.O_CREAT | linux.O_EXCL, linux.EEXIST},
		{"/f", linux.O_RDONLY | linux.O_CREAT | linux.O_EXCL, linux.EEXIST},
		{"/a/b/", linux.O_RDONLY | linux.O_CREAT, linux.EISDIR},
		{"/new/", linux.O_RDONLY | linux.O_CREAT, linux.EISDIR},
		{"/f/", linux.O_RDONLY | linux.O_CREAT, linux.EISDIR},
		{"/f/", linux.O_RDONLY, linux.ENOTDIR},
		{"/nonexist/x", linux.O_RDONLY | linux.O_CREAT, linux.ENOENT},
		{"/f/x", linux.O_RDONLY | linux.O_CREAT, linux.ENOTDIR},
		{"/loop", linux.O_RDONLY | linux.O_CREAT, linux.ELOOP},
		{"/" + long, linux.O_RDONLY | linux.O_CREAT, linux.ENAMETOOLONG},
		{"/", linux.O_RDONLY | linux.O_CREAT, linux.EISDIR},
		{"/mnt/inner", linux.O_RDWR, nil},
	} {
		f, err := w.v.OpenAt(root, w.pop(tc.path), vfs.OpenOptions{Flags: tc.flags, Mode: 0644})
		expect(t, fmt.Sprintf("open %q %#o", trim(tc.path), tc.flags), err, tc.err)
		if f != nil {
			f.DecRef()
		}
	}
	// O_CREAT through a dangling symlink creates its target.
	f, err := w.v.OpenAt(root, w.pop("/dangling"), vfs.OpenOptions{Flags: linux.O_CREAT | linux.O_WRONLY, Mode: 0600})
	w.must("open dangling O_CREAT", err)
	f.DecRef()
	if got := w.name(w.v.GetDentryAt(root, w.pop("/newfile"))); got != "/newfile" {
		t.Errorf("O_CREAT through /dangling made %s", got)
	}
	// O_TRUNC empties the file; a created file gets the mode asked for.
	f, err = w.v.OpenAt(root, w.pop("/a/b/f"), vfs.OpenOptions{Flags: linux.O_TRUNC | linux.O_RDWR})
	w.must("open O_TRUNC", err)
	f.DecRef()
	if st, _ := w.v.Stat(w.at("/a/b/f")); st.Size != 0 {
		t.Errorf("size after O_TRUNC = %d", st.Size)
	}
	if st, _ := w.v.Stat(w.at("/newfile")); st.Mode != linux.S_IFREG|0600 {
		t.Errorf("created mode %o", st.Mode)
	}
}

func TestOps(t *testing.T) {
	w := newWorld(t)
	w.file("/a/g", "")
	w.mkdir("/full")
	w.file("/full/x", "")
	mk := func(p string) func() error { return func() error { return w.v.MkdirAt(root, w.pop(p), 0755) } }
	mknod := func(p string) func() error {
		return func() error { return w.v.MknodAt(root, w.pop(p), linux.S_IFREG|0644, 0) }
	}
	sym := func(p, target string) func() error {
		return func() error { return w.v.SymlinkAt(root, w.pop(p), target) }
	}
	link := func(o, n string) func() error {
		return func() error { return w.v.LinkAt(root, w.pop(o), w.pop(n)) }
	}
	unlink := func(p string) func() error { return func() error { return w.v.UnlinkAt(root, w.pop(p)) } }
	rmdir := func(p string) func() error { return func() error { return w.v.RmdirAt(root, w.pop(p)) } }
	rename := func(o, n string, flags uint32) func() error {
		return func() error { return w.v.RenameAt(root, w.pop(o), w.pop(n), flags) }
	}
	readlink := func(p string) func() error {
		return func() error { _, err := w.v.ReadlinkAt(root, w.pop(p)); return err }
	}
	for _, tc := range []struct {
		name string
		do   func() error
		err  error
	}{
		{"mkdir existing", mk("/a"), linux.EEXIST},
		{"mkdir /", mk("/"), linux.EEXIST},
		{"mkdir .", mk("/a/."), linux.EEXIST},
		{"mkdir ..", mk("/a/.."), linux.EEXIST},
		{"mkdir over a symlink", mk("/abs"), linux.EEXIST},
		{"mkdir over a dangling symlink", mk("/dangling"), linux.EEXIST},
		{"mkdir missing parent", mk("/nonexist/x"), linux.ENOENT},
		{"mkdir under a file", mk("/f/x"), linux.ENOTDIR},
		{"mkdir with trailing slash", mk("/newdir/"), nil},
		{"mknod existing", mknod("/f"), linux.EEXIST},
		{"mknod with trailing slash", mknod("/nf/"), linux.ENOENT},
		{"mknod existing with trailing slash", mknod("/f/"), linux.EEXIST},
		{"symlink to empty", sym("/s", ""), linux.ENOENT},
		{"symlink existing", sym("/f", "x"), linux.EEXIST},
		{"symlink with trailing slash", sym("/s/", "x"), linux.ENOENT},
		{"link a directory", link("/a", "/a2"), linux.EPERM},
		{"link over existing", link("/f", "/a/g"), linux.EEXIST},
		{"link missing", link("/nonexist", "/x"), linux.ENOENT},
		{"link across mounts", link("/f", "/mnt/f"), linux.EXDEV},
		{"link with trailing slash", link("/f", "/f2/"), linux.ENOENT},
		{"unlink a directory", unlink("/a"), linux.EISDIR},
		{"unlink missing", unlink("/nonexist"), linux.ENOENT},
		{"unlink file/", unlink("/f/"), linux.ENOTDIR},
		{"unlink dir/", unlink("/a/"), linux.EISDIR},
		{"unlink symlink/", unlink("/abs/"), linux.ENOTDIR},
		{"unlink /", unlink("/"), linux.EISDIR},
		{"unlink a mount point", unlink("/mnt"), linux.EISDIR},
		{"rmdir /", rmdir("/"), linux.EBUSY},
		{"rmdir .", rmdir("/a/."), linux.EINVAL},
		{"rmdir ..", rmdir("/a/b/.."), linux.ENOTEMPTY},
		{"rmdir a file", rmdir("/f"), linux.ENOTDIR},
		{"rmdir a symlink to a dir", rmdir("/abs"), linux.ENOTDIR},
		{"rmdir non-empty", rmdir("/full"), linux.ENOTEMPTY},
		{"rmdir a mount point", rmdir("/mnt"), linux.EBUSY},
		{"rmdir missing", rmdir("/nonexist"), linux.ENOENT},
		{"rmdir dir/", rmdir("/d/"), nil},
		{"readlink of a file", readlink("/f"), linux.EINVAL},
		{"readlink missing", readlink("/nonexist"), linux.ENOENT},
		{"rename /", rename("/", "/x", 0), linux.EBUSY},
		{"rename to .", rename("/f", "/a/.", 0), linux.EBUSY},
		{"rename missing", rename("/nonexist", "/x", 0), linux.ENOENT},
		{"rename file over dir", rename("/f", "/a", 0), linux.EISDIR},
		{"rename dir over file", rename("/a", "/f", 0), linux.ENOTDIR},
		{"rename dir under itself", rename("/a", "/a/b/c", 0), linux.EINVAL},
		{"rename dir to itself", rename("/a", "/a", 0), nil},
		{"rename over an ancestor", rename("/a/b/f", "/a", 0), linux.ENOTEMPTY},
		{"rename across mounts", rename("/f", "/mnt/f", 0), linux.EXDEV},
		{"rename a mount point", rename("/mnt", "/mnt2", 0), linux.EBUSY},
		{"rename NOREPLACE existing", rename("/f", "/a/g", linux.RENAME_NOREPLACE), linux.EEXIST},
		{"rename EXCHANGE missing", rename("/f", "/nonexist", linux.RENAME_EXCHANGE), linux.ENOENT},
		{"rename EXCHANGE|NOREPLACE", rename("/f", "/a/g", linux.RENAME_EXCHANGE|linux.RENAME_NOREPLACE), linux.EINVAL},
		{"rename WHITEOUT", rename("/f", "/a/g", linux.RENAME_WHITEOUT), linux.EINVAL},
		{"rename unknown flag", rename("/f", "/a/g", 8), linux.EINVAL},
		{"rename file/", rename("/f/", "/x", 0), linux.ENOTDIR},
		{"rename to file/", rename("/f", "/x/", 0), linux.ENOTDIR},
		{"rename dir to dir/", rename("/newdir", "/newdir2/", 0), nil},
		{"rename a hard link over its twin", func() error {
			if err := link("/a/g", "/a/g2")(); err != nil {
				return err
			}
			return rename("/a/g", "/a/g2", 0)()
		}, nil},
	} {
		expect(t, tc.name, tc.do(), tc.err)
	}
	// rename() over a hard link of the same file leaves both names.
	if w.name(w.v.GetDentryAt(root, w.pop("/a/g"))) != "/a/g" {
		t.Errorf("/a/g gone after renaming it over its own hard link")
	}
	w.mkdir("/d2")
	expect(t, "rename dir over non-empty dir", rename("/d2", "/full", 0)(), linux.ENOTEMPTY)
	expect(t, "rename EXCHANGE file and dir", rename("/f", "/d2", linux.RENAME_EXCHANGE)(), nil)
	if st, _ := w.v.Stat(w.at("/f")); !vfs.IsDir(st.Mode) {
		t.Errorf("/f is not the directory after the exchange")
	}
	expect(t, "rename EXCHANGE dir with itself inside", rename("/a", "/a/b", linux.RENAME_EXCHANGE)(), linux.EINVAL)
}

func TestRenameMovesDentries(t *testing.T) {
	w := newWorld(t)
	f, err := w.v.OpenAt(root, w.pop("/a/b/f"), vfs.OpenOptions{Flags: linux.O_RDONLY})
	w.must("open", err)
	defer f.DecRef()
	pf := f.(vfs.PathFile)
	w.must("rename a", w.v.RenameAt(root, w.pop("/a"), w.pop("/d/a2"), 0))
	if p, _ := w.v.PathName(w.ns.Root(), pf.VirtualDentry()); p != "/d/a2/b/f" {
		t.Errorf("open file's path after renaming its grandparent = %q", p)
	}
	if got := w.name(w.v.GetDentryAt(root, w.pop("/abs"))); got != "error ENOENT" {
		t.Errorf("/abs after its target moved = %s", got)
	}
	// Replacing a file kills the replaced name's dentry.
	w.file("/x", "x")
	w.file("/y", "y")
	g, err := w.v.OpenAt(root, w.pop("/y"), vfs.OpenOptions{Flags: linux.O_RDONLY})
	w.must("open y", err)
	defer g.DecRef()
	w.must("rename x over y", w.v.RenameAt(root, w.pop("/x"), w.pop("/y"), 0))
	if p, _ := w.v.PathName(w.ns.Root(), g.(vfs.PathFile).VirtualDentry()); p != "/y (deleted)" {
		t.Errorf("replaced file's path = %q", p)
	}
	b := make([]byte, 4)
	if n, _ := g.Read(nil, b); string(b[:n]) != "y" {
		t.Errorf("replaced file reads %q", b[:n])
	}
	nf, err := w.v.OpenAt(root, w.pop("/y"), vfs.OpenOptions{Flags: linux.O_RDONLY})
	w.must("open new y", err)
	defer nf.DecRef()
	if n, _ := nf.Read(nil, b); string(b[:n]) != "x" {
		t.Errorf("/y reads %q after the rename", b[:n])
	}
}

func TestPathNameDeleted(t *testing.T) {
	w := newWorld(t)
	f, err := w.v.OpenAt(root, w.pop("/a/b/f"), vfs.OpenOptions{Flags: linux.O_RDONLY})
	w.must("open", err)
	defer f.DecRef()
	vd := f.(vfs.PathFile).VirtualDentry()
	if p, ok := w.v.PathName(w.ns.Root(), vd); p != "/a/b/f" || !ok {
		t.Errorf("PathName = %q, %v", p, ok)
	}
	w.must("unlink", w.v.UnlinkAt(root, w.pop("/a/b/f")))
	if p, _ := w.v.PathName(w.ns.Root(), vd); p != "/a/b/f (deleted)" {
		t.Errorf("PathName after unlink = %q", p)
	}
	// A directory removed while it is a working directory.
	cwd := w.at("/d")
	w.must("rmdir", w.v.RmdirAt(root, w.pop("/d")))
	if p, _ := w.v.PathName(w.ns.Root(), cwd); p != "/d (deleted)" {
		t.Errorf("PathName of removed dir = %q", p)
	}
	rel := &vfs.PathOperation{Root: w.ns.Root(), Start: cwd, Path: "x"}
	expect(t, "create in a removed directory", w.v.MknodAt(root, rel, linux.S_IFREG|0644, 0), linux.ENOENT)
	expect(t, "mkdir in a removed directory", w.v.MkdirAt(root, rel, 0755), linux.ENOENT)
	// Inside a mount.
	if p, _ := w.v.PathName(w.ns.Root(), w.at("/mnt/inner")); p != "/mnt/inner" {
		t.Errorf("PathName in a mount = %q", p)
	}
	if ms := w.v.Mounts(w.ns, w.ns.Root()); len(ms) != 2 || ms[1].Path != "/mnt" || ms[1].Type != "tmpfs" {
		t.Errorf("Mounts = %+v", ms)
	}
}

func TestReaddir(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		dir  string
		want string
	}{
		{"/a", "[. .. b]"},
		{"/mnt", "[. .. inner up]"},
		{"/d", "[. ..]"},
	} {
		f, err := w.v.OpenAt(root, w.pop(tc.dir), vfs.OpenOptions{Flags: linux.O_RDONLY | linux.O_DIRECTORY})
		w.must("open "+tc.dir, err)
		var names []string
		var inos []uint64
		w.must("readdir", f.(vfs.DirentFile).IterDirents(root, func(d vfs.Dirent, next int64) bool {
			names = append(names, d.Name)
			inos = append(inos, d.Ino)
			return true
		}))
		if fmt.Sprint(names) != tc.want {
			t.Errorf("readdir %s = %v, want %s", tc.dir, names, tc.want)
		}
		self, _ := w.v.Stat(w.at(tc.dir))
		if inos[0] != self.Ino {
			t.Errorf("%s: \".\" ino %d, want %d", tc.dir, inos[0], self.Ino)
		}
		// Read in two steps: offsets resume where the last read stopped.
		f.Seek(0, linux.SEEK_SET)
		var first []string
		f.(vfs.DirentFile).IterDirents(root, func(d vfs.Dirent, next int64) bool {
			// Accept one entry, then refuse (a full buffer).
			if len(first) == 1 {
				return false
			}
			first = append(first, d.Name)
			return true
		})
		var rest []string
		f.(vfs.DirentFile).IterDirents(root, func(d vfs.Dirent, next int64) bool {
			rest = append(rest, d.Name)
			return true
		})
		if fmt.Sprint(append(first, rest...)) != tc.want {
			t.Errorf("readdir %s in two steps = %v + %v", tc.dir, first, rest)
		}
		f.DecRef()
	}
}

func TestPermissions(t *testing.T) {
	w := newWorld(t)
	w.mkdir("/priv")
	w.must("chmod priv", w.v.SetStat(root, w.at("/priv"), vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0700}))
	w.file("/priv/x", "")
	w.file("/secret", "s")
	w.must("chmod secret", w.v.SetStat(root, w.at("/secret"), vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0600}))
	w.mkdir("/home")
	w.must("chown home", w.v.SetStat(root, w.at("/home"), vfs.SetStatOptions{Mask: linux.STATX_UID | linux.STATX_GID, UID: 1000, GID: 1000}))
	w.file("/sticky/rootfile", "")
	w.must("chmod rootfile", w.v.SetStat(root, w.at("/sticky/rootfile"), vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0666}))
	w.mkdir("/home/sub")
	w.mkdir("/home/rootdir")
	w.must("chmod rootdir", w.v.SetStat(root, w.at("/home/rootdir"), vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0755}))

	open := func(p string, flags uint32) func() error {
		return func() error {
			f, err := w.v.OpenAt(user, w.pop(p), vfs.OpenOptions{Flags: flags, Mode: 0644})
			if f != nil {
				f.DecRef()
			}
			return err
		}
	}
	set := func(p string, opts vfs.SetStatOptions) func() error {
		return func() error {
			vd, err := w.v.GetDentryAt(user, w.pop(p))
			if err != nil {
				return err
			}
			return w.v.SetStat(user, vd, opts)
		}
	}
	access := func(p string, mode uint32) func() error {
		return func() error { return w.v.Access(user, w.at(p), mode) }
	}
	for _, tc := range []struct {
		name string
		do   func() error
		err  error
	}{
		{"read a 0600 root file", open("/secret", linux.O_RDONLY), linux.EACCES},
		{"write a 0644 root file", open("/f", linux.O_WRONLY), linux.EACCES},
		{"read a 0644 root file", open("/f", linux.O_RDONLY), nil},
		{"truncate a 0644 root file", open("/f", linux.O_RDONLY|linux.O_TRUNC), linux.EACCES},
		{"create in a 0755 root dir", open("/a/new", linux.O_CREAT|linux.O_WRONLY), linux.EACCES},
		{"mkdir in a 0755 root dir", func() error { return w.v.MkdirAt(user, w.pop("/a/nd"), 0755) }, linux.EACCES},
		{"search a 0700 dir", func() error { _, err := w.v.GetDentryAt(user, w.pop("/priv/x")); return err }, linux.EACCES},
		{"list a 0700 dir", open("/priv", linux.O_RDONLY|linux.O_DIRECTORY), linux.EACCES},
		{"create in own dir", open("/home/mine", linux.O_CREAT|linux.O_WRONLY), nil},
		{"chmod not owned", set("/f", vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0777}), linux.EPERM},
		{"chmod owned", set("/home/mine", vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0600}), nil},
		{"chown to another user", set("/home/mine", vfs.SetStatOptions{Mask: linux.STATX_UID, UID: 0}), linux.EPERM},
		{"chgrp to a group not in", set("/home/mine", vfs.SetStatOptions{Mask: linux.STATX_GID, GID: 5}), linux.EPERM},
		{"chgrp to own group", set("/home/mine", vfs.SetStatOptions{Mask: linux.STATX_GID, GID: 1000}), nil},
		{"utimes explicit not owned", set("/sticky/rootfile", vfs.SetStatOptions{Mask: linux.STATX_MTIME, Mtime: linux.Timespec{Sec: 5}}), linux.EPERM},
		{"utimes now with write permission", set("/sticky/rootfile", vfs.SetStatOptions{Mask: linux.STATX_MTIME, Mtime: linux.Timespec{Nsec: linux.UTIME_NOW}}), nil},
		{"utimes now without write permission", set("/f", vfs.SetStatOptions{Mask: linux.STATX_MTIME, Mtime: linux.Timespec{Nsec: linux.UTIME_NOW}}), linux.EACCES},
		{"truncate without write permission", func() error { return w.v.Truncate(user, w.at("/f"), 0) }, linux.EACCES},
		{"access R_OK on 0600 root file", access("/secret", linux.R_OK), linux.EACCES},
		{"access R_OK on 0644 root file", access("/f", linux.R_OK), nil},
		{"access W_OK on 0644 root file", access("/f", linux.W_OK), linux.EACCES},
		{"access X_OK on a dir", access("/a", linux.X_OK), nil},
		{"access F_OK", access("/secret", linux.F_OK), nil},
		{"sticky: unlink another's file", func() error { return w.v.UnlinkAt(user, w.pop("/sticky/rootfile")) }, linux.EPERM},
		{"sticky: rename another's file", func() error {
			return w.v.RenameAt(user, w.pop("/sticky/rootfile"), w.pop("/sticky/moved"), 0)
		}, linux.EPERM},
		{"sticky: create own", open("/sticky/mine", linux.O_CREAT|linux.O_WRONLY), nil},
		{"sticky: rename own", func() error { return w.v.RenameAt(user, w.pop("/sticky/mine"), w.pop("/sticky/mine2"), 0) }, nil},
		{"sticky: rename own over another's", func() error {
			return w.v.RenameAt(user, w.pop("/sticky/mine2"), w.pop("/sticky/rootfile"), 0)
		}, linux.EPERM},
		{"sticky: unlink own", func() error { return w.v.UnlinkAt(user, w.pop("/sticky/mine2")) }, nil},
		{"unlink in a 0755 root dir", func() error { return w.v.UnlinkAt(user, w.pop("/a/b/f")) }, linux.EACCES},
		{"move a root dir out of own dir", func() error {
			return w.v.RenameAt(user, w.pop("/home/rootdir"), w.pop("/sticky/rootdir"), 0)
		}, linux.EACCES},
		{"move own dir to another dir", func() error { return w.v.RenameAt(user, w.pop("/home/sub"), w.pop("/sticky/sub"), 0) }, linux.EACCES},
		{"rename within own dir", func() error { return w.v.RenameAt(user, w.pop("/home/rootdir"), w.pop("/home/rd2"), 0) }, nil},
		{"link into a root dir", func() error { return w.v.LinkAt(user, w.pop("/home/mine"), w.pop("/a/l")) }, linux.EACCES},
		{"user.* xattr on a root file", func() error { return w.v.SetXattr(user, w.at("/f"), "user.x", nil, 0) }, linux.EACCES},
	} {
		expect(t, tc.name, tc.do(), tc.err)
	}
	// /home/sub is owned by root (made by root) but /home by the user: it
	// cannot move between parents without write permission on itself;
	// root's own directory in the sticky dir likewise.
	st, _ := w.v.Stat(w.at("/home/mine"))
	if st.UID != 1000 || st.GID != 1000 || st.Mode&07777 != 0600 {
		t.Errorf("user's file: uid %d gid %d mode %o", st.UID, st.GID, st.Mode)
	}
}

func TestSetGIDInheritance(t *testing.T) {
	w := newWorld(t)
	w.mkdir("/g")
	w.must("chown g", w.v.SetStat(root, w.at("/g"), vfs.SetStatOptions{Mask: linux.STATX_MODE | linux.STATX_GID, Mode: 02777, GID: 50}))
	w.must("mkdir g/sub", w.v.MkdirAt(user, w.pop("/g/sub"), 0755))
	f, err := w.v.OpenAt(user, w.pop("/g/file"), vfs.OpenOptions{Flags: linux.O_CREAT | linux.O_WRONLY, Mode: 02755})
	w.must("create g/file", err)
	defer f.DecRef()
	if st, _ := w.v.Stat(w.at("/g/sub")); st.GID != 50 || st.Mode&linux.S_ISGID == 0 {
		t.Errorf("subdir of a set-group-ID dir: gid %d mode %o", st.GID, st.Mode)
	}
	// The user is not in group 50: the new file loses S_ISGID.
	if st, _ := w.v.Stat(w.at("/g/file")); st.GID != 50 || st.Mode&07777 != 0755 {
		t.Errorf("file in a set-group-ID dir: gid %d mode %o", st.GID, st.Mode)
	}
	// Truncation by someone without CAP_FSETID clears set-user-ID.
	w.must("chmod", w.v.SetStat(root, w.at("/g/file"), vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 04777}))
	w.must("truncate", w.v.Truncate(user, w.at("/g/file"), 1))
	if st, _ := w.v.Stat(w.at("/g/file")); st.Mode&07777 != 0777 {
		t.Errorf("mode after truncate %o, want 0777", st.Mode&07777)
	}
}

func TestReadOnlyMount(t *testing.T) {
	w := newWorld(t)
	w.mnt.SetFlags(vfs.MountFlags{ReadOnly: true})
	for _, tc := range []struct {
		name string
		do   func() error
		err  error
	}{
		{"create", func() error { return w.v.MknodAt(root, w.pop("/mnt/x"), linux.S_IFREG|0644, 0) }, linux.EROFS},
		{"mkdir existing", func() error { return w.v.MkdirAt(root, w.pop("/mnt/inner"), 0755) }, linux.EEXIST},
		{"unlink", func() error { return w.v.UnlinkAt(root, w.pop("/mnt/inner")) }, linux.EROFS},
		{"unlink missing", func() error { return w.v.UnlinkAt(root, w.pop("/mnt/nonexist")) }, linux.EROFS},
		{"rename", func() error { return w.v.RenameAt(root, w.pop("/mnt/inner"), w.pop("/mnt/x"), 0) }, linux.EROFS},
		{"link from elsewhere", func() error { return w.v.LinkAt(root, w.pop("/f"), w.pop("/mnt/f")) }, linux.EROFS},
		{"open for writing", func() error {
			_, err := w.v.OpenAt(root, w.pop("/mnt/inner"), vfs.OpenOptions{Flags: linux.O_WRONLY})
			return err
		}, linux.EROFS},
		{"chmod", func() error {
			return w.v.SetStat(root, w.at("/mnt/inner"), vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0600})
		}, linux.EROFS},
		{"access W_OK", func() error { return w.v.Access(root, w.at("/mnt/inner"), linux.W_OK) }, linux.EROFS},
		{"setxattr", func() error { return w.v.SetXattr(root, w.at("/mnt/inner"), "user.a", nil, 0) }, linux.EROFS},
	} {
		expect(t, tc.name, tc.do(), tc.err)
	}
	sfs, err := w.v.StatFS(root, w.at("/mnt"))
	if err != nil || sfs.Flags&linux.ST_RDONLY == 0 || sfs.Type != linux.TMPFS_MAGIC {
		t.Errorf("statfs of a read-only mount: %+v, %v", sfs, err)
	}
}

// TestConcurrentTree creates, links, renames, unlinks and looks up names
// in shared directories from many goroutines; run with -race. At the end
// the dentry cache and the file system must agree.
func TestConcurrentTree(t *testing.T) {
	w := newWorld(t)
	w.mkdir("/c")
	w.mkdir("/c/x")
	w.mkdir("/c/y")
	var wg sync.WaitGroup
	const workers, iters = 6, 150
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			dirs := []string{"/c/x", "/c/y"}
			for i := 0; i < iters; i++ {
				n := fmt.Sprintf("%s/f%d", dirs[i%2], (g+i)%10)
				m := fmt.Sprintf("%s/f%d", dirs[(i+1)%2], (g*3+i)%10)
				switch (g + i) % 7 {
				case 0:
					if f, err := w.v.OpenAt(root, w.pop(n), vfs.OpenOptions{Flags: linux.O_CREAT | linux.O_RDWR, Mode: 0644}); err == nil {
						f.Write(nil, []byte("x"))
						f.DecRef()
					}
				case 1:
					w.v.UnlinkAt(root, w.pop(n))
				case 2:
					w.v.RenameAt(root, w.pop(n), w.pop(m), 0)
				case 3:
					w.v.StatAt(root, w.pop(n))
				case 4:
					w.v.MkdirAt(root, w.pop(n), 0755)
					w.v.RmdirAt(root, w.pop(n))
				case 5:
					w.v.LinkAt(root, w.pop(n), w.pop(m))
				case 6:
					w.v.RenameAt(root, w.pop("/c/x"), w.pop("/c/y"), linux.RENAME_EXCHANGE)
					if f, err := w.v.OpenAt(root, w.pop(dirs[i%2]), vfs.OpenOptions{Flags: linux.O_RDONLY | linux.O_DIRECTORY}); err == nil {
						f.(vfs.DirentFile).IterDirents(root, func(vfs.Dirent, int64) bool { return true })
						f.DecRef()
					}
				}
			}
		}(g)
	}
	wg.Wait()
	for _, dir := range []string{"/c/x", "/c/y"} {
		f, err := w.v.OpenAt(root, w.pop(dir), vfs.OpenOptions{Flags: linux.O_RDONLY | linux.O_DIRECTORY})
		w.must("open "+dir, err)
		w.must("readdir", f.(vfs.DirentFile).IterDirents(root, func(d vfs.Dirent, next int64) bool {
			if d.Name == "." || d.Name == ".." {
				return true
			}
			st, err := w.v.StatAt(root, w.pop(dir+"/"+d.Name))
			if err != nil || st.Ino != d.Ino {
				t.Errorf("%s/%s listed (ino %d) but stat gives ino %d, %v", dir, d.Name, d.Ino, st.Ino, err)
			}
			return true
		}))
		f.DecRef()
	}
}
