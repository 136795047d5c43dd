package fsstress_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/testutil"
)

var (
	seed = flag.Int64("seed", 1, "the operation sequence's seed")
	// fullOps is the acceptance run's length: every mode runs it unless
	// -all-full=false (or FSSTRESS_SHORT=1), which leaves it to native
	// and the default mode (root:self) and gives the others shortOps.
	// About 8 s per sandbox mode at 20k operations on a 2-core machine.
	fullOps  = flag.Int("ops", 20000, "operations of the full runs")
	shortOps = flag.Int("short-ops", 5000, "operations of the other modes' runs without -all-full")
	allFull  = flag.Bool("all-full", os.Getenv("FSSTRESS_SHORT") != "1",
		"run -ops operations in every mode (FSSTRESS_SHORT=1: only in native and root:self)")
	runTimeout = flag.Duration("run-timeout", 5*time.Minute, "time limit of one fsstress run")
)

// mode is one way of running fsstress on the seeded tree.
type mode struct {
	name string
	// overlay is runsc's --overlay2 value; empty for the native run.
	// "dir" stands for root:dir= a fresh host directory.
	overlay string
	// full says the run does fullOps operations even without -all-full.
	full bool
	// args are extra fsstress flags.
	args []string
}

var modes = []mode{
	{name: "native", full: true},
	{name: "root_self", overlay: "root:self", full: true},
	{name: "root_memory", overlay: "root:memory"},
	{name: "root_dir", overlay: "dir"},
	// -M: the mmap operation writes the bytes with pwrite. Gofer files are
	// mapped by copying (pkg/sentry/mm/file.go, MMapCopy): writes through
	// a MAP_SHARED mapping of a gofer file never reach the file.
	{name: "none", overlay: "none", args: []string{"-M"}},
}

// resultRE matches fsstress's last line.
var resultRE = regexp.MustCompile(`(?m)^fsstress seed=(\d+) ops=(\d+) verifies=(\d+) files=(\d+) bytes=(\d+) digest=([0-9a-f]{16}) ms=(\d+)$`)

// run executes argv in its own session and process group (the caller's
// session may lie outside the sandbox's pid namespace), killing the group
// on timeout, and returns stdout and stderr together.
func run(argv []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), *runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return out.String(), fmt.Errorf("timed out after %v: %v", *runTimeout, err)
	}
	return out.String(), err
}

// snapshot describes every file under root: path, type and permissions,
// size, link count, mtime, and the contents' checksum or the symlink's
// target. Reading changes only atimes, which are left out.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st syscall.Stat_t
		if err := syscall.Lstat(path, &st); err != nil {
			return err
		}
		line := fmt.Sprintf("%s %o %d %d %d.%09d", path, st.Mode, st.Size, st.Nlink, st.Mtim.Sec, st.Mtim.Nsec)
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFREG:
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" %x", sha256.Sum256(b))
		case syscall.S_IFLNK:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			line += " -> " + target
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot %s: %v", root, err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestFsstress seeds a tree on the host, then runs fsstress on it natively
// and in the sandbox's root under each --overlay2 mode (a fresh tree each
// time): every run must verify, all runs of one length must end in the
// same tree (digest), and the overlay modes must leave the host's tree, and
// root:dir='s directory, as they were.
func TestFsstress(t *testing.T) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skipf("gcc not found, cannot build fsstress.c: %v", err)
	}
	work, err := testutil.SandboxVisibleTempDir("bulwark-fsstress-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	bin := filepath.Join(work, "fsstress")
	if out, err := exec.Command(gcc, "-static", "-O2", "-Wall", "-Werror", "-o", bin, filepath.Join("src", "fsstress.c")).CombinedOutput(); err != nil {
		t.Fatalf("gcc fsstress.c: %v\n%s", err, out)
	}
	runsc := os.Getenv("RUNSC")
	if runsc == "" {
		if runsc, err = testutil.BuildRunsc(work); err != nil {
			t.Fatal(err)
		}
	}

	// digests[ops] is the native run's digest for that many operations.
	digests := map[int]string{}
	nativeDigest := func(t *testing.T, ops int) string {
		if d, ok := digests[ops]; ok {
			return d
		}
		tree := filepath.Join(work, "native-"+strconv.Itoa(ops))
		d := runOnce(t, bin, tree, ops, nil, nil)
		digests[ops] = d
		return d
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ops := *shortOps
			if m.full || *allFull {
				ops = *fullOps
			}
			if m.overlay == "" {
				nativeDigest(t, ops)
				return
			}
			overlay := m.overlay
			var store string
			if overlay == "dir" {
				store = filepath.Join(work, "filestore-"+m.name)
				if err := os.Mkdir(store, 0o700); err != nil {
					t.Fatal(err)
				}
				overlay = "root:dir=" + store
			}
			tree := filepath.Join(work, m.name)
			prefix := []string{runsc, "--overlay2=" + overlay, "do"}
			got := runOnce(t, bin, tree, ops, prefix, m.args)
			if want := nativeDigest(t, ops); got != want {
				t.Errorf("digest %s, native's %s: the runs did not end in the same tree", got, want)
			}
			if store != "" {
				if ents, err := os.ReadDir(store); err != nil || len(ents) != 0 {
					t.Errorf("filestore directory %s after the sandbox exited: %v, %v; want it empty", store, ents, err)
				}
			}
		})
	}
}

// runOnce populates tree on the host, runs fsstress on it (under prefix,
// if any) and returns the digest it printed. For an overlay mode it checks
// that the host's tree did not change.
func runOnce(t *testing.T, bin, tree string, ops int, prefix, args []string) string {
	t.Helper()
	s := strconv.FormatInt(*seed, 10)
	if err := os.Mkdir(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tree)
	if out, err := run([]string{bin, "-p", "-s", s, tree}); err != nil {
		t.Fatalf("fsstress -p (populate on the host): %v\n%s", err, out)
	}
	before := snapshot(t, tree)
	argv := append(append(append([]string{}, prefix...), bin, "-s", s, "-n", strconv.Itoa(ops)), args...)
	argv = append(argv, tree)
	out, err := run(argv)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	t.Logf("%s: %s", strings.Join(argv, " "), strings.TrimSpace(out))
	m := resultRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("%s: no result line in output:\n%s", strings.Join(argv, " "), out)
	}
	if m[2] != strconv.Itoa(ops) {
		t.Errorf("fsstress ran %s operations, want %d", m[2], ops)
	}
	overlaid := len(prefix) > 0 && !strings.Contains(strings.Join(prefix, " "), "--overlay2=none")
	if overlaid {
		if after := snapshot(t, tree); after != before {
			t.Errorf("the sandbox changed the host's tree %s:\n%s", tree, diffLines(before, after))
		}
	}
	return m[6]
}

// diffLines lists the lines only in a (-) or only in b (+), at most 20.
func diffLines(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !mb[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ma[l] {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("... %d more", len(out)-20))
	}
	if len(out) == 0 {
		return "(the snapshots differ in order only)"
	}
	return strings.Join(out, "\n")
}

// TestFsstressDetectsDamage checks the checker: a tree that differs from
// the seed's by one byte, one extra name or one missing name fails the
// verification before the first operation, natively.
func TestFsstressDetectsDamage(t *testing.T) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skipf("gcc not found, cannot build fsstress.c: %v", err)
	}
	work := t.TempDir()
	bin := filepath.Join(work, "fsstress")
	if out, err := exec.Command(gcc, "-static", "-O2", "-Wall", "-Werror", "-o", bin, filepath.Join("src", "fsstress.c")).CombinedOutput(); err != nil {
		t.Fatalf("gcc fsstress.c: %v\n%s", err, out)
	}
	// largest returns the biggest regular file under dir.
	largest := func(dir string) string {
		var best string
		var size int64 = -1
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if info, err := d.Info(); err == nil && info.Size() > size {
					best, size = p, info.Size()
				}
			}
			return nil
		})
		return best
	}
	for _, tc := range []struct {
		name, want string
		damage     func(dir string) error
	}{
		{"flipped byte", "byte ", func(dir string) error {
			f, err := os.OpenFile(largest(dir), os.O_RDWR, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			b := make([]byte, 1)
			if _, err := f.ReadAt(b, 100); err != nil {
				return err
			}
			b[0] ^= 0x40
			_, err = f.WriteAt(b, 100)
			return err
		}},
		{"extra name", "readdir ", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "stray"), nil, 0o644)
		}},
		{"missing name", "readdir ", func(dir string) error { return os.Remove(largest(dir)) }},
		{"shorter file", "size ", func(dir string) error { return os.Truncate(largest(dir), 10) }},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			dir := filepath.Join(work, strings.ReplaceAll(tc.name, " ", "_"))
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if out, err := run([]string{bin, "-p", "-s", "3", dir}); err != nil {
				t.Fatalf("populate: %v\n%s", err, out)
			}
			if err := tc.damage(dir); err != nil {
				t.Fatal(err)
			}
			out, err := run([]string{bin, "-s", "3", "-n", "10", dir})
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 ||
				!strings.HasPrefix(out, "fsstress: op 0 (setup): ") || !strings.Contains(out, tc.want) {
				t.Errorf("fsstress on a damaged tree: %v, output %q; want exit 1 and an op 0 line about %q", err, out, tc.want)
			}
		})
	}
}
