package syscalls_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/testutil"

	"golang.org/x/sys/unix"
)

var nativeOnly = flag.Bool("native-only", os.Getenv("SYSCALL_TESTS_NATIVE_ONLY") == "1",
	"run only the native variant of each syscall test (also: SYSCALL_TESTS_NATIVE_ONLY=1)")

// platform is one way of running a test binary inside the sandbox.
type platform struct {
	name string
	// args go between "runsc" and "do".
	args []string
}

// platforms lists the sandbox variants every test runs under, besides native.
// Adding a platform is one line here.
var platforms = []platform{
	{name: "ptrace", args: []string{"--platform=ptrace"}},
}

// rootOverlay is the --overlay2 mode of every sandbox run: the root is an
// overlay with an in-memory upper layer.
const rootOverlay = "--overlay2=root:memory"

// overlayNoneSuffix names the extra sandbox variant of the file-system tests
// (defs.bzl's OVERLAY_NONE_TESTS): "<platform>_overlay_none", run with
// --overlay2=none (the root is the gofer's file system itself, writable).
const overlayNoneSuffix = "_overlay_none"

// overlaySelfSuffix names the second extra variant of the file-system
// tests: "<platform>_overlay_self", run with --overlay2=root:self (the
// default: the upper layer's data in a filestore in the root's host
// directory).
const overlaySelfSuffix = "_overlay_self"

// rootTmpEnv is the variable that moves harness_tmpdir() from /tmp (a
// sandbox tmpfs in every mode) to a host directory under /var/tmp, which
// the sandbox sees in its root: the runner sets it for the file-system
// tests, natively too, so that their files really live in the root's
// overlay (or, with --overlay2=none, on the host through the gofer).
const rootTmpEnv = "HARNESS_TMPDIR"

// overlayTest is the test that run_overlay_test.sh runs on an overlay: a real
// overlayfs natively, lower files of the root overlay in the sandbox. It has
// no --overlay2=none variant.
const overlayTest = "overlay"

// overlayNoneTests reads OVERLAY_NONE_TESTS from defs.bzl, the one list of
// the tests that also run with --overlay2=none and root:self, with their
// temporary directories in the root (Bazel and this runner).
func overlayNoneTests() (map[string]bool, error) {
	b, err := os.ReadFile("defs.bzl")
	if err != nil {
		return nil, err
	}
	m := regexp.MustCompile(`(?s)OVERLAY_NONE_TESTS = \[(.*?)\]`).FindSubmatch(b)
	if m == nil {
		return nil, errors.New("defs.bzl: no OVERLAY_NONE_TESTS list")
	}
	out := make(map[string]bool)
	for _, q := range regexp.MustCompile(`"([a-z0-9_]+)"`).FindAllSubmatch(m[1], -1) {
		out[string(q[1])] = true
	}
	return out, nil
}

// rootTmpdirGaps reads the names of ROOT_TMPDIR_GAPS from defs.bzl: the
// file-system tests that keep their temporary directories under /tmp.
func rootTmpdirGaps() (map[string]bool, error) {
	b, err := os.ReadFile("defs.bzl")
	if err != nil {
		return nil, err
	}
	m := regexp.MustCompile(`(?s)ROOT_TMPDIR_GAPS = \{(.*?)\n\}`).FindSubmatch(b)
	if m == nil {
		return nil, errors.New("defs.bzl: no ROOT_TMPDIR_GAPS dict")
	}
	out := make(map[string]bool)
	for _, q := range regexp.MustCompile(`(?m)^\s*"([a-z0-9_]+)":`).FindAllSubmatch(m[1], -1) {
		out[string(q[1])] = true
	}
	return out, nil
}

// runTimeout bounds one run of one test binary; on expiry the run's whole
// process group is killed.
var runTimeout = flag.Duration("run-timeout", 60*time.Second,
	"time limit of one run of one test binary; its process group is killed on expiry")

// cflags compile each test; harness.c is linked into every binary.
var cflags = []string{"-static", "-O1", "-pthread", "-Wall", "-Werror"}

// binary is a test program compiled once and shared by all its variants.
type binary struct {
	path string
	err  error // compile error, with gcc's output
	done chan struct{}
}

// compileAll starts compiling every source into dir, at most NumCPU at a time,
// and returns immediately; each binary's done channel closes when it is ready.
func compileAll(gcc, dir string, srcs []string) map[string]*binary {
	bins := make(map[string]*binary, len(srcs))
	sem := make(chan struct{}, runtime.NumCPU())
	for _, src := range srcs {
		name := testName(src)
		b := &binary{path: filepath.Join(dir, name), done: make(chan struct{})}
		bins[name] = b
		go func() {
			defer close(b.done)
			sem <- struct{}{}
			defer func() { <-sem }()
			args := append(append([]string{}, cflags...), "-o", b.path, src, filepath.Join("linux", "harness.c"))
			out, err := exec.Command(gcc, args...).CombinedOutput()
			if err != nil {
				b.err = fmt.Errorf("gcc %s: %w\n%s", strings.Join(args, " "), err, out)
			}
		}()
	}
	return bins
}

// testName maps linux/mmap_test.c to mmap.
func testName(src string) string {
	return strings.TrimSuffix(filepath.Base(src), "_test.c")
}

// runsc builds runsc once (or takes $RUNSC) the first time a sandbox variant
// needs it.
type runscBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func (r *runscBinary) get() (string, error) {
	r.once.Do(func() {
		if p := os.Getenv("RUNSC"); p != "" {
			r.path = p
			return
		}
		r.path, r.err = testutil.BuildRunsc(r.dir)
	})
	return r.path, r.err
}

// run executes argv with stdout and stderr on one pipe, in its own session
// and process group (the caller's session may lie outside this pid
// namespace), killing the group if it outlives runTimeout. It returns the
// combined output and an error unless the program exited with status 0.
func run(argv []string, env []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), *runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out // The same writer: both share one pipe.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Cancel = func() error {
		// The group id is the child's pid (Setsid).
		return unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
	}
	// A grandchild still holding the pipe must not keep Wait blocked forever.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return out.String(), fmt.Errorf("timed out after %v (process group killed): %v", *runTimeout, err)
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return out.String(), fmt.Errorf("exited with %v", exitErr.ProcessState)
	}
	return out.String(), err
}

func TestSyscalls(t *testing.T) {
	srcs, err := filepath.Glob(filepath.Join("linux", "*_test.c"))
	if err != nil {
		t.Fatalf("glob test sources: %v", err)
	}
	if len(srcs) == 0 {
		t.Fatal("no linux/*_test.c found")
	}
	sort.Strings(srcs)
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skipf("gcc not found, cannot build the C tests: %v", err)
	}

	// The binaries must be visible inside the sandbox: not under /tmp.
	tmp, err := testutil.SandboxVisibleTempDir("bulwark-syscalls-")
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	bins := compileAll(gcc, tmp, srcs)
	rs := &runscBinary{dir: tmp}
	noneTests, err := overlayNoneTests()
	if err != nil {
		t.Fatalf("the --overlay2=none test list: %v", err)
	}
	for n := range noneTests {
		if bins[n] == nil {
			t.Errorf("defs.bzl: OVERLAY_NONE_TESTS names %q, which has no linux/%s_test.c", n, n)
		}
	}
	gaps, err := rootTmpdirGaps()
	if err != nil {
		t.Fatalf("the root temporary directory exceptions: %v", err)
	}
	for n := range gaps {
		if !noneTests[n] {
			t.Errorf("defs.bzl: ROOT_TMPDIR_GAPS names %q, which is not in OVERLAY_NONE_TESTS", n)
		}
	}
	overlayScript, err := filepath.Abs("run_overlay_test.sh")
	if err != nil {
		t.Fatal(err)
	}

	for _, src := range srcs {
		name := testName(src)
		bin := bins[name]
		rootTmp := noneTests[name] && !gaps[name]
		t.Run(name, func(t *testing.T) {
			t.Run("native", func(t *testing.T) {
				t.Parallel()
				runVariant(t, bin, rootTmp, func(b string) ([]string, error) {
					if name == overlayTest {
						return []string{"bash", overlayScript, "native", b}, nil
					}
					return []string{b}, nil
				})
			})
			if *nativeOnly {
				return
			}
			for _, p := range platforms {
				variants := []struct {
					suffix, overlay string
				}{{"", rootOverlay}}
				if noneTests[name] {
					variants = append(variants,
						struct{ suffix, overlay string }{overlayNoneSuffix, "--overlay2=none"},
						struct{ suffix, overlay string }{overlaySelfSuffix, "--overlay2=root:self"})
				}
				for _, v := range variants {
					t.Run(p.name+v.suffix, func(t *testing.T) {
						t.Parallel()
						runVariant(t, bin, rootTmp, func(b string) ([]string, error) {
							runsc, err := rs.get()
							if err != nil {
								return nil, err
							}
							argv := append(append([]string{runsc}, p.args...), v.overlay)
							if name == overlayTest {
								return append([]string{"bash", overlayScript, "sandbox", b}, argv...), nil
							}
							return append(argv, "do", "--", b), nil
						})
					})
				}
			}
		})
	}
}

// runVariant waits for bin to be compiled, builds the command line with argv
// and runs it; the test passes iff the program exits with status 0. With
// rootTmp the run's harness_tmpdir() directories go in a fresh directory
// under /var/tmp (rootTmpEnv), which must be empty again afterwards.
func runVariant(t *testing.T, bin *binary, rootTmp bool, argv func(bin string) ([]string, error)) {
	t.Helper()
	<-bin.done
	if bin.err != nil {
		t.Fatal(bin.err)
	}
	args, err := argv(bin.path)
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	if rootTmp {
		dir, err := testutil.SandboxVisibleTempDir("bulwark-syscalls-root-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		// Like /tmp: tests that drop to another uid still reach their
		// own directory.
		if err := os.Chmod(dir, 0o1777); err != nil {
			t.Fatal(err)
		}
		env = []string{rootTmpEnv + "=" + dir}
		defer func() {
			if ents, err := os.ReadDir(dir); err != nil || len(ents) != 0 {
				t.Errorf("%s=%s after the run: %v, %v; want it empty", rootTmpEnv, dir, ents, err)
			}
		}()
	}
	out, err := run(args, env)
	if err != nil {
		t.Errorf("%s: %v\noutput:\n%s", strings.Join(args, " "), err, out)
		return
	}
	t.Logf("%s: output:\n%s", strings.Join(args, " "), out)
}
