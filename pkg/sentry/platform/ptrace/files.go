package ptrace

import (
	"encoding/binary"
	"fmt"
	"slices"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/sentry/platform"
)

// Files besides the memory file.
//
// Every stub holds the memory file at the sentry's FD number, inherited
// when the master stub was forked. A file the sentry opens later (an
// overlay's filestore) is sent to the master stub over a datagram socket
// whose one end the master kept (SCM_RIGHTS): the master receives it with
// an injected recvmsg and moves it to the sentry's number with dup3, so
// that MapFile's fd means the same file in the sentry and in every stub.
// Address spaces cloned from then on inherit it with the FD table.
//
// The recvmsg needs its msghdr in the stub's memory: a scratch page mapped
// in the master for the duration of one AddMemoryFile, and unmapped before
// anything is cloned again, so no stub that runs application code ever
// has it. The master runs no application code, so nothing but the sentry
// touches the scratch page.
//
// Numbers stay unique because the sentry keeps open every FD that a stub
// holds: the memory file, both socket ends, and (a precondition of
// AddMemoryFile) every added file.

var _ platform.MemoryFileAdder = (*Platform)(nil)

// scratchAddr is where the master maps its scratch page: inside the
// stub's own region (above maxUserAddress), below the signal stacks.
const (
	scratchAddr = stubStart + stubSize
	scratchSize = 0x1000
)

// The scratch page's layout for recvmsg: a struct msghdr, one iovec with
// an 8-byte buffer, and room for one SCM_RIGHTS message.
const (
	scratchMsghdr  = 0
	scratchIovec   = 64
	scratchBuf     = 96
	scratchControl = 128
	// controlLen is CMSG_SPACE(sizeof(int)) on amd64.
	controlLen = 24
)

// AddMemoryFile implements platform.MemoryFileAdder.
func (p *Platform) AddMemoryFile(fd int) error {
	if fd < 0 {
		return fmt.Errorf("ptrace: add file %d: %w", fd, unix.EBADF)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if fd == p.memfd || slices.Contains(p.added, fd) {
		return nil
	}
	// The stub receives it into a fresh FD; the sentry's copy in the
	// message is its own.
	if err := unix.Sendmsg(p.fileSock, []byte{0}, unix.UnixRights(fd), nil, unix.MSG_DONTWAIT); err != nil {
		return fmt.Errorf("ptrace: add file %d: send to the master stub: %w", fd, err)
	}
	var err error
	p.master.do(func(t *thread) { err = t.receiveFile(p.stubSock, fd) })
	if err != nil {
		p.drain()
		return fmt.Errorf("ptrace: add file %d: %w", fd, err)
	}
	// A new slice: address spaces keep the one they were created with.
	p.added = append(slices.Clip(p.added), fd)
	p.gen++
	return nil
}

// drain discards what a failed AddMemoryFile left in the socket, so that
// the next one cannot receive the wrong file.
//
// Preconditions: p.mu is held.
func (p *Platform) drain() {
	buf, oob := make([]byte, 8), make([]byte, unix.CmsgSpace(4*4))
	for {
		_, oobn, _, _, err := unix.Recvmsg(p.stubSock, buf, oob, unix.MSG_DONTWAIT|unix.MSG_CMSG_CLOEXEC)
		if err != nil {
			return
		}
		msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
		for _, m := range msgs {
			fds, _ := unix.ParseUnixRights(&m)
			for _, fd := range fds {
				unix.Close(fd)
			}
		}
	}
}

// receiveFile receives one file from sock in t (the master stub) and
// puts it at number want.
func (t *thread) receiveFile(sock, want int) error {
	if _, err := t.syscallErr(unix.SYS_MMAP, scratchAddr, scratchSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED, ^uint64(0), 0); err != nil {
		return fmt.Errorf("map scratch page: %w", err)
	}
	got, err := t.recvFileAt(sock)
	if _, uerr := t.syscallErr(unix.SYS_MUNMAP, scratchAddr, scratchSize); uerr != nil && err == nil {
		err = fmt.Errorf("unmap scratch page: %w", uerr)
	}
	if err != nil {
		if got >= 0 {
			t.syscallErr(unix.SYS_CLOSE, uint64(got))
		}
		return err
	}
	if got == want {
		return nil
	}
	// want is free in the stub unless it names a file added before
	// whose sentry FD was closed since: replacing that is right.
	if _, err := t.syscallErr(unix.SYS_DUP3, uint64(got), uint64(want), 0); err != nil {
		t.syscallErr(unix.SYS_CLOSE, uint64(got))
		return fmt.Errorf("dup3 in the master stub: %w", err)
	}
	if _, err := t.syscallErr(unix.SYS_CLOSE, uint64(got)); err != nil {
		return fmt.Errorf("close in the master stub: %w", err)
	}
	return nil
}

// recvFileAt runs recvmsg on sock in t with its buffers in the scratch
// page, and returns the FD it received (-1 if none).
func (t *thread) recvFileAt(sock int) (int, error) {
	page := make([]byte, scratchControl+controlLen)
	le := binary.LittleEndian
	// struct msghdr: name, namelen, iov, iovlen, control, controllen,
	// flags.
	le.PutUint64(page[scratchMsghdr+16:], scratchAddr+scratchIovec)
	le.PutUint64(page[scratchMsghdr+24:], 1)
	le.PutUint64(page[scratchMsghdr+32:], scratchAddr+scratchControl)
	le.PutUint64(page[scratchMsghdr+40:], controlLen)
	// struct iovec: base, len.
	le.PutUint64(page[scratchIovec:], scratchAddr+scratchBuf)
	le.PutUint64(page[scratchIovec+8:], 8)
	if err := t.pokeData(uintptr(scratchAddr), page); err != nil {
		return -1, err
	}
	if _, err := t.syscallErr(unix.SYS_RECVMSG, uint64(sock), scratchAddr+scratchMsghdr, unix.MSG_DONTWAIT); err != nil {
		return -1, fmt.Errorf("recvmsg in the master stub: %w", err)
	}
	// struct cmsghdr: len (8 bytes), level, type; then the FD.
	hdr := make([]byte, controlLen)
	if _, err := unix.PtracePeekData(t.tid, uintptr(scratchAddr+scratchControl), hdr); err != nil {
		return -1, fmt.Errorf("read the received message: %w", err)
	}
	if le.Uint64(hdr) != uint64(unix.CmsgLen(4)) || int32(le.Uint32(hdr[8:])) != unix.SOL_SOCKET ||
		int32(le.Uint32(hdr[12:])) != unix.SCM_RIGHTS {
		return -1, fmt.Errorf("the master stub received no file")
	}
	return int(int32(le.Uint32(hdr[16:]))), nil
}

// closeGaps returns the ranges [first, last] of FD numbers that are not
// in keep, for close_range.
func closeGaps(keep ...int) [][2]uint64 {
	keep = slices.Clone(keep)
	slices.Sort(keep)
	var gaps [][2]uint64
	next := uint64(0)
	for _, fd := range keep {
		if uint64(fd) > next {
			gaps = append(gaps, [2]uint64{next, uint64(fd) - 1})
		}
		next = uint64(fd) + 1
	}
	return append(gaps, [2]uint64{next, ^uint64(0) >> 32})
}
