// These end-to-end tests run without -race only: built with -race, the
// ptrace platform does not finish starting (ptrace.New waits for ever in
// the master stub's bootstrap, which is forked from the race-instrumented
// sentry).

//go:build !race

package kernel_test

import (
	"bytes"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/arch"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/host"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/tmpfs"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform/ptrace"
	syscalls "bulwark.dev/bulwark/pkg/sentry/syscalls/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

type rootCtx struct{}

func (rootCtx) Credentials() *auth.Credentials         { return auth.Root() }
func (rootCtx) BlockFD(int, int16) error               { return nil }
func (rootCtx) Block(<-chan struct{}, time.Time) error { return nil }

// sandbox is a kernel on the ptrace platform whose root is a tmpfs.
type sandbox struct {
	t    *testing.T
	k    *kernel.Kernel
	root vfs.VirtualDentry
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	mf, err := pgalloc.New("exec-e2e", 4<<30)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mf.Close)
	p, err := ptrace.New(mf.FD())
	if err != nil {
		t.Skipf("ptrace platform unavailable: %v", err)
	}
	t.Cleanup(p.Close)
	k := kernel.NewKernel(p, mf, syscalls.AMD64)
	k.XStateSize = arch.XStateSize()
	v := vfs.New()
	fs, root := tmpfs.NewFilesystem(v, mf, tmpfs.Options{RootMode: 0o755})
	k.VFS = v
	k.MountNS = v.NewMountNamespace(fs, root, "tmpfs", vfs.MountFlags{})
	return &sandbox{t: t, k: k, root: k.MountNS.Root()}
}

func (s *sandbox) pop(p string) *vfs.PathOperation {
	return &vfs.PathOperation{Root: s.root, Start: s.root, Path: p, FollowFinal: true}
}

// mkdirAll makes p and its parents.
func (s *sandbox) mkdirAll(p string) {
	cur := ""
	for _, c := range strings.Split(strings.Trim(p, "/"), "/") {
		cur += "/" + c
		if err := s.k.VFS.MkdirAt(rootCtx{}, s.pop(cur), 0o755); err != nil && err != linux.EEXIST {
			s.t.Fatalf("mkdir %s: %v", cur, err)
		}
	}
}

// put writes data at p in the sandbox.
func (s *sandbox) put(p string, mode uint32, data []byte) {
	s.t.Helper()
	s.mkdirAll(path.Dir(p))
	f, err := s.k.VFS.OpenAt(rootCtx{}, s.pop(p), vfs.OpenOptions{Flags: linux.O_CREAT | linux.O_WRONLY | linux.O_TRUNC, Mode: mode})
	if err != nil {
		s.t.Fatalf("create %s: %v", p, err)
	}
	defer f.DecRef()
	if _, err := f.Write(rootCtx{}, data); err != nil {
		s.t.Fatal(err)
	}
}

// copyHost copies the host file at p (following symlinks) to the same
// path in the sandbox.
func (s *sandbox) copyHost(p string) {
	s.t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		s.t.Skipf("host file %s: %v", p, err)
	}
	s.put(p, 0o755, data)
}

// copyDynamic copies a dynamically linked host program, its interpreter
// and the libraries it needs (DT_NEEDED, recursively, found in the
// standard directories) into the sandbox.
func (s *sandbox) copyDynamic(prog string) {
	s.t.Helper()
	seen := map[string]bool{}
	var visit func(p string)
	visit = func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		s.copyHost(p)
		ef, err := elf.Open(p)
		if err != nil {
			s.t.Fatal(err)
		}
		defer ef.Close()
		for _, ph := range ef.Progs {
			if ph.Type == elf.PT_INTERP {
				b, _ := io.ReadAll(ph.Open())
				visit(string(bytes.TrimRight(b, "\x00")))
			}
		}
		libs, _ := ef.ImportedLibraries()
		for _, l := range libs {
			for _, dir := range []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64"} {
				if _, err := os.Stat(filepath.Join(dir, l)); err == nil {
					visit(filepath.Join(dir, l))
					break
				}
			}
		}
	}
	visit(prog)
}

// run starts argv[0] in the sandbox and returns its stdout, stderr and
// exit status.
func (s *sandbox) run(argv ...string) (string, string, kernel.ExitStatus) {
	s.t.Helper()
	var pipes [3][2]int
	for i := range pipes {
		if err := unix.Pipe2(pipes[i][:], unix.O_CLOEXEC); err != nil {
			s.t.Fatal(err)
		}
	}
	unix.Close(pipes[0][1])
	fds := kernel.NewFDTable()
	for i, hfd := range []int{pipes[0][0], pipes[1][1], pipes[2][1]} {
		f, err := host.NewFD(hfd)
		if err != nil {
			s.t.Fatal(err)
		}
		fds.SetFD(int32(i), f, false, 1024)
		f.DecRef()
	}
	task, err := s.k.NewProcessFromExec(kernel.ExecArgs{
		Path:   argv[0],
		Argv:   argv,
		Envv:   []string{"PATH=/bin:/usr/bin", "LANG=C"},
		FDs:    fds,
		FS:     kernel.NewFSContext(s.root, s.root),
		Limits: kernel.DefaultLimits(),
	})
	if err != nil {
		s.t.Fatalf("exec %s: %v", argv[0], err)
	}
	var outc [2]chan string
	for i, p := range []int{pipes[1][0], pipes[2][0]} {
		outc[i] = make(chan string, 1)
		go func(fd int, c chan<- string) {
			b, _ := io.ReadAll(os.NewFile(uintptr(fd), "pipe"))
			c <- string(b)
		}(p, outc[i])
	}
	task.Start()
	tg := task.ThreadGroup()
	select {
	case <-tg.Done():
	case <-time.After(60 * time.Second):
		tg.Kill(linux.SIGKILL)
		<-tg.Done()
		s.t.Errorf("%s did not finish", argv[0])
	}
	stdout, stderr := <-outc[0], <-outc[1]
	return stdout, stderr, tg.ExitStatus()
}

// TestExecDynamicUnderPtrace runs the host's dynamically linked ls, and a
// script, in a sandbox on the ptrace platform.
func TestExecDynamicUnderPtrace(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real programs")
	}
	s := newSandbox(t)
	s.copyDynamic("/usr/bin/ls")
	s.put("/etc/hello", 0o644, []byte("hi\n"))
	s.copyDynamic("/bin/sh")
	s.copyDynamic("/bin/bash")
	s.copyDynamic("/usr/bin/sha256sum")
	s.put("/bin/script", 0o755, []byte("#!/bin/sh -e\necho \"$0\" \"$1\"\nexec /usr/bin/ls /etc\n"))
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"/usr/bin/ls", "/etc"}, "hello\n"},
		// execve from a running program: the task moves to a new
		// address space.
		{[]string{"/bin/sh", "-c", "exec /usr/bin/ls /etc"}, "hello\n"},
		// A script that execs.
		{[]string{"/bin/script", "arg"}, "/bin/script arg\nhello\n"},
		{[]string{"/bin/bash", "-c", "echo $BASH_VERSION"}, bashVersion(t)},
		{[]string{"/usr/bin/sha256sum", "/etc/hello"}, "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4  /etc/hello\n"},
	} {
		out, errOut, st := s.run(tc.argv...)
		if st != (kernel.ExitStatus{}) || out != tc.want {
			t.Errorf("%q: status %+v, stdout %q (want %q), stderr %q", tc.argv, st, out, tc.want, errOut)
		}
	}
}

func bashVersion(t *testing.T) string {
	out, err := exec.Command("/bin/bash", "-c", "echo $BASH_VERSION").Output()
	if err != nil {
		t.Skipf("no bash: %v", err)
	}
	return string(out)
}

// threadExecProg execs ls from a second thread while the main thread
// sleeps in the kernel and a third spins in application code.
const threadExecProg = `#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
static void *spin(void *a) { for (;;) {} return a; }
static void *run(void *a) {
	printf("exec from %d in %d\n", (int)syscall(SYS_gettid) != getpid(), getpid() > 0);
	fflush(stdout);
	char *argv[] = {"ls", "/etc", NULL};
	execv("/usr/bin/ls", argv);
	perror("execv");
	return a;
}
int main(void) {
	pthread_t t1, t2;
	pthread_create(&t1, NULL, spin, NULL);
	pthread_create(&t2, NULL, run, NULL);
	pause();
	return 1;
}
`

// TestExecFromThreadUnderPtrace execs from a thread that is not the
// leader: the other threads die and the program runs with the process id.
func TestExecFromThreadUnderPtrace(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real programs")
	}
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed; the test builds its program with it")
	}
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "te.c"), filepath.Join(dir, "te")
	if err := os.WriteFile(src, []byte(threadExecProg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(gcc, "-O2", "-pthread", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	s := newSandbox(t)
	s.copyDynamic("/usr/bin/ls")
	s.copyDynamic(bin)
	s.put("/etc/hello", 0o644, []byte("hi\n"))
	out, errOut, st := s.run(bin)
	if want := "exec from 1 in 1\nhello\n"; st != (kernel.ExitStatus{}) || out != want {
		t.Errorf("status %+v, stdout %q (want %q), stderr %q", st, out, want, errOut)
	}
}
