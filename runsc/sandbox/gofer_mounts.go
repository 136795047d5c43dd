package sandbox

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// GoferMount is a bind mount of an OCI spec that the gofer serves on a
// LISAFS socket of its own. It travels to `runsc gofer` as JSON
// (FlagGoferMounts).
type GoferMount struct {
	// Source is the host path of the mount's source, a directory or a
	// regular file. Symlinks in it are resolved by the gofer, on the host,
	// before it pivots into the container's root.
	Source string `json:"source"`
	// ReadOnly makes the gofer's copy of the source's mount read-only and
	// the gofer refuse every change with EROFS.
	ReadOnly bool `json:"ro,omitempty"`
	// Recursive ("rbind") shows the mounts under the source too.
	Recursive bool `json:"rec,omitempty"`
}

// GoferOptions says what a gofer serves.
type GoferOptions struct {
	// Root is the container's root directory, served read-only if
	// ReadOnly.
	Root     string
	ReadOnly bool
	// Detached: the gofer outlives the runsc that starts it (see
	// StartGoferDetached).
	Detached bool
	// Mounts are the bind mounts served on sockets of their own.
	Mounts []GoferMount
}

// StartGoferWithMounts is StartGofer (StartGoferDetached if o.Detached)
// for a gofer that also serves each of o.Mounts on a socket of its own.
// It returns the sentry's end of the root's socket and of the mounts'
// sockets, in o.Mounts' order (the caller owns them all), and the gofer
// process. The gofer exits when every socket's sentry end is closed.
func StartGoferWithMounts(o GoferOptions) (rootEnd int, mountEnds []int, proc *os.Process, err error) {
	return startGoferOpts("/proc/self/exe", o)
}

// BindRoot is an open bind-mount source, ready for runsc/fsgofer.
type BindRoot struct {
	// DirFD is an O_PATH FD (close-on-exec) of the root of a detached copy
	// of the source's mount (open_tree(2) with OPEN_TREE_CLONE): the
	// source directory itself, or the directory holding a source file.
	DirFD int
	// Name is "" for a directory source, or the source file's name in
	// DirFD.
	Name string
}

// OpenBindSource opens m's source for the gofer. It must run in the
// gofer's own mount namespace, after its mounts were made private and
// before it pivots into the container's root (EnterGoferRoot), which the
// copy outlives: the copy is a mount tree of its own that no later
// change of the gofer's namespace affects. Only the source's mount (and,
// if m.Recursive, the mounts under it) are copied, so nothing above the
// source is reachable from DirFD but, for a file, its parent directory,
// which fsgofer never hands out.
func OpenBindSource(m GoferMount) (BindRoot, error) {
	resolved, err := filepath.EvalSymlinks(m.Source)
	if err != nil {
		return BindRoot{}, fmt.Errorf("sandbox: gofer: bind source %q: %w", m.Source, err)
	}
	var st unix.Stat_t
	if err := unix.Stat(resolved, &st); err != nil {
		return BindRoot{}, fmt.Errorf("sandbox: gofer: bind source %q: %w", m.Source, err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		fd, err := cloneTree(resolved, m.Recursive, m.ReadOnly)
		if err != nil {
			return BindRoot{}, fmt.Errorf("sandbox: gofer: bind source %q: %w", m.Source, err)
		}
		return BindRoot{DirFD: fd}, nil
	case unix.S_IFREG:
		dir, name := filepath.Dir(resolved), filepath.Base(resolved)
		// The file may itself be a mount point (a file bind-mounted on
		// the host): then only a recursive copy of its directory's mount
		// shows it.
		for _, rec := range []bool{false, true} {
			fd, err := cloneTree(dir, rec, m.ReadOnly)
			if err != nil {
				return BindRoot{}, fmt.Errorf("sandbox: gofer: bind source %q: %w", m.Source, err)
			}
			var got unix.Stat_t
			err = unix.Fstatat(fd, name, &got, unix.AT_SYMLINK_NOFOLLOW)
			if err == nil && got.Dev == st.Dev && got.Ino == st.Ino {
				return BindRoot{DirFD: fd, Name: name}, nil
			}
			unix.Close(fd)
		}
		return BindRoot{}, fmt.Errorf("sandbox: gofer: bind source %q: the file changed while it was opened", m.Source)
	default:
		return BindRoot{}, fmt.Errorf("sandbox: gofer: bind source %q is neither a directory nor a regular file", m.Source)
	}
}

// cloneTree returns an O_PATH FD of a detached copy of the mount at dir
// (with the mounts under it if recursive), read-only if readOnly.
func cloneTree(dir string, recursive, readOnly bool) (int, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, dir, flags)
	if err == unix.EINVAL && !recursive {
		// Mounts locked under dir (inherited by a user namespace) may
		// only be copied with it.
		return cloneTree(dir, true, readOnly)
	}
	if err != nil {
		return -1, fmt.Errorf("open_tree: %w", err)
	}
	if readOnly {
		setFlags := uint(unix.AT_EMPTY_PATH)
		if recursive {
			setFlags |= unix.AT_RECURSIVE
		}
		attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
		if err := unix.MountSetattr(fd, "", setFlags, attr); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("make read-only: %w", err)
		}
	}
	return fd, nil
}

// MakeMountsPrivate makes every mount of the calling process's mount
// namespace private, so that nothing done in it propagates to the host's.
// It must run in a mount namespace of the caller's own.
func MakeMountsPrivate() error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("sandbox: make mounts private: %w", err)
	}
	return nil
}
