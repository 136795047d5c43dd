package e2e_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/testutil"
)

// TestSameAsNative runs real dynamically linked programs from the host's
// root, natively and in the sandbox (with the default root overlay, and
// with --overlay2=none), and compares what they print.
//
// `ls -la /etc` lists "..", the root: under the overlay that is a merged
// directory, which Linux overlayfs shows with link count 1 and the upper
// layer's size. So the overlay runs list /etc with -A, and only the run
// without an overlay compares "." and "..".
func TestSameAsNative(t *testing.T) {
	bin := runsc(t)
	dir, err := testutil.SandboxVisibleTempDir("bulwark-fs-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	script := filepath.Join(dir, "script")
	if err := os.WriteFile(script, []byte("#!/bin/busybox sh\necho \"script says $1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		flags []string
		argv  []string
	}{
		{"ls", nil, []string{"/bin/ls", "-lA", "/etc"}},
		{"ls-no-overlay", []string{"--overlay2=none"}, []string{"/bin/ls", "-la", "/etc"}},
		{"bash", nil, []string{"/bin/bash", "-c", "echo $BASH_VERSION"}},
		{"python3", nil, []string{"/usr/bin/python3", "-c", "import json,hashlib,sqlite3; print(1)"}},
		{"sha256sum", nil, []string{"/usr/bin/sha256sum", "/usr/bin/ls"}},
		{"script", nil, []string{script, "hello"}},
	} {
		argv := tc.argv
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(argv[0]); err != nil {
				t.Skipf("%s is not installed on this host: %v", argv[0], err)
			}
			native := run(t, argv...)
			if native.code != 0 {
				t.Fatalf("native %q: %v", argv, native)
			}
			cmd := append(append([]string{bin}, tc.flags...), "do")
			sandboxed := run(t, append(cmd, argv...)...)
			if sandboxed.code != native.code || sandboxed.stdout != native.stdout {
				t.Errorf("runsc do %q:\n%v\nnative:\n%v", argv, sandboxed, native)
			}
		})
	}
}

// background starts runsc with args and returns it; the test kills it
// at the end if it is still running.
func background(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(runsc(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	return cmd, &stderr
}

// waitForProc waits until a process of the runsc under test whose command
// line contains word exists, and returns its pid.
func waitForProc(t *testing.T, word string) int {
	t.Helper()
	deadline := time.Now().Add(runTimeout)
	for time.Now().Before(deadline) {
		for pid, cmdline := range sandboxProcs(t) {
			if strings.Contains(cmdline, word) {
				return pid
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %q process of runsc appeared", word)
	return 0
}

// TestSandboxHoldsNoHostFiles checks that the sandbox process has no host
// file open besides its standard I/O and the root overlay's filestore (a
// file without a name, --overlay2=root:self): files reach it only through
// the gofer, which is a separate process.
func TestSandboxHoldsNoHostFiles(t *testing.T) {
	before := sandboxProcs(t)
	// The program says when it runs: its executable is loaded by then,
	// and the file the sentry read it through is closed.
	cmd := exec.Command(runsc(t), "do", "/bin/busybox", "sh", "-c", "echo ready; read x")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	line := make([]byte, 6)
	if _, err := io.ReadFull(stdout, line); err != nil || string(line) != "ready\n" {
		t.Fatalf("the program did not start: %q, %v", line, err)
	}
	sentry := waitForProc(t, " boot ")
	gofer := waitForProc(t, " gofer")
	if sentry == gofer {
		t.Fatalf("the gofer and the sandbox are one process (%d)", sentry)
	}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", sentry))
	if err != nil {
		t.Fatal(err)
	}
	filestores := 0
	for _, e := range ents {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", sentry, e.Name()))
		if err != nil {
			continue // Closed meanwhile.
		}
		switch {
		case strings.HasPrefix(link, "socket:"), strings.HasPrefix(link, "pipe:"),
			strings.HasPrefix(link, "anon_inode:"), strings.HasPrefix(link, "/memfd:"),
			link == "/dev/null":
			// Connections, the memory file, event FDs and standard I/O.
		case unnamedFile.MatchString(link):
			// O_TMPFILE in the host root: the filestore.
			filestores++
		default:
			t.Errorf("sandbox process %d has host file %s open as fd %s", sentry, link, e.Name())
		}
	}
	if filestores > 1 {
		t.Errorf("sandbox process %d holds %d unnamed host files; want at most the filestore", sentry, filestores)
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
	waitGone(t, before)
}

// unnamedFile is how /proc shows a file made with O_TMPFILE in "/".
var unnamedFile = regexp.MustCompile(`^/#[0-9]+( \(deleted\))?$`)

// waitGone waits (bounded) for the processes that were not in before to go
// away, then checks that none is left.
func waitGone(t *testing.T, before map[int]string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && len(sandboxProcs(t)) > len(before) {
		time.Sleep(20 * time.Millisecond)
	}
	checkNoneLeft(t, before)
}

// TestGoferKilled checks that the sandbox ends with a clear error, rather
// than hanging, when its gofer dies.
func TestGoferKilled(t *testing.T) {
	before := sandboxProcs(t)
	cmd, stderr := background(t, "do", "/bin/busybox", "sleep", "60")
	waitForProc(t, " boot ")
	gofer := waitForProc(t, " gofer")
	if err := syscall.Kill(gofer, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("runsc exited 0 after its gofer was killed")
		}
		if !strings.Contains(stderr.String(), "gofer") {
			t.Errorf("stderr %q does not say the gofer is gone", stderr.String())
		}
	case <-time.After(runTimeout):
		t.Fatalf("runsc still running %v after its gofer was killed", runTimeout)
	}
	waitGone(t, before)
}
