package linux

// The "which" argument of getpriority(2) and setpriority(2)
// (include/uapi/linux/resource.h).
const (
	PRIO_PROCESS = 0
	PRIO_PGRP    = 1
	PRIO_USER    = 2
)

// The range of nice values (include/linux/sched/prio.h).
const (
	MIN_NICE = -20
	MAX_NICE = 19
)
