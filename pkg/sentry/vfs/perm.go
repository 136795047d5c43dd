package vfs

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
)

// Access modes for MayAccess (Linux's MAY_*).
const (
	MayExec  = 1
	MayWrite = 2
	MayRead  = 4
)

// MayAccess is Linux's generic_permission: whether creds may access a
// file with attributes st in mode want (MayRead|MayWrite|MayExec).
func MayAccess(creds *auth.Credentials, st *linux.Statx, want uint32) error {
	mode := uint32(st.Mode)
	var perm uint32
	switch {
	case creds.FilesystemUID == auth.UID(st.UID):
		perm = (mode >> 6) & 7
	case creds.InGroup(auth.GID(st.GID)):
		perm = (mode >> 3) & 7
	default:
		perm = mode & 7
	}
	if want&^perm == 0 {
		return nil
	}
	isDir := IsDir(st.Mode)
	if creds.HasCapability(linux.CAP_DAC_OVERRIDE) {
		if want&MayExec == 0 || isDir || mode&(linux.S_IXUSR|linux.S_IXGRP|linux.S_IXOTH) != 0 {
			return nil
		}
	}
	if creds.HasCapability(linux.CAP_DAC_READ_SEARCH) {
		if want == MayRead || (isDir && want&MayWrite == 0) {
			return nil
		}
	}
	return linux.EACCES
}

// isOwner reports whether creds own the file or have CAP_FOWNER
// (inode_owner_or_capable).
func isOwner(creds *auth.Credentials, st *linux.Statx) bool {
	return creds.FilesystemUID == auth.UID(st.UID) || creds.HasCapability(linux.CAP_FOWNER)
}

// mayCreate checks that creds may add a name to dir (may_create).
func mayCreate(creds *auth.Credentials, dir *Dentry) error {
	if dir.IsDead() {
		return linux.ENOENT
	}
	st, err := dir.inode.Stat()
	if err != nil {
		return err
	}
	return MayAccess(creds, &st, MayWrite|MayExec)
}

// mayDelete checks that creds may remove child from dir (may_delete),
// including the sticky-bit rule.
func mayDelete(creds *auth.Credentials, dir *Dentry, child *Dentry) error {
	dst, err := dir.inode.Stat()
	if err != nil {
		return err
	}
	if err := MayAccess(creds, &dst, MayWrite|MayExec); err != nil {
		return err
	}
	if uint32(dst.Mode)&linux.S_ISVTX != 0 {
		cst, err := child.inode.Stat()
		if err != nil {
			return err
		}
		if creds.FilesystemUID != auth.UID(cst.UID) && creds.FilesystemUID != auth.UID(dst.UID) &&
			!creds.HasCapability(linux.CAP_FOWNER) {
			return linux.EPERM
		}
	}
	return nil
}

// newFileOwner returns the owner of a new file in dir: the caller's
// filesystem IDs, with the group inherited from a set-group-ID directory.
// It also returns the mode with S_ISGID adjusted as Linux's
// inode_init_owner does.
func newFileOwner(creds *auth.Credentials, dirSt *linux.Statx, mode uint32) (auth.UID, auth.GID, uint32) {
	gid := creds.FilesystemGID
	if uint32(dirSt.Mode)&linux.S_ISGID != 0 {
		gid = auth.GID(dirSt.GID)
		if mode&linux.S_IFMT == linux.S_IFDIR {
			mode |= linux.S_ISGID
		} else if mode&linux.S_ISGID != 0 && mode&linux.S_IXGRP != 0 &&
			!creds.InGroup(gid) && !creds.HasCapability(linux.CAP_FSETID) {
			mode &^= linux.S_ISGID
		}
	}
	return creds.FilesystemUID, gid, mode
}

// checkSetStat checks that creds may make the changes in opts to a file
// with attributes st, and adjusts opts as Linux's setattr_prepare and
// notify_change do (clearing set-ID bits).
func checkSetStat(creds *auth.Credentials, st *linux.Statx, opts *SetStatOptions) error {
	if opts.Mask&linux.STATX_MODE != 0 {
		if !isOwner(creds, st) {
			return linux.EPERM
		}
		gid := auth.GID(st.GID)
		if opts.Mask&linux.STATX_GID != 0 {
			gid = opts.GID
		}
		if !creds.InGroup(gid) && !creds.HasCapability(linux.CAP_FSETID) {
			opts.Mode &^= linux.S_ISGID
		}
	}
	if opts.Mask&(linux.STATX_UID|linux.STATX_GID) != 0 {
		if opts.Mask&linux.STATX_UID != 0 && opts.UID != auth.UID(st.UID) && !creds.HasCapability(linux.CAP_CHOWN) {
			return linux.EPERM
		}
		if opts.Mask&linux.STATX_GID != 0 && opts.GID != auth.GID(st.GID) {
			ownerOK := creds.FilesystemUID == auth.UID(st.UID) && creds.InGroup(opts.GID)
			if !ownerOK && !creds.HasCapability(linux.CAP_CHOWN) {
				return linux.EPERM
			}
		}
		// chown clears set-user-ID, and set-group-ID if group-executable,
		// of non-directories.
		if !IsDir(st.Mode) {
			mode := uint32(st.Mode)
			if opts.Mask&linux.STATX_MODE != 0 {
				mode = opts.Mode
			}
			newMode := mode &^ linux.S_ISUID
			if mode&linux.S_IXGRP != 0 {
				newMode &^= linux.S_ISGID
			}
			if newMode != mode {
				opts.Mask |= linux.STATX_MODE
				opts.Mode = newMode & 07777
			}
		}
	}
	if opts.Mask&linux.STATX_SIZE != 0 && !IsDir(st.Mode) && !creds.HasCapability(linux.CAP_FSETID) {
		// Truncation clears set-user-ID, and set-group-ID if
		// group-executable, like a write (dentry_needs_remove_privs).
		mode := uint32(st.Mode)
		if opts.Mask&linux.STATX_MODE != 0 {
			mode = opts.Mode
		}
		newMode := mode &^ linux.S_ISUID
		if mode&linux.S_IXGRP != 0 {
			newMode &^= linux.S_ISGID
		}
		if newMode&07777 != mode&07777 {
			opts.Mask |= linux.STATX_MODE
			opts.Mode = newMode & 07777
		}
	}
	if opts.Mask&(linux.STATX_ATIME|linux.STATX_MTIME) != 0 {
		explicit := (opts.Mask&linux.STATX_ATIME != 0 && opts.Atime.Nsec != linux.UTIME_NOW && opts.Atime.Nsec != linux.UTIME_OMIT) ||
			(opts.Mask&linux.STATX_MTIME != 0 && opts.Mtime.Nsec != linux.UTIME_NOW && opts.Mtime.Nsec != linux.UTIME_OMIT)
		if !isOwner(creds, st) {
			if explicit {
				return linux.EPERM
			}
			if err := MayAccess(creds, st, MayWrite); err != nil {
				return err
			}
		}
	}
	return nil
}
