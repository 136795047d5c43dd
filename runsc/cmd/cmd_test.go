package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"bulwark.dev/bulwark/pkg/testutil"
)

// runscBin is the runsc binary built by TestMain.
var runscBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "runsc-cmd-test-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "temp dir: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if runscBin, err = testutil.BuildRunsc(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// runRunsc runs the built runsc and returns its stdout, stderr and exit
// code.
func runRunsc(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	c := exec.Command(runscBin, args...)
	c.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("run runsc %q: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	notELF := filepath.Join(dir, "not-elf")
	if err := os.WriteFile(notELF, []byte("plain text, no #!\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(notELF, 0o755); err != nil {
		t.Fatal(err)
	}
	notExec := filepath.Join(dir, "not-exec")
	elf, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notExec, elf[:64], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(notExec, 0o644); err != nil {
		t.Fatal(err)
	}
	logDir := filepath.Join(dir, "logs") + "/"
	log := "--debug-log=" + logDir

	for _, tc := range []struct {
		name     string
		env      []string
		args     []string
		wantCode int
		wantLine string
	}{
		{"no subcommand", nil, []string{log}, 2, "runsc: no subcommand given (see 'runsc help')"},
		{"unknown global flag", nil, []string{log, "--foo", "do", "/bin/true"}, 2,
			"runsc: flag provided but not defined: -foo (see 'runsc help')"},
		{"unknown subcommand flag", nil, []string{log, "do", "--foo", "/bin/true"}, 2,
			"runsc: do: flag provided but not defined: -foo (see 'runsc help do')"},
		{"unknown subcommand", nil, []string{log, "frobnicate"}, 2,
			`runsc: unknown subcommand "frobnicate" (see 'runsc help')`},
		{"bad platform", nil, []string{log, "--platform=kvm", "do", "/bin/true"}, 2,
			`runsc: invalid value "kvm" for flag -platform: unknown platform "kvm" (valid: ptrace) (see 'runsc help')`},
		{"bad network", nil, []string{log, "--network=bridge", "do", "/bin/true"}, 2,
			`runsc: invalid value "bridge" for flag -network: unknown network "bridge" (valid: none, host) (see 'runsc help')`},
		{"bad bool", nil, []string{log, "--debug=maybe", "do", "/bin/true"}, 2,
			`runsc: invalid boolean value "maybe" for -debug: parse error (see 'runsc help')`},
		{"empty root", nil, []string{log, "--root=", "do", "/bin/true"}, 2, "runsc: invalid root: empty path"},
		{"do without command", nil, []string{log, "do"}, 2, "runsc: do: no command given (see 'runsc help do')"},
		{"do without command after --", nil, []string{log, "do", "--"}, 2, "runsc: do: no command given (see 'runsc help do')"},
		{"missing program", nil, []string{log, "do", "/no/such/prog"}, 127,
			"runsc: do: /no/such/prog: no such file or directory"},
		{"program not in PATH", []string{"PATH=" + dir}, []string{log, "do", "no-such-prog"}, 127,
			"runsc: do: no-such-prog: command not found"},
		{"not ELF", nil, []string{log, "do", notELF}, 126, "runsc: do: " + notELF + ": exec format error"},
		{"not ELF in PATH", []string{"PATH=" + dir}, []string{log, "do", "not-elf"}, 126,
			"runsc: do: " + notELF + ": exec format error"},
		{"not executable", nil, []string{log, "do", notExec}, 126, "runsc: do: " + notExec + ": permission denied"},
		{"directory", nil, []string{log, "do", "--", dir}, 126, "runsc: do: " + dir + ": permission denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runRunsc(t, tc.env, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d", code, tc.wantCode)
			}
			if stderr != tc.wantLine+"\n" {
				t.Errorf("stderr = %q, want the one line %q", stderr, tc.wantLine)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			// A bad command line starts nothing, so it logs nothing.
			if _, err := os.Stat(logDir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("debug log directory %s exists after bad input (stat: %v)", logDir, err)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	stdout, stderr, code := runRunsc(t, nil, "--version")
	if code != 0 || stderr != "" || stdout != "runsc version dev\n" {
		t.Errorf("runsc --version = %q, %q, exit %d; want %q on stdout, exit 0", stdout, stderr, code, "runsc version dev\n")
	}
}

func TestHelpHidesInternalCommands(t *testing.T) {
	stdout, _, code := runRunsc(t, nil, "help")
	if code != 0 {
		t.Fatalf("runsc help exited %d", code)
	}
	for _, want := range []string{"\tdo ", "\thelp ", "\tflags ", "-platform"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("runsc help output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "boot") {
		t.Errorf("runsc help lists the internal boot command:\n%s", stdout)
	}
}

func TestBootRequiresFDs(t *testing.T) {
	_, stderr, code := runRunsc(t, nil, "boot")
	want := "runsc: boot: --boot-fd and --gofer-fd are required\n"
	if code != exitBootFailed || stderr != want {
		t.Errorf("runsc boot = %q, exit %d; want %q, exit %d", stderr, code, want, exitBootFailed)
	}
}

func TestFlagsListsGlobalFlags(t *testing.T) {
	stdout, stderr, code := runRunsc(t, nil, "flags")
	if code != 0 || stderr != "" {
		t.Fatalf("runsc flags = stderr %q, exit %d", stderr, code)
	}
	for _, name := range []string{"platform", "debug", "debug-log", "strace", "strace-syscalls", "rootless", "network", "root", "version"} {
		if !strings.Contains(stdout, "  -"+name+" ") && !strings.Contains(stdout, "  -"+name+"\n") {
			t.Errorf("runsc flags lacks -%s:\n%s", name, stdout)
		}
	}
}

func TestSyscallsTable(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    []string
		notWant string
	}{
		{args: []string{"syscalls"}, want: []string{"NR", "getpid", "full", "rseq"}, notWant: "io_uring_setup"},
		{args: []string{"syscalls", "--all"}, want: []string{"getpid", "io_uring_setup", "ENOSYS"}},
	} {
		stdout, stderr, code := runRunsc(t, nil, tc.args...)
		if code != 0 || stderr != "" {
			t.Errorf("runsc %v: exit %d, stderr %q", tc.args, code, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("runsc %v: output lacks %q", tc.args, w)
			}
		}
		if tc.notWant != "" && strings.Contains(stdout, tc.notWant) {
			t.Errorf("runsc %v: output has %q", tc.args, tc.notWant)
		}
	}
}
