package linux

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/tmpfs"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/mm"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// tmpfsEnv is a task whose root is a tmpfs (mode 0755) with a noexec
// tmpfs mounted at /noexec; rwBase is mapped read-write for arguments.
type tmpfsEnv struct {
	t    *testing.T
	task *kernel.Task
	root vfs.VirtualDentry
}

type rootCtx struct{}

func (rootCtx) Credentials() *auth.Credentials         { return auth.Root() }
func (rootCtx) BlockFD(int, int16) error               { return nil }
func (rootCtx) Block(<-chan struct{}, time.Time) error { return nil }

func newTmpfsTask(t *testing.T) *tmpfsEnv {
	t.Helper()
	mf, err := pgalloc.New("sys-exec-test", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mf.Close)
	m := mm.New(mf, fakeAS{}, mm.Layout{MaxAddr: testMaxAddr, StackTop: 0x7ff000000000, MmapBase: 0x7f0000000000, PIEBase: 0x555555554000})
	if _, err := m.MMap(mm.MMapOpts{Addr: rwBase, Length: rwSize, Prot: platform.Prot{Read: true, Write: true}, Fixed: true}); err != nil {
		t.Fatal(err)
	}
	k := kernel.NewKernel(fakePlatform{}, mf, AMD64)
	v := vfs.New()
	fs, rootInode := tmpfs.NewFilesystem(v, mf, tmpfs.Options{RootMode: 0o755})
	ns := v.NewMountNamespace(fs, rootInode, "tmpfs", vfs.MountFlags{})
	k.VFS, k.MountNS = v, ns
	root := ns.Root()
	task, err := k.NewProcess(kernel.ProcessArgs{
		MM: m, FDs: kernel.NewFDTable(), Limits: kernel.DefaultLimits(),
		FS: kernel.NewFSContext(root, root),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { task.FDTable().Release() })
	e := &tmpfsEnv{t: t, task: task, root: root}
	if err := v.MkdirAt(rootCtx{}, e.pop("/noexec"), 0o755); err != nil {
		t.Fatal(err)
	}
	nfs, nroot := tmpfs.NewFilesystem(v, mf, tmpfs.Options{RootMode: 0o755})
	mnt, err := v.GetDentryAt(rootCtx{}, e.pop("/noexec"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Mount(mnt, nfs, v.NewRootDentry(nfs, nroot), "tmpfs", vfs.MountFlags{NoExec: true}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *tmpfsEnv) pop(p string) *vfs.PathOperation {
	return &vfs.PathOperation{Root: e.root, Start: e.root, Path: p, FollowFinal: true}
}

// write creates the file p with mode and data.
func (e *tmpfsEnv) write(p string, mode uint32, data []byte) {
	e.t.Helper()
	f, err := e.task.VFS().OpenAt(rootCtx{}, e.pop(p), vfs.OpenOptions{Flags: linux.O_CREAT | linux.O_WRONLY | linux.O_TRUNC, Mode: mode})
	if err != nil {
		e.t.Fatalf("create %s: %v", p, err)
	}
	defer f.DecRef()
	if _, err := f.Write(rootCtx{}, data); err != nil {
		e.t.Fatalf("write %s: %v", p, err)
	}
}

// open opens p with flags into the task's FD table.
func (e *tmpfsEnv) open(p string, flags uint32, cloexec bool) uint64 {
	e.t.Helper()
	f, err := e.task.VFS().OpenAt(rootCtx{}, e.pop(p), vfs.OpenOptions{Flags: flags})
	if err != nil {
		e.t.Fatalf("open %s: %v", p, err)
	}
	defer f.DecRef()
	fd, err := e.task.FDTable().NewFD(f, 0, cloexec, 1024)
	if err != nil {
		e.t.Fatal(err)
	}
	return uint64(fd)
}

// str puts s (NUL-terminated) at addr and returns addr.
func (e *tmpfsEnv) str(addr uint64, s string) uint64 {
	poke(e.t, e.task, addr, append([]byte(s), 0))
	return addr
}

// vec puts a NULL-terminated pointer array at addr and returns addr.
func (e *tmpfsEnv) vec(addr uint64, ptrs ...uint64) uint64 {
	b := make([]byte, 0, 8*(len(ptrs)+1))
	for _, p := range append(ptrs, 0) {
		b = binary.LittleEndian.AppendUint64(b, p)
	}
	poke(e.t, e.task, addr, b)
	return addr
}

// execELF is a static executable whose entry point is vaddr+0x800.
func execELF(vaddr uint64) []byte {
	const size = 0x1000
	eh := linux.Elf64_Ehdr{
		Type: linux.ET_EXEC, Machine: linux.EM_X86_64, Version: linux.EV_CURRENT,
		Entry: vaddr + 0x800, Phoff: linux.Elf64_EhdrSize, Ehsize: linux.Elf64_EhdrSize,
		Phentsize: linux.Elf64_PhdrSize, Phnum: 1,
	}
	copy(eh.Ident[:], linux.ELFMAG)
	eh.Ident[linux.EI_CLASS] = linux.ELFCLASS64
	eh.Ident[linux.EI_DATA] = linux.ELFDATA2LSB
	eh.Ident[linux.EI_VERSION] = linux.EV_CURRENT
	ph := linux.Elf64_Phdr{Type: linux.PT_LOAD, Flags: linux.PF_R | linux.PF_X, Vaddr: vaddr, Filesz: size, Memsz: size, Align: size}
	var w bytes.Buffer
	binary.Write(&w, binary.LittleEndian, &eh)
	binary.Write(&w, binary.LittleEndian, &ph)
	buf := make([]byte, size)
	copy(buf, w.Bytes())
	return buf
}

// argvOnStack reads the new image's argv.
func argvOnStack(t *testing.T, task *kernel.Task) []string {
	t.Helper()
	sp := task.Regs().Rsp
	argc, err := usermem.CopyInUint64(task, sp)
	if err != nil {
		t.Fatal(err)
	}
	var argv []string
	for i := uint64(0); i < argc; i++ {
		p, _ := usermem.CopyInUint64(task, sp+8+8*i)
		s, err := usermem.CopyInString(task, p, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		argv = append(argv, s)
	}
	return argv
}

func TestExecve(t *testing.T) {
	e := newTmpfsTask(t)
	e.write("/prog", 0o755, execELF(0x400000))
	path := e.str(rwBase, "/prog")
	argv := e.vec(rwBase+0x100, e.str(rwBase+0x200, "prog"), e.str(rwBase+0x300, "hello"))
	envv := e.vec(rwBase+0x400, e.str(rwBase+0x500, "A=B"))
	if _, err := call(t, e.task, linux.SYS_EXECVE, path, argv, envv); err != kernel.ErrNoReturn {
		t.Fatalf("execve = %v, want success (ErrNoReturn)", err)
	}
	if rip := e.task.Regs().Rip; rip != 0x400800 {
		t.Errorf("rip %#x, want the entry point 0x400800", rip)
	}
	if got := argvOnStack(t, e.task); strings.Join(got, " ") != "prog hello" {
		t.Errorf("argv %q", got)
	}
}

func TestExecveErrors(t *testing.T) {
	big := strings.Repeat("x", maxArgStrlen)
	for _, tc := range []struct {
		name string
		// setup returns the syscall and its arguments, given an
		// environment with /prog, /noexec/prog, /link -> prog and
		// memory at rwBase (rebuilt for every case: exec replaces the
		// image).
		setup func(e *tmpfsEnv) (uintptr, []uint64)
		want  error
	}{
		{"bad path pointer", func(e *tmpfsEnv) (uintptr, []uint64) { return linux.SYS_EXECVE, []uint64{badAddr, 0, 0} }, linux.EFAULT},
		{"empty path", func(e *tmpfsEnv) (uintptr, []uint64) { return linux.SYS_EXECVE, []uint64{e.str(rwBase, ""), 0, 0} }, linux.ENOENT},
		{"missing", func(e *tmpfsEnv) (uintptr, []uint64) { return linux.SYS_EXECVE, []uint64{e.str(rwBase, "/nope"), 0, 0} }, linux.ENOENT},
		{"directory", func(e *tmpfsEnv) (uintptr, []uint64) { return linux.SYS_EXECVE, []uint64{e.str(rwBase, "/"), 0, 0} }, linux.EACCES},
		{"noexec mount", func(e *tmpfsEnv) (uintptr, []uint64) {
			return linux.SYS_EXECVE, []uint64{e.str(rwBase, "/noexec/prog"), 0, 0}
		}, linux.EACCES},
		{"bad argv pointer", func(e *tmpfsEnv) (uintptr, []uint64) {
			return linux.SYS_EXECVE, []uint64{e.str(rwBase, "/prog"), badAddr, 0}
		}, linux.EFAULT},
		{"bad argv string", func(e *tmpfsEnv) (uintptr, []uint64) {
			return linux.SYS_EXECVE, []uint64{e.str(rwBase, "/prog"), e.vec(rwBase+0x100, badAddr), 0}
		}, linux.EFAULT},
		{"path error before argv error", func(e *tmpfsEnv) (uintptr, []uint64) {
			return linux.SYS_EXECVE, []uint64{e.str(rwBase, "/nope"), badAddr, 0}
		}, linux.ENOENT},
		{"string longer than MAX_ARG_STRLEN", func(e *tmpfsEnv) (uintptr, []uint64) {
			return linux.SYS_EXECVE, []uint64{e.str(rwBase, "/prog"), e.vec(rwBase+0x100, e.str(rwBase+0x1000, big)), 0}
		}, linux.E2BIG},
		{"execveat bad flags", func(e *tmpfsEnv) (uintptr, []uint64) {
			return linux.SYS_EXECVEAT, []uint64{uint64(linux.AT_FDCWD & 0xffffffff), e.str(rwBase, "/prog"), 0, 0, 0x4}
		}, linux.EINVAL},
		{"execveat nofollow on a symlink", func(e *tmpfsEnv) (uintptr, []uint64) {
			return linux.SYS_EXECVEAT, []uint64{uint64(linux.AT_FDCWD & 0xffffffff), e.str(rwBase, "/link"), 0, 0, linux.AT_SYMLINK_NOFOLLOW}
		}, linux.ELOOP},
		{"execveat relative to a file", func(e *tmpfsEnv) (uintptr, []uint64) {
			fd := e.open("/prog", linux.O_RDONLY, false)
			return linux.SYS_EXECVEAT, []uint64{fd, e.str(rwBase, "x"), 0, 0, 0}
		}, linux.ENOTDIR},
		{"execveat empty path of a pipe", func(e *tmpfsEnv) (uintptr, []uint64) {
			r, _ := pipeFDs(e.t, e.task)
			return linux.SYS_EXECVEAT, []uint64{r, e.str(rwBase, ""), 0, 0, linux.AT_EMPTY_PATH}
		}, linux.EACCES},
		{"execveat empty path of the cwd", func(e *tmpfsEnv) (uintptr, []uint64) {
			return linux.SYS_EXECVEAT, []uint64{uint64(linux.AT_FDCWD & 0xffffffff), e.str(rwBase, ""), 0, 0, linux.AT_EMPTY_PATH}
		}, linux.EACCES},
		{"execveat bad fd", func(e *tmpfsEnv) (uintptr, []uint64) {
			return linux.SYS_EXECVEAT, []uint64{77, e.str(rwBase, "prog"), 0, 0, 0}
		}, linux.EBADF},
		{"script by close-on-exec fd", func(e *tmpfsEnv) (uintptr, []uint64) {
			fd := e.open("/script", linux.O_PATH, true)
			return linux.SYS_EXECVEAT, []uint64{fd, e.str(rwBase, ""), 0, 0, linux.AT_EMPTY_PATH}
		}, linux.ENOENT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTmpfsTask(t)
			e.write("/prog", 0o755, execELF(0x400000))
			e.write("/noexec/prog", 0o755, execELF(0x400000))
			e.write("/script", 0o755, []byte("#!/prog\n"))
			if err := e.task.VFS().SymlinkAt(rootCtx{}, e.pop("/link"), "prog"); err != nil {
				t.Fatal(err)
			}
			nr, args := tc.setup(e)
			if _, err := call(t, e.task, nr, args...); err != tc.want {
				t.Errorf("%s = %v, want %v", linux.SyscallName(nr), err, tc.want)
			}
		})
	}
}

func TestExecveatByFD(t *testing.T) {
	for _, tc := range []struct {
		name    string
		flags   uint32
		cloexec bool
		path    string
		atFlags uint64
	}{
		{"O_PATH fd, empty path", linux.O_PATH, true, "", linux.AT_EMPTY_PATH},
		{"O_RDONLY fd, empty path", linux.O_RDONLY, false, "", linux.AT_EMPTY_PATH},
		{"directory fd, relative path", linux.O_RDONLY | linux.O_DIRECTORY, false, "prog", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTmpfsTask(t)
			e.write("/prog", 0o755, execELF(0x400000))
			target := "/prog"
			if tc.path != "" {
				target = "/"
			}
			fd := e.open(target, tc.flags, tc.cloexec)
			_, err := call(t, e.task, linux.SYS_EXECVEAT, fd, e.str(rwBase, tc.path), 0, 0, tc.atFlags)
			if err != kernel.ErrNoReturn {
				t.Fatalf("execveat = %v, want success", err)
			}
			if got := argvOnStack(t, e.task); len(got) != 1 || got[0] != "" {
				t.Errorf("argv %q, want the empty argv[0] Linux gives a NULL argv", got)
			}
			if tc.cloexec {
				if _, _, err := e.task.FDTable().Get(int32(fd)); err != linux.EBADF {
					t.Errorf("close-on-exec fd survived exec")
				}
			}
		})
	}
}
