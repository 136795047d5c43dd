package fsgofer

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/lisafs"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) {
	// As in runsc gofer (see the package's preconditions).
	unix.Umask(0)
	// The runtime's poller keeps FDs (an epoll and an eventfd) from its
	// first use on; start it now so that the first test's FD count
	// before and after agree whatever test runner set up stdio.
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pipe:", err)
		os.Exit(1)
	}
	r.Close()
	w.Close()
	os.Exit(m.Run())
}

// openFDs counts the test process's open FDs.
func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// setup serves a new temp dir and returns a client of it, the root inode
// and the dir's host path. Cleanup checks that no FD leaked.
func setup(t testing.TB, conf Config) (*lisafs.Client, lisafs.Inode, string) {
	t.Helper()
	before := openFDs(t)
	dir := t.TempDir()
	g, err := Open(dir, conf)
	if err != nil {
		t.Fatal(err)
	}
	c, root := serve(t, g, before)
	return c, root, dir
}

// serve serves g over a socket pair and returns a client of it and its
// root inode. Cleanup closes both and checks that the FD count is back to
// before.
func serve(t testing.TB, g *Gofer, before int) (*lisafs.Client, lisafs.Inode) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- lisafs.NewServer(g).Serve(fds[1]) }()
	c, root, err := lisafs.Connect(fds[0], 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		g.Close()
		if after := openFDs(t); after != before {
			t.Errorf("%d FDs open after the test, %d before", after, before)
		}
	})
	return c, root
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func walk1(t *testing.T, c *lisafs.Client, dir lisafs.FDID, name string) lisafs.Inode {
	t.Helper()
	inodes, err := c.WalkStat(dir, []string{name})
	if err != nil || len(inodes) != 1 {
		t.Fatalf("WalkStat(%q) = %v, %v", name, inodes, err)
	}
	return inodes[0]
}

func fileType(st *linux.Statx) uint32 { return uint32(st.Mode) & linux.S_IFMT }

func TestWalkStat(t *testing.T) {
	c, root, dir := setup(t, Config{})
	os.MkdirAll(filepath.Join(dir, "a/b"), 0o755)
	mustWrite(t, filepath.Join(dir, "a/b/f"), "12345")
	os.Symlink("/etc/passwd", filepath.Join(dir, "a/abs"))

	inodes, err := c.WalkStat(root.ControlFD, []string{"a", "b", "f"})
	if err != nil || len(inodes) != 3 {
		t.Fatalf("WalkStat(a/b/f) = %v, %v", inodes, err)
	}
	if fileType(&inodes[1].Stat) != linux.S_IFDIR || fileType(&inodes[2].Stat) != linux.S_IFREG || inodes[2].Stat.Size != 5 {
		t.Errorf("WalkStat(a/b/f) stats: %+v", inodes)
	}
	var hostSt unix.Stat_t
	unix.Lstat(filepath.Join(dir, "a/b/f"), &hostSt)
	if inodes[2].Stat.Ino != hostSt.Ino {
		t.Errorf("ino %d, host says %d", inodes[2].Stat.Ino, hostSt.Ino)
	}
	for _, tc := range []struct {
		names   []string
		want    int
		wantErr error
	}{
		{[]string{"missing"}, 0, linux.ENOENT},
		{[]string{"a", "missing", "x"}, 1, nil},
		{[]string{"a", "b", "f", "x"}, 3, nil},
		{[]string{"a", "abs", "x"}, 2, nil},
	} {
		got, err := c.WalkStat(root.ControlFD, tc.names)
		if len(got) != tc.want || !errors.Is(err, tc.wantErr) || (tc.wantErr != nil && err == nil) {
			t.Errorf("WalkStat(%q) = %d inodes, %v; want %d, %v", tc.names, len(got), err, tc.want, tc.wantErr)
		}
	}
	// Walking from a file.
	if _, err := c.WalkStat(inodes[2].ControlFD, []string{"x"}); !errors.Is(err, linux.ENOTDIR) {
		t.Errorf("WalkStat from a file = %v, want ENOTDIR", err)
	}
	if st, err := c.FStat(inodes[2].ControlFD); err != nil || st.Size != 5 {
		t.Errorf("FStat = %+v, %v", st, err)
	}
}

// Symlinks are returned as themselves and never followed, whatever they
// point to.
func TestSymlinksNotFollowed(t *testing.T) {
	c, root, dir := setup(t, Config{})
	outside := t.TempDir()
	mustWrite(t, filepath.Join(outside, "secret"), "secret")
	for name, target := range map[string]string{
		"abs":  filepath.Join(outside, "secret"),
		"up":   "..",
		"dots": "../../../../../../..",
		"self": "self",
	} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		inodes, err := c.WalkStat(root.ControlFD, []string{name, "secret"})
		if err != nil || len(inodes) != 1 {
			t.Fatalf("WalkStat(%s/secret) = %v, %v; want the symlink alone", name, inodes, err)
		}
		ino := inodes[0]
		if fileType(&ino.Stat) != linux.S_IFLNK || ino.Stat.Size != uint64(len(target)) {
			t.Errorf("%s: stat %+v, want a symlink of size %d", name, ino.Stat, len(target))
		}
		if got, err := c.ReadLinkAt(ino.ControlFD); err != nil || got != target {
			t.Errorf("ReadLinkAt(%s) = %q, %v; want %q", name, got, err, target)
		}
		if _, _, err := c.OpenAt(ino.ControlFD, linux.O_RDONLY); !errors.Is(err, linux.ELOOP) {
			t.Errorf("OpenAt(symlink %s) = %v, want ELOOP", name, err)
		}
		if _, err := c.WalkStat(ino.ControlFD, []string{"secret"}); !errors.Is(err, linux.ENOTDIR) {
			t.Errorf("WalkStat from symlink %s = %v, want ENOTDIR", name, err)
		}
		if _, err := c.ListXattr(ino.ControlFD, 0); err != nil {
			t.Errorf("ListXattr(symlink %s) = %v", name, err)
		}
	}
	if _, err := c.ReadLinkAt(root.ControlFD); !errors.Is(err, linux.EINVAL) {
		t.Errorf("ReadLinkAt(directory) = %v, want EINVAL", err)
	}
}

// Names that would leave the directory are refused before any host call.
func TestEscapeNames(t *testing.T) {
	c, root, _ := setup(t, Config{})
	for _, name := range []string{"", ".", "..", "../etc", "/etc", "a/b", "/", "a\x00"} {
		if _, err := c.WalkStat(root.ControlFD, []string{name}); !errors.Is(err, linux.EINVAL) {
			t.Errorf("WalkStat(%q) = %v, want EINVAL", name, err)
		}
		if _, err := c.MkdirAt(root.ControlFD, name, 0o755, 0, 0); !errors.Is(err, linux.EINVAL) {
			t.Errorf("MkdirAt(%q) = %v, want EINVAL", name, err)
		}
		if _, _, _, err := c.OpenCreateAt(root.ControlFD, name, linux.O_RDWR, 0o644, 0, 0); !errors.Is(err, linux.EINVAL) {
			t.Errorf("OpenCreateAt(%q) = %v, want EINVAL", name, err)
		}
		if err := c.RenameAt(root.ControlFD, "x", root.ControlFD, name); !errors.Is(err, linux.EINVAL) {
			t.Errorf("RenameAt(x, %q) = %v, want EINVAL", name, err)
		}
		if err := c.UnlinkAt(root.ControlFD, name, 0); !errors.Is(err, linux.EINVAL) {
			t.Errorf("UnlinkAt(%q) = %v, want EINVAL", name, err)
		}
	}
}

// TestSymlinkSwapAttack: a file is walked, then replaced on the host by a
// symlink to a file outside the root. Opening the old control FD must not
// open the symlink's target.
func TestSymlinkSwapAttack(t *testing.T) {
	c, root, dir := setup(t, Config{})
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	mustWrite(t, secret, "secret")
	path := filepath.Join(dir, "f")
	mustWrite(t, path, "innocent")
	f := walk1(t, c, root.ControlFD, "f")

	os.Remove(path)
	if err := os.Symlink(secret, path); err != nil {
		t.Fatal(err)
	}
	open, hostFD, err := c.OpenAt(f.ControlFD, linux.O_RDWR|linux.O_TRUNC)
	if err == nil {
		buf := make([]byte, 16)
		n, _ := c.PRead(open, 0, buf)
		if hostFD >= 0 {
			unix.Close(hostFD)
		}
		t.Fatalf("OpenAt after the swap succeeded (read %q), want ESTALE", buf[:n])
	}
	if !errors.Is(err, linux.ESTALE) {
		t.Errorf("OpenAt after the swap = %v, want ESTALE", err)
	}
	if b, _ := os.ReadFile(secret); string(b) != "secret" {
		t.Errorf("the file outside the root was changed to %q", b)
	}
	// A size change would go through a reopen too.
	if err := c.SetStat(f.ControlFD, lisafs.SetStatArgs{Mask: linux.STATX_SIZE}); !errors.Is(err, linux.ESTALE) {
		t.Errorf("SetStat(size) after the swap = %v, want ESTALE", err)
	}
	// A new walk finds the symlink.
	if ino := walk1(t, c, root.ControlFD, "f"); fileType(&ino.Stat) != linux.S_IFLNK {
		t.Errorf("walk after the swap: mode %#o, want a symlink", ino.Stat.Mode)
	}
}

// TestDirSymlinkSwapAttack: a directory is walked, then moved away on the
// host and replaced by a symlink to "/". Walks from the old control FD stay
// in the real directory.
func TestDirSymlinkSwapAttack(t *testing.T) {
	c, root, dir := setup(t, Config{})
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	mustWrite(t, filepath.Join(dir, "d/etc"), "mine")
	d := walk1(t, c, root.ControlFD, "d")
	if err := os.Rename(filepath.Join(dir, "d"), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/", filepath.Join(dir, "d")); err != nil {
		t.Fatal(err)
	}
	ino := walk1(t, c, d.ControlFD, "etc")
	if fileType(&ino.Stat) != linux.S_IFREG || ino.Stat.Size != 4 {
		t.Errorf("walk of etc from the old control FD: %+v, want the 4-byte file", ino.Stat)
	}
}

// Replacing a file on the host with another regular file makes the old
// control FD stale for opens rather than open the new file.
func TestReplacedFileIsStale(t *testing.T) {
	c, root, dir := setup(t, Config{})
	path := filepath.Join(dir, "f")
	mustWrite(t, path, "old")
	f := walk1(t, c, root.ControlFD, "f")
	mustWrite(t, path+".new", "new")
	os.Rename(path+".new", path)
	if _, _, err := c.OpenAt(f.ControlFD, linux.O_RDONLY); !errors.Is(err, linux.ESTALE) {
		t.Errorf("OpenAt of a replaced file = %v, want ESTALE", err)
	}
}

func TestReadOnly(t *testing.T) {
	c, root, dir := setup(t, Config{ReadOnly: true})
	mustWrite(t, filepath.Join(dir, "f"), "data")
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	f := walk1(t, c, root.ControlFD, "f")
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"SetStat mode", func() error { return c.SetStat(f.ControlFD, lisafs.SetStatArgs{Mask: linux.STATX_MODE, Mode: 0o600}) }},
		{"SetStat size", func() error { return c.SetStat(f.ControlFD, lisafs.SetStatArgs{Mask: linux.STATX_SIZE}) }},
		{"OpenAt O_WRONLY", func() error { _, _, err := c.OpenAt(f.ControlFD, linux.O_WRONLY); return err }},
		{"OpenAt O_RDWR", func() error { _, _, err := c.OpenAt(f.ControlFD, linux.O_RDWR); return err }},
		{"OpenAt O_TRUNC", func() error { _, _, err := c.OpenAt(f.ControlFD, linux.O_RDONLY|linux.O_TRUNC); return err }},
		{"OpenCreateAt", func() error {
			_, _, _, err := c.OpenCreateAt(root.ControlFD, "new", linux.O_RDWR, 0o644, 0, 0)
			return err
		}},
		{"MkdirAt", func() error { _, err := c.MkdirAt(root.ControlFD, "new", 0o755, 0, 0); return err }},
		{"MknodAt", func() error { _, err := c.MknodAt(root.ControlFD, "new", linux.S_IFIFO|0o644, 0, 0, 0, 0); return err }},
		{"SymlinkAt", func() error { _, err := c.SymlinkAt(root.ControlFD, "new", "f", 0, 0); return err }},
		{"LinkAt", func() error { _, err := c.LinkAt(root.ControlFD, "new", f.ControlFD); return err }},
		{"UnlinkAt", func() error { return c.UnlinkAt(root.ControlFD, "f", 0) }},
		{"UnlinkAt dir", func() error { return c.UnlinkAt(root.ControlFD, "d", linux.AT_REMOVEDIR) }},
		{"RenameAt", func() error { return c.RenameAt(root.ControlFD, "f", root.ControlFD, "g") }},
		{"SetXattr", func() error { return c.SetXattr(f.ControlFD, "user.x", []byte("v"), 0) }},
		{"RemoveXattr", func() error { return c.RemoveXattr(f.ControlFD, "user.x") }},
	} {
		if err := tc.call(); !errors.Is(err, linux.EROFS) {
			t.Errorf("%s in read-only mode = %v, want EROFS", tc.name, err)
		}
	}
	// Reading works, and the donated FD is read-only.
	open, hostFD, err := c.OpenAt(f.ControlFD, linux.O_RDONLY)
	if err != nil || hostFD < 0 {
		t.Fatalf("OpenAt(O_RDONLY) = %v, %d, %v", open, hostFD, err)
	}
	defer unix.Close(hostFD)
	if _, err := unix.Pwrite(hostFD, []byte("x"), 0); err != unix.EBADF {
		t.Errorf("write to the donated read-only FD = %v, want EBADF", err)
	}
	buf := make([]byte, 10)
	if n, err := c.PRead(open, 0, buf); err != nil || string(buf[:n]) != "data" {
		t.Errorf("PRead = %q, %v", buf[:n], err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); string(b) != "data" {
		t.Errorf("file changed to %q", b)
	}
}

func TestFileIO(t *testing.T) {
	c, root, dir := setup(t, Config{})
	ino, open, hostFD, err := c.OpenCreateAt(root.ControlFD, "f", linux.O_RDWR, 0o640, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if hostFD < 0 {
		t.Fatal("OpenCreateAt donated no host FD for a regular file")
	}
	defer unix.Close(hostFD)
	if fileType(&ino.Stat) != linux.S_IFREG || ino.Stat.Mode&0o7777 != 0o640 {
		t.Errorf("created file mode %#o, want regular 0640", ino.Stat.Mode)
	}
	if _, _, _, err := c.OpenCreateAt(root.ControlFD, "f", linux.O_RDWR, 0o640, 0, 0); !errors.Is(err, linux.EEXIST) {
		t.Errorf("OpenCreateAt of an existing name = %v, want EEXIST", err)
	}
	// Writes through the donated FD are seen through the gofer.
	if _, err := unix.Pwrite(hostFD, []byte("via host fd"), 0); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if n, err := c.PRead(open, 4, buf); err != nil || string(buf[:n]) != "host fd" {
		t.Errorf("PRead = %q, %v", buf[:n], err)
	}
	// A write larger than one round trip.
	big := bytes.Repeat([]byte("0123456789abcdef"), (3*lisafs.MaxBulk)/16+5)
	if n, err := c.PWrite(open, 0, big); err != nil || n != len(big) {
		t.Fatalf("PWrite(%d bytes) = %d, %v", len(big), n, err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "f")); !bytes.Equal(got, big) {
		t.Errorf("file holds %d bytes, want the %d written", len(got), len(big))
	}
	back := make([]byte, len(big)+100)
	if n, err := c.PRead(open, 0, back); err != nil || !bytes.Equal(back[:n], big) {
		t.Errorf("PRead of %d bytes = %d, %v", len(big), n, err)
	}
	if n, err := c.PRead(open, uint64(len(big)+10), back); n != 0 || err != nil {
		t.Errorf("PRead past the end = %d, %v; want 0, nil", n, err)
	}
	if err := c.FSync(open); err != nil {
		t.Errorf("FSync: %v", err)
	}
	if err := c.FAllocate(open, 0, 0, 1<<20); err != nil && !errors.Is(err, linux.EOPNOTSUPP) {
		t.Errorf("FAllocate: %v", err)
	}

	f := ino.ControlFD
	// Truncate, chmod, chown, times.
	err = c.SetStat(f, lisafs.SetStatArgs{
		Mask:  linux.STATX_SIZE | linux.STATX_MODE | linux.STATX_UID | linux.STATX_GID | linux.STATX_MTIME | linux.STATX_ATIME,
		Size:  3,
		Mode:  0o4711,
		UID:   1234,
		GID:   5678,
		Atime: linux.Timespec{Nsec: linux.UTIME_OMIT},
		Mtime: linux.Timespec{Sec: 1000000000, Nsec: 5},
	})
	if err != nil {
		t.Fatalf("SetStat: %v", err)
	}
	st, err := c.FStat(f)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != 3 || st.Mode&0o7777 != 0o4711 || st.Mtime.Sec != 1000000000 || st.Mtime.Nsec != 5 {
		t.Errorf("after SetStat: size %d mode %#o mtime %v", st.Size, st.Mode, st.Mtime)
	}
	if os.Geteuid() == 0 && (st.UID != 1234 || st.GID != 5678) {
		t.Errorf("after SetStat as root: owner %d:%d, want 1234:5678", st.UID, st.GID)
	}
	if err := c.SetStat(f, lisafs.SetStatArgs{Mask: linux.STATX_MTIME, Mtime: linux.Timespec{Nsec: linux.UTIME_NOW}}); err != nil {
		t.Errorf("SetStat(UTIME_NOW): %v", err)
	}
	if st, _ := c.FStat(f); st.Mtime.Sec <= 1000000000 {
		t.Errorf("UTIME_NOW left mtime at %v", st.Mtime)
	}
	// Reopen with O_TRUNC.
	open2, hostFD2, err := c.OpenAt(f, linux.O_WRONLY|linux.O_TRUNC)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(hostFD2)
	if st, _ := c.FStat(open2); st.Size != 0 {
		t.Errorf("size after O_TRUNC = %d", st.Size)
	}
	if _, _, err := c.OpenAt(f, linux.O_RDONLY|linux.O_DIRECTORY); !errors.Is(err, linux.ENOTDIR) {
		t.Errorf("OpenAt(file, O_DIRECTORY) = %v, want ENOTDIR", err)
	}
	if _, _, err := c.OpenAt(f, linux.O_RDONLY|linux.O_CREAT); !errors.Is(err, linux.EINVAL) {
		t.Errorf("OpenAt(O_CREAT) = %v, want EINVAL", err)
	}
	if _, _, err := c.OpenAt(root.ControlFD, linux.O_RDWR); !errors.Is(err, linux.EISDIR) {
		t.Errorf("OpenAt(dir, O_RDWR) = %v, want EISDIR", err)
	}
	if err := c.SetStat(root.ControlFD, lisafs.SetStatArgs{Mask: linux.STATX_SIZE}); !errors.Is(err, linux.EISDIR) {
		t.Errorf("SetStat(dir, size) = %v, want EISDIR", err)
	}
	c.CloseFDs([]lisafs.FDID{open, open2})
	if _, err := c.PRead(open, 0, buf); !errors.Is(err, linux.EBADF) {
		t.Errorf("PRead of a closed FD = %v, want EBADF", err)
	}
}

func TestGetdents(t *testing.T) {
	c, root, dir := setup(t, Config{})
	want := map[string]uint8{"sub": linux.DT_DIR, "lnk": linux.DT_LNK}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.Symlink("x", filepath.Join(dir, "lnk"))
	for i := range 300 {
		name := fmt.Sprintf("file-with-a-longish-name-%04d", i)
		mustWrite(t, filepath.Join(dir, name), "")
		want[name] = linux.DT_REG
	}
	open, hostFD, err := c.OpenAt(root.ControlFD, linux.O_RDONLY|linux.O_DIRECTORY)
	if err != nil || hostFD != -1 {
		t.Fatalf("OpenAt(dir) = %v, %d, %v; want no donated FD", open, hostFD, err)
	}
	got := map[string]uint8{}
	calls := 0
	for {
		ds, err := c.Getdents64(open, 512)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			break
		}
		calls++
		for _, d := range ds {
			if _, dup := got[d.Name]; dup {
				t.Errorf("%q listed twice", d.Name)
			}
			got[d.Name] = d.Type
		}
	}
	if calls < 2 {
		t.Errorf("300 entries came in %d calls of 512 bytes", calls)
	}
	if len(got) != len(want) {
		t.Errorf("listed %d entries, want %d", len(got), len(want))
	}
	for name, typ := range want {
		if got[name] != typ {
			t.Errorf("%q: type %d, want %d", name, got[name], typ)
		}
	}
	if _, err := c.Getdents64(root.ControlFD, 512); !errors.Is(err, linux.EBADF) {
		t.Errorf("Getdents64(control FD) = %v, want EBADF", err)
	}
	// Like getdents64(2): a buffer too small for the next entry.
	open2, _, err := c.OpenAt(root.ControlFD, linux.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Getdents64(open2, 1); !errors.Is(err, linux.EINVAL) {
		t.Errorf("Getdents64(count 1) = %v, want EINVAL", err)
	}
}

func TestCreateLinkUnlinkRename(t *testing.T) {
	c, root, dir := setup(t, Config{})
	d, err := c.MkdirAt(root.ControlFD, "d", 0o750, 0, 0)
	if err != nil || fileType(&d.Stat) != linux.S_IFDIR || d.Stat.Mode&0o7777 != 0o750 {
		t.Fatalf("MkdirAt = %+v, %v", d, err)
	}
	if _, err := c.MkdirAt(root.ControlFD, "d", 0o750, 0, 0); !errors.Is(err, linux.EEXIST) {
		t.Errorf("MkdirAt of an existing name = %v, want EEXIST", err)
	}
	fifo, err := c.MknodAt(d.ControlFD, "fifo", linux.S_IFIFO|0o600, 0, 0, 0, 0)
	if err != nil || fileType(&fifo.Stat) != linux.S_IFIFO {
		t.Fatalf("MknodAt(fifo) = %+v, %v", fifo, err)
	}
	var hostSt unix.Stat_t
	if err := unix.Lstat(filepath.Join(dir, "d/fifo"), &hostSt); err != nil || hostSt.Mode&unix.S_IFMT != unix.S_IFIFO {
		t.Errorf("host sees %#o, %v; want a FIFO", hostSt.Mode, err)
	}
	if _, _, err := c.OpenAt(fifo.ControlFD, linux.O_RDONLY); !errors.Is(err, linux.ENXIO) {
		t.Errorf("OpenAt(fifo) = %v, want ENXIO", err)
	}
	if _, err := c.MknodAt(d.ControlFD, "reg", 0o600, 0, 0, 0, 0); err != nil {
		t.Errorf("MknodAt(regular) = %v", err)
	}
	for _, mode := range []uint32{linux.S_IFCHR | 0o600, linux.S_IFBLK | 0o600} {
		if _, err := c.MknodAt(d.ControlFD, "dev", mode, 0, 0, 1, 3); !errors.Is(err, linux.EPERM) {
			t.Errorf("MknodAt(%#o) = %v, want EPERM", mode, err)
		}
	}
	sl, err := c.SymlinkAt(d.ControlFD, "sl", "../target", 0, 0)
	if err != nil || fileType(&sl.Stat) != linux.S_IFLNK {
		t.Fatalf("SymlinkAt = %+v, %v", sl, err)
	}
	if target, _ := os.Readlink(filepath.Join(dir, "d/sl")); target != "../target" {
		t.Errorf("host symlink target %q", target)
	}
	if _, err := c.SymlinkAt(d.ControlFD, "empty", "", 0, 0); !errors.Is(err, linux.ENOENT) {
		t.Errorf("SymlinkAt(empty target) = %v, want ENOENT", err)
	}

	f, open, hostFD, err := c.OpenCreateAt(d.ControlFD, "f", linux.O_RDWR, 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(hostFD)
	c.CloseFDs([]lisafs.FDID{open})
	l, err := c.LinkAt(root.ControlFD, "hard", f.ControlFD)
	if err != nil || l.Stat.Nlink != 2 || l.Stat.Ino != f.Stat.Ino {
		t.Errorf("LinkAt = %+v, %v; want nlink 2, ino %d", l.Stat, err, f.Stat.Ino)
	}
	if _, err := c.LinkAt(root.ControlFD, "dirlink", d.ControlFD); !errors.Is(err, linux.EPERM) {
		t.Errorf("LinkAt(directory) = %v, want EPERM", err)
	}

	// Rename, then open through the control FD from before the rename.
	if err := c.RenameAt(d.ControlFD, "f", root.ControlFD, "renamed"); err != nil {
		t.Fatalf("RenameAt: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "renamed")); err != nil {
		t.Errorf("host: %v", err)
	}
	open, hostFD, err = c.OpenAt(f.ControlFD, linux.O_RDONLY)
	if err != nil {
		t.Errorf("OpenAt of a renamed file through its old control FD = %v", err)
	} else {
		unix.Close(hostFD)
		c.CloseFDs([]lisafs.FDID{open})
	}
	// Rename over an existing file.
	if err := c.RenameAt(root.ControlFD, "renamed", root.ControlFD, "hard"); err != nil {
		t.Errorf("RenameAt over a link to itself: %v", err)
	}
	mustWrite(t, filepath.Join(dir, "other"), "x")
	if err := c.RenameAt(root.ControlFD, "other", d.ControlFD, "reg"); err != nil {
		t.Errorf("RenameAt over a file: %v", err)
	}
	if err := c.RenameAt(root.ControlFD, "missing", d.ControlFD, "x"); !errors.Is(err, linux.ENOENT) {
		t.Errorf("RenameAt(missing) = %v, want ENOENT", err)
	}

	// Unlink.
	if err := c.UnlinkAt(root.ControlFD, "d", 0); !errors.Is(err, linux.EISDIR) {
		t.Errorf("UnlinkAt(dir, 0) = %v, want EISDIR", err)
	}
	if err := c.UnlinkAt(root.ControlFD, "d", linux.AT_REMOVEDIR); !errors.Is(err, linux.ENOTEMPTY) {
		t.Errorf("UnlinkAt(non-empty dir) = %v, want ENOTEMPTY", err)
	}
	for _, name := range []string{"fifo", "reg", "sl"} {
		if err := c.UnlinkAt(d.ControlFD, name, 0); err != nil {
			t.Errorf("UnlinkAt(%s): %v", name, err)
		}
	}
	if err := c.UnlinkAt(root.ControlFD, "d", linux.AT_REMOVEDIR); err != nil {
		t.Errorf("UnlinkAt(empty dir): %v", err)
	}
	if err := c.UnlinkAt(root.ControlFD, "d", linux.AT_REMOVEDIR); !errors.Is(err, linux.ENOENT) {
		t.Errorf("UnlinkAt(removed dir) = %v, want ENOENT", err)
	}
	if err := c.UnlinkAt(root.ControlFD, "hard", 4); !errors.Is(err, linux.EINVAL) {
		t.Errorf("UnlinkAt(unknown flag) = %v, want EINVAL", err)
	}
	// An unlinked file's control FD still stats, but cannot be reopened.
	if err := c.UnlinkAt(root.ControlFD, "hard", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FStat(f.ControlFD); err != nil {
		t.Errorf("FStat of an unlinked file: %v", err)
	}
	if _, _, err := c.OpenAt(f.ControlFD, linux.O_RDONLY); !errors.Is(err, linux.ESTALE) {
		t.Errorf("OpenAt of an unlinked file = %v, want ESTALE", err)
	}
}

// Without CAP_DAC_READ_SEARCH, LinkAt links by name and checks the result.
func TestLinkByName(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "f"), "x")
	g, err := Open(dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	f, _, err := g.Walk(g.root, "f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g.renameMu.RLock()
	err = g.linkByName(asNode(f), g.root, "g")
	g.renameMu.RUnlock()
	if err != nil {
		t.Fatalf("linkByName: %v", err)
	}
	var a, b unix.Stat_t
	unix.Lstat(filepath.Join(dir, "f"), &a)
	unix.Lstat(filepath.Join(dir, "g"), &b)
	if a.Ino != b.Ino || a.Nlink != 2 {
		t.Errorf("link: inodes %d and %d, nlink %d", a.Ino, b.Ino, a.Nlink)
	}
}

// A device node in the tree is never opened.
func TestDeviceRefused(t *testing.T) {
	c, root, dir := setup(t, Config{})
	if err := unix.Mknod(filepath.Join(dir, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
		t.Skipf("cannot make a device node here to test with: %v", err)
	}
	ino := walk1(t, c, root.ControlFD, "null")
	if fileType(&ino.Stat) != linux.S_IFCHR || ino.Stat.RdevMajor != 1 || ino.Stat.RdevMinor != 3 {
		t.Errorf("stat of a device: %+v", ino.Stat)
	}
	for _, flags := range []uint32{linux.O_RDONLY, linux.O_WRONLY, linux.O_RDWR} {
		if _, _, err := c.OpenAt(ino.ControlFD, flags); !errors.Is(err, linux.EACCES) {
			t.Errorf("OpenAt(device, %#o) = %v, want EACCES", flags, err)
		}
	}
	if _, err := c.GetXattr(ino.ControlFD, "user.x", 0); !errors.Is(err, linux.ENODATA) {
		t.Errorf("GetXattr(device) = %v, want ENODATA", err)
	}
	if err := c.SetStat(ino.ControlFD, lisafs.SetStatArgs{Mask: linux.STATX_SIZE}); !errors.Is(err, linux.EINVAL) {
		t.Errorf("SetStat(device, size) = %v, want EINVAL", err)
	}
}

func TestXattrs(t *testing.T) {
	c, root, dir := setup(t, Config{})
	mustWrite(t, filepath.Join(dir, "f"), "x")
	f := walk1(t, c, root.ControlFD, "f")
	err := c.SetXattr(f.ControlFD, "user.test", []byte("value"), 0)
	if errors.Is(err, linux.EOPNOTSUPP) {
		t.Skipf("the file system of %s does not support user.* xattrs: %v", dir, err)
	}
	if err != nil {
		t.Fatalf("SetXattr: %v", err)
	}
	if err := c.SetXattr(f.ControlFD, "user.test", []byte("v2"), linux.XATTR_CREATE); !errors.Is(err, linux.EEXIST) {
		t.Errorf("SetXattr(XATTR_CREATE) of an existing name = %v, want EEXIST", err)
	}
	if err := c.SetXattr(f.ControlFD, "user.other", []byte("v2"), linux.XATTR_REPLACE); !errors.Is(err, linux.ENODATA) {
		t.Errorf("SetXattr(XATTR_REPLACE) of a missing name = %v, want ENODATA", err)
	}
	if v, err := c.GetXattr(f.ControlFD, "user.test", 0); err != nil || string(v) != "value" {
		t.Errorf("GetXattr = %q, %v", v, err)
	}
	if _, err := c.GetXattr(f.ControlFD, "user.test", 2); !errors.Is(err, linux.ERANGE) {
		t.Errorf("GetXattr(size 2) = %v, want ERANGE", err)
	}
	if _, err := c.GetXattr(f.ControlFD, "user.missing", 0); !errors.Is(err, linux.ENODATA) {
		t.Errorf("GetXattr(missing) = %v, want ENODATA", err)
	}
	if err := c.SetXattr(root.ControlFD, "user.d", []byte("dir value"), 0); err != nil {
		t.Errorf("SetXattr(dir): %v", err)
	}
	names, err := c.ListXattr(f.ControlFD, 0)
	sort.Strings(names)
	if err != nil || !strings.Contains(strings.Join(names, ","), "user.test") {
		t.Errorf("ListXattr = %q, %v", names, err)
	}
	if err := c.RemoveXattr(f.ControlFD, "user.test"); err != nil {
		t.Errorf("RemoveXattr: %v", err)
	}
	if _, err := c.GetXattr(f.ControlFD, "user.test", 0); !errors.Is(err, linux.ENODATA) {
		t.Errorf("GetXattr after RemoveXattr = %v, want ENODATA", err)
	}
	sl, err := c.SymlinkAt(root.ControlFD, "sl", "f", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetXattr(sl.ControlFD, "user.x", []byte("v"), 0); !errors.Is(err, linux.EPERM) {
		t.Errorf("SetXattr(symlink) = %v, want EPERM", err)
	}
}

func TestStatFSAndConnect(t *testing.T) {
	c, root, dir := setup(t, Config{})
	sfs, err := c.StatFS(root.ControlFD)
	if err != nil {
		t.Fatal(err)
	}
	var host unix.Statfs_t
	unix.Statfs(dir, &host)
	if sfs.Type != host.Type || sfs.Bsize != host.Bsize || sfs.Namelen != host.Namelen {
		t.Errorf("StatFS = %+v, host says %+v", sfs, host)
	}
	if _, err := c.Connect(root.ControlFD, unix.SOCK_STREAM); !errors.Is(err, linux.ENOSYS) {
		t.Errorf("Connect = %v, want ENOSYS", err)
	}
}

func TestParseDirents(t *testing.T) {
	rec := func(ino uint64, name string, typ uint8) []byte {
		n := (19 + len(name) + 1 + 7) &^ 7
		b := make([]byte, n)
		b[0] = byte(ino)
		b[16], b[17] = byte(n), byte(n>>8)
		b[18] = typ
		copy(b[19:], name)
		return b
	}
	good := append(append(rec(1, ".", 4), rec(2, "..", 4)...), rec(3, "abc", 8)...)
	ds, err := parseDirents(good)
	if err != nil || len(ds) != 1 || ds[0].Name != "abc" || ds[0].Ino != 3 || ds[0].Type != 8 {
		t.Errorf("parseDirents = %+v, %v", ds, err)
	}
	for _, bad := range [][]byte{
		good[:10],
		append(rec(3, "abc", 8), 1, 2, 3),
		func() []byte { b := rec(3, "abc", 8); b[16] = 200; return b }(),
		func() []byte { b := rec(3, "abc", 8); b[16], b[17] = 0, 0; return b }(),
	} {
		if _, err := parseDirents(bad); !errors.Is(err, linux.EIO) {
			t.Errorf("parseDirents(% x) = %v, want EIO", bad, err)
		}
	}
}
