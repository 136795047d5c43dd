package proc

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/eventfd"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/host"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/mm"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// The tests run real tasks whose platform never runs application code;
// their memory is the memory file, reached through mm.

const testMaxAddr = 0x7ffffffff000

type fakePlatform struct{}

func (fakePlatform) Name() string                                    { return "fake" }
func (fakePlatform) NewAddressSpace() (platform.AddressSpace, error) { return fakeAS{}, nil }
func (fakePlatform) NewContext() platform.Context                    { return fakeContext{} }
func (fakePlatform) MaxUserAddress() uint64                          { return testMaxAddr }

type fakeAS struct{}

func (fakeAS) MapFile(uint64, int, uint64, uint64, platform.Prot) error { return nil }
func (fakeAS) Unmap(uint64, uint64) error                               { return nil }
func (fakeAS) Protect(uint64, uint64, platform.Prot) error              { return nil }
func (fakeAS) Release()                                                 {}

type fakeContext struct{}

func (fakeContext) Switch(platform.AddressSpace, *linux.PtraceRegs) (platform.Event, *linux.SignalInfo, error) {
	return 0, nil, errors.New("fake context cannot run code")
}
func (fakeContext) Interrupt()                  {}
func (fakeContext) LastTrap() platform.TrapInfo { return platform.TrapInfo{} }
func (fakeContext) FPState() ([]byte, error)    { return nil, nil }
func (fakeContext) SetFPState([]byte) error     { return nil }
func (fakeContext) CPUTime() int64              { return 0 }
func (fakeContext) Release()                    {}

// testRootFS is a minimal root file system: "/proc" to mount on and an
// executable "/bin/prog".
type testRootFS struct{}

func (testRootFS) Name() string                             { return "testfs" }
func (testRootFS) StatFS(vfs.Context) (linux.Statfs, error) { return linux.Statfs{}, nil }
func (testRootFS) Release()                                 {}

const (
	stackBase = 0x7ff000000000 - 0x10000
	argv      = "prog\x00-v\x00arg two\x00"
	envv      = "HOME=/root\x00PATH=/bin\x00"
)

type env struct {
	k    *kernel.Kernel
	v    *vfs.VirtualFilesystem
	task *kernel.Task
	prog vfs.VirtualDentry
}

func newProcess(t *testing.T, e *env) *kernel.Task {
	t.Helper()
	m := mm.New(e.k.MF, fakeAS{}, mm.Layout{MaxAddr: testMaxAddr, StackTop: 0x7ff000000000, MmapBase: 0x7f0000000000, PIEBase: 0x555555554000})
	if _, err := m.MapAnonymous(stackBase, 0x10000, platform.Prot{Read: true, Write: true}, true, true); err != nil {
		t.Fatal(err)
	}
	if _, err := m.CopyOut(stackBase, []byte(argv+envv)); err != nil {
		t.Fatal(err)
	}
	root := e.k.MountNS.Root()
	task, err := e.k.NewProcess(kernel.ProcessArgs{MM: m, FDs: kernel.NewFDTable(), Limits: kernel.DefaultLimits(), FS: kernel.NewFSContext(root, root)})
	if err != nil {
		t.Fatal(err)
	}
	tg := task.ThreadGroup()
	tg.SetArgRange(stackBase, stackBase+uint64(len(argv)))
	tg.SetEnvRange(stackBase+uint64(len(argv)), stackBase+uint64(len(argv)+len(envv)))
	t.Cleanup(func() { task.FDTable().Release() })
	return task
}

func newEnv(t *testing.T) *env {
	t.Helper()
	mf, err := pgalloc.New("proc-test", 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mf.Close)
	v := vfs.New()
	bin := &staticDir{}
	bin.attrs = attrs{ino: 3, mode: linux.S_IFDIR | 0o755, nlink: 2}
	bin.add("prog", &genInode{attrs: attrs{ino: 4, mode: linux.S_IFREG | 0o755, nlink: 1}, gen: text(func() string { return "" })})
	procDir := &staticDir{}
	procDir.attrs = attrs{ino: 2, mode: linux.S_IFDIR | 0o555, nlink: 2}
	root := &staticDir{}
	root.attrs = attrs{ino: 1, mode: linux.S_IFDIR | 0o755, nlink: 4}
	root.add("proc", procDir)
	root.add("bin", bin)
	ns := v.NewMountNamespace(v.NewFilesystem(testRootFS{}), root, "none", vfs.MountFlags{})

	k := kernel.NewKernel(fakePlatform{}, mf, nil)
	k.VFS, k.MountNS, k.Hostname = v, ns, "testhost"
	e := &env{k: k, v: v}
	e.task = newProcess(t, e)

	pop := &vfs.PathOperation{Root: ns.Root(), Start: ns.Root(), Path: "/proc"}
	mp, err := v.GetDentryAt(e.task, pop)
	if err != nil {
		t.Fatal(err)
	}
	fs, procRoot := NewFilesystem(v, k)
	if _, err := v.Mount(mp, fs, v.NewRootDentry(fs, procRoot), "proc", vfs.MountFlags{NoSuid: true}); err != nil {
		t.Fatal(err)
	}
	pop.Path = "/bin/prog"
	if e.prog, err = v.GetDentryAt(e.task, pop); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) pop(path string, follow bool) *vfs.PathOperation {
	root := e.k.MountNS.Root()
	return &vfs.PathOperation{Root: root, Start: root, Path: path, FollowFinal: follow}
}

// open opens path as ctx.
func (e *env) open(ctx vfs.Context, path string, flags uint32) (vfs.FileDescription, error) {
	return e.v.OpenAt(ctx, e.pop(path, true), vfs.OpenOptions{Flags: flags})
}

// read returns the whole contents of path as read by ctx.
func (e *env) read(t *testing.T, ctx vfs.Context, path string) string {
	t.Helper()
	f, err := e.open(ctx, path, linux.O_RDONLY)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.DecRef()
	return readAll(t, ctx, f)
}

func readAll(t *testing.T, b vfs.Blocker, f vfs.FileDescription) string {
	t.Helper()
	var out []byte
	buf := make([]byte, 7) // small, to exercise offsets
	for {
		n, err := f.Read(b, buf)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if n == 0 {
			return string(out)
		}
		out = append(out, buf[:n]...)
	}
}

func (e *env) readlink(ctx vfs.Context, path string) (string, error) {
	return e.v.ReadlinkAt(ctx, e.pop(path, false))
}

// install puts f in the task's table and returns its descriptor.
func install(t *testing.T, task *kernel.Task, f vfs.FileDescription, cloexec bool) int32 {
	t.Helper()
	fd, err := task.FDTable().NewFD(f, 0, cloexec, 1024)
	if err != nil {
		t.Fatal(err)
	}
	f.DecRef()
	return fd
}

// field returns the value of a "Name:\tvalue" line.
func field(t *testing.T, text, name string) string {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %s line in:\n%s", name, text)
	return ""
}

// other is a caller outside the processes' user.
var other = otherCtx{&auth.Credentials{RealUID: 1000, EffectiveUID: 1000, SavedUID: 1000, FilesystemUID: 1000,
	RealGID: 1000, EffectiveGID: 1000, SavedGID: 1000, FilesystemGID: 1000}}

type otherCtx struct{ creds *auth.Credentials }

func (c otherCtx) Credentials() *auth.Credentials       { return c.creds }
func (otherCtx) BlockFD(int, int16) error               { return nil }
func (otherCtx) Block(<-chan struct{}, time.Time) error { return nil }

func TestSelfLinks(t *testing.T) {
	e := newEnv(t)
	id := strconv.Itoa(int(e.task.ID()))
	for path, want := range map[string]string{
		"/proc/self":        id,
		"/proc/thread-self": id + "/task/" + id,
		"/proc/mounts":      "self/mounts",
	} {
		if got, err := e.readlink(e.task, path); got != want || err != nil {
			t.Errorf("readlink %s = %q, %v; want %q", path, got, err, want)
		}
	}
	// Walking through them reaches the task's own directory.
	st, err := e.v.StatAt(e.task, e.pop("/proc/self/", true))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != linux.S_IFDIR|0o555 || st.Ino != pidIno(e.task.ID(), 0, idxDir) {
		t.Errorf("stat /proc/self/: mode %#o ino %#x", st.Mode, st.Ino)
	}
	if got := field(t, e.read(t, e.task, "/proc/thread-self/status"), "Pid"); got != id {
		t.Errorf("thread-self/status Pid %s, want %s", got, id)
	}
}

func TestRootReaddir(t *testing.T) {
	e := newEnv(t)
	second := newProcess(t, e)
	f, err := e.open(e.task, "/proc", linux.O_RDONLY|linux.O_DIRECTORY)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	got := map[string]uint8{}
	err = f.(vfs.DirentFile).IterDirents(e.task, func(d vfs.Dirent, next int64) bool {
		got[d.Name] = d.Type
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, typ := range map[string]uint8{
		"self": linux.DT_LNK, "thread-self": linux.DT_LNK, "mounts": linux.DT_LNK,
		"cpuinfo": linux.DT_REG, "meminfo": linux.DT_REG, "uptime": linux.DT_REG, "loadavg": linux.DT_REG,
		"version": linux.DT_REG, "filesystems": linux.DT_REG, "stat": linux.DT_REG, "sys": linux.DT_DIR,
		strconv.Itoa(int(e.task.ID())): linux.DT_DIR, strconv.Itoa(int(second.ID())): linux.DT_DIR,
	} {
		if got[name] != typ {
			t.Errorf("entry %q: type %d, want %d", name, got[name], typ)
		}
	}
}

func TestTaskDirEntries(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		mode uint32
	}{
		{"exe", linux.S_IFLNK | 0o777},
		{"cwd", linux.S_IFLNK | 0o777},
		{"root", linux.S_IFLNK | 0o777},
		{"fd", linux.S_IFDIR | 0o500},
		{"fdinfo", linux.S_IFDIR | 0o555},
		{"maps", linux.S_IFREG | 0o444},
		{"status", linux.S_IFREG | 0o444},
		{"stat", linux.S_IFREG | 0o444},
		{"statm", linux.S_IFREG | 0o444},
		{"cmdline", linux.S_IFREG | 0o444},
		{"environ", linux.S_IFREG | 0o400},
		{"comm", linux.S_IFREG | 0o644},
		{"mounts", linux.S_IFREG | 0o444},
		{"limits", linux.S_IFREG | 0o444},
		{"task", linux.S_IFDIR | 0o555},
	} {
		for _, dir := range []string{"/proc/self/", "/proc/self/task/1/"} {
			st, err := e.v.StatAt(e.task, e.pop(dir+tc.name, false))
			if tc.name == "task" && strings.Contains(dir, "task/") {
				if err != linux.ENOENT {
					t.Errorf("stat %s%s: %v, want ENOENT (threads have no task dir)", dir, tc.name, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("stat %s%s: %v", dir, tc.name, err)
				continue
			}
			if uint32(st.Mode) != tc.mode {
				t.Errorf("stat %s%s: mode %#o, want %#o", dir, tc.name, st.Mode, tc.mode)
			}
		}
	}
}

func TestStatus(t *testing.T) {
	e := newEnv(t)
	e.task.SetName("prog")
	if _, err := e.task.SigAction(linux.SIGINT, &linux.SigAction{Handler: linux.SIG_IGN}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.task.SigAction(linux.SIGUSR1, &linux.SigAction{Handler: 0x1000}); err != nil {
		t.Fatal(err)
	}
	e.task.SetSignalMask(linux.SignalSetOf(linux.SIGTERM))
	s := e.read(t, e.task, "/proc/self/status")
	id := strconv.Itoa(int(e.task.ID()))
	for name, want := range map[string]string{
		"Name": "prog", "Umask": "0022", "State": "R (running)", "Tgid": id, "Pid": id, "PPid": "0",
		"Uid": "0\t0\t0\t0", "Gid": "0\t0\t0\t0", "FDSize": "64", "Threads": "1",
		"SigBlk": "0000000000004000", "SigIgn": "0000000000000002", "SigCgt": "0000000000000200",
		"CapEff":  fmt.Sprintf("%016x", uint64(auth.AllCaps)),
		"Seccomp": "0", "Cpus_allowed_list": cpuList(runtime.NumCPU()), "VmStk": "64 kB",
	} {
		if got := field(t, s, name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	// Another process sees it sleeping.
	second := newProcess(t, e)
	if got := field(t, e.read(t, second, "/proc/"+id+"/status"), "State"); got != "S (sleeping)" {
		t.Errorf("State seen by another process: %q", got)
	}
}

func TestStat(t *testing.T) {
	e := newEnv(t)
	e.task.SetName("my prog")
	s := e.read(t, e.task, "/proc/self/stat")
	if !strings.HasSuffix(s, "\n") {
		t.Fatalf("stat does not end in a newline: %q", s)
	}
	// The name may hold spaces: split after its closing parenthesis.
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open || s[open+1:close] != "my prog" {
		t.Fatalf("stat name field: %q", s)
	}
	rest := strings.Fields(s[close+1:])
	if n := 2 + len(rest); n != 52 {
		t.Fatalf("stat has %d fields, want 52: %q", n, s)
	}
	if strings.TrimSpace(s[:open]) != strconv.Itoa(int(e.task.ID())) || rest[0] != "R" {
		t.Errorf("stat: pid %q state %q", s[:open], rest[0])
	}
	// Fields 48-51 are the argument and environment ranges.
	argStart, _ := e.task.ThreadGroup().ArgRange()
	if rest[48-3] != strconv.FormatUint(argStart, 10) {
		t.Errorf("arg_start %s, want %d", rest[48-3], argStart)
	}
}

func TestCmdlineEnviron(t *testing.T) {
	e := newEnv(t)
	if got := e.read(t, e.task, "/proc/self/cmdline"); got != argv {
		t.Errorf("cmdline %q, want %q", got, argv)
	}
	if got := e.read(t, e.task, "/proc/self/environ"); got != envv {
		t.Errorf("environ %q, want %q", got, envv)
	}
	// setproctitle: the NUL at the end of the arguments is gone, and the
	// title runs on into the environment.
	title := "a title past the args\x00"
	if _, err := e.task.MM().CopyOut(stackBase, []byte(title)); err != nil {
		t.Fatal(err)
	}
	if got, want := e.read(t, e.task, "/proc/self/cmdline"), strings.TrimSuffix(title, "\x00"); got != want {
		t.Errorf("cmdline after setproctitle %q, want %q", got, want)
	}
	// A process without recorded ranges (not started by exec) has none.
	e.task.ThreadGroup().SetArgRange(0, 0)
	if got := e.read(t, e.task, "/proc/self/cmdline"); got != "" {
		t.Errorf("cmdline without range %q", got)
	}
	// environ needs ptrace access: another user may not read it.
	id := strconv.Itoa(int(e.task.ID()))
	if _, err := e.open(other, "/proc/"+id+"/environ", linux.O_RDONLY); err != linux.EACCES {
		t.Errorf("environ by another user: %v, want EACCES", err)
	}
}

func TestComm(t *testing.T) {
	e := newEnv(t)
	e.task.SetName("prog")
	f, err := e.open(e.task, "/proc/self/comm", linux.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	if got := readAll(t, e.task, f); got != "prog\n" {
		t.Errorf("comm %q", got)
	}
	if n, err := f.Write(e.task, []byte("0123456789abcdefghij")); n != 20 || err != nil {
		t.Fatalf("write comm: %d, %v", n, err)
	}
	if got := e.task.Name(); got != "0123456789abcde" {
		t.Errorf("name after write %q", got)
	}
	// A read from offset 0 sees the new name.
	if _, err := f.Seek(0, linux.SEEK_SET); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, e.task, f); got != "0123456789abcde\n" {
		t.Errorf("comm after write and lseek %q", got)
	}
	// Another process may not rename it.
	second := newProcess(t, e)
	if _, err := f.Write(second, []byte("x")); err != linux.EINVAL {
		t.Errorf("write by another process: %v, want EINVAL", err)
	}
}

func TestLinks(t *testing.T) {
	e := newEnv(t)
	if _, err := e.readlink(e.task, "/proc/self/exe"); err != linux.ENOENT {
		t.Errorf("exe before exec: %v, want ENOENT", err)
	}
	e.task.ThreadGroup().SetExecutable(e.prog)
	for path, want := range map[string]string{
		"/proc/self/exe":  "/bin/prog",
		"/proc/self/cwd":  "/",
		"/proc/self/root": "/",
	} {
		if got, err := e.readlink(e.task, path); got != want || err != nil {
			t.Errorf("readlink %s = %q, %v; want %q", path, got, err, want)
		}
	}
	// Following exe reaches the file itself.
	vd, err := e.v.GetDentryAt(e.task, e.pop("/proc/self/exe", true))
	if err != nil || vd != e.prog {
		t.Errorf("follow exe: %v, %v; want %v", vd, err, e.prog)
	}
	// Name falls back to the executable's base name.
	if got := e.task.Name(); got != "prog" {
		t.Errorf("name %q, want prog", got)
	}
	id := strconv.Itoa(int(e.task.ID()))
	for _, l := range []string{"exe", "cwd", "root"} {
		if _, err := e.readlink(other, "/proc/"+id+"/"+l); err != linux.EACCES {
			t.Errorf("readlink %s by another user: %v, want EACCES", l, err)
		}
	}
}

func TestFDLinks(t *testing.T) {
	e := newEnv(t)
	vfsFile, err := e.open(e.task, "/proc/version", linux.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	vfsFD := install(t, e.task, vfsFile, true)
	efd := install(t, e.task, eventfd.New(0, 0), false)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[1])
	hf, err := host.NewFD(p[0])
	if err != nil {
		t.Fatal(err)
	}
	pipeFD := install(t, e.task, hf, false)
	var pst unix.Stat_t
	if err := unix.Fstat(p[1], &pst); err != nil {
		t.Fatal(err)
	}

	link := func(fd int32) string { return fmt.Sprintf("/proc/self/fd/%d", fd) }
	for _, tc := range []struct {
		fd   int32
		want string
		mode uint16 // lr-x------ for reading, lrwx------ for both
	}{
		{vfsFD, "/proc/version", linux.S_IFLNK | 0o500},
		{efd, "anon_inode:[eventfd]", linux.S_IFLNK | 0o700},
		{pipeFD, fmt.Sprintf("pipe:[%d]", pst.Ino), linux.S_IFLNK | 0o500},
	} {
		if got, err := e.readlink(e.task, link(tc.fd)); got != tc.want || err != nil {
			t.Errorf("readlink fd %d = %q, %v; want %q", tc.fd, got, err, tc.want)
		}
		st, err := e.v.StatAt(e.task, e.pop(link(tc.fd), false))
		if err != nil || st.Mode != tc.mode || st.Size != 64 {
			t.Errorf("lstat fd %d: mode %#o size %d, %v; want mode %#o size 64", tc.fd, st.Mode, st.Size, err, tc.mode)
		}
	}

	// stat follows: the file's own attributes.
	if st, err := e.v.StatAt(e.task, e.pop(link(vfsFD), true)); err != nil || st.Mode != linux.S_IFREG|0o444 {
		t.Errorf("stat fd %d: mode %#o, %v", vfsFD, st.Mode, err)
	}
	if st, err := e.v.StatAt(e.task, e.pop(link(efd), true)); err != nil || st.Mode != 0o600 {
		t.Errorf("stat eventfd link: mode %#o, %v", st.Mode, err)
	}
	if st, err := e.v.StatAt(e.task, e.pop(link(pipeFD), true)); err != nil || st.Mode&linux.S_IFMT != linux.S_IFIFO || st.Ino != pst.Ino {
		t.Errorf("stat pipe link: mode %#o ino %d, %v", st.Mode, st.Ino, err)
	}

	// Opening: a VFS file reopens its path; an eventfd cannot be
	// reopened; a host pipe is reopened for the access it has.
	if f, err := e.open(e.task, link(vfsFD), linux.O_RDONLY); err != nil {
		t.Errorf("open VFS file link: %v", err)
	} else {
		if got := readAll(t, e.task, f); got != versionText {
			t.Errorf("reopened file reads %q", got)
		}
		f.DecRef()
	}
	if _, err := e.open(e.task, link(efd), linux.O_RDWR); err != linux.ENXIO {
		t.Errorf("open eventfd link: %v, want ENXIO", err)
	}
	if _, err := e.open(e.task, link(pipeFD), linux.O_WRONLY); err != linux.EACCES {
		t.Errorf("open pipe read end for writing: %v, want EACCES", err)
	}
	f, err := e.open(e.task, link(pipeFD), linux.O_RDONLY)
	if err != nil {
		t.Fatalf("open pipe link: %v", err)
	}
	if _, err := unix.Write(p[1], []byte("hi")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if n, err := f.Read(e.task, buf); err != nil || string(buf[:n]) != "hi" {
		t.Errorf("read reopened pipe: %q, %v", buf[:n], err)
	}
	f.DecRef()

	// fd lists the descriptors; a closed one disappears.
	fdir, err := e.open(e.task, "/proc/self/fd", linux.O_RDONLY|linux.O_DIRECTORY)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	_ = fdir.(vfs.DirentFile).IterDirents(e.task, func(d vfs.Dirent, next int64) bool {
		names = append(names, d.Name)
		return true
	})
	fdir.DecRef()
	if got, want := strings.Join(names, " "), fmt.Sprintf(". .. %d %d %d", vfsFD, efd, pipeFD); got != want {
		t.Errorf("fd entries %q, want %q", got, want)
	}
	if err := e.task.FDTable().Remove(efd); err != nil {
		t.Fatal(err)
	}
	if _, err := e.readlink(e.task, link(efd)); err != linux.ENOENT {
		t.Errorf("readlink closed fd: %v, want ENOENT", err)
	}
	if _, err := e.readlink(e.task, "/proc/self/fd/99"); err != linux.ENOENT {
		t.Errorf("readlink unused fd: %v, want ENOENT", err)
	}
	if _, err := e.readlink(e.task, "/proc/self/fd/01"); err != linux.ENOENT {
		t.Errorf("readlink fd with a leading zero: %v, want ENOENT", err)
	}
	// Another user may not look.
	id := strconv.Itoa(int(e.task.ID()))
	if _, err := e.readlink(other, fmt.Sprintf("/proc/%s/fd/%d", id, vfsFD)); err != linux.EACCES {
		t.Errorf("readlink fd by another user: %v, want EACCES", err)
	}
}

func TestFDInfo(t *testing.T) {
	e := newEnv(t)
	f, err := e.open(e.task, "/proc/version", linux.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(5, linux.SEEK_SET); err != nil {
		t.Fatal(err)
	}
	mnt := f.(vfs.PathFile).VirtualDentry().Mount.ID
	fd := install(t, e.task, f, true)
	got := e.read(t, e.task, fmt.Sprintf("/proc/self/fdinfo/%d", fd))
	st, _ := f.Stat()
	want := fmt.Sprintf("pos:\t5\nflags:\t0%o\nmnt_id:\t%d\nino:\t%d\n", linux.O_CLOEXEC, mnt, st.Ino)
	if got != want {
		t.Errorf("fdinfo %q, want %q", got, want)
	}
	// Reading the fdinfo of its own descriptor, again from offset 0,
	// must not deadlock.
	info, err := e.open(e.task, fmt.Sprintf("/proc/self/fdinfo/%d", fd), linux.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	self := install(t, e.task, info, false)
	info2, err := e.open(e.task, fmt.Sprintf("/proc/self/fdinfo/%d", self), linux.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer info2.DecRef()
	if err := e.task.FDTable().SetFD(self, info2, false, 1024); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	readAll(t, e.task, info2)
	if _, err := info2.PRead(e.task, buf, 0); err != nil {
		t.Errorf("pread own fdinfo: %v", err)
	}
}

func TestMaps(t *testing.T) {
	got := string(formatMaps([]mm.MapInfo{
		{Start: 0x555555554000, End: 0x555555556000, Read: true, Exec: true, Offset: 0x2000, Dev: linux.MakeDev(0xfe, 0), Ino: 247026, Name: "/usr/bin/cat"},
		{Start: 0x7fd189ea1000, End: 0x7fd189ec3000, Read: true, Write: true},
		{Start: 0x7ffd0000, End: 0x7ffe0000, Read: true, Write: true, Shared: true, Name: "[stack]"},
	}))
	want := "555555554000-555555556000 r-xp 00002000 fe:00 247026                     /usr/bin/cat\n" +
		"7fd189ea1000-7fd189ec3000 rw-p 00000000 00:00 0 \n" +
		"7ffd0000-7ffe0000 rw-s 00000000 00:00 0" + strings.Repeat(" ", 34) + "[stack]\n"
	if got != want {
		t.Errorf("maps:\n%s\nwant:\n%s", got, want)
	}
	e := newEnv(t)
	s := e.read(t, e.task, "/proc/self/maps")
	if want := fmt.Sprintf("%08x-%08x rw-p", stackBase, stackBase+0x10000); !strings.HasPrefix(s, want) || !strings.HasSuffix(s, "[stack]\n") {
		t.Errorf("maps of the test process: %q", s)
	}
}

func TestMountsAndLimits(t *testing.T) {
	e := newEnv(t)
	if got, want := e.read(t, e.task, "/proc/mounts"), "none / testfs rw 0 0\nproc /proc proc rw,nosuid 0 0\n"; got != want {
		t.Errorf("mounts %q, want %q", got, want)
	}
	l := e.read(t, e.task, "/proc/self/limits")
	lines := strings.Split(l, "\n")
	if len(lines) != kernel.RLIM_NLIMITS+2 || lines[0] != "Limit                     Soft Limit           Hard Limit           Units     " {
		t.Fatalf("limits:\n%s", l)
	}
	if want := "Max open files            1024                 4096                 files     "; lines[1+kernel.RLIMIT_NOFILE] != want {
		t.Errorf("open files row %q, want %q", lines[1+kernel.RLIMIT_NOFILE], want)
	}
	if want := "Max nice priority         0                    0                    "; lines[1+kernel.RLIMIT_NICE] != want {
		t.Errorf("nice row %q, want %q", lines[1+kernel.RLIMIT_NICE], want)
	}
}

func TestSystemFiles(t *testing.T) {
	e := newEnv(t)
	if got := e.read(t, e.task, "/proc/version"); !strings.HasPrefix(got, "Linux version "+UTSRelease+" ") {
		t.Errorf("version %q", got)
	}
	if got := e.read(t, e.task, "/proc/sys/kernel/hostname"); got != "testhost\n" {
		t.Errorf("hostname %q", got)
	}
	if got := e.read(t, e.task, "/proc/sys/kernel/osrelease"); got != UTSRelease+"\n" {
		t.Errorf("osrelease %q", got)
	}
	a, b := e.read(t, e.task, "/proc/sys/kernel/random/boot_id"), e.read(t, e.task, "/proc/sys/kernel/random/boot_id")
	u := e.read(t, e.task, "/proc/sys/kernel/random/uuid")
	if a != b || len(a) != 37 || u == a || len(u) != 37 {
		t.Errorf("boot_id %q %q, uuid %q", a, b, u)
	}
	mem := e.read(t, e.task, "/proc/meminfo")
	if total := field(t, mem, "MemTotal"); !strings.HasSuffix(total, " kB") || total == "0 kB" {
		t.Errorf("MemTotal %q", total)
	}
	if !strings.Contains(mem, "\nMemFree:        ") {
		t.Errorf("meminfo lines are not aligned like Linux's:\n%s", mem)
	}
	var up, idle float64
	if n, err := fmt.Sscanf(e.read(t, e.task, "/proc/uptime"), "%f %f\n", &up, &idle); n != 2 || err != nil || up < 0 {
		t.Errorf("uptime: %d, %v", n, err)
	}
	var l1, l5, l15 float64
	var running, total, last int
	if n, err := fmt.Sscanf(e.read(t, e.task, "/proc/loadavg"), "%f %f %f %d/%d %d\n", &l1, &l5, &l15, &running, &total, &last); n != 6 || err != nil || total != 1 || last != int(e.task.ID()) {
		t.Errorf("loadavg: %d, %v: total %d last %d", n, err, total, last)
	}
	st := e.read(t, e.task, "/proc/stat")
	if !strings.HasPrefix(st, "cpu  ") || !strings.Contains(st, fmt.Sprintf("\nbtime %d\n", e.k.BootTime.Unix())) {
		t.Errorf("stat:\n%s", st)
	}
	if fsys := e.read(t, e.task, "/proc/filesystems"); !strings.Contains(fsys, "nodev\tproc\n") {
		t.Errorf("filesystems %q", fsys)
	}
	sfs, err := e.v.StatFS(e.task, mustDentry(t, e, "/proc"))
	if err != nil || sfs.Type != linux.PROC_SUPER_MAGIC {
		t.Errorf("statfs: %#x, %v", sfs.Type, err)
	}
}

func mustDentry(t *testing.T, e *env, path string) vfs.VirtualDentry {
	t.Helper()
	vd, err := e.v.GetDentryAt(e.task, e.pop(path, true))
	if err != nil {
		t.Fatal(err)
	}
	return vd
}

func TestReadOnly(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		op   func() error
		want error
	}{
		{"write cpuinfo as root", func() error { return writeFile(e, e.task, "/proc/cpuinfo") }, linux.EIO},
		{"write status as root", func() error { return writeFile(e, e.task, "/proc/self/status") }, linux.EINVAL},
		{"write hostname", func() error { return writeFile(e, e.task, "/proc/sys/kernel/hostname") }, linux.EPERM},
		{"open cpuinfo for writing as a user", func() error {
			_, err := e.open(other, "/proc/cpuinfo", linux.O_WRONLY)
			return err
		}, linux.EACCES},
		{"create", func() error {
			_, err := e.v.OpenAt(e.task, e.pop("/proc/new", true), vfs.OpenOptions{Flags: linux.O_CREAT | linux.O_WRONLY, Mode: 0o644})
			return err
		}, linux.ENOENT},
		{"mkdir", func() error { return e.v.MkdirAt(e.task, e.pop("/proc/self/x", false), 0o755) }, linux.ENOENT},
		{"unlink", func() error { return e.v.UnlinkAt(e.task, e.pop("/proc/cpuinfo", false)) }, linux.EPERM},
		{"rmdir", func() error { return e.v.RmdirAt(e.task, e.pop("/proc/self/fd", false)) }, linux.EPERM},
		{"rename", func() error {
			return e.v.RenameAt(e.task, e.pop("/proc/cpuinfo", false), e.pop("/proc/x", false), 0)
		}, linux.ENOENT},
		{"chmod", func() error {
			return e.v.SetStat(e.task, mustDentry(t, e, "/proc/self/status"), vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0o777})
		}, linux.EPERM},
		{"lookup of a non-id", func() error { _, err := e.v.StatAt(e.task, e.pop("/proc/1x", false)); return err }, linux.ENOENT},
		{"lookup of a dead id", func() error { _, err := e.v.StatAt(e.task, e.pop("/proc/999", false)); return err }, linux.ENOENT},
	} {
		if err := tc.op(); err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func writeFile(e *env, ctx vfs.Context, path string) error {
	f, err := e.open(ctx, path, linux.O_WRONLY)
	if err != nil {
		return err
	}
	defer f.DecRef()
	_, err = f.Write(ctx, []byte("x"))
	return err
}

func TestSeek(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		path    string
		seekEnd bool
	}{
		{"/proc/self/status", false},
		{"/proc/cpuinfo", false},
		{"/proc/self/cmdline", true},
	} {
		f, err := e.open(e.task, tc.path, linux.O_RDONLY)
		if err != nil {
			t.Fatal(err)
		}
		if off, err := f.Seek(3, linux.SEEK_SET); off != 3 || err != nil {
			t.Errorf("%s: seek set: %d, %v", tc.path, off, err)
		}
		if off, err := f.Seek(2, linux.SEEK_CUR); off != 5 || err != nil {
			t.Errorf("%s: seek cur: %d, %v", tc.path, off, err)
		}
		if _, err := f.Seek(-10, linux.SEEK_CUR); err != linux.EINVAL {
			t.Errorf("%s: seek before 0: %v", tc.path, err)
		}
		// SEEK_END is relative to the size, 0, when allowed at all.
		off, err := f.Seek(10, linux.SEEK_END)
		if tc.seekEnd && (off != 10 || err != nil) || !tc.seekEnd && err != linux.EINVAL {
			t.Errorf("%s: seek end: %d, %v", tc.path, off, err)
		}
		f.DecRef()
	}
}

func TestExitedProcessDisappears(t *testing.T) {
	e := newEnv(t)
	second := newProcess(t, e)
	path := fmt.Sprintf("/proc/%d/status", second.ID())
	f, err := e.open(e.task, path, linux.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef()
	second.Exit(0)
	if _, err := e.v.StatAt(e.task, e.pop(path, false)); err != linux.ENOENT {
		t.Errorf("stat %s after exit: %v, want ENOENT", path, err)
	}
	// The file opened before reads ESRCH once it must regenerate.
	if _, err := f.PRead(e.task, make([]byte, 10), 0); err != nil {
		t.Errorf("first read (contents from open): %v", err)
	}
	if _, err := f.PRead(e.task, make([]byte, 10), 0); err != linux.ESRCH {
		t.Errorf("read after exit: %v, want ESRCH", err)
	}
}

func TestParseID(t *testing.T) {
	for name, want := range map[string]int{"1": 1, "0": 0, "123": 123, "01": -1, "": -1, "-1": -1, "+1": -1, "1a": -1, "99999999999": -1} {
		id, ok := parseID(name)
		if (want < 0) == ok || ok && int(id) != want {
			t.Errorf("parseID(%q) = %d, %v; want %d", name, id, ok, want)
		}
	}
}

func TestCPUMask(t *testing.T) {
	for n, want := range map[int]string{1: "1", 2: "3", 4: "f", 32: "ffffffff", 36: "f,ffffffff", 64: "ffffffff,ffffffff"} {
		if got := cpuMask(n); got != want {
			t.Errorf("cpuMask(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestHostFileNames(t *testing.T) {
	for _, tc := range []struct {
		st   linux.Stat
		want string
	}{
		{linux.Stat{Mode: linux.S_IFIFO | 0o600, Ino: 42}, "pipe:[42]"},
		{linux.Stat{Mode: linux.S_IFSOCK | 0o777, Ino: 7}, "socket:[7]"},
		{linux.Stat{Mode: linux.S_IFCHR | 0o620, Rdev: linux.MakeDev(136, 3)}, "/dev/pts/3"},
		{linux.Stat{Mode: linux.S_IFCHR | 0o620, Rdev: linux.MakeDev(137, 1)}, "/dev/pts/257"},
		{linux.Stat{Mode: linux.S_IFCHR | 0o666, Rdev: linux.MakeDev(1, 3)}, "/dev/null"},
		{linux.Stat{Mode: linux.S_IFCHR | 0o620, Rdev: linux.MakeDev(4, 1)}, "/dev/tty1"},
		{linux.Stat{Mode: linux.S_IFCHR | 0o620, Rdev: linux.MakeDev(4, 64)}, "/dev/ttyS0"},
		{linux.Stat{Mode: linux.S_IFCHR | 0o600, Rdev: linux.MakeDev(10, 200)}, "/dev/char/10:200"},
		{linux.Stat{Mode: linux.S_IFREG | 0o644, Ino: 9}, "host:[9]"},
	} {
		if got := hostFileName(tc.st); got != tc.want {
			t.Errorf("hostFileName(%#o %d:%d) = %q, want %q", tc.st.Mode, tc.st.Rdev>>8, tc.st.Rdev&0xff, got, tc.want)
		}
	}
}

func TestReadCPUID(t *testing.T) {
	regs := func(s string) (a, b, c, d uint32) {
		var r [4]uint32
		for i := 0; i < 16 && i < len(s); i++ {
			r[i/4] |= uint32(s[i]) << (8 * (i % 4))
		}
		return r[0], r[1], r[2], r[3]
	}
	fake := func(leaf, sub uint32) (uint32, uint32, uint32, uint32) {
		switch leaf {
		case 0:
			// "GenuineIntel" in ebx, edx, ecx.
			_, b, c, d := regs("\x00\x00\x00\x00GenuntelineI")
			return 7, b, c, d
		case 1:
			// Family 6, extended model 5, model 5, stepping 7;
			// fpu and sse2; sse3 (pni) and hypervisor.
			return 0x00050657, 0, 1 | 1<<31, 1 | 1<<26
		case 7:
			if sub == 0 {
				return 0, 1 << 5, 0, 0 // avx2
			}
			return 1 << 4, 0, 0, 0 // not reported: 7.0 has no subleaves
		case 0x80000000:
			return 0x80000008, 0, 0, 0
		case 0x80000001:
			return 0, 0, 1, 1 << 29 // lahf_lm, lm
		case 0x80000002:
			return regs("Test CPU @ 2GHz ")
		case 0x80000003, 0x80000004:
			return 0, 0, 0, 0
		case 0x80000008:
			return 46 | 48<<8, 0, 0, 0
		}
		return 0xdeadbeef, 0xdeadbeef, 0xdeadbeef, 0xdeadbeef
	}
	ci := readCPUID(fake)
	if ci.vendor != "GenuineIntel" || ci.model != "Test CPU @ 2GHz" || ci.family != 6 || ci.modelNum != 0x55 || ci.stepping != 7 || ci.maxLeaf != 7 {
		t.Errorf("cpu %+v", ci)
	}
	if got, want := strings.Join(ci.flags, " "), "fpu sse2 lm pni hypervisor lahf_lm avx2"; got != want {
		t.Errorf("flags %q, want %q", got, want)
	}
	if ci.physBits != 46 || ci.virtBits != 48 {
		t.Errorf("address sizes %d/%d", ci.physBits, ci.virtBits)
	}
	text := formatCPUInfo(ci, 2)
	if strings.Count(text, "processor\t: ") != 2 || !strings.Contains(text, "\nmodel name\t: Test CPU @ 2GHz\n") ||
		!strings.Contains(text, "\naddress sizes\t: 46 bits physical, 48 bits virtual\n") {
		t.Errorf("cpuinfo:\n%s", text)
	}
}

// TestCPUInfoMatchesHost compares the sandbox's cpuinfo with the host's
// (the test, unlike the sentry, may read host files).
func TestCPUInfoMatchesHost(t *testing.T) {
	hostInfo, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skipf("no host /proc/cpuinfo: %v", err)
	}
	ours := cpuinfo()
	// The model name is left out: Linux may replace the CPU's brand
	// string with a name of its own (it does on some virtual CPUs).
	for _, name := range []string{"vendor_id", "cpu family", "model", "stepping"} {
		if h, o := cpuinfoField(string(hostInfo), name), cpuinfoField(ours, name); h != o {
			t.Errorf("%s: host %q, sandbox %q", name, h, o)
		}
	}
	// Every flag shown is one the host kernel shows too (it hides some
	// the CPU reports; never the other way round for these basics).
	hostFlags := " " + cpuinfoField(string(hostInfo), "flags") + " "
	for _, f := range strings.Fields(cpuinfoField(ours, "flags")) {
		if f == "fpu" || f == "sse2" || f == "lm" {
			if !strings.Contains(hostFlags, " "+f+" ") {
				t.Errorf("flag %s not in the host's flags", f)
			}
		}
	}
	if n := strings.Count(ours, "processor\t: "); n != runtime.NumCPU() {
		t.Errorf("%d processors, want %d", n, runtime.NumCPU())
	}
}

func cpuinfoField(text, name string) string {
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
