package linux

import (
	"bytes"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

const (
	mmapRW = protRead | protWrite
	// fdNone is -1 as the fd argument of an anonymous mmap.
	fdNone = 0xffffffff
)

// mmapFileEnv has /data (two pages of a pattern, mode 0644) open as fds
// ro (O_RDONLY), wo (O_WRONLY), rw (O_RDWR), path (O_PATH), dir (the
// root directory) and nx (/noexec/data, O_RDONLY).
type mmapFileEnv struct {
	*tmpfsEnv
	data                      []byte
	ro, wo, rw, path, dir, nx uint64
}

func newMMapFileEnv(t *testing.T) *mmapFileEnv {
	e := &mmapFileEnv{tmpfsEnv: newTmpfsTask(t)}
	e.data = make([]byte, 2*4096)
	for i := range e.data {
		e.data[i] = byte(i*13) | 1
	}
	e.write("/data", 0o644, e.data)
	e.write("/noexec/data", 0o644, e.data)
	e.ro = e.open("/data", linux.O_RDONLY, false)
	e.wo = e.open("/data", linux.O_WRONLY, false)
	e.rw = e.open("/data", linux.O_RDWR, false)
	e.path = e.open("/data", linux.O_PATH, false)
	e.dir = e.open("/", linux.O_RDONLY|linux.O_DIRECTORY, false)
	e.nx = e.open("/noexec/data", linux.O_RDONLY, false)
	return e
}

func TestMMapFileErrors(t *testing.T) {
	e := newMMapFileEnv(t)
	for _, tc := range []struct {
		name string
		args func() []uint64
		want error
	}{
		{"bad fd", func() []uint64 { return []uint64{0, 4096, protRead, mapPrivate, 99, 0} }, linux.EBADF},
		{"bad fd before zero length", func() []uint64 { return []uint64{0, 0, protRead, mapPrivate, 99, 0} }, linux.EBADF},
		{"O_PATH fd", func() []uint64 { return []uint64{0, 4096, protRead, mapPrivate, e.path, 0} }, linux.EBADF},
		{"unaligned offset", func() []uint64 { return []uint64{0, 4096, protRead, mapPrivate, e.ro, 1} }, linux.EINVAL},
		{"zero length", func() []uint64 { return []uint64{0, 0, protRead, mapPrivate, e.ro, 0} }, linux.EINVAL},
		{"no map type", func() []uint64 { return []uint64{0, 4096, protRead, 0, e.ro, 0} }, linux.EINVAL},
		{"unknown map type", func() []uint64 { return []uint64{0, 4096, protRead, 0xf, e.ro, 0} }, linux.EINVAL},
		{"MAP_HUGETLB", func() []uint64 { return []uint64{0, 4096, protRead, mapShared | mapHugeTLB, e.ro, 0} }, linux.EINVAL},
		{"offset beyond any file", func() []uint64 { return []uint64{0, 4096, protRead, mapPrivate, e.ro, 0x7ffffffffffff000} }, linux.EOVERFLOW},
		{"offset wraps", func() []uint64 { return []uint64{0, 8192, protRead, mapPrivate, e.ro, 0xfffffffffffff000} }, linux.EOVERFLOW},
		{"unknown flag with MAP_SHARED_VALIDATE", func() []uint64 { return []uint64{0, 4096, protRead, mapSharedValidate | 0x400000, e.ro, 0} }, linux.EOPNOTSUPP},
		{"MAP_SYNC with MAP_SHARED_VALIDATE", func() []uint64 { return []uint64{0, 4096, protRead, mapSharedValidate | mapSync, e.ro, 0} }, linux.EOPNOTSUPP},
		{"MAP_FIXED_NOREPLACE with MAP_SHARED_VALIDATE", func() []uint64 {
			return []uint64{0, 4096, protRead, mapSharedValidate | mapFixedNoReplace, e.ro, 0}
		}, linux.EOPNOTSUPP},
		{"write-only, private", func() []uint64 { return []uint64{0, 4096, protRead, mapPrivate, e.wo, 0} }, linux.EACCES},
		{"write-only, shared", func() []uint64 { return []uint64{0, 4096, protWrite, mapShared, e.wo, 0} }, linux.EACCES},
		{"read-only, shared writable", func() []uint64 { return []uint64{0, 4096, mmapRW, mapShared, e.ro, 0} }, linux.EACCES},
		{"exec on a noexec mount", func() []uint64 { return []uint64{0, 4096, protRead | protExec, mapPrivate, e.nx, 0} }, linux.EPERM},
		{"directory", func() []uint64 { return []uint64{0, 4096, protRead, mapPrivate, e.dir, 0} }, linux.ENODEV},
		{"MAP_GROWSDOWN", func() []uint64 { return []uint64{0, 4096, protRead, mapPrivate | mapGrowsDown, e.ro, 0} }, linux.EINVAL},
		{"anonymous MAP_SHARED_VALIDATE", func() []uint64 { return []uint64{0, 4096, protRead, mapSharedValidate | mapAnonymous, fdNone, 0} }, linux.EINVAL},
		{"anonymous shared MAP_GROWSDOWN", func() []uint64 {
			return []uint64{0, 4096, protRead, mapShared | mapAnonymous | mapGrowsDown, fdNone, 0}
		}, linux.EINVAL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := call(t, e.task, linux.SYS_MMAP, tc.args()...); err != tc.want {
				t.Errorf("mmap = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestMMapFileAllowed(t *testing.T) {
	e := newMMapFileEnv(t)
	for _, tc := range []struct {
		name string
		args func() []uint64
	}{
		{"read-only, private writable", func() []uint64 { return []uint64{0, 4096, mmapRW, mapPrivate, e.ro, 0} }},
		{"read-only, shared read-only", func() []uint64 { return []uint64{0, 4096, protRead, mapShared, e.ro, 0} }},
		{"MAP_SHARED ignores MAP_SYNC", func() []uint64 { return []uint64{0, 4096, protRead, mapShared | mapSync, e.ro, 0} }},
		{"MAP_SHARED_VALIDATE with known flags", func() []uint64 { return []uint64{0, 4096, protRead, mapSharedValidate | mapPopulate, e.ro, 0} }},
		{"noexec mount without exec", func() []uint64 { return []uint64{0, 4096, protRead, mapPrivate, e.nx, 0} }},
		{"beyond the end of file", func() []uint64 { return []uint64{0, 4 * 4096, protRead, mapPrivate, e.ro, 4096} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, err := call(t, e.task, linux.SYS_MMAP, tc.args()...)
			if err != nil {
				t.Fatalf("mmap = %v", err)
			}
			mustCall(t, e.task, linux.SYS_MUNMAP, addr, 4096)
		})
	}
}

func TestMMapFileContents(t *testing.T) {
	e := newMMapFileEnv(t)
	// Private: the file's bytes from the offset; the pages wholly past
	// the end have no memory (SIGBUS for the application, EFAULT for a
	// system call's buffer).
	addr := mustCall(t, e.task, linux.SYS_MMAP, 0, 3*4096, protRead, mapPrivate, e.ro, 4096)
	if got := peek(t, e.task, addr, 4096); !bytes.Equal(got, e.data[4096:]) {
		t.Errorf("private mapping does not hold the file from 4096")
	}
	if _, err := e.task.CopyIn(addr+4096, make([]byte, 1)); err != linux.EFAULT {
		t.Errorf("copy-in from a page beyond the end of file: %v, want EFAULT", err)
	}

	// Shared: the tmpfs file's own pages.
	shared := mustCall(t, e.task, linux.SYS_MMAP, 0, 2*4096, mmapRW, mapShared, e.rw, 0)
	poke(t, e.task, shared+100, []byte("through the mapping"))
	poke(t, e.task, rwBase, make([]byte, 19))
	if n := mustCall(t, e.task, linux.SYS_PREAD64, e.ro, rwBase, 19, 100); n != 19 {
		t.Fatalf("pread = %d", n)
	}
	if got := peek(t, e.task, rwBase, 19); string(got) != "through the mapping" {
		t.Errorf("read(2) sees %q after a write through the mapping", got)
	}
	poke(t, e.task, rwBase, []byte("by write(2)"))
	mustCall(t, e.task, linux.SYS_PWRITE64, e.rw, rwBase, 11, 4096+7)
	if got := peek(t, e.task, shared+4096+7, 11); string(got) != "by write(2)" {
		t.Errorf("the mapping shows %q after write(2)", got)
	}

	// A shared mapping of a read-only fd cannot become writable; one of
	// a noexec file cannot become executable.
	ro := mustCall(t, e.task, linux.SYS_MMAP, 0, 4096, protRead, mapShared, e.ro, 0)
	if _, err := call(t, e.task, linux.SYS_MPROTECT, ro, 4096, mmapRW); err != linux.EACCES {
		t.Errorf("mprotect(PROT_WRITE) of a read-only shared mapping = %v, want EACCES", err)
	}
	nx := mustCall(t, e.task, linux.SYS_MMAP, 0, 4096, protRead, mapPrivate, e.nx, 0)
	if _, err := call(t, e.task, linux.SYS_MPROTECT, nx, 4096, protRead|protExec); err != linux.EACCES {
		t.Errorf("mprotect(PROT_EXEC) of a noexec mapping = %v, want EACCES", err)
	}
	if _, err := call(t, e.task, linux.SYS_MPROTECT, nx, 4096, mmapRW); err != nil {
		t.Errorf("mprotect(PROT_WRITE) of a private mapping = %v", err)
	}
}

func TestMSync(t *testing.T) {
	e := newMMapFileEnv(t)
	addr := mustCall(t, e.task, linux.SYS_MMAP, 0, 2*4096, mmapRW, mapShared, e.rw, 0)
	for _, tc := range []struct {
		name      string
		addr, len uint64
		flags     uint64
		want      error
	}{
		{"sync", addr, 2 * 4096, msSync, nil},
		{"async with invalidate", addr, 4096, msAsync | msInvalidate, nil},
		{"async and sync", addr, 4096, msAsync | msSync, linux.EINVAL},
		{"unknown flag", addr, 4096, 8, linux.EINVAL},
		{"unaligned", addr + 1, 4096, msSync, linux.EINVAL},
		{"unmapped", 0x10000, 4096, msSync, linux.ENOMEM},
		{"empty and unmapped", 0x10000, 0, msSync, nil},
		{"runs past the mapping", addr, 3 * 4096, msSync, linux.ENOMEM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := call(t, e.task, linux.SYS_MSYNC, tc.addr, tc.len, tc.flags); err != tc.want {
				t.Errorf("msync = %v, want %v", err, tc.want)
			}
		})
	}
}
