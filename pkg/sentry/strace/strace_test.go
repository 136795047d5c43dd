package strace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/usermem"
)

// Test memory: one page at memBase.
const memBase = 0x10000

// mem builds a usermem.BytesIO with data placed at addresses.
type mem struct{ io *usermem.BytesIO }

func newMem() *mem {
	return &mem{io: &usermem.BytesIO{Base: memBase, Bytes: make([]byte, 4096)}}
}

func (m *mem) put(addr uint64, b []byte) *mem {
	copy(m.io.Bytes[addr-memBase:], b)
	return m
}

func (m *mem) str(addr uint64, s string) *mem { return m.put(addr, append([]byte(s), 0)) }

func (m *mem) u64s(addr uint64, vs ...uint64) *mem {
	for i, v := range vs {
		binary.LittleEndian.PutUint64(m.io.Bytes[addr-memBase+uint64(8*i):], v)
	}
	return m
}

func (m *mem) u32s(addr uint64, vs ...uint32) *mem {
	for i, v := range vs {
		binary.LittleEndian.PutUint32(m.io.Bytes[addr-memBase+uint64(4*i):], v)
	}
	return m
}

const (
	a1 = memBase + 0x100
	a2 = memBase + 0x200
	a3 = memBase + 0x300
	a4 = memBase + 0x400
	// bad is an address outside the test memory.
	bad = 0xdead0000
	// edge is 3 bytes before the end of the test memory.
	edge = memBase + 4096 - 3
)

func args(vs ...uint64) [6]uint64 {
	var a [6]uint64
	copy(a[:], vs)
	return a
}

func neg(v int64) uint64 { return uint64(v) }

func TestFormat(t *testing.T) {
	long := strings.Repeat("a", 100)
	tests := []struct {
		name  string
		nr    uintptr
		args  [6]uint64
		mem   *mem
		ret   uint64
		err   error
		entry bool // log with Entry instead of Exit
		want  string
	}{
		{
			name: "write",
			nr:   linux.SYS_WRITE, args: args(1, a1, 6), mem: newMem().str(a1, "hello\n"), ret: 6,
			want: `[  12] write(1, "hello\n", 6) = 6 (8.1µs)`,
		},
		{
			name: "openat ENOENT",
			nr:   linux.SYS_OPENAT, args: args(neg(-100), a1, 0x80000), mem: newMem().str(a1, "/x"),
			ret: neg(-2), err: linux.ENOENT,
			want: `[  12] openat(AT_FDCWD, "/x", O_RDONLY|O_CLOEXEC) = -1 ENOENT (8.1µs)`,
		},
		{
			name: "openat O_CREAT shows mode",
			nr:   linux.SYS_OPENAT, args: args(3, a1, 0x241, 0o644), mem: newMem().str(a1, "f"), ret: 4,
			want: `[  12] openat(3, "f", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4 (8.1µs)`,
		},
		{
			name: "open O_TMPFILE and unknown bits",
			nr:   linux.SYS_OPEN, args: args(a1, 0x410002|0x80000000, 0o600), mem: newMem().str(a1, "/tmp"), ret: 3,
			want: `[  12] open("/tmp", O_RDWR|O_TMPFILE|0x80000000, 0600) = 3 (8.1µs)`,
		},
		{
			name: "read shows bytes read",
			nr:   linux.SYS_READ, args: args(0, a1, 100), mem: newMem().str(a1, "abcdef"), ret: 3,
			want: `[  12] read(0, "abc", 100) = 3 (8.1µs)`,
		},
		{
			name: "read failed shows pointer",
			nr:   linux.SYS_READ, args: args(0, a1, 100), mem: newMem(), ret: neg(-11), err: linux.EAGAIN,
			want: `[  12] read(0, 0x10100, 100) = -1 EAGAIN (8.1µs)`,
		},
		{
			name: "pread64 truncated",
			nr:   linux.SYS_PREAD64, args: args(3, a1, 100, 4096), mem: newMem().str(a1, long), ret: 100,
			want: `[  12] pread64(3, "` + long[:64] + `"..., 100, 4096) = 100 (8.1µs)`,
		},
		{
			name: "pwrite64 bad buffer",
			nr:   linux.SYS_PWRITE64, args: args(3, bad, 5, 0), mem: newMem(), ret: neg(-14), err: linux.EFAULT,
			want: `[  12] pwrite64(3, 0xdead0000, 5, 0) = -1 EFAULT (8.1µs)`,
		},
		{
			name: "escaping",
			nr:   linux.SYS_WRITE, args: args(2, a1, 8), mem: newMem().put(a1, []byte("a\"\\\t\x00\x01\xffz")), ret: 8,
			want: `[  12] write(2, "a\"\\\t\0\x01\xffz", 8) = 8 (8.1µs)`,
		},
		{
			name: "long path truncated",
			nr:   linux.SYS_STAT, args: args(a1, a2), mem: newMem().str(a1, long), ret: neg(-2), err: linux.ENOENT,
			want: `[  12] stat("` + long[:64] + `"..., 0x10200) = -1 ENOENT (8.1µs)`,
		},
		{
			name: "unterminated path at a fault",
			nr:   linux.SYS_CHDIR, args: args(edge), mem: newMem().put(edge, []byte("abc")), ret: neg(-14), err: linux.EFAULT,
			want: `[  12] chdir(0x10ffd) = -1 EFAULT (8.1µs)`,
		},
		{
			name: "path ending just before a fault",
			nr:   linux.SYS_CHDIR, args: args(edge), mem: newMem().put(edge, []byte("ab\x00")),
			want: `[  12] chdir("ab") = 0 (8.1µs)`,
		},
		{
			name: "null path",
			nr:   linux.SYS_UNLINK, args: args(0), mem: newMem(), ret: neg(-14), err: linux.EFAULT,
			want: `[  12] unlink(NULL) = -1 EFAULT (8.1µs)`,
		},
		{
			name: "fstat",
			nr:   linux.SYS_FSTAT, args: args(3, a1), mem: newMem().u32s(a1+24, 0o100644).u64s(a1+48, 6),
			want: `[  12] fstat(3, {mode=S_IFREG|0644, size=6}) = 0 (8.1µs)`,
		},
		{
			name: "newfstatat char device",
			nr:   linux.SYS_NEWFSTATAT, args: args(neg(-100), a1, a2, 0x1000),
			mem:  newMem().str(a1, "").u32s(a2+24, 0o020666).u64s(a2+40, 0x103),
			want: `[  12] newfstatat(AT_FDCWD, "", {mode=S_IFCHR|0666, size=0, rdev=makedev(0x1, 0x3)}, AT_EMPTY_PATH) = 0 (8.1µs)`,
		},
		{
			name: "openat2",
			nr:   linux.SYS_OPENAT2, args: args(3, a1, a2, 24), mem: newMem().str(a1, "f").u64s(a2, 0x42, 0o600, 0x18), ret: 4,
			want: `[  12] openat2(3, "f", {flags=O_RDWR|O_CREAT, mode=0600, resolve=RESOLVE_BENEATH|RESOLVE_IN_ROOT}, 24) = 4 (8.1µs)`,
		},
		{
			name: "openat2 small struct",
			nr:   linux.SYS_OPENAT2, args: args(3, a1, a2, 8), mem: newMem().str(a1, "f"), ret: neg(-22), err: linux.EINVAL,
			want: `[  12] openat2(3, "f", 0x10200, 8) = -1 EINVAL (8.1µs)`,
		},
		{
			name: "utimensat",
			nr:   linux.SYS_UTIMENSAT, args: args(neg(-100), a1, a2, 0x100), mem: newMem().str(a1, "f").u64s(a2, 5, 1<<30-1, 7, 9),
			want: `[  12] utimensat(AT_FDCWD, "f", [{sec=5, nsec=UTIME_NOW}, {sec=7, nsec=9}], AT_SYMLINK_NOFOLLOW) = 0 (8.1µs)`,
		},
		{
			name: "mknodat fifo",
			nr:   linux.SYS_MKNODAT, args: args(neg(-100), a1, 0o010644, 0), mem: newMem().str(a1, "p"),
			want: `[  12] mknodat(AT_FDCWD, "p", S_IFIFO|0644, 0x0) = 0 (8.1µs)`,
		},
		{
			name: "setxattr",
			nr:   linux.SYS_SETXATTR, args: args(a1, a2, a3, 2, 1), mem: newMem().str(a1, "/f").str(a2, "user.k").str(a3, "v1"),
			want: `[  12] setxattr("/f", "user.k", "v1", 2, XATTR_CREATE) = 0 (8.1µs)`,
		},
		{
			name: "renameat2",
			nr:   linux.SYS_RENAMEAT2, args: args(neg(-100), a1, neg(-100), a2, 2), mem: newMem().str(a1, "a").str(a2, "b"),
			want: `[  12] renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_EXCHANGE) = 0 (8.1µs)`,
		},
		{
			name: "fallocate",
			nr:   linux.SYS_FALLOCATE, args: args(3, 3, 0, 4096), mem: newMem(),
			want: `[  12] fallocate(3, FALLOC_FL_KEEP_SIZE|FALLOC_FL_PUNCH_HOLE, 0, 4096) = 0 (8.1µs)`,
		},
		{
			name: "mmap",
			nr:   linux.SYS_MMAP, args: args(0, 4096, 3, 0x22, neg(-1), 0), mem: newMem(), ret: 0x7f0000000000,
			want: `[  12] mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000 (8.1µs)`,
		},
		{
			name: "mprotect none",
			nr:   linux.SYS_MPROTECT, args: args(0x400000, 8192, 0), mem: newMem(),
			want: `[  12] mprotect(0x400000, 8192, PROT_NONE) = 0 (8.1µs)`,
		},
		{
			name: "brk",
			nr:   linux.SYS_BRK, args: args(0), mem: newMem(), ret: 0x555555559000,
			want: `[  12] brk(NULL) = 0x555555559000 (8.1µs)`,
		},
		{
			name: "mremap",
			nr:   linux.SYS_MREMAP, args: args(0x1000, 4096, 8192, 1), mem: newMem(), ret: 0x2000,
			want: `[  12] mremap(0x1000, 4096, 8192, MREMAP_MAYMOVE, NULL) = 0x2000 (8.1µs)`,
		},
		{
			name: "madvise",
			nr:   linux.SYS_MADVISE, args: args(0x1000, 4096, 4), mem: newMem(),
			want: `[  12] madvise(0x1000, 4096, MADV_DONTNEED) = 0 (8.1µs)`,
		},
		{
			name: "clone with exit signal",
			nr:   linux.SYS_CLONE, args: args(0x01200000|17, 0, 0, a1, 0), mem: newMem(), ret: 43,
			want: `[  12] clone(SIGCHLD|CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID, NULL, NULL, 0x10100, NULL) = 43 (8.1µs)`,
		},
		{
			name: "clone thread",
			nr:   linux.SYS_CLONE, args: args(0x3d0f00, a1, a2, a3, a4), mem: newMem(), ret: 44,
			want: `[  12] clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, 0x10100, 0x10200, 0x10300, 0x10400) = 44 (8.1µs)`,
		},
		{
			name: "clone3",
			nr:   linux.SYS_CLONE3, args: args(a1, 88), mem: newMem().u64s(a1, 0x100|0x80, 0, 0, 0, 17, a2, 0x1000, 0), ret: 45,
			want: `[  12] clone3({flags=CLONE_NEWTIME|CLONE_VM, exit_signal=SIGCHLD, stack=0x10200, stack_size=0x1000, tls=NULL}, 88) = 45 (8.1µs)`,
		},
		{
			name: "clone3 short size",
			nr:   linux.SYS_CLONE3, args: args(a1, 8), mem: newMem(), ret: neg(-22), err: linux.EINVAL,
			want: `[  12] clone3(0x10100, 8) = -1 EINVAL (8.1µs)`,
		},
		{
			name: "futex wait private with timeout",
			nr:   linux.SYS_FUTEX, args: args(a1, 128, 1, a2, 0, 0), mem: newMem().u64s(a2, 1, 500), ret: neg(-110), err: linux.ETIMEDOUT,
			want: `[  12] futex(0x10100, FUTEX_WAIT|FUTEX_PRIVATE_FLAG, 1, {sec=1, nsec=500}, NULL, 0x0) = -1 ETIMEDOUT (8.1µs)`,
		},
		{
			name: "futex wake",
			nr:   linux.SYS_FUTEX, args: args(a1, 129, 2147483647, 0, 0, 0), mem: newMem(), ret: 1,
			want: `[  12] futex(0x10100, FUTEX_WAKE|FUTEX_PRIVATE_FLAG, 2147483647, 0, NULL, 0x0) = 1 (8.1µs)`,
		},
		{
			name: "futex bad op",
			nr:   linux.SYS_FUTEX, args: args(a1, 0x27f, 0, 0, 0, 0), mem: newMem(), ret: neg(-38), err: linux.ENOSYS,
			want: `[  12] futex(0x10100, 0x27f, 0, 0, NULL, 0x0) = -1 ENOSYS (8.1µs)`,
		},
		{
			name: "rt_sigprocmask",
			nr:   linux.SYS_RT_SIGPROCMASK, args: args(0, a1, a2, 8), mem: newMem().u64s(a1, 1<<1|1<<9).u64s(a2, 0),
			want: `[  12] rt_sigprocmask(SIG_BLOCK, [SIGINT SIGUSR1], [], 8) = 0 (8.1µs)`,
		},
		{
			name: "rt_sigprocmask full set and rt signal",
			nr:   linux.SYS_RT_SIGPROCMASK, args: args(2, a1, 0, 8), mem: newMem().u64s(a1, ^uint64(0)&^(1<<8|1<<18)),
			want: `[  12] rt_sigprocmask(SIG_SETMASK, ~[SIGKILL SIGSTOP], NULL, 8) = 0 (8.1µs)`,
		},
		{
			name: "sigset with rt signal",
			nr:   linux.SYS_RT_SIGPENDING, args: args(a1, 8), mem: newMem().u64s(a1, 1<<33),
			want: `[  12] rt_sigpending([SIGRTMIN+2], 8) = 0 (8.1µs)`,
		},
		{
			name: "rt_sigaction",
			nr:   linux.SYS_RT_SIGACTION, args: args(2, a1, a2, 8),
			mem:  newMem().u64s(a1, 0x401000, 0x04000004, 0x401100, 1<<14).u64s(a2, 0, 0, 0, 0),
			want: `[  12] rt_sigaction(SIGINT, {handler=0x401000, flags=SA_SIGINFO|SA_RESTORER, restorer=0x401100, mask=[SIGTERM]}, {handler=SIG_DFL, flags=0, restorer=NULL, mask=[]}, 8) = 0 (8.1µs)`,
		},
		{
			name: "rt_sigaction failed hides oldact",
			nr:   linux.SYS_RT_SIGACTION, args: args(9, a1, a2, 8), mem: newMem().u64s(a1, 1), ret: neg(-22), err: linux.EINVAL,
			want: `[  12] rt_sigaction(SIGKILL, {handler=SIG_IGN, flags=0, restorer=NULL, mask=[]}, 0x10200, 8) = -1 EINVAL (8.1µs)`,
		},
		{
			name: "rt_sigreturn entry",
			nr:   linux.SYS_RT_SIGRETURN, mem: newMem(), entry: true,
			want: `[  12] rt_sigreturn() = ?`,
		},
		{
			name: "rt_sigtimedwait",
			nr:   linux.SYS_RT_SIGTIMEDWAIT, args: args(a1, 0, a2, 8), mem: newMem().u64s(a1, 1<<9).u64s(a2, 0, 0), ret: 10,
			want: `[  12] rt_sigtimedwait([SIGUSR1], NULL, {sec=0, nsec=0}, 8) = SIGUSR1 (8.1µs)`,
		},
		{
			name: "sigaltstack",
			nr:   linux.SYS_SIGALTSTACK, args: args(a1, a2), mem: newMem().u64s(a1, a3, 0, 8192).u64s(a2, 0, 2, 0),
			want: `[  12] sigaltstack({sp=0x10300, flags=0, size=8192}, {sp=NULL, flags=SS_DISABLE, size=0}) = 0 (8.1µs)`,
		},
		{
			name: "kill signal 0",
			nr:   linux.SYS_KILL, args: args(1, 0), mem: newMem(),
			want: `[  12] kill(1, 0) = 0 (8.1µs)`,
		},
		{
			name: "tgkill",
			nr:   linux.SYS_TGKILL, args: args(10, 12, 15), mem: newMem(),
			want: `[  12] tgkill(10, 12, SIGTERM) = 0 (8.1µs)`,
		},
		{
			name: "tkill bad signal",
			nr:   linux.SYS_TKILL, args: args(12, 99), mem: newMem(), ret: neg(-22), err: linux.EINVAL,
			want: `[  12] tkill(12, 99) = -1 EINVAL (8.1µs)`,
		},
		{
			name: "nanosleep interrupted",
			nr:   linux.SYS_NANOSLEEP, args: args(a1, a2), mem: newMem().u64s(a1, 1, 0).u64s(a2, 0, 5), ret: neg(-4), err: linux.EINTR,
			want: `[  12] nanosleep({sec=1, nsec=0}, 0x10200) = -1 EINTR (8.1µs)`,
		},
		{
			name: "clock_gettime",
			nr:   linux.SYS_CLOCK_GETTIME, args: args(1, a1), mem: newMem().u64s(a1, 5, 123),
			want: `[  12] clock_gettime(CLOCK_MONOTONIC, {sec=5, nsec=123}) = 0 (8.1µs)`,
		},
		{
			name: "clock_getres cpu clock",
			nr:   linux.SYS_CLOCK_GETRES, args: args(neg(-6), 0), mem: newMem(),
			want: `[  12] clock_getres(-6, NULL) = 0 (8.1µs)`,
		},
		{
			name: "clock_nanosleep",
			nr:   linux.SYS_CLOCK_NANOSLEEP, args: args(0, 1, a1, 0), mem: newMem().u64s(a1, 100, 0),
			want: `[  12] clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, {sec=100, nsec=0}, NULL) = 0 (8.1µs)`,
		},
		{
			name: "gettimeofday",
			nr:   linux.SYS_GETTIMEOFDAY, args: args(a1, 0), mem: newMem().u64s(a1, 7, 8),
			want: `[  12] gettimeofday({sec=7, usec=8}, NULL) = 0 (8.1µs)`,
		},
		{
			name: "arch_prctl",
			nr:   linux.SYS_ARCH_PRCTL, args: args(0x1002, 0x7f00), mem: newMem(),
			want: `[  12] arch_prctl(ARCH_SET_FS, 0x7f00) = 0 (8.1µs)`,
		},
		{
			name: "prlimit64",
			nr:   linux.SYS_PRLIMIT64, args: args(0, 7, 0, a1), mem: newMem().u64s(a1, 1024, ^uint64(0)),
			want: `[  12] prlimit64(0, RLIMIT_NOFILE, NULL, {cur=1024, max=RLIM_INFINITY}) = 0 (8.1µs)`,
		},
		{
			name: "getrlimit",
			nr:   linux.SYS_GETRLIMIT, args: args(3, a1), mem: newMem().u64s(a1, 8388608, ^uint64(0)),
			want: `[  12] getrlimit(RLIMIT_STACK, {cur=8388608, max=RLIM_INFINITY}) = 0 (8.1µs)`,
		},
		{
			name: "writev",
			nr:   linux.SYS_WRITEV, args: args(1, a1, 2), mem: newMem().u64s(a1, a2, 3, a3, 2).str(a2, "abc").str(a3, "de"), ret: 5,
			want: `[  12] writev(1, [{iov_base="abc", iov_len=3}, {iov_base="de", iov_len=2}], 2) = 5 (8.1µs)`,
		},
		{
			name: "readv splits ret",
			nr:   linux.SYS_READV, args: args(0, a1, 2), mem: newMem().u64s(a1, a2, 3, a3, 8).str(a2, "abc").str(a3, "defghijk"), ret: 5,
			want: `[  12] readv(0, [{iov_base="abc", iov_len=3}, {iov_base="de", iov_len=8}], 2) = 5 (8.1µs)`,
		},
		{
			name: "writev many elements",
			nr:   linux.SYS_WRITEV, args: args(1, a1, 1000), mem: newMem().u64s(a1, 0, 0, 0, 0, 0, 0, 0, 0), ret: 0,
			want: `[  12] writev(1, [{iov_base=NULL, iov_len=0}, {iov_base=NULL, iov_len=0}, {iov_base=NULL, iov_len=0}, {iov_base=NULL, iov_len=0}, ...], 1000) = 0 (8.1µs)`,
		},
		{
			name: "writev negative count",
			nr:   linux.SYS_WRITEV, args: args(1, a1, neg(-1)), mem: newMem(), ret: neg(-22), err: linux.EINVAL,
			want: `[  12] writev(1, 0x10100, -1) = -1 EINVAL (8.1µs)`,
		},
		{
			name: "poll",
			nr:   linux.SYS_POLL, args: args(a1, 2, neg(-1)), mem: newMem().u32s(a1, 3, 1|1<<16, 4, 4), ret: 1,
			want: `[  12] poll([{fd=3, events=POLLIN, revents=POLLIN}, {fd=4, events=POLLOUT}], 2, -1) = 1 (8.1µs)`,
		},
		{
			name: "select",
			nr:   linux.SYS_SELECT, args: args(4, a1, 0, 0, a2), mem: newMem().u64s(a2, 0, 500),
			want: `[  12] select(4, 0x10100, NULL, NULL, {sec=0, usec=500}) = 0 (8.1µs)`,
		},
		{
			name: "wait4 exited",
			nr:   linux.SYS_WAIT4, args: args(neg(-1), a1, 1, 0), mem: newMem().u32s(a1, 3<<8), ret: 50,
			want: `[  12] wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], WNOHANG, NULL) = 50 (8.1µs)`,
		},
		{
			name: "wait4 signaled",
			nr:   linux.SYS_WAIT4, args: args(50, a1, 0x40000000, 0), mem: newMem().u32s(a1, 0x80|11), ret: 50,
			want: `[  12] wait4(50, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}], __WALL, NULL) = 50 (8.1µs)`,
		},
		{
			name: "wait4 stopped",
			nr:   linux.SYS_WAIT4, args: args(50, a1, 2, 0), mem: newMem().u32s(a1, 19<<8|0x7f), ret: 50,
			want: `[  12] wait4(50, [{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}], WUNTRACED, NULL) = 50 (8.1µs)`,
		},
		{
			name: "wait4 nothing yet",
			nr:   linux.SYS_WAIT4, args: args(neg(-1), a1, 1, 0), mem: newMem().u32s(a1, 0x7f), ret: 0,
			want: `[  12] wait4(-1, 0x10100, WNOHANG, NULL) = 0 (8.1µs)`,
		},
		{
			name: "exit_group entry",
			nr:   linux.SYS_EXIT_GROUP, args: args(3), mem: newMem(), entry: true,
			want: `[  12] exit_group(3) = ?`,
		},
		{
			name: "exit entry",
			nr:   linux.SYS_EXIT, args: args(neg(-1)), mem: newMem(), entry: true,
			want: `[  12] exit(-1) = ?`,
		},
		{
			name: "execve entry",
			nr:   linux.SYS_EXECVE, args: args(a1, a2, a3),
			mem:  newMem().str(a1, "/bin/ls").u64s(a2, a1, a4, 0).str(a4, "-l").u64s(a3, a4, a4, 0),
			want: `[  12] execve("/bin/ls", ["/bin/ls", "-l"], 0x10300 /* 2 vars */) = ?`, entry: true,
		},
		{
			name: "execve long argv",
			nr:   linux.SYS_EXECVE, args: args(a1, a2, 0),
			mem: newMem().str(a1, "x").u64s(a2, a1, a1, a1, a1, a1, a1, a1, a1, a1, 0),
			ret: neg(-2), err: linux.ENOENT,
			want: `[  12] execve("x", ["x", "x", "x", "x", "x", "x", "x", "x", ...], NULL) = -1 ENOENT (8.1µs)`,
		},
		{
			name: "execve bad vectors",
			nr:   linux.SYS_EXECVE, args: args(a1, bad, bad), mem: newMem().str(a1, "x"), ret: neg(-14), err: linux.EFAULT,
			want: `[  12] execve("x", 0xdead0000, 0xdead0000) = -1 EFAULT (8.1µs)`,
		},
		{
			name: "pipe2",
			nr:   linux.SYS_PIPE2, args: args(a1, 0x80000), mem: newMem().u32s(a1, 3, 4),
			want: `[  12] pipe2([3, 4], O_CLOEXEC) = 0 (8.1µs)`,
		},
		{
			name: "pipe",
			nr:   linux.SYS_PIPE, args: args(a1), mem: newMem().u32s(a1, 5, 6),
			want: `[  12] pipe([5, 6]) = 0 (8.1µs)`,
		},
		{
			name: "dup3",
			nr:   linux.SYS_DUP3, args: args(3, 10, 0x80000), mem: newMem(), ret: 10,
			want: `[  12] dup3(3, 10, O_CLOEXEC) = 10 (8.1µs)`,
		},
		{
			name: "fcntl F_GETFL",
			nr:   linux.SYS_FCNTL, args: args(3, 3), mem: newMem(), ret: 0x8002,
			want: `[  12] fcntl(3, F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE) (8.1µs)`,
		},
		{
			name: "fcntl F_SETFD",
			nr:   linux.SYS_FCNTL, args: args(3, 2, 1), mem: newMem(),
			want: `[  12] fcntl(3, F_SETFD, FD_CLOEXEC) = 0 (8.1µs)`,
		},
		{
			name: "fcntl F_DUPFD_CLOEXEC",
			nr:   linux.SYS_FCNTL, args: args(3, 1030, 10), mem: newMem(), ret: 10,
			want: `[  12] fcntl(3, F_DUPFD_CLOEXEC, 10) = 10 (8.1µs)`,
		},
		{
			name: "lseek",
			nr:   linux.SYS_LSEEK, args: args(3, neg(-5), 2), mem: newMem(), ret: 95,
			want: `[  12] lseek(3, -5, SEEK_END) = 95 (8.1µs)`,
		},
		{
			name: "access",
			nr:   linux.SYS_ACCESS, args: args(a1, 6), mem: newMem().str(a1, "/etc"),
			want: `[  12] access("/etc", R_OK|W_OK) = 0 (8.1µs)`,
		},
		{
			name: "access F_OK",
			nr:   linux.SYS_ACCESS, args: args(a1, 0), mem: newMem().str(a1, "/etc"),
			want: `[  12] access("/etc", F_OK) = 0 (8.1µs)`,
		},
		{
			name: "ioctl",
			nr:   linux.SYS_IOCTL, args: args(1, 0x5413, a1), mem: newMem(),
			want: `[  12] ioctl(1, TIOCGWINSZ, 0x10100) = 0 (8.1µs)`,
		},
		{
			name: "ioctl unknown request",
			nr:   linux.SYS_IOCTL, args: args(1, 0xc0de, 0), mem: newMem(), ret: neg(-25), err: linux.ENOTTY,
			want: `[  12] ioctl(1, 0xc0de, 0x0) = -1 ENOTTY (8.1µs)`,
		},
		{
			name: "getcwd",
			nr:   linux.SYS_GETCWD, args: args(a1, 4096), mem: newMem().str(a1, "/home"), ret: 6,
			want: `[  12] getcwd("/home", 4096) = 6 (8.1µs)`,
		},
		{
			name: "readlink",
			nr:   linux.SYS_READLINK, args: args(a1, a2, 100), mem: newMem().str(a1, "/proc/self/exe").str(a2, "/bin/sh!!"), ret: 7,
			want: `[  12] readlink("/proc/self/exe", "/bin/sh", 100) = 7 (8.1µs)`,
		},
		{
			name: "rename",
			nr:   linux.SYS_RENAME, args: args(a1, a2), mem: newMem().str(a1, "a").str(a2, "b"),
			want: `[  12] rename("a", "b") = 0 (8.1µs)`,
		},
		{
			name: "mkdir",
			nr:   linux.SYS_MKDIR, args: args(a1, 0o755), mem: newMem().str(a1, "d"), ret: neg(-17), err: linux.EEXIST,
			want: `[  12] mkdir("d", 0755) = -1 EEXIST (8.1µs)`,
		},
		{
			name: "uname",
			nr:   linux.SYS_UNAME, args: args(a1),
			mem:  newMem().str(a1, "Linux").str(a1+65, "box").str(a1+130, "6.1.0").str(a1+195, "#1 SMP").str(a1+260, "x86_64"),
			want: `[  12] uname({sysname="Linux", nodename="box", release="6.1.0", version="#1 SMP", machine="x86_64"}) = 0 (8.1µs)`,
		},
		{
			name: "getrandom",
			nr:   linux.SYS_GETRANDOM, args: args(a1, 4, 1), mem: newMem().put(a1, []byte{1, 2, 3, 4}), ret: 4,
			want: `[  12] getrandom("\x01\x02\x03\x04", 4, GRND_NONBLOCK) = 4 (8.1µs)`,
		},
		{
			name: "set_tid_address and no-arg calls",
			nr:   linux.SYS_SET_TID_ADDRESS, args: args(a1), mem: newMem(), ret: 12,
			want: `[  12] set_tid_address(0x10100) = 12 (8.1µs)`,
		},
		{
			name: "getpid ignores registers",
			nr:   linux.SYS_GETPID, args: args(1, 2, 3), mem: newMem(), ret: 1,
			want: `[  12] getpid() = 1 (8.1µs)`,
		},
		{
			name: "rseq",
			nr:   linux.SYS_RSEQ, args: args(a1, 32, 0, 0x53053053), mem: newMem(),
			want: `[  12] rseq(0x10100, 32, 0, 0x53053053) = 0 (8.1µs)`,
		},
		{
			name: "unknown syscall",
			nr:   999, args: args(1, 2, 3, 4, 5, 6), mem: newMem(), ret: neg(-38), err: linux.ENOSYS,
			want: `[  12] syscall_999(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (8.1µs)`,
		},
		{
			name: "syscall without a format",
			nr:   linux.SYS_MSEAL, args: args(0x1000, 4096), mem: newMem(),
			want: `[  12] mseal(0x1000, 0x1000, 0x0, 0x0, 0x0, 0x0) = 0 (8.1µs)`,
		},
		{
			name: "error that is not an errno",
			nr:   linux.SYS_CLOSE, args: args(3), mem: newMem(), err: errors.New("boom"),
			want: `[  12] close(3) = -1 (boom) (8.1µs)`,
		},
		{
			name: "wrapped errno",
			nr:   linux.SYS_CLOSE, args: args(3), mem: newMem(), err: fmt.Errorf("vfs: %w", linux.EBADF),
			want: `[  12] close(3) = -1 EBADF (8.1µs)`,
		},
		{
			name: "restart errno",
			nr:   linux.SYS_NANOSLEEP, args: args(a1, 0), mem: newMem().u64s(a1, 1, 0), err: linux.ERESTART_RESTARTBLOCK,
			want: `[  12] nanosleep({sec=1, nsec=0}, NULL) = -1 ERESTART_RESTARTBLOCK (8.1µs)`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			l, err := New(&buf, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.entry {
				l.Entry(12, tc.nr, tc.args, tc.mem.io)
			} else {
				l.Exit(12, tc.nr, tc.args, tc.mem.io, tc.ret, tc.err, 8123*time.Nanosecond)
			}
			if got := buf.String(); got != tc.want+"\n" {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestNilMemoryPrintsPointers(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Exit(1, linux.SYS_OPENAT, args(neg(-100), a1, 0), nil, 3, nil, time.Microsecond)
	if want := "[   1] openat(AT_FDCWD, 0x10100, O_RDONLY) = 3 (1µs)\n"; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestNewAndEnabled(t *testing.T) {
	tests := []struct {
		name    string
		only    []string
		wantErr string
		enabled []uintptr
		off     []uintptr
	}{
		{name: "all", enabled: []uintptr{linux.SYS_READ, linux.SYS_OPEN_TREE_ATTR, 999}},
		{name: "only empty names", only: []string{""}, enabled: []uintptr{linux.SYS_READ}},
		{
			name: "filter", only: []string{"read", "openat"},
			enabled: []uintptr{linux.SYS_READ, linux.SYS_OPENAT},
			off:     []uintptr{linux.SYS_WRITE, 999, linux.NumSyscalls},
		},
		{name: "unknown", only: []string{"read", "frobnicate", "SYS_WRITE"}, wantErr: "strace: unknown system call names: SYS_WRITE, frobnicate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := New(&bytes.Buffer{}, tc.only)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, nr := range tc.enabled {
				if !l.Enabled(nr) {
					t.Errorf("Enabled(%d) = false", nr)
				}
			}
			for _, nr := range tc.off {
				if l.Enabled(nr) {
					t.Errorf("Enabled(%d) = true", nr)
				}
			}
		})
	}
}

func TestFilteredCallsAreNotLogged(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(&buf, []string{"write"})
	if err != nil {
		t.Fatal(err)
	}
	l.Exit(1, linux.SYS_READ, args(0, 0, 0), nil, 0, nil, 0)
	l.Entry(1, linux.SYS_EXIT_GROUP, args(0), nil)
	if buf.Len() != 0 {
		t.Errorf("logged %q for filtered calls", buf.String())
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{50 * time.Nanosecond, "50ns"},
		{999 * time.Nanosecond, "1µs"},
		{3 * time.Microsecond, "3µs"},
		{8123 * time.Nanosecond, "8.1µs"},
		{123456789 * time.Nanosecond, "120ms"},
		{2*time.Second + 345*time.Millisecond, "2.3s"},
	}
	for _, tc := range tests {
		if got := formatDuration(tc.d); got != tc.want {
			t.Errorf("formatDuration(%d) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// lineWriter records each Write as one line.
type lineWriter struct {
	mu    sync.Mutex
	lines []string
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = append(w.lines, string(b))
	return len(b), nil
}

func TestConcurrentLinesAreWhole(t *testing.T) {
	w := &lineWriter{}
	l, err := New(w, nil)
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, each = 8, 200
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(tid int32) {
			defer wg.Done()
			m := newMem().str(a1, strings.Repeat(string(rune('a'+tid)), 10))
			for i := 0; i < each; i++ {
				l.Exit(tid, linux.SYS_WRITE, args(1, a1, 10), m.io, 10, nil, time.Microsecond)
			}
		}(int32(g))
	}
	wg.Wait()
	if len(w.lines) != goroutines*each {
		t.Fatalf("%d writes, want %d", len(w.lines), goroutines*each)
	}
	for _, line := range w.lines {
		var tid int32
		if _, err := fmt.Sscanf(line, "[%d]", &tid); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		want := fmt.Sprintf("[%4d] write(1, %q, 10) = 10 (1µs)\n", tid, strings.Repeat(string(rune('a'+tid)), 10))
		if line != want {
			t.Fatalf("line %q, want %q", line, want)
		}
	}
}

// briefList is every system call that must have its own format.
var briefList = strings.Fields(`read write open close stat fstat lstat poll lseek mmap mprotect munmap brk
rt_sigaction rt_sigprocmask rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select
sched_yield mremap madvise dup dup2 nanosleep getpid clone fork vfork execve exit wait4 kill uname
fcntl getcwd chdir rename mkdir rmdir unlink readlink gettimeofday getrlimit getuid getgid geteuid
getegid getppid getpgrp setsid sigaltstack arch_prctl gettid time futex sched_getaffinity
set_tid_address clock_gettime clock_getres clock_nanosleep exit_group tgkill openat newfstatat
set_robust_list dup3 pipe2 prlimit64 getrandom rseq clone3 rt_sigtimedwait tkill`)

func TestRequiredFormats(t *testing.T) {
	for _, name := range briefList {
		nr, ok := linux.SyscallNumber(name)
		if !ok {
			t.Errorf("%s: no such system call", name)
			continue
		}
		if _, ok := formats[nr]; !ok {
			t.Errorf("%s has no format", name)
		}
	}
	for nr, f := range formats {
		if len(f.args) > 6 {
			t.Errorf("%s: %d arguments", linux.SyscallName(nr), len(f.args))
		}
	}
}

// TestRandomInputNeverPanics formats every known call with random
// registers over memory holding random bytes, as a hostile application
// could arrange.
func TestRandomInputNeverPanics(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	m := newMem()
	r.Read(m.io.Bytes)
	// Make some of memory pointers into memory, so decoders follow them.
	for i := 0; i+8 <= len(m.io.Bytes); i += 64 {
		binary.LittleEndian.PutUint64(m.io.Bytes[i:], memBase+uint64(r.Intn(len(m.io.Bytes))))
	}
	interesting := []uint64{0, 1, ^uint64(0), memBase, memBase + 4095, memBase + 4096, 1 << 63, 0xffffffff, 64, 65}
	pick := func() uint64 {
		if r.Intn(2) == 0 {
			return interesting[r.Intn(len(interesting))]
		}
		if r.Intn(2) == 0 {
			return memBase + uint64(r.Intn(4200))
		}
		return r.Uint64()
	}
	w := &lineWriter{}
	l, err := New(w, nil)
	if err != nil {
		t.Fatal(err)
	}
	for nr := uintptr(0); nr < linux.NumSyscalls+2; nr++ {
		for i := 0; i < 50; i++ {
			a := args(pick(), pick(), pick(), pick(), pick(), pick())
			var err error
			if r.Intn(3) == 0 {
				err = linux.EFAULT
			}
			l.Exit(1, nr, a, m.io, pick(), err, time.Duration(r.Int63()))
			l.Entry(1, nr, a, m.io)
		}
	}
	// Whatever the input, each call is one well-formed line.
	if want := 2 * 50 * (linux.NumSyscalls + 2); len(w.lines) != want {
		t.Fatalf("%d lines, want %d", len(w.lines), want)
	}
	for _, line := range w.lines {
		ok := strings.HasPrefix(line, "[   1] ") && strings.Count(line, "\n") == 1 &&
			strings.HasSuffix(line, "\n") && strings.Contains(line, ") = ") &&
			strings.IndexByte(line, '(') > len("[   1] ")
		if !ok {
			t.Fatalf("malformed line %q", line)
		}
	}
}
