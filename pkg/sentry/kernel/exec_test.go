package kernel

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/tmpfs"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

const testMaxAddr = 0x7fff_ffff_f000

// execPlatform runs no code: a context's Switch waits until it is
// interrupted, so started tasks sit in "application code" until they are
// told to stop.
type execPlatform struct {
	mu       sync.Mutex
	released int // address spaces released
}

func (p *execPlatform) Name() string { return "fake" }
func (p *execPlatform) NewAddressSpace() (platform.AddressSpace, error) {
	return &execAS{p: p}, nil
}
func (p *execPlatform) NewContext() platform.Context {
	return &execContext{wake: make(chan struct{}, 1)}
}
func (p *execPlatform) MaxUserAddress() uint64 { return testMaxAddr }

type execAS struct{ p *execPlatform }

func (as *execAS) MapFile(uint64, int, uint64, uint64, platform.Prot) error { return nil }
func (as *execAS) Unmap(uint64, uint64) error                               { return nil }
func (as *execAS) Protect(uint64, uint64, platform.Prot) error              { return nil }
func (as *execAS) Release() {
	as.p.mu.Lock()
	as.p.released++
	as.p.mu.Unlock()
}

type execContext struct {
	wake     chan struct{}
	released bool
}

func (c *execContext) Switch(platform.AddressSpace, *linux.PtraceRegs) (platform.Event, *linux.SignalInfo, error) {
	<-c.wake
	return platform.EventInterrupted, nil, nil
}

func (c *execContext) Interrupt() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}
func (c *execContext) FPState() ([]byte, error)    { return make([]byte, 512), nil }
func (c *execContext) SetFPState([]byte) error     { return nil }
func (c *execContext) LastTrap() platform.TrapInfo { return platform.TrapInfo{} }
func (c *execContext) CPUTime() int64              { return 0 }
func (c *execContext) Release()                    { c.released = true }

// fsCtx is a vfs.Context for setting up files.
type fsCtx struct{ creds *auth.Credentials }

func (c fsCtx) Credentials() *auth.Credentials         { return c.creds }
func (c fsCtx) BlockFD(int, int16) error               { return nil }
func (c fsCtx) Block(<-chan struct{}, time.Time) error { return nil }

// execEnv is a kernel with a tmpfs root.
type execEnv struct {
	t  *testing.T
	k  *Kernel
	p  *execPlatform
	mf *pgalloc.MemoryFile
}

func newExecEnv(t *testing.T) *execEnv {
	t.Helper()
	mf, err := pgalloc.New("exec-test", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mf.Close)
	p := &execPlatform{}
	k := NewKernel(p, mf, &SyscallTable{Entries: map[uintptr]Syscall{}})
	k.XStateSize = 512
	v := vfs.New()
	fs, root := tmpfs.NewFilesystem(v, mf, tmpfs.Options{RootMode: 0o755})
	k.VFS = v
	k.MountNS = v.NewMountNamespace(fs, root, "tmpfs", vfs.MountFlags{})
	e := &execEnv{t: t, k: k, p: p, mf: mf}
	e.mkdir("/bin")
	return e
}

func (e *execEnv) pop(p string) *vfs.PathOperation {
	root := e.k.MountNS.Root()
	return &vfs.PathOperation{Root: root, Start: root, Path: p, FollowFinal: true}
}

func (e *execEnv) mkdir(p string) {
	e.t.Helper()
	if err := e.k.VFS.MkdirAt(fsCtx{auth.Root()}, e.pop(p), 0o755); err != nil {
		e.t.Fatalf("mkdir %s: %v", p, err)
	}
}

// write creates the file p with mode and data.
func (e *execEnv) write(p string, mode uint32, data []byte) {
	e.t.Helper()
	ctx := fsCtx{auth.Root()}
	f, err := e.k.VFS.OpenAt(ctx, e.pop(p), vfs.OpenOptions{Flags: linux.O_CREAT | linux.O_WRONLY | linux.O_TRUNC, Mode: mode})
	if err != nil {
		e.t.Fatalf("create %s: %v", p, err)
	}
	defer f.DecRef()
	if _, err := f.Write(ctx, data); err != nil {
		e.t.Fatalf("write %s: %v", p, err)
	}
}

func (e *execEnv) dentry(p string) vfs.VirtualDentry {
	e.t.Helper()
	vd, err := e.k.VFS.GetDentryAt(fsCtx{auth.Root()}, e.pop(p))
	if err != nil {
		e.t.Fatalf("lookup %s: %v", p, err)
	}
	return vd
}

// start creates the first process running p.
func (e *execEnv) start(p string, argv []string, creds *auth.Credentials) (*Task, error) {
	root := e.k.MountNS.Root()
	return e.k.NewProcessFromExec(ExecArgs{
		Path:   p,
		Argv:   argv,
		Envv:   []string{"HOME=/"},
		FDs:    NewFDTable(),
		FS:     NewFSContext(root, root),
		Limits: DefaultLimits(),
		Creds:  creds,
	})
}

// miniELF is a static executable: one read-execute segment holding the
// whole file at vaddr, and an optional PT_INTERP.
func miniELF(typ uint16, vaddr uint64, interp string) []byte {
	const size = 0x1000
	buf := make([]byte, size)
	eh := linux.Elf64_Ehdr{
		Type: typ, Machine: linux.EM_X86_64, Version: linux.EV_CURRENT,
		Entry: vaddr + 0x800, Phoff: linux.Elf64_EhdrSize,
		Ehsize: linux.Elf64_EhdrSize, Phentsize: linux.Elf64_PhdrSize,
	}
	copy(eh.Ident[:], linux.ELFMAG)
	eh.Ident[linux.EI_CLASS] = linux.ELFCLASS64
	eh.Ident[linux.EI_DATA] = linux.ELFDATA2LSB
	eh.Ident[linux.EI_VERSION] = linux.EV_CURRENT
	phdrs := []linux.Elf64_Phdr{{Type: linux.PT_LOAD, Flags: linux.PF_R | linux.PF_X, Vaddr: vaddr, Filesz: size, Memsz: size, Align: size}}
	if interp != "" {
		copy(buf[0x200:], interp+"\x00")
		phdrs = append([]linux.Elf64_Phdr{{Type: linux.PT_INTERP, Flags: linux.PF_R, Off: 0x200, Vaddr: vaddr + 0x200, Filesz: uint64(len(interp) + 1), Memsz: uint64(len(interp) + 1)}}, phdrs...)
	}
	eh.Phnum = uint16(len(phdrs))
	var w bytes.Buffer
	binary.Write(&w, binary.LittleEndian, &eh)
	binary.Write(&w, binary.LittleEndian, phdrs)
	copy(buf, w.Bytes())
	copy(buf[0x800:], "\x0f\x05") // syscall
	return buf
}

// stackArgs reads argv and AT_EXECFN from the new image's stack.
func stackArgs(t *testing.T, task *Task) (argv []string, execfn string) {
	t.Helper()
	m := task.MM()
	sp := task.Regs().Rsp
	argc, err := usermem.CopyInUint64(m, sp)
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < argc; i++ {
		p, _ := usermem.CopyInUint64(m, sp+8+8*i)
		s, err := usermem.CopyInString(m, p, 4096)
		if err != nil {
			t.Fatal(err)
		}
		argv = append(argv, s)
	}
	p := sp + 8 + 8*(argc+1)
	for { // skip envp
		v, _ := usermem.CopyInUint64(m, p)
		p += 8
		if v == 0 {
			break
		}
	}
	for {
		k, _ := usermem.CopyInUint64(m, p)
		v, _ := usermem.CopyInUint64(m, p+8)
		p += 16
		if k == linux.AT_NULL {
			break
		}
		if k == linux.AT_EXECFN {
			execfn, _ = usermem.CopyInString(m, v, 4096)
		}
	}
	return argv, execfn
}

func TestExecStatic(t *testing.T) {
	e := newExecEnv(t)
	e.write("/bin/prog", 0o755, miniELF(linux.ET_EXEC, 0x400000, ""))
	task, err := e.start("/bin/prog", []string{"prog", "arg"}, nil)
	if err != nil {
		t.Fatalf("exec: %v", err)
	}
	regs := task.Regs()
	if regs.Rip != 0x400800 || regs.Cs != linux.USER_CS || regs.Ss != linux.USER_DS || regs.Rsp%16 != 0 {
		t.Errorf("registers rip %#x cs %#x ss %#x rsp %#x", regs.Rip, regs.Cs, regs.Ss, regs.Rsp)
	}
	argv, execfn := stackArgs(t, task)
	if strings.Join(argv, " ") != "prog arg" || execfn != "/bin/prog" {
		t.Errorf("argv %q, AT_EXECFN %q", argv, execfn)
	}
	if exe := task.ThreadGroup().Executable(); exe != e.dentry("/bin/prog") {
		t.Errorf("executable not recorded")
	}
	if s, end := task.ThreadGroup().ArgRange(); end-s != uint64(len("prog\x00arg\x00")) {
		t.Errorf("argument range [%#x, %#x)", s, end)
	}
	if got := task.Name(); got != "prog" {
		t.Errorf("name %q, want prog", got)
	}
}

func TestExecScripts(t *testing.T) {
	e := newExecEnv(t)
	e.write("/bin/prog", 0o755, miniELF(linux.ET_EXEC, 0x400000, ""))
	e.write("/bin/script", 0o755, []byte("#! /bin/prog  -x  y \nrest\n"))
	e.write("/bin/s0", 0o755, []byte("#!/bin/prog\n"))
	for i := 1; i <= 5; i++ {
		e.write("/bin/s"+string(rune('0'+i)), 0o755, []byte("#!/bin/s"+string(rune('0'+i-1))+"\n"))
	}
	for _, tc := range []struct {
		path     string
		wantArgv []string
		wantErr  error
	}{
		{"/bin/script", []string{"/bin/prog", "-x  y", "/bin/script", "a1"}, nil},
		{"/bin/s1", []string{"/bin/prog", "/bin/s0", "/bin/s1", "a1"}, nil},
		// Five scripts can chain to a binary; the sixth is ELOOP, as
		// natively.
		{"/bin/s4", []string{"/bin/prog", "/bin/s0", "/bin/s1", "/bin/s2", "/bin/s3", "/bin/s4", "a1"}, nil},
		{"/bin/s5", nil, linux.ELOOP},
	} {
		t.Run(path.Base(tc.path), func(t *testing.T) {
			task, err := e.start(tc.path, []string{"A0", "a1"}, nil)
			if !errors.Is(err, tc.wantErr) && err != tc.wantErr {
				t.Fatalf("exec = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			argv, execfn := stackArgs(t, task)
			if strings.Join(argv, "|") != strings.Join(tc.wantArgv, "|") {
				t.Errorf("argv %q, want %q", argv, tc.wantArgv)
			}
			if execfn != tc.path {
				t.Errorf("AT_EXECFN %q, want the script %q", execfn, tc.path)
			}
			if exe := task.ThreadGroup().Executable(); exe != e.dentry("/bin/prog") {
				t.Errorf("executable is not the final binary")
			}
			if task.Name() != path.Base(tc.path) {
				t.Errorf("name %q, want the script's", task.Name())
			}
		})
	}
}

func TestParseShebang(t *testing.T) {
	pad := func(s string) []byte {
		b := make([]byte, binprmBufSize)
		copy(b, s)
		return b
	}
	for _, tc := range []struct {
		name      string
		buf       []byte
		wantName  string
		wantArg   string
		wantOK    bool
		wantErrno error
	}{
		{"no newline", pad("#!/bin/sh"), "/bin/sh", "", true, nil},
		{"plain", pad("#!/bin/sh\n"), "/bin/sh", "", true, nil},
		{"blanks and argument", pad("#! /bin/sh  x  y \n"), "/bin/sh", "x  y", true, nil},
		{"tabs", pad("#!\t/bin/sh\targ\n"), "/bin/sh", "arg", true, nil},
		{"NUL ends the name", pad("#!/bin/sh\x00 x\n"), "/bin/sh", "", true, nil},
		{"NUL ends the argument", pad("#!/bin/sh x\x00y\n"), "/bin/sh", "x", true, nil},
		{"carriage return kept", pad("#!/bin/sh x\r\n"), "/bin/sh", "x\r", true, nil},
		{"only blanks", pad("#!   \n"), "", "", false, linux.ENOEXEC},
		{"empty line", pad("#!\n"), "", "", false, linux.ENOEXEC},
		{"nothing after #!", pad("#!"), "", "", true, nil},
		{"not a script", pad(" #!/bin/sh\n"), "", "", false, nil},
		{"name cut off", []byte("#!" + strings.Repeat("/", 254)), "", "", false, linux.ENOEXEC},
		{"line cut off after the name", []byte("#!/bin/sh " + strings.Repeat("x", 246)), "/bin/sh", strings.Repeat("x", 245), true, nil},
		{"only blanks, no newline", []byte("#!" + strings.Repeat(" ", 254)), "", "", false, linux.ENOEXEC},
		// Without a newline, blanks before the NUL padding stay
		// (natively too).
		{"blank before the end of a short file", pad("#!/bin/sh x "), "/bin/sh", "x ", true, nil},
		{"trailing blanks, no newline", []byte("#!/bin/sh" + strings.Repeat(" ", 247)), "/bin/sh", "", true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, arg, ok, err := parseShebang(tc.buf)
			if err != tc.wantErrno {
				t.Fatalf("err = %v, want %v", err, tc.wantErrno)
			}
			if err != nil {
				return
			}
			if name != tc.wantName || arg != tc.wantArg || ok != tc.wantOK {
				t.Errorf("got (%q, %q, %v), want (%q, %q, %v)", name, arg, ok, tc.wantName, tc.wantArg, tc.wantOK)
			}
		})
	}
}

func TestExecErrors(t *testing.T) {
	e := newExecEnv(t)
	prog := miniELF(linux.ET_EXEC, 0x400000, "")
	e.write("/bin/prog", 0o755, prog)
	e.write("/bin/noexec", 0o644, prog)
	e.write("/bin/execonly", 0o711, prog)
	e.write("/bin/garbage", 0o755, []byte("\x01\x02\x03 not a program"))
	e.write("/bin/empty", 0o755, nil)
	e.write("/bin/nointerp", 0o755, []byte("#!/bin/missing\n"))
	e.write("/bin/emptyinterp", 0o755, []byte("#!"))
	e.write("/bin/dirinterp", 0o755, []byte("#!/bin\n"))
	e.write("/bin/dyn-missing", 0o755, miniELF(linux.ET_EXEC, 0x400000, "/lib/ld.so"))
	e.write("/bin/dyn-garbage", 0o755, miniELF(linux.ET_EXEC, 0x400000, "/bin/garbage"))
	if err := e.k.VFS.SymlinkAt(fsCtx{auth.Root()}, e.pop("/bin/link"), "prog"); err != nil {
		t.Fatal(err)
	}
	// A noexec mount.
	e.mkdir("/mnt")
	fs, root := tmpfs.NewFilesystem(e.k.VFS, e.mf, tmpfs.Options{RootMode: 0o755})
	if _, err := e.k.VFS.Mount(e.dentry("/mnt"), fs, e.k.VFS.NewRootDentry(fs, root), "tmpfs", vfs.MountFlags{NoExec: true}); err != nil {
		t.Fatal(err)
	}
	e.write("/mnt/prog", 0o755, prog)

	user := &auth.Credentials{RealUID: 1000, EffectiveUID: 1000, SavedUID: 1000, FilesystemUID: 1000, RealGID: 1000, EffectiveGID: 1000, SavedGID: 1000, FilesystemGID: 1000}
	for _, tc := range []struct {
		path  string
		creds *auth.Credentials
		want  error
	}{
		{"/bin/missing", nil, linux.ENOENT},
		{"/bin/prog/x", nil, linux.ENOTDIR},
		{"/bin", nil, linux.EACCES},
		{"/bin/noexec", nil, linux.EACCES},
		{"/bin/noexec", user, linux.EACCES},
		{"/bin/execonly", user, nil},
		{"/mnt/prog", nil, linux.EACCES},
		{"/bin/garbage", nil, linux.ENOEXEC},
		{"/bin/empty", nil, linux.ENOEXEC},
		{"/bin/nointerp", nil, linux.ENOENT},
		{"/bin/emptyinterp", nil, linux.EACCES},
		{"/bin/dirinterp", nil, linux.EACCES},
		{"/bin/dyn-missing", nil, linux.ENOENT},
		{"/bin/dyn-garbage", nil, linux.ELIBBAD},
		{"/bin/link", nil, nil},
	} {
		t.Run(path.Base(tc.path), func(t *testing.T) {
			_, err := e.start(tc.path, []string{"x"}, tc.creds)
			if !errors.Is(err, tc.want) && err != tc.want {
				t.Errorf("exec %s = %v, want %v", tc.path, err, tc.want)
			}
		})
	}
	if n := e.k.NumTasks(); n != 2 {
		t.Errorf("%d tasks left, want the 2 successful ones", n)
	}
}

func TestExecNoFollow(t *testing.T) {
	e := newExecEnv(t)
	e.write("/bin/prog", 0o755, miniELF(linux.ET_EXEC, 0x400000, ""))
	if err := e.k.VFS.SymlinkAt(fsCtx{auth.Root()}, e.pop("/bin/link"), "prog"); err != nil {
		t.Fatal(err)
	}
	task, err := e.start("/bin/prog", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	pop := e.pop("/bin/link")
	pop.FollowFinal = false
	err = task.Exec(ExecRequest{Pop: pop, Filename: "/bin/link", Args: func() ([]string, []string, error) { return nil, nil, nil }})
	if err != linux.ELOOP {
		t.Errorf("exec of a symlink without following = %v, want ELOOP", err)
	}
	// By file: execveat(fd, "", AT_EMPTY_PATH).
	err = task.Exec(ExecRequest{File: e.dentry("/bin/prog"), Filename: "/dev/fd/3", Args: func() ([]string, []string, error) { return nil, nil, nil }})
	if err != nil {
		t.Fatalf("exec by file: %v", err)
	}
	if _, execfn := stackArgs(t, task); execfn != "/dev/fd/3" || task.Name() != "prog" {
		t.Errorf("AT_EXECFN %q, name %q", execfn, task.Name())
	}
	// A script by a close-on-exec descriptor cannot work.
	e.write("/bin/script", 0o755, []byte("#!/bin/prog\n"))
	err = task.Exec(ExecRequest{File: e.dentry("/bin/script"), Filename: "/dev/fd/3", PathInaccessible: true, Args: func() ([]string, []string, error) { return nil, nil, nil }})
	if err != linux.ENOENT {
		t.Errorf("exec of a script by a close-on-exec fd = %v, want ENOENT", err)
	}
}

// testFile is a file description for FD table tests.
type testFile struct {
	vfs.FileBase
	refs int
}

func (f *testFile) IncRef() { f.refs++ }
func (f *testFile) DecRef() { f.refs-- }

func TestExecReplacesImage(t *testing.T) {
	e := newExecEnv(t)
	e.write("/bin/prog", 0o755, miniELF(linux.ET_EXEC, 0x400000, ""))
	e.write("/bin/pie", 0o755, miniELF(linux.ET_DYN, 0, ""))
	task, err := e.start("/bin/prog", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tg := task.ThreadGroup()
	keep, drop := &testFile{refs: 1}, &testFile{refs: 1}
	tg.FDTable().SetFD(3, keep, false, 1024)
	tg.FDTable().SetFD(4, drop, true, 1024)
	handler := linux.SigAction{Handler: 0x401000, Flags: linux.SA_RESTART, Mask: linux.SignalSetOf(linux.SIGUSR2)}
	task.SigAction(linux.SIGUSR1, &handler)
	task.SigAction(linux.SIGPIPE, &linux.SigAction{Handler: linux.SIG_IGN, Flags: linux.SA_RESTART})
	task.altStack = linux.SignalStack{Sp: 0x1000, Size: 0x4000}
	task.robustList, task.clearTID = 0x1234, 0x5678
	oldMM := task.MM()

	err = task.Exec(ExecRequest{Pop: e.pop("/bin/pie"), Filename: "/bin/pie", Args: func() ([]string, []string, error) { return []string{"pie"}, nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if task.MM() == oldMM {
		t.Errorf("address space not replaced")
	}
	e.p.mu.Lock()
	released := e.p.released
	e.p.mu.Unlock()
	if released != 1 || !task.Context().(*execContext).released {
		t.Errorf("old address space released %d times, context released %v", released, task.Context().(*execContext).released)
	}
	if keep.refs != 2 || drop.refs != 1 {
		t.Errorf("refs: kept fd %d (want 2: ours and the table's), close-on-exec fd %d (want 1: ours)", keep.refs, drop.refs)
	}
	if _, _, err := tg.FDTable().Get(4); err != linux.EBADF {
		t.Errorf("close-on-exec fd still open")
	}
	if got, _ := task.SigAction(linux.SIGUSR1, nil); got != (linux.SigAction{Handler: linux.SIG_DFL}) {
		t.Errorf("SIGUSR1 action after exec %+v, want SIG_DFL", got)
	}
	if got, _ := task.SigAction(linux.SIGPIPE, nil); got != (linux.SigAction{Handler: linux.SIG_IGN}) {
		t.Errorf("SIGPIPE action after exec %+v, want plain SIG_IGN", got)
	}
	if task.altStack.Flags != linux.SS_DISABLE || task.robustList != 0 || task.clearTID != 0 {
		t.Errorf("alt stack %+v, robust list %#x, clear tid %#x", task.altStack, task.robustList, task.clearTID)
	}
	if rip := task.Regs().Rip; rip < 0x5555_5555_4000 || rip%0x1000 != 0x800 {
		t.Errorf("rip %#x not in the position-independent image", rip)
	}
}

func TestExecCreds(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        auth.Credentials
		permitted auth.CapSet
		effective auth.CapSet
	}{
		{"root", auth.Credentials{Permitted: 1, Effective: 1, Bounding: auth.AllCaps}, auth.AllCaps, auth.AllCaps},
		{"real root", auth.Credentials{EffectiveUID: 5, Permitted: auth.AllCaps, Effective: auth.AllCaps, Bounding: auth.AllCaps}, auth.AllCaps, 0},
		{"user with caps", auth.Credentials{RealUID: 5, EffectiveUID: 5, Permitted: auth.AllCaps, Effective: auth.AllCaps, Bounding: auth.AllCaps}, 0, 0},
		{"root, reduced bounding set", auth.Credentials{Permitted: auth.AllCaps, Effective: auth.AllCaps, Bounding: 0b1010, Inheritable: 0b100}, 0b1110, 0b1110},
		{"keepcaps cleared", auth.Credentials{Securebits: 1<<linux.SECURE_KEEP_CAPS | 1<<linux.SECURE_NO_SETUID_FIXUP, Bounding: auth.AllCaps}, auth.AllCaps, auth.AllCaps},
		{"root under SECURE_NOROOT gets the ambient set", auth.Credentials{Securebits: 1 << linux.SECURE_NOROOT, Permitted: auth.AllCaps, Effective: auth.AllCaps, Inheritable: 0b11, Ambient: 0b1, Bounding: auth.AllCaps}, 0b1, 0b1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.SavedUID, in.FilesystemUID = 77, 78
			c := execCreds(&in)
			if c.Secure(linux.SECURE_KEEP_CAPS) {
				t.Errorf("keepcaps survived the exec")
			}
			if want := in.Securebits &^ (1 << linux.SECURE_KEEP_CAPS); c.Securebits != want {
				t.Errorf("securebits %#x after the exec, want %#x (all but keepcaps kept)", c.Securebits, want)
			}
			if c.Permitted != tc.permitted || c.Effective != tc.effective {
				t.Errorf("caps %x/%x, want %x/%x", c.Permitted, c.Effective, tc.permitted, tc.effective)
			}
			if c.SavedUID != in.EffectiveUID || c.FilesystemUID != in.EffectiveUID {
				t.Errorf("saved/fs uid %d/%d, want the effective %d", c.SavedUID, c.FilesystemUID, in.EffectiveUID)
			}
		})
	}
}

// TestExecKillsOtherThreads runs the group's other tasks (parked in their
// fake application code) and execs from a thread that is not the leader:
// the others die and the exec'ing thread takes over the process id.
func TestExecKillsOtherThreads(t *testing.T) {
	e := newExecEnv(t)
	e.write("/bin/prog", 0o755, miniELF(linux.ET_EXEC, 0x400000, ""))
	leader, err := e.start("/bin/prog", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tg := leader.ThreadGroup()
	// Two more threads, one of which will exec; it does not run (it
	// stands for a thread inside the execve system call).
	if _, err := leader.Clone(CloneOptions{Flags: threadFlags}); err != nil {
		t.Fatal(err)
	}
	execer := e.k.newTask(tg)
	execer.fs = leader.fs
	execer.creds.p.Store(leader.Credentials())
	e.k.mu.Lock()
	tg.mu.Lock()
	execer.tid, _ = e.k.allocTID(execer)
	tg.tasks[execer] = struct{}{}
	tg.mu.Unlock()
	e.k.mu.Unlock()
	leader.Start()

	err = execer.Exec(ExecRequest{Pop: e.pop("/bin/prog"), Filename: "/bin/prog", Args: func() ([]string, []string, error) { return nil, nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if tasks := tg.Tasks(); len(tasks) != 1 || tasks[0] != execer {
		t.Errorf("tasks after exec: %v", tasks)
	}
	if execer.ID() != tg.ID() || e.k.TaskByID(tg.ID()) != execer {
		t.Errorf("exec'ing thread has id %d, group %d", execer.ID(), tg.ID())
	}
	if n := e.k.NumTasks(); n != 1 {
		t.Errorf("kernel has %d tasks, want 1", n)
	}
	select {
	case <-tg.Done():
		t.Errorf("the group ended")
	default:
	}
}

// TestExecRealDynamicBinary execs the host's /usr/bin/ls with its dynamic
// linker, both copied into the sandbox's tmpfs.
func TestExecRealDynamicBinary(t *testing.T) {
	prog, err := os.ReadFile("/usr/bin/ls")
	if err != nil {
		t.Skipf("no /usr/bin/ls on this host: %v", err)
	}
	ef, err := elf.NewFile(bytes.NewReader(prog))
	if err != nil {
		t.Fatal(err)
	}
	interp := ""
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			p.ReadAt(b, 0)
			interp = string(bytes.TrimRight(b, "\x00"))
		}
	}
	if interp == "" {
		t.Skip("/usr/bin/ls is statically linked on this host")
	}
	ld, err := os.ReadFile(interp)
	if err != nil {
		t.Fatal(err)
	}
	lef, err := elf.NewFile(bytes.NewReader(ld))
	if err != nil {
		t.Fatal(err)
	}
	e := newExecEnv(t)
	dir := ""
	for _, c := range strings.Split(path.Dir(interp), "/")[1:] {
		dir += "/" + c
		e.mkdir(dir)
	}
	e.write(interp, 0o755, ld)
	e.write("/bin/ls", 0o755, prog)
	task, err := e.start("/bin/ls", []string{"ls", "-la"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rip := task.Regs().Rip
	base := rip - lef.Entry
	if base%usermem.PageSize != 0 || base < 0x7000_0000_0000 {
		t.Errorf("rip %#x: interpreter base %#x is not a page in the mmap area", rip, base)
	}
	if exe := task.ThreadGroup().Executable(); exe != e.dentry("/bin/ls") {
		t.Errorf("executable is not /bin/ls")
	}
	argv, _ := stackArgs(t, task)
	if strings.Join(argv, " ") != "ls -la" {
		t.Errorf("argv %q", argv)
	}
}

func FuzzParseShebang(f *testing.F) {
	f.Add([]byte("#!/bin/sh -x\n"))
	f.Add([]byte("#!\t/usr/bin/env  python3 -u \nprint(1)\n"))
	f.Add([]byte("#!/bin/sh\x00 x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		buf := make([]byte, binprmBufSize)
		copy(buf, data)
		name, arg, ok, err := parseShebang(buf)
		if err != nil && err != linux.ENOEXEC {
			t.Fatalf("error %v is not ENOEXEC", err)
		}
		if !ok {
			return
		}
		if strings.ContainsRune(name, 0) || strings.ContainsRune(arg, 0) {
			t.Errorf("NUL in name %q or argument %q", name, arg)
		}
		if strings.HasPrefix(name, " ") || strings.HasPrefix(name, "\t") || strings.ContainsAny(name, " \t\n") {
			t.Errorf("blank in name %q", name)
		}
		if strings.Contains(arg, "\n") {
			t.Errorf("argument %q has a newline", arg)
		}
	})
}
