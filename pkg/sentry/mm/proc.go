package mm

// This file is the read-only view of an address space that /proc/PID/maps,
// status and stat show.

// MapInfo describes one VMA as /proc/PID/maps shows it.
type MapInfo struct {
	Start, End        uint64
	Read, Write, Exec bool
	Shared            bool
	// Offset is the file offset of Start for file mappings.
	Offset uint64
	// Dev and Ino identify the mapped file (0 for anonymous memory);
	// Dev is encoded as linux.MakeDev does.
	Dev uint64
	Ino uint64
	// Name is the path of the mapped file, or "[heap]", "[stack]", or
	// "" for anonymous memory.
	Name string
}

// Maps returns the VMAs in address order.
func (mm *MM) Maps() []MapInfo {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	out := make([]MapInfo, 0, len(mm.vmas))
	for _, v := range mm.vmas {
		// vmaMapInfo (file.go) knows the file fields of a VMA.
		out = append(out, vmaMapInfo(v))
	}
	return out
}

// MemoryUsage are the sizes /proc/PID/status and statm report, in bytes.
type MemoryUsage struct {
	// Total is the size of every mapping (VmSize).
	Total uint64
	// Data is the size of private writable mappings that are not the
	// stack (VmData); Stack the size of the stack mappings (VmStk).
	Data, Stack uint64
}

// Usage sums the sizes of the VMAs.
func (mm *MM) Usage() MemoryUsage {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	var u MemoryUsage
	for _, v := range mm.vmas {
		n := v.length()
		u.Total += n
		switch {
		case v.growsDown:
			u.Stack += n
		case v.prot.Write && !v.shared:
			u.Data += n
		}
	}
	return u
}

// BrkRange returns the start and the current end of the heap.
func (mm *MM) BrkRange() (start, end uint64) {
	mm.mu.RLock()
	defer mm.mu.RUnlock()
	return mm.brkBase, mm.brk
}
