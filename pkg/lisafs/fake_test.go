package lisafs

import (
	"sync"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"golang.org/x/sys/unix"
)

// fakeHandler is an in-memory Handler: a root directory holding the regular
// file "file" (contents fakeData), the directory "dir" (holding "file"
// again), the symlink "link", and "block", whose walk waits until unblock
// is closed. It touches nothing on the host.
type fakeHandler struct {
	unblock chan struct{}

	mu     sync.Mutex
	closed int // Nodes and OpenFiles closed; protected by mu
	opened int // Nodes and OpenFiles returned; protected by mu
}

var fakeData = []byte("hello, lisafs")

type fakeNode struct {
	h    *fakeHandler
	name string
	mode uint32
}

func (n *fakeNode) Close() { n.h.count(-1) }

type fakeFile struct {
	n *fakeNode
}

func (f *fakeFile) Close() { f.n.h.count(-1) }

func newFakeHandler() *fakeHandler {
	return &fakeHandler{unblock: make(chan struct{})}
}

func (h *fakeHandler) count(d int) {
	h.mu.Lock()
	if d > 0 {
		h.opened++
	} else {
		h.closed++
	}
	h.mu.Unlock()
}

// live returns how many Nodes and OpenFiles are not closed yet.
func (h *fakeHandler) live() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.opened - h.closed
}

func (h *fakeHandler) node(name string, mode uint32) *fakeNode {
	h.count(1)
	return &fakeNode{h: h, name: name, mode: mode}
}

func (n *fakeNode) stat() linux.Statx {
	st := linux.Statx{Mask: linux.STATX_BASIC_STATS, Mode: uint16(n.mode), Nlink: 1, Ino: uint64(len(n.name)) + 1}
	if n.mode&linux.S_IFMT == linux.S_IFREG {
		st.Size = uint64(len(fakeData))
	}
	return st
}

func (h *fakeHandler) Mount() (Node, linux.Statx, error) {
	n := h.node("/", linux.S_IFDIR|0o755)
	return n, n.stat(), nil
}

func (h *fakeHandler) Walk(dir Node, name string) (Node, linux.Statx, error) {
	d := dir.(*fakeNode)
	if d.mode&linux.S_IFMT != linux.S_IFDIR {
		return nil, linux.Statx{}, linux.ENOTDIR
	}
	var mode uint32
	switch {
	case name == "file":
		mode = linux.S_IFREG | 0o644
	case name == "dir" && d.name == "/":
		mode = linux.S_IFDIR | 0o755
	case name == "link" && d.name == "/":
		mode = linux.S_IFLNK | 0o777
	case name == "block" && d.name == "/":
		<-h.unblock
		return nil, linux.Statx{}, linux.EINTR
	default:
		return nil, linux.Statx{}, linux.ENOENT
	}
	n := h.node(name, mode)
	return n, n.stat(), nil
}

func (h *fakeHandler) Stat(n Node) (linux.Statx, error) { return n.(*fakeNode).stat(), nil }
func (h *fakeHandler) SetStat(Node, SetStatArgs) error  { return linux.EPERM }

func (h *fakeHandler) Open(n Node, flags uint32) (OpenFile, int, error) {
	h.count(1)
	return &fakeFile{n: n.(*fakeNode)}, -1, nil
}

func (h *fakeHandler) OpenCreate(Node, string, uint32, uint32, uint32, uint32) (Node, linux.Statx, OpenFile, int, error) {
	return nil, linux.Statx{}, nil, -1, linux.EROFS
}

func (h *fakeHandler) PRead(f OpenFile, off uint64, buf []byte) (int, error) {
	if off >= uint64(len(fakeData)) {
		return 0, nil
	}
	return copy(buf, fakeData[off:]), nil
}

func (h *fakeHandler) PWrite(f OpenFile, off uint64, buf []byte) (int, error) { return len(buf), nil }
func (h *fakeHandler) FSync(OpenFile) error                                   { return nil }
func (h *fakeHandler) FAllocate(OpenFile, uint32, uint64, uint64) error       { return linux.EOPNOTSUPP }

func (h *fakeHandler) Getdents64(f OpenFile, count uint32) ([]Dirent, error) {
	return []Dirent{{Ino: 2, Off: 1, Type: linux.DT_REG, Name: "file"}}, nil
}

func (h *fakeHandler) Mkdir(Node, string, uint32, uint32, uint32) (Node, linux.Statx, error) {
	return nil, linux.Statx{}, linux.EROFS
}

func (h *fakeHandler) Mknod(Node, string, uint32, uint32, uint32, uint32, uint32) (Node, linux.Statx, error) {
	return nil, linux.Statx{}, linux.EROFS
}

func (h *fakeHandler) Symlink(Node, string, string, uint32, uint32) (Node, linux.Statx, error) {
	return nil, linux.Statx{}, linux.EROFS
}

func (h *fakeHandler) Link(Node, string, Node) (Node, linux.Statx, error) {
	return nil, linux.Statx{}, linux.EROFS
}

func (h *fakeHandler) Unlink(Node, string, uint32) error           { return linux.EROFS }
func (h *fakeHandler) Rename(Node, string, Node, string) error     { return linux.EROFS }
func (h *fakeHandler) ReadLink(n Node) (string, error)             { return "target", nil }
func (h *fakeHandler) StatFS(Node) (linux.Statfs, error)           { return linux.Statfs{Bsize: 4096}, nil }
func (h *fakeHandler) GetXattr(Node, string) ([]byte, error)       { return []byte("value"), nil }
func (h *fakeHandler) SetXattr(Node, string, []byte, uint32) error { return nil }
func (h *fakeHandler) ListXattr(Node) ([]string, error)            { return []string{"user.a", "user.b"}, nil }
func (h *fakeHandler) RemoveXattr(Node, string) error              { return nil }
func (h *fakeHandler) Connect(Node, uint32) (int, error)           { return -1, linux.ENOSYS }

func checkLive(t *testing.T, h *fakeHandler, want int, what string) {
	t.Helper()
	if got := h.live(); got != want {
		t.Errorf("%s: %d live nodes and files, want %d", what, got, want)
	}
}

// serve runs a Server for h on one end of a new socket pair and returns the
// other end and a channel that receives Serve's result.
func serve(t *testing.T, h Handler) (int, <-chan error) {
	t.Helper()
	cl, sv, err := socketPair()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- NewServer(h).Serve(sv) }()
	return cl, done
}

// connectFake returns a client of a fakeHandler server; cleanup closes the
// client and waits for the server.
func connectFake(t *testing.T, maxChannels int) (*Client, Inode, *fakeHandler) {
	t.Helper()
	h := newFakeHandler()
	sock, done := serve(t, h)
	c, root, err := Connect(sock, maxChannels)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		close(h.unblock)
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		checkLive(t, h, 0, "after Serve returned")
	})
	return c, root, h
}

// rawClient is a test client that speaks the framing directly.
type rawClient struct {
	t *testing.T
	c *conn
}

// dialRaw starts a fake server and returns a raw client that has done the
// handshake.
func dialRaw(t *testing.T) *rawClient {
	t.Helper()
	h := newFakeHandler()
	sock, done := serve(t, h)
	c, err := newConn(sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.close()
		close(h.unblock)
		<-done
		checkLive(t, h, 0, "after Serve returned")
	})
	if err := handshake(c); err != nil {
		t.Fatal(err)
	}
	return &rawClient{t: t, c: c}
}

// sendRaw sends bytes as one packet, with fd attached if >= 0.
func (r *rawClient) sendRaw(b []byte, fd int) {
	r.t.Helper()
	var oob []byte
	if fd >= 0 {
		oob = unix.UnixRights(fd)
	}
	err := r.c.raw.Write(func(s uintptr) bool {
		_, err := unix.SendmsgBuffers(int(s), [][]byte{b}, oob, nil, 0)
		if err != nil {
			r.t.Fatalf("sendmsg: %v", err)
		}
		return true
	})
	if err != nil {
		r.t.Fatal(err)
	}
}

// reply reads one reply.
func (r *rawClient) reply() message {
	r.t.Helper()
	m, err := r.c.recv()
	if err != nil {
		r.t.Fatalf("recv: %v", err)
	}
	m.closeFDs()
	return m
}

// frame builds a raw frame.
func frame(h header, payload, bulk []byte) []byte {
	h.payloadLen = uint32(len(payload))
	h.bulkLen = uint32(len(bulk))
	b := make([]byte, headerSize, headerSize+len(payload)+len(bulk))
	h.encode(b)
	return append(append(b, payload...), bulk...)
}
