package vfs

import (
	"strings"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// PathOperation names a file the way the *at system calls do.
type PathOperation struct {
	// Root is the caller's root directory ("/" and ".." stop there).
	Root VirtualDentry
	// Start is where a relative Path starts (the cwd or a dirfd).
	Start VirtualDentry
	// Path is the path; "" is ENOENT (the syscall layer handles
	// AT_EMPTY_PATH by not resolving at all).
	Path string
	// FollowFinal follows a symlink in the last component.
	FollowFinal bool
	// Resolve are openat2's RESOLVE_* flags.
	Resolve uint64
}

// resolver walks one path. It is used with vfs.renameMu held.
type resolver struct {
	v   *VirtualFilesystem
	ctx Context
	// root is where "/" and ".." stop: the task's root, or the start
	// directory under RESOLVE_IN_ROOT.
	root VirtualDentry
	// beneath is the directory the walk must not leave under
	// RESOLVE_BENEATH (unset otherwise).
	beneath VirtualDentry
	flags   uint64
	cur     VirtualDentry
	// rest are the components still to walk, in order.
	rest []string
	// trailingSlash says the final component must be a directory.
	trailingSlash bool
	symlinks      int
}

// newResolver prepares the walk of pop.Path.
func (v *VirtualFilesystem) newResolver(ctx Context, pop *PathOperation) (*resolver, error) {
	if pop.Path == "" {
		return nil, linux.ENOENT
	}
	r := &resolver{v: v, ctx: ctx, root: pop.Root, flags: pop.Resolve, cur: pop.Start}
	if r.flags&linux.RESOLVE_IN_ROOT != 0 {
		r.root = pop.Start
	}
	if r.flags&linux.RESOLVE_BENEATH != 0 {
		r.beneath = pop.Start
	}
	if err := r.push(pop.Path, true); err != nil {
		return nil, err
	}
	return r, nil
}

// push prepends the components of path to the walk; an absolute path
// restarts it at the root. final says whether path's trailing slash
// applies to the final component.
func (r *resolver) push(path string, final bool) error {
	if strings.HasPrefix(path, "/") {
		if r.beneath.Ok() {
			return linux.EXDEV
		}
		if r.flags&linux.RESOLVE_NO_XDEV != 0 && r.cur.Mount != r.root.Mount {
			// Jumping to the root crosses a mount (nd_jump_root).
			return linux.EXDEV
		}
		r.cur = r.root
	}
	if final {
		r.trailingSlash = r.trailingSlash || strings.HasSuffix(path, "/")
	}
	var comps []string
	for _, c := range strings.Split(path, "/") {
		if c != "" {
			comps = append(comps, c)
		}
	}
	r.rest = append(comps, r.rest...)
	return nil
}

// done reports whether every component has been walked.
func (r *resolver) done() bool { return len(r.rest) == 0 }

// final reports whether the next component is the last one.
func (r *resolver) final() bool { return len(r.rest) == 1 }

// pop removes and returns the next component.
func (r *resolver) pop() string {
	c := r.rest[0]
	r.rest = r.rest[1:]
	return c
}

// checkSearch checks that cur is a directory the caller may search.
func (r *resolver) checkSearch() error {
	st, err := r.cur.Dentry.inode.Stat()
	if err != nil {
		return err
	}
	if !IsDir(st.Mode) {
		return linux.ENOTDIR
	}
	return MayAccess(r.ctx.Credentials(), &st, MayExec)
}

// stepDotDot moves cur to its parent, never above root (or beneath).
func (r *resolver) stepDotDot() error {
	for {
		// ".." at the RESOLVE_BENEATH directory fails even when it is
		// also the root.
		if r.beneath.Ok() && r.cur == r.beneath {
			return linux.EXDEV
		}
		if r.cur == r.root {
			return nil
		}
		if r.cur.Dentry == r.cur.Mount.root {
			r.v.mountMu.RLock()
			parent, point := r.cur.Mount.parent, r.cur.Mount.point
			r.v.mountMu.RUnlock()
			if parent == nil {
				return nil
			}
			if r.flags&linux.RESOLVE_NO_XDEV != 0 {
				return linux.EXDEV
			}
			r.cur = VirtualDentry{Mount: parent, Dentry: point}
			continue
		}
		if r.cur.Dentry.parent == nil {
			return nil
		}
		r.cur = VirtualDentry{Mount: r.cur.Mount, Dentry: r.cur.Dentry.parent}
		break
	}
	return r.crossMounts()
}

// crossMounts moves cur to the top mount stacked on it.
func (r *resolver) crossMounts() error {
	next := r.v.followMounts(r.cur)
	if next != r.cur && r.flags&linux.RESOLVE_NO_XDEV != 0 {
		return linux.EXDEV
	}
	r.cur = next
	return nil
}

// lookup returns cur's child name (crossing mounts), without following
// a symlink. It does not move cur.
func (r *resolver) lookup(name string) (VirtualDentry, error) {
	if len(name) > linux.NAME_MAX {
		return VirtualDentry{}, linux.ENAMETOOLONG
	}
	c, err := r.cur.Dentry.lookupChild(r.ctx, name)
	if err != nil {
		return VirtualDentry{}, err
	}
	vd := VirtualDentry{Mount: r.cur.Mount, Dentry: c}
	next := r.v.followMounts(vd)
	if next != vd && r.flags&linux.RESOLVE_NO_XDEV != 0 {
		return VirtualDentry{}, linux.EXDEV
	}
	return next, nil
}

// isSymlink reports whether vd is a symlink.
func isSymlink(vd VirtualDentry) bool {
	_, ok := vd.Dentry.inode.(SymlinkInode)
	return ok
}

// follow follows the symlink link, found in directory cur: a magic link
// replaces cur, a path symlink pushes its target.
func (r *resolver) follow(link VirtualDentry, final bool) error {
	if r.flags&linux.RESOLVE_NO_SYMLINKS != 0 {
		return linux.ELOOP
	}
	r.symlinks++
	if r.symlinks > linux.MAXSYMLINKS {
		return linux.ELOOP
	}
	if ml, ok := link.Dentry.inode.(MagicLinkInode); ok {
		if r.flags&(linux.RESOLVE_NO_MAGICLINKS|linux.RESOLVE_BENEATH|linux.RESOLVE_IN_ROOT) != 0 {
			if r.flags&linux.RESOLVE_NO_MAGICLINKS != 0 {
				return linux.ELOOP
			}
			return linux.EXDEV
		}
		target, err := ml.Follow(r.ctx)
		if err != nil {
			return err
		}
		r.cur = target
		return nil
	}
	target, err := link.Dentry.inode.(SymlinkInode).Readlink(r.ctx)
	if err != nil {
		return err
	}
	if target == "" {
		return linux.ENOENT
	}
	return r.push(target, final)
}

// walk resolves components until only the last one is left (parentOnly)
// or all are walked. Symlinks in the middle are always followed.
func (r *resolver) walk(parentOnly bool, followFinal bool) error {
	for !r.done() {
		if parentOnly && r.final() {
			return nil
		}
		name := r.pop()
		final := r.done()
		switch name {
		case ".":
			if err := r.checkSearch(); err != nil {
				return err
			}
			continue
		case "..":
			if err := r.checkSearch(); err != nil {
				return err
			}
			if err := r.stepDotDot(); err != nil {
				return err
			}
			continue
		}
		if err := r.checkSearch(); err != nil {
			return err
		}
		next, err := r.lookup(name)
		if err != nil {
			return err
		}
		if isSymlink(next) && (!final || followFinal || r.trailingSlash) {
			if err := r.follow(next, final); err != nil {
				return err
			}
			continue
		}
		r.cur = next
	}
	if r.trailingSlash {
		st, err := r.cur.Dentry.inode.Stat()
		if err != nil {
			return err
		}
		if !IsDir(st.Mode) {
			return linux.ENOTDIR
		}
	}
	return nil
}

// resolveLocked walks pop to the file it names.
//
// Preconditions: v.renameMu is held.
func (v *VirtualFilesystem) resolveLocked(ctx Context, pop *PathOperation) (VirtualDentry, error) {
	r, err := v.newResolver(ctx, pop)
	if err != nil {
		return VirtualDentry{}, err
	}
	if err := r.walk(false, pop.FollowFinal); err != nil {
		return VirtualDentry{}, err
	}
	return r.cur, nil
}

// GetDentryAt resolves pop to a location.
func (v *VirtualFilesystem) GetDentryAt(ctx Context, pop *PathOperation) (VirtualDentry, error) {
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	return v.resolveLocked(ctx, pop)
}

// parentResult is a resolved parent directory and the last name of a path.
type parentResult struct {
	r      *resolver
	parent VirtualDentry
	// name is the last component; "" when the path was "/" (or only
	// slashes and dots resolved to a directory), "." or "..".
	name string
	// trailingSlash is set when the path ended in "/".
	trailingSlash bool
}

// resolveParentLocked walks pop to its last component's directory.
//
// Preconditions: v.renameMu is held.
func (v *VirtualFilesystem) resolveParentLocked(ctx Context, pop *PathOperation) (*parentResult, error) {
	r, err := v.newResolver(ctx, pop)
	if err != nil {
		return nil, err
	}
	if err := r.walk(true, false); err != nil {
		return nil, err
	}
	return r.parentResult()
}

// parentResult returns what a walk with parentOnly stopped at.
func (r *resolver) parentResult() (*parentResult, error) {
	if r.done() {
		// "/" or a path of only "/": no last name.
		return &parentResult{r: r, parent: r.cur, trailingSlash: r.trailingSlash}, nil
	}
	name := r.rest[0]
	if err := r.checkSearch(); err != nil {
		return nil, err
	}
	if len(name) > linux.NAME_MAX {
		return nil, linux.ENAMETOOLONG
	}
	return &parentResult{r: r, parent: r.cur, name: name, trailingSlash: r.trailingSlash}, nil
}

// followLast follows pr's last component, a symlink at link, and walks to
// the new last component (open with O_CREAT of a symlink).
func (pr *parentResult) followLast(link VirtualDentry) error {
	r := pr.r
	r.pop()
	if err := r.follow(link, true); err != nil {
		return err
	}
	if err := r.walk(true, false); err != nil {
		return err
	}
	npr, err := r.parentResult()
	if err != nil {
		return err
	}
	*pr = *npr
	return nil
}
