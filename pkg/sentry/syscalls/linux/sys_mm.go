package linux

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/tmpfs"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/mm"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

var mmSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_MMAP:     partial(mmap, "private and copied file mappings are filled when made: later changes of the file are not seen, and pages past the end of file read as zeros instead of SIGBUS"),
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
	var file vfs.FileDescription
	if !anon {
		f, _, err := t.FDTable().Get(fd)
		if err != nil {
			return 0, err
		}
		defer f.DecRef()
		if f.StatusFlags()&linux.O_PATH != 0 {
			return 0, linux.EBADF
		}
		if flags&mapHugeTLB != 0 {
			// Only hugetlbfs files take MAP_HUGETLB, and there is no
			// hugetlbfs.
			return 0, linux.EINVAL
		}
		file = f
	}
	if length == 0 {
		return 0, linux.EINVAL
	}
	opts := mm.MMapOpts{
		Addr:      addr,
		Length:    length,
		Prot:      toProt(prot),
		Shared:    flags&mapType != mapPrivate,
		Fixed:     flags&mapFixed != 0,
		NoReplace: flags&mapFixedNoReplace != 0 && flags&mapFixed == 0,
		GrowsDown: flags&mapGrowsDown != 0,
	}
	if anon {
		switch flags & mapType {
		case mapShared:
			if opts.GrowsDown {
				return 0, linux.EINVAL
			}
		case mapPrivate:
		default:
			// Anonymous mappings know only MAP_SHARED and
			// MAP_PRIVATE.
			return 0, linux.EINVAL
		}
		if flags&mapHugeTLB != 0 {
			// There is no hugetlbfs: Linux fails the same way when no
			// huge pages are reserved.
			return 0, linux.ENOMEM
		}
		return t.MM().MMap(opts)
	}
	if err := fileMMapOpts(t, file, flags, prot, off, &opts); err != nil {
		return 0, err
	}
	return t.MM().MMap(opts)
}

// maxFileSize is MAX_LFS_FILESIZE, the largest offset of any file.
const maxFileSize = 1<<63 - 1

// fileMMapOpts checks a mapping of file as Linux's do_mmap does, in its
// order, and completes opts.
func fileMMapOpts(t *kernel.Task, file vfs.FileDescription, flags, prot, off uint64, opts *mm.MMapOpts) error {
	length, ok := usermem.PageRoundUp(opts.Length)
	if !ok {
		return linux.ENOMEM
	}
	// file_mmap_ok: the mapped range must lie within the largest file.
	if length > maxFileSize || off/usermem.PageSize > (maxFileSize-length)/usermem.PageSize {
		return linux.EOVERFLOW
	}
	acc := file.StatusFlags() & linux.O_ACCMODE
	readable := acc == linux.O_RDONLY || acc == linux.O_RDWR
	writable := acc == linux.O_WRONLY || acc == linux.O_RDWR
	switch flags & mapType {
	case mapShared, mapSharedValidate:
		if flags&mapType == mapSharedValidate && flags&^legacyMapMask != 0 {
			// No file here supports MAP_SYNC (DAX), and MAP_SHARED
			// silently drops what it does not know.
			return linux.EOPNOTSUPP
		}
		if prot&protWrite != 0 && !writable {
			return linux.EACCES
		}
		// A shared mapping of a file not open for writing can never
		// become writable.
		opts.NoMayWrite = !writable
		// Nor can one of a memfd sealed against writes
		// (memfd_check_seals_mmap).
		if sf, ok := file.(tmpfs.Sealable); ok && sf.Seals()&(linux.F_SEAL_WRITE|linux.F_SEAL_FUTURE_WRITE) != 0 {
			if prot&protWrite != 0 {
				return linux.EPERM
			}
			opts.NoMayWrite = true
		}
	case mapPrivate:
	default:
		return linux.EINVAL
	}
	if !readable {
		return linux.EACCES
	}
	if pf, ok := file.(vfs.PathFile); ok {
		vd := pf.VirtualDentry()
		if vd.Ok() && vd.Mount.Flags().NoExec {
			if prot&protExec != 0 {
				return linux.EPERM
			}
			opts.NoMayExec = true
		}
		if vd.Ok() && t.FSContext() != nil && t.VFS() != nil {
			opts.Name, _ = t.VFS().PathName(t.FSContext().Root(), vd)
		}
	}
	mf, ok := file.(vfs.Mappable)
	if !ok {
		return linux.ENODEV
	}
	if opts.GrowsDown {
		return linux.EINVAL
	}
	opts.File, opts.Offset, opts.Blocker = mf, off, t
	return nil
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
	return t.MM().MRemap(t, a[0], a[1], a[2], a[3], a[4])
}

func madvise(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return 0, t.MM().MAdvise(t, a[0], a[1], int32(a[2]))
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
	return 0, t.MM().MAdvise(t, addr, length, mm.MADV_NORMAL)
}

func mlockRange(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	addr := usermem.PageRoundDown(a[0])
	end, ok := usermem.PageRoundUp(a[0] + a[1])
	if !ok || a[0]+a[1] < a[0] {
		return 0, linux.ENOMEM
	}
	return 0, t.MM().MAdvise(t, addr, end-addr, mm.MADV_NORMAL)
}
