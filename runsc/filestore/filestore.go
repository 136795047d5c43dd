// Package filestore creates the host file that holds the file data of a
// sandbox's overlay upper layer (--overlay2=root:self or root:dir=PATH),
// on the host side of runsc, before the sandbox starts. runsc donates the
// file's FD to `runsc boot`, whose sentry maps it as a memory file
// (pgalloc.NewFromFD) behind the upper tmpfs, so that the data of files the
// container writes uses the host's disk, where disk quotas and du see it,
// instead of memory.
//
// Cleanup rule: the file never has a name while the sandbox runs. It is
// made with O_TMPFILE, or, where the file system lacks O_TMPFILE, created
// exclusively as NamePrefix+id+"-"+random and unlinked at once. Its blocks
// go back to the host when the last FD (the sandbox's) closes, however the
// sandbox ends. Only a crash of runsc itself between the create and the
// unlink of the fallback can leave a named file behind.
//
// This package opens host paths: it must never run inside the sandbox
// process, and it does not know about overlays or memory files beyond the
// size the sentry will give the file.
package filestore

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/runsc/config"
)

// NamePrefix starts the name of a filestore while it has one (only where
// O_TMPFILE is missing, and only until Create returns). The overlay hides
// names with this prefix at the root of the container, in case one is ever
// seen there.
const NamePrefix = ".bulwark-filestore-"

// Capacity is the size the sentry gives the file (sparse): Create checks
// that the file system can hold a file that large.
const Capacity = pgalloc.DefaultCapacity

// Create makes a filestore in dir (--overlay2=...:dir=PATH) for the
// sandbox id. The file is open for reading and writing, has no name, and
// is empty. Any failure is an error: the user asked for this directory.
func Create(dir, id string) (*os.File, error) {
	f, err := create(dir, id)
	if err != nil {
		return nil, fmt.Errorf("filestore: in %s: %w", dir, err)
	}
	return f, nil
}

// CreateSelf makes the filestore inside the container's root directory
// rootfs (--overlay2=...:self), so that its usage counts where the
// container's files are. When rootfs cannot take it (read-only, not
// writable by the caller, or unable to hold a sparse file of Capacity), it
// logs one line and returns nil, nil: the upper layer then stays in memory.
// Other failures are errors.
func CreateSelf(rootfs, id string) (*os.File, error) {
	f, err := create(rootfs, id)
	switch {
	case err == nil:
		return f, nil
	case fallsBack(err):
		log.Warningf("filestore: cannot create the overlay filestore in %s (%v): the overlay's upper layer stays in memory", rootfs, err)
		return nil, nil
	default:
		return nil, fmt.Errorf("filestore: in %s: %w", rootfs, err)
	}
}

// fallsBack reports whether err from create means the self filestore
// cannot live in the rootfs, so memory is used instead.
func fallsBack(err error) bool {
	for _, e := range []unix.Errno{unix.EROFS, unix.EACCES, unix.EPERM, unix.EFBIG, unix.EINVAL, unix.EOPNOTSUPP, unix.ENOSPC, unix.EDQUOT} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// create makes the nameless file in dir and checks that it can be sized.
func create(dir, id string) (*os.File, error) {
	dirFD, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open directory: %w", err)
	}
	defer unix.Close(dirFD)
	fd, err := unix.Openat(dirFD, ".", unix.O_RDWR|unix.O_TMPFILE|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EISDIR) {
		// No O_TMPFILE in this file system (EOPNOTSUPP) or kernel
		// (EISDIR): a named file, unlinked at once.
		fd, err = createUnlinked(dirFD, id)
	}
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "filestore")
	if err := checkSize(fd); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// createUnlinked creates a new file in dirFD exclusively and removes its
// name before returning it.
func createUnlinked(dirFD int, id string) (int, error) {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return -1, fmt.Errorf("random name: %w", err)
	}
	name := NamePrefix + safeID(id) + "-" + hex.EncodeToString(rnd[:])
	fd, err := unix.Openat(dirFD, name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return -1, fmt.Errorf("create %s: %w", name, err)
	}
	if err := unix.Unlinkat(dirFD, name, 0); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("unlink %s: %w", name, err)
	}
	return fd, nil
}

// safeID keeps the characters of id that are safe in a file name (those
// of OCI container ids), at most 64 of them.
func safeID(id string) string {
	var b []byte
	for i := 0; i < len(id) && len(b) < 64; i++ {
		c := id[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '+' {
			b = append(b, c)
		}
	}
	return string(b)
}

// checkSize checks that the file can be extended to Capacity (sparsely),
// as the sentry will, and leaves it empty.
func checkSize(fd int) error {
	if err := unix.Ftruncate(fd, Capacity); err != nil {
		return fmt.Errorf("size to %d bytes: %w", uint64(Capacity), err)
	}
	if err := unix.Ftruncate(fd, 0); err != nil {
		return fmt.Errorf("truncate: %w", err)
	}
	return nil
}

// ForOverlay makes the filestore that --overlay2 mode o asks for, for the
// sandbox id whose root file system is the host directory rootfs: none
// for no overlay or an overlay in memory (nil, nil), Create for dir=PATH,
// CreateSelf for self.
func ForOverlay(o config.Overlay2, rootfs, id string) (*os.File, error) {
	if !o.Enabled() {
		return nil, nil
	}
	switch o.Medium {
	case config.OverlayDir:
		return Create(o.Dir, id)
	case config.OverlaySelf:
		return CreateSelf(rootfs, id)
	}
	return nil, nil
}
