package futex

import (
	"bulwark.dev/bulwark/pkg/abi/linux"
)

// ExitRobustList releases the robust futexes of an exiting thread, as Linux
// does on exit (and on execve) for the list registered with
// set_robust_list(2). head is the registered address of the struct
// robust_list_head (0: nothing registered) and tid is the thread's ID as
// seen in its PID namespace.
//
// For each futex on the list, and for the list_op_pending one, whose owner
// field is tid, it sets FUTEX_OWNER_DIED (keeping FUTEX_WAITERS) and, if
// waiters were flagged and the futex is not PI, calls wake(addr). A pending
// non-PI futex with no owner gets a wake as well, since its owner may have
// died between unlocking and waking. The walk stops at the first fault and
// after linux.ROBUST_LIST_LIMIT entries, so a bad or circular list cannot
// stall the thread.
//
// wake must wake one waiter with a shared key, as Linux does (glibc's
// robust mutexes wait with shared futexes for that reason):
//
//	m.Wake(t, addr, false, linux.FUTEX_BITSET_MATCH_ANY, 1)
//
// Nothing is woken for PI futexes: their owners are handed over by the PI
// code, which the sentry does not implement.
//
// ExitRobustList takes no lock of its own, so it may be called with none
// held; wake is called with none held either.
func ExitRobustList(t Target, head uint64, tid uint32, wake func(addr uint64)) {
	if head == 0 {
		return
	}
	// struct robust_list_head: list.next at 0, futex_offset at 8,
	// list_op_pending at 16.
	entry, pi, err := fetchRobustEntry(t, head)
	if err != nil {
		return
	}
	offset, err := loadUint64(t, head+8)
	if err != nil {
		return
	}
	pending, pendingPI, err := fetchRobustEntry(t, head+16)
	if err != nil {
		return
	}

	for limit := linux.ROBUST_LIST_LIMIT; entry != head; {
		// Read the next pointer before releasing this entry's futex:
		// once released, another thread may reuse the entry.
		next, nextPI, nextErr := fetchRobustEntry(t, entry)
		// The pending lock may already be on the list; handle it once.
		if entry != pending {
			if !handleFutexDeath(t, entry+offset, tid, pi, false, wake) {
				return
			}
		}
		if nextErr != nil {
			return
		}
		entry, pi = next, nextPI
		limit--
		if limit == 0 {
			break
		}
	}

	if pending != 0 {
		handleFutexDeath(t, pending+offset, tid, pendingPI, true, wake)
	}
}

// fetchRobustEntry reads a robust-list pointer at addr: the entry address,
// and bit 0, which marks a PI futex.
func fetchRobustEntry(t Target, addr uint64) (entry uint64, pi bool, err error) {
	v, err := loadUint64(t, addr)
	if err != nil {
		return 0, false, err
	}
	return v &^ 1, v&1 != 0, nil
}

// handleFutexDeath releases the futex word at addr if tid owns it. It
// returns false if the word could not be accessed, which ends the walk.
func handleFutexDeath(t Target, addr uint64, tid uint32, pi, pendingOp bool, wake func(uint64)) bool {
	if addr%4 != 0 {
		return false
	}
	for {
		v, err := t.LoadUint32(addr)
		if err != nil {
			return false
		}
		owner := v & linux.FUTEX_TID_MASK
		if pendingOp && !pi && owner == 0 {
			// The owner unlocked, or a woken waiter died before taking
			// the lock: pass the wake-up on without touching the word.
			wake(addr)
			return true
		}
		if owner != tid {
			return true
		}
		nv := v&linux.FUTEX_WAITERS | linux.FUTEX_OWNER_DIED
		prev, err := t.CompareAndSwapUint32(addr, v, nv)
		if err != nil {
			return false
		}
		if prev != v {
			// Another thread changed the word (say, set FUTEX_WAITERS);
			// look again.
			continue
		}
		if !pi && v&linux.FUTEX_WAITERS != 0 {
			wake(addr)
		}
		return true
	}
}

// loadUint64 reads the little-endian 64-bit value at addr, which need not
// be aligned, through the aligned 32-bit loads a Target offers. The aligned
// words it reads lie in the same pages as the 8 bytes asked for, so it
// faults exactly when those bytes are not mapped. The read is not atomic;
// robust lists belong to the exiting thread.
func loadUint64(t Target, addr uint64) (uint64, error) {
	if addr+8 < addr {
		return 0, linux.EFAULT
	}
	base := addr &^ 3
	shift := (addr - base) * 8
	w0, err := t.LoadUint32(base)
	if err != nil {
		return 0, err
	}
	w1, err := t.LoadUint32(base + 4)
	if err != nil {
		return 0, err
	}
	v := uint64(w0) | uint64(w1)<<32
	if shift == 0 {
		return v, nil
	}
	w2, err := t.LoadUint32(base + 8)
	if err != nil {
		return 0, err
	}
	return v>>shift | uint64(w2)<<(64-shift), nil
}
