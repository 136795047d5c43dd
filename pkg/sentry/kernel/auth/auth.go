// Package auth holds a task's credentials: user and group IDs, the
// supplementary groups and the capability sets, with Linux's rules for how
// set*id calls change them (kernel/sys.c, security/commoncap.c).
//
// Credentials are immutable once published: a task that changes its IDs
// builds a new Credentials (Fork, then the Set* methods) and installs it,
// so readers (the VFS's permission checks) need no lock. This package must
// not know about tasks, files or the VFS.
package auth

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
)

// UID and GID are user and group IDs as the application sees them.
type (
	UID uint32
	GID uint32
)

// NoID is the "leave unchanged" ID (-1) of the set*id and chown calls.
const NoID = ^uint32(0)

// CapSet is a set of capabilities, one bit per CAP_* number.
type CapSet uint64

// AllCaps has every capability Linux defines.
const AllCaps = CapSet(1)<<(linux.CAP_LAST_CAP+1) - 1

// Has reports whether cap is in s.
func (s CapSet) Has(cap int) bool { return s&(CapSet(1)<<cap) != 0 }

// Credentials are the IDs and capabilities of a task.
type Credentials struct {
	RealUID, EffectiveUID, SavedUID, FilesystemUID UID
	RealGID, EffectiveGID, SavedGID, FilesystemGID GID
	Groups                                         []GID
	// Permitted, Effective and Inheritable are the capability sets of
	// capget(2); Bounding is the bounding set (PR_CAPBSET_READ), which
	// limits what an execve can grant; Ambient (PR_CAP_AMBIENT) are the
	// capabilities an execve grants a program that is not root, always
	// within Permitted and Inheritable.
	Permitted, Effective, Inheritable, Bounding, Ambient CapSet
	// Securebits are the SECURE_* flags and locks (PR_SET_SECUREBITS):
	// SECURE_KEEP_CAPS (also PR_SET_KEEPCAPS, cleared by execve) keeps
	// the permitted set through a change of UIDs that leaves no UID 0;
	// SECURE_NO_SETUID_FIXUP leaves capabilities alone at such changes;
	// SECURE_NOROOT gives UID 0 nothing special at execve;
	// SECURE_NO_CAP_AMBIENT_RAISE refuses PR_CAP_AMBIENT_RAISE.
	Securebits uint32
}

// Root returns the credentials of the first process: uid and gid 0 with
// every capability.
func Root() *Credentials {
	return &Credentials{Permitted: AllCaps, Effective: AllCaps, Bounding: AllCaps}
}

// Fork returns a copy of c that the caller may modify before publishing.
func (c *Credentials) Fork() *Credentials {
	n := *c
	n.Groups = append([]GID(nil), c.Groups...)
	return &n
}

// HasCapability reports whether c has cap in its effective set.
func (c *Credentials) HasCapability(cap int) bool { return c.Effective.Has(cap) }

// InGroup reports whether gid is c's filesystem GID or one of its
// supplementary groups (in_group_p).
func (c *Credentials) InGroup(gid GID) bool {
	if c.FilesystemGID == gid {
		return true
	}
	for _, g := range c.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

// fixCaps applies the capability rules of cap_emulate_setxuid after a
// change of UIDs from (oldR, oldE, oldS) to c's: leaving UID 0 behind
// entirely clears the permitted and effective sets (unless KeepCaps),
// an effective UID that stops being 0 clears the effective set, and one
// that becomes 0 gets the permitted set.
func (c *Credentials) fixCaps(oldR, oldE, oldS UID) {
	if c.Secure(linux.SECURE_NO_SETUID_FIXUP) {
		return
	}
	if (oldR == 0 || oldE == 0 || oldS == 0) && c.RealUID != 0 && c.EffectiveUID != 0 && c.SavedUID != 0 {
		if !c.Secure(linux.SECURE_KEEP_CAPS) {
			c.Permitted = 0
			c.Effective = 0
		}
		// Even with KeepCaps: a program that leaves root and then
		// execs expects to have no capabilities left.
		c.Ambient = 0
	}
	if oldE == 0 && c.EffectiveUID != 0 {
		c.Effective = 0
	}
	if oldE != 0 && c.EffectiveUID == 0 {
		c.Effective = c.Permitted
	}
}

// fsCapMask are the capabilities that follow the filesystem UID
// (CAP_FS_MASK).
const fsCapMask = CapSet(1)<<linux.CAP_CHOWN | CapSet(1)<<linux.CAP_DAC_OVERRIDE |
	CapSet(1)<<linux.CAP_DAC_READ_SEARCH | CapSet(1)<<linux.CAP_FOWNER |
	CapSet(1)<<linux.CAP_FSETID | CapSet(1)<<linux.CAP_LINUX_IMMUTABLE |
	CapSet(1)<<linux.CAP_MKNOD | CapSet(1)<<linux.CAP_MAC_OVERRIDE

// fixFSCaps applies cap_emulate_setxuid's rule for the filesystem UID.
func (c *Credentials) fixFSCaps(oldFS UID) {
	if c.Secure(linux.SECURE_NO_SETUID_FIXUP) {
		return
	}
	if oldFS == 0 && c.FilesystemUID != 0 {
		c.Effective &^= fsCapMask
	}
	if oldFS != 0 && c.FilesystemUID == 0 {
		c.Effective |= c.Permitted & fsCapMask
	}
}

// SetResUID implements setresuid(2) on c (a fresh copy from Fork). Each
// of r, e, s may be NoID.
func (c *Credentials) SetResUID(r, e, s uint32) error {
	if !c.HasCapability(linux.CAP_SETUID) {
		for _, id := range []uint32{r, e, s} {
			if id != NoID && UID(id) != c.RealUID && UID(id) != c.EffectiveUID && UID(id) != c.SavedUID {
				return linux.EPERM
			}
		}
	}
	oldR, oldE, oldS, oldFS := c.RealUID, c.EffectiveUID, c.SavedUID, c.FilesystemUID
	if r != NoID {
		c.RealUID = UID(r)
	}
	if e != NoID {
		c.EffectiveUID = UID(e)
	}
	if s != NoID {
		c.SavedUID = UID(s)
	}
	c.FilesystemUID = c.EffectiveUID
	c.fixCaps(oldR, oldE, oldS)
	c.fixFSCaps(oldFS)
	return nil
}

// SetUID implements setuid(2).
func (c *Credentials) SetUID(id uint32) error {
	if id == NoID {
		return linux.EINVAL
	}
	if c.HasCapability(linux.CAP_SETUID) {
		return c.SetResUID(id, id, id)
	}
	if UID(id) != c.RealUID && UID(id) != c.SavedUID {
		return linux.EPERM
	}
	return c.SetResUID(NoID, id, NoID)
}

// SetREUID implements setreuid(2).
func (c *Credentials) SetREUID(r, e uint32) error {
	priv := c.HasCapability(linux.CAP_SETUID)
	if r != NoID && !priv && UID(r) != c.RealUID && UID(r) != c.EffectiveUID {
		return linux.EPERM
	}
	if e != NoID && !priv && UID(e) != c.RealUID && UID(e) != c.EffectiveUID && UID(e) != c.SavedUID {
		return linux.EPERM
	}
	oldR := c.RealUID
	s := NoID
	if r != NoID || (e != NoID && UID(e) != oldR) {
		if e != NoID {
			s = e
		} else {
			s = uint32(c.EffectiveUID)
		}
	}
	// The checks are done: apply with privilege semantics.
	saved := c.Effective
	c.Effective |= CapSet(1) << linux.CAP_SETUID
	err := c.SetResUID(r, e, s)
	if !saved.Has(linux.CAP_SETUID) {
		c.Effective &^= CapSet(1) << linux.CAP_SETUID
	}
	return err
}

// SetFSUID implements setfsuid(2): it returns the old filesystem UID and
// changes it only if allowed.
func (c *Credentials) SetFSUID(id uint32) UID {
	old := c.FilesystemUID
	if id == NoID {
		return old
	}
	if UID(id) == c.RealUID || UID(id) == c.EffectiveUID || UID(id) == c.SavedUID ||
		UID(id) == c.FilesystemUID || c.HasCapability(linux.CAP_SETUID) {
		c.FilesystemUID = UID(id)
		c.fixFSCaps(old)
	}
	return old
}

// SetResGID implements setresgid(2).
func (c *Credentials) SetResGID(r, e, s uint32) error {
	if !c.HasCapability(linux.CAP_SETGID) {
		for _, id := range []uint32{r, e, s} {
			if id != NoID && GID(id) != c.RealGID && GID(id) != c.EffectiveGID && GID(id) != c.SavedGID {
				return linux.EPERM
			}
		}
	}
	if r != NoID {
		c.RealGID = GID(r)
	}
	if e != NoID {
		c.EffectiveGID = GID(e)
	}
	if s != NoID {
		c.SavedGID = GID(s)
	}
	c.FilesystemGID = c.EffectiveGID
	return nil
}

// SetGID implements setgid(2).
func (c *Credentials) SetGID(id uint32) error {
	if id == NoID {
		return linux.EINVAL
	}
	if c.HasCapability(linux.CAP_SETGID) {
		return c.SetResGID(id, id, id)
	}
	if GID(id) != c.RealGID && GID(id) != c.SavedGID {
		return linux.EPERM
	}
	return c.SetResGID(NoID, id, NoID)
}

// SetREGID implements setregid(2).
func (c *Credentials) SetREGID(r, e uint32) error {
	priv := c.HasCapability(linux.CAP_SETGID)
	if r != NoID && !priv && GID(r) != c.RealGID && GID(r) != c.EffectiveGID {
		return linux.EPERM
	}
	if e != NoID && !priv && GID(e) != c.RealGID && GID(e) != c.EffectiveGID && GID(e) != c.SavedGID {
		return linux.EPERM
	}
	if r != NoID || (e != NoID && GID(e) != c.RealGID) {
		if e != NoID {
			c.SavedGID = GID(e)
		} else {
			c.SavedGID = c.EffectiveGID
		}
	}
	if r != NoID {
		c.RealGID = GID(r)
	}
	if e != NoID {
		c.EffectiveGID = GID(e)
	}
	c.FilesystemGID = c.EffectiveGID
	return nil
}

// SetFSGID implements setfsgid(2).
func (c *Credentials) SetFSGID(id uint32) GID {
	old := c.FilesystemGID
	if id == NoID {
		return old
	}
	if GID(id) == c.RealGID || GID(id) == c.EffectiveGID || GID(id) == c.SavedGID ||
		GID(id) == c.FilesystemGID || c.HasCapability(linux.CAP_SETGID) {
		c.FilesystemGID = GID(id)
	}
	return old
}

// NGROUPS_MAX is the most supplementary groups a task may have.
const NGROUPS_MAX = 65536

// SetGroups implements setgroups(2).
func (c *Credentials) SetGroups(groups []GID) error {
	if !c.HasCapability(linux.CAP_SETGID) {
		return linux.EPERM
	}
	if len(groups) > NGROUPS_MAX {
		return linux.EINVAL
	}
	c.Groups = append([]GID(nil), groups...)
	return nil
}

// SetCaps implements capset(2)'s rules (cap_capset): the new permitted
// set is a subset of the old one; the effective set is a subset of the
// new permitted one; the inheritable set may gain only capabilities of
// the bounding set, and, without CAP_SETPCAP, only ones that were
// already inheritable or permitted. Anything else is EPERM and changes
// nothing. Bits above CAP_LAST_CAP are ignored, as Linux masks them.
func (c *Credentials) SetCaps(effective, permitted, inheritable CapSet) error {
	effective &= AllCaps
	permitted &= AllCaps
	inheritable &= AllCaps
	if !c.HasCapability(linux.CAP_SETPCAP) && !inheritable.SubsetOf(c.Inheritable|c.Permitted) {
		return linux.EPERM
	}
	if !inheritable.SubsetOf(c.Inheritable | c.Bounding) {
		return linux.EPERM
	}
	if !permitted.SubsetOf(c.Permitted) {
		return linux.EPERM
	}
	if !effective.SubsetOf(permitted) {
		return linux.EPERM
	}
	c.Effective, c.Permitted, c.Inheritable = effective, permitted, inheritable
	c.Ambient &= permitted & inheritable
	return nil
}

// RaiseAmbient implements PR_CAP_AMBIENT_RAISE: cap must be permitted and
// inheritable, and SECURE_NO_CAP_AMBIENT_RAISE unset (EPERM).
func (c *Credentials) RaiseAmbient(cap int) error {
	if !c.Permitted.Has(cap) || !c.Inheritable.Has(cap) || c.Secure(linux.SECURE_NO_CAP_AMBIENT_RAISE) {
		return linux.EPERM
	}
	c.Ambient |= CapSet(1) << cap
	return nil
}

// SubsetOf reports whether every capability of s is in o.
func (s CapSet) SubsetOf(o CapSet) bool { return s&^o == 0 }

// DropBounding implements PR_CAPBSET_DROP: cap leaves the bounding set,
// which needs CAP_SETPCAP (EPERM); an unknown cap is EINVAL.
func (c *Credentials) DropBounding(cap int) error {
	if cap < 0 || cap > linux.CAP_LAST_CAP {
		return linux.EINVAL
	}
	if !c.HasCapability(linux.CAP_SETPCAP) {
		return linux.EPERM
	}
	c.Bounding &^= CapSet(1) << cap
	return nil
}

// Secure reports whether securebit bit (linux.SECURE_*) is set.
func (c *Credentials) Secure(bit int) bool { return c.Securebits&(1<<bit) != 0 }

// SetSecurebits implements PR_SET_SECUREBITS: EPERM, as in Linux, for a
// change of a locked flag, a lock cleared, an unknown bit, or a caller
// without CAP_SETPCAP.
func (c *Credentials) SetSecurebits(bits uint64) error {
	old := uint64(c.Securebits)
	locks := old & linux.SECURE_ALL_LOCKS
	if (locks>>1)&(old^bits) != 0 || locks&^bits != 0 ||
		bits&^(linux.SECURE_ALL_BITS|linux.SECURE_ALL_LOCKS) != 0 ||
		!c.HasCapability(linux.CAP_SETPCAP) {
		return linux.EPERM
	}
	c.Securebits = uint32(bits)
	return nil
}

// SetKeepCaps implements PR_SET_KEEPCAPS: EPERM once SECURE_KEEP_CAPS is
// locked.
func (c *Credentials) SetKeepCaps(on bool) error {
	if c.Secure(linux.SECURE_KEEP_CAPS_LOCKED) {
		return linux.EPERM
	}
	if on {
		c.Securebits |= 1 << linux.SECURE_KEEP_CAPS
	} else {
		c.Securebits &^= 1 << linux.SECURE_KEEP_CAPS
	}
	return nil
}
