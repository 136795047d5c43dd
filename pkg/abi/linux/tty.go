package linux

// Controlling-terminal ioctl requests (x86-64 values), defined in
// include/uapi/asm-generic/ioctls.h. The terminal attribute and window
// size requests are in ioctl.go.
const (
	TIOCSCTTY = 0x540e
	TIOCNOTTY = 0x5422
)

// Local mode bits of struct termios's c_lflag that the sentry reads,
// defined in include/uapi/asm-generic/termbits.h (octal, as there).
const (
	ISIG   = 0o000001
	ICANON = 0o000002
	ECHO   = 0o000010
	TOSTOP = 0o000400
)
