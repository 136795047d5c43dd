package vfs_test

import (
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// TestMountFile mounts a file of /mnt's file system on /f, as a bind
// mount of one file is made.
func TestMountFile(t *testing.T) {
	w := newWorld(t)
	inner := w.at("/mnt/inner")
	fs := inner.Mount.Filesystem()
	for _, tc := range []struct {
		name string
		at   string
		src  vfs.VirtualDentry
		err  error
	}{
		{"file on a directory", "/d", inner, linux.ENOTDIR},
		{"directory on a file", "/f", w.at("/mnt"), linux.ENOTDIR},
		{"file on a file", "/f", inner, nil},
	} {
		_, err := w.v.Mount(w.at(tc.at), fs, tc.src.Dentry, "bind", vfs.MountFlags{})
		expect(t, tc.name, err, tc.err)
	}
	f, err := w.v.OpenAt(root, w.pop("/f"), vfs.OpenOptions{Flags: linux.O_RDONLY})
	w.must("open /f", err)
	defer f.DecRef()
	buf := make([]byte, 16)
	n, err := f.Read(nil, buf)
	if err != nil || string(buf[:n]) != "inner" {
		t.Errorf("read /f = %q, %v; want the mounted file's \"inner\"", buf[:n], err)
	}
	expect(t, "unlink the mount point", w.v.UnlinkAt(root, w.pop("/f")), linux.EBUSY)
}
