package boot

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/runsc/control"
	"golang.org/x/sys/unix"
)

// controller serves the sandbox's control socket (runsc/control): later
// runsc invocations start the container's init, signal and wait for its
// processes, and list them. Requests are untrusted input: each is checked
// and answered with an error rather than acted on when wrong.
type controller struct {
	k      *kernel.Kernel
	server *control.Server

	// startReq is closed by the first start request; startDone carries
	// the outcome of starting init back to it.
	startOnce sync.Once
	startReq  chan struct{}
	startDone chan error
	// destroyReq is closed by a destroy request before start: the
	// sandbox exits without running anything.
	destroyOnce sync.Once
	destroyReq  chan struct{}

	// mu protects init and procs.
	mu   sync.Mutex
	init *kernel.ThreadGroup
	// procs are the processes started by exec requests, by pid. They
	// stay for later wait requests (the sandbox ends with the container).
	procs map[int]execProc
	// spawn starts an exec request's process (run.go).
	spawn spawnFunc
}

// spawnFunc starts an exec'd process; it returns the process and its
// controlling terminal (nil if its stdio are no terminal).
type spawnFunc func(p *control.Process, stdio []int) (*kernel.ThreadGroup, *kernel.TTY, error)

// execProc is a process started by an exec request.
type execProc struct {
	tg *kernel.ThreadGroup
	// tty is its controlling terminal, or nil.
	tty *kernel.TTY
}

// newController starts serving the listening socket fd.
func newController(k *kernel.Kernel, fd int, spawn spawnFunc) *controller {
	c := &controller{
		k:          k,
		startReq:   make(chan struct{}),
		startDone:  make(chan error, 1),
		destroyReq: make(chan struct{}),
		procs:      make(map[int]execProc),
		spawn:      spawn,
	}
	c.server = control.Serve(fd, c.handle)
	return c
}

// initStarted records the container's init (or why it failed to start)
// and answers the start request.
func (c *controller) initStarted(tg *kernel.ThreadGroup, err error) {
	c.mu.Lock()
	c.init = tg
	c.mu.Unlock()
	c.startDone <- err
}

// stop stops accepting requests.
func (c *controller) stop() { c.server.Stop() }

// handle serves one request.
func (c *controller) handle(req *control.Request, fds []int) (*control.Reply, error) {
	if req.Op != control.OpExec {
		closeFDs(fds)
	}
	switch req.Op {
	case control.OpPing:
		return &control.Reply{}, nil
	case control.OpStart:
		first := false
		c.startOnce.Do(func() {
			first = true
			close(c.startReq)
		})
		if !first {
			return nil, errors.New("the container was already started")
		}
		if err := <-c.startDone; err != nil {
			return nil, err
		}
		return &control.Reply{}, nil
	case control.OpDestroy:
		c.destroyOnce.Do(func() { close(c.destroyReq) })
		return &control.Reply{}, nil
	case control.OpSignal:
		return nil, c.signal(req)
	case control.OpWait:
		return c.wait(req.PID)
	case control.OpExec:
		return c.exec(req, fds)
	case control.OpPause:
		c.k.Pause()
		return &control.Reply{}, nil
	case control.OpResume:
		c.k.Resume()
		return &control.Reply{}, nil
	case control.OpProcs:
		return &control.Reply{Procs: c.procList()}, nil
	case control.OpStats:
		return &control.Reply{Stats: &control.Stats{
			MemoryUsage: c.k.MF.Used(),
			Processes:   len(c.k.ThreadGroups()),
		}}, nil
	}
	return nil, fmt.Errorf("unknown request %q", req.Op)
}

// process returns the process pid (0: init), or an error.
func (c *controller) process(pid int) (*kernel.ThreadGroup, error) {
	c.mu.Lock()
	init := c.init
	c.mu.Unlock()
	if pid == 0 {
		if init == nil {
			return nil, errors.New("the container has not been started")
		}
		return init, nil
	}
	if pid < 0 {
		return nil, fmt.Errorf("invalid pid %d", pid)
	}
	tg := c.k.ThreadGroupByID(kernel.ThreadID(pid))
	if tg == nil {
		return nil, fmt.Errorf("no process %d in the container", pid)
	}
	return tg, nil
}

// signal sends a signal as kill(2) from outside the sandbox would.
func (c *controller) signal(req *control.Request) error {
	sig := linux.Signal(req.Sig)
	if !sig.IsValid() {
		return fmt.Errorf("invalid signal %d", req.Sig)
	}
	info := &linux.SignalInfo{Signo: int32(sig), Code: linux.SI_USER}
	if req.All {
		for _, tg := range c.k.ThreadGroups() {
			tg.SendSignalFromOutside(info)
		}
		return nil
	}
	if req.Terminal {
		c.mu.Lock()
		tty := c.procs[req.PID].tty
		c.mu.Unlock()
		if tty != nil && terminalSignal(tty, sig) {
			return nil
		}
	}
	tg, err := c.process(req.PID)
	if err != nil {
		return err
	}
	tg.SendSignalFromOutside(info)
	return nil
}

// wait blocks until process pid (0: init) has ended and returns its wait
// status.
func (c *controller) wait(pid int) (*control.Reply, error) {
	c.mu.Lock()
	tg := c.procs[pid].tg
	c.mu.Unlock()
	if tg == nil {
		var err error
		if tg, err = c.process(pid); err != nil {
			return nil, err
		}
	}
	<-tg.Done()
	es := tg.ExitStatus()
	status := (es.Code & 0xff) << 8
	if es.Signal != 0 {
		status = int(es.Signal)
	}
	return &control.Reply{Status: status}, nil
}

// exec starts a new process in the running container.
func (c *controller) exec(req *control.Request, fds []int) (*control.Reply, error) {
	defer closeFDs(fds)
	c.mu.Lock()
	started := c.init != nil
	c.mu.Unlock()
	if !started {
		return nil, errors.New("the container has not been started")
	}
	p := req.Process
	if p == nil || len(p.Argv) == 0 || p.Argv[0] == "" {
		return nil, errors.New("exec: no program given")
	}
	if len(fds) != 3 {
		return nil, fmt.Errorf("exec: %d stdio FDs, want 3", len(fds))
	}
	tg, tty, err := c.spawn(p, fds)
	if err != nil {
		return nil, err
	}
	pid := int(tg.ID())
	c.mu.Lock()
	c.procs[pid] = execProc{tg: tg, tty: tty}
	c.mu.Unlock()
	return &control.Reply{PID: pid}, nil
}

// procList lists the container's processes.
func (c *controller) procList() []control.ProcInfo {
	var out []control.ProcInfo
	for _, tg := range c.k.ThreadGroups() {
		leader := tg.Leader()
		if leader == nil {
			continue
		}
		pi := control.ProcInfo{
			PID:     int(tg.ID()),
			UID:     uint32(leader.Credentials().RealUID),
			State:   "R",
			Cmd:     strings.TrimSpace(leader.Name()),
			Threads: len(tg.Tasks()),
		}
		if p := tg.Parent(); p != nil {
			pi.PPID = int(p.ID())
		}
		out = append(out, pi)
	}
	return out
}

// closeFDs closes host FDs a request carried.
func closeFDs(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
