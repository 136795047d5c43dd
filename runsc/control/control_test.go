package control

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// serve starts a server in a fresh directory whose path is longer than a
// socket address may be, and returns the directory.
func serve(t *testing.T, h Handler) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 100), strings.Repeat("e", 60))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	l, err := Listen(dir)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	s := Serve(int(l.Fd()), h)
	t.Cleanup(func() {
		s.Stop()
		l.Close()
	})
	return dir
}

func TestCallAndReply(t *testing.T) {
	dir := serve(t, func(req *Request, fds []int) (*Reply, error) {
		defer closeAll(fds)
		switch req.Op {
		case OpPing:
			return &Reply{}, nil
		case OpSignal:
			return &Reply{PID: req.PID * 10}, nil
		case OpExec:
			// Report what arrived: the argv and how many FDs.
			return &Reply{PID: len(fds), Procs: []ProcInfo{{Cmd: strings.Join(req.Process.Argv, " ")}}}, nil
		}
		return nil, errors.New("unknown op " + req.Op)
	})
	if _, err := Call(dir, &Request{Op: OpPing}); err != nil {
		t.Fatalf("ping: %v", err)
	}
	r, err := Call(dir, &Request{Op: OpSignal, PID: 4})
	if err != nil || r.PID != 40 {
		t.Errorf("signal: %+v, %v", r, err)
	}
	if _, err := Call(dir, &Request{Op: "bogus"}); err == nil || !strings.Contains(err.Error(), "unknown op bogus") {
		t.Errorf("bogus op: %v", err)
	}
	p := make([]int, 2)
	if err := unix.Pipe(p); err != nil {
		t.Fatal(err)
	}
	defer closeAll(p)
	r, err = Call(dir, &Request{Op: OpExec, Process: &Process{Argv: []string{"echo", "hi"}}}, p[0], p[1], p[1])
	if err != nil || r.PID != 3 || r.Procs[0].Cmd != "echo hi" {
		t.Errorf("exec: %+v, %v", r, err)
	}
	// Too many FDs: refused without reaching the handler.
	_, err = Call(dir, &Request{Op: OpExec, Process: &Process{}}, p[0], p[0], p[0], p[0])
	if err == nil {
		t.Error("four FDs were accepted")
	}
}

func TestMalformedRequest(t *testing.T) {
	called := false
	dir := serve(t, func(*Request, []int) (*Reply, error) {
		called = true
		return &Reply{}, nil
	})
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: "/proc/self/fd/" + strconv.Itoa(int(d.Fd())) + "/" + SocketName}); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Write(fd, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := unix.Read(fd, buf)
	if err != nil || !strings.Contains(string(buf[:n]), "malformed") {
		t.Errorf("reply %q, %v", buf[:n], err)
	}
	if called {
		t.Error("the handler saw a malformed request")
	}
}

func TestNoSandbox(t *testing.T) {
	dir := t.TempDir()
	if _, err := Call(dir, &Request{Op: OpPing}); !errors.Is(err, ErrNoSandbox) {
		t.Errorf("no socket: %v, want ErrNoSandbox", err)
	}
	l, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, err := Call(dir, &Request{Op: OpPing}); !errors.Is(err, ErrNoSandbox) {
		t.Errorf("closed listener: %v, want ErrNoSandbox", err)
	}
}
