package e2e_test

import (
	"os"
	"path/filepath"
	"testing"
)

// testdata returns the absolute path of a file in testdata/, which the
// sandbox sees through the gofer like the rest of the host's root.
func testdata(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestProcessesSameAsNative runs process-heavy programs natively and in
// the sandbox and compares their output and exit status: shell scripts
// (pipelines, subshells, substitutions, here-docs, jobs, traps), Python's
// subprocess/multiprocessing/threading/select/alarm/fork, and a make -j2
// build with gcc.
func TestProcessesSameAsNative(t *testing.T) {
	bin := runsc(t)
	build := `d=$(mktemp -d) && cp -r "$1"/. "$d" && cd "$d" && make -s -j2 && ./prog; s=$?; rm -rf "$d"; exit $s`
	for _, tc := range []struct {
		name string
		argv []string
	}{
		{"bash", []string{"/bin/bash", testdata(t, "shell.bash")}},
		{"busybox-sh", []string{"/bin/busybox", "sh", testdata(t, "shell.sh")}},
		{"python", []string{"/usr/bin/python3", testdata(t, "procs.py")}},
		{"make", []string{"/bin/sh", "-c", build, "sh", testdata(t, "makeproj")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(tc.argv[0]); err != nil {
				t.Skipf("%s is not installed on this host: %v", tc.argv[0], err)
			}
			native := run(t, tc.argv...)
			sandboxed := run(t, append([]string{bin, "do"}, tc.argv...)...)
			if sandboxed.code != native.code || sandboxed.stdout != native.stdout {
				t.Errorf("runsc do %q:\n%v\nnative:\n%v", tc.argv, sandboxed, native)
			}
		})
	}
}

// TestForkBombLimited runs a fork bomb under RLIMIT_NPROC: fork fails
// with EAGAIN as natively, and the sandbox still starts processes after.
func TestForkBombLimited(t *testing.T) {
	bin := runsc(t)
	prog := cProgram(t, "forkbomb")
	native := run(t, prog)
	sandboxed := run(t, bin, "do", prog)
	want := "fork failed with Resource temporarily unavailable after some children\na new process after the bomb exited with 7\n"
	if native.stdout != want || native.code != 0 {
		t.Fatalf("native run: %v, want stdout %q", native, want)
	}
	if sandboxed.stdout != want || sandboxed.code != 0 {
		t.Errorf("runsc do: %v, want stdout %q", sandboxed, want)
	}
}
