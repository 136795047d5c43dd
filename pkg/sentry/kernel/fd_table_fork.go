package kernel

// Fork returns a copy of ft for a child process that does not share it
// (fork without CLONE_FILES): the same files at the same fds, each with a
// new reference, and the same close-on-exec flags.
func (ft *FDTable) Fork() *FDTable {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	nt := &FDTable{fds: make([]fdEntry, len(ft.fds))}
	nt.users.Store(1)
	for i, e := range ft.fds {
		if e.file != nil {
			e.file.IncRef()
			nt.fds[i] = e
		}
	}
	return nt
}

// IncUsers adds a process that shares ft (clone with CLONE_FILES).
func (ft *FDTable) IncUsers() { ft.users.Add(1) }

// DecUsers drops a process's use of ft; the last one closes every fd.
func (ft *FDTable) DecUsers() {
	if ft.users.Add(-1) == 0 {
		ft.RemoveRange(0, ^uint32(0))
	}
}
