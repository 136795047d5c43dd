package tmpfs

import (
	"fmt"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// memfdFlags are the memfd_create(2) flags NewMemfd accepts.
const memfdFlags = linux.MFD_CLOEXEC | linux.MFD_ALLOW_SEALING | linux.MFD_NOEXEC_SEAL | linux.MFD_EXEC

// NewMemfd implements memfd_create(2): a new regular file of the tmpfs
// mount (made by NewInternalMount) that has no name in any directory. Its
// dentry is "memfd:NAME" under the mount's root and dead, so its path is
// "/memfd:NAME (deleted)"; its link count is 0, as Linux's. The file is
// open O_RDWR; MFD_CLOEXEC is the caller's business (the FD flag).
//
// Without MFD_ALLOW_SEALING (or MFD_NOEXEC_SEAL) the file is sealed with
// F_SEAL_SEAL. MFD_NOEXEC_SEAL drops the execute bits and seals them
// (F_SEAL_EXEC). MFD_HUGETLB is not supported (EINVAL), nor are unknown
// flags, both MFD_EXEC and MFD_NOEXEC_SEAL, or a name longer than
// MFD_NAME_MAX_LEN.
func NewMemfd(ctx vfs.Context, mount *vfs.Mount, name string, flags uint32) (vfs.FileDescription, error) {
	if flags&^memfdFlags != 0 {
		return nil, linux.EINVAL
	}
	if flags&linux.MFD_EXEC != 0 && flags&linux.MFD_NOEXEC_SEAL != 0 {
		return nil, linux.EINVAL
	}
	if len(name) > linux.MFD_NAME_MAX_LEN {
		return nil, linux.EINVAL
	}
	fs, ok := mount.Filesystem().Impl().(*filesystem)
	if !ok {
		return nil, fmt.Errorf("tmpfs: memfd on a %q mount", mount.Filesystem().Impl().Name())
	}
	if err := fs.reserveIspace(bogoInodeSize); err != nil {
		return nil, err
	}
	creds := ctx.Credentials()
	mode := uint32(0777)
	if flags&linux.MFD_NOEXEC_SEAL != 0 {
		mode = 0666
	}
	r := fs.newRegular(vfs.CreateOptions{Mode: linux.S_IFREG | mode, UID: creds.FilesystemUID, GID: creds.FilesystemGID}, 0)
	switch {
	case flags&linux.MFD_NOEXEC_SEAL != 0:
		r.seals = linux.F_SEAL_EXEC
	case flags&linux.MFD_ALLOW_SEALING != 0:
		r.seals = 0
	}
	r.opens = 1
	d := vfs.NewDeadDentry(mount.Root(), linux.MFD_NAME_PREFIX+name, r)
	return newRegularFile(vfs.VirtualDentry{Mount: mount, Dentry: d}, linux.O_RDWR, r), nil
}
