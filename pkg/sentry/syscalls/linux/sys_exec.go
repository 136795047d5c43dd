package linux

import (
	"fmt"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

var execSyscalls = map[uintptr]kernel.Syscall{
	linux.SYS_EXECVE:   partial(withFS(execve), execNote),
	linux.SYS_EXECVEAT: partial(withFS(execveat), execNote),
}

const execNote = "set-user-ID and set-group-ID bits and file capabilities are ignored (every mount acts as nosuid); no vDSO"

// Argument limits, from include/uapi/linux/binfmts.h and fs/exec.c.
const (
	// maxArgStrlen is MAX_ARG_STRLEN: one string, NUL included.
	maxArgStrlen = 32 * usermem.PageSize
	// argMax is ARG_MAX, the floor of the argument space.
	argMax = 32 * usermem.PageSize
	// stkLim is _STK_LIM; at most three quarters of it hold arguments.
	stkLim = 8 << 20
)

func execve(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return execveatCommon(t, linux.AT_FDCWD, a[0], a[1], a[2], 0)
}

func execveat(t *kernel.Task, a kernel.SyscallArgs) (uint64, error) {
	return execveatCommon(t, int32(a[0]), a[1], a[2], a[3], a[4])
}

// execveatCommon is do_execveat_common: the path first, then the file,
// then the arguments.
func execveatCommon(t *kernel.Task, dirfd int32, pathAddr, argvAddr, envvAddr, flags uint64) (uint64, error) {
	path, err := copyInPath(t, pathAddr)
	if err != nil {
		return 0, err
	}
	if path == "" && flags&linux.AT_EMPTY_PATH == 0 {
		return 0, linux.ENOENT
	}
	if flags&^(linux.AT_EMPTY_PATH|linux.AT_SYMLINK_NOFOLLOW) != 0 {
		return 0, linux.EINVAL
	}
	req := kernel.ExecRequest{
		Filename: path,
		Args:     func() ([]string, []string, error) { return copyInExecArgs(t, argvAddr, envvAddr) },
	}
	if dirfd != linux.AT_FDCWD && (path == "" || path[0] != '/') {
		// The program has no name of its own: Linux names it by the
		// descriptor, which a close-on-exec descriptor will not be
		// after exec.
		if path == "" {
			req.Filename = fmt.Sprintf("/dev/fd/%d", dirfd)
		} else {
			req.Filename = fmt.Sprintf("/dev/fd/%d/%s", dirfd, path)
		}
		f, cloexec, err := t.FDTable().Get(dirfd)
		if err != nil {
			return 0, err
		}
		f.DecRef()
		req.PathInaccessible = cloexec
	}
	if path == "" && flags&linux.AT_EMPTY_PATH != 0 {
		if dirfd == linux.AT_FDCWD {
			// The working directory is no program.
			return 0, linux.EACCES
		}
		f, _, err := t.FDTable().Get(dirfd)
		if err != nil {
			return 0, err
		}
		pf, ok := f.(vfs.PathFile)
		if !ok || !pf.VirtualDentry().Ok() {
			// Pipes, eventfds and the like are no regular files.
			f.DecRef()
			return 0, linux.EACCES
		}
		req.File = pf.VirtualDentry()
		f.DecRef()
	} else {
		pop, err := pathOp(t, dirfd, path, flags&linux.AT_SYMLINK_NOFOLLOW == 0)
		if err != nil {
			return 0, err
		}
		req.Pop = pop
	}
	if err := t.Exec(req); err != nil {
		return 0, err
	}
	return 0, kernel.ErrNoReturn
}

// copyInExecArgs reads argv and envp. A NULL array is empty, as in Linux.
// Strings are bounded as execve bounds them (bprm_stack_limits): their
// pointers and bytes fit in a quarter of the stack limit (at most 6 MiB,
// at least ARG_MAX); the loader applies the exact limits, including
// MAX_ARG_STRLEN per string.
func copyInExecArgs(t *kernel.Task, argvAddr, envvAddr uint64) ([]string, []string, error) {
	limit := min(uint64(stkLim/4*3), t.ThreadGroup().Limits()[kernel.RLIMIT_STACK].Cur/4)
	limit = max(limit, argMax)
	var vecs [2][]string
	total := 0
	for i, addr := range []uint64{argvAddr, envvAddr} {
		if addr == 0 {
			continue
		}
		v, err := usermem.CopyInVector(t, addr, int(limit/8), int(limit)-total)
		if err != nil {
			return nil, nil, err
		}
		for _, s := range v {
			if len(s)+1 > maxArgStrlen {
				return nil, nil, linux.E2BIG
			}
			total += len(s) + 1
		}
		vecs[i] = v
	}
	return vecs[0], vecs[1], nil
}
