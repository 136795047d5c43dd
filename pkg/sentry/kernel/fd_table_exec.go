package kernel

import "bulwark.dev/bulwark/pkg/sentry/vfs"

// CloseOnExec closes every fd that has its close-on-exec flag set, as
// execve does once it cannot fail any more.
func (ft *FDTable) CloseOnExec() {
	ft.mu.Lock()
	var closed []vfs.FileDescription
	for fd := range ft.fds {
		if e := ft.fds[fd]; e.file != nil && e.cloexec {
			closed = append(closed, e.file)
			ft.fds[fd] = fdEntry{}
		}
	}
	ft.mu.Unlock()
	// The references go outside the lock: a release may block.
	for _, f := range closed {
		ft.closeFile(f)
	}
}
