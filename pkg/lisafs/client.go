package lisafs

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/abi/linux"
	flatbuffers "github.com/google/flatbuffers/go"
	"golang.org/x/sys/unix"
)

// ErrConnectionLost is wrapped by every error a Client returns once its
// connection to the gofer is gone: the gofer died or misbehaved, or Close
// was called.
var ErrConnectionLost = errors.New("lisafs: gofer connection lost")

// errClientClosed is the cause recorded by Close.
var errClientClosed = errors.New("client closed")

// DefaultMaxChannels is used when Connect is given maxChannels < 1.
const DefaultMaxChannels = 8

// Client is the sentry's end of a LISAFS connection. Its methods may be
// called from any number of goroutines at once: each call takes a free
// channel (a socket of its own to the server), or adds one while fewer than
// maxChannels exist, or waits for one.
//
// Lock order: Client.ctrlMu, then Client.mu.
type Client struct {
	main *conn

	// ctrlMu serializes control requests (Channel) on main; their replies
	// arrive through ctrlReply from the goroutine that reads main.
	ctrlMu    sync.Mutex
	ctrlReply chan ctrlResult

	free        chan *channel // idle channels
	maxChannels int

	mu     sync.Mutex
	nchans int                   // channels made or being made; protected by mu
	all    map[*channel]struct{} // protected by mu

	done     chan struct{}
	lostOnce sync.Once
	lostErr  error // set once, before done is closed

	tag atomic.Uint64
}

// channel is one socket for requests, used by one call at a time.
type channel struct {
	c *conn
	b *flatbuffers.Builder
}

// ctrlResult is a reply read from main.
type ctrlResult struct {
	hdr     header
	payload []byte
}

// Connect performs the version handshake on the SOCK_SEQPACKET socket sock
// (taking ownership of it, even on error), mounts the server's root and
// returns the client and the root inode. maxChannels bounds the requests in
// flight at once (DefaultMaxChannels if < 1).
func Connect(sock int, maxChannels int) (*Client, Inode, error) {
	if maxChannels < 1 {
		maxChannels = DefaultMaxChannels
	}
	main, err := newConn(sock)
	if err != nil {
		return nil, Inode{}, err
	}
	if err := handshake(main); err != nil {
		main.close()
		return nil, Inode{}, err
	}
	c := &Client{
		main:        main,
		ctrlReply:   make(chan ctrlResult, 1),
		free:        make(chan *channel, maxChannels),
		maxChannels: maxChannels,
		all:         make(map[*channel]struct{}),
		done:        make(chan struct{}),
	}
	go c.readMain()
	var root Inode
	err = c.call(msgMount, func(b *flatbuffers.Builder) []byte { return encodeFDReq(b, 0) }, nil,
		func(m *message) (err error) {
			root, err = decodeInodeResp(m.payload)
			return err
		})
	if err != nil {
		c.Close()
		return nil, Inode{}, fmt.Errorf("lisafs: mount: %w", err)
	}
	return c, root, nil
}

// handshake agrees on a protocol version over main, before anything else
// reads it.
func handshake(main *conn) error {
	b := flatbuffers.NewBuilder(64)
	const tag = 1
	if err := main.send(header{typ: msgVersion, tag: tag}, encodeVersionReq(b, versionMsg{min: MinVersion, max: MaxVersion}), nil, -1); err != nil {
		return fmt.Errorf("lisafs: handshake: %w", err)
	}
	m, err := main.recv()
	if err != nil {
		return fmt.Errorf("lisafs: handshake: %w", err)
	}
	m.closeFDs()
	if err := checkReplyHeader(&m.hdr, msgVersion, tag); err != nil {
		return fmt.Errorf("lisafs: handshake: %w", err)
	}
	if m.hdr.errno != 0 {
		return fmt.Errorf("lisafs: handshake: server replied %v", linux.Errno(m.hdr.errno))
	}
	v, err := decodeVersionResp(m.payload)
	if err != nil {
		return fmt.Errorf("lisafs: handshake: %w", err)
	}
	if v.chosen == 0 || v.chosen < MinVersion || v.chosen > MaxVersion || v.chosen < v.min || v.chosen > v.max {
		return fmt.Errorf("lisafs: server speaks version %s, client %s: no version in common",
			versionRange(v.min, v.max), versionRange(MinVersion, MaxVersion))
	}
	return nil
}

func versionRange(lo, hi uint32) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d..%d", lo, hi)
}

// checkReplyHeader checks that h answers a request of type typ with tag.
func checkReplyHeader(h *header, typ msgType, tag uint64) error {
	switch {
	case h.flags&flagReply == 0:
		return fmt.Errorf("%w: got a request, want a reply", errMalformed)
	case h.tag != tag || h.typ != typ:
		return fmt.Errorf("%w: reply %v tag %d, want %v tag %d", errMalformed, h.typ, h.tag, typ, tag)
	}
	if h.errno != 0 {
		if _, ok := errnoFromHeader(h.errno); !ok {
			return fmt.Errorf("%w: errno %d out of range", errMalformed, h.errno)
		}
		if h.payloadLen != 0 || h.bulkLen != 0 || h.numFDs != 0 {
			return fmt.Errorf("%w: error reply with data", errMalformed)
		}
	}
	return nil
}

// readMain reads main until it fails: replies to control requests, and the
// end of the connection, which is how the client learns the gofer died even
// while no request is in flight.
func (c *Client) readMain() {
	for {
		m, err := c.main.recv()
		if err != nil {
			c.fail(err)
			return
		}
		if len(m.fds) != 0 {
			m.closeFDs()
			c.fail(fmt.Errorf("%w: unexpected FD on the main socket", errMalformed))
			return
		}
		r := ctrlResult{hdr: m.hdr, payload: append([]byte(nil), m.payload...)}
		select {
		case c.ctrlReply <- r:
		default:
			c.fail(fmt.Errorf("%w: unsolicited %v reply", errMalformed, m.hdr.typ))
			return
		}
	}
}

// fail records why the connection is lost (the first cause wins) and tears
// it down: Done is closed and every blocked call returns.
func (c *Client) fail(cause error) {
	c.lostOnce.Do(func() {
		c.lostErr = fmt.Errorf("%w: %v", ErrConnectionLost, cause)
		close(c.done)
		c.mu.Lock()
		for ch := range c.all {
			ch.c.close()
		}
		c.mu.Unlock()
		c.main.close()
	})
}

// lost returns the connection-lost error; it must be called only after done
// is closed.
func (c *Client) lost() error {
	<-c.done
	return c.lostErr
}

func (c *Client) isLost() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Close tears down the connection. It is idempotent; every later call
// fails with an error wrapping ErrConnectionLost, and Done is closed.
func (c *Client) Close() {
	c.fail(errClientClosed)
}

// Done returns a channel that is closed when the connection to the gofer is
// lost (the gofer died, sent garbage, or Close was called).
func (c *Client) Done() <-chan struct{} {
	return c.done
}

// getChannel returns an idle channel, making one if fewer than maxChannels
// exist, or waits for one.
func (c *Client) getChannel() (*channel, error) {
	select {
	case ch := <-c.free:
		return c.checkChannel(ch)
	case <-c.done:
		return nil, c.lost()
	default:
	}
	c.mu.Lock()
	if c.nchans < c.maxChannels {
		c.nchans++
		c.mu.Unlock()
		ch, err := c.newChannel()
		if err != nil {
			c.mu.Lock()
			c.nchans--
			c.mu.Unlock()
			return nil, err
		}
		return ch, nil
	}
	c.mu.Unlock()
	select {
	case ch := <-c.free:
		return c.checkChannel(ch)
	case <-c.done:
		return nil, c.lost()
	}
}

func (c *Client) checkChannel(ch *channel) (*channel, error) {
	if c.isLost() {
		c.free <- ch
		return nil, c.lost()
	}
	return ch, nil
}

func (c *Client) putChannel(ch *channel) {
	c.free <- ch // Never blocks: free holds up to maxChannels.
}

// newChannel makes a socket pair and donates one end to the server.
func (c *Client) newChannel() (*channel, error) {
	mine, theirs, err := socketPair()
	if err != nil {
		return nil, err
	}
	err = c.control(msgChannel, theirs)
	unix.Close(theirs)
	if err != nil {
		unix.Close(mine)
		return nil, err
	}
	cn, err := newConn(mine)
	if err != nil {
		// The server serves a channel nobody uses; harmless.
		return nil, err
	}
	ch := &channel{c: cn, b: flatbuffers.NewBuilder(1024)}
	c.mu.Lock()
	if c.isLost() {
		c.mu.Unlock()
		cn.close()
		return nil, c.lost()
	}
	c.all[ch] = struct{}{}
	c.mu.Unlock()
	return ch, nil
}

// control sends a control request with an empty payload and fd on main and
// waits for its reply.
func (c *Client) control(typ msgType, fd int) error {
	c.ctrlMu.Lock()
	defer c.ctrlMu.Unlock()
	if c.isLost() {
		return c.lost()
	}
	tag := c.tag.Add(1)
	if err := c.main.send(header{typ: typ, tag: tag}, nil, nil, fd); err != nil {
		c.fail(err)
		return c.lost()
	}
	select {
	case r := <-c.ctrlReply:
		if err := checkReplyHeader(&r.hdr, typ, tag); err != nil {
			c.fail(err)
			return c.lost()
		}
		if r.hdr.errno != 0 {
			return fmt.Errorf("lisafs: %v: %w", typ, linux.Errno(r.hdr.errno))
		}
		return nil
	case <-c.done:
		return c.lost()
	}
}

// fdReply reports whether a reply of type typ may carry a host FD.
func fdReply(typ msgType) bool {
	return typ == msgOpenAt || typ == msgOpenCreateAt || typ == msgConnect
}

// call sends one request on a channel and hands the reply to handle, which
// runs while the reply's buffer is valid and must take any FD it keeps
// (message.takeFD); the rest are closed. An error reply returns its
// linux.Errno without calling handle. A reply that breaks the protocol (or
// an error wrapping errMalformed from handle) tears the connection down.
func (c *Client) call(typ msgType, encode func(*flatbuffers.Builder) []byte, bulk []byte, handle func(*message) error) error {
	ch, err := c.getChannel()
	if err != nil {
		return err
	}
	ch.b.Reset()
	payload := encode(ch.b)
	tag := c.tag.Add(1)
	if err := ch.c.send(header{typ: typ, tag: tag}, payload, bulk, -1); err != nil {
		return c.channelFailed(ch, err)
	}
	m, err := ch.c.recv()
	if err != nil {
		return c.channelFailed(ch, err)
	}
	if err := checkReplyHeader(&m.hdr, typ, tag); err != nil {
		m.closeFDs()
		return c.channelFailed(ch, err)
	}
	if len(m.fds) != 0 && !fdReply(typ) {
		m.closeFDs()
		return c.channelFailed(ch, fmt.Errorf("%w: %v reply with an FD", errMalformed, typ))
	}
	if m.hdr.errno != 0 {
		c.putChannel(ch)
		return linux.Errno(m.hdr.errno)
	}
	err = nil
	if handle != nil {
		err = handle(&m)
	}
	m.closeFDs()
	if err != nil && errors.Is(err, errMalformed) {
		return c.channelFailed(ch, fmt.Errorf("%v reply: %w", typ, err))
	}
	c.putChannel(ch)
	return err
}

// channelFailed ends the connection after an I/O or protocol error on a
// channel: with one channel out of step, nothing the server says can be
// trusted, and a dead channel usually means a dead gofer.
func (c *Client) channelFailed(ch *channel, err error) error {
	c.fail(err)
	ch.c.close()
	return c.lost()
}

// validInode checks an inode the server returned.
func validInode(ino *Inode) error {
	if ino.ControlFD == 0 {
		return fmt.Errorf("%w: inode without a control FD", errMalformed)
	}
	return nil
}

// WalkStat walks names from the directory dir, one component at a time,
// never following a symlink, and returns an inode (with a new control FD)
// for each component of the longest prefix of names that exists. It stops
// early, with a nil error and a shorter result, at a component that is
// missing (or cannot be walked) or after one that is not a directory
// (symlinks included). If names[0] itself cannot be walked, it returns that
// error (ENOENT if it does not exist; ENOTDIR if dir is not a directory).
// Each name must be a single component (EINVAL otherwise).
func (c *Client) WalkStat(dir FDID, names []string) ([]Inode, error) {
	var out []Inode
	for len(names) > 0 {
		chunk := names[:min(len(names), MaxWalkNames)]
		names = names[len(chunk):]
		var got []Inode
		err := c.call(msgWalkStat, func(b *flatbuffers.Builder) []byte { return encodeWalkStatReq(b, dir, chunk) }, nil,
			func(m *message) (err error) {
				got, err = decodeWalkStatResp(m.payload)
				if err != nil {
					return err
				}
				if len(got) > len(chunk) {
					return fmt.Errorf("%w: %d inodes for %d names", errMalformed, len(got), len(chunk))
				}
				for i := range got {
					if err := validInode(&got[i]); err != nil {
						return err
					}
				}
				return nil
			})
		if err != nil {
			if len(out) > 0 && !errors.Is(err, ErrConnectionLost) {
				return out, nil
			}
			if len(out) > 0 {
				c.CloseFDs(inodeFDs(out))
			}
			return nil, err
		}
		out = append(out, got...)
		if len(got) < len(chunk) || len(got) == 0 {
			break
		}
		last := got[len(got)-1]
		if uint32(last.Stat.Mode)&linux.S_IFMT != linux.S_IFDIR {
			break
		}
		dir = last.ControlFD
	}
	return out, nil
}

func inodeFDs(inodes []Inode) []FDID {
	fds := make([]FDID, len(inodes))
	for i := range inodes {
		fds[i] = inodes[i].ControlFD
	}
	return fds
}

// FStat returns the attributes of the file fd (a control or open FD) names.
func (c *Client) FStat(fd FDID) (linux.Statx, error) {
	var st linux.Statx
	err := c.call(msgFStat, func(b *flatbuffers.Builder) []byte { return encodeFDReq(b, fd) }, nil,
		func(m *message) (err error) {
			st, err = decodeStatResp(m.payload)
			return err
		})
	return st, err
}

// SetStat changes the attributes a.Mask selects.
func (c *Client) SetStat(fd FDID, a SetStatArgs) error {
	return c.call(msgSetStat, func(b *flatbuffers.Builder) []byte { return encodeSetStatReq(b, fd, &a) }, nil, nil)
}

// OpenAt opens the file of control FD fd with open(2) flags (O_CREAT is
// not allowed; see OpenCreateAt). It returns the new open FD and, for
// regular files, a host FD the caller now owns (read, write and mmap may go
// to it directly); otherwise hostFD is -1.
func (c *Client) OpenAt(fd FDID, flags uint32) (open FDID, hostFD int, err error) {
	hostFD = -1
	err = c.call(msgOpenAt, func(b *flatbuffers.Builder) []byte { return encodeOpenAtReq(b, fd, flags) }, nil,
		func(m *message) (err error) {
			open, err = decodeOpenAtResp(m.payload)
			if err == nil && open == 0 {
				err = fmt.Errorf("%w: open FD 0", errMalformed)
			}
			if err == nil {
				hostFD = m.takeFD()
			}
			return err
		})
	return open, hostFD, err
}

// OpenCreateAt creates the regular file name in dir with mode and owner
// uid:gid, and opens it with flags (O_CREAT|O_EXCL are implied). It returns
// the new inode, its open FD and a donated host FD (or -1), as OpenAt.
func (c *Client) OpenCreateAt(dir FDID, name string, flags, mode, uid, gid uint32) (Inode, FDID, int, error) {
	var (
		ino    Inode
		open   FDID
		hostFD = -1
	)
	r := createReq{dir: dir, name: name, flags: flags, mode: mode, uid: uid, gid: gid}
	err := c.call(msgOpenCreateAt, func(b *flatbuffers.Builder) []byte { return encodeOpenCreateAtReq(b, &r) }, nil,
		func(m *message) (err error) {
			ino, open, err = decodeOpenCreateAtResp(m.payload)
			if err == nil {
				err = validInode(&ino)
			}
			if err == nil && open == 0 {
				err = fmt.Errorf("%w: open FD 0", errMalformed)
			}
			if err == nil {
				hostFD = m.takeFD()
			}
			return err
		})
	return ino, open, hostFD, err
}

// CloseFDs releases control and open FDs. It is best effort: errors (an
// unknown FDID, a lost connection) are ignored.
func (c *Client) CloseFDs(fds []FDID) {
	for len(fds) > 0 {
		chunk := fds[:min(len(fds), MaxCloseFDs)]
		fds = fds[len(chunk):]
		if err := c.call(msgClose, func(b *flatbuffers.Builder) []byte { return encodeCloseReq(b, chunk) }, nil, nil); err != nil && c.isLost() {
			return
		}
	}
}

// PRead reads into buf from offset off of open FD fd, in round trips of at
// most MaxBulk bytes, stopping at end of file or a short read. Like
// pread(2), it returns the bytes read and an error only if none were.
func (c *Client) PRead(fd FDID, off uint64, buf []byte) (int, error) {
	total := 0
	for {
		want := min(len(buf)-total, MaxBulk)
		var n int
		err := c.call(msgPRead, func(b *flatbuffers.Builder) []byte { return encodePReadReq(b, fd, off+uint64(total), uint32(want)) }, nil,
			func(m *message) error {
				if len(m.bulk) > want {
					return fmt.Errorf("%w: %d bytes read, %d asked for", errMalformed, len(m.bulk), want)
				}
				n = copy(buf[total:], m.bulk)
				return nil
			})
		if err != nil {
			if total > 0 && !errors.Is(err, ErrConnectionLost) {
				return total, nil
			}
			return total, err
		}
		total += n
		if n < want || total == len(buf) {
			return total, nil
		}
	}
}

// PWrite writes buf at offset off of open FD fd, in round trips of at most
// MaxBulk bytes, stopping at a short write. Like pwrite(2), it returns the
// bytes written and an error only if none were.
func (c *Client) PWrite(fd FDID, off uint64, buf []byte) (int, error) {
	total := 0
	for {
		chunk := buf[total : total+min(len(buf)-total, MaxBulk)]
		var n uint64
		err := c.call(msgPWrite, func(b *flatbuffers.Builder) []byte { return encodePWriteReq(b, fd, off+uint64(total)) }, chunk,
			func(m *message) (err error) {
				n, err = decodePWriteResp(m.payload)
				if err == nil && n > uint64(len(chunk)) {
					err = fmt.Errorf("%w: %d bytes written, %d sent", errMalformed, n, len(chunk))
				}
				return err
			})
		if err != nil {
			if total > 0 && !errors.Is(err, ErrConnectionLost) {
				return total, nil
			}
			return total, err
		}
		total += int(n)
		if int(n) < len(chunk) || total == len(buf) {
			return total, nil
		}
	}
}

// FSync flushes open FD fd to storage.
func (c *Client) FSync(fd FDID) error {
	return c.call(msgFSync, func(b *flatbuffers.Builder) []byte { return encodeFDReq(b, fd) }, nil, nil)
}

// FAllocate is fallocate(2) on open FD fd.
func (c *Client) FAllocate(fd FDID, mode uint32, off, length uint64) error {
	a := fallocateReq{fd: fd, mode: mode, off: off, length: length}
	return c.call(msgFAllocate, func(b *flatbuffers.Builder) []byte { return encodeFAllocateReq(b, a) }, nil, nil)
}

// Getdents64 returns the next entries of the open directory fd: as many as
// getdents64(2) would return into a count-byte buffer (count is capped at
// MaxGetdentsCount). "." and ".." are not included. An empty result means
// the end; each call continues where the last one stopped.
func (c *Client) Getdents64(fd FDID, count uint32) ([]Dirent, error) {
	count = min(count, MaxGetdentsCount)
	var ds []Dirent
	err := c.call(msgGetdents64, func(b *flatbuffers.Builder) []byte { return encodeGetdents64Req(b, fd, count) }, nil,
		func(m *message) (err error) {
			ds, err = decodeGetdents64Resp(m.payload)
			if err != nil {
				return err
			}
			for i := range ds {
				if CheckName(ds[i].Name) != nil {
					return fmt.Errorf("%w: directory entry %q", errMalformed, ds[i].Name)
				}
			}
			return nil
		})
	if ds == nil && err == nil {
		ds = []Dirent{}
	}
	return ds, err
}

// inodeCall sends a request whose reply is one new inode.
func (c *Client) inodeCall(typ msgType, encode func(*flatbuffers.Builder) []byte) (Inode, error) {
	var ino Inode
	err := c.call(typ, encode, nil, func(m *message) (err error) {
		ino, err = decodeInodeResp(m.payload)
		if err == nil {
			err = validInode(&ino)
		}
		return err
	})
	return ino, err
}

// MkdirAt creates the directory name in dir.
func (c *Client) MkdirAt(dir FDID, name string, mode, uid, gid uint32) (Inode, error) {
	r := createReq{dir: dir, name: name, mode: mode, uid: uid, gid: gid}
	return c.inodeCall(msgMkdirAt, func(b *flatbuffers.Builder) []byte { return encodeMknodAtReq(b, &r) })
}

// MknodAt creates the file name in dir; mode holds its type (S_IFREG,
// S_IFIFO or S_IFSOCK; the gofer refuses device nodes with EPERM).
func (c *Client) MknodAt(dir FDID, name string, mode, uid, gid, major, minor uint32) (Inode, error) {
	r := createReq{dir: dir, name: name, mode: mode, uid: uid, gid: gid, major: major, minor: minor}
	return c.inodeCall(msgMknodAt, func(b *flatbuffers.Builder) []byte { return encodeMknodAtReq(b, &r) })
}

// SymlinkAt creates the symlink name in dir pointing at target.
func (c *Client) SymlinkAt(dir FDID, name, target string, uid, gid uint32) (Inode, error) {
	r := createReq{dir: dir, name: name, target: target, uid: uid, gid: gid}
	return c.inodeCall(msgSymlinkAt, func(b *flatbuffers.Builder) []byte { return encodeSymlinkAtReq(b, &r) })
}

// LinkAt creates name in dir as a hard link to the file of control FD
// target.
func (c *Client) LinkAt(dir FDID, name string, target FDID) (Inode, error) {
	r := createReq{dir: dir, name: name, targetFD: target}
	return c.inodeCall(msgLinkAt, func(b *flatbuffers.Builder) []byte { return encodeLinkAtReq(b, &r) })
}

// UnlinkAt removes name from dir; flags may hold linux.AT_REMOVEDIR.
func (c *Client) UnlinkAt(dir FDID, name string, flags uint32) error {
	r := createReq{dir: dir, name: name, flags: flags}
	return c.call(msgUnlinkAt, func(b *flatbuffers.Builder) []byte { return encodeUnlinkAtReq(b, &r) }, nil, nil)
}

// RenameAt renames oldName in oldDir to newName in newDir, as rename(2).
func (c *Client) RenameAt(oldDir FDID, oldName string, newDir FDID, newName string) error {
	r := createReq{dir: oldDir, name: oldName, newDir: newDir, newName: newName}
	return c.call(msgRenameAt, func(b *flatbuffers.Builder) []byte { return encodeRenameAtReq(b, &r) }, nil, nil)
}

// ReadLinkAt returns the target of the symlink fd names.
func (c *Client) ReadLinkAt(fd FDID) (string, error) {
	var target string
	err := c.call(msgReadLinkAt, func(b *flatbuffers.Builder) []byte { return encodeFDReq(b, fd) }, nil,
		func(m *message) (err error) {
			target, err = decodeReadLinkAtResp(m.payload)
			return err
		})
	return target, err
}

// StatFS returns the statfs(2) of the file system holding fd.
func (c *Client) StatFS(fd FDID) (linux.Statfs, error) {
	var s linux.Statfs
	err := c.call(msgStatFS, func(b *flatbuffers.Builder) []byte { return encodeFDReq(b, fd) }, nil,
		func(m *message) (err error) {
			s, err = decodeStatFSResp(m.payload)
			return err
		})
	return s, err
}

// GetXattr returns the value of xattr name. With size > 0 a longer value
// fails with ERANGE; size 0 returns the value whatever its length.
func (c *Client) GetXattr(fd FDID, name string, size uint32) ([]byte, error) {
	var v []byte
	err := c.call(msgGetXattr, func(b *flatbuffers.Builder) []byte {
		return encodeXattrReq(b, xattrReq{fd: fd, name: name, size: size})
	}, nil,
		func(m *message) error {
			if size != 0 && uint32(len(m.bulk)) > size {
				return fmt.Errorf("%w: %d-byte value for a %d-byte buffer", errMalformed, len(m.bulk), size)
			}
			v = append([]byte{}, m.bulk...)
			return nil
		})
	return v, err
}

// SetXattr sets xattr name; flags may hold linux.XATTR_CREATE or
// XATTR_REPLACE.
func (c *Client) SetXattr(fd FDID, name string, value []byte, flags uint32) error {
	if len(value) > linux.XATTR_SIZE_MAX {
		return linux.E2BIG
	}
	return c.call(msgSetXattr, func(b *flatbuffers.Builder) []byte {
		return encodeSetXattrReq(b, xattrReq{fd: fd, name: name, flags: flags})
	}, value, nil)
}

// ListXattr returns the names of fd's xattrs. With size > 0, a list longer
// than size bytes (as listxattr(2) lays it out) fails with ERANGE.
func (c *Client) ListXattr(fd FDID, size uint32) ([]string, error) {
	var names []string
	err := c.call(msgListXattr, func(b *flatbuffers.Builder) []byte { return encodeXattrReq(b, xattrReq{fd: fd, size: size}) }, nil,
		func(m *message) error {
			if len(m.bulk) == 0 {
				return nil
			}
			if size != 0 && uint32(len(m.bulk)) > size {
				return fmt.Errorf("%w: %d-byte list for a %d-byte buffer", errMalformed, len(m.bulk), size)
			}
			if m.bulk[len(m.bulk)-1] != 0 {
				return fmt.Errorf("%w: xattr list not NUL-terminated", errMalformed)
			}
			names = strings.Split(string(m.bulk[:len(m.bulk)-1]), "\x00")
			for _, n := range names {
				if n == "" {
					return fmt.Errorf("%w: empty xattr name", errMalformed)
				}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return names, nil
}

// RemoveXattr removes xattr name.
func (c *Client) RemoveXattr(fd FDID, name string) error {
	return c.call(msgRemoveXattr, func(b *flatbuffers.Builder) []byte { return encodeXattrReq(b, xattrReq{fd: fd, name: name}) }, nil, nil)
}

// Connect returns a host socket of type sockType connected to the unix
// socket file fd names. The gofer may refuse with ENOSYS (runsc/fsgofer
// does, for now).
func (c *Client) Connect(fd FDID, sockType uint32) (hostFD int, err error) {
	hostFD = -1
	err = c.call(msgConnect, func(b *flatbuffers.Builder) []byte { return encodeConnectReq(b, fd, sockType) }, nil,
		func(m *message) error {
			hostFD = m.takeFD()
			if hostFD < 0 {
				return fmt.Errorf("%w: Connect reply without an FD", errMalformed)
			}
			return nil
		})
	return hostFD, err
}
