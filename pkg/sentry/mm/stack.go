package mm

import (
	"bulwark.dev/bulwark/pkg/usermem"
)

// StackGuardGap is the gap Linux keeps between a stack that grows and the
// mapping below it (stack_guard_gap's default: 256 pages).
const StackGuardGap = 256 * usermem.PageSize

// GrowStack extends the stack (the growsDown mappings, "[stack]") that
// lies above addr down to addr's page, as Linux's expand_stack, when a
// fault at addr found no mapping. It does so only if the whole stack,
// from addr's page to its top, stays within limit bytes (RLIMIT_STACK)
// and a guard gap of StackGuardGap remains above the next accessible
// mapping below that is not itself a stack. It reports whether addr is
// mapped now; the caller then runs the access again.
func (mm *MM) GrowStack(addr, limit uint64) bool {
	start := usermem.PageRoundDown(addr)
	mm.mu.RLock()
	i := mm.find(addr)
	if i == len(mm.vmas) || mm.vmas[i].start <= addr || !mm.vmas[i].growsDown {
		mm.mu.RUnlock()
		return false
	}
	above := mm.vmas[i]
	top := above.end
	for j := i + 1; j < len(mm.vmas) && mm.vmas[j].start == top && mm.vmas[j].growsDown; j++ {
		top = mm.vmas[j].end
	}
	ok := top-start <= limit
	if i > 0 {
		below := mm.vmas[i-1]
		if !below.growsDown && below.prot.Any() && start-below.end < StackGuardGap {
			ok = false
		}
	}
	opts := MMapOpts{Addr: start, Length: above.start - start, Prot: above.prot, NoReplace: true, GrowsDown: true, Name: above.name}
	mm.mu.RUnlock()
	if !ok {
		return false
	}
	// NoReplace: a mapping made meanwhile by another thread stays, and
	// the fault is then a real one.
	_, err := mm.MMap(opts)
	return err == nil
}
