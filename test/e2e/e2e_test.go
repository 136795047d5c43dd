package e2e_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"bulwark.dev/bulwark/pkg/testutil"
)

// goprogWant is the line testdata/goprog prints: fixed by the program's
// constants and its deterministic fill pattern (checked natively by
// TestNativeOracle, so a change to the program that changes it shows there).
const goprogWant = "goroutines=100 jobs=200 results=200 counter=200 bytes=209715200 hops=5000 sum=d687d0c3ff09b900\n"

// exitCases are the C programs whose exit status runsc must report as a
// shell would. Each is run natively too, as the oracle.
var exitCases = []struct {
	prog string
	want int
}{
	{"nullderef", 128 + 11}, // SIGSEGV
	{"abort", 128 + 6},      // SIGABRT
	{"sigterm", 128 + 15},   // SIGTERM
	{"exit42", 42},
	{"threads_killed", 128 + 9}, // SIGKILL
}

// TestNativeOracle checks the test programs themselves: run natively they
// must do what the sandbox tests expect of them. It needs no root and no
// runsc.
func TestNativeOracle(t *testing.T) {
	for _, tc := range exitCases {
		t.Run(tc.prog, func(t *testing.T) {
			r := run(t, cProgram(t, tc.prog))
			if r.code != tc.want {
				t.Errorf("native %s: %v, want exit %d", tc.prog, r, tc.want)
			}
		})
	}
	t.Run("goprog", func(t *testing.T) {
		r := run(t, goProgram(t))
		if r.code != 0 || r.stdout != goprogWant {
			t.Errorf("native goprog: %v, want exit 0 and stdout %q", r, goprogWant)
		}
	})
}

func TestBusybox(t *testing.T) {
	bin := runsc(t)
	for _, tc := range []struct {
		args       []string
		wantStdout string
		wantCode   int
	}{
		{[]string{"echo", "hello"}, "hello\n", 0},
		{[]string{"true"}, "", 0},
		{[]string{"false"}, "", 1},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(t, append([]string{bin, "do", "/bin/busybox"}, tc.args...)...)
			if r.code != tc.wantCode || r.stdout != tc.wantStdout {
				t.Errorf("runsc do busybox %q: %v; want exit %d, stdout %q", tc.args, r, tc.wantCode, tc.wantStdout)
			}
		})
	}
}

// TestUnameRelease checks that the sentry answers uname itself: the release
// it reports is its own, not the host kernel's.
func TestUnameRelease(t *testing.T) {
	bin := runsc(t)
	host := hostRelease(t)
	r := run(t, bin, "do", "/bin/busybox", "uname", "-r")
	if r.code != 0 {
		t.Fatalf("runsc do busybox uname -r: %v", r)
	}
	got := strings.TrimSuffix(r.stdout, "\n")
	if got == "" || strings.Contains(got, "\n") {
		t.Fatalf("uname -r in the sandbox printed %q, want one non-empty line", r.stdout)
	}
	if got == host {
		t.Errorf("uname -r in the sandbox = %q, the host's release; want the sentry's own", got)
	}
}

func TestExitStatus(t *testing.T) {
	bin := runsc(t)
	for _, tc := range exitCases {
		t.Run(tc.prog, func(t *testing.T) {
			r := run(t, bin, "do", cProgram(t, tc.prog))
			if r.code != tc.want {
				t.Errorf("runsc do %s: %v, want exit %d", tc.prog, r, tc.want)
			}
		})
	}
}

// TestGoProgram is acceptance 3: a static Go program with many goroutines on
// two threads, channels, a mutex, sleeps, 200 MiB of live heap and a GC
// prints the same line in the sandbox as natively.
func TestGoProgram(t *testing.T) {
	bin := runsc(t)
	prog := goProgram(t)
	native := run(t, prog)
	if native.code != 0 || native.stdout != goprogWant {
		t.Fatalf("native goprog: %v, want exit 0 and stdout %q", native, goprogWant)
	}
	sandboxed := run(t, bin, "do", prog)
	if sandboxed.code != 0 || sandboxed.stdout != native.stdout {
		t.Errorf("runsc do goprog: %v; want exit 0 and the native stdout %q", sandboxed, native.stdout)
	}
}

func TestStrace(t *testing.T) {
	bin := runsc(t)
	r := run(t, bin, "--strace", "do", "/bin/busybox", "echo", "hi")
	if r.code != 0 || r.stdout != "hi\n" {
		t.Fatalf("runsc --strace do busybox echo hi: %v; want exit 0, stdout %q", r, "hi\n")
	}
	// write(1, "hi\n", 3) = 3, with the buffer decoded (escaped as in C).
	write := regexp.MustCompile(`\bwrite\(1, "hi\\n", 3\) = 3\b`)
	exitGroup := regexp.MustCompile(`\bexit_group\(0\)`)
	var sawWrite, sawExit bool
	for _, line := range strings.Split(r.stderr, "\n") {
		sawWrite = sawWrite || write.MatchString(line)
		sawExit = sawExit || exitGroup.MatchString(line)
	}
	if !sawWrite {
		t.Errorf("no strace line matching %s on stderr:\n%s", write, r.stderr)
	}
	if !sawExit {
		t.Errorf("no strace line matching %s on stderr:\n%s", exitGroup, r.stderr)
	}
}

// TestNothingLeftRunning checks that when runsc exits, every host process
// of its sandbox (sandbox process, stubs) is gone, after a normal exit and
// after a multi-threaded program is killed by a signal.
func TestNothingLeftRunning(t *testing.T) {
	bin := runsc(t)
	for _, tc := range []struct {
		name string
		argv []string
		want int
	}{
		{"exit", []string{bin, "do", "/bin/busybox", "echo", "hello"}, 0},
		{"threads killed", []string{bin, "do", cProgram(t, "threads_killed")}, 128 + 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := sandboxProcs(t)
			r := run(t, tc.argv...)
			if r.code != tc.want {
				t.Errorf("%q: %v, want exit %d", tc.argv, r, tc.want)
			}
			checkNoneLeft(t, before)
		})
	}
}

// TestBadInput checks runsc's answer to mistakes: a non-zero exit, exactly
// one line on stderr, and no process left behind.
func TestBadInput(t *testing.T) {
	bin := runsc(t)
	// The sandbox must see the files: not under /tmp.
	dir, err := testutil.SandboxVisibleTempDir("bulwark-badinput-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		// WriteFile's mode is filtered by the umask; set it exactly.
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	script := write("script.sh", "#!/no/such/interpreter\necho hi\n", 0o755)
	text := write("notes.txt", "not a program\n", 0o755)
	busybox, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	noExec := write("busybox-noexec", string(busybox), 0o644)

	for _, tc := range []struct {
		name string
		args []string
		// want is the exact exit code, or -1 for "any non-zero".
		want int
	}{
		{"unknown flag", []string{"--no-such-flag", "do", "/bin/busybox", "true"}, -1},
		{"unknown do flag", []string{"do", "--no-such-flag", "/bin/busybox", "true"}, -1},
		{"unknown subcommand", []string{"no-such-command"}, -1},
		{"do without program", []string{"do"}, -1},
		{"missing program", []string{"do", "/no/such/program"}, 127},
		{"script without its interpreter", []string{"do", script}, 127},
		{"text file", []string{"do", text}, 126},
		{"not executable", []string{"do", noExec}, 126},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := sandboxProcs(t)
			r := run(t, append([]string{bin}, tc.args...)...)
			switch {
			case r.code == 0:
				t.Errorf("runsc %q: %v, want a non-zero exit", tc.args, r)
			case tc.want >= 0 && r.code != tc.want:
				t.Errorf("runsc %q: %v, want exit %d", tc.args, r, tc.want)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") || len(strings.TrimSpace(r.stderr)) == 0 {
				t.Errorf("runsc %q: stderr %q, want exactly one line", tc.args, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("runsc %q: stdout %q, want nothing", tc.args, r.stdout)
			}
			checkNoneLeft(t, before)
		})
	}
}
