package gofer

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/lisafs"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/runsc/fsgofer"
)

// realEnv is a gofer file system served by a real runsc/fsgofer over a
// real LISAFS connection, in this process, on a temporary directory.
type realEnv struct {
	*env
	dir string
	// serverSock is a duplicate of the server's socket, to cut the
	// connection as if the gofer died.
	serverSock int
}

// newRealEnv serves dir (populated by populate) with a gofer whose
// read-only setting is goferRO, through a file system with opts.
func newRealEnv(t *testing.T, opts Options, goferRO bool, populate func(dir string)) *realEnv {
	t.Helper()
	// The gofer expects umask 0 (runsc gofer sets it).
	old := unix.Umask(0)
	t.Cleanup(func() { unix.Umask(old) })
	dir := t.TempDir()
	if populate != nil {
		populate(dir)
	}
	g, err := fsgofer.Open(dir, fsgofer.Config{ReadOnly: goferRO})
	if err != nil {
		t.Fatal(err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	dup, err := unix.Dup(fds[1])
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- lisafs.NewServer(g).Serve(fds[1]) }()
	c, root, err := lisafs.Connect(fds[0], 4)
	if err != nil {
		t.Fatal(err)
	}
	v := vfs.New()
	vfsfs, rootInode := NewFilesystem(v, c, root, opts)
	ns := v.NewMountNamespace(vfsfs, rootInode, "none", vfs.MountFlags{})
	e := &realEnv{
		env: &env{
			t:     t,
			v:     v,
			fs:    vfsfs.Impl().(*Filesystem),
			vfsfs: vfsfs,
			root:  ns.Root(),
			ctx:   &testContext{creds: auth.Root()},
		},
		dir:        dir,
		serverSock: dup,
	}
	t.Cleanup(func() {
		e.fs.Release()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		g.Close()
		unix.Close(dup)
	})
	return e
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0644); err != nil {
		t.Fatal(err)
	}
}

func hostTree(t *testing.T) func(dir string) {
	return func(dir string) {
		writeFile(t, filepath.Join(dir, "a.txt"), "hello\n")
		if err := os.Mkdir(filepath.Join(dir, "sub"), 0755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "sub", "b"), "bee")
		if err := os.Symlink("a.txt", filepath.Join(dir, "link")); err != nil {
			t.Fatal(err)
		}
		// A symlink out of the tree: the walk must stay inside.
		if err := os.Symlink("/etc/hostname", filepath.Join(dir, "out")); err != nil {
			t.Fatal(err)
		}
	}
}

func hostIno(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func TestIntegrationExclusive(t *testing.T) {
	e := newRealEnv(t, Options{}, false, hostTree(t))

	st := e.mustStat("/a.txt")
	if st.Size != 6 || st.Ino != hostIno(t, filepath.Join(e.dir, "a.txt")) || uint32(st.Mode)&linux.S_IFMT != linux.S_IFREG {
		t.Errorf("stat /a.txt: size %d ino %d mode %#o", st.Size, st.Ino, st.Mode)
	}
	f := e.mustOpen("/link", linux.O_RDONLY, 0)
	buf := make([]byte, 64)
	if n, err := f.Read(nil, buf); err != nil || string(buf[:n]) != "hello\n" {
		t.Errorf("read through symlink = %q, %v", buf[:n], err)
	}
	if got, err := e.v.ReadlinkAt(e.ctx, e.pop("/link", false)); err != nil || got != "a.txt" {
		t.Errorf("readlink = %q, %v", got, err)
	}
	// "/out" points at an absolute path: it resolves inside the
	// sandbox's root, where /etc/hostname does not exist.
	if _, err := e.stat("/out"); err != linux.ENOENT {
		t.Errorf("stat through a symlink to a host path: %v, want ENOENT", err)
	}
	if got, want := e.readdir("/"), []string{".", "..", "a.txt", "link", "out", "sub"}; !sameSet(got, want) {
		t.Errorf("readdir / = %v, want %v", got, want)
	}

	// Mutations reach the host.
	if err := e.v.MkdirAt(e.ctx, e.pop("/sub/new", false), 0750); err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(e.dir, "sub", "new")); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0750 {
		t.Errorf("host after mkdir: %v, %v", fi, err)
	}
	w, err := e.open("/sub/new/file", linux.O_CREAT|linux.O_WRONLY, 0600)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := w.Write(nil, []byte("written by the sentry")); err != nil {
		t.Fatalf("write: %v", err)
	}
	w.DecRef()
	if got, err := os.ReadFile(filepath.Join(e.dir, "sub", "new", "file")); err != nil || string(got) != "written by the sentry" {
		t.Errorf("host file = %q, %v", got, err)
	}
	if st := e.mustStat("/sub/new/file"); st.Size != 21 {
		t.Errorf("size = %d, want 21", st.Size)
	}
	if err := e.v.RenameAt(e.ctx, e.pop("/sub/new/file", false), e.pop("/renamed", false), 0); err != nil {
		t.Fatalf("rename: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "renamed")); err != nil {
		t.Errorf("host after rename: %v", err)
	}
	if err := e.v.UnlinkAt(e.ctx, e.pop("/renamed", false)); err != nil {
		t.Fatalf("unlink: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "renamed")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("host after unlink: %v", err)
	}
	if err := e.v.RmdirAt(e.ctx, e.pop("/sub/new", false)); err != nil {
		t.Fatalf("rmdir: %v", err)
	}
	if err := e.v.SymlinkAt(e.ctx, e.pop("/sl", false), "sub/b"); err != nil {
		t.Fatalf("symlink: %v", err)
	}
	if got, err := os.Readlink(filepath.Join(e.dir, "sl")); err != nil || got != "sub/b" {
		t.Errorf("host symlink = %q, %v", got, err)
	}
	if err := e.v.LinkAt(e.ctx, e.pop("/sub/b", false), e.pop("/hard", false)); err != nil {
		t.Fatalf("link: %v", err)
	}
	if st := e.mustStat("/hard"); st.Nlink != 2 {
		t.Errorf("nlink after link = %d, want 2", st.Nlink)
	}
	if got, want := e.readdir("/"), []string{".", "..", "a.txt", "hard", "link", "out", "sl", "sub"}; !sameSet(got, want) {
		t.Errorf("readdir / after changes = %v, want %v", got, want)
	}
	vd, err := e.v.GetDentryAt(e.ctx, e.pop("/a.txt", false))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.v.SetStat(e.ctx, vd, vfs.SetStatOptions{Mask: linux.STATX_MODE, Mode: 0600}); err != nil {
		t.Fatalf("chmod: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(e.dir, "a.txt")); err != nil || fi.Mode().Perm() != 0600 {
		t.Errorf("host mode after chmod: %v, %v", fi, err)
	}
	if st := e.mustStat("/a.txt"); st.Mode&07777 != 0600 {
		t.Errorf("mode after chmod = %#o", st.Mode)
	}
	if err := e.v.Truncate(e.ctx, vd, 2); err != nil {
		t.Fatalf("truncate: %v", err)
	}
	if st := e.mustStat("/a.txt"); st.Size != 2 {
		t.Errorf("size after truncate = %d", st.Size)
	}
	if sfs, err := e.v.StatFS(e.ctx, e.root); err != nil || sfs.Type != linux.V9FS_MAGIC || sfs.Bsize == 0 {
		t.Errorf("statfs = %+v, %v", sfs, err)
	}
}

// TestIntegrationLargeFile reads a multi-megabyte file through the
// donated host FD and through the page-sized reads a program makes.
func TestIntegrationLargeFile(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 5<<16) // 5 MiB
	e := newRealEnv(t, Options{}, true, func(dir string) {
		writeFile(t, filepath.Join(dir, "big"), string(data))
	})
	f := e.mustOpen("/big", linux.O_RDONLY, 0)
	h := sha256.New()
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(nil, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		h.Write(buf[:n])
	}
	if got, want := h.Sum(nil), sha256.Sum256(data); !bytes.Equal(got, want[:]) {
		t.Errorf("sha256 of the file read through the gofer differs")
	}
	if rf := f.(*regularFile); rf.hostFD < 0 {
		t.Errorf("the gofer donated no host FD for a regular file")
	}
}

func TestIntegrationSharedRevalidation(t *testing.T) {
	e := newRealEnv(t, Options{FileAccess: Shared}, false, hostTree(t))
	before := e.mustStat("/a.txt")
	e.readdir("/")

	// Replace a.txt behind the sentry's back (write + rename, as editors
	// do), change sub/b's mode, add and remove files.
	tmp := filepath.Join(e.dir, "a.tmp")
	writeFile(t, tmp, "replaced contents\n")
	if err := os.Rename(tmp, filepath.Join(e.dir, "a.txt")); err != nil {
		t.Fatal(err)
	}
	e.mustStat("/sub/b")
	if err := os.Chmod(filepath.Join(e.dir, "sub", "b"), 0600); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(e.dir, "added"), "x")

	after := e.mustStat("/a.txt")
	if after.Ino == before.Ino || after.Ino != hostIno(t, filepath.Join(e.dir, "a.txt")) || after.Size != 18 {
		t.Errorf("replaced file: ino %d (was %d) size %d; want the new host file", after.Ino, before.Ino, after.Size)
	}
	f := e.mustOpen("/a.txt", linux.O_RDONLY, 0)
	buf := make([]byte, 64)
	if n, err := f.Read(nil, buf); err != nil || string(buf[:n]) != "replaced contents\n" {
		t.Errorf("read after replacement = %q, %v", buf[:n], err)
	}
	if st := e.mustStat("/sub/b"); st.Mode&07777 != 0600 {
		t.Errorf("mode changed on the host: got %#o, want 0600", st.Mode&07777)
	}
	if names := e.readdir("/"); !slices.Contains(names, "added") {
		t.Errorf("readdir %v misses a file added on the host", names)
	}
	if err := os.Remove(filepath.Join(e.dir, "added")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.stat("/added"); err != linux.ENOENT {
		t.Errorf("stat of a file removed on the host: %v, want ENOENT", err)
	}
	// A directory replaced by a file.
	if err := os.RemoveAll(filepath.Join(e.dir, "sub")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(e.dir, "sub"), "now a file")
	if st := e.mustStat("/sub"); uint32(st.Mode)&linux.S_IFMT != linux.S_IFREG {
		t.Errorf("sub replaced by a file: mode %#o", st.Mode)
	}
	if _, err := e.stat("/sub/b"); err != linux.ENOTDIR {
		t.Errorf("stat /sub/b after sub became a file: %v, want ENOTDIR", err)
	}
}

func TestIntegrationReadOnly(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    Options
		goferRO bool
	}{
		{"file system read-only", Options{ReadOnly: true}, false},
		{"gofer read-only", Options{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newRealEnv(t, tc.opts, tc.goferRO, hostTree(t))
			for _, op := range []struct {
				name string
				fn   func() error
			}{
				{"mkdir", func() error { return e.v.MkdirAt(e.ctx, e.pop("/d", false), 0755) }},
				{"creat", func() error {
					_, err := e.open("/new", linux.O_CREAT|linux.O_WRONLY, 0644)
					return err
				}},
				{"open for writing", func() error {
					_, err := e.open("/a.txt", linux.O_RDWR, 0)
					return err
				}},
				{"unlink", func() error { return e.v.UnlinkAt(e.ctx, e.pop("/a.txt", false)) }},
				{"rename", func() error { return e.v.RenameAt(e.ctx, e.pop("/a.txt", false), e.pop("/b.txt", false), 0) }},
				{"symlink", func() error { return e.v.SymlinkAt(e.ctx, e.pop("/s", false), "x") }},
			} {
				if err := op.fn(); err != linux.EROFS {
					t.Errorf("%s: %v, want EROFS", op.name, err)
				}
			}
			names, err := os.ReadDir(e.dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(names) != 4 {
				t.Errorf("the host directory changed: %v", names)
			}
			if got, err := os.ReadFile(filepath.Join(e.dir, "a.txt")); err != nil || string(got) != "hello\n" {
				t.Errorf("host a.txt = %q, %v", got, err)
			}
		})
	}
}

// TestIntegrationGoferDies cuts the connection: Done is closed and
// operations fail with EIO, without hanging.
func TestIntegrationGoferDies(t *testing.T) {
	e := newRealEnv(t, Options{FileAccess: Shared}, false, hostTree(t))
	e.mustStat("/a.txt")
	if err := unix.Shutdown(e.serverSock, unix.SHUT_RDWR); err != nil {
		t.Fatal(err)
	}
	<-e.fs.Done()
	if _, err := e.stat("/a.txt"); err != linux.EIO {
		t.Errorf("stat after the gofer died: %v, want EIO", err)
	}
	if err := e.v.MkdirAt(e.ctx, e.pop("/x", false), 0755); err != linux.EIO {
		t.Errorf("mkdir after the gofer died: %v, want EIO", err)
	}
}

// sameSet reports whether a and b hold the same names in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestIntegrationConcurrent runs lookups, reads, creates, renames and
// unlinks from many goroutines at once (run with -race).
func TestIntegrationConcurrent(t *testing.T) {
	for _, access := range []FileAccess{Exclusive, Shared} {
		t.Run(access.String(), func(t *testing.T) {
			e := newRealEnv(t, Options{FileAccess: access}, false, hostTree(t))
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					name := fmt.Sprintf("/sub/f%d", g)
					for i := 0; i < 20; i++ {
						if _, err := e.stat("/a.txt"); err != nil {
							errs <- fmt.Errorf("stat: %w", err)
							return
						}
						f, err := e.open(name, linux.O_CREAT|linux.O_RDWR, 0644)
						if err != nil {
							errs <- fmt.Errorf("create %s: %w", name, err)
							return
						}
						if _, err := f.Write(nil, []byte("data")); err != nil {
							errs <- fmt.Errorf("write: %w", err)
						}
						f.DecRef()
						if err := e.v.RenameAt(e.ctx, e.pop(name, false), e.pop(name+"r", false), 0); err != nil {
							errs <- fmt.Errorf("rename: %w", err)
							return
						}
						if err := e.v.UnlinkAt(e.ctx, e.pop(name+"r", false)); err != nil {
							errs <- fmt.Errorf("unlink: %w", err)
							return
						}
						e.readdir("/sub")
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if got := e.readdir("/sub"); !sameSet(got, []string{".", "..", "b"}) {
				t.Errorf("readdir /sub = %v, want only b", got)
			}
		})
	}
}

// TestIntegrationNoHostFDLeak opens and closes files many times: the
// donated host FDs (regular files; the client's channels are sockets,
// and the close queue may add one) must not pile up in the sentry.
func TestIntegrationNoHostFDLeak(t *testing.T) {
	e := newRealEnv(t, Options{}, false, hostTree(t))
	count := func() int {
		e.fs.syncCloses()
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		files := 0
		for _, ent := range ents {
			if st, err := os.Stat("/proc/self/fd/" + ent.Name()); err == nil && st.Mode().IsRegular() {
				files++
			}
		}
		return files
	}
	// Warm up: the walk and the client's channels.
	e.mustOpen("/a.txt", linux.O_RDONLY, 0)
	before := count()
	for i := 0; i < 50; i++ {
		f, err := e.open("/a.txt", linux.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.DecRef()
		w, err := e.open(fmt.Sprintf("/n%d", i), linux.O_CREAT|linux.O_WRONLY, 0644)
		if err != nil {
			t.Fatal(err)
		}
		w.DecRef()
		if err := e.v.UnlinkAt(e.ctx, e.pop(fmt.Sprintf("/n%d", i), false)); err != nil {
			t.Fatal(err)
		}
	}
	if after := count(); after > before {
		t.Errorf("%d host FDs of files after 100 opens and closes, %d before", after, before)
	}
}
