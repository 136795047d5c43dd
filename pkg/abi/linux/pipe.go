package linux

// PIPE_DEF_BUFFERS is the number of page-sized buffers of a new pipe,
// defined in include/linux/pipe_fs_i.h: its default capacity is
// PIPE_DEF_BUFFERS pages (64 KiB).
const PIPE_DEF_BUFFERS = 16

// O_NOTIFICATION_PIPE asks pipe2(2) for a watch-queue pipe, defined in
// include/uapi/linux/watch_queue.h.
const O_NOTIFICATION_PIPE = O_EXCL

// splice(2), tee(2) and vmsplice(2) flags, defined in
// include/linux/splice.h.
const (
	SPLICE_F_MOVE     = 0x01
	SPLICE_F_NONBLOCK = 0x02
	SPLICE_F_MORE     = 0x04
	SPLICE_F_GIFT     = 0x08
	SPLICE_F_ALL      = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT
)
