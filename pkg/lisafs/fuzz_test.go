package lisafs

import (
	"encoding/binary"
	"errors"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	flatbuffers "github.com/google/flatbuffers/go"
)

// fuzzSeeds returns one well-formed request frame of every type, naming
// FDID 1 (the root of fuzzServer) where an FD is needed.
func fuzzSeeds() [][]byte {
	b := flatbuffers.NewBuilder(256)
	var seeds [][]byte
	add := func(typ msgType, enc func() []byte, bulk []byte) {
		b.Reset()
		seeds = append(seeds, frame(header{typ: typ, tag: uint64(typ)}, enc(), bulk))
	}
	cr := &createReq{dir: 1, name: "file", mode: 0o644, target: "t", targetFD: 1, newDir: 1, newName: "n"}
	add(msgVersion, func() []byte { return encodeVersionReq(b, versionMsg{min: 1, max: 1}) }, nil)
	add(msgMount, func() []byte { return encodeFDReq(b, 0) }, nil)
	add(msgWalkStat, func() []byte { return encodeWalkStatReq(b, 1, []string{"dir", "file"}) }, nil)
	add(msgFStat, func() []byte { return encodeFDReq(b, 1) }, nil)
	add(msgSetStat, func() []byte { return encodeSetStatReq(b, 1, &SetStatArgs{Mask: linux.STATX_MODE}) }, nil)
	add(msgOpenAt, func() []byte { return encodeOpenAtReq(b, 1, 0) }, nil)
	add(msgOpenCreateAt, func() []byte { return encodeOpenCreateAtReq(b, cr) }, nil)
	add(msgClose, func() []byte { return encodeCloseReq(b, []FDID{7, 8}) }, nil)
	add(msgPRead, func() []byte { return encodePReadReq(b, 2, 0, 10) }, nil)
	add(msgPWrite, func() []byte { return encodePWriteReq(b, 2, 0) }, []byte("data"))
	add(msgFSync, func() []byte { return encodeFDReq(b, 2) }, nil)
	add(msgFAllocate, func() []byte { return encodeFAllocateReq(b, fallocateReq{fd: 2, length: 1}) }, nil)
	add(msgGetdents64, func() []byte { return encodeGetdents64Req(b, 2, 100) }, nil)
	add(msgMkdirAt, func() []byte { return encodeMknodAtReq(b, cr) }, nil)
	add(msgMknodAt, func() []byte { return encodeMknodAtReq(b, cr) }, nil)
	add(msgSymlinkAt, func() []byte { return encodeSymlinkAtReq(b, cr) }, nil)
	add(msgLinkAt, func() []byte { return encodeLinkAtReq(b, cr) }, nil)
	add(msgUnlinkAt, func() []byte { return encodeUnlinkAtReq(b, cr) }, nil)
	add(msgRenameAt, func() []byte { return encodeRenameAtReq(b, cr) }, nil)
	add(msgReadLinkAt, func() []byte { return encodeFDReq(b, 1) }, nil)
	add(msgStatFS, func() []byte { return encodeFDReq(b, 1) }, nil)
	add(msgGetXattr, func() []byte { return encodeXattrReq(b, xattrReq{fd: 1, name: "user.a"}) }, nil)
	add(msgSetXattr, func() []byte { return encodeSetXattrReq(b, xattrReq{fd: 1, name: "user.a"}) }, []byte("v"))
	add(msgListXattr, func() []byte { return encodeXattrReq(b, xattrReq{fd: 1}) }, nil)
	add(msgRemoveXattr, func() []byte { return encodeXattrReq(b, xattrReq{fd: 1, name: "user.a"}) }, nil)
	add(msgConnect, func() []byte { return encodeConnectReq(b, 1, 1) }, nil)
	// Replies, for the client side.
	add(msgWalkStat, func() []byte { return encodeWalkStatResp(b, []Inode{{ControlFD: 3}, {ControlFD: 4}}) }, nil)
	add(msgGetdents64, func() []byte { return encodeGetdents64Resp(b, []Dirent{{Ino: 1, Name: "a"}}) }, nil)
	add(msgOpenCreateAt, func() []byte { return encodeOpenCreateAtResp(b, &Inode{ControlFD: 3}, 4) }, nil)
	add(msgStatFS, func() []byte { return encodeStatFSResp(b, &linux.Statfs{Bsize: 1}) }, nil)
	add(msgReadLinkAt, func() []byte { return encodeReadLinkAtResp(b, "target") }, nil)
	return seeds
}

// FuzzDecode feeds arbitrary packets to the server's request decoding and
// dispatch (with an in-memory Handler) and to the client's reply decoding.
// Neither may panic; the server must answer every packet.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		fuzzServer(t, pkt)
		fuzzClient(t, pkt)
	})
}

// fuzzServer runs one packet through the server as serveConn would, minus
// the socket.
func fuzzServer(t *testing.T, pkt []byte) {
	h := newFakeHandler()
	close(h.unblock)
	s := NewServer(h)
	s.version.Store(MaxVersion)
	// FDID 1: the root; FDID 2: an open FD of "file".
	root, _, _ := h.Mount()
	if _, err := s.installNode(root); err != nil {
		t.Fatal(err)
	}
	e, _ := s.lookup(1)
	fileN, _, _ := h.Walk(root, "file")
	f, _, _ := h.Open(fileN, 0)
	fileN.Close()
	if _, held, err := s.installOpen(e.node, f); err != nil {
		t.Fatal(err)
	} else {
		held.decRef()
	}
	e.decRef()

	buf := make([]byte, maxFrame)
	n := copy(buf, pkt)
	m, err := parseFrame(buf, n, 0, nil)
	if err == nil {
		st := &connState{b: flatbuffers.NewBuilder(256), bulk: make([]byte, MaxBulk)}
		resp, errno := s.handle(st, &m, true)
		if errno == 0 {
			if len(resp.payload) > MaxPayload || len(resp.bulk) > MaxBulk {
				t.Errorf("reply too large: payload %d, bulk %d", len(resp.payload), len(resp.bulk))
			}
			if resp.release != nil {
				resp.release()
			}
		}
	}
	// Release everything, as Serve does at the end.
	for id := range s.fds {
		s.remove(id)
	}
	if live := h.live(); live != 0 {
		t.Errorf("%d nodes or files leaked", live)
	}
}

// fuzzClient makes the packet the reply to a client request of the type
// the packet's header names (with the tag fixed up so that decoding is
// reached) and runs the real client code on it.
func fuzzClient(t *testing.T, pkt []byte) {
	if len(pkt) < headerSize {
		return
	}
	var hd header
	hd.decode(pkt)
	reply := append([]byte(nil), pkt...)
	c, root := fakeServerClient(t, func(req header, b *flatbuffers.Builder) []byte {
		binary.LittleEndian.PutUint16(reply[8:], uint16(req.typ))
		reply[11] = flagReply
		binary.LittleEndian.PutUint64(reply[16:], req.tag)
		return reply
	})
	fd := root.ControlFD
	buf := make([]byte, 16)
	var err error
	switch hd.typ {
	case msgWalkStat:
		_, err = c.WalkStat(fd, []string{"a", "b"})
	case msgFStat:
		_, err = c.FStat(fd)
	case msgOpenAt:
		_, _, err = c.OpenAt(fd, 0)
	case msgOpenCreateAt:
		_, _, _, err = c.OpenCreateAt(fd, "a", 0, 0, 0, 0)
	case msgPRead:
		_, err = c.PRead(fd, 0, buf)
	case msgPWrite:
		_, err = c.PWrite(fd, 0, buf)
	case msgGetdents64:
		_, err = c.Getdents64(fd, 100)
	case msgMkdirAt:
		_, err = c.MkdirAt(fd, "a", 0, 0, 0)
	case msgReadLinkAt:
		_, err = c.ReadLinkAt(fd)
	case msgStatFS:
		_, err = c.StatFS(fd)
	case msgGetXattr:
		_, err = c.GetXattr(fd, "user.a", 8)
	case msgListXattr:
		_, err = c.ListXattr(fd, 8)
	case msgConnect:
		_, err = c.Connect(fd, 1)
	default:
		err = c.FSync(fd)
	}
	var errno linux.Errno
	if err != nil && !errors.Is(err, ErrConnectionLost) && !errors.As(err, &errno) {
		t.Errorf("client error %v is neither an errno nor ErrConnectionLost", err)
	}
}
