package linux

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/mm"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/usermem"
)

var mmSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_MMAP:     partial(mmap, "anonymous mappings only; files give ENODEV until the file system lands"),
	linux.SYS_MUNMAP:   full(munmap),
	linux.SYS_MPROTECT: full(mprotect),
	linux.SYS_MREMAP:   partial(mremap, "MREMAP_DONTUNMAP is EINVAL"),
	linux.SYS_MADVISE:  full(madvise),
	linux.SYS_BRK:      full(brk),
	linux.SYS_MSYNC:    full(msync),
	linux.SYS_MLOCK:    partial(mlockRange, "memory is never swapped; accepted without effect"),
	linux.SYS_MUNLOCK:  partial(mlockRange, "memory is never swapped; accepted without effect"),
	linux.SYS_MLOCK2:   partial(mlockRange, "memory is never swapped; accepted without effect"),
}

// mmap flags and protections, defined in include/uapi/asm-generic/mman*.h
// and arch/x86/include/uapi/asm/mman.h.
const (
	protRead      = 0x1
	protWrite     = 0x2
	protExec      = 0x4
	protSem       = 0x8
	protGrowsDown = 0x01000000
	protGrowsUp   = 0x02000000

	mapShared         = 0x01
	mapPrivate        = 0x02
	mapSharedValidate = 0x03
	mapType           = 0x0f
	mapFixed          = 0x10
	mapAnonymous      = 0x20
	map32Bit          = 0x40
	mapGrowsDown      = 0x100
	mapDenyWrite      = 0x800
	mapExecutable     = 0x1000
	mapLocked         = 0x2000
	mapNoReserve      = 0x4000
	mapPopulate       = 0x8000
	mapNonBlock       = 0x10000
	mapStack          = 0x20000
	mapHugeTLB        = 0x40000
	mapSync           = 0x80000
	mapFixedNoReplace = 0x100000

	// legacyMapMask are the flags MAP_SHARED_VALIDATE accepts.
	legacyMapMask = mapShared | mapPrivate | mapFixed | mapAnonymous | mapDenyWrite |
		mapExecutable | mapUninitialized | mapGrowsDown | mapLocked | mapNoReserve |
		mapPopulate | mapNonBlock | mapStack | mapHugeTLB
	mapUninitialized = 0x4000000
)

func toProt(p uint64) platform.Prot {
	return platform.Prot{Read: p&protRead != 0, Write: p&protWrite != 0, Execute: p&protExec != 0}
}

func mmap(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	addr, length, prot, flags, fd, off := a[0], a[1], a[2], a[3], int32(a[4]), a[5]
	if off%usermem.PageSize != 0 {
		return 0, linux.EINVAL
	}
	anon := flags&mapAnonymous != 0
	if !anon {
		f, _, err := t.FDTable().Get(fd)
		if err != nil {
			return 0, err
		}
		f.DecRef()
	}
	if length == 0 {
		return 0, linux.EINVAL
	}
	switch flags & mapType {
	case mapShared, mapPrivate:
	case mapSharedValidate:
		if anon {
			// Anonymous mappings know only MAP_SHARED and MAP_PRIVATE.
			return 0, linux.EINVAL
		}
		if flags&^(legacyMapMask|mapSync|mapFixedNoReplace) != 0 {
			return 0, linux.EOPNOTSUPP
		}
	default:
		return 0, linux.EINVAL
	}
	if !anon {
		// Host files cannot be mapped into the sandbox until files are
		// served by the gofer.
		return 0, linux.ENODEV
	}
	if flags&mapHugeTLB != 0 {
		// There is no hugetlbfs: Linux fails the same way when no huge
		// pages are reserved.
		return 0, linux.ENOMEM
	}
	return t.MM().MMap(mm.MMapOpts{
		Addr:      addr,
		Length:    length,
		Prot:      toProt(prot),
		Shared:    flags&mapType != mapPrivate,
		Fixed:     flags&mapFixed != 0,
		NoReplace: flags&mapFixedNoReplace != 0 && flags&mapFixed == 0,
		GrowsDown: flags&mapGrowsDown != 0,
	})
}

func munmap(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, t.MM().MUnmap(a[0], a[1])
}

func mprotect(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	prot := a[2]
	if prot&^(protRead|protWrite|protExec|protSem|protGrowsDown|protGrowsUp) != 0 ||
		prot&(protGrowsDown|protGrowsUp) == protGrowsDown|protGrowsUp {
		return 0, linux.EINVAL
	}
	return 0, t.MM().MProtect(a[0], a[1], toProt(prot))
}

func mremap(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return t.MM().MRemap(a[0], a[1], a[2], a[3], a[4])
}

func madvise(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, t.MM().MAdvise(a[0], a[1], int32(a[2]))
}

func brk(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return t.MM().Brk(a[0]), nil
}

// msync flags, defined in include/uapi/asm-generic/mman-common.h.
const (
	msAsync      = 1
	msInvalidate = 2
	msSync       = 4
)

func msync(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	addr, length, flags := a[0], a[1], a[2]
	if flags&^(msAsync|msInvalidate|msSync) != 0 || flags&(msAsync|msSync) == msAsync|msSync || addr%usermem.PageSize != 0 {
		return 0, linux.EINVAL
	}
	// Anonymous memory has nothing to write back; only the range must
	// be mapped.
	return 0, t.MM().MAdvise(addr, length, mm.MADV_NORMAL)
}

func mlockRange(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	addr := usermem.PageRoundDown(a[0])
	end, ok := usermem.PageRoundUp(a[0] + a[1])
	if !ok || a[0]+a[1] < a[0] {
		return 0, linux.ENOMEM
	}
	return 0, t.MM().MAdvise(addr, end-addr, mm.MADV_NORMAL)
}
