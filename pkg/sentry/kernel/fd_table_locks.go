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
//   - the flock and OFD locks of f itself go with f's last reference
//     (lock.ReleaseAtLastRef, arranged when they were taken), whichever
//     process drops it. A file that cannot run that hook loses them when
//     no fd of this table refers to it any more.
//
// Preconditions: ft.mu is not held.
func (ft *FDTable) closeFile(f vfs.FileDescription) {
	if inode := lock.InodeOf(f); inode != nil {
		lock.Release(inode, ft)
		if !lock.FollowsLastRef(f) && lock.Holds(inode, f) && !ft.refersTo(f) {
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
