package e2e_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/testutil"

	"golang.org/x/sys/unix"
)

// runTimeout bounds one run of a program so that a hung sandbox fails the
// test instead of the whole `go test` binary. It is a hang guard, not a
// performance threshold.
const runTimeout = 5 * time.Minute

var (
	// tmpDir holds runsc and every program the tests build.
	tmpDir string
	// runscPath is this test binary's private copy of runsc: the process
	// checks find a sandbox's processes by their executable, and a private
	// copy keeps other tests that run at the same time (the syscall tests
	// use runsc too) out of the count.
	runscPath string
	runscErr  error
)

func TestMain(m *testing.M) {
	dir, err := testutil.SandboxVisibleTempDir("bulwark-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(1)
	}
	tmpDir = dir
	runscPath, runscErr = setupRunsc(dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// setupRunsc copies $RUNSC into dir, or builds runsc there if $RUNSC is not
// set.
func setupRunsc(dir string) (string, error) {
	dst := filepath.Join(dir, "runsc")
	if src := os.Getenv("RUNSC"); src != "" {
		if err := copyFile(src, dst, 0o755); err != nil {
			return "", fmt.Errorf("copy $RUNSC: %w", err)
		}
		return dst, nil
	}
	return testutil.BuildRunsc(dir)
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// requireRoot skips tests that start a sandbox when not root.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: runsc do creates mount, PID, IPC, UTS and network namespaces")
	}
}

// runsc returns the runsc binary under test, or fails the test if it could
// not be built.
func runsc(t *testing.T) string {
	t.Helper()
	requireRoot(t)
	if runscErr != nil {
		t.Fatalf("no runsc to test: %v", runscErr)
	}
	return runscPath
}

var (
	buildMu sync.Mutex
	built   = map[string]buildResult{}
)

type buildResult struct {
	path string
	err  error
}

// buildOnce runs build the first time key is asked for and caches its
// result (also a failure) for the rest of the run.
func buildOnce(t *testing.T, key string, build func(out string) error) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	r, ok := built[key]
	if !ok {
		r.path = filepath.Join(tmpDir, key)
		r.err = build(r.path)
		built[key] = r
	}
	if r.err != nil {
		t.Fatalf("build %s: %v", key, r.err)
	}
	return r.path
}

// cProgram compiles testdata/NAME.c into a static binary.
func cProgram(t *testing.T, name string) string {
	t.Helper()
	return buildOnce(t, "c-"+name, func(out string) error {
		src := filepath.Join("testdata", name+".c")
		cmd := exec.Command("gcc", "-static", "-O1", "-pthread", "-Wall", "-Werror", "-o", out, src)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("gcc %s: %v\n%s", src, err, b)
		}
		return nil
	})
}

// goProgram builds testdata/goprog as a static Go binary.
func goProgram(t *testing.T) string {
	t.Helper()
	return buildOnce(t, "goprog", func(out string) error {
		cmd := exec.Command(testutil.GoTool(), "build", "-o", out, "./testdata/goprog")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build goprog: %v\n%s", err, b)
		}
		return nil
	})
}

// result is how one run of a program ended.
type result struct {
	stdout, stderr string
	// code is the exit status as a shell reports it: the exit code, or
	// 128+N if the process died of signal N.
	code int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
}

// run runs argv to completion (its own process group, stdin /dev/null) and
// returns how it ended. On a hang it kills the process group and fails.
func run(t *testing.T, argv ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%q did not finish within %v (killed); stdout %q, stderr %q", argv, runTimeout, stdout.String(), stderr.String())
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("run %q: %v", argv, err)
	}
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		r.code = 128 + int(ws.Signal())
	} else {
		r.code = ws.ExitStatus()
	}
	return r
}

// sandboxProcs returns the PIDs of host processes whose executable is the
// runsc under test: the runsc CLI, the sandbox process and the platform's
// stub processes (forked from the sentry without exec) all are. The file is
// compared by identity, since a process in another mount namespace may not
// resolve to the same path.
func sandboxProcs(t *testing.T) map[int]string {
	t.Helper()
	want, err := os.Stat(runscPath)
	if err != nil {
		t.Fatalf("stat runsc: %v", err)
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc: %v", err)
	}
	procs := map[int]string{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		fi, err := os.Stat(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil {
			// Gone, a kernel thread, or a zombie: nothing that runs.
			continue
		}
		if os.SameFile(fi, want) {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			procs[pid] = strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return procs
}

// checkNoneLeft fails if a process of the runsc under test exists now that
// did not exist in before, and kills it so it does not outlive the test.
func checkNoneLeft(t *testing.T, before map[int]string) {
	t.Helper()
	for pid, cmdline := range sandboxProcs(t) {
		if _, ok := before[pid]; !ok {
			t.Errorf("process %d of the sandbox outlived runsc: %q", pid, cmdline)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// hostRelease is the host kernel's release (uname -r).
func hostRelease(t *testing.T) string {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatalf("uname: %v", err)
	}
	return unix.ByteSliceToString(u.Release[:])
}
