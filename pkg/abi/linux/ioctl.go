package linux

// Terminal and generic file ioctl requests (x86-64 values), defined in
// include/uapi/asm-generic/ioctls.h.
const (
	TCGETS     = 0x5401
	TCSETS     = 0x5402
	TCSETSW    = 0x5403
	TCSETSF    = 0x5404
	TIOCGPGRP  = 0x540f
	TIOCSPGRP  = 0x5410
	TIOCGWINSZ = 0x5413
	TIOCSWINSZ = 0x5414
	FIONREAD   = 0x541b
	TIOCINQ    = FIONREAD
	FIONBIO    = 0x5421
	TIOCGSID   = 0x5429
	FIONCLEX   = 0x5450
	FIOCLEX    = 0x5451
	FIOASYNC   = 0x5452
)

// NCCS is the size of the kernel's c_cc array, defined in
// include/uapi/asm-generic/termbits.h.
const NCCS = 19

// Termios is the kernel's struct termios (not glibc's), defined in
// include/uapi/asm-generic/termbits.h (36 bytes).
type Termios struct {
	Iflag uint32
	Oflag uint32
	Cflag uint32
	Lflag uint32
	Line  uint8
	CC    [NCCS]uint8
}

// SizeOfTermios is sizeof(struct termios).
const SizeOfTermios = 36

// Winsize is struct winsize, defined in
// include/uapi/asm-generic/termios.h.
type Winsize struct {
	Row    uint16
	Col    uint16
	Xpixel uint16
	Ypixel uint16
}

// SizeOfWinsize is sizeof(struct winsize).
const SizeOfWinsize = 8
