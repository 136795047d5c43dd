package linux

import (
	"strings"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

func TestMemfdCreate(t *testing.T) {
	e := newFSTask(t)
	long := strings.Repeat("n", linux.MFD_NAME_MAX_LEN)
	for _, tc := range []struct {
		name string
		// memfd is the name passed; addr, if not 0, an address to
		// pass instead.
		memfd   string
		addr    uint64
		flags   uint64
		want    error
		cloexec bool
		seals   uint64
	}{
		{name: "plain", memfd: "a", seals: linux.F_SEAL_SEAL},
		{name: "cloexec", memfd: "b", flags: linux.MFD_CLOEXEC, cloexec: true, seals: linux.F_SEAL_SEAL},
		{name: "sealing allowed", memfd: "", flags: linux.MFD_ALLOW_SEALING},
		{name: "longest name", memfd: long, seals: linux.F_SEAL_SEAL},
		{name: "name too long", memfd: long + "n", want: linux.EINVAL},
		{name: "unknown flag", memfd: "c", flags: 0x1000, want: linux.EINVAL},
		{name: "high flag", memfd: "c", flags: 0x80000000, want: linux.EINVAL},
		{name: "flags before the name", addr: 1, flags: 0x1000, want: linux.EINVAL},
		{name: "exec and noexec", memfd: "c", flags: linux.MFD_EXEC | linux.MFD_NOEXEC_SEAL, want: linux.EINVAL},
		{name: "hugetlb", memfd: "c", flags: linux.MFD_HUGETLB, want: linux.EINVAL},
		{name: "bad name", addr: 1, want: linux.EFAULT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.addr
			if addr == 0 {
				addr = e.str(t, pathA, tc.memfd)
			}
			fd, err := e.call(t, linux.SYS_MEMFD_CREATE, addr, tc.flags)
			if err != tc.want {
				t.Fatalf("memfd_create = %d, %v; want %v", fd, err, tc.want)
			}
			if err != nil {
				return
			}
			defer e.must(t, linux.SYS_CLOSE, fd)
			if got := e.must(t, linux.SYS_FCNTL, fd, linux.F_GETFD); (got == linux.FD_CLOEXEC) != tc.cloexec {
				t.Errorf("F_GETFD = %d, want cloexec %v", got, tc.cloexec)
			}
			if got := e.must(t, linux.SYS_FCNTL, fd, linux.F_GETFL); got&linux.O_ACCMODE != linux.O_RDWR {
				t.Errorf("F_GETFL = %#o, want O_RDWR", got)
			}
			if got := e.must(t, linux.SYS_FCNTL, fd, linux.F_GET_SEALS); got != tc.seals {
				t.Errorf("F_GET_SEALS = %#x, want %#x", got, tc.seals)
			}
		})
	}
}

func TestMemfdSeals(t *testing.T) {
	e := newFSTask(t)
	fd := e.must(t, linux.SYS_MEMFD_CREATE, e.str(t, pathA, "s"), linux.MFD_ALLOW_SEALING)
	defer e.must(t, linux.SYS_CLOSE, fd)
	e.must(t, linux.SYS_FCNTL, fd, linux.F_ADD_SEALS, linux.F_SEAL_WRITE)
	e.wantErr(t, linux.EPERM, linux.SYS_PWRITE64, fd, bufA, 1, 0)
	e.wantErr(t, linux.EINVAL, linux.SYS_FCNTL, fd, linux.F_ADD_SEALS, 1<<32|linux.F_SEAL_GROW)
	e.wantErr(t, linux.EINVAL, linux.SYS_FCNTL, fd, linux.F_ADD_SEALS, 0x10000)
	e.must(t, linux.SYS_FCNTL, fd, linux.F_ADD_SEALS, linux.F_SEAL_SEAL)
	e.wantErr(t, linux.EPERM, linux.SYS_FCNTL, fd, linux.F_ADD_SEALS, linux.F_SEAL_GROW)
	if got := e.must(t, linux.SYS_FCNTL, fd, linux.F_GET_SEALS); got != linux.F_SEAL_WRITE|linux.F_SEAL_SEAL {
		t.Errorf("F_GET_SEALS = %#x", got)
	}
	// Files that are not tmpfs files know no seals.
	r, _ := pipeFDs(t, e.task)
	e.wantErr(t, linux.EINVAL, linux.SYS_FCNTL, r, linux.F_GET_SEALS)
	e.wantErr(t, linux.EINVAL, linux.SYS_FCNTL, r, linux.F_ADD_SEALS, linux.F_SEAL_SEAL)
}
