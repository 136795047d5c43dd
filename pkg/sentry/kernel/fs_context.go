package kernel

import (
	"sync"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// FSContext is a task's file system context (Linux's fs_struct): its root
// and working directories and its umask. Tasks cloned with CLONE_FS share
// one.
type FSContext struct {
	mu    sync.Mutex
	root  vfs.VirtualDentry
	cwd   vfs.VirtualDentry
	umask uint32
}

// NewFSContext returns a context with root and cwd and umask 022.
func NewFSContext(root, cwd vfs.VirtualDentry) *FSContext {
	return &FSContext{root: root, cwd: cwd, umask: 0o022}
}

// Root returns the root directory.
func (fc *FSContext) Root() vfs.VirtualDentry {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return fc.root
}

// Cwd returns the working directory.
func (fc *FSContext) Cwd() vfs.VirtualDentry {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return fc.cwd
}

// SetCwd changes the working directory.
func (fc *FSContext) SetCwd(vd vfs.VirtualDentry) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.cwd = vd
}

// SetRoot changes the root directory (chroot).
func (fc *FSContext) SetRoot(vd vfs.VirtualDentry) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.root = vd
}

// Umask returns the file mode creation mask.
func (fc *FSContext) Umask() uint32 {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return fc.umask
}

// SwapUmask sets the umask to mask&0777 and returns the old one.
func (fc *FSContext) SwapUmask(mask uint32) uint32 {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	old := fc.umask
	fc.umask = mask & 0o777
	return old
}

// Fork returns a copy for a task that does not share the context.
func (fc *FSContext) Fork() *FSContext {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return &FSContext{root: fc.root, cwd: fc.cwd, umask: fc.umask}
}

// taskCreds holds a task's published credentials.
type taskCreds struct {
	p atomic.Pointer[auth.Credentials]
}

// Credentials implements vfs.Context: the task's current credentials,
// which must not be modified.
func (t *Task) Credentials() *auth.Credentials { return t.creds.p.Load() }

// SetCredentials publishes new credentials for the task (made with
// Credentials().Fork()).
func (t *Task) SetCredentials(c *auth.Credentials) { t.creds.p.Store(c) }

// FSContext returns the task's file system context.
func (t *Task) FSContext() *FSContext { return t.fs }

// VFS returns the kernel's virtual file system.
func (t *Task) VFS() *vfs.VirtualFilesystem { return t.k.VFS }
