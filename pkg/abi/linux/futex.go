package linux

// futex(2) commands, defined in include/uapi/linux/futex.h. The command is
// the low bits of the op argument; FUTEX_PRIVATE_FLAG and
// FUTEX_CLOCK_REALTIME may be or-ed into it.
const (
	FUTEX_WAIT            = 0
	FUTEX_WAKE            = 1
	FUTEX_FD              = 2
	FUTEX_REQUEUE         = 3
	FUTEX_CMP_REQUEUE     = 4
	FUTEX_WAKE_OP         = 5
	FUTEX_LOCK_PI         = 6
	FUTEX_UNLOCK_PI       = 7
	FUTEX_TRYLOCK_PI      = 8
	FUTEX_WAIT_BITSET     = 9
	FUTEX_WAKE_BITSET     = 10
	FUTEX_WAIT_REQUEUE_PI = 11
	FUTEX_CMP_REQUEUE_PI  = 12
	FUTEX_LOCK_PI2        = 13

	FUTEX_PRIVATE_FLAG   = 128
	FUTEX_CLOCK_REALTIME = 256
	// FUTEX_CMD_MASK is ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME),
	// written as a 32-bit value so it converts to unsigned types.
	FUTEX_CMD_MASK = 0xffffffff &^ (FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
)

// Bits of a futex word used by PI and robust futexes, defined in
// include/uapi/linux/futex.h.
const (
	// FUTEX_WAITERS says that threads may be blocked on the futex.
	FUTEX_WAITERS = 0x80000000
	// FUTEX_OWNER_DIED says the owner exited without unlocking.
	FUTEX_OWNER_DIED = 0x40000000
	// FUTEX_TID_MASK selects the owner's thread ID.
	FUTEX_TID_MASK = 0x3fffffff
)

// ROBUST_LIST_LIMIT bounds the robust-list walk on thread exit, so a
// circular or very long list cannot stall the exiting thread. Defined in
// include/uapi/linux/futex.h.
const ROBUST_LIST_LIMIT = 2048

// FUTEX_BITSET_MATCH_ANY is the bitset FUTEX_WAIT and FUTEX_WAKE use: it
// matches every waiter. Defined in include/uapi/linux/futex.h.
const FUTEX_BITSET_MATCH_ANY = 0xffffffff

// FUTEX_WAKE_OP operations and comparisons, defined in
// include/uapi/linux/futex.h. The encoded op (val3) is
//
//	bits 28-31: op, with FUTEX_OP_OPARG_SHIFT<<28 meaning "oparg is 1<<oparg"
//	bits 24-27: cmp
//	bits 12-23: oparg (signed 12-bit)
//	bits  0-11: cmparg (signed 12-bit)
const (
	FUTEX_OP_SET  = 0 // *uaddr2 = oparg
	FUTEX_OP_ADD  = 1 // *uaddr2 += oparg
	FUTEX_OP_OR   = 2 // *uaddr2 |= oparg
	FUTEX_OP_ANDN = 3 // *uaddr2 &= ~oparg
	FUTEX_OP_XOR  = 4 // *uaddr2 ^= oparg

	FUTEX_OP_OPARG_SHIFT = 8 // use (1 << oparg) as the operand

	FUTEX_OP_CMP_EQ = 0 // if (oldval == cmparg) wake
	FUTEX_OP_CMP_NE = 1 // if (oldval != cmparg) wake
	FUTEX_OP_CMP_LT = 2 // if (oldval < cmparg) wake
	FUTEX_OP_CMP_LE = 3 // if (oldval <= cmparg) wake
	FUTEX_OP_CMP_GT = 4 // if (oldval > cmparg) wake
	FUTEX_OP_CMP_GE = 5 // if (oldval >= cmparg) wake
)

// FutexOp encodes a FUTEX_WAKE_OP operation as the FUTEX_OP macro of
// include/uapi/linux/futex.h does.
func FutexOp(op, oparg, cmp, cmparg uint32) uint32 {
	return (op&0xf)<<28 | (cmp&0xf)<<24 | (oparg&0xfff)<<12 | cmparg&0xfff
}

// RobustList is struct robust_list, defined in include/uapi/linux/futex.h:
// one entry of a thread's list of held robust futexes. Bit 0 of Next marks
// the next entry as a PI futex.
type RobustList struct {
	Next uint64
}

// RobustListHead is struct robust_list_head, defined in
// include/uapi/linux/futex.h, as registered by set_robust_list(2).
type RobustListHead struct {
	// List is the head of the circular list of held locks.
	List RobustList
	// FutexOffset is the (signed) distance from an entry to its futex
	// word.
	FutexOffset int64
	// ListOpPending is the lock being acquired or released, or 0.
	ListOpPending uint64
}

// RobustListHeadSize is sizeof(struct robust_list_head): the only length
// set_robust_list(2) accepts.
const RobustListHeadSize = 24
