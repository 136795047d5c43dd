package dev

import (
	"crypto/rand"
	"fmt"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// OpenDevice opens the character device rdev (a linux.MakeDev number) for
// a node at vd, on any file system (tmpfs and gofer nodes use it through
// their OpenDevice hooks). It fails with ENXIO for devices the sandbox does
// not have, as Linux does for a node without a driver.
func OpenDevice(ctx vfs.Context, vd vfs.VirtualDentry, rdev uint64, flags uint32) (vfs.FileDescription, error) {
	major, minor := linux.DecodeDev(rdev)
	var f interface {
		vfs.FileDescription
		init(vd vfs.VirtualDentry, flags uint32)
	}
	switch {
	case major == memMajor && minor == nullMinor:
		f = &nullFile{}
	case major == memMajor && minor == zeroMinor:
		f = &zeroFile{}
	case major == memMajor && minor == fullMinor:
		f = &fullFile{}
	case major == memMajor && (minor == randomMinor || minor == urandomMinor):
		// Both never block: Linux's /dev/random stopped blocking
		// once the pool is initialised (5.6), and the sentry's source
		// is always initialised.
		f = &randomFile{}
	case major == ttyAuxMajor && minor == ttyMinor:
		// /dev/tty is a new file of the caller's controlling
		// terminal; ENXIO without one, as Linux.
		if o, ok := ctx.(cttyOpener); ok {
			return o.OpenControllingTTY(flags)
		}
		return nil, linux.ENXIO
	default:
		return nil, linux.ENXIO
	}
	f.init(vd, flags)
	return f, nil
}

// cttyOpener is implemented by callers that may have a controlling
// terminal (kernel.Task): it opens a new file of it, or fails with ENXIO.
type cttyOpener interface {
	OpenControllingTTY(flags uint32) (vfs.FileDescription, error)
}

// memFile is what the memory devices share: Linux's mem drivers keep the
// offset at 0 whatever lseek asks (null_lseek, zero_lseek, full_lseek;
// random's noop_llseek never moves it either).
type memFile struct {
	vfs.FileBase
}

func (f *memFile) init(vd vfs.VirtualDentry, flags uint32) { f.Init(vd, flags, nil) }

// Seek implements vfs.FileDescription.
func (f *memFile) Seek(off int64, whence int) (int64, error) {
	if whence < linux.SEEK_SET || whence > linux.SEEK_MAX {
		return 0, linux.EINVAL
	}
	return 0, nil
}

// readZeros fills dst with zeros.
func readZeros(dst []byte) (int, error) {
	clear(dst)
	return len(dst), nil
}

// nullFile is /dev/null: reads see end of file, writes are discarded.
type nullFile struct{ memFile }

// Read implements vfs.FileDescription.
func (f *nullFile) Read(b vfs.Blocker, dst []byte) (int, error) { return 0, nil }

// PRead implements vfs.FileDescription.
func (f *nullFile) PRead(b vfs.Blocker, dst []byte, off int64) (int, error) { return 0, nil }

// Write implements vfs.FileDescription.
func (f *nullFile) Write(b vfs.Blocker, src []byte) (int, error) { return len(src), nil }

// PWrite implements vfs.FileDescription.
func (f *nullFile) PWrite(b vfs.Blocker, src []byte, off int64) (int, error) { return len(src), nil }

// zeroFile is /dev/zero: reads see zeros, writes are discarded, and a
// mapping is fresh anonymous memory.
type zeroFile struct{ memFile }

var _ vfs.Mappable = (*zeroFile)(nil)

// Read implements vfs.FileDescription.
func (f *zeroFile) Read(b vfs.Blocker, dst []byte) (int, error) { return readZeros(dst) }

// PRead implements vfs.FileDescription.
func (f *zeroFile) PRead(b vfs.Blocker, dst []byte, off int64) (int, error) { return readZeros(dst) }

// Write implements vfs.FileDescription.
func (f *zeroFile) Write(b vfs.Blocker, src []byte) (int, error) { return len(src), nil }

// PWrite implements vfs.FileDescription.
func (f *zeroFile) PWrite(b vfs.Blocker, src []byte, off int64) (int, error) { return len(src), nil }

// MMapSource implements vfs.Mappable.
func (f *zeroFile) MMapSource() vfs.MMapSource { return vfs.MMapAnonymous }

// fullFile is /dev/full: reads see zeros, writes fail with ENOSPC.
type fullFile struct{ memFile }

// Read implements vfs.FileDescription.
func (f *fullFile) Read(b vfs.Blocker, dst []byte) (int, error) { return readZeros(dst) }

// PRead implements vfs.FileDescription.
func (f *fullFile) PRead(b vfs.Blocker, dst []byte, off int64) (int, error) { return readZeros(dst) }

// Write implements vfs.FileDescription.
func (f *fullFile) Write(b vfs.Blocker, src []byte) (int, error) { return 0, linux.ENOSPC }

// PWrite implements vfs.FileDescription.
func (f *fullFile) PWrite(b vfs.Blocker, src []byte, off int64) (int, error) {
	return 0, linux.ENOSPC
}

// randomFile is /dev/random and /dev/urandom: reads return random bytes
// and never block; writes are accepted and discarded (Linux mixes them
// into the pool without crediting entropy, which changes nothing an
// application can observe).
type randomFile struct{ memFile }

// Read implements vfs.FileDescription.
func (f *randomFile) Read(b vfs.Blocker, dst []byte) (int, error) { return readRandom(dst) }

// PRead implements vfs.FileDescription.
func (f *randomFile) PRead(b vfs.Blocker, dst []byte, off int64) (int, error) {
	return readRandom(dst)
}

// Write implements vfs.FileDescription.
func (f *randomFile) Write(b vfs.Blocker, src []byte) (int, error) { return len(src), nil }

// PWrite implements vfs.FileDescription.
func (f *randomFile) PWrite(b vfs.Blocker, src []byte, off int64) (int, error) {
	return len(src), nil
}

func readRandom(dst []byte) (int, error) {
	// Since Go 1.24 crypto/rand.Read never returns an error: it aborts
	// the program if the host's getrandom(2) fails, so the sentry's
	// seccomp filter must allow getrandom.
	if _, err := rand.Read(dst); err != nil {
		return 0, fmt.Errorf("dev: random: %w", err)
	}
	return len(dst), nil
}
