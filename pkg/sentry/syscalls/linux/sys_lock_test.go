package linux

import (
	"bytes"
	"encoding/binary"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// putFlock writes a struct flock at bufA and returns its address.
func (e *fsEnv) putFlock(t *testing.T, fl linux.Flock) uint64 {
	t.Helper()
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, &fl)
	poke(t, e.task, bufA, b.Bytes())
	return bufA
}

func (e *fsEnv) getFlock(t *testing.T) linux.Flock {
	t.Helper()
	var fl linux.Flock
	if err := binary.Read(bytes.NewReader(peek(t, e.task, bufA, linux.SizeOfFlock)), binary.LittleEndian, &fl); err != nil {
		t.Fatal(err)
	}
	return fl
}

func TestFlockSyscall(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "f", "abc", 0o644)
	a := e.open(t, "f", linux.O_RDONLY, 0)
	b := e.open(t, "f", linux.O_RDONLY, 0)
	e.must(t, linux.SYS_FLOCK, a, linux.LOCK_EX)
	e.wantErr(t, linux.EWOULDBLOCK, linux.SYS_FLOCK, b, linux.LOCK_SH|linux.LOCK_NB)
	// A dup shares the lock; closing the dup keeps it, closing the last
	// fd of the open file releases it.
	d := e.must(t, linux.SYS_DUP, a)
	e.must(t, linux.SYS_CLOSE, d)
	e.wantErr(t, linux.EWOULDBLOCK, linux.SYS_FLOCK, b, linux.LOCK_SH|linux.LOCK_NB)
	e.must(t, linux.SYS_CLOSE, a)
	e.must(t, linux.SYS_FLOCK, b, linux.LOCK_EX|linux.LOCK_NB)
	for _, tc := range []struct {
		fd, cmd uint64
		want    error
	}{
		{b, 0, linux.EINVAL},
		{b, linux.LOCK_SH | linux.LOCK_EX, linux.EINVAL},
		{b, linux.LOCK_MAND, nil},
		{1000, linux.LOCK_SH, linux.EBADF},
		{1000, 0, linux.EINVAL},
	} {
		if _, err := e.call(t, linux.SYS_FLOCK, tc.fd, tc.cmd); err != tc.want {
			t.Errorf("flock(%d, %#x) = %v, want %v", tc.fd, tc.cmd, err, tc.want)
		}
	}
}

func TestRecordLocks(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "f", "0123456789", 0o644)
	a := e.open(t, "f", linux.O_RDWR, 0)
	b := e.open(t, "f", linux.O_RDWR, 0)
	wr := linux.Flock{Type: linux.F_WRLCK, Whence: linux.SEEK_SET, Len: 10}
	// POSIX locks of the one process never conflict with each other,
	// but do with OFD locks.
	e.must(t, linux.SYS_FCNTL, a, linux.F_SETLK, e.putFlock(t, wr))
	e.must(t, linux.SYS_FCNTL, b, linux.F_SETLK, e.putFlock(t, wr))
	e.wantErr(t, linux.EAGAIN, linux.SYS_FCNTL, b, linux.F_OFD_SETLK, e.putFlock(t, wr))
	e.must(t, linux.SYS_FCNTL, b, linux.F_OFD_GETLK, e.putFlock(t, linux.Flock{Type: linux.F_RDLCK, Whence: linux.SEEK_END, Start: -5, Len: 1}))
	if got, want := e.getFlock(t), (linux.Flock{Type: linux.F_WRLCK, Whence: linux.SEEK_SET, Start: 0, Len: 10, PID: int32(e.task.ThreadGroup().ID())}); got != want {
		t.Errorf("F_OFD_GETLK = %+v, want %+v", got, want)
	}
	// Any close of the file by the process drops its POSIX locks.
	c := e.open(t, "f", linux.O_RDONLY, 0)
	e.must(t, linux.SYS_CLOSE, c)
	e.must(t, linux.SYS_FCNTL, b, linux.F_OFD_SETLK, e.putFlock(t, wr))
	e.wantErr(t, linux.EAGAIN, linux.SYS_FCNTL, a, linux.F_SETLK, e.putFlock(t, wr))
	e.must(t, linux.SYS_FCNTL, a, linux.F_GETLK, e.putFlock(t, wr))
	if got := e.getFlock(t); got.Type != linux.F_WRLCK || got.PID != -1 {
		t.Errorf("F_GETLK = %+v, want the OFD lock with l_pid -1", got)
	}
	for _, tc := range []struct {
		name string
		fd   uint64
		cmd  uint64
		fl   linux.Flock
		want error
	}{
		{"bad type", a, linux.F_SETLK, linux.Flock{Type: 7}, linux.EINVAL},
		{"bad whence", a, linux.F_SETLK, linux.Flock{Whence: 9}, linux.EINVAL},
		{"before the start", a, linux.F_SETLK, linux.Flock{Start: -1}, linux.EINVAL},
		{"negative length before 0", a, linux.F_SETLK, linux.Flock{Start: 1, Len: -2}, linux.EINVAL},
		{"past the largest offset", a, linux.F_SETLK, linux.Flock{Whence: linux.SEEK_END, Start: linux.OFFSET_MAX}, linux.EOVERFLOW},
		{"OFD l_pid", a, linux.F_OFD_SETLK, linux.Flock{PID: 1}, linux.EINVAL},
		{"GETLK of F_UNLCK", a, linux.F_GETLK, linux.Flock{Type: linux.F_UNLCK}, linux.EINVAL},
		{"unlock needs no access", a, linux.F_SETLK, linux.Flock{Type: linux.F_UNLCK}, nil},
	} {
		if _, err := e.call(t, linux.SYS_FCNTL, tc.fd, tc.cmd, e.putFlock(t, tc.fl)); err != tc.want {
			t.Errorf("%s: fcntl = %v, want %v", tc.name, err, tc.want)
		}
	}
	e.wantErr(t, linux.EFAULT, linux.SYS_FCNTL, a, linux.F_SETLK, 1)
	// Closing the last fd of the open file drops its OFD locks.
	e.must(t, linux.SYS_CLOSE, b)
	e.must(t, linux.SYS_FCNTL, a, linux.F_SETLK, e.putFlock(t, wr))
	e.must(t, linux.SYS_CLOSE, a)
}

func TestIoctlVFSRequests(t *testing.T) {
	e := newFSTask(t)
	e.create(t, "f", "0123456789", 0o644)
	fd := e.open(t, "f", linux.O_RDONLY, 0)
	e.must(t, linux.SYS_LSEEK, fd, 3, linux.SEEK_SET)
	e.must(t, linux.SYS_IOCTL, fd, linux.FIONREAD, bufA)
	if n := binary.LittleEndian.Uint32(peek(t, e.task, bufA, 4)); n != 7 {
		t.Errorf("FIONREAD = %d, want 7", n)
	}
	e.must(t, linux.SYS_IOCTL, fd, linux.FIGETBSZ, bufA)
	if n := binary.LittleEndian.Uint32(peek(t, e.task, bufA, 4)); n != 4096 {
		t.Errorf("FIGETBSZ = %d, want 4096", n)
	}
	e.wantErr(t, linux.EFAULT, linux.SYS_IOCTL, fd, linux.FIONREAD, 1)
	p := e.open(t, "f", linux.O_PATH, 0)
	for _, cmd := range []uint64{linux.FIONREAD, linux.FIOCLEX, linux.FIGETBSZ} {
		e.wantErr(t, linux.EBADF, linux.SYS_IOCTL, p, cmd, bufA)
	}
	d := e.open(t, ".", linux.O_RDONLY|linux.O_DIRECTORY, 0)
	e.wantErr(t, linux.ENOTTY, linux.SYS_IOCTL, d, linux.FIONREAD, bufA)
}
