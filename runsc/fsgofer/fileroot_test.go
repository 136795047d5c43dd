package fsgofer

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/lisafs"
	"golang.org/x/sys/unix"
)

// serveFileRoot serves name in dir as a file root and returns a client
// of it and its root inode. Cleanup checks that no FD leaked.
func serveFileRoot(t *testing.T, dir, name string, conf Config) (*lisafs.Client, lisafs.Inode) {
	t.Helper()
	before := openFDs(t)
	dirFD, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewFileRoot(dirFD, name, conf)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, g, before)
}

func TestFileRoot(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "hosts"), "127.0.0.1 localhost\n")
	mustWrite(t, filepath.Join(dir, "secret"), "not yours\n")
	c, root := serveFileRoot(t, dir, "hosts", Config{})
	if fileType(&root.Stat) != linux.S_IFREG || root.Stat.Size != 20 {
		t.Fatalf("root stat: %+v", root.Stat)
	}
	// Nothing but the file is reachable: walks fail, and the parent's
	// other names are not there.
	for _, name := range []string{"secret", "..", "."} {
		if _, err := c.WalkStat(root.ControlFD, []string{name}); err == nil {
			t.Errorf("WalkStat(%q) from a file root succeeded", name)
		}
	}
	if _, err := c.MkdirAt(root.ControlFD, "d", 0o755, 0, 0); !errors.Is(err, linux.ENOTDIR) {
		t.Errorf("MkdirAt in a file root: %v, want ENOTDIR", err)
	}
	// Reads and writes reach the host file.
	fd, hostFD, err := c.OpenAt(root.ControlFD, linux.O_RDWR)
	if err != nil {
		t.Fatalf("OpenAt(O_RDWR): %v", err)
	}
	if hostFD >= 0 {
		unix.Close(hostFD)
	}
	buf := make([]byte, 64)
	if n, err := c.PRead(fd, 0, buf); err != nil || string(buf[:n]) != "127.0.0.1 localhost\n" {
		t.Errorf("PRead = %q, %v", buf[:n], err)
	}
	if _, err := c.PWrite(fd, 0, []byte("10.0.0.1")); err != nil {
		t.Errorf("PWrite: %v", err)
	}
	c.CloseFDs([]lisafs.FDID{fd})
	if b, _ := os.ReadFile(filepath.Join(dir, "hosts")); string(b) != "10.0.0.11 localhost\n" {
		t.Errorf("host file after the write: %q", b)
	}
	// A file swapped in under the name is not the root any more.
	mustWrite(t, filepath.Join(dir, "new"), "other\n")
	if err := os.Rename(filepath.Join(dir, "new"), filepath.Join(dir, "hosts")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.OpenAt(root.ControlFD, linux.O_RDONLY); !errors.Is(err, linux.ESTALE) {
		t.Errorf("OpenAt after the file was replaced: %v, want ESTALE", err)
	}
}

func TestFileRootReadOnly(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "f"), "data")
	c, root := serveFileRoot(t, dir, "f", Config{ReadOnly: true})
	for _, flags := range []uint32{linux.O_WRONLY, linux.O_RDWR, linux.O_RDONLY | linux.O_TRUNC} {
		if _, _, err := c.OpenAt(root.ControlFD, flags); !errors.Is(err, linux.EROFS) {
			t.Errorf("OpenAt(%#x) of a read-only file root: %v, want EROFS", flags, err)
		}
	}
	fd, hostFD, err := c.OpenAt(root.ControlFD, linux.O_RDONLY)
	if err != nil {
		t.Fatalf("OpenAt(O_RDONLY): %v", err)
	}
	if hostFD >= 0 {
		unix.Close(hostFD)
	}
	c.CloseFDs([]lisafs.FDID{fd})
}

func TestFileRootRefused(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	os.Symlink("/etc/passwd", filepath.Join(dir, "link"))
	for _, name := range []string{"d", "link", "missing", "../x", ""} {
		dirFD, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if g, err := NewFileRoot(dirFD, name, Config{}); err == nil {
			g.Close()
			t.Errorf("NewFileRoot(%q) succeeded", name)
		}
	}
}
