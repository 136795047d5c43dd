package lisafs

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/log"
	flatbuffers "github.com/google/flatbuffers/go"
	"golang.org/x/sys/unix"
)

// Node is a file that a Handler names by a control FD. The Server calls
// Close exactly once for every Node a Handler method returns, when the last
// FDID referring to it is closed. A Handler may return the same object more
// than once if it counts the references itself.
type Node interface {
	Close()
}

// OpenFile is a file opened for I/O by Handler.Open or OpenCreate. The
// Server calls Close exactly once, when its FDID is closed and no request
// uses it any more.
type OpenFile interface {
	Close()
}

// Handler performs the file operations of a Server. Methods are called
// concurrently from many goroutines, with any Node or OpenFile, including
// the same one at once. Names passed in have already been checked with
// CheckName, symlink targets, xattr names and SetStatArgs.Mask validated.
//
// Errors must be linux.Errno values (possibly wrapped); anything else is
// reported to the client as EIO.
type Handler interface {
	// Mount returns the root directory.
	Mount() (Node, linux.Statx, error)
	// Walk returns the file name in the directory dir, never following a
	// symlink.
	Walk(dir Node, name string) (Node, linux.Statx, error)
	Stat(n Node) (linux.Statx, error)
	SetStat(n Node, a SetStatArgs) error
	// Open opens n for I/O. donate, if >= 0, is a host FD of the OpenFile
	// that the client receives a copy of; it stays owned by the OpenFile.
	Open(n Node, flags uint32) (f OpenFile, donate int, err error)
	// OpenCreate creates the regular file name in dir and opens it.
	OpenCreate(dir Node, name string, flags, mode, uid, gid uint32) (n Node, st linux.Statx, f OpenFile, donate int, err error)
	PRead(f OpenFile, off uint64, buf []byte) (int, error)
	PWrite(f OpenFile, off uint64, buf []byte) (int, error)
	FSync(f OpenFile) error
	FAllocate(f OpenFile, mode uint32, off, length uint64) error
	// Getdents64 returns the next entries of an open directory, as many
	// as getdents64(2) would return into a count-byte buffer; none at the
	// end.
	Getdents64(f OpenFile, count uint32) ([]Dirent, error)
	Mkdir(dir Node, name string, mode, uid, gid uint32) (Node, linux.Statx, error)
	Mknod(dir Node, name string, mode, uid, gid, major, minor uint32) (Node, linux.Statx, error)
	Symlink(dir Node, name, target string, uid, gid uint32) (Node, linux.Statx, error)
	Link(dir Node, name string, target Node) (Node, linux.Statx, error)
	Unlink(dir Node, name string, flags uint32) error
	Rename(oldDir Node, oldName string, newDir Node, newName string) error
	ReadLink(n Node) (string, error)
	StatFS(n Node) (linux.Statfs, error)
	// GetXattr returns the whole value (at most XATTR_SIZE_MAX bytes); the
	// Server applies the caller's size limit.
	GetXattr(n Node, name string) ([]byte, error)
	SetXattr(n Node, name string, value []byte, flags uint32) error
	// ListXattr returns every name; the Server applies the size limit.
	ListXattr(n Node) ([]string, error)
	RemoveXattr(n Node, name string) error
	// Connect returns a host socket of type sockType connected to the
	// unix socket n. The Server closes it after sending it.
	Connect(n Node, sockType uint32) (int, error)
}

// Server limits per connection.
const (
	// MaxServerChannels bounds the channels a client may add.
	MaxServerChannels = 256
	// MaxServerFDs bounds the FDIDs a client may hold at once.
	MaxServerFDs = 1 << 20
)

// nodeRef counts the FDIDs (and in-flight requests through them) that use
// a Node.
type nodeRef struct {
	refs atomic.Int64
	n    Node
}

func (r *nodeRef) decRef() {
	if r.refs.Add(-1) == 0 {
		r.n.Close()
	}
}

// fdEntry is what an FDID names: a control FD (open == nil) or an open FD
// (of the file node). refs counts the FD table's reference and each request
// in flight using the entry.
type fdEntry struct {
	refs atomic.Int64
	node *nodeRef
	open OpenFile
}

func (e *fdEntry) decRef() {
	if e.refs.Add(-1) == 0 {
		if e.open != nil {
			e.open.Close()
		}
		e.node.decRef()
	}
}

// Server serves one LISAFS connection: it decodes requests, names files by
// FDIDs and calls a Handler. Create it with NewServer and run Serve.
//
// Lock order: Server.mu is a leaf; no Handler method is called with it held.
type Server struct {
	h Handler

	// version is the negotiated protocol version; 0 until the handshake.
	version atomic.Uint32

	mu       sync.Mutex
	fds      map[FDID]*fdEntry // protected by mu
	nextFD   FDID              // protected by mu
	chans    map[*conn]struct{}
	stopping bool // protected by mu
	wg       sync.WaitGroup
}

// NewServer returns a Server that calls h.
func NewServer(h Handler) *Server {
	return &Server{h: h, fds: make(map[FDID]*fdEntry), nextFD: 1, chans: make(map[*conn]struct{})}
}

// Serve takes ownership of the SOCK_SEQPACKET socket sock and serves the
// client on its other end, and on the channels the client adds, until the
// client closes sock. It then closes every channel, releases every FDID and
// returns nil; it returns an error only if sock is unusable.
func (s *Server) Serve(sock int) error {
	c, err := newConn(sock)
	if err != nil {
		return err
	}
	err = s.serveConn(c, true)
	c.close()

	s.mu.Lock()
	s.stopping = true
	for ch := range s.chans {
		ch.close()
	}
	s.mu.Unlock()
	s.wg.Wait()

	s.mu.Lock()
	fds := s.fds
	s.fds = make(map[FDID]*fdEntry)
	s.mu.Unlock()
	for _, e := range fds {
		e.decRef()
	}
	if errors.Is(err, errEOF) || errors.Is(err, unix.ECONNRESET) {
		return nil
	}
	return err
}

// serveConn runs the request loop of one connection until it fails.
func (s *Server) serveConn(c *conn, isMain bool) error {
	st := &connState{
		b:    flatbuffers.NewBuilder(4096),
		bulk: make([]byte, MaxBulk),
	}
	for {
		m, err := c.recv()
		if err != nil {
			if !errors.Is(err, errMalformed) {
				return err
			}
			log.Debugf("lisafs: server: %v", err)
			// The tag and type are echoed when the header could be
			// read; otherwise they are 0, which no request uses.
			if err := c.send(header{typ: m.hdr.typ, tag: m.hdr.tag, flags: flagReply, errno: uint32(linux.EINVAL)}, nil, nil, -1); err != nil {
				return err
			}
			continue
		}
		resp, errno := s.handle(st, &m, isMain)
		m.closeFDs()
		h := header{typ: m.hdr.typ, tag: m.hdr.tag, flags: flagReply}
		if errno != 0 {
			h.errno = uint32(errno)
			resp = noResponse
		}
		err = c.send(h, resp.payload, resp.bulk, resp.fd)
		if resp.closeFD && resp.fd >= 0 {
			unix.Close(resp.fd)
		}
		if resp.release != nil {
			resp.release()
		}
		if err != nil {
			return err
		}
	}
}

// connState is the per-connection scratch space of serveConn.
type connState struct {
	b    *flatbuffers.Builder
	bulk []byte
}

// response is a successful reply.
type response struct {
	payload []byte
	bulk    []byte
	fd      int  // -1: no FD
	closeFD bool // the server owns fd and closes it once sent
	release func()
}

var noResponse = response{fd: -1}

// toErrno converts a Handler error (or a decoding error) to the errno sent
// to the client.
func toErrno(err error) linux.Errno {
	var e linux.Errno
	if errors.As(err, &e) && e != 0 {
		return e
	}
	if errors.Is(err, errMalformed) {
		return linux.EINVAL
	}
	log.Warningf("lisafs: handler returned a non-errno error, replying EIO: %v", err)
	return linux.EIO
}

// handle serves one decoded request.
func (s *Server) handle(st *connState, m *message, isMain bool) (response, linux.Errno) {
	hd := &m.hdr
	if hd.flags&flagReply != 0 {
		return noResponse, linux.EINVAL
	}
	if hd.bulkLen != 0 && hd.typ != msgPWrite && hd.typ != msgSetXattr {
		return noResponse, linux.EINVAL
	}
	if len(m.fds) != 0 && hd.typ != msgChannel {
		return noResponse, linux.EINVAL
	}
	if hd.typ == msgVersion {
		if !isMain {
			return noResponse, linux.EINVAL
		}
		return s.handleVersion(st, m)
	}
	if s.version.Load() == 0 {
		return noResponse, linux.EPROTO
	}
	st.b.Reset()
	resp, err := s.dispatch(st, m)
	if err != nil {
		return noResponse, toErrno(err)
	}
	return resp, 0
}

func (s *Server) handleVersion(st *connState, m *message) (response, linux.Errno) {
	v, err := decodeVersionReq(m.payload)
	if err != nil {
		return noResponse, linux.EINVAL
	}
	chosen := chooseVersion(v.min, v.max, MinVersion, MaxVersion)
	if chosen != 0 {
		if !s.version.CompareAndSwap(0, chosen) && s.version.Load() != chosen {
			// A second handshake may not change the version.
			return noResponse, linux.EPROTO
		}
	}
	st.b.Reset()
	return response{payload: encodeVersionResp(st.b, versionMsg{min: MinVersion, max: MaxVersion, chosen: chosen}), fd: -1}, 0
}

// lookup returns the entry fd names with a reference the caller must drop
// (decRef), or EBADF.
func (s *Server) lookup(fd FDID) (*fdEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.fds[fd]
	if !ok {
		return nil, linux.EBADF
	}
	e.refs.Add(1)
	return e, nil
}

// lookupOpen is lookup for requests that need an open FD.
func (s *Server) lookupOpen(fd FDID) (*fdEntry, error) {
	e, err := s.lookup(fd)
	if err != nil {
		return nil, err
	}
	if e.open == nil {
		e.decRef()
		return nil, linux.EBADF
	}
	return e, nil
}

// install gives a new FDID to an entry that holds one reference (which the
// table takes over). On failure it drops the reference.
func (s *Server) install(e *fdEntry) (FDID, error) {
	s.mu.Lock()
	if len(s.fds) >= MaxServerFDs || s.stopping {
		s.mu.Unlock()
		e.decRef()
		return 0, linux.EMFILE
	}
	id := s.nextFD
	s.nextFD++
	s.fds[id] = e
	s.mu.Unlock()
	return id, nil
}

// installNode makes a control FD for a node a Handler just returned.
func (s *Server) installNode(n Node) (FDID, error) {
	r := &nodeRef{n: n}
	r.refs.Store(1)
	e := &fdEntry{node: r}
	e.refs.Store(1)
	return s.install(e)
}

// installOpen makes an open FD of file f of node r, taking a new reference
// on r. It returns the entry with a reference of the caller's, which keeps
// f (and so the FD it donates) alive until the reply is sent even if the
// client closes the FDID at once from another channel.
func (s *Server) installOpen(r *nodeRef, f OpenFile) (FDID, *fdEntry, error) {
	r.refs.Add(1)
	e := &fdEntry{node: r, open: f}
	e.refs.Store(2)
	id, err := s.install(e)
	if err != nil {
		e.decRef()
		return 0, nil, err
	}
	return id, e, nil
}

// remove drops the table's reference to fd, if it exists.
func (s *Server) remove(fd FDID) {
	s.mu.Lock()
	e, ok := s.fds[fd]
	delete(s.fds, fd)
	s.mu.Unlock()
	if ok {
		e.decRef()
	}
}

// dispatch decodes and serves every request but Version. Preconditions:
// st.b has been Reset.
func (s *Server) dispatch(st *connState, m *message) (response, error) {
	b := st.b
	switch m.hdr.typ {
	case msgChannel:
		return s.handleChannel(m)

	case msgMount:
		n, stat, err := s.h.Mount()
		if err != nil {
			return noResponse, err
		}
		id, err := s.installNode(n)
		if err != nil {
			return noResponse, err
		}
		return response{payload: encodeInodeResp(b, &Inode{ControlFD: id, Stat: stat}), fd: -1}, nil

	case msgWalkStat:
		dir, names, err := decodeWalkStatReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		inodes, err := s.walkStat(dir, names)
		if err != nil {
			return noResponse, err
		}
		return response{payload: encodeWalkStatResp(b, inodes), fd: -1}, nil

	case msgFStat:
		return s.withNode(m, func(e *fdEntry) (response, error) {
			stat, err := s.h.Stat(e.node.n)
			if err != nil {
				return noResponse, err
			}
			return response{payload: encodeStatResp(b, &stat), fd: -1}, nil
		})

	case msgSetStat:
		fd, a, err := decodeSetStatReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		if a.Mask&^setStatMask != 0 {
			return noResponse, linux.EINVAL
		}
		e, err := s.lookup(fd)
		if err != nil {
			return noResponse, err
		}
		defer e.decRef()
		return noResponse, s.h.SetStat(e.node.n, a)

	case msgOpenAt:
		fd, flags, err := decodeOpenAtReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		e, err := s.lookup(fd)
		if err != nil {
			return noResponse, err
		}
		defer e.decRef()
		f, donate, err := s.h.Open(e.node.n, flags)
		if err != nil {
			return noResponse, err
		}
		id, held, err := s.installOpen(e.node, f)
		if err != nil {
			return noResponse, err
		}
		return response{payload: encodeOpenAtResp(b, id), fd: donate, release: held.decRef}, nil

	case msgOpenCreateAt:
		r, err := decodeOpenCreateAtReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		if err := CheckName(r.name); err != nil {
			return noResponse, err
		}
		return s.withDir(r.dir, func(dir Node) (response, error) {
			n, stat, f, donate, err := s.h.OpenCreate(dir, r.name, r.flags, r.mode, r.uid, r.gid)
			if err != nil {
				return noResponse, err
			}
			// One node, two FDIDs: the control FD and the open FD.
			ref := &nodeRef{n: n}
			ref.refs.Store(2)
			ctl := &fdEntry{node: ref}
			ctl.refs.Store(1)
			open := &fdEntry{node: ref, open: f}
			open.refs.Store(2) // The table's and the reply's (see installOpen).
			id, err := s.install(ctl)
			if err != nil {
				open.decRef()
				open.decRef()
				return noResponse, err
			}
			openID, err := s.install(open)
			if err != nil {
				open.decRef()
				s.remove(id)
				return noResponse, err
			}
			return response{payload: encodeOpenCreateAtResp(b, &Inode{ControlFD: id, Stat: stat}, openID), fd: donate, release: open.decRef}, nil
		})

	case msgClose:
		fds, err := decodeCloseReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		for _, fd := range fds {
			s.remove(fd)
		}
		return noResponse, nil

	case msgPRead:
		fd, off, count, err := decodePReadReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		if count > MaxBulk {
			count = MaxBulk
		}
		if off > 1<<63-1 {
			return noResponse, linux.EINVAL
		}
		e, err := s.lookupOpen(fd)
		if err != nil {
			return noResponse, err
		}
		defer e.decRef()
		n, err := s.h.PRead(e.open, off, st.bulk[:count])
		if err != nil {
			return noResponse, err
		}
		if n < 0 || n > int(count) {
			return noResponse, linux.EIO
		}
		return response{bulk: st.bulk[:n], fd: -1}, nil

	case msgPWrite:
		fd, off, err := decodePWriteReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		if off > 1<<63-1 {
			return noResponse, linux.EINVAL
		}
		e, err := s.lookupOpen(fd)
		if err != nil {
			return noResponse, err
		}
		defer e.decRef()
		n, err := s.h.PWrite(e.open, off, m.bulk)
		if err != nil {
			return noResponse, err
		}
		if n < 0 || n > len(m.bulk) {
			return noResponse, linux.EIO
		}
		return response{payload: encodePWriteResp(b, uint64(n)), fd: -1}, nil

	case msgFSync:
		fd, err := decodeFDReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		e, err := s.lookupOpen(fd)
		if err != nil {
			return noResponse, err
		}
		defer e.decRef()
		return noResponse, s.h.FSync(e.open)

	case msgFAllocate:
		a, err := decodeFAllocateReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		if a.off > 1<<63-1 || a.length > 1<<63-1 {
			return noResponse, linux.EINVAL
		}
		e, err := s.lookupOpen(a.fd)
		if err != nil {
			return noResponse, err
		}
		defer e.decRef()
		return noResponse, s.h.FAllocate(e.open, a.mode, a.off, a.length)

	case msgGetdents64:
		fd, count, err := decodeGetdents64Req(m.payload)
		if err != nil {
			return noResponse, err
		}
		count = min(count, MaxGetdentsCount)
		e, err := s.lookupOpen(fd)
		if err != nil {
			return noResponse, err
		}
		defer e.decRef()
		ds, err := s.h.Getdents64(e.open, count)
		if err != nil {
			return noResponse, err
		}
		return response{payload: encodeGetdents64Resp(b, ds), fd: -1}, nil

	case msgMkdirAt, msgMknodAt:
		r, err := decodeMknodAtReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		if err := CheckName(r.name); err != nil {
			return noResponse, err
		}
		return s.withDir(r.dir, func(dir Node) (response, error) {
			if m.hdr.typ == msgMkdirAt {
				return s.created(b)(s.h.Mkdir(dir, r.name, r.mode, r.uid, r.gid))
			}
			return s.created(b)(s.h.Mknod(dir, r.name, r.mode, r.uid, r.gid, r.major, r.minor))
		})

	case msgSymlinkAt:
		r, err := decodeSymlinkAtReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		if err := CheckName(r.name); err != nil {
			return noResponse, err
		}
		if err := checkSymlinkTarget(r.target); err != nil {
			return noResponse, err
		}
		return s.withDir(r.dir, func(dir Node) (response, error) {
			return s.created(b)(s.h.Symlink(dir, r.name, r.target, r.uid, r.gid))
		})

	case msgLinkAt:
		r, err := decodeLinkAtReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		if err := CheckName(r.name); err != nil {
			return noResponse, err
		}
		target, err := s.lookup(r.targetFD)
		if err != nil {
			return noResponse, err
		}
		defer target.decRef()
		return s.withDir(r.dir, func(dir Node) (response, error) {
			return s.created(b)(s.h.Link(dir, r.name, target.node.n))
		})

	case msgUnlinkAt:
		r, err := decodeUnlinkAtReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		if err := CheckName(r.name); err != nil {
			return noResponse, err
		}
		if r.flags&^linux.AT_REMOVEDIR != 0 {
			return noResponse, linux.EINVAL
		}
		return s.withDir(r.dir, func(dir Node) (response, error) {
			return noResponse, s.h.Unlink(dir, r.name, r.flags)
		})

	case msgRenameAt:
		r, err := decodeRenameAtReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		if err := CheckName(r.name); err != nil {
			return noResponse, err
		}
		if err := CheckName(r.newName); err != nil {
			return noResponse, err
		}
		newDir, err := s.lookup(r.newDir)
		if err != nil {
			return noResponse, err
		}
		defer newDir.decRef()
		return s.withDir(r.dir, func(oldDir Node) (response, error) {
			return noResponse, s.h.Rename(oldDir, r.name, newDir.node.n, r.newName)
		})

	case msgReadLinkAt:
		return s.withNode(m, func(e *fdEntry) (response, error) {
			target, err := s.h.ReadLink(e.node.n)
			if err != nil {
				return noResponse, err
			}
			if len(target) > MaxSymlinkTarget {
				return noResponse, linux.ENAMETOOLONG
			}
			return response{payload: encodeReadLinkAtResp(b, target), fd: -1}, nil
		})

	case msgStatFS:
		return s.withNode(m, func(e *fdEntry) (response, error) {
			sfs, err := s.h.StatFS(e.node.n)
			if err != nil {
				return noResponse, err
			}
			return response{payload: encodeStatFSResp(b, &sfs), fd: -1}, nil
		})

	case msgGetXattr, msgListXattr, msgRemoveXattr:
		return s.handleXattr(st, m)

	case msgSetXattr:
		x, err := decodeSetXattrReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		if err := checkXattrName(x.name); err != nil {
			return noResponse, err
		}
		if x.flags&^(linux.XATTR_CREATE|linux.XATTR_REPLACE) != 0 {
			return noResponse, linux.EINVAL
		}
		e, err := s.lookup(x.fd)
		if err != nil {
			return noResponse, err
		}
		defer e.decRef()
		return noResponse, s.h.SetXattr(e.node.n, x.name, m.bulk, x.flags)

	case msgConnect:
		fd, sockType, err := decodeConnectReq(m.payload)
		if err != nil {
			return noResponse, err
		}
		e, err := s.lookup(fd)
		if err != nil {
			return noResponse, err
		}
		defer e.decRef()
		hostFD, err := s.h.Connect(e.node.n, sockType)
		if err != nil {
			return noResponse, err
		}
		return response{fd: hostFD, closeFD: true}, nil

	default:
		return noResponse, linux.ENOSYS
	}
}

// withNode serves a request whose payload is an FDReq naming any FD.
func (s *Server) withNode(m *message, f func(e *fdEntry) (response, error)) (response, error) {
	fd, err := decodeFDReq(m.payload)
	if err != nil {
		return noResponse, err
	}
	e, err := s.lookup(fd)
	if err != nil {
		return noResponse, err
	}
	defer e.decRef()
	return f(e)
}

// withDir calls f with the node of a control (or open) FD.
func (s *Server) withDir(fd FDID, f func(dir Node) (response, error)) (response, error) {
	e, err := s.lookup(fd)
	if err != nil {
		return noResponse, err
	}
	defer e.decRef()
	return f(e.node.n)
}

// created returns a function that turns a Handler's creation result into
// an InodeResp with a new control FD.
func (s *Server) created(b *flatbuffers.Builder) func(Node, linux.Statx, error) (response, error) {
	return func(n Node, stat linux.Statx, err error) (response, error) {
		if err != nil {
			return noResponse, err
		}
		id, err := s.installNode(n)
		if err != nil {
			return noResponse, err
		}
		return response{payload: encodeInodeResp(b, &Inode{ControlFD: id, Stat: stat}), fd: -1}, nil
	}
}

// walkStat walks names from dir; see Client.WalkStat for the rules.
func (s *Server) walkStat(dirFD FDID, names []string) ([]Inode, error) {
	for _, name := range names {
		if err := CheckName(name); err != nil {
			return nil, err
		}
	}
	dir, err := s.lookup(dirFD)
	if err != nil {
		return nil, err
	}
	defer dir.decRef()
	inodes := make([]Inode, 0, len(names))
	cur := dir.node.n
	for i, name := range names {
		n, stat, err := s.h.Walk(cur, name)
		if err != nil {
			if i == 0 {
				return nil, err
			}
			// The prefix that exists is the answer; the client walks
			// the rest again from there if it wants the error.
			break
		}
		id, err := s.installNode(n)
		if err != nil {
			s.closeInodes(inodes)
			return nil, err
		}
		inodes = append(inodes, Inode{ControlFD: id, Stat: stat})
		if uint32(stat.Mode)&linux.S_IFMT != linux.S_IFDIR {
			break
		}
		cur = n
	}
	return inodes, nil
}

func (s *Server) closeInodes(inodes []Inode) {
	for _, ino := range inodes {
		s.remove(ino.ControlFD)
	}
}

// handleXattr serves GetXattr, ListXattr and RemoveXattr.
func (s *Server) handleXattr(st *connState, m *message) (response, error) {
	x, err := decodeXattrReq(m.payload)
	if err != nil {
		return noResponse, err
	}
	if m.hdr.typ != msgListXattr {
		if err := checkXattrName(x.name); err != nil {
			return noResponse, err
		}
	}
	e, err := s.lookup(x.fd)
	if err != nil {
		return noResponse, err
	}
	defer e.decRef()
	switch m.hdr.typ {
	case msgGetXattr:
		v, err := s.h.GetXattr(e.node.n, x.name)
		if err != nil {
			return noResponse, err
		}
		if len(v) > linux.XATTR_SIZE_MAX {
			return noResponse, linux.E2BIG
		}
		if x.size != 0 && uint32(len(v)) > x.size {
			return noResponse, linux.ERANGE
		}
		return response{bulk: v, fd: -1}, nil
	case msgListXattr:
		names, err := s.h.ListXattr(e.node.n)
		if err != nil {
			return noResponse, err
		}
		var sb strings.Builder
		for _, n := range names {
			if checkXattrName(n) != nil {
				continue
			}
			sb.WriteString(n)
			sb.WriteByte(0)
		}
		if sb.Len() > linux.XATTR_LIST_MAX {
			return noResponse, linux.E2BIG
		}
		if x.size != 0 && uint32(sb.Len()) > x.size {
			return noResponse, linux.ERANGE
		}
		return response{bulk: []byte(sb.String()), fd: -1}, nil
	default:
		return noResponse, s.h.RemoveXattr(e.node.n, x.name)
	}
}

// handleChannel adds the socket that came with m as a new channel served by
// its own goroutine.
func (s *Server) handleChannel(m *message) (response, error) {
	fd := m.takeFD()
	if fd < 0 {
		return noResponse, linux.EINVAL
	}
	s.mu.Lock()
	if s.stopping || len(s.chans) >= MaxServerChannels {
		s.mu.Unlock()
		unix.Close(fd)
		return noResponse, linux.EMFILE
	}
	s.mu.Unlock()
	c, err := newConn(fd)
	if err != nil {
		return noResponse, fmt.Errorf("%w: %v", errMalformed, err)
	}
	s.mu.Lock()
	if s.stopping || len(s.chans) >= MaxServerChannels {
		s.mu.Unlock()
		c.close()
		return noResponse, linux.EMFILE
	}
	s.chans[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		if err := s.serveConn(c, false); err != nil && !errors.Is(err, errEOF) {
			log.Debugf("lisafs: server: channel ended: %v", err)
		}
		s.mu.Lock()
		delete(s.chans, c)
		s.mu.Unlock()
		c.close()
	}()
	return noResponse, nil
}
