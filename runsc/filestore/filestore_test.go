package filestore

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// checkNameless checks that f is an empty regular file open for reading
// and writing, with no name, and that dir holds no entry.
func checkNameless(t *testing.T, f *os.File, dir string) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Nlink != 0 || st.Size != 0 {
		t.Errorf("filestore: mode %#o, nlink %d, size %d; want a nameless empty regular file", st.Mode, st.Nlink, st.Size)
	}
	if _, err := f.WriteAt([]byte("data"), 1<<20); err != nil {
		t.Errorf("write to the filestore: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("%s holds %v while the filestore is open, want nothing", dir, entries)
	}
}

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(dir, "sandbox-1")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer f.Close()
	checkNameless(t, f, dir)
}

// TestCreateNamedFallback checks the path taken where O_TMPFILE is
// missing: the file is made with a name and the name is gone at once.
func TestCreateNamedFallback(t *testing.T) {
	dir := t.TempDir()
	dirFD, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dirFD)
	fd, err := createUnlinked(dirFD, "../../etc/evil id")
	if err != nil {
		t.Fatalf("createUnlinked: %v", err)
	}
	f := os.NewFile(uintptr(fd), "filestore")
	defer f.Close()
	checkNameless(t, f, dir)
}

func TestSafeID(t *testing.T) {
	for _, tc := range []struct{ id, want string }{
		{"abc-123_x.y+z", "abc-123_x.y+z"},
		{"../../etc/passwd", "....etcpasswd"},
		{"a/b\x00c d", "abcd"},
		{strings.Repeat("x", 100), strings.Repeat("x", 64)},
	} {
		if got := safeID(tc.id); got != tc.want {
			t.Errorf("safeID(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
}

func TestCreateErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir string
		want      error
	}{
		{"missing directory", filepath.Join(dir, "missing"), unix.ENOENT},
		{"not a directory", file, unix.ENOTDIR},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Create(tc.dir, "x")
			if err == nil {
				f.Close()
				t.Fatal("Create succeeded")
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("Create = %v, want %v", err, tc.want)
			}
			// self does not hide these: they are not a read-only root.
			if f, err := CreateSelf(tc.dir, "x"); err == nil {
				if f != nil {
					f.Close()
				}
				t.Errorf("CreateSelf(%s) = %v, nil; want an error", tc.dir, f)
			}
		})
	}
}

// readOnlyDir returns a directory the caller cannot create files in: a
// read-only tmpfs when root (which ignores permission bits), a directory
// without write permission otherwise.
func readOnlyDir(t *testing.T) (string, error) {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		return dir, unix.EACCES
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_RDONLY, ""); err != nil {
		t.Skipf("root without CAP_SYS_ADMIN cannot mount a read-only tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir, unix.EROFS
}

func TestReadOnlyRoot(t *testing.T) {
	dir, errno := readOnlyDir(t)
	// self falls back to memory...
	f, err := CreateSelf(dir, "sandbox-ro")
	if err != nil || f != nil {
		t.Fatalf("CreateSelf in a read-only dir = %v, %v; want nil, nil (memory)", f, err)
	}
	// ...but an explicit dir= is an error.
	f, err = Create(dir, "sandbox-ro")
	if err == nil {
		f.Close()
		t.Fatal("Create in a read-only dir succeeded")
	}
	if !errors.Is(err, errno) {
		t.Errorf("Create in a read-only dir = %v, want %v", err, errno)
	}
}

func TestCreateSelf(t *testing.T) {
	dir := t.TempDir()
	f, err := CreateSelf(dir, "sandbox-self")
	if err != nil || f == nil {
		t.Fatalf("CreateSelf = %v, %v", f, err)
	}
	defer f.Close()
	checkNameless(t, f, dir)
}

// helperEnv makes the test binary a process that creates a filestore in
// the named directory, writes to it, says so and waits to be killed.
const helperEnv = "FILESTORE_TEST_HOLD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		f, err := Create(dir, "held")
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		f.WriteAt(make([]byte, 1<<20), 0)
		os.Stdout.WriteString("ready\n")
		select {}
	}
	os.Exit(m.Run())
}

// TestNothingRemainsAfterKill kills a process that holds a filestore:
// the directory is left as it was.
func TestNothingRemainsAfterKill(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if _, err := out.Read(buf); err != nil || string(buf) != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper did not get ready: %q, %v", buf, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("%s holds %v after the holder was killed", dir, entries)
	}
}
