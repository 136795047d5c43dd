package auth

import "sort"

// ForUser returns the credentials of a process started as uid:gid with
// the supplementary groups: every uid and gid set to them, and, as after
// an execve, every capability for uid 0 and none for anyone else.
func ForUser(uid, gid uint32, groups []uint32) *Credentials {
	c := &Credentials{
		RealUID: UID(uid), EffectiveUID: UID(uid), SavedUID: UID(uid), FilesystemUID: UID(uid),
		RealGID: GID(gid), EffectiveGID: GID(gid), SavedGID: GID(gid), FilesystemGID: GID(gid),
	}
	for _, g := range groups {
		c.Groups = append(c.Groups, GID(g))
	}
	sort.Slice(c.Groups, func(i, j int) bool { return c.Groups[i] < c.Groups[j] })
	if uid == 0 {
		c.Permitted, c.Effective = AllCaps, AllCaps
	}
	return c
}
