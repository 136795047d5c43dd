// Package gofer is the sentry's client file system for files served by a
// gofer process over LISAFS (pkg/lisafs). It turns the VFS's single-name
// operations into LISAFS requests on control FDs and caches what it learns:
// every inode wraps one control FD and its attributes, directories may
// cache their listing, symlinks their target.
//
// Caching follows Options.FileAccess:
//   - Exclusive (the default, for a root nobody else changes): the cache is
//     trusted. Stat costs no RPC; the sentry's own changes update the cache
//     (or mark it stale, so the next Stat fetches the attributes once);
//     directory listings are kept until the sentry changes the directory.
//   - Shared (files the host may change): every Stat fetches the attributes,
//     listings and symlink targets are never cached, and directories
//     implement vfs.Revalidator: a cached child is re-walked and dropped if
//     the name now leads to another file (different host device or inode).
//
// Regular files: when the gofer donates a host FD with an open file, reads,
// writes, fsync and fallocate go straight to that FD with pread/pwrite (no
// RPC per read or write); the file offset lives in the sentry's file
// description. Without a donated FD, PRead and PWrite RPCs carry the data.
//
// Inode numbers are the host's st_ino; the VFS supplies st_dev per file
// system. Two names of one host file share one sentry inode (looked up by
// host device and inode number while the first is alive, which pins the
// host inode, so the number cannot be reused meanwhile).
//
// Lifetime: an inode's control FD is closed when no cached name (dentry)
// and no open file refers to it any more: after the sentry unlinks or
// replaces its last name and its last open file is released. The VFS does
// not evict dentries yet, so the cache is otherwise unbounded: every file
// ever looked up keeps one control FD in the gofer until Release. Inodes
// whose name a shared-mode revalidation dropped stay open until Release too
// (a task's working directory may still be there).
//
// Errors: a file system operation returns linux.Errno values only. A lost
// connection (the gofer died) and protocol errors become EIO for the
// application, are logged once, and Done is closed so boot can end the
// sandbox with a clear message.
//
// The package never resolves paths, never checks generic permissions (the
// VFS did) and never opens a host path: the only host FDs it touches are
// the ones the gofer donated.
//
// Lock order: regularFile.mu, then inode.mu, then Filesystem.mu (a leaf).
// No two inode.mu are ever held at once. All of them come after the VFS's
// locks.
package gofer

import (
	"errors"
	"fmt"
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/lisafs"
	"bulwark.dev/bulwark/pkg/log"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// FileAccess says whether the sentry is the only one changing the files.
type FileAccess int

const (
	// Exclusive: nothing but the sentry changes the files; caches are
	// trusted.
	Exclusive FileAccess = iota
	// Shared: the host may change the files at any time; attributes are
	// fetched on every Stat and cached names are revalidated.
	Shared
)

// String implements fmt.Stringer.
func (a FileAccess) String() string {
	switch a {
	case Exclusive:
		return "exclusive"
	case Shared:
		return "shared"
	}
	return fmt.Sprintf("FileAccess(%d)", int(a))
}

// Options configure a gofer file system.
type Options struct {
	// FileAccess is the caching mode; Exclusive by default.
	FileAccess FileAccess
	// ReadOnly makes every mutation fail with EROFS before any RPC (the
	// VFS also refuses them on a read-only mount; this guards the file
	// system itself, whatever mount shows it).
	ReadOnly bool
	// OpenDevice opens a character device node found in the gofer's
	// tree as the sentry's own device (fsimpl/dev provides it). Nil:
	// opening a device node fails with ENXIO.
	OpenDevice func(ctx vfs.Context, vd vfs.VirtualDentry, rdev uint64, flags uint32) (vfs.FileDescription, error)
	// MemoryFile, if set, holds the contents of files that private
	// mappings share copy-on-write in Exclusive mode (cache.go); nil:
	// every mapping copies the file.
	MemoryFile *pgalloc.MemoryFile
}

// Client is the part of the LISAFS client the file system uses
// (*lisafs.Client implements it; tests use a fake).
type Client interface {
	Close()
	Done() <-chan struct{}
	WalkStat(dir lisafs.FDID, names []string) ([]lisafs.Inode, error)
	FStat(fd lisafs.FDID) (linux.Statx, error)
	SetStat(fd lisafs.FDID, a lisafs.SetStatArgs) error
	OpenAt(fd lisafs.FDID, flags uint32) (lisafs.FDID, int, error)
	OpenCreateAt(dir lisafs.FDID, name string, flags, mode, uid, gid uint32) (lisafs.Inode, lisafs.FDID, int, error)
	CloseFDs(fds []lisafs.FDID)
	PRead(fd lisafs.FDID, off uint64, buf []byte) (int, error)
	PWrite(fd lisafs.FDID, off uint64, buf []byte) (int, error)
	FSync(fd lisafs.FDID) error
	FAllocate(fd lisafs.FDID, mode uint32, off, length uint64) error
	Getdents64(fd lisafs.FDID, count uint32) ([]lisafs.Dirent, error)
	MkdirAt(dir lisafs.FDID, name string, mode, uid, gid uint32) (lisafs.Inode, error)
	MknodAt(dir lisafs.FDID, name string, mode, uid, gid, major, minor uint32) (lisafs.Inode, error)
	SymlinkAt(dir lisafs.FDID, name, target string, uid, gid uint32) (lisafs.Inode, error)
	LinkAt(dir lisafs.FDID, name string, target lisafs.FDID) (lisafs.Inode, error)
	UnlinkAt(dir lisafs.FDID, name string, flags uint32) error
	RenameAt(oldDir lisafs.FDID, oldName string, newDir lisafs.FDID, newName string) error
	ReadLinkAt(fd lisafs.FDID) (string, error)
	StatFS(fd lisafs.FDID) (linux.Statfs, error)
	GetXattr(fd lisafs.FDID, name string, size uint32) ([]byte, error)
	SetXattr(fd lisafs.FDID, name string, value []byte, flags uint32) error
	ListXattr(fd lisafs.FDID, size uint32) ([]string, error)
	RemoveXattr(fd lisafs.FDID, name string) error
}

var _ Client = (*lisafs.Client)(nil)

// Filesystem is a gofer file system instance: the vfs.FilesystemImpl of
// the *vfs.Filesystem that NewFilesystem returns.
type Filesystem struct {
	client Client
	opts   Options
	vfsfs  *vfs.Filesystem
	root   *inode

	// lostOnce logs the first lost-connection error.
	lostOnce sync.Once

	// mu protects the fields below and every inode's refs.
	mu sync.Mutex
	// byKey finds the live inode of a host file (hard links, lookups of
	// a name the VFS dropped).
	byKey map[inodeKey]*inode
	// live holds every inode whose control FD is open.
	live map[*inode]struct{}
	// released is set by Release.
	released bool

	// closes are the FDs the file system no longer needs, closed by a
	// goroutine of their own (closeLoop), in batches, so that closing a
	// file never waits for the gofer: close(2) of a gofer file costs no
	// round trip.
	closes closeQueue
}

// closeQueue holds FDs waiting to be closed.
type closeQueue struct {
	mu      sync.Mutex
	pending []lisafs.FDID
	// sendMu is held while a batch is taken and sent, so that
	// syncCloses returns only once every close queued before it is done.
	sendMu sync.Mutex
	// wake (capacity 1) tells closeLoop there is work; stop ends it
	// after a last flush, and it closes done then.
	wake, stop, done chan struct{}
}

var _ vfs.FilesystemImpl = (*Filesystem)(nil)

// NewFilesystem makes a file system of the tree the gofer serves at root
// (the root inode Connect returned). The file system owns c from now on:
// Release closes it.
func NewFilesystem(v *vfs.VirtualFilesystem, c *lisafs.Client, root lisafs.Inode, opts Options) (*vfs.Filesystem, vfs.Inode) {
	return newFilesystem(v, c, root, opts)
}

// newFilesystem is NewFilesystem for any Client.
func newFilesystem(v *vfs.VirtualFilesystem, c Client, root lisafs.Inode, opts Options) (*vfs.Filesystem, vfs.Inode) {
	fs := &Filesystem{
		client: c,
		opts:   opts,
		byKey:  make(map[inodeKey]*inode),
		live:   make(map[*inode]struct{}),
	}
	fs.closes = closeQueue{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go fs.closeLoop()
	fs.vfsfs = v.NewFilesystem(fs)
	fs.root = fs.newInodeLocked(root)
	// The root's reference is dropped only by Release.
	return fs.vfsfs, fs.root.self
}

// Done is closed when the connection to the gofer is lost: from then on
// every operation that needs the gofer fails with EIO.
func (fs *Filesystem) Done() <-chan struct{} { return fs.client.Done() }

// Name implements vfs.FilesystemImpl. It is "9p", the type gofer-served
// mounts have always shown in /proc/mounts, which tools may look for.
func (fs *Filesystem) Name() string { return "9p" }

// StatFS implements vfs.FilesystemImpl with the host file system's
// numbers, reported with the 9p magic number.
func (fs *Filesystem) StatFS(ctx vfs.Context) (linux.Statfs, error) {
	if fs.root.isClosed() {
		return linux.Statfs{}, linux.EIO
	}
	st, err := fs.client.StatFS(fs.root.controlFD)
	if err != nil {
		return linux.Statfs{}, fs.rpcErr("statfs", "/", err)
	}
	st.Type = linux.V9FS_MAGIC
	return st, nil
}

// Release implements vfs.FilesystemImpl: it closes every control FD and the
// connection. Open files keep their donated host FDs until they are
// released; anything that needs the gofer fails with EIO from now on.
func (fs *Filesystem) Release() {
	fs.mu.Lock()
	if fs.released {
		fs.mu.Unlock()
		return
	}
	fs.released = true
	fds := make([]lisafs.FDID, 0, len(fs.live))
	for in := range fs.live {
		in.closed.Store(true)
		fds = append(fds, in.controlFD)
		in.invalidateCache()
	}
	fs.live = nil
	fs.byKey = nil
	fs.mu.Unlock()
	close(fs.closes.stop)
	<-fs.closes.done
	fs.client.CloseFDs(fds)
	fs.client.Close()
}

// rpcErr turns an error of the client into what the application sees: a
// linux.Errno from the gofer stays as it is; a lost connection or a
// protocol error becomes EIO and is logged (a lost connection once).
func (fs *Filesystem) rpcErr(op, name string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, lisafs.ErrConnectionLost) {
		fs.lostOnce.Do(func() {
			log.Warningf("gofer: %s %q: connection to the gofer lost: %v", op, name, err)
		})
		return linux.EIO
	}
	var e linux.Errno
	if errors.As(err, &e) {
		return e
	}
	log.Warningf("gofer: %s %q: %v", op, name, err)
	return linux.EIO
}

// closeFD closes a control or open FD the file system does not keep, soon:
// it is queued for closeLoop.
func (fs *Filesystem) closeFD(fd lisafs.FDID) {
	q := &fs.closes
	q.mu.Lock()
	q.pending = append(q.pending, fd)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// closeLoop sends the queued closes, as many per request as have queued
// while the previous one was in flight, until Release stops it.
func (fs *Filesystem) closeLoop() {
	q := &fs.closes
	defer close(q.done)
	for {
		select {
		case <-q.wake:
			fs.flushCloses()
		case <-q.stop:
			fs.flushCloses()
			return
		}
	}
}

// flushCloses sends the closes queued so far.
func (fs *Filesystem) flushCloses() {
	q := &fs.closes
	q.sendMu.Lock()
	defer q.sendMu.Unlock()
	q.mu.Lock()
	batch := q.pending
	q.pending = nil
	q.mu.Unlock()
	if len(batch) > 0 {
		fs.client.CloseFDs(batch)
	}
}

// syncCloses returns once every close queued so far has been sent.
func (fs *Filesystem) syncCloses() { fs.flushCloses() }
