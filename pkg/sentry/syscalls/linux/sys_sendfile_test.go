package linux

import (
	"encoding/binary"
	"math/rand"
	"sort"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

func TestSendfile(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "src", "0123456789", 0o644)
	in := e.open(t, "src", linux.O_RDONLY, 0)
	out := e.open(t, "dst", linux.O_WRONLY|linux.O_CREAT, 0o644)
	// From the file offset, which advances.
	if n := e.must(t, linux.SYS_SENDFILE, out, in, 0, 4); n != 4 {
		t.Errorf("sendfile = %d", n)
	}
	if pos := e.must(t, linux.SYS_LSEEK, in, 0, linux.SEEK_CUR); pos != 4 {
		t.Errorf("in offset %d", pos)
	}
	// From an explicit offset, written back; the file offset stays.
	poke(t, e.task, bufA, binary.LittleEndian.AppendUint64(nil, 8))
	if n := e.must(t, linux.SYS_SENDFILE, out, in, bufA, 100); n != 2 {
		t.Errorf("sendfile at 8 = %d", n)
	}
	if pos := binary.LittleEndian.Uint64(peek(t, e.task, bufA, 8)); pos != 10 {
		t.Errorf("offset written back %d", pos)
	}
	if pos := e.must(t, linux.SYS_LSEEK, in, 0, linux.SEEK_CUR); pos != 4 {
		t.Errorf("in offset moved to %d", pos)
	}
	rfd := e.open(t, "dst", linux.O_RDONLY, 0)
	if n := e.must(t, linux.SYS_READ, rfd, bufB, 100); string(peek(t, e.task, bufB, int(n))) != "012389" {
		t.Errorf("dst = %q", peek(t, e.task, bufB, int(n)))
	}
	// To a pipe and from a pipe (no offset allowed there).
	r, w := pipeFDs(t, e.task)
	if n := e.must(t, linux.SYS_SENDFILE, w, in, 0, 3); n != 3 {
		t.Errorf("sendfile to pipe = %d", n)
	}
	if n := e.must(t, linux.SYS_SENDFILE, out, r, 0, 100); n != 3 {
		t.Errorf("sendfile from pipe = %d", n)
	}
	poke(t, e.task, bufA, make([]byte, 8))
	e.wantErr(t, linux.ESPIPE, linux.SYS_SENDFILE, out, r, bufA, 1)
	app := e.open(t, "dst", linux.O_WRONLY|linux.O_APPEND, 0)
	poke(t, e.task, bufA, binary.LittleEndian.AppendUint64(nil, ^uint64(0)))
	for _, tc := range []struct {
		name    string
		out, in uint64
		off     uint64
		want    error
	}{
		{"in not readable", out, out, 0, linux.EBADF},
		{"out not writable", in, in, 0, linux.EBADF},
		{"append", app, in, 0, linux.EINVAL},
		{"negative offset", out, in, bufA, linux.EINVAL},
		{"bad offset pointer", out, in, badAddr, linux.EFAULT},
		{"bad in", out, 99, 0, linux.EBADF},
	} {
		if _, err := e.call(t, linux.SYS_SENDFILE, tc.out, tc.in, tc.off, 1); err != tc.want {
			t.Errorf("%s: sendfile = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestCopyFileRange(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "a", "abcdefghij", 0o644)
	in := e.open(t, "a", linux.O_RDONLY, 0)
	out := e.open(t, "b", linux.O_RDWR|linux.O_CREAT, 0o644)
	poke(t, e.task, bufA, binary.LittleEndian.AppendUint64(nil, 2))
	// From offset 2 (written back) to b's file offset (advanced); the
	// copy stops at a's end.
	if n := e.must(t, linux.SYS_COPY_FILE_RANGE, in, bufA, out, 0, 100, 0); n != 8 {
		t.Errorf("copy_file_range = %d", n)
	}
	if pos := binary.LittleEndian.Uint64(peek(t, e.task, bufA, 8)); pos != 10 {
		t.Errorf("in offset written back %d", pos)
	}
	if pos := e.must(t, linux.SYS_LSEEK, out, 0, linux.SEEK_CUR); pos != 8 {
		t.Errorf("out offset %d", pos)
	}
	if n := e.must(t, linux.SYS_PREAD64, out, bufB, 100, 0); string(peek(t, e.task, bufB, int(n))) != "cdefghij" {
		t.Errorf("b = %q", peek(t, e.task, bufB, int(n)))
	}
	// Within one file: overlapping ranges are EINVAL, others fine.
	rw := e.open(t, "a", linux.O_RDWR, 0)
	poke(t, e.task, bufA, binary.LittleEndian.AppendUint64(nil, 0))
	poke(t, e.task, bufA+8, binary.LittleEndian.AppendUint64(nil, 2))
	e.wantErr(t, linux.EINVAL, linux.SYS_COPY_FILE_RANGE, rw, bufA, rw, bufA+8, 4, 0)
	poke(t, e.task, bufA+8, binary.LittleEndian.AppendUint64(nil, 20))
	if n := e.must(t, linux.SYS_COPY_FILE_RANGE, rw, bufA, rw, bufA+8, 4, 0); n != 4 {
		t.Errorf("same-file copy = %d", n)
	}
	e.must(t, linux.SYS_MKDIR, e.str(t, pathA, "d"), 0o755)
	dfd := e.open(t, "d", linux.O_RDONLY, 0)
	r, w := pipeFDs(t, e.task)
	app := e.open(t, "b", linux.O_WRONLY|linux.O_APPEND, 0)
	// Another file system mounted on /m: copies across are EXDEV,
	// except of nothing.
	e.must(t, linux.SYS_MKDIR, e.str(t, pathA, "m"), 0o755)
	mvd, err := e.task.VFS().GetDentryAt(e.task, &vfs.PathOperation{Root: e.root, Start: e.root, Path: "m"})
	if err != nil {
		t.Fatal(err)
	}
	fs2 := &memfs{}
	vfs2 := e.task.VFS().NewFilesystem(fs2)
	if _, err := e.task.VFS().Mount(mvd, vfs2, e.task.VFS().NewRootDentry(vfs2, newMemDir(fs2, 0o755, 0, 0)), "memfs", vfs.MountFlags{}); err != nil {
		t.Fatal(err)
	}
	other := e.open(t, "m/c", linux.O_WRONLY|linux.O_CREAT, 0o644)
	poke(t, e.task, bufA+16, binary.LittleEndian.AppendUint64(nil, 0))
	e.wantErr(t, linux.EXDEV, linux.SYS_COPY_FILE_RANGE, rw, bufA+16, other, 0, 1, 0)
	poke(t, e.task, bufA+16, binary.LittleEndian.AppendUint64(nil, 100))
	e.must(t, linux.SYS_COPY_FILE_RANGE, rw, bufA+16, other, 0, 1, 0)
	for _, tc := range []struct {
		name    string
		in, out uint64
		flags   uint64
		want    error
	}{
		{"flags", in, out, 1, linux.EINVAL},
		{"directory", dfd, out, 0, linux.EISDIR},
		{"pipe", r, out, 0, linux.EINVAL},
		{"to pipe", in, w, 0, linux.EINVAL},
		{"append", in, app, 0, linux.EBADF},
		{"out read-only", in, in, 0, linux.EBADF},
		{"bad fd", 99, out, 0, linux.EBADF},
	} {
		if _, err := e.call(t, linux.SYS_COPY_FILE_RANGE, tc.in, 0, tc.out, 0, 1, tc.flags); err != tc.want {
			t.Errorf("%s: copy_file_range = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestFSCallsRandomArguments calls every file system and credential
// handler with hostile arguments, as an application could: whatever they
// are, the handlers return (no panic, no hang; memfs never blocks and no
// pipe is open).
func TestFSCallsRandomArguments(t *testing.T) {
	e := newFSTask(t)
	e.must(t, linux.SYS_MKDIR, e.str(t, pathA, "d"), 0o755)
	e.create(t, "d/f", "data", 0o644)
	e.must(t, linux.SYS_SYMLINK, e.str(t, pathA, "d/f"), e.str(t, pathB, "l"))
	e.open(t, "d", linux.O_RDONLY|linux.O_DIRECTORY, 0)
	e.open(t, "d/f", linux.O_RDWR, 0)
	e.open(t, "l", linux.O_PATH|linux.O_NOFOLLOW, 0)
	r := rand.New(rand.NewSource(1))
	junk := make([]byte, 4096)
	r.Read(junk)
	poke(t, e.task, bufB, junk)
	paths := []uint64{
		e.str(t, rwBase+0x100, ""), e.str(t, rwBase+0x200, "d"), e.str(t, rwBase+0x300, "d/f"),
		e.str(t, rwBase+0x400, "l"), e.str(t, rwBase+0x500, "/"), e.str(t, rwBase+0x600, "user.x"),
		e.str(t, rwBase+0x700, "d/new"), e.str(t, rwBase+0x800, ".."),
	}
	pick := func() uint64 {
		switch r.Intn(6) {
		case 0:
			return paths[r.Intn(len(paths))]
		case 1:
			return []uint64{0, 1, 2, 3, 4, 5, atCWD, nullID, ^uint64(0)}[r.Intn(9)]
		case 2:
			return bufB + uint64(r.Intn(4096))
		case 3:
			return []uint64{0, badAddr, roBase, testMaxAddr - 1}[r.Intn(4)]
		case 4:
			return 1 << uint(r.Intn(64))
		}
		return r.Uint64()
	}
	nrs := make([]uintptr, 0, len(pathSyscalls))
	for nr := range pathSyscalls {
		nrs = append(nrs, nr)
	}
	sort.Slice(nrs, func(i, j int) bool { return nrs[i] < nrs[j] })
	for _, nr := range nrs {
		for i := 0; i < 300; i++ {
			a := kernel.SyscallArgs{pick(), pick(), pick(), pick(), pick(), pick()}
			pathSyscalls[nr].Fn(e.task, a)
		}
	}
}
