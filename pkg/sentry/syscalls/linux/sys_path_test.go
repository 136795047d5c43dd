package linux

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
)

// Scratch addresses in the task's read-write region.
const (
	pathA  = rwBase          // first path argument
	pathB  = rwBase + 0x1000 // second path argument
	bufA   = rwBase + 0x2000 // structs and buffers
	bufB   = rwBase + 0x8000
	atCWD  = uint64(0xffffffffffffff9c) // AT_FDCWD as a register
	nullID = uint64(0xffffffff)         // -1 as a uid_t
)

// str writes s NUL-terminated at addr and returns addr.
func (e *fsEnv) str(t *testing.T, addr uint64, s string) uint64 {
	t.Helper()
	poke(t, e.task, addr, append([]byte(s), 0))
	return addr
}

func (e *fsEnv) call(t *testing.T, nr uintptr, args ...uint64) (uint64, error) {
	t.Helper()
	return call(t, e.task, nr, args...)
}

func (e *fsEnv) must(t *testing.T, nr uintptr, args ...uint64) uint64 {
	t.Helper()
	return mustCall(t, e.task, nr, args...)
}

// wantErr fails unless the call fails with want.
func (e *fsEnv) wantErr(t *testing.T, want error, nr uintptr, args ...uint64) {
	t.Helper()
	if r, err := e.call(t, nr, args...); err != want {
		t.Errorf("%s(%#x) = %d, %v; want %v", linux.SyscallName(nr), args, r, err, want)
	}
}

// open opens path (relative to the cwd) and returns the fd.
func (e *fsEnv) open(t *testing.T, path string, flags, mode uint64) uint64 {
	t.Helper()
	return e.must(t, linux.SYS_OPENAT, atCWD, e.str(t, pathA, path), flags, mode)
}

// create makes a regular file with content (umask 022 applies to mode).
func (e *fsEnv) create(t *testing.T, path, content string, mode uint64) {
	t.Helper()
	fd := e.open(t, path, linux.O_WRONLY|linux.O_CREAT|linux.O_EXCL, mode)
	poke(t, e.task, bufB, []byte(content))
	if n := e.must(t, linux.SYS_WRITE, fd, bufB, uint64(len(content))); n != uint64(len(content)) {
		t.Fatalf("write %q: %d", path, n)
	}
	e.must(t, linux.SYS_CLOSE, fd)
}

// stat returns the struct stat of path (lstat if !follow).
func (e *fsEnv) stat(t *testing.T, path string, follow bool) linux.Stat {
	t.Helper()
	var flags uint64
	if !follow {
		flags = linux.AT_SYMLINK_NOFOLLOW
	}
	e.must(t, linux.SYS_NEWFSTATAT, atCWD, e.str(t, pathA, path), bufA, flags)
	var st linux.Stat
	if err := binary.Read(bytes.NewReader(peek(t, e.task, bufA, linux.SizeOfStat)), binary.LittleEndian, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// setCreds replaces the task's credentials.
func (e *fsEnv) setCreds(c *auth.Credentials) { e.task.SetCredentials(c) }

// user returns credentials of an unprivileged user uid (gid = uid).
func user(uid uint32) *auth.Credentials {
	u, g := auth.UID(uid), auth.GID(uid)
	return &auth.Credentials{RealUID: u, EffectiveUID: u, SavedUID: u, FilesystemUID: u,
		RealGID: g, EffectiveGID: g, SavedGID: g, FilesystemGID: g}
}

// openHow writes a struct open_how followed by extra bytes.
func (e *fsEnv) openHow(t *testing.T, flags, mode, resolve uint64, extra []byte) uint64 {
	t.Helper()
	b := binary.LittleEndian.AppendUint64(nil, flags)
	b = binary.LittleEndian.AppendUint64(b, mode)
	b = binary.LittleEndian.AppendUint64(b, resolve)
	poke(t, e.task, bufA, append(b, extra...))
	return bufA
}

func TestOpenat2StructRules(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "f", "x", 0o644)
	path := e.str(t, pathB, "f")
	for _, tc := range []struct {
		name                 string
		flags, mode, resolve uint64
		extra                []byte
		size                 uint64
		want                 error
	}{
		{"zero size", 0, 0, 0, nil, 0, linux.EINVAL},
		{"short", 0, 0, 0, nil, 23, linux.EINVAL},
		{"more than a page", 0, 0, 0, make([]byte, 4096), 4097, linux.E2BIG},
		{"zero tail", 0, 0, 0, make([]byte, 40), 64, nil},
		{"non-zero tail", 0, 0, 0, append(make([]byte, 39), 1), 64, linux.E2BIG},
		{"unknown flag", 1 << 40, 0, 0, nil, 24, linux.EINVAL},
		{"unknown low flag", 0x80000000, 0, 0, nil, 24, linux.EINVAL},
		{"unknown resolve", 0, 0, 1 << 20, nil, 24, linux.EINVAL},
		{"mode without O_CREAT", 0, 0o644, 0, nil, 24, linux.EINVAL},
		{"mode with type bits", linux.O_CREAT | linux.O_WRONLY, 0o100644, 0, nil, 24, linux.EINVAL},
		{"BENEATH and IN_ROOT", 0, 0, linux.RESOLVE_BENEATH | linux.RESOLVE_IN_ROOT, nil, 24, linux.EINVAL},
		{"O_DIRECTORY|O_CREAT", linux.O_DIRECTORY | linux.O_CREAT, 0, 0, nil, 24, linux.EINVAL},
		{"O_PATH with O_RDWR", linux.O_PATH | linux.O_RDWR, 0, 0, nil, 24, linux.EINVAL},
		{"O_PATH with O_NOFOLLOW", linux.O_PATH | linux.O_NOFOLLOW, 0, 0, nil, 24, nil},
		{"RESOLVE_CACHED with O_CREAT", linux.O_CREAT, 0, linux.RESOLVE_CACHED, nil, 24, linux.EAGAIN},
		{"__O_TMPFILE alone", oTmpfileBit | linux.O_RDWR, 0, 0, nil, 24, linux.EINVAL},
		{"O_TMPFILE read-only", linux.O_TMPFILE, 0, 0, nil, 24, linux.EINVAL},
		{"O_TMPFILE on a file", linux.O_TMPFILE | linux.O_RDWR, 0o600, 0, nil, 24, linux.ENOTDIR},
	} {
		how := e.openHow(t, tc.flags, tc.mode, tc.resolve, tc.extra)
		fd, err := e.call(t, linux.SYS_OPENAT2, atCWD, path, how, tc.size)
		if err != tc.want {
			t.Errorf("%s: openat2 = %d, %v; want %v", tc.name, fd, err, tc.want)
		}
		if err == nil {
			e.must(t, linux.SYS_CLOSE, fd)
		}
	}
	how := e.openHow(t, linux.O_TMPFILE|linux.O_RDWR, 0o600, 0, nil)
	e.wantErr(t, linux.EOPNOTSUPP, linux.SYS_OPENAT2, atCWD, e.str(t, pathB, "."), how, 24)
	e.wantErr(t, linux.EFAULT, linux.SYS_OPENAT2, atCWD, path, badAddr, 24)
}

func TestOpenat2Resolve(t *testing.T) {
	e := newFSTask(t)
	e.must(t, linux.SYS_MKDIR, e.str(t, pathA, "d"), 0o755)
	e.create(t, "d/f", "in", 0o644)
	e.create(t, "f", "out", 0o644)
	d := e.open(t, "d", linux.O_PATH|linux.O_DIRECTORY, 0)
	for _, tc := range []struct {
		path    string
		resolve uint64
		want    error
		content string
	}{
		{"/f", linux.RESOLVE_IN_ROOT, nil, "in"},
		{"../../f", linux.RESOLVE_IN_ROOT, nil, "in"},
		{"/f", 0, nil, "out"},
		{"/f", linux.RESOLVE_BENEATH, linux.EXDEV, ""},
		{"../f", linux.RESOLVE_BENEATH, linux.EXDEV, ""},
		{"f", linux.RESOLVE_BENEATH, nil, "in"},
	} {
		how := e.openHow(t, linux.O_RDONLY, 0, tc.resolve, nil)
		fd, err := e.call(t, linux.SYS_OPENAT2, d, e.str(t, pathB, tc.path), how, 24)
		if err != tc.want {
			t.Errorf("openat2(%q, %#x) = %v, want %v", tc.path, tc.resolve, err, tc.want)
			continue
		}
		if err != nil {
			continue
		}
		n := e.must(t, linux.SYS_READ, fd, bufB, 10)
		if got := string(peek(t, e.task, bufB, int(n))); got != tc.content {
			t.Errorf("openat2(%q, %#x) opened %q, want %q", tc.path, tc.resolve, got, tc.content)
		}
		e.must(t, linux.SYS_CLOSE, fd)
	}
}

func TestOpenFlagsAndMode(t *testing.T) {
	e := newFSTask(t)
	e.must(t, linux.SYS_UMASK, 0o027)
	fd := e.open(t, "f", linux.O_RDWR|linux.O_CREAT|linux.O_CLOEXEC, 0o4777)
	if got := e.must(t, linux.SYS_FCNTL, fd, linux.F_GETFL); got != linux.O_RDWR|linux.O_LARGEFILE {
		t.Errorf("F_GETFL = %#o, want O_RDWR|O_LARGEFILE", got)
	}
	if got := e.must(t, linux.SYS_FCNTL, fd, linux.F_GETFD); got != linux.FD_CLOEXEC {
		t.Errorf("F_GETFD = %d, want FD_CLOEXEC", got)
	}
	if st := e.stat(t, "f", true); st.Mode != linux.S_IFREG|0o4750 {
		t.Errorf("mode = %#o, want S_IFREG|04750", st.Mode)
	}
	// open and openat drop what openat2 refuses: unknown flags, a mode
	// without O_CREAT, access modes with O_PATH.
	fd = e.must(t, linux.SYS_OPEN, e.str(t, pathA, "f"), linux.O_PATH|linux.O_RDWR|0x80000000, 0o777)
	if got := e.must(t, linux.SYS_FCNTL, fd, linux.F_GETFL); got != linux.O_PATH {
		t.Errorf("O_PATH F_GETFL = %#o, want O_PATH", got)
	}
	e.wantErr(t, linux.EBADF, linux.SYS_READ, fd, bufB, 1)
	// creat truncates.
	poke(t, e.task, bufB, []byte("data"))
	fd = e.open(t, "f", linux.O_WRONLY, 0)
	e.must(t, linux.SYS_WRITE, fd, bufB, 4)
	e.must(t, linux.SYS_CREAT, e.str(t, pathA, "f"), 0o600)
	if st := e.stat(t, "f", true); st.Size != 0 || st.Mode&0o7777 != 0o4750 {
		t.Errorf("after creat: size %d mode %#o", st.Size, st.Mode)
	}
	e.wantErr(t, linux.EINVAL, linux.SYS_OPEN, e.str(t, pathA, "g"), linux.O_CREAT|linux.O_DIRECTORY, 0o600)
	e.wantErr(t, linux.ENOENT, linux.SYS_OPEN, e.str(t, pathA, ""), linux.O_RDONLY, 0)
	e.wantErr(t, linux.EFAULT, linux.SYS_OPEN, badAddr, linux.O_RDONLY, 0)
	e.wantErr(t, linux.ENOTDIR, linux.SYS_OPENAT, fd, e.str(t, pathA, "x"), linux.O_RDONLY, 0)
	e.wantErr(t, linux.EBADF, linux.SYS_OPENAT, 99, e.str(t, pathA, "x"), linux.O_RDONLY, 0)
}

// A task without a file system context gets ENOSYS, not a sentry panic.
func TestPathCallsWithoutFS(t *testing.T) {
	task := newTestTask(t)
	poke(t, task, rwBase, []byte("/\x00"))
	for _, nr := range []uintptr{linux.SYS_OPEN, linux.SYS_STAT, linux.SYS_CHDIR, linux.SYS_GETCWD, linux.SYS_UMASK} {
		if _, err := call(t, task, nr, rwBase, rwBase+16, 0); err != linux.ENOSYS {
			t.Errorf("%s = %v, want ENOSYS", linux.SyscallName(nr), err)
		}
	}
	// fstat through newfstatat (what libc does) needs no context.
	r, _ := pipeFDs(t, task)
	poke(t, task, rwBase, []byte{0})
	if _, err := call(t, task, linux.SYS_NEWFSTATAT, r, rwBase, rwBase+16, linux.AT_EMPTY_PATH); err != nil {
		t.Errorf("newfstatat(pipe, AT_EMPTY_PATH) = %v", err)
	}
	if _, err := call(t, task, linux.SYS_NEWFSTATAT, atCWD, rwBase, rwBase+16, linux.AT_EMPTY_PATH); err != linux.ENOSYS {
		t.Errorf("newfstatat(AT_FDCWD, \"\") = %v, want ENOSYS", err)
	}
}

func TestMknod(t *testing.T) {
	e := newFSTask(t)
	for _, tc := range []struct {
		name     string
		mode     uint64
		dev      uint64
		want     error
		wantMode uint32
	}{
		{"zero type", 0o644, 0, nil, linux.S_IFREG | 0o644},
		{"regular", linux.S_IFREG | 0o666, 0, nil, linux.S_IFREG | 0o644},
		{"fifo", linux.S_IFIFO | 0o600, 0, nil, linux.S_IFIFO | 0o600},
		{"socket", linux.S_IFSOCK | 0o600, 0, nil, linux.S_IFSOCK | 0o600},
		{"char device", linux.S_IFCHR | 0o600, 0x0103, nil, linux.S_IFCHR | 0o600},
		{"directory", linux.S_IFDIR | 0o755, 0, linux.EPERM, 0},
		{"symlink type", linux.S_IFLNK | 0o777, 0, linux.EINVAL, 0},
		{"bad type", 0o170000 | 0o644, 0, linux.EINVAL, 0},
	} {
		_, err := e.call(t, linux.SYS_MKNODAT, atCWD, e.str(t, pathA, tc.name), tc.mode, tc.dev)
		if err != tc.want {
			t.Errorf("%s: mknodat = %v, want %v", tc.name, err, tc.want)
			continue
		}
		if err != nil {
			continue
		}
		st := e.stat(t, tc.name, false)
		if st.Mode != tc.wantMode {
			t.Errorf("%s: mode %#o, want %#o", tc.name, st.Mode, tc.wantMode)
		}
		if tc.dev != 0 && st.Rdev != tc.dev {
			t.Errorf("%s: rdev %#x, want %#x", tc.name, st.Rdev, tc.dev)
		}
	}
	e.wantErr(t, linux.EEXIST, linux.SYS_MKNOD, e.str(t, pathA, "fifo"), linux.S_IFIFO|0o600, 0)
	e.setCreds(user(1000))
	e.wantErr(t, linux.EPERM, linux.SYS_MKNOD, e.str(t, pathA, "dev2"), linux.S_IFBLK|0o600, 0x0801)
}

func TestUnlinkRenameFlags(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "a", "", 0o644)
	e.must(t, linux.SYS_MKDIR, e.str(t, pathA, "d"), 0o755)
	e.wantErr(t, linux.EINVAL, linux.SYS_UNLINKAT, atCWD, e.str(t, pathA, "a"), linux.AT_SYMLINK_NOFOLLOW)
	e.wantErr(t, linux.EISDIR, linux.SYS_UNLINKAT, atCWD, e.str(t, pathA, "d"), 0)
	e.wantErr(t, linux.ENOTDIR, linux.SYS_UNLINKAT, atCWD, e.str(t, pathA, "a"), linux.AT_REMOVEDIR)
	e.must(t, linux.SYS_UNLINKAT, atCWD, e.str(t, pathA, "d"), linux.AT_REMOVEDIR)
	// renameat2 checks its flags before either path (even a bad one).
	for _, flags := range []uint64{8, linux.RENAME_EXCHANGE | linux.RENAME_NOREPLACE, linux.RENAME_EXCHANGE | linux.RENAME_WHITEOUT} {
		e.wantErr(t, linux.EINVAL, linux.SYS_RENAMEAT2, atCWD, badAddr, atCWD, badAddr, flags)
	}
	e.create(t, "b", "", 0o644)
	e.wantErr(t, linux.EEXIST, linux.SYS_RENAMEAT2, atCWD, e.str(t, pathA, "a"), atCWD, e.str(t, pathB, "b"), linux.RENAME_NOREPLACE)
	e.must(t, linux.SYS_RENAME, e.str(t, pathA, "a"), e.str(t, pathB, "c"))
	e.wantErr(t, linux.ENOENT, linux.SYS_NEWFSTATAT, atCWD, e.str(t, pathA, "a"), bufA, 0)
}

func TestLinkat(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "f", "x", 0o644)
	e.must(t, linux.SYS_SYMLINK, e.str(t, pathA, "f"), e.str(t, pathB, "l"))
	e.wantErr(t, linux.EINVAL, linux.SYS_LINKAT, atCWD, e.str(t, pathA, "f"), atCWD, e.str(t, pathB, "g"), linux.AT_REMOVEDIR)
	// Without AT_SYMLINK_FOLLOW the link itself is linked.
	e.must(t, linux.SYS_LINKAT, atCWD, e.str(t, pathA, "l"), atCWD, e.str(t, pathB, "l2"), 0)
	if st := e.stat(t, "l2", false); st.Mode&linux.S_IFMT != linux.S_IFLNK {
		t.Errorf("l2 mode %#o, want a symlink", st.Mode)
	}
	e.must(t, linux.SYS_LINKAT, atCWD, e.str(t, pathA, "l"), atCWD, e.str(t, pathB, "f2"), linux.AT_SYMLINK_FOLLOW)
	if st := e.stat(t, "f2", false); st.Mode&linux.S_IFMT != linux.S_IFREG {
		t.Errorf("f2 mode %#o, want a regular file", st.Mode)
	}
	// AT_EMPTY_PATH links the open file; it needs CAP_DAC_READ_SEARCH.
	fd := e.open(t, "f", linux.O_RDONLY, 0)
	e.must(t, linux.SYS_LINKAT, fd, e.str(t, pathA, ""), atCWD, e.str(t, pathB, "f3"), linux.AT_EMPTY_PATH)
	if a, b := e.stat(t, "f", true), e.stat(t, "f3", true); a.Ino != b.Ino {
		t.Errorf("f3 is inode %d, f is %d", b.Ino, a.Ino)
	}
	e.wantErr(t, linux.ENOENT, linux.SYS_LINKAT, fd, e.str(t, pathA, ""), atCWD, e.str(t, pathB, "f4"), 0)
	c := auth.Root()
	c.Effective &^= auth.CapSet(1) << linux.CAP_DAC_READ_SEARCH
	e.setCreds(c)
	e.wantErr(t, linux.ENOENT, linux.SYS_LINKAT, fd, e.str(t, pathA, ""), atCWD, e.str(t, pathB, "f4"), linux.AT_EMPTY_PATH)
}

func TestReadlink(t *testing.T) {
	e := newFSTask(t)
	e.must(t, linux.SYS_SYMLINKAT, e.str(t, pathA, "target/path"), atCWD, e.str(t, pathB, "l"))
	e.create(t, "f", "", 0o644)
	if n := e.must(t, linux.SYS_READLINK, e.str(t, pathA, "l"), bufA, 100); string(peek(t, e.task, bufA, int(n))) != "target/path" {
		t.Errorf("readlink = %q", peek(t, e.task, bufA, int(n)))
	}
	// A short buffer truncates, without a NUL.
	if n := e.must(t, linux.SYS_READLINK, e.str(t, pathA, "l"), bufA, 3); n != 3 || string(peek(t, e.task, bufA, 3)) != "tar" {
		t.Errorf("readlink(3) = %d %q", n, peek(t, e.task, bufA, 3))
	}
	for _, size := range []uint64{0, 0x80000000, ^uint64(0)} {
		e.wantErr(t, linux.EINVAL, linux.SYS_READLINK, e.str(t, pathA, "l"), bufA, size)
	}
	e.wantErr(t, linux.EINVAL, linux.SYS_READLINK, e.str(t, pathA, "f"), bufA, 100)
	e.wantErr(t, linux.EFAULT, linux.SYS_READLINK, e.str(t, pathA, "l"), badAddr, 100)
	// The empty path reads an O_PATH|O_NOFOLLOW fd of the link; of
	// another file it is ENOENT.
	lfd := e.open(t, "l", linux.O_PATH|linux.O_NOFOLLOW, 0)
	if n := e.must(t, linux.SYS_READLINKAT, lfd, e.str(t, pathA, ""), bufA, 100); n != uint64(len("target/path")) {
		t.Errorf("readlinkat(fd, \"\") = %d", n)
	}
	ffd := e.open(t, "f", linux.O_RDONLY, 0)
	e.wantErr(t, linux.ENOENT, linux.SYS_READLINKAT, ffd, e.str(t, pathA, ""), bufA, 100)
	e.wantErr(t, linux.ENOENT, linux.SYS_SYMLINK, e.str(t, pathA, ""), e.str(t, pathB, "l3"))
}

func TestCwdAndRoot(t *testing.T) {
	e := newFSTask(t)
	e.must(t, linux.SYS_MKDIR, e.str(t, pathA, "a"), 0o755)
	e.must(t, linux.SYS_MKDIR, e.str(t, pathA, "a/b"), 0o700)
	e.create(t, "a/f", "", 0o644)
	e.must(t, linux.SYS_CHDIR, e.str(t, pathA, "a/b"))
	want := "/a/b\x00"
	if n := e.must(t, linux.SYS_GETCWD, bufA, 100); n != uint64(len(want)) || string(peek(t, e.task, bufA, int(n))) != want {
		t.Errorf("getcwd = %d %q", n, peek(t, e.task, bufA, int(n)))
	}
	e.wantErr(t, linux.ERANGE, linux.SYS_GETCWD, bufA, uint64(len(want)-1))
	e.wantErr(t, linux.ERANGE, linux.SYS_GETCWD, bufA, 0)
	e.wantErr(t, linux.EFAULT, linux.SYS_GETCWD, badAddr, 100)
	e.wantErr(t, linux.ENOTDIR, linux.SYS_CHDIR, e.str(t, pathA, "/a/f"))
	ffd := e.open(t, "/a/f", linux.O_RDONLY, 0)
	e.wantErr(t, linux.ENOTDIR, linux.SYS_FCHDIR, ffd)
	r, w := pipeFDs(t, e.task)
	e.wantErr(t, linux.ENOTDIR, linux.SYS_FCHDIR, r)
	e.must(t, linux.SYS_CLOSE, w)
	// fchdir accepts O_PATH.
	dfd := e.open(t, "/a", linux.O_PATH|linux.O_DIRECTORY, 0)
	e.must(t, linux.SYS_FCHDIR, dfd)
	// A user may not enter a directory it cannot search, nor chroot.
	e.setCreds(user(1000))
	e.wantErr(t, linux.EACCES, linux.SYS_CHDIR, e.str(t, pathA, "b"))
	e.wantErr(t, linux.EPERM, linux.SYS_CHROOT, e.str(t, pathA, "."))
	e.setCreds(auth.Root())
	// chroot into a; the cwd (b) stays below it.
	e.must(t, linux.SYS_CHDIR, e.str(t, pathA, "b"))
	e.must(t, linux.SYS_CHROOT, e.str(t, pathA, "/a"))
	if n := e.must(t, linux.SYS_GETCWD, bufA, 100); string(peek(t, e.task, bufA, int(n))) != "/b\x00" {
		t.Errorf("getcwd in chroot = %q", peek(t, e.task, bufA, int(n)))
	}
	// A working directory outside the root is "(unreachable)".
	e.task.FSContext().SetCwd(e.root)
	if n := e.must(t, linux.SYS_GETCWD, bufA, 100); string(peek(t, e.task, bufA, int(n))) != "(unreachable)/\x00" {
		t.Errorf("getcwd outside root = %q", peek(t, e.task, bufA, int(n)))
	}
	// A removed working directory is ENOENT.
	e.must(t, linux.SYS_CHDIR, e.str(t, pathA, "/b"))
	e.must(t, linux.SYS_RMDIR, e.str(t, pathA, "/b"))
	e.wantErr(t, linux.ENOENT, linux.SYS_GETCWD, bufA, 100)
	if old := e.must(t, linux.SYS_UMASK, 0o7777); old != 0o022 {
		t.Errorf("umask returned %#o", old)
	}
	if old := e.must(t, linux.SYS_UMASK, 0); old != 0o777 {
		t.Errorf("umask kept %#o, want 0777", old)
	}
}

// dirents parses a getdents64 buffer.
func dirents64(b []byte) (names []string, types []uint8, offs []int64) {
	for len(b) > 0 {
		reclen := binary.LittleEndian.Uint16(b[16:])
		offs = append(offs, int64(binary.LittleEndian.Uint64(b[8:])))
		types = append(types, b[18])
		name := b[linux.Dirent64NameOffset:reclen]
		names = append(names, string(name[:bytes.IndexByte(name, 0)]))
		b = b[reclen:]
	}
	return
}

func TestGetdents(t *testing.T) {
	e := newFSTask(t)
	e.must(t, linux.SYS_MKDIR, e.str(t, pathA, "d"), 0o755)
	e.create(t, "d/file", "", 0o644)
	e.must(t, linux.SYS_MKDIR, e.str(t, pathA, "d/sub"), 0o755)
	e.must(t, linux.SYS_SYMLINK, e.str(t, pathA, "x"), e.str(t, pathB, "d/a-much-longer-link-name"))
	fd := e.open(t, "d", linux.O_RDONLY|linux.O_DIRECTORY, 0)

	// The first record is 24 bytes ("." needs 19+2, padded): a smaller
	// buffer is EINVAL.
	e.wantErr(t, linux.EINVAL, linux.SYS_GETDENTS64, fd, bufA, 23)
	n := e.must(t, linux.SYS_GETDENTS64, fd, bufA, 48)
	names, _, offs := dirents64(peek(t, e.task, bufA, int(n)))
	if strings.Join(names, ",") != ".,.." || offs[1] != 2 {
		t.Fatalf("first call: %v %v", names, offs)
	}
	n = e.must(t, linux.SYS_GETDENTS64, fd, bufA, 4096)
	names, types, _ := dirents64(peek(t, e.task, bufA, int(n)))
	if strings.Join(names, ",") != "file,sub,a-much-longer-link-name" {
		t.Fatalf("second call: %v", names)
	}
	if types[0] != linux.DT_REG || types[1] != linux.DT_DIR || types[2] != linux.DT_LNK {
		t.Errorf("types %v", types)
	}
	if n := e.must(t, linux.SYS_GETDENTS64, fd, bufA, 4096); n != 0 {
		t.Errorf("at the end: %d", n)
	}

	// The old layout: d_type is the record's last byte.
	e.must(t, linux.SYS_LSEEK, fd, 0, linux.SEEK_SET)
	n = e.must(t, linux.SYS_GETDENTS, fd, bufA, 4096)
	b := peek(t, e.task, bufA, int(n))
	var oldNames []string
	for len(b) > 0 {
		reclen := int(binary.LittleEndian.Uint16(b[16:]))
		if reclen%8 != 0 {
			t.Fatalf("reclen %d", reclen)
		}
		name := b[linux.DirentNameOffset:reclen]
		oldNames = append(oldNames, string(name[:bytes.IndexByte(name, 0)]))
		if oldNames[len(oldNames)-1] == "sub" && b[reclen-1] != linux.DT_DIR {
			t.Errorf("sub has d_type %d", b[reclen-1])
		}
		b = b[reclen:]
	}
	if strings.Join(oldNames, ",") != ".,..,file,sub,a-much-longer-link-name" {
		t.Errorf("getdents: %v", oldNames)
	}

	ffd := e.open(t, "d/file", linux.O_RDONLY, 0)
	e.wantErr(t, linux.ENOTDIR, linux.SYS_GETDENTS64, ffd, bufA, 4096)
	pfd := e.open(t, "d", linux.O_PATH, 0)
	e.wantErr(t, linux.EBADF, linux.SYS_GETDENTS64, pfd, bufA, 4096)
	e.wantErr(t, linux.EBADF, linux.SYS_GETDENTS64, 99, bufA, 4096)
	e.must(t, linux.SYS_LSEEK, fd, 0, linux.SEEK_SET)
	e.wantErr(t, linux.EFAULT, linux.SYS_GETDENTS64, fd, badAddr, 4096)

	// A removed directory reads as ENOENT.
	e.must(t, linux.SYS_MKDIR, e.str(t, pathA, "gone"), 0o755)
	gfd := e.open(t, "gone", linux.O_RDONLY|linux.O_DIRECTORY, 0)
	e.must(t, linux.SYS_RMDIR, e.str(t, pathA, "gone"))
	e.wantErr(t, linux.ENOENT, linux.SYS_GETDENTS64, gfd, bufA, 4096)
}

func TestFIONREADOnFiles(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "f", "0123456789", 0o644)
	fd := e.open(t, "f", linux.O_RDONLY, 0)
	e.must(t, linux.SYS_LSEEK, fd, 4, linux.SEEK_SET)
	e.must(t, linux.SYS_IOCTL, fd, linux.FIONREAD, bufA)
	if n := binary.LittleEndian.Uint32(peek(t, e.task, bufA, 4)); n != 6 {
		t.Errorf("FIONREAD = %d, want 6", n)
	}
}
