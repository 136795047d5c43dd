package kernel

import (
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/sentry/vfs/lock"
)

// closeFile drops the table's reference to f, which the caller has just
// taken out of one of ft's fds, after releasing the file locks Linux
// releases at that point:
//   - the POSIX record locks the process (owner: its FD table) holds on
//     f's inode, on every close (locks_remove_posix);
//   - the flock and OFD locks of f itself once no fd of the table refers
//     to f any more. Linux waits for the open file's last reference; the
//     table's fds are the only lasting references while the sandbox has
//     one process (memory mappings aside), so this is when it goes.
//
// Preconditions: ft.mu is not held.
func (ft *FDTable) closeFile(f vfs.FileDescription) {
	if inode := lock.InodeOf(f); inode != nil {
		lock.Release(inode, ft)
		if lock.Holds(inode, f) && !ft.refersTo(f) {
			lock.Release(inode, f)
		}
	}
	f.DecRef()
}

// refersTo reports whether any fd of ft refers to f.
func (ft *FDTable) refersTo(f vfs.FileDescription) bool {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	for _, e := range ft.fds {
		if e.file == f {
			return true
		}
	}
	return false
}
