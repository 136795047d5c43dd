// Package proc is the sandbox's /proc: a directory per process with the
// files programs and libraries read about themselves (status, stat, maps,
// cmdline, environ, exe, cwd, fd/...), /proc/self and /proc/thread-self,
// and a few system-wide files (cpuinfo, meminfo, mounts, uptime, loadavg,
// version, filesystems, stat, sys/kernel/...).
//
// Everything is generated from the sentry's own state (the kernel, its
// tasks, the VFS), never from the host's /proc: the sentry has no host
// paths. Files are generated when they are opened and again when a read
// starts at offset 0, and are read-only. Per-process entries are cached by
// the VFS like any dentry and revalidated on lookup, so a name of an exited
// process or a closed file descriptor disappears.
//
// Operations the kernel calls with a vfs.Context expect the context to be
// the calling *kernel.Task (/proc/self, access checks); other contexts are
// treated as a process outside the sandbox's pid namespace.
//
// Lock order: genFile.mu is a leaf. The package takes kernel, FD table and
// VFS locks only through their exported methods and never while holding
// its own.
package proc

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// Name is the file system type /proc/mounts shows.
const Name = "proc"

// filesystem implements vfs.FilesystemImpl.
type filesystem struct {
	v *vfs.VirtualFilesystem
	k *kernel.Kernel
	// created is the time of every static inode.
	created linux.StatxTimestamp
	// bootID is /proc/sys/kernel/random/boot_id.
	bootID string
	// anon is a private mount (attached nowhere) that holds the targets
	// of /proc/PID/fd links to files outside the VFS (host files, pipes,
	// eventfds), so that following such a link gives a location that
	// stat(2) and open(2) can use, as Linux's pipefs and anon_inodefs do.
	anon *vfs.Mount
	// nextIno numbers static inodes.
	nextIno uint64
}

// Name implements vfs.FilesystemImpl.
func (fs *filesystem) Name() string { return Name }

// StatFS implements vfs.FilesystemImpl.
func (fs *filesystem) StatFS(ctx vfs.Context) (linux.Statfs, error) {
	return linux.Statfs{
		Type:    linux.PROC_SUPER_MAGIC,
		Bsize:   4096,
		Frsize:  4096,
		Namelen: linux.NAME_MAX,
	}, nil
}

// Release implements vfs.FilesystemImpl.
func (fs *filesystem) Release() {}

// NewFilesystem returns a new /proc showing the processes of k, and its
// root directory, to be mounted with v.Mount.
func NewFilesystem(v *vfs.VirtualFilesystem, k *kernel.Kernel) (*vfs.Filesystem, vfs.Inode) {
	fs := &filesystem{v: v, k: k, created: timestamp(time.Now()), bootID: newUUID()}
	vfsfs := v.NewFilesystem(fs)
	anonFS := v.NewFilesystem(anonFilesystem{})
	fs.anon = v.NewMountNamespace(anonFS, &anonRoot{dirBase{attrs{ino: 1, mode: linux.S_IFDIR | 0o500, nlink: 2}}}, "none", vfs.MountFlags{}).Root().Mount
	return vfsfs, fs.newRoot()
}

// timestamp converts t.
func timestamp(t time.Time) linux.StatxTimestamp {
	return linux.StatxTimestamp{Sec: t.Unix(), Nsec: uint32(t.Nanosecond())}
}

// newUUID returns a random (version 4) UUID in its text form.
func newUUID() string {
	var b [16]byte
	// crypto/rand.Read does not return errors (Go 1.24+).
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// staticAttrs returns attributes for a new static inode.
func (fs *filesystem) staticAttrs(mode uint32) attrs {
	fs.nextIno++
	nlink := uint32(1)
	if mode&linux.S_IFMT == linux.S_IFDIR {
		nlink = 2
	}
	return attrs{ino: fs.nextIno, mode: mode, nlink: nlink, time: fs.created}
}

// file returns a static generated file. Writes fail with EIO, as they do
// for Linux's proc_create files without a write operation.
func (fs *filesystem) file(gen func(vfs.Blocker) ([]byte, error)) *genInode {
	return &genInode{attrs: fs.staticAttrs(linux.S_IFREG | 0o444), gen: gen, writeErr: linux.EIO}
}

// text adapts a generator of a string.
func text(f func() string) func(vfs.Blocker) ([]byte, error) {
	return func(vfs.Blocker) ([]byte, error) { return []byte(f()), nil }
}

// rootDir is /proc: static entries, then a directory per process.
type rootDir struct {
	staticDir
	fs *filesystem
}

var (
	_ vfs.DirInode    = (*rootDir)(nil)
	_ vfs.Revalidator = (*rootDir)(nil)
)

// newRoot builds /proc and its static entries.
func (fs *filesystem) newRoot() *rootDir {
	r := &rootDir{fs: fs}
	r.attrs = fs.staticAttrs(linux.S_IFDIR | 0o555)
	link := func(target func(ctx vfs.Context) (string, error)) *symlink {
		return &symlink{attrs: fs.staticAttrs(linux.S_IFLNK | 0o777), target: target}
	}
	r.add("self", link(func(ctx vfs.Context) (string, error) {
		t, ok := ctx.(*kernel.Task)
		if !ok {
			return "", linux.ENOENT
		}
		return strconv.Itoa(int(t.ThreadGroup().ID())), nil
	}))
	r.add("thread-self", link(func(ctx vfs.Context) (string, error) {
		t, ok := ctx.(*kernel.Task)
		if !ok {
			return "", linux.ENOENT
		}
		return fmt.Sprintf("%d/task/%d", t.ThreadGroup().ID(), t.ID()), nil
	}))
	r.add("mounts", link(func(vfs.Context) (string, error) { return "self/mounts", nil }))
	r.add("cpuinfo", fs.file(text(cpuinfo)))
	r.add("meminfo", fs.file(text(fs.meminfo)))
	r.add("uptime", fs.file(text(fs.uptime)))
	r.add("loadavg", fs.file(text(fs.loadavg)))
	r.add("version", fs.file(text(func() string { return versionText })))
	r.add("filesystems", fs.file(text(func() string { return filesystemsText })))
	r.add("stat", fs.file(text(fs.stat)))
	r.add("sys", fs.newSys())
	r.nlink++ // sys
	return r
}

// newSys builds /proc/sys with the few entries programs commonly read.
func (fs *filesystem) newSys() *staticDir {
	dir := func(entries ...any) *staticDir {
		d := &staticDir{}
		d.attrs = fs.staticAttrs(linux.S_IFDIR | 0o555)
		for i := 0; i < len(entries); i += 2 {
			inode := entries[i+1].(vfs.Inode)
			if st, _ := inode.Stat(); uint32(st.Mode)&linux.S_IFMT == linux.S_IFDIR {
				d.nlink++
			}
			d.add(entries[i].(string), inode)
		}
		return d
	}
	// value is a sysctl file: mode 0644 like Linux's, but writes are
	// refused (EPERM): the sandbox's kernel parameters are fixed.
	value := func(f func() string) *genInode {
		return &genInode{attrs: fs.staticAttrs(linux.S_IFREG | 0o644), gen: text(func() string { return f() + "\n" }), writeErr: linux.EPERM}
	}
	constant := func(v any) *genInode { return value(func() string { return fmt.Sprint(v) }) }
	readOnly := func(f func() string) *genInode {
		g := value(f)
		g.mode = linux.S_IFREG | 0o444
		return g
	}
	return dir(
		"fs", dir(
			"nr_open", constant(kernel.NrOpen),
		),
		"kernel", dir(
			"cap_last_cap", readOnly(func() string { return fmt.Sprint(linux.CAP_LAST_CAP) }),
			"hostname", value(func() string { return fs.k.RootUTSNamespace().Hostname() }),
			"ngroups_max", readOnly(func() string { return fmt.Sprint(ngroupsMax) }),
			"osrelease", readOnly(func() string { return UTSRelease }),
			"ostype", readOnly(func() string { return UTSSysname }),
			"pid_max", constant(pidMax),
			"random", dir(
				"boot_id", readOnly(func() string { return fs.bootID }),
				"uuid", readOnly(newUUID),
			),
			"threads-max", constant(kernel.MaxThreads),
			"version", readOnly(func() string { return UTSVersion }),
		),
		"vm", dir(
			"max_map_count", constant(mmMaxMapCount),
			"overcommit_memory", constant(0),
		),
	)
}

// Lookup implements vfs.DirInode.
func (r *rootDir) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	if inode, err := r.staticDir.Lookup(ctx, name); err == nil {
		return inode, nil
	}
	id, ok := parseID(name)
	if !ok {
		return nil, linux.ENOENT
	}
	tg, t := resolvePID(r.fs.k, id)
	if t == nil {
		return nil, linux.ENOENT
	}
	return r.fs.newTaskDir(tg, t, id, false), nil
}

// Readdir implements vfs.DirInode: the static entries, then each process
// (threads other than a process's leader are not listed, but can be
// looked up, as in Linux).
func (r *rootDir) Readdir(ctx vfs.Context) ([]vfs.Dirent, error) {
	out, _ := r.staticDir.Readdir(ctx)
	for _, tg := range r.fs.k.ThreadGroups() {
		id := tg.ID()
		out = append(out, vfs.Dirent{Name: strconv.Itoa(int(id)), Type: linux.DT_DIR, Ino: pidIno(id, 0, 0)})
	}
	return out, nil
}

// Revalidate implements vfs.Revalidator: a process directory stays valid
// while its id still names the same task.
func (r *rootDir) Revalidate(ctx vfs.Context, name string, child vfs.Inode) (bool, error) {
	d, ok := child.(*taskDir)
	if !ok {
		return true, nil
	}
	tg, t := resolvePID(r.fs.k, d.id)
	return tg == d.tg && t == d.t, nil
}

// parseID parses a decimal process or thread id as Linux's name_to_int
// does: no sign, no leading zeros.
func parseID(name string) (kernel.ThreadID, bool) {
	if name == "" || (len(name) > 1 && name[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(name, 10, 31)
	if err != nil {
		return 0, false
	}
	return kernel.ThreadID(n), true
}

// resolvePID finds what /proc/ID shows: the task with that id, or, if the
// id is a process whose leader has exited while other threads run on, the
// process and its lowest-numbered live thread. t is nil if there is none.
func resolvePID(k *kernel.Kernel, id kernel.ThreadID) (*kernel.ThreadGroup, *kernel.Task) {
	if t := k.TaskByID(id); t != nil && t.Alive() {
		return t.ThreadGroup(), t
	}
	if tg := k.ThreadGroupByID(id); tg != nil {
		if ts := tg.Tasks(); len(ts) > 0 {
			return tg, ts[0]
		}
	}
	return nil, nil
}

// Inode numbers of per-process entries are computed from the ids, so they
// are stable across lookups and readdir agrees with stat. Thread ids are
// below 1<<22 (kernel.allocTID).
//
//	static entries: small numbers from 1
//	process files:  1<<62 | id<<32 | tid<<8 | index  (tid 0 for /proc/ID)
//	fd links:       2<<62 | thread<<61 | id<<24 | fd
//	fdinfo files:   3<<62 | thread<<61 | id<<24 | fd
func pidIno(id, tid kernel.ThreadID, index int) uint64 {
	return 1<<62 | uint64(id)<<32 | uint64(tid)<<8 | uint64(index)
}

// anonFilesystem holds the targets of fd links to files outside the VFS.
type anonFilesystem struct{}

// Name implements vfs.FilesystemImpl.
func (anonFilesystem) Name() string { return "anon_inodefs" }

// StatFS implements vfs.FilesystemImpl.
func (anonFilesystem) StatFS(ctx vfs.Context) (linux.Statfs, error) {
	return linux.Statfs{Type: linux.ANON_INODE_FS_MAGIC, Bsize: 4096, Frsize: 4096, Namelen: linux.NAME_MAX}, nil
}

// Release implements vfs.FilesystemImpl.
func (anonFilesystem) Release() {}

// anonRoot is the root of the anonymous mount; nothing is ever found
// through it (its targets have no names).
type anonRoot struct {
	dirBase
}

// Lookup implements vfs.DirInode.
func (*anonRoot) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) { return nil, linux.ENOENT }

// Readdir implements vfs.DirInode.
func (*anonRoot) Readdir(ctx vfs.Context) ([]vfs.Dirent, error) { return nil, nil }
