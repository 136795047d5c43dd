package e2e_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"bulwark.dev/bulwark/pkg/testutil"
)

// treeSnapshot describes every file under root: path, type, mode, size,
// mtime, and for regular files a checksum of the contents (reading them
// may change atimes, which are left out).
func treeSnapshot(t *testing.T, root string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return nil
			}
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %v %d %d", path, info.Mode(), info.Size(), info.ModTime().UnixNano())
		if info.Mode().IsRegular() {
			if b, err := os.ReadFile(path); err == nil {
				line += fmt.Sprintf(" %x", sha256.Sum256(b))
			}
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

// TestOverlayDefaultChangesNothingOnHost writes, removes and renames files
// of the host's root in the sandbox with the default --overlay2: the
// program sees its changes, the host sees none.
func TestOverlayDefaultChangesNothingOnHost(t *testing.T) {
	bin := runsc(t)
	dir, err := testutil.SandboxVisibleTempDir("bulwark-overlay-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for name, data := range map[string]string{"f": "host f\n", "g": "host g\n", "sub/h": "host h\n"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	newfile := "/bulwark-overlay-e2e-newfile"
	if _, err := os.Lstat(newfile); err == nil {
		t.Fatalf("%s exists on the host before the test", newfile)
	}
	dirs := []string{"/etc", "/usr/bin", dir}
	before := make(map[string]string)
	for _, d := range dirs {
		before[d] = treeSnapshot(t, d)
	}
	script := strings.Join([]string{
		"set -e",
		"echo x > " + newfile,
		"cat " + newfile,
		"rm -f /etc/hostname",
		"test ! -e /etc/hostname",
		"echo more >> /etc/passwd",
		"touch /usr/bin/bulwark-new && chmod 4755 /usr/bin/true",
		"echo y >> D/f && rm D/g && mv D/f D/f2 && mkdir D/newdir && rm -r D/sub",
		"cat D/f2",
		"ls D/",
	}, "\n")
	script = strings.ReplaceAll(script, "D/", dir+"/")
	r := run(t, bin, "do", "/bin/sh", "-c", script)
	want := "x\nhost f\ny\nf2\nnewdir\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("runsc do sh: %v; want exit 0 and stdout %q", r, want)
	}
	for _, d := range dirs {
		if after := treeSnapshot(t, d); after != before[d] {
			t.Errorf("the sandbox changed %s on the host", d)
		}
	}
	if _, err := os.Lstat(newfile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s on the host after the sandbox wrote it: %v", newfile, err)
		os.Remove(newfile)
	}
}

// TestOverlayListRootSameAsNative compares `ls -a /` in the sandbox with
// the host's.
func TestOverlayListRootSameAsNative(t *testing.T) {
	bin := runsc(t)
	native := run(t, "/bin/ls", "-a", "/")
	for _, mode := range []string{"root:memory", "none"} {
		r := run(t, bin, "--overlay2="+mode, "do", "/bin/ls", "-a", "/")
		if r.code != 0 || r.stdout != native.stdout {
			t.Errorf("--overlay2=%s: runsc do ls -a /: %v\nnative: %v", mode, r, native)
		}
	}
}

// TestOverlayNoneWritesReachHost checks --overlay2=none: the root is the
// host's, writable.
func TestOverlayNoneWritesReachHost(t *testing.T) {
	bin := runsc(t)
	dir, err := testutil.SandboxVisibleTempDir("bulwark-overlay-none-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "old"), []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("echo hi > %[1]s/out && mkdir %[1]s/d && mv %[1]s/old %[1]s/d/moved", dir)
	if r := run(t, bin, "--overlay2=none", "do", "/bin/sh", "-c", script); r.code != 0 {
		t.Fatalf("runsc --overlay2=none do sh: %v", r)
	}
	for name, want := range map[string]string{"out": "hi\n", "d/moved": "old\n"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("host %s: %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "old")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("host old after mv: %v", err)
	}
}

// TestOverlayBadFlag checks that a bad --overlay2 is a usage error with one
// clear line.
func TestOverlayBadFlag(t *testing.T) {
	bin := runsc(t)
	for _, v := range []string{"bogus", "root:disk", "root:dir=relative", "home:memory"} {
		r := run(t, bin, "--overlay2="+v, "do", "/bin/true")
		if r.code != 2 || !strings.HasPrefix(r.stderr, "runsc: ") || !strings.Contains(r.stderr, "invalid overlay2") ||
			strings.Count(strings.TrimSuffix(r.stderr, "\n"), "\n") != 0 {
			t.Errorf("--overlay2=%s: %v; want exit 2 and one line about overlay2", v, r)
		}
	}
}
