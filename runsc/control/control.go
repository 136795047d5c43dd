// Package control is the protocol between runsc invocations on the host and
// a running sandbox: the sandbox process serves a unix socket (created by
// `runsc create`, which passes the listening FD to the sandbox), and later
// runsc calls (start, kill, wait, state...) connect to it.
//
// One connection carries one request and one reply, each a single
// SOCK_SEQPACKET message holding JSON; a request may carry host FDs with
// SCM_RIGHTS (the stdio of an exec'd process). A request that waits (Wait)
// keeps its connection until the answer is known.
//
// This package owns the wire format, the client and the accept loop. It
// must not interpret requests: the sandbox side's Handler does. The
// sandbox treats every request as untrusted input: a malformed message
// gets an error reply, never a crash.
package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// SocketName is the control socket's name in a container's state
// directory.
const SocketName = "control.sock"

// maxMessage bounds a message (an exec's argv and environment included).
const maxMessage = 1 << 20

// maxFDs bounds the FDs one request may carry.
const maxFDs = 3

// Operations.
const (
	OpPing    = "ping"
	OpStart   = "start"
	OpSignal  = "signal"
	OpWait    = "wait"
	OpExec    = "exec"
	OpProcs   = "procs"
	OpPause   = "pause"
	OpResume  = "resume"
	OpStats   = "stats"
	OpDestroy = "destroy"
)

// Request is one request to the sandbox.
type Request struct {
	Op string `json:"op"`
	// Signal: Sig goes to PID (0: the container's init), or to every
	// process if All.
	Sig int  `json:"sig,omitempty"`
	PID int  `json:"pid,omitempty"`
	All bool `json:"all,omitempty"`
	// Terminal says Sig came from the terminal of exec'd process PID
	// (runsc caught it there): the terminal's signals (SIGINT, SIGQUIT,
	// SIGTSTP, SIGWINCH) go where that terminal in the sandbox sends
	// them, its foreground process group, as they would natively.
	Terminal bool `json:"terminal,omitempty"`
	// Exec: the process to start; its stdio are the request's FDs.
	Process *Process `json:"process,omitempty"`
}

// Process describes a process for exec.
type Process struct {
	Argv     []string `json:"argv"`
	Envv     []string `json:"envv"`
	Cwd      string   `json:"cwd"`
	UID      uint32   `json:"uid"`
	GID      uint32   `json:"gid"`
	Groups   []uint32 `json:"groups,omitempty"`
	Terminal bool     `json:"terminal,omitempty"`
	// Caps are the capability sets the process starts from (nil: those
	// of its user); NoNewPrivileges sets its no_new_privs bit.
	Caps            *Capabilities `json:"caps,omitempty"`
	NoNewPrivileges bool          `json:"no_new_privileges,omitempty"`
	// Rlimits override the default resource limits.
	Rlimits []Rlimit `json:"rlimits,omitempty"`
}

// Rlimit is one resource limit of a process: Resource is the RLIMIT_*
// number.
type Rlimit struct {
	Resource int    `json:"resource"`
	Cur      uint64 `json:"cur"`
	Max      uint64 `json:"max"`
}

// Capabilities are a process's capability sets as an OCI spec gives them
// (runsc/oci.Capabilities), bit n for capability n. As runc applies them,
// they are the sets in force when the process's program is executed:
// execve then gives root bounding | inheritable, and anyone else the
// ambient set.
type Capabilities struct {
	Bounding    uint64 `json:"bounding"`
	Effective   uint64 `json:"effective"`
	Inheritable uint64 `json:"inheritable"`
	Permitted   uint64 `json:"permitted"`
	Ambient     uint64 `json:"ambient"`
}

// ProcInfo is one process in a Procs reply.
type ProcInfo struct {
	PID     int    `json:"pid"`
	PPID    int    `json:"ppid"`
	UID     uint32 `json:"uid"`
	State   string `json:"state"`
	Cmd     string `json:"cmd"`
	Threads int    `json:"threads"`
	// StartNS is when the process started, in nanoseconds since the
	// sandbox started; CPUNS is its CPU time.
	StartNS int64 `json:"start_ns"`
	CPUNS   int64 `json:"cpu_ns"`
}

// Stats is what events reports.
type Stats struct {
	MemoryUsage uint64 `json:"memory_usage"`
	Processes   int    `json:"processes"`
}

// Reply answers a request.
type Reply struct {
	// Err is empty on success.
	Err string `json:"err,omitempty"`
	// PID is the new process of an Exec.
	PID int `json:"pid,omitempty"`
	// Status is a Wait's result: a wait(2) status word.
	Status int        `json:"status,omitempty"`
	Procs  []ProcInfo `json:"procs,omitempty"`
	Stats  *Stats     `json:"stats,omitempty"`
}

// Listen creates the control socket in dir (a container's state
// directory) and returns the listening socket as a file for the sandbox.
// The path may be longer than a socket address allows: the socket is
// bound through the directory's /proc/self/fd link.
func Listen(dir string) (*os.File, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("control: open %q: %w", dir, err)
	}
	defer d.Close()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("control: socket: %w", err)
	}
	addr := &unix.SockaddrUnix{Name: "/proc/self/fd/" + strconv.Itoa(int(d.Fd())) + "/" + SocketName}
	if err := unix.Bind(fd, addr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("control: bind %s: %w", filepath.Join(dir, SocketName), err)
	}
	if err := unix.Listen(fd, 16); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("control: listen: %w", err)
	}
	return os.NewFile(uintptr(fd), "control-socket"), nil
}

// ErrNoSandbox is returned when nothing serves the control socket: the
// sandbox has exited.
var ErrNoSandbox = errors.New("the sandbox is not running")

// Call sends req (with fds) to the sandbox whose state directory is dir
// and returns its reply. An error reply becomes an error.
func Call(dir string, req *Request, fds ...int) (*Reply, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("control: open %q: %w", dir, err)
	}
	defer d.Close()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("control: socket: %w", err)
	}
	defer unix.Close(fd)
	addr := &unix.SockaddrUnix{Name: "/proc/self/fd/" + strconv.Itoa(int(d.Fd())) + "/" + SocketName}
	if err := unix.Connect(fd, addr); err != nil {
		if err == unix.ECONNREFUSED || err == unix.ENOENT {
			return nil, ErrNoSandbox
		}
		return nil, fmt.Errorf("control: connect: %w", err)
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("control: encode %s: %w", req.Op, err)
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	if err := unix.Sendmsg(fd, b, oob, nil, 0); err != nil {
		if err == unix.EPIPE || err == unix.ECONNRESET {
			// The sandbox is exiting.
			return nil, ErrNoSandbox
		}
		return nil, fmt.Errorf("control: send %s: %w", req.Op, err)
	}
	buf := make([]byte, maxMessage)
	var n int
	for {
		n, _, _, _, err = unix.Recvmsg(fd, buf, nil, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err == unix.ECONNRESET {
		// The sandbox exited with the request queued.
		return nil, ErrNoSandbox
	}
	if err != nil {
		return nil, fmt.Errorf("control: receive %s reply: %w", req.Op, err)
	}
	if n == 0 {
		// The sandbox went away before answering (it exited).
		return nil, ErrNoSandbox
	}
	var r Reply
	if err := json.Unmarshal(buf[:n], &r); err != nil {
		return nil, fmt.Errorf("control: decode %s reply: %w", req.Op, err)
	}
	if r.Err != "" {
		return &r, errors.New(r.Err)
	}
	return &r, nil
}

// Handler serves requests in the sandbox. fds are the host FDs the
// request carried; the handler owns them (it must close those it does not
// keep). A returned error is sent as the reply's Err.
type Handler func(req *Request, fds []int) (*Reply, error)

// Server accepts connections on a listening socket and serves each on its
// own goroutine.
type Server struct {
	fd      int
	handler Handler
	// wg counts the accept loop and the connections being served.
	wg sync.WaitGroup
	// mu protects conns, the connections being served, and stopped.
	mu      sync.Mutex
	conns   map[int]struct{}
	stopped bool
}

// Serve starts serving the listening socket fd (from Listen, passed to
// the sandbox) with h.
func Serve(fd int, h Handler) *Server {
	s := &Server{fd: fd, handler: h, conns: make(map[int]struct{})}
	s.wg.Add(1)
	go s.loop()
	return s
}

func (s *Server) loop() {
	defer s.wg.Done()
	for {
		c, _, err := unix.Accept4(s.fd, unix.SOCK_CLOEXEC)
		if err != nil {
			if err == unix.EINTR || err == unix.ECONNABORTED {
				continue
			}
			// The listener was shut down (Stop) or broke: stop.
			return
		}
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			unix.Close(c)
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(c)
	}
}

// serveConn reads one request from c, runs the handler and replies.
func (s *Server) serveConn(c int) {
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		unix.Close(c)
		s.wg.Done()
	}()
	buf := make([]byte, maxMessage)
	oob := make([]byte, unix.CmsgSpace(maxFDs*4))
	var n, oobn int
	var err error
	for {
		n, oobn, _, _, err = unix.Recvmsg(c, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil || n == 0 {
		return
	}
	fds, ferr := parseRights(oob[:oobn])
	reply := &Reply{}
	var req Request
	switch {
	case ferr != nil:
		closeAll(fds)
		reply.Err = ferr.Error()
	case json.Unmarshal(buf[:n], &req) != nil:
		closeAll(fds)
		reply.Err = "control: malformed request"
	default:
		r, herr := s.handler(&req, fds)
		if r != nil {
			reply = r
		}
		if herr != nil {
			reply.Err = herr.Error()
		}
	}
	b, err := json.Marshal(reply)
	if err != nil {
		b = []byte(`{"err":"control: cannot encode the reply"}`)
	}
	unix.Sendmsg(c, b, nil, nil, 0)
}

// parseRights returns the FDs of SCM_RIGHTS messages in oob.
func parseRights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("control: bad control message: %w", err)
	}
	var fds []int
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			closeAll(fds)
			return nil, fmt.Errorf("control: bad control message: %w", err)
		}
		fds = append(fds, got...)
	}
	if len(fds) > maxFDs {
		closeAll(fds)
		return nil, fmt.Errorf("control: %d FDs in one request (at most %d)", len(fds), maxFDs)
	}
	return fds, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

// Stop stops accepting connections and waits for those being served: a
// request not read yet is dropped, one being handled is answered (the
// caller must make pending waits end first).
func (s *Server) Stop() {
	s.mu.Lock()
	s.stopped = true
	for c := range s.conns {
		unix.Shutdown(c, unix.SHUT_RD)
	}
	s.mu.Unlock()
	unix.Shutdown(s.fd, unix.SHUT_RDWR)
	s.wg.Wait()
}
