package gofer

import (
	"os"
	"path/filepath"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// TestPathEscapes serves a directory as the container root and tries the
// classic ways out of it through the whole stack (VFS path walk, gofer
// client, LISAFS, fsgofer): every one must land on the container's own
// files, whose contents say so, and never on the host's.
func TestPathEscapes(t *testing.T) {
	const inside = "inside the container\n"
	e := newRealEnv(t, Options{}, false, func(dir string) {
		if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "etc", "hostname"), inside)
		if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755); err != nil {
			t.Fatal(err)
		}
		for name, target := range map[string]string{
			"up":       "/../../etc/hostname",
			"rel-up":   "../../../../../../../../etc/hostname",
			"abs":      "/etc/hostname",
			"a/b/deep": "../../../../../etc",
			"a/loop":   "loop",
		} {
			if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	})
	for _, path := range []string{
		"/../../../etc/hostname",
		"/a/b/../../../../etc/hostname",
		"../../etc/hostname",
		"/up",
		"/rel-up",
		"/abs",
		"/a/b/deep/hostname",
		"/a/b/deep/../etc/hostname",
	} {
		t.Run(path, func(t *testing.T) {
			f, err := e.open(path, linux.O_RDONLY, 0)
			if err != nil {
				t.Fatalf("open %q: %v", path, err)
			}
			defer f.DecRef()
			buf := make([]byte, 256)
			n, err := f.PRead(nil, buf, 0)
			if err != nil {
				t.Fatalf("read %q: %v", path, err)
			}
			if got := string(buf[:n]); got != inside {
				t.Errorf("%q read %q: not the container's file", path, got)
			}
		})
	}
	// A symlink loop never leaves either; it ends in ELOOP.
	if _, err := e.open("/a/loop", linux.O_RDONLY, 0); err != linux.ELOOP {
		t.Errorf("open /a/loop: %v, want ELOOP", err)
	}
}

// TestSymlinkSwappedDuringOpen replaces a directory by a symlink pointing
// out of the root, on the host, while the sentry keeps opening a file
// below it: the gofer never follows the host symlink, so every open either
// reaches the container's own file or fails.
func TestSymlinkSwappedDuringOpen(t *testing.T) {
	const inside = "container file\n"
	e := newRealEnv(t, Options{FileAccess: Shared}, false, func(dir string) {
		if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "d", "hostname"), inside)
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		d := filepath.Join(e.dir, "d")
		moved := filepath.Join(e.dir, "d.real")
		for i := 0; i < 200; i++ {
			os.Rename(d, moved)
			os.Symlink("/etc", d)
			os.Remove(d)
			os.Rename(moved, d)
		}
	}()
	for i := 0; ; i++ {
		select {
		case <-done:
			// Once the host is settled the file is there again.
			f, err := e.open("/d/hostname", linux.O_RDONLY, 0)
			if err != nil {
				t.Fatalf("open after the swaps: %v", err)
			}
			defer f.DecRef()
			buf := make([]byte, 256)
			if n, _ := f.PRead(nil, buf, 0); string(buf[:n]) != inside {
				t.Fatalf("after the swaps read %q", buf[:n])
			}
			return
		default:
		}
		f, err := e.open("/d/hostname", linux.O_RDONLY, 0)
		if err != nil {
			continue // The name was missing or replaced at that moment.
		}
		buf := make([]byte, 256)
		n, _ := f.PRead(nil, buf, 0)
		f.DecRef()
		if n > 0 && string(buf[:n]) != inside {
			t.Fatalf("open %d read %q: not the container's file", i, buf[:n])
		}
	}
}
