package kernel

import (
	"sync"

	"bulwark.dev/bulwark/pkg/sentry/fsimpl/tmpfs"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// memfdState is the kernel's internal tmpfs mount for memfd_create(2),
// made on first use.
type memfdState struct {
	once  sync.Once
	mount *vfs.Mount
}

// MemfdMount returns the internal tmpfs mount that memfd_create(2) files
// live on (no mount namespace shows it), creating it on first use. It is
// nil if the kernel has no VFS.
func (k *Kernel) MemfdMount() *vfs.Mount {
	k.memfd.once.Do(func() {
		if k.VFS != nil {
			k.memfd.mount = tmpfs.NewInternalMount(k.VFS, k.MF)
		}
	})
	return k.memfd.mount
}
