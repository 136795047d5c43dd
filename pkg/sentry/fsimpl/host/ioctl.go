package host

import (
	"bytes"
	"encoding/binary"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/usermem"
)

// Ioctl implements vfs.FileDescription. Terminal settings and window size
// requests are forwarded to the host terminal with sentry-side copies of
// their arguments; the controlling-terminal requests are answered by the
// kernel's record of the terminal (tty.go), with mem as the calling task;
// FIONREAD works on any host file that supports it; the rest are ENOTTY.
func (f *fileDescription) Ioctl(mem usermem.IO, cmd uint32, arg uint64) (uint64, error) {
	switch cmd {
	case linux.FIONREAD:
		n, err := unix.IoctlGetInt(f.fd, unix.TIOCINQ)
		if err != nil {
			return 0, hostErr(err)
		}
		return 0, usermem.CopyOutUint32(mem, arg, uint32(int32(n)))
	case linux.FIONBIO:
		on, err := usermem.CopyInUint32(mem, arg)
		if err != nil {
			return 0, err
		}
		f.mu.Lock()
		if on != 0 {
			f.flags |= linux.O_NONBLOCK
		} else {
			f.flags &^= linux.O_NONBLOCK
		}
		f.mu.Unlock()
		return 0, nil
	}
	if !f.tty {
		return 0, linux.ENOTTY
	}
	if ok, ret, err := f.jobControlIoctl(mem, cmd, arg); ok {
		return ret, err
	}
	switch cmd {
	case linux.TCGETS:
		ht, err := unix.IoctlGetTermios(f.fd, unix.TCGETS)
		if err != nil {
			return 0, hostErr(err)
		}
		gt := linux.Termios{Iflag: ht.Iflag, Oflag: ht.Oflag, Cflag: ht.Cflag, Lflag: ht.Lflag, Line: ht.Line, CC: ht.Cc}
		return 0, copyOut(mem, arg, &gt)
	case linux.TCSETS, linux.TCSETSW, linux.TCSETSF:
		if err := f.checkSettingsChange(mem); err != nil {
			return 0, err
		}
		var gt linux.Termios
		if err := copyIn(mem, arg, &gt); err != nil {
			return 0, err
		}
		req := map[uint32]uint{linux.TCSETS: unix.TCSETS, linux.TCSETSW: unix.TCSETSW, linux.TCSETSF: unix.TCSETSF}[cmd]
		ht := unix.Termios{Iflag: gt.Iflag, Oflag: gt.Oflag, Cflag: gt.Cflag, Lflag: gt.Lflag, Line: gt.Line, Cc: gt.CC}
		for {
			err := unix.IoctlSetTermios(f.fd, req, &ht)
			if err == unix.EINTR {
				// TCSETSW/TCSETSF wait for output to drain.
				continue
			}
			return 0, hostErr(err)
		}
	case linux.TIOCGWINSZ:
		hw, err := unix.IoctlGetWinsize(f.fd, unix.TIOCGWINSZ)
		if err != nil {
			return 0, hostErr(err)
		}
		gw := linux.Winsize{Row: hw.Row, Col: hw.Col, Xpixel: hw.Xpixel, Ypixel: hw.Ypixel}
		return 0, copyOut(mem, arg, &gw)
	case linux.TIOCSWINSZ:
		var gw linux.Winsize
		if err := copyIn(mem, arg, &gw); err != nil {
			return 0, err
		}
		hw := unix.Winsize{Row: gw.Row, Col: gw.Col, Xpixel: gw.Xpixel, Ypixel: gw.Ypixel}
		if err := unix.IoctlSetWinsize(f.fd, unix.TIOCSWINSZ, &hw); err != nil {
			return 0, hostErr(err)
		}
		f.resized(gw)
		return 0, nil
	}
	return 0, linux.ENOTTY
}

// copyIn reads a fixed-size ABI struct (EFAULT if any byte is unreadable).
func copyIn(mem usermem.IO, addr uint64, v any) error {
	buf := make([]byte, binary.Size(v))
	if _, err := mem.CopyIn(addr, buf); err != nil {
		return linux.EFAULT
	}
	return binary.Read(bytes.NewReader(buf), binary.LittleEndian, v)
}

// copyOut writes a fixed-size ABI struct.
func copyOut(mem usermem.IO, addr uint64, v any) error {
	buf, err := binary.Append(nil, binary.LittleEndian, v)
	if err != nil {
		return err
	}
	if _, err := mem.CopyOut(addr, buf); err != nil {
		return linux.EFAULT
	}
	return nil
}
