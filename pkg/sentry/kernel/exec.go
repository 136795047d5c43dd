package kernel

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/arch"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/kernel/futex"
	"bulwark.dev/bulwark/pkg/sentry/loader"
	"bulwark.dev/bulwark/pkg/sentry/mm"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// This file is execve (fs/exec.c, fs/binfmt_script.c): finding and
// checking the file, #! scripts, building the new address space with the
// loader, and replacing the process image.
//
// Everything that can fail happens first, while the old image is intact:
// the file is resolved and opened, scripts are followed to their final
// binary, and a complete new address space is built and loaded. Then the
// group's other tasks are killed and waited for (de_thread), and from
// there on exec cannot fail: the old address space is released,
// close-on-exec files are closed, signal handlers reset, and the task
// starts at the new entry point.
//
// Not supported: set-user-ID and set-group-ID bits and file capabilities
// are ignored (every mount behaves as nosuid), and there is no vDSO.

// binprmBufSize is BINPRM_BUF_SIZE: how much of the file exec reads to
// recognise its format.
const binprmBufSize = 256

// maxInterpDepth is how many #! rewrites an exec follows before giving up
// with ELOOP: Linux's exec_binprm fails at depth 6, so five scripts can
// chain to a binary.
const maxInterpDepth = 5

// ExecRequest is one execve(2) or execveat(2).
type ExecRequest struct {
	// Pop names the program, or File is the program itself
	// (execveat(fd, "", AT_EMPTY_PATH)). Pop.FollowFinal is false for
	// AT_SYMLINK_NOFOLLOW: a final symlink is then ELOOP.
	Pop  *vfs.PathOperation
	File vfs.VirtualDentry
	// Filename is the name the new program gets (Linux's
	// bprm->filename): the path, or "/dev/fd/N" and "/dev/fd/N/path"
	// for execveat relative to a file descriptor. It becomes AT_EXECFN,
	// a script's argument and, through its base name, the task's name.
	Filename string
	// PathInaccessible says Filename will not name the file after exec
	// (a /dev/fd/N name of a close-on-exec fd): a script then fails with
	// ENOENT, since its interpreter could not open it.
	PathInaccessible bool
	// Args returns the arguments and environment. It is called once the
	// file has been found and may be opened, so that path errors come
	// before argument errors, as in Linux.
	Args func() (argv, envv []string, err error)
}

// execImage is a new process image, ready to replace the old one.
type execImage struct {
	mm    *mm.MM
	res   loader.Result
	exe   vfs.VirtualDentry
	creds *auth.Credentials
	name  string
}

// Exec replaces t's process image (execve). On error the old image is
// intact and the error is the errno execve returns. On success t runs the
// new program when it returns to application code; system call handlers
// return ErrNoReturn, since the registers are already set.
//
// Preconditions: t is the calling task (or a task that has not started).
func (t *Task) Exec(req ExecRequest) error {
	return errnoOf(t.exec(req))
}

// exec is Exec with errors that keep their context.
func (t *Task) exec(req ExecRequest) error {
	img, err := t.prepareExec(req)
	if err != nil {
		return err
	}
	if err := t.killOtherThreads(); err != nil {
		img.mm.Release()
		return err
	}
	t.commitExec(img)
	return nil
}

// openedFile is an executable, script or interpreter exec opened.
type openedFile struct {
	vd vfs.VirtualDentry
	f  vfs.FileDescription
}

// prepareExec does every part of exec that can fail.
func (t *Task) prepareExec(req ExecRequest) (*execImage, error) {
	var (
		cur openedFile
		err error
	)
	if req.File.Ok() {
		cur.vd = req.File
		cur.f, err = t.openExecDentry(req.File)
	} else {
		cur, err = t.openExec(req.Pop)
	}
	if err != nil {
		return nil, err
	}
	// Every file opened is released at the end; only the location of
	// the final binary is kept (/proc/PID/exe).
	opened := []vfs.FileDescription{cur.f}
	defer func() {
		for _, f := range opened {
			f.DecRef()
		}
	}()

	argv, envv, err := req.Args()
	if err != nil {
		return nil, err
	}
	if len(argv) == 0 {
		// Like Linux since 5.18, an empty argv gets an empty argv[0].
		argv = []string{""}
	}

	interp := req.Filename
	for depth := 0; ; depth++ {
		if depth > maxInterpDepth {
			return nil, linux.ELOOP
		}
		var buf [binprmBufSize]byte
		n, err := readAt(t, cur.f, buf[:], 0)
		if err != nil {
			return nil, err
		}
		if n >= len(linux.ELFMAG) && string(buf[:len(linux.ELFMAG)]) == linux.ELFMAG {
			break
		}
		name, arg, ok, err := parseShebang(buf[:])
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, linux.ENOEXEC
		}
		if req.PathInaccessible {
			return nil, linux.ENOENT
		}
		// argv[0] gives way to the interpreter, its argument and the
		// script's name.
		next := []string{name}
		if arg != "" {
			next = append(next, arg)
		}
		argv = append(append(next, interp), argv[1:]...)
		interp = name
		if cur, err = t.openInterp(name); err != nil {
			return nil, err
		}
		opened = append(opened, cur.f)
	}

	creds := execCreds(t.Credentials())
	limits := t.tg.Limits()
	m, err := t.k.NewMM(limits)
	if err != nil {
		return nil, err
	}
	xstate := t.k.XStateSize
	res, err := loader.Load(m, loader.Args{
		Exe: readerAt{t, cur.f},
		OpenInterp: func(p string) (io.ReaderAt, error) {
			o, err := t.openInterp(p)
			if err != nil {
				return nil, err
			}
			opened = append(opened, o.f)
			return readerAt{t, o.f}, nil
		},
		ExecFn:          req.Filename,
		Argv:            argv,
		Envv:            envv,
		StackSize:       StackSize(limits),
		UID:             uint32(creds.RealUID),
		EUID:            uint32(creds.EffectiveUID),
		GID:             uint32(creds.RealGID),
		EGID:            uint32(creds.EffectiveGID),
		Random:          rand.Reader,
		HWCap:           arch.HWCap(),
		ClockTick:       100,
		MinSigStackSize: arch.MinSigStackSize(xstate),
	})
	if err != nil {
		m.Release()
		return nil, err
	}
	name := req.Filename
	if req.File.Ok() {
		// /dev/fd/N says nothing: the file's own name does.
		if p, _ := t.k.VFS.PathName(t.FSContext().Root(), req.File); p != "" {
			name = strings.TrimSuffix(p, " (deleted)")
		}
	}
	return &execImage{mm: m, res: res, exe: cur.vd, creds: creds, name: path.Base(name)}, nil
}

// errnoOf reduces an exec error to its errno: system calls return
// linux.Errno values only. An error without one (a bug) is ENOEXEC.
func errnoOf(err error) error {
	if err == nil {
		return nil
	}
	var errno linux.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return linux.ENOEXEC
}

// openInterp opens a script's or a binary's interpreter the way
// open_exec does: relative to the working directory, following symlinks.
// An empty name walks nowhere and names the working directory itself
// (open_exec does not reject it), which cannot be executed.
func (t *Task) openInterp(p string) (openedFile, error) {
	if p == "" {
		return openedFile{}, linux.EACCES
	}
	return t.openExec(t.interpPathOp(p))
}

// interpPathOp is the path operation of openInterp.
func (t *Task) interpPathOp(p string) *vfs.PathOperation {
	fc := t.FSContext()
	pop := &vfs.PathOperation{Root: fc.Root(), Start: fc.Cwd(), Path: p, FollowFinal: true}
	if len(p) > 0 && p[0] == '/' {
		pop.Start = pop.Root
	}
	return pop
}

// openExec resolves pop and opens the file for exec.
func (t *Task) openExec(pop *vfs.PathOperation) (openedFile, error) {
	vd, err := t.k.VFS.GetDentryAt(t, pop)
	if err != nil {
		return openedFile{}, err
	}
	f, err := t.openExecDentry(vd)
	if err != nil {
		return openedFile{}, err
	}
	return openedFile{vd: vd, f: f}, nil
}

// openExecDentry checks that vd may be executed, as Linux's may_open and
// do_open_execat do, and opens it for reading. Execute permission is
// enough: like Linux, exec does not need read permission.
func (t *Task) openExecDentry(vd vfs.VirtualDentry) (vfs.FileDescription, error) {
	st, err := vd.Dentry.Inode().Stat()
	if err != nil {
		return nil, err
	}
	switch {
	case vfs.IsSymlink(st.Mode):
		// Only reached with AT_SYMLINK_NOFOLLOW.
		return nil, linux.ELOOP
	case !vfs.IsRegular(st.Mode):
		return nil, linux.EACCES
	case vd.Mount.Flags().NoExec:
		return nil, linux.EACCES
	}
	if err := vfs.MayAccess(t.Credentials(), &st, vfs.MayExec); err != nil {
		return nil, err
	}
	return vd.Dentry.Inode().Open(t, vd, linux.O_RDONLY)
}

// readAt reads up to len(buf) bytes of f at off; fewer at the end of the
// file.
func readAt(b vfs.Blocker, f vfs.FileDescription, buf []byte, off int64) (int, error) {
	done := 0
	for done < len(buf) {
		n, err := f.PRead(b, buf[done:], off+int64(done))
		if n > 0 {
			done += n
		}
		if err != nil {
			return done, err
		}
		if n <= 0 {
			break
		}
	}
	return done, nil
}

// readerAt is an io.ReaderAt over an open file, for the loader.
type readerAt struct {
	b vfs.Blocker
	f vfs.FileDescription
}

// ReadAt implements io.ReaderAt.
func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := readAt(r.b, r.f, p, off)
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

// parseShebang recognises a "#!" line in the first bytes of a file the
// way fs/binfmt_script.c does, and returns the interpreter and its
// optional argument. ok is false for files that do not start with "#!";
// a line without an interpreter, or whose interpreter name may be cut
// off by the end of buf, is ENOEXEC.
//
// The line ends at the first newline before the first NUL, or else at
// the end of buf (whose last byte never counts). Spaces and tabs around
// the interpreter are skipped; the argument is everything after the
// interpreter's first space or tab up to the end of the line, with
// trailing blanks trimmed, and a NUL ends the interpreter's name and
// drops the argument.
func parseShebang(buf []byte) (name, arg string, ok bool, err error) {
	if len(buf) < 2 || buf[0] != '#' || buf[1] != '!' {
		return "", "", false, nil
	}
	blank := func(c byte) bool { return c == ' ' || c == '\t' }
	last := len(buf) - 1 // the last byte is never part of the line
	// nextNonBlank and nextTerminator search [i, j] inclusive.
	nextNonBlank := func(i, j int) int {
		for ; i <= j; i++ {
			if !blank(buf[i]) {
				return i
			}
		}
		return -1
	}
	nextTerminator := func(i, j int) int {
		for ; i <= j; i++ {
			if blank(buf[i]) || buf[i] == 0 {
				return i
			}
		}
		return -1
	}
	end := -1 // the end of the line (exclusive)
	for i, c := range buf {
		if c == 0 {
			break
		}
		if c == '\n' {
			end = i
			break
		}
	}
	if end < 0 {
		start := nextNonBlank(2, last)
		if start < 0 {
			return "", "", false, linux.ENOEXEC // only blanks
		}
		if nextTerminator(start, last) < 0 {
			return "", "", false, linux.ENOEXEC // name cut off
		}
		end = last
	}
	for blank(buf[end-1]) {
		end--
	}
	start := nextNonBlank(2, end)
	if start < 0 || start == end {
		return "", "", false, linux.ENOEXEC // no interpreter
	}
	nameEnd := end
	if sep := nextTerminator(start, end); sep >= 0 && sep < end {
		nameEnd = sep
		if buf[sep] != 0 {
			if a := nextNonBlank(sep, end); a >= 0 && a < end {
				arg = string(buf[a:end])
			}
		}
	}
	// A NUL in the line ends the C strings the kernel passes on.
	name = string(buf[start:nameEnd])
	if i := bytes.IndexByte(buf[start:nameEnd], 0); i >= 0 {
		name = name[:i]
	}
	if i := strings.IndexByte(arg, 0); i >= 0 {
		arg = arg[:i]
	}
	return name, arg, true, nil
}

// execCreds are the credentials after exec (cap_bprm_creds_from_file for
// a file without set-ID bits or file capabilities): the saved and
// file-system IDs become the effective ones; root keeps its capabilities
// (permitted = bounding | inheritable, effective if the effective UID is
// 0, else the ambient set), anyone else (and root under SECURE_NOROOT)
// gets the ambient set as permitted and effective; the keepcaps securebit
// is cleared.
func execCreds(old *auth.Credentials) *auth.Credentials {
	c := old.Fork()
	c.SavedUID, c.FilesystemUID = c.EffectiveUID, c.EffectiveUID
	c.SavedGID, c.FilesystemGID = c.EffectiveGID, c.EffectiveGID
	c.Securebits &^= 1 << linux.SECURE_KEEP_CAPS
	root := !c.Secure(linux.SECURE_NOROOT)
	switch {
	case root && c.EffectiveUID == 0:
		c.Permitted = c.Bounding | c.Inheritable | c.Ambient
		c.Effective = c.Permitted
	case root && c.RealUID == 0:
		c.Permitted = c.Bounding | c.Inheritable | c.Ambient
		c.Effective = c.Ambient
	default:
		c.Permitted, c.Effective = c.Ambient, c.Ambient
	}
	return c
}

// killOtherThreads ends every other task of t's group and waits until
// they are gone (de_thread). If t is not the leader it takes over the
// group's id. It fails with EAGAIN if the group is exiting or another
// thread's exec got there first (t is then being killed itself).
func (t *Task) killOtherThreads() error {
	tg := t.tg
	tg.mu.Lock()
	if tg.exiting || t.exited || tg.execing != nil {
		tg.mu.Unlock()
		return linux.EAGAIN
	}
	if len(tg.tasks) > 1 {
		done := make(chan struct{})
		tg.execing, tg.execWait = t, done
		for o := range tg.tasks {
			if o != t {
				o.exited = true
				o.interrupt()
			}
		}
		tg.mu.Unlock()
		// The others leave whatever they are doing when interrupted;
		// like Linux's de_thread, the wait itself cannot be cut short.
		<-done
		tg.mu.Lock()
		tg.execing = nil
	}
	exiting := tg.exiting
	tg.mu.Unlock()
	if exiting {
		return linux.EAGAIN
	}
	if t.tid != tg.tgid {
		// The old leader has left the kernel's table (its exit
		// completed before done was closed).
		t.k.mu.Lock()
		tg.mu.Lock()
		delete(t.k.tasks, t.tid)
		t.tid = tg.tgid
		t.k.tasks[t.tid] = t
		tg.mu.Unlock()
		t.k.mu.Unlock()
	}
	return nil
}

// commitExec installs img as t's process image. It cannot fail.
//
// Preconditions: t is the only task of its group.
func (t *Task) commitExec(img *execImage) {
	tg := t.tg
	old := tg.mm
	if old != nil {
		// exec_mm_release: robust futexes are released in the old
		// image; clear_child_tid is forgotten (nobody else shares the
		// address space).
		ft := futexTarget{old}
		futex.ExitRobustList(ft, t.robustList, uint32(t.tid), func(addr uint64) {
			t.k.Futexes.Wake(ft, addr, false, linux.FUTEX_BITSET_MATCH_ANY, 1)
		})
	}
	t.robustList, t.clearTID = 0, 0

	tg.mu.Lock()
	tg.mm = img.mm
	// A table shared with another process (CLONE_SIGHAND) is left to it.
	tg.sh = tg.sh.copy()
	tg.sh.resetForExec()
	t.hasSavedMask = false
	tg.mu.Unlock()
	if old != nil {
		// The platform context is bound to the old address space:
		// release it so the next switch starts a fresh one in the new
		// address space. Like Linux, the new image starts with a
		// clean floating-point state: that of the new stub thread.
		t.releaseContextForExec()
		old.DecUsers()
	}

	tg.fds.CloseOnExec()
	tg.execTimers()
	t.altStack = linux.SignalStack{Flags: linux.SS_DISABLE}
	t.restartBlock, t.restartErr = nil, 0
	t.faultInfo = nil
	t.SetCredentials(img.creds)
	tg.SetExecutable(img.exe)
	tg.SetArgRange(img.res.ArgvStart, img.res.ArgvEnd)
	tg.SetEnvRange(img.res.EnvStart, img.res.EnvEnd)
	t.SetName(img.name)
	tg.markExeced()
	t.execAttrs()
	t.regs = linux.PtraceRegs{
		Rip:    img.res.Entry,
		Rsp:    img.res.StackPointer,
		Cs:     linux.USER_CS,
		Ss:     linux.USER_DS,
		Eflags: linux.X86_EFLAGS_IF | 0x2,
	}
}

// NewMM returns an empty address space for a process with limits, with
// a fresh randomised layout (NewLayout).
func (k *Kernel) NewMM(limits Limits) (*mm.MM, error) {
	as, err := k.Platform.NewAddressSpace()
	if err != nil {
		return nil, fmt.Errorf("kernel: new address space: %v: %w", err, linux.ENOMEM)
	}
	m := mm.New(k.MF, as, NewLayout(k.Platform.MaxUserAddress(), StackSize(limits)))
	m.SetBrkLimit(limits[RLIMIT_DATA].Cur)
	m.SetASLimit(limits[RLIMIT_AS].Cur)
	return m, nil
}

// Bounds of the initial stack mapping: RLIMIT_STACK, page aligned,
// within these.
const (
	minStackSize = 128 << 10
	maxStackSize = 1 << 30
)

// StackSize is the size of the initial stack of a process with limits:
// its RLIMIT_STACK soft limit, page aligned, at least 128 KiB and at
// most 1 GiB (an unlimited stack gets 1 GiB: stacks do not grow beyond
// their first mapping here).
func StackSize(limits Limits) uint64 {
	s := usermem.PageRoundDown(limits[RLIMIT_STACK].Cur)
	return min(max(s, minStackSize), maxStackSize)
}

// NewLayout places the stack, the mmap area and PIE executables below
// maxAddr, with random offsets as Linux's ASLR does (with fewer bits).
func NewLayout(maxAddr, stackSize uint64) mm.Layout {
	var b [8]byte
	rand.Read(b[:])
	r := binary.LittleEndian.Uint64(b[:])
	const page = usermem.PageSize
	stackTop := maxAddr - page*(r&0x3fff)
	mmapBase := stackTop - stackSize - (256 << 20) - page*((r>>14)&0xfffff)
	pieBase := uint64(0x5555_5555_4000) + page*((r>>34)&0xffff)
	return mm.Layout{MaxAddr: maxAddr, StackTop: stackTop, MmapBase: mmapBase, PIEBase: pieBase}
}

// ExecArgs describe the first process of the sandbox.
type ExecArgs struct {
	// Path names the program: absolute, or relative to FS's working
	// directory. It is also the program's AT_EXECFN and, through its
	// base name, its name.
	Path string
	// Argv and Envv are the arguments and environment.
	Argv, Envv []string
	// FDs, FS, Limits and Creds are the process's file descriptors, file
	// system context, resource limits and credentials (auth.Root() if
	// nil).
	FDs    *FDTable
	FS     *FSContext
	Limits Limits
	Creds  *auth.Credentials
	// NoNewPrivs sets the process's no_new_privs bit before the exec.
	NoNewPrivs bool
}

// NewProcessFromExec creates the first process: a thread group with
// a's file descriptors, file system context, limits and credentials,
// running the program at a.Path as execve would start it. The task is
// ready to Start. On error nothing is left behind except a.FDs, which
// stays the caller's; the error wraps the errno execve would return
// (ENOENT, EACCES, ENOEXEC...).
func (k *Kernel) NewProcessFromExec(a ExecArgs) (*Task, error) {
	if a.FS == nil || a.FDs == nil {
		return nil, fmt.Errorf("kernel: first process needs a file system context and an FD table: %w", linux.EINVAL)
	}
	t, err := k.NewProcess(ProcessArgs{FDs: a.FDs, Limits: a.Limits, FS: a.FS, Creds: a.Creds})
	if err != nil {
		return nil, err
	}
	if a.NoNewPrivs {
		t.SetNoNewPrivs()
	}
	fc := a.FS
	pop := &vfs.PathOperation{Root: fc.Root(), Start: fc.Cwd(), Path: a.Path, FollowFinal: true}
	if len(a.Path) > 0 && a.Path[0] == '/' {
		pop.Start = pop.Root
	}
	err = t.exec(ExecRequest{
		Pop:      pop,
		Filename: a.Path,
		Args:     func() ([]string, []string, error) { return a.Argv, a.Envv, nil },
	})
	if err != nil {
		k.mu.Lock()
		delete(k.tasks, t.tid)
		k.forgetProcessLocked(t.tg)
		k.mu.Unlock()
		t.ctx.Release()
		return nil, fmt.Errorf("exec %s: %w", a.Path, err)
	}
	return t, nil
}
