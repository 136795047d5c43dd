package lisafs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Frame layout. Every message is one SOCK_SEQPACKET packet:
//
//	offset size field
//	0      4    payload length (bytes of flatbuffer after the header)
//	4      4    bulk length (raw bytes after the payload)
//	8      2    message type (msgType)
//	10     1    number of FDs riding along with SCM_RIGHTS (0 or 1)
//	11     1    flags (flagReply; other bits must be 0)
//	12     4    errno (replies only; 0 = success, then the payload is the
//	            reply table; otherwise the payload and bulk are empty)
//	16     8    tag (chosen by the client, echoed by the server)
//
// All fields are little-endian. The packet boundary is the message boundary,
// so a malformed message can never desynchronize the ones after it.
const headerSize = 24

const (
	// MaxPayload bounds a message's flatbuffer.
	MaxPayload = 64 << 10
	// MaxBulk bounds a message's raw data: one PRead or PWrite round trip
	// moves at most this much; the client splits larger requests.
	MaxBulk = 64 << 10
	// maxFrame is the largest packet either side sends or accepts.
	maxFrame = headerSize + MaxPayload + MaxBulk
	// maxFDsPerMessage is how many FDs one message may carry.
	maxFDsPerMessage = 1
)

// flagReply marks a reply.
const flagReply = 1

// header is a decoded frame header.
type header struct {
	payloadLen uint32
	bulkLen    uint32
	typ        msgType
	numFDs     uint8
	flags      uint8
	errno      uint32
	tag        uint64
}

func (h *header) encode(b []byte) {
	binary.LittleEndian.PutUint32(b[0:], h.payloadLen)
	binary.LittleEndian.PutUint32(b[4:], h.bulkLen)
	binary.LittleEndian.PutUint16(b[8:], uint16(h.typ))
	b[10] = h.numFDs
	b[11] = h.flags
	binary.LittleEndian.PutUint32(b[12:], h.errno)
	binary.LittleEndian.PutUint64(b[16:], h.tag)
}

func (h *header) decode(b []byte) {
	h.payloadLen = binary.LittleEndian.Uint32(b[0:])
	h.bulkLen = binary.LittleEndian.Uint32(b[4:])
	h.typ = msgType(binary.LittleEndian.Uint16(b[8:]))
	h.numFDs = b[10]
	h.flags = b[11]
	h.errno = binary.LittleEndian.Uint32(b[12:])
	h.tag = binary.LittleEndian.Uint64(b[16:])
}

// message is a received frame. payload and bulk alias the receiving conn's
// buffer and are valid only until its next recv. The receiver owns fds and
// must close every one it does not keep.
type message struct {
	hdr     header
	payload []byte
	bulk    []byte
	fds     []int
}

// closeFDs closes the message's FDs that are still >= 0.
func (m *message) closeFDs() {
	for i, fd := range m.fds {
		if fd >= 0 {
			unix.Close(fd)
			m.fds[i] = -1
		}
	}
}

// takeFD returns the message's only FD (or -1) and forgets it.
func (m *message) takeFD() int {
	if len(m.fds) == 0 {
		return -1
	}
	fd := m.fds[0]
	m.fds[0] = -1
	return fd
}

// errMalformed is wrapped by every error that says a received frame broke
// the framing rules.
var errMalformed = errors.New("lisafs: malformed frame")

// parseFrame checks a received packet of n bytes (recvflags as recvmsg
// returned them) against the framing rules and splits it. It never keeps
// fds: on error the caller still owns (and must close) them.
func parseFrame(buf []byte, n int, recvflags int, fds []int) (message, error) {
	var m message
	if recvflags&unix.MSG_TRUNC != 0 {
		return m, fmt.Errorf("%w: packet larger than %d bytes", errMalformed, maxFrame)
	}
	if recvflags&unix.MSG_CTRUNC != 0 {
		return m, fmt.Errorf("%w: more FDs than %d", errMalformed, maxFDsPerMessage)
	}
	if n < headerSize {
		return m, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", errMalformed, n, headerSize)
	}
	m.hdr.decode(buf)
	h := &m.hdr
	if h.payloadLen > MaxPayload || h.bulkLen > MaxBulk {
		return m, fmt.Errorf("%w: payload %d / bulk %d bytes over the limits", errMalformed, h.payloadLen, h.bulkLen)
	}
	if want := headerSize + int(h.payloadLen) + int(h.bulkLen); want != n {
		return m, fmt.Errorf("%w: header says %d bytes, packet has %d", errMalformed, want, n)
	}
	if h.flags&^flagReply != 0 {
		return m, fmt.Errorf("%w: unknown flags %#x", errMalformed, h.flags)
	}
	if int(h.numFDs) != len(fds) {
		return m, fmt.Errorf("%w: header says %d FDs, %d arrived", errMalformed, h.numFDs, len(fds))
	}
	m.payload = buf[headerSize : headerSize+int(h.payloadLen)]
	m.bulk = buf[headerSize+int(h.payloadLen) : n]
	m.fds = fds
	return m, nil
}

// conn is one SOCK_SEQPACKET unix socket carrying LISAFS frames. A conn is
// used by one goroutine at a time (send and recv alternate), except that
// close may be called from any goroutine to make a blocked recv return.
type conn struct {
	uc  *net.UnixConn
	raw syscall.RawConn
	buf []byte
	oob []byte
	hdr [headerSize]byte
}

// newConn takes ownership of the socket fd and wraps it. It fails unless fd
// is a unix SOCK_SEQPACKET socket.
func newConn(fd int) (*conn, error) {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("lisafs: socket FD %d: %w", fd, err)
	}
	if typ != unix.SOCK_SEQPACKET {
		unix.Close(fd)
		return nil, fmt.Errorf("lisafs: FD %d is a socket of type %d, want SOCK_SEQPACKET", fd, typ)
	}
	// A frame must fit in the send buffer in one piece. Best effort: the
	// kernel caps the value at net.core.wmem_max, whose default is enough.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 2*maxFrame)
	f := os.NewFile(uintptr(fd), "lisafs")
	c, err := net.FileConn(f)
	f.Close() // FileConn made its own copy.
	if err != nil {
		return nil, fmt.Errorf("lisafs: socket FD %d: %w", fd, err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("lisafs: FD %d is not a unix socket", fd)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		uc.Close()
		return nil, fmt.Errorf("lisafs: socket FD %d: %w", fd, err)
	}
	return &conn{
		uc:  uc,
		raw: raw,
		buf: make([]byte, maxFrame),
		oob: make([]byte, unix.CmsgSpace(4*maxFDsPerMessage)),
	}, nil
}

// socketPair returns a connected pair of SOCK_SEQPACKET sockets, both
// close-on-exec.
func socketPair() (int, int, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, fmt.Errorf("lisafs: socketpair: %w", err)
	}
	return fds[0], fds[1], nil
}

// close closes the socket; a recv blocked in another goroutine returns.
func (c *conn) close() {
	c.uc.Close()
}

// send writes one frame. fd, if >= 0, rides along; the caller keeps its
// own copy.
func (c *conn) send(h header, payload, bulk []byte, fd int) error {
	if len(payload) > MaxPayload || len(bulk) > MaxBulk {
		return fmt.Errorf("lisafs: outgoing message of type %d too large (payload %d, bulk %d)", h.typ, len(payload), len(bulk))
	}
	h.payloadLen = uint32(len(payload))
	h.bulkLen = uint32(len(bulk))
	var oob []byte
	if fd >= 0 {
		h.numFDs = 1
		oob = unix.UnixRights(fd)
	} else {
		h.numFDs = 0
	}
	h.encode(c.hdr[:])
	bufs := [][]byte{c.hdr[:], payload, bulk}
	var (
		n       int
		sendErr error
	)
	err := c.raw.Write(func(s uintptr) bool {
		n, sendErr = unix.SendmsgBuffers(int(s), bufs, oob, nil, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
		return sendErr != unix.EAGAIN
	})
	if err == nil {
		err = sendErr
	}
	if err != nil {
		return fmt.Errorf("lisafs: send: %w", err)
	}
	if want := headerSize + len(payload) + len(bulk); n != want {
		return fmt.Errorf("lisafs: send: wrote %d of %d bytes", n, want)
	}
	return nil
}

// errEOF is returned by recv when the peer has closed its end.
var errEOF = errors.New("lisafs: peer closed the connection")

// recv reads one frame. A zero-length packet cannot be told from the end of
// the connection, and is taken as such. A framing violation returns an error wrapping
// errMalformed together with the header if one could be read (tag and type
// of a request that deserves an error reply); the connection stays usable.
// Other errors mean the connection is gone.
func (c *conn) recv() (message, error) {
	var (
		n, oobn, flags int
		recvErr        error
	)
	bufs := [][]byte{c.buf}
	err := c.raw.Read(func(s uintptr) bool {
		n, oobn, flags, _, recvErr = unix.RecvmsgBuffers(int(s), bufs, c.oob, unix.MSG_DONTWAIT|unix.MSG_CMSG_CLOEXEC)
		return recvErr != unix.EAGAIN
	})
	if err == nil {
		err = recvErr
	}
	if err != nil {
		return message{}, fmt.Errorf("lisafs: recv: %w", err)
	}
	fds, fdErr := parseRights(c.oob[:oobn])
	if n == 0 && len(fds) == 0 && fdErr == nil {
		return message{}, errEOF
	}
	m, err := parseFrame(c.buf, n, flags, fds)
	if err == nil && fdErr != nil {
		err = fmt.Errorf("%w: %v", errMalformed, fdErr)
	}
	if err != nil {
		for _, fd := range fds {
			unix.Close(fd)
		}
		if n >= headerSize {
			m.hdr.decode(c.buf)
		}
		m.fds = nil
		return m, err
	}
	return m, nil
}

// parseRights returns every FD passed in the control messages oob. FDs are
// returned even alongside an error, so that the caller can close them.
func parseRights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	cmsgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("control message: %v", err)
	}
	var (
		fds    []int
		errOut error
	)
	for i := range cmsgs {
		got, err := unix.ParseUnixRights(&cmsgs[i])
		if err != nil {
			errOut = fmt.Errorf("control message: %v", err)
			continue
		}
		fds = append(fds, got...)
	}
	return fds, errOut
}
