package overlay

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/tmpfs"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// testCtx is a task with fixed credentials that never blocks.
type testCtx struct{ creds *auth.Credentials }

func (c *testCtx) Credentials() *auth.Credentials { return c.creds }

func (c *testCtx) BlockFD(fd int, events int16) error { return linux.EINVAL }

func (c *testCtx) Block(ch <-chan struct{}, deadline time.Time) error {
	<-ch
	return nil
}

// tree is one mount namespace (a layer's or the overlay's) with helpers
// that fail the test on unexpected errors.
type tree struct {
	t   *testing.T
	v   *vfs.VirtualFilesystem
	ctx *testCtx
	mnt vfs.VirtualDentry
}

func (tr *tree) pop(path string) *vfs.PathOperation {
	if path == "" {
		path = "."
	}
	return &vfs.PathOperation{Root: tr.mnt, Start: tr.mnt, Path: path}
}

func (tr *tree) mkdir(path string, mode uint32) {
	tr.t.Helper()
	if err := tr.v.MkdirAt(tr.ctx, tr.pop(path), mode); err != nil {
		tr.t.Fatalf("mkdir %s: %v", path, err)
	}
}

func (tr *tree) open(path string, flags uint32) (vfs.FileDescription, error) {
	p := tr.pop(path)
	p.FollowFinal = true
	return tr.v.OpenAt(tr.ctx, p, vfs.OpenOptions{Flags: flags, Mode: 0644})
}

func (tr *tree) mustOpen(path string, flags uint32) vfs.FileDescription {
	tr.t.Helper()
	f, err := tr.open(path, flags)
	if err != nil {
		tr.t.Fatalf("open %s: %v", path, err)
	}
	tr.t.Cleanup(f.DecRef)
	return f
}

func (tr *tree) write(path, data string) {
	tr.t.Helper()
	f := tr.mustOpen(path, linux.O_WRONLY|linux.O_CREAT|linux.O_TRUNC)
	if n, err := f.Write(tr.ctx, []byte(data)); err != nil || n != len(data) {
		tr.t.Fatalf("write %s: %d, %v", path, n, err)
	}
}

func (tr *tree) read(path string) string {
	tr.t.Helper()
	f := tr.mustOpen(path, linux.O_RDONLY)
	return readAll(tr.t, f)
}

func readAll(t *testing.T, f vfs.FileDescription) string {
	t.Helper()
	var out []byte
	buf := make([]byte, 4096)
	for off := int64(0); ; {
		n, err := f.PRead(nil, buf, off)
		if err != nil {
			t.Fatalf("pread: %v", err)
		}
		if n == 0 {
			return string(out)
		}
		out = append(out, buf[:n]...)
		off += int64(n)
	}
}

func (tr *tree) statErr(path string) (linux.Statx, error) {
	return tr.v.StatAt(tr.ctx, tr.pop(path))
}

func (tr *tree) stat(path string) linux.Statx {
	tr.t.Helper()
	st, err := tr.statErr(path)
	if err != nil {
		tr.t.Fatalf("stat %s: %v", path, err)
	}
	return st
}

func (tr *tree) vd(path string) vfs.VirtualDentry {
	tr.t.Helper()
	vd, err := tr.v.GetDentryAt(tr.ctx, tr.pop(path))
	if err != nil {
		tr.t.Fatalf("lookup %s: %v", path, err)
	}
	return vd
}

// readdir lists path (without . and ..), sorted, with inode numbers.
func (tr *tree) readdir(path string) map[string]uint64 {
	tr.t.Helper()
	f := tr.mustOpen(path, linux.O_RDONLY|linux.O_DIRECTORY)
	out := make(map[string]uint64)
	err := f.(vfs.DirentFile).IterDirents(tr.ctx, func(d vfs.Dirent, next int64) bool {
		if d.Name != "." && d.Name != ".." {
			out[d.Name] = d.Ino
		}
		return true
	})
	if err != nil {
		tr.t.Fatalf("readdir %s: %v", path, err)
	}
	return out
}

func names(m map[string]uint64) string {
	var s []string
	for n := range m {
		s = append(s, n)
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

// snapshot describes every file under the tree's root: paths, types,
// modes, sizes, contents and xattrs (to check that a layer never changes).
func (tr *tree) snapshot() string {
	tr.t.Helper()
	var b strings.Builder
	var walk func(dir string)
	walk = func(dir string) {
		ents := tr.readdir(dir)
		var ns []string
		for n := range ents {
			ns = append(ns, n)
		}
		sort.Strings(ns)
		for _, n := range ns {
			p := dir + "/" + n
			st := tr.stat(p)
			fmt.Fprintf(&b, "%s %o %d %d.%d", p, st.Mode, st.Size, st.Mtime.Sec, st.Mtime.Nsec)
			switch {
			case vfs.IsDir(st.Mode):
				b.WriteString("\n")
				walk(p)
				continue
			case vfs.IsRegular(st.Mode):
				fmt.Fprintf(&b, " %q", tr.read(p))
			}
			if xs, err := tr.v.ListXattr(tr.ctx, tr.vd(p), 0); err == nil {
				fmt.Fprintf(&b, " %v", xs)
			}
			b.WriteString("\n")
		}
	}
	walk("")
	return b.String()
}

// env is an overlay of lower tmpfs layers (filled by the test first) and
// an upper tmpfs.
type env struct {
	t      *testing.T
	v      *vfs.VirtualFilesystem
	mf     *pgalloc.MemoryFile
	lowers []*tree
	upper  *tree // the upper layer's root
	work   vfs.VirtualDentry
	ov     *tree // the overlay
}

func newEnv(t *testing.T, nLowers int) *env {
	t.Helper()
	mf, err := pgalloc.New("overlay-test", 1<<30)
	if err != nil {
		t.Fatalf("pgalloc.New: %v", err)
	}
	t.Cleanup(mf.Close)
	e := &env{t: t, v: vfs.New(), mf: mf}
	ctx := &testCtx{creds: auth.Root()}
	for i := 0; i < nLowers; i++ {
		fs, root := tmpfs.NewFilesystem(e.v, mf, tmpfs.Options{RootMode: 0755})
		mnt := e.v.NewMountNamespace(fs, root, "lower", vfs.MountFlags{}).Root()
		e.lowers = append(e.lowers, &tree{t: t, v: e.v, ctx: ctx, mnt: mnt})
	}
	return e
}

// mount makes the overlay, with an upper layer of at most upperSize bytes
// (0: unlimited). The lower layers become read-only to everyone.
func (e *env) mount(upperSize uint64) {
	e.t.Helper()
	ctx := e.lowers[0].ctx
	ufs, uroot := tmpfs.NewFilesystem(e.v, e.mf, tmpfs.Options{RootMode: 0755, MaxSize: upperSize})
	umnt := e.v.NewMountNamespace(ufs, uroot, "upper", vfs.MountFlags{}).Root()
	ut := &tree{t: e.t, v: e.v, ctx: ctx, mnt: umnt}
	ut.mkdir("upper", 0755)
	ut.mkdir("work", 0755)
	e.upper = &tree{t: e.t, v: e.v, ctx: ctx, mnt: ut.vd("upper")}
	e.work = ut.vd("work")
	var lowers []vfs.VirtualDentry
	for _, l := range e.lowers {
		l.mnt.Mount.SetFlags(vfs.MountFlags{ReadOnly: true})
		lowers = append(lowers, l.mnt)
	}
	fs, root, err := NewFilesystem(e.v, Options{Lowers: lowers, Upper: e.upper.mnt, Work: e.work})
	if err != nil {
		e.t.Fatalf("NewFilesystem: %v", err)
	}
	e.ov = &tree{t: e.t, v: e.v, ctx: ctx, mnt: e.v.NewMountNamespace(fs, root, "overlay", vfs.MountFlags{}).Root()}
}

// workEmpty checks that nothing was left in the work directory.
func (e *env) workEmpty() {
	e.t.Helper()
	ents, err := e.work.Dentry.Inode().(vfs.DirInode).Readdir(e.ov.ctx)
	if err != nil || len(ents) != 0 {
		e.t.Errorf("work directory: %v, %v; want empty", ents, err)
	}
}

// standardLower fills l with the files most tests use.
func standardLower(l *tree) {
	l.mkdir("dir", 0755)
	l.write("dir/a", "lower a")
	l.write("dir/b", "lower b")
	l.mkdir("dir/sub", 0700)
	l.write("dir/sub/c", "lower c")
	l.write("file", "lower file")
	if err := l.v.SymlinkAt(l.ctx, l.pop("link"), "file"); err != nil {
		l.t.Fatal(err)
	}
	if err := l.v.LinkAt(l.ctx, l.pop("file"), l.pop("hard")); err != nil {
		l.t.Fatal(err)
	}
	if err := l.v.SetXattr(l.ctx, l.vd("file"), "user.k", []byte("v"), 0); err != nil {
		l.t.Fatal(err)
	}
	if err := l.v.SetStat(l.ctx, l.vd("file"), vfs.SetStatOptions{
		Mask: linux.STATX_MODE | linux.STATX_UID | linux.STATX_GID | linux.STATX_ATIME | linux.STATX_MTIME,
		Mode: 04751, UID: 1000, GID: 1001,
		Atime: linux.Timespec{Sec: 1000, Nsec: 1}, Mtime: linux.Timespec{Sec: 2000, Nsec: 2},
	}); err != nil {
		l.t.Fatal(err)
	}
}

func TestLookupAndRead(t *testing.T) {
	e := newEnv(t, 1)
	standardLower(e.lowers[0])
	e.mount(0)
	if got := e.ov.read("dir/sub/c"); got != "lower c" {
		t.Errorf("read = %q", got)
	}
	if got, err := e.v.ReadlinkAt(e.ov.ctx, e.ov.pop("link")); got != "file" || err != nil {
		t.Errorf("readlink = %q, %v", got, err)
	}
	if got := names(e.ov.readdir("")); got != "dir file hard link" {
		t.Errorf("readdir / = %q", got)
	}
	if _, err := e.ov.statErr("nope"); !errors.Is(err, linux.ENOENT) {
		t.Errorf("stat of a missing name: %v", err)
	}
	// Every file has the overlay's device; the two lower names of one
	// file share an inode number.
	dev := e.ov.stat("").DevMajor<<20 | e.ov.stat("").DevMinor
	for _, p := range []string{"dir", "dir/a", "file", "hard"} {
		st := e.ov.stat(p)
		if st.DevMajor<<20|st.DevMinor != dev {
			t.Errorf("%s: dev %d:%d differs from the root's", p, st.DevMajor, st.DevMinor)
		}
	}
	if a, b := e.ov.stat("file").Ino, e.ov.stat("hard").Ino; a != b {
		t.Errorf("lower hard links: inodes %d and %d", a, b)
	}
	// readdir's numbers are stat's.
	for n, ino := range e.ov.readdir("dir") {
		if st := e.ov.stat("dir/" + n); st.Ino != ino {
			t.Errorf("dir/%s: readdir ino %d, stat ino %d", n, ino, st.Ino)
		}
	}
	sfs, err := e.v.StatFS(e.ov.ctx, e.ov.mnt)
	if err != nil || sfs.Type != linux.OVERLAYFS_SUPER_MAGIC {
		t.Errorf("statfs type %#x, %v", sfs.Type, err)
	}
}

func TestCopyUpOnWrite(t *testing.T) {
	e := newEnv(t, 1)
	standardLower(e.lowers[0])
	before := e.lowers[0].snapshot()
	e.mount(0)
	st0 := e.ov.stat("file")
	rootDev := e.ov.stat("")
	ro := e.ov.mustOpen("file", linux.O_RDONLY)
	f := e.ov.mustOpen("file", linux.O_WRONLY|linux.O_APPEND)
	if _, err := f.Write(e.ov.ctx, []byte("+new")); err != nil {
		t.Fatalf("write: %v", err)
	}
	if got := e.ov.read("file"); got != "lower file+new" {
		t.Errorf("content after write = %q", got)
	}
	st := e.ov.stat("file")
	if st.Ino != st0.Ino || st.DevMinor != rootDev.DevMinor {
		t.Errorf("ino %d dev %d after copy-up, want %d and %d", st.Ino, st.DevMinor, st0.Ino, rootDev.DevMinor)
	}
	if st.UID != 1000 || st.GID != 1001 || st.Mode != st0.Mode {
		t.Errorf("after copy-up: uid %d gid %d mode %o, want 1000 1001 %o", st.UID, st.GID, st.Mode, st0.Mode)
	}
	if v, err := e.v.GetXattr(e.ov.ctx, e.ov.vd("file"), "user.k", 0); string(v) != "v" || err != nil {
		t.Errorf("xattr after copy-up = %q, %v", v, err)
	}
	// The fd opened read-only before the copy-up follows it (Linux >= 4.19).
	if got := readAll(t, ro); got != "lower file+new" {
		t.Errorf("O_RDONLY fd opened before copy-up reads %q", got)
	}
	// The other lower name of the file keeps the lower data (no index).
	if got := e.ov.read("hard"); got != "lower file" {
		t.Errorf("other hard link reads %q", got)
	}
	if after := e.lowers[0].snapshot(); after != before {
		t.Errorf("lower layer changed:\n%s\nwant\n%s", after, before)
	}
	if got := e.upper.read("file"); got != "lower file+new" {
		t.Errorf("upper layer has %q", got)
	}
	e.workEmpty()
}

func TestCopyUpMetadataOnly(t *testing.T) {
	e := newEnv(t, 1)
	standardLower(e.lowers[0])
	e.mount(0)
	dirSt := e.ov.stat("dir/sub")
	cSt := e.ov.stat("dir/sub/c")
	// chmod of a file two levels down copies up its parents with their
	// metadata, and the parents' times do not change.
	if err := e.v.SetStat(e.ov.ctx, e.ov.vd("dir/sub/c"), vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0600}); err != nil {
		t.Fatalf("chmod: %v", err)
	}
	if st := e.upper.stat("dir/sub"); st.Mode&07777 != 0700 || st.Mtime != dirSt.Mtime {
		t.Errorf("copied-up parent: mode %o mtime %v, want 0700 and %v", st.Mode, st.Mtime, dirSt.Mtime)
	}
	if got := e.ov.read("dir/sub/c"); got != "lower c" {
		t.Errorf("content = %q", got)
	}
	if st := e.ov.stat("dir/sub/c"); st.Mode&07777 != 0600 || st.Mtime != cSt.Mtime || st.Ino != cSt.Ino {
		t.Errorf("after chmod: mode %o mtime %v ino %d, want 0600 %v %d", st.Mode, st.Mtime, st.Ino, cSt.Mtime, cSt.Ino)
	}
	// The merged directory still shows its lower entries.
	if got := names(e.ov.readdir("dir")); got != "a b sub" {
		t.Errorf("readdir dir = %q", got)
	}
	// O_TRUNC copies up without the data.
	e.ov.mustOpen("dir/a", linux.O_WRONLY|linux.O_TRUNC)
	if st := e.upper.stat("dir/a"); st.Size != 0 {
		t.Errorf("truncated copy-up has size %d", st.Size)
	}
	// A symlink keeps its target.
	if err := e.v.SetStat(e.ov.ctx, e.ov.vd("link"), vfs.SetStatOptions{Mask: linux.STATX_UID, UID: 5}); err != nil {
		t.Fatalf("lchown: %v", err)
	}
	if got, err := e.v.ReadlinkAt(e.ov.ctx, e.upper.pop("link")); got != "file" || err != nil {
		t.Errorf("upper symlink = %q, %v", got, err)
	}
	e.workEmpty()
}

func TestUnlinkAndWhiteouts(t *testing.T) {
	e := newEnv(t, 1)
	standardLower(e.lowers[0])
	e.mount(0)
	if err := e.v.UnlinkAt(e.ov.ctx, e.ov.pop("dir/a")); err != nil {
		t.Fatalf("unlink: %v", err)
	}
	if _, err := e.ov.statErr("dir/a"); !errors.Is(err, linux.ENOENT) {
		t.Errorf("stat after unlink: %v", err)
	}
	if got := names(e.ov.readdir("dir")); got != "b sub" {
		t.Errorf("readdir after unlink = %q", got)
	}
	if st := e.upper.stat("dir/a"); !isWhiteoutStat(&st) {
		t.Errorf("upper dir/a is %o %d:%d, want a whiteout", st.Mode, st.RdevMajor, st.RdevMinor)
	}
	// Create over the whiteout.
	e.ov.write("dir/a", "new a")
	if got := e.ov.read("dir/a"); got != "new a" {
		t.Errorf("recreated file reads %q", got)
	}
	// Unlink of an upper-only file leaves no whiteout.
	e.ov.write("dir/new", "x")
	if err := e.v.UnlinkAt(e.ov.ctx, e.ov.pop("dir/new")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.upper.statErr("dir/new"); !errors.Is(err, linux.ENOENT) {
		t.Errorf("upper dir/new after unlink: %v", err)
	}
	// Unlink of a copied-up file leaves a whiteout.
	if err := e.v.UnlinkAt(e.ov.ctx, e.ov.pop("dir/a")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ov.statErr("dir/a"); !errors.Is(err, linux.ENOENT) {
		t.Errorf("stat after second unlink: %v", err)
	}
	if got := names(e.ov.readdir("dir")); got != "b sub" {
		t.Errorf("readdir = %q", got)
	}
	e.workEmpty()
}

func TestRmdirAndOpaque(t *testing.T) {
	e := newEnv(t, 1)
	standardLower(e.lowers[0])
	e.mount(0)
	if err := e.v.RmdirAt(e.ov.ctx, e.ov.pop("dir/sub")); !errors.Is(err, linux.ENOTEMPTY) {
		t.Fatalf("rmdir of a merged dir with lower entries: %v", err)
	}
	if err := e.v.UnlinkAt(e.ov.ctx, e.ov.pop("dir/sub/c")); err != nil {
		t.Fatal(err)
	}
	if err := e.v.RmdirAt(e.ov.ctx, e.ov.pop("dir/sub")); err != nil {
		t.Fatalf("rmdir once empty: %v", err)
	}
	if got := names(e.ov.readdir("dir")); got != "a b" {
		t.Errorf("readdir = %q", got)
	}
	// mkdir over the whiteout is opaque: the lower c does not show.
	e.ov.mkdir("dir/sub", 0755)
	if got := names(e.ov.readdir("dir/sub")); got != "" {
		t.Errorf("new dir shows %q", got)
	}
	if _, err := e.ov.statErr("dir/sub/c"); !errors.Is(err, linux.ENOENT) {
		t.Errorf("lower child through opaque dir: %v", err)
	}
	// The overlay's own attribute is invisible and cannot be set.
	root := &testCtx{creds: auth.Root()}
	if xs, _ := e.v.ListXattr(root, e.ov.vd("dir/sub"), 0); len(xs) != 0 {
		t.Errorf("listxattr shows %v", xs)
	}
	if err := e.v.SetXattr(root, e.ov.vd("dir"), opaqueXattr, []byte("y"), 0); !errors.Is(err, linux.EOPNOTSUPP) {
		t.Errorf("setxattr %s: %v", opaqueXattr, err)
	}
	// Removing the whole merged dir works once it is empty.
	for _, n := range []string{"dir/a", "dir/b"} {
		if err := e.v.UnlinkAt(e.ov.ctx, e.ov.pop(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.v.RmdirAt(e.ov.ctx, e.ov.pop("dir/sub")); err != nil {
		t.Fatal(err)
	}
	if err := e.v.RmdirAt(e.ov.ctx, e.ov.pop("dir")); err != nil {
		t.Fatalf("rmdir dir: %v", err)
	}
	if _, err := e.ov.statErr("dir"); !errors.Is(err, linux.ENOENT) {
		t.Errorf("stat dir after rmdir: %v", err)
	}
	e.ov.mkdir("dir", 0755)
	if got := names(e.ov.readdir("dir")); got != "" {
		t.Errorf("recreated dir shows %q", got)
	}
	e.workEmpty()
}

func TestRename(t *testing.T) {
	e := newEnv(t, 1)
	standardLower(e.lowers[0])
	e.mount(0)
	ino := e.ov.stat("dir/a").Ino
	tests := []struct {
		name     string
		from, to string
		flags    uint32
		want     error
	}{
		{"lower file", "dir/a", "dir/a2", 0, nil},
		{"lower file to another dir", "dir/b", "b", 0, nil},
		{"lower dir", "dir/sub", "sub2", 0, linux.EXDEV},
		{"merged root child dir", "dir", "dir2", 0, linux.EXDEV},
		{"lower file over lower file", "file", "dir/sub/c", 0, nil},
	}
	for _, tc := range tests {
		err := e.v.RenameAt(e.ov.ctx, e.ov.pop(tc.from), e.ov.pop(tc.to), tc.flags)
		if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
			t.Errorf("%s: rename %s %s: %v, want %v", tc.name, tc.from, tc.to, err, tc.want)
		}
	}
	if _, err := e.ov.statErr("dir/a"); !errors.Is(err, linux.ENOENT) {
		t.Errorf("old name after rename: %v", err)
	}
	if got := e.ov.read("dir/a2"); got != "lower a" {
		t.Errorf("renamed file reads %q", got)
	}
	if got := e.ov.stat("dir/a2").Ino; got != ino {
		t.Errorf("renamed file ino %d, want %d", got, ino)
	}
	if got := names(e.ov.readdir("dir")); got != "a2 sub" {
		t.Errorf("readdir dir = %q", got)
	}
	if got := e.ov.read("dir/sub/c"); got != "lower file" {
		t.Errorf("replaced file reads %q", got)
	}
	// Upper-only directories move; onto a whiteout they become opaque.
	e.ov.mkdir("new", 0755)
	e.ov.write("new/x", "x")
	if err := e.v.UnlinkAt(e.ov.ctx, e.ov.pop("hard")); err != nil {
		t.Fatal(err)
	}
	if err := e.v.RenameAt(e.ov.ctx, e.ov.pop("new"), e.ov.pop("hard"), 0); err != nil {
		t.Fatalf("rename upper dir over whiteout: %v", err)
	}
	if got := names(e.ov.readdir("hard")); got != "x" {
		t.Errorf("moved dir lists %q", got)
	}
	if _, err := e.ov.statErr("new"); !errors.Is(err, linux.ENOENT) {
		t.Errorf("old dir name: %v", err)
	}
	// Exchange two files.
	e.ov.write("p", "p")
	if err := e.v.RenameAt(e.ov.ctx, e.ov.pop("p"), e.ov.pop("dir/a2"), linux.RENAME_EXCHANGE); err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if e.ov.read("p") != "lower a" || e.ov.read("dir/a2") != "p" {
		t.Errorf("exchange: p=%q a2=%q", e.ov.read("p"), e.ov.read("dir/a2"))
	}
	if got := names(e.ov.readdir("")); got != "b dir hard link p" {
		t.Errorf("readdir / = %q", got)
	}
	e.workEmpty()
}

func TestHardLink(t *testing.T) {
	e := newEnv(t, 1)
	standardLower(e.lowers[0])
	e.mount(0)
	ino := e.ov.stat("dir/a").Ino
	if err := e.v.LinkAt(e.ov.ctx, e.ov.pop("dir/a"), e.ov.pop("dir/a-link")); err != nil {
		t.Fatalf("link: %v", err)
	}
	st, st2 := e.ov.stat("dir/a"), e.ov.stat("dir/a-link")
	if st.Ino != ino || st2.Ino != ino || st.Nlink != 2 {
		t.Errorf("after link: inos %d %d (want %d), nlink %d", st.Ino, st2.Ino, ino, st.Nlink)
	}
	f := e.ov.mustOpen("dir/a-link", linux.O_WRONLY|linux.O_TRUNC)
	f.Write(e.ov.ctx, []byte("both"))
	if got := e.ov.read("dir/a"); got != "both" {
		t.Errorf("write through one link, other reads %q", got)
	}
	if err := e.v.UnlinkAt(e.ov.ctx, e.ov.pop("dir/a")); err != nil {
		t.Fatal(err)
	}
	if got := e.ov.read("dir/a-link"); got != "both" {
		t.Errorf("after unlink of the first name: %q", got)
	}
	if _, err := e.ov.statErr("dir/a"); !errors.Is(err, linux.ENOENT) {
		t.Errorf("unlinked name: %v", err)
	}
	e.workEmpty()
}

func TestLayersMerge(t *testing.T) {
	e := newEnv(t, 2)
	top, bottom := e.lowers[0], e.lowers[1]
	bottom.mkdir("d", 0755)
	bottom.write("d/bottom", "b")
	bottom.write("d/hidden", "h")
	bottom.mkdir("o", 0755)
	bottom.write("o/below", "x")
	bottom.write("f", "bottom f")
	top.mkdir("d", 0755)
	top.write("d/top", "t")
	if err := top.v.MknodAt(top.ctx, top.pop("d/hidden"), linux.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}
	top.mkdir("o", 0755)
	top.write("o/above", "y")
	if err := top.v.SetXattr(top.ctx, top.vd("o"), opaqueXattr, []byte("y"), 0); err != nil {
		t.Fatal(err)
	}
	top.write("f", "top f")
	e.mount(0)
	if got := names(e.ov.readdir("d")); got != "bottom top" {
		t.Errorf("merged d = %q", got)
	}
	if _, err := e.ov.statErr("d/hidden"); !errors.Is(err, linux.ENOENT) {
		t.Errorf("whited-out lower name: %v", err)
	}
	if got := names(e.ov.readdir("o")); got != "above" {
		t.Errorf("opaque lower dir = %q", got)
	}
	if got := e.ov.read("f"); got != "top f" {
		t.Errorf("f = %q", got)
	}
	// Unlinking a file of the bottom layer through a merged dir.
	if err := e.v.UnlinkAt(e.ov.ctx, e.ov.pop("d/bottom")); err != nil {
		t.Fatal(err)
	}
	if got := names(e.ov.readdir("d")); got != "top" {
		t.Errorf("after unlink: %q", got)
	}
}

func TestFailedCopyUpLeavesNothing(t *testing.T) {
	e := newEnv(t, 1)
	l := e.lowers[0]
	l.mkdir("d", 0755)
	f := l.mustOpen("d/big", linux.O_WRONLY|linux.O_CREAT)
	if _, err := f.PWrite(nil, bytes.Repeat([]byte("x"), 64<<10), 0); err != nil {
		t.Fatal(err)
	}
	e.mount(16 << 10)
	if _, err := e.ov.open("d/big", linux.O_WRONLY); !errors.Is(err, linux.ENOSPC) {
		t.Fatalf("open for write with a full upper layer: %v, want ENOSPC", err)
	}
	if got := names(e.upper.readdir("d")); got != "" {
		t.Errorf("upper d after failed copy-up: %q", got)
	}
	if got := len(e.ov.read("d/big")); got != 64<<10 {
		t.Errorf("file reads %d bytes", got)
	}
	e.workEmpty()
}

func TestMmapSources(t *testing.T) {
	e := newEnv(t, 1)
	standardLower(e.lowers[0])
	e.mount(0)
	f := e.ov.mustOpen("dir/a", linux.O_RDWR)
	pm, ok := f.(vfs.PageMappable)
	if !ok || pm.MMapSource() != vfs.MMapPages {
		t.Fatalf("copied-up file: %T is not page-mappable", f)
	}
	rs, err := pm.SharedPages(0, 4096)
	if err != nil || len(rs) != 1 {
		t.Fatalf("SharedPages: %v, %v", rs, err)
	}
	if got := string(e.mf.Bytes(rs[0].Offset, 7)); got != "lower a" {
		t.Errorf("shared page holds %q", got)
	}
	e.mf.Free(rs[0].Offset, rs[0].Length)
}

func TestReadOnlyOverlay(t *testing.T) {
	e := newEnv(t, 1)
	standardLower(e.lowers[0])
	fs, root, err := NewFilesystem(e.v, Options{Lowers: []vfs.VirtualDentry{e.lowers[0].mnt}})
	if err != nil {
		t.Fatal(err)
	}
	ov := &tree{t: t, v: e.v, ctx: e.lowers[0].ctx, mnt: e.v.NewMountNamespace(fs, root, "overlay", vfs.MountFlags{}).Root()}
	if _, err := ov.open("file", linux.O_WRONLY); !errors.Is(err, linux.EROFS) {
		t.Errorf("open for write: %v, want EROFS", err)
	}
	if err := e.v.UnlinkAt(ov.ctx, ov.pop("file")); !errors.Is(err, linux.EROFS) {
		t.Errorf("unlink: %v, want EROFS", err)
	}
	if got := ov.read("file"); got != "lower file" {
		t.Errorf("read = %q", got)
	}
}

func TestBadOptions(t *testing.T) {
	e := newEnv(t, 1)
	for _, opts := range []Options{
		{},
		{Lowers: []vfs.VirtualDentry{e.lowers[0].mnt}, Upper: e.lowers[0].mnt},
	} {
		if _, _, err := NewFilesystem(e.v, opts); err == nil {
			t.Errorf("NewFilesystem(%+v) succeeded", opts)
		}
	}
}

func TestConcurrentCopyUp(t *testing.T) {
	e := newEnv(t, 1)
	standardLower(e.lowers[0])
	e.mount(0)
	done := make(chan error)
	for i := 0; i < 8; i++ {
		go func(i int) {
			var err error
			switch i % 3 {
			case 0:
				var f vfs.FileDescription
				if f, err = e.ov.open("dir/sub/c", linux.O_WRONLY); err == nil {
					f.DecRef()
				}
			case 1:
				err = e.v.SetStat(e.ov.ctx, e.ov.vd("dir/sub/c"), vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0640})
			default:
				err = e.v.SetXattr(e.ov.ctx, e.ov.vd("dir/sub"), "user.x", []byte("1"), 0)
			}
			done <- err
		}(i)
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Errorf("concurrent copy-up: %v", err)
		}
	}
	if got := e.ov.read("dir/sub/c"); got != "lower c" {
		t.Errorf("content = %q", got)
	}
	if got := names(e.upper.readdir("dir/sub")); got != "c" {
		t.Errorf("upper dir/sub = %q", got)
	}
	e.workEmpty()
}
