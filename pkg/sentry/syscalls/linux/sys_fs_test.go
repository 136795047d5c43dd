package linux

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
)

func TestStatCalls(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "f", "hello", 0o640)
	e.must(t, linux.SYS_SYMLINK, e.str(t, pathA, "f"), e.str(t, pathB, "l"))
	if st := e.stat(t, "l", true); st.Mode != linux.S_IFREG|0o640 || st.Size != 5 {
		t.Errorf("stat through link: mode %#o size %d", st.Mode, st.Size)
	}
	e.must(t, linux.SYS_LSTAT, e.str(t, pathA, "l"), bufA)
	if mode := binary.LittleEndian.Uint32(peek(t, e.task, bufA+24, 4)); mode&linux.S_IFMT != linux.S_IFLNK {
		t.Errorf("lstat mode %#o", mode)
	}
	e.must(t, linux.SYS_STAT, e.str(t, pathA, "l"), bufA)
	if size := binary.LittleEndian.Uint64(peek(t, e.task, bufA+48, 8)); size != 5 {
		t.Errorf("stat size %d", size)
	}
	// AT_EMPTY_PATH stats dirfd itself, of any kind (a pipe here), and
	// a NULL path is the empty path.
	r, w := pipeFDs(t, e.task)
	e.must(t, linux.SYS_NEWFSTATAT, r, 0, bufA, linux.AT_EMPTY_PATH)
	if mode := binary.LittleEndian.Uint32(peek(t, e.task, bufA+24, 4)); mode&linux.S_IFMT != linux.S_IFIFO {
		t.Errorf("fstatat(pipe, AT_EMPTY_PATH) mode %#o", mode)
	}
	e.must(t, linux.SYS_CLOSE, w)
	e.must(t, linux.SYS_NEWFSTATAT, atCWD, e.str(t, pathA, ""), bufA, linux.AT_EMPTY_PATH)
	if mode := binary.LittleEndian.Uint32(peek(t, e.task, bufA+24, 4)); mode != linux.S_IFDIR|0o755 {
		t.Errorf("fstatat(AT_FDCWD, \"\") mode %#o", mode)
	}
	for _, tc := range []struct {
		name  string
		path  uint64
		flags uint64
		want  error
	}{
		{"unknown flag", e.str(t, pathA, "f"), linux.AT_REMOVEDIR, linux.EINVAL},
		{"empty without AT_EMPTY_PATH", e.str(t, pathA+0x100, ""), 0, linux.ENOENT},
		{"NULL without AT_EMPTY_PATH", 0, 0, linux.EFAULT},
		{"missing", e.str(t, pathA+0x200, "nope"), 0, linux.ENOENT},
		{"through a file", e.str(t, pathA+0x300, "f/x"), 0, linux.ENOTDIR},
		{"bad buffer", e.str(t, pathA, "f"), 0, linux.EFAULT},
	} {
		buf := uint64(bufA)
		if tc.name == "bad buffer" {
			buf = badAddr
		}
		if _, err := e.call(t, linux.SYS_NEWFSTATAT, atCWD, tc.path, buf, tc.flags); err != tc.want {
			t.Errorf("%s: newfstatat = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestStatx(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "f", "hello", 0o600)
	e.must(t, linux.SYS_STATX, atCWD, e.str(t, pathA, "f"), 0, linux.STATX_BASIC_STATS, bufA)
	var sx linux.Statx
	if err := binary.Read(bytes.NewReader(peek(t, e.task, bufA, linux.SizeOfStatx)), binary.LittleEndian, &sx); err != nil {
		t.Fatal(err)
	}
	if sx.Mask&linux.STATX_BASIC_STATS != linux.STATX_BASIC_STATS || sx.Mask&linux.STATX_MNT_ID == 0 {
		t.Errorf("mask %#x", sx.Mask)
	}
	if sx.Mode != linux.S_IFREG|0o600 || sx.Size != 5 || sx.MntID == 0 {
		t.Errorf("statx: mode %#o size %d mnt %d", sx.Mode, sx.Size, sx.MntID)
	}
	// Files outside the VFS report the basic attributes.
	r, _ := pipeFDs(t, e.task)
	e.must(t, linux.SYS_STATX, r, 0, linux.AT_EMPTY_PATH, linux.STATX_BASIC_STATS, bufA)
	if err := binary.Read(bytes.NewReader(peek(t, e.task, bufA, linux.SizeOfStatx)), binary.LittleEndian, &sx); err != nil {
		t.Fatal(err)
	}
	if sx.Mode&linux.S_IFMT != linux.S_IFIFO || sx.Mask != linux.STATX_BASIC_STATS {
		t.Errorf("statx(pipe): mode %#o mask %#x", sx.Mode, sx.Mask)
	}
	f := e.str(t, pathA, "f")
	for _, tc := range []struct {
		name        string
		flags, mask uint64
		want        error
	}{
		{"unknown flag", 0x10000, 0, linux.EINVAL},
		{"AT_REMOVEDIR", linux.AT_REMOVEDIR, 0, linux.EINVAL},
		{"both sync types", linux.AT_STATX_FORCE_SYNC | linux.AT_STATX_DONT_SYNC, 0, linux.EINVAL},
		{"reserved mask", 0, linux.STATX__RESERVED, linux.EINVAL},
		{"force sync", linux.AT_STATX_FORCE_SYNC, 0xfff, nil},
		{"no automount", linux.AT_NO_AUTOMOUNT | linux.AT_SYMLINK_NOFOLLOW, 0, nil},
	} {
		if _, err := e.call(t, linux.SYS_STATX, atCWD, f, tc.flags, tc.mask, bufA); err != tc.want {
			t.Errorf("%s: statx = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestAccessUsesRealIDs(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "rootonly", "", 0o600)
	e.create(t, "x", "", 0o755)
	// A set-user-ID-root program run by uid 1000: effective root, real
	// 1000.
	c := user(1000)
	c.EffectiveUID, c.SavedUID, c.FilesystemUID = 0, 0, 0
	c.Permitted, c.Effective = auth.AllCaps, auth.AllCaps
	e.setCreds(c)
	p := e.str(t, pathA, "rootonly")
	e.wantErr(t, linux.EACCES, linux.SYS_ACCESS, p, linux.R_OK)
	e.must(t, linux.SYS_FACCESSAT2, atCWD, p, linux.R_OK|linux.W_OK, linux.AT_EACCESS)
	e.must(t, linux.SYS_ACCESS, p, linux.F_OK)
	x := e.str(t, pathB, "x")
	e.must(t, linux.SYS_FACCESSAT, atCWD, x, linux.R_OK|linux.X_OK)
	e.wantErr(t, linux.EACCES, linux.SYS_FACCESSAT, atCWD, x, linux.W_OK)
	for _, tc := range []struct {
		mode, flags uint64
		want        error
	}{
		{8, 0, linux.EINVAL},
		{linux.R_OK, linux.AT_SYMLINK_FOLLOW, linux.EINVAL},
		{linux.R_OK, linux.AT_EMPTY_PATH, linux.EACCES},
	} {
		if _, err := e.call(t, linux.SYS_FACCESSAT2, atCWD, p, tc.mode, tc.flags); err != tc.want {
			t.Errorf("faccessat2(%#x, %#x) = %v, want %v", tc.mode, tc.flags, err, tc.want)
		}
	}
}

func TestAccessCreds(t *testing.T) {
	root := auth.Root()
	if got := accessCreds(root); got != root {
		t.Error("root's credentials were copied although nothing changes")
	}
	c := user(1000)
	c.EffectiveUID, c.FilesystemUID, c.Permitted, c.Effective = 0, 0, auth.AllCaps, auth.AllCaps
	got := accessCreds(c)
	if got.FilesystemUID != 1000 || got.FilesystemGID != 1000 || got.Effective != 0 {
		t.Errorf("override of uid 1000: fsuid %d fsgid %d caps %#x", got.FilesystemUID, got.FilesystemGID, got.Effective)
	}
	if c.FilesystemUID != 0 {
		t.Error("the task's credentials were modified")
	}
	// Real root gets its permitted capabilities, even if it dropped
	// effective ones.
	r := auth.Root()
	r.Effective = 0
	if got := accessCreds(r); got.Effective != auth.AllCaps {
		t.Errorf("root override caps %#x", got.Effective)
	}
}

func TestChmodChown(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "f", "", 0o644)
	e.must(t, linux.SYS_SYMLINK, e.str(t, pathA, "f"), e.str(t, pathB, "l"))
	e.must(t, linux.SYS_CHMOD, e.str(t, pathA, "l"), 0o17777)
	if st := e.stat(t, "f", true); st.Mode != linux.S_IFREG|0o7777 {
		t.Errorf("chmod through link: %#o", st.Mode)
	}
	e.wantErr(t, linux.EOPNOTSUPP, linux.SYS_FCHMODAT2, atCWD, e.str(t, pathA, "l"), 0o600, linux.AT_SYMLINK_NOFOLLOW)
	e.wantErr(t, linux.EINVAL, linux.SYS_FCHMODAT2, atCWD, e.str(t, pathA, "l"), 0o600, linux.AT_REMOVEDIR)
	fd := e.open(t, "f", linux.O_RDONLY, 0)
	e.must(t, linux.SYS_FCHMOD, fd, 0o600)
	pfd := e.open(t, "f", linux.O_PATH, 0)
	e.wantErr(t, linux.EBADF, linux.SYS_FCHMOD, pfd, 0o600)
	e.must(t, linux.SYS_FCHMODAT2, pfd, e.str(t, pathA, ""), 0o640, linux.AT_EMPTY_PATH)
	if st := e.stat(t, "f", true); st.Mode != linux.S_IFREG|0o640 {
		t.Errorf("fchmodat2(AT_EMPTY_PATH): %#o", st.Mode)
	}

	// -1 keeps an ID; lchown changes the link.
	e.must(t, linux.SYS_CHOWN, e.str(t, pathA, "f"), 1000, nullID)
	if st := e.stat(t, "f", true); st.UID != 1000 || st.GID != 0 {
		t.Errorf("chown: %d:%d", st.UID, st.GID)
	}
	e.must(t, linux.SYS_LCHOWN, e.str(t, pathA, "l"), nullID, 7)
	if st, lst := e.stat(t, "f", true), e.stat(t, "l", false); st.GID != 0 || lst.GID != 7 {
		t.Errorf("lchown: file gid %d, link gid %d", st.GID, lst.GID)
	}
	e.must(t, linux.SYS_FCHOWN, fd, nullID, 8)
	e.wantErr(t, linux.EBADF, linux.SYS_FCHOWN, pfd, 0, 0)
	e.wantErr(t, linux.EINVAL, linux.SYS_FCHOWNAT, atCWD, e.str(t, pathA, "f"), 0, 0, linux.AT_REMOVEDIR)
	e.must(t, linux.SYS_FCHOWNAT, pfd, e.str(t, pathA, ""), 0, 0, linux.AT_EMPTY_PATH)
	e.setCreds(user(1000))
	e.wantErr(t, linux.EPERM, linux.SYS_CHOWN, e.str(t, pathA, "f"), 1000, nullID)
}

func TestUtimes(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "f", "", 0o644)
	e.must(t, linux.SYS_CHMOD, e.str(t, pathA, "f"), 0o666)
	ts := func(addr uint64, vals ...int64) uint64 {
		var b []byte
		for _, v := range vals {
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
		poke(t, e.task, addr, b)
		return addr
	}
	f := e.str(t, pathA, "f")
	e.must(t, linux.SYS_UTIMENSAT, atCWD, f, ts(bufA, 100, 5, 200, 6), 0)
	if st := e.stat(t, "f", true); st.ATime != (linux.Timespec{Sec: 100, Nsec: 5}) || st.MTime != (linux.Timespec{Sec: 200, Nsec: 6}) {
		t.Errorf("times %v %v", st.ATime, st.MTime)
	}
	// UTIME_OMIT keeps one; both UTIME_OMIT returns before the path is
	// even read.
	e.must(t, linux.SYS_UTIMENSAT, atCWD, f, ts(bufA, 300, linux.UTIME_OMIT, 400, 0), 0)
	if st := e.stat(t, "f", true); st.ATime.Sec != 100 || st.MTime.Sec != 400 {
		t.Errorf("after OMIT: %v %v", st.ATime, st.MTime)
	}
	e.must(t, linux.SYS_UTIMENSAT, atCWD, badAddr, ts(bufA, 0, linux.UTIME_OMIT, 0, linux.UTIME_OMIT), 0)
	e.wantErr(t, linux.EINVAL, linux.SYS_UTIMENSAT, atCWD, f, ts(bufA, 0, 1e9, 0, 0), 0)
	e.wantErr(t, linux.EINVAL, linux.SYS_UTIMENSAT, atCWD, f, ts(bufA, 0, -1, 0, 0), 0)
	e.wantErr(t, linux.EINVAL, linux.SYS_UTIMENSAT, atCWD, f, 0, linux.AT_REMOVEDIR)
	e.wantErr(t, linux.EFAULT, linux.SYS_UTIMENSAT, atCWD, f, badAddr, 0)
	e.wantErr(t, linux.EFAULT, linux.SYS_UTIMENSAT, atCWD, 0, 0, 0)
	// A NULL path with a dirfd is futimens; flags must then be 0.
	fd := e.open(t, "f", linux.O_RDONLY, 0)
	e.must(t, linux.SYS_UTIMENSAT, fd, 0, ts(bufA, 7, 0, 8, 0), 0)
	if st := e.stat(t, "f", true); st.ATime.Sec != 7 || st.MTime.Sec != 8 {
		t.Errorf("futimens: %v %v", st.ATime, st.MTime)
	}
	e.wantErr(t, linux.EINVAL, linux.SYS_UTIMENSAT, fd, 0, 0, linux.AT_SYMLINK_NOFOLLOW)
	// utimes checks microseconds; utime takes whole seconds.
	e.wantErr(t, linux.EINVAL, linux.SYS_UTIMES, f, ts(bufA, 1, 1e6, 2, 0))
	e.must(t, linux.SYS_UTIMES, f, ts(bufA, 1, 2, 3, 4))
	if st := e.stat(t, "f", true); st.ATime != (linux.Timespec{Sec: 1, Nsec: 2000}) || st.MTime != (linux.Timespec{Sec: 3, Nsec: 4000}) {
		t.Errorf("utimes: %v %v", st.ATime, st.MTime)
	}
	e.must(t, linux.SYS_UTIME, f, ts(bufA, 11, 12))
	if st := e.stat(t, "f", true); st.ATime != (linux.Timespec{Sec: 11}) || st.MTime != (linux.Timespec{Sec: 12}) {
		t.Errorf("utime: %v %v", st.ATime, st.MTime)
	}
	// A non-owner with write access may set both to now, nothing else.
	e.setCreds(user(1000))
	e.must(t, linux.SYS_UTIMENSAT, atCWD, f, 0, 0)
	e.must(t, linux.SYS_UTIMENSAT, atCWD, f, ts(bufA, 0, linux.UTIME_NOW, 0, linux.UTIME_NOW), 0)
	e.wantErr(t, linux.EPERM, linux.SYS_UTIMENSAT, atCWD, f, ts(bufA, 0, linux.UTIME_NOW, 0, linux.UTIME_OMIT), 0)
	e.wantErr(t, linux.EPERM, linux.SYS_UTIME, f, ts(bufA, 1, 2))
}

func TestTruncate(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "f", "0123456789", 0o644)
	e.must(t, linux.SYS_MKDIR, e.str(t, pathA, "d"), 0o755)
	e.must(t, linux.SYS_TRUNCATE, e.str(t, pathA, "f"), 4)
	if st := e.stat(t, "f", true); st.Size != 4 {
		t.Errorf("size %d", st.Size)
	}
	e.wantErr(t, linux.EINVAL, linux.SYS_TRUNCATE, badAddr, ^uint64(0))
	e.wantErr(t, linux.EISDIR, linux.SYS_TRUNCATE, e.str(t, pathA, "d"), 0)
	wfd := e.open(t, "f", linux.O_WRONLY, 0)
	e.must(t, linux.SYS_FTRUNCATE, wfd, 100)
	if st := e.stat(t, "f", true); st.Size != 100 {
		t.Errorf("size %d", st.Size)
	}
	rfd := e.open(t, "f", linux.O_RDONLY, 0)
	pfd := e.open(t, "f", linux.O_PATH, 0)
	dfd := e.open(t, "d", linux.O_RDONLY, 0)
	r, w := pipeFDs(t, e.task)
	for _, tc := range []struct {
		name   string
		fd     uint64
		length uint64
		want   error
	}{
		{"negative", wfd, ^uint64(0), linux.EINVAL},
		{"read-only", rfd, 0, linux.EINVAL},
		{"O_PATH", pfd, 0, linux.EBADF},
		{"directory", dfd, 0, linux.EINVAL},
		{"pipe", w, 0, linux.EINVAL},
		{"bad fd", 99, 0, linux.EBADF},
	} {
		if _, err := e.call(t, linux.SYS_FTRUNCATE, tc.fd, tc.length); err != tc.want {
			t.Errorf("%s: ftruncate = %v, want %v", tc.name, err, tc.want)
		}
	}
	e.must(t, linux.SYS_CLOSE, r)
	// truncate needs write permission; ftruncate only a writable fd.
	e.must(t, linux.SYS_CHMOD, e.str(t, pathA, "f"), 0o444)
	e.setCreds(user(1000))
	e.wantErr(t, linux.EACCES, linux.SYS_TRUNCATE, e.str(t, pathA, "f"), 0)
	e.must(t, linux.SYS_FTRUNCATE, wfd, 0)
}

func TestXattrs(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "f", "", 0o644)
	f := e.str(t, pathA, "f")
	name := e.str(t, pathB, "user.key")
	poke(t, e.task, bufA, []byte("value"))
	e.must(t, linux.SYS_SETXATTR, f, name, bufA, 5, 0)
	if n := e.must(t, linux.SYS_GETXATTR, f, name, 0, 0); n != 5 {
		t.Errorf("getxattr size query = %d", n)
	}
	if n := e.must(t, linux.SYS_GETXATTR, f, name, bufB, 100); n != 5 || string(peek(t, e.task, bufB, 5)) != "value" {
		t.Errorf("getxattr = %d %q", n, peek(t, e.task, bufB, 5))
	}
	e.wantErr(t, linux.ERANGE, linux.SYS_GETXATTR, f, name, bufB, 4)
	e.must(t, linux.SYS_LSETXATTR, f, e.str(t, pathB+0x100, "user.a"), bufA, 0, 0)
	want := "user.a\x00user.key\x00"
	if n := e.must(t, linux.SYS_LISTXATTR, f, 0, 0); n != uint64(len(want)) {
		t.Errorf("listxattr size query = %d", n)
	}
	if n := e.must(t, linux.SYS_LLISTXATTR, f, bufB, 100); string(peek(t, e.task, bufB, int(n))) != want {
		t.Errorf("listxattr = %q", peek(t, e.task, bufB, int(n)))
	}
	e.wantErr(t, linux.ERANGE, linux.SYS_LISTXATTR, f, bufB, 5)
	fd := e.open(t, "f", linux.O_RDONLY, 0)
	e.must(t, linux.SYS_FREMOVEXATTR, fd, name)
	e.wantErr(t, linux.ENODATA, linux.SYS_FGETXATTR, fd, name, bufB, 100)
	pfd := e.open(t, "f", linux.O_PATH, 0)
	e.wantErr(t, linux.EBADF, linux.SYS_FGETXATTR, pfd, name, bufB, 100)

	long := e.str(t, pathB+0x600, "user."+strings.Repeat("k", 251))
	empty := e.str(t, pathB+0x300, "")
	for _, tc := range []struct {
		name string
		nr   uintptr
		args []uint64
		want error
	}{
		{"empty name", linux.SYS_GETXATTR, []uint64{f, empty, bufB, 10}, linux.ERANGE},
		{"name of 256", linux.SYS_SETXATTR, []uint64{f, long, bufA, 1, 0}, linux.ERANGE},
		{"value too big", linux.SYS_SETXATTR, []uint64{f, name, bufA, linux.XATTR_SIZE_MAX + 1, 0}, linux.E2BIG},
		{"bad flags", linux.SYS_SETXATTR, []uint64{badAddr, badAddr, bufA, 1, 4}, linux.EINVAL},
		{"name before path", linux.SYS_GETXATTR, []uint64{badAddr, empty, bufB, 10}, linux.ERANGE},
		{"bad value", linux.SYS_SETXATTR, []uint64{f, name, badAddr, 1, 0}, linux.EFAULT},
		{"unknown namespace", linux.SYS_SETXATTR, []uint64{f, e.str(t, pathB+0x400, "bogus.k"), bufA, 1, 0}, linux.EOPNOTSUPP},
	} {
		if _, err := e.call(t, tc.nr, tc.args...); err != tc.want {
			t.Errorf("%s: %s = %v, want %v", tc.name, linux.SyscallName(tc.nr), err, tc.want)
		}
	}
	// Files outside the VFS have none.
	r, _ := pipeFDs(t, e.task)
	e.wantErr(t, linux.EOPNOTSUPP, linux.SYS_FGETXATTR, r, name, bufB, 100)
	if n := e.must(t, linux.SYS_FLISTXATTR, r, bufB, 100); n != 0 {
		t.Errorf("flistxattr(pipe) = %d", n)
	}
}

func TestSyncAndFallocate(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "f", "", 0o644)
	e.must(t, linux.SYS_MKDIR, e.str(t, pathA, "d"), 0o755)
	wfd := e.open(t, "f", linux.O_RDWR, 0)
	rfd := e.open(t, "f", linux.O_RDONLY, 0)
	pfd := e.open(t, "f", linux.O_PATH, 0)
	dfd := e.open(t, "d", linux.O_RDONLY, 0)
	r, w := pipeFDs(t, e.task)
	e.must(t, linux.SYS_FSYNC, wfd)
	e.must(t, linux.SYS_FDATASYNC, rfd)
	e.must(t, linux.SYS_FSYNC, dfd)
	e.must(t, linux.SYS_SYNC)
	e.must(t, linux.SYS_SYNCFS, rfd)
	e.wantErr(t, linux.EINVAL, linux.SYS_FSYNC, r)
	e.wantErr(t, linux.EBADF, linux.SYS_FSYNC, pfd)
	e.wantErr(t, linux.EBADF, linux.SYS_SYNCFS, 99)
	e.must(t, linux.SYS_SYNC_FILE_RANGE, wfd, 0, 0, linux.SYNC_FILE_RANGE_WAIT_BEFORE|linux.SYNC_FILE_RANGE_WRITE|linux.SYNC_FILE_RANGE_WAIT_AFTER)
	e.must(t, linux.SYS_SYNC_FILE_RANGE, rfd, 0, 4096, 0)
	for _, tc := range []struct {
		fd, off, n, flags uint64
		want              error
	}{
		{wfd, ^uint64(0), 0, 0, linux.EINVAL},
		{wfd, 0, ^uint64(0), 0, linux.EINVAL},
		{wfd, 1 << 62, 1 << 62, 0, linux.EINVAL},
		{wfd, 0, 0, 8, linux.EINVAL},
		{r, 0, 0, 0, linux.ESPIPE},
		{pfd, 0, 0, 0, linux.EBADF},
	} {
		if _, err := e.call(t, linux.SYS_SYNC_FILE_RANGE, tc.fd, tc.off, tc.n, tc.flags); err != tc.want {
			t.Errorf("sync_file_range(%d, %#x, %#x, %#x) = %v, want %v", tc.fd, tc.off, tc.n, tc.flags, err, tc.want)
		}
	}

	e.must(t, linux.SYS_FALLOCATE, wfd, 0, 0, 8192)
	if st := e.stat(t, "f", true); st.Size != 8192 {
		t.Errorf("size after fallocate %d", st.Size)
	}
	for _, tc := range []struct {
		name        string
		fd, mode    uint64
		off, length int64
		want        error
	}{
		{"zero length", wfd, 0, 0, 0, linux.EINVAL},
		{"negative offset", wfd, 0, -1, 1, linux.EINVAL},
		{"unknown mode", wfd, 0x100, 0, 1, linux.EOPNOTSUPP},
		{"no hide stale", wfd, linux.FALLOC_FL_NO_HIDE_STALE, 0, 1, linux.EOPNOTSUPP},
		{"punch without keep", wfd, linux.FALLOC_FL_PUNCH_HOLE, 0, 1, linux.EOPNOTSUPP},
		{"punch and zero", wfd, linux.FALLOC_FL_PUNCH_HOLE | linux.FALLOC_FL_ZERO_RANGE | linux.FALLOC_FL_KEEP_SIZE, 0, 1, linux.EOPNOTSUPP},
		{"collapse with keep", wfd, linux.FALLOC_FL_COLLAPSE_RANGE | linux.FALLOC_FL_KEEP_SIZE, 0, 1, linux.EOPNOTSUPP},
		{"punch with keep reaches the file system", wfd, linux.FALLOC_FL_PUNCH_HOLE | linux.FALLOC_FL_KEEP_SIZE, 0, 1, linux.EOPNOTSUPP},
		{"read-only fd", rfd, 0, 0, 1, linux.EBADF},
		{"O_PATH", pfd, 0, 0, 1, linux.EBADF},
		{"pipe", w, 0, 0, 1, linux.ESPIPE},
		{"overflow", wfd, 0, 1 << 62, 1 << 62, linux.EFBIG},
	} {
		if _, err := e.call(t, linux.SYS_FALLOCATE, tc.fd, tc.mode, uint64(tc.off), uint64(tc.length)); err != tc.want {
			t.Errorf("%s: fallocate = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestStatfs(t *testing.T) {
	e := newFSTask(t)
	e.must(t, linux.SYS_STATFS, e.str(t, pathA, "/"), bufA)
	var sfs linux.Statfs
	if err := binary.Read(bytes.NewReader(peek(t, e.task, bufA, linux.SizeOfStatfs)), binary.LittleEndian, &sfs); err != nil {
		t.Fatal(err)
	}
	if sfs.Type != linux.TMPFS_MAGIC || sfs.Flags&linux.ST_VALID == 0 {
		t.Errorf("statfs: type %#x flags %#x", sfs.Type, sfs.Flags)
	}
	r, _ := pipeFDs(t, e.task)
	e.must(t, linux.SYS_FSTATFS, r, bufA)
	if typ := binary.LittleEndian.Uint64(peek(t, e.task, bufA, 8)); typ != linux.PIPEFS_MAGIC {
		t.Errorf("fstatfs(pipe) type %#x", typ)
	}
	pfd := e.open(t, "/", linux.O_PATH, 0)
	e.must(t, linux.SYS_FSTATFS, pfd, bufA)
	e.wantErr(t, linux.ENOENT, linux.SYS_STATFS, e.str(t, pathA, "/nope"), bufA)
	e.wantErr(t, linux.EFAULT, linux.SYS_FSTATFS, pfd, badAddr)
}
