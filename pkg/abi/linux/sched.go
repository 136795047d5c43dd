package linux

// Scheduling policies, defined in include/uapi/linux/sched.h.
const (
	SCHED_NORMAL   = 0
	SCHED_FIFO     = 1
	SCHED_RR       = 2
	SCHED_BATCH    = 3
	SCHED_IDLE     = 5
	SCHED_DEADLINE = 6
)

// MAX_RT_PRIO bounds real-time priorities (1..MAX_RT_PRIO-1), defined in
// include/linux/sched/prio.h.
const MAX_RT_PRIO = 100

// SchedParam is struct sched_param, defined in
// include/uapi/linux/sched/types.h.
type SchedParam struct {
	Priority int32
}

// SizeOfSchedParam is sizeof(struct sched_param).
const SizeOfSchedParam = 4
