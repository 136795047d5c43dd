package e2e_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ttyDeadline bounds one whole terminal session. It is a hang guard (a
// marker that never comes), not a performance threshold.
const ttyDeadline = 3 * time.Minute

// ptySession is a program running with a pseudo-terminal's slave as its
// standard I/O and controlling terminal, as in a terminal window: the test
// types into the master and reads what the program writes.
type ptySession struct {
	t      *testing.T
	master *os.File
	cmd    *exec.Cmd
	end    time.Time

	mu   sync.Mutex
	out  []byte
	seen int           // out[:seen] has been matched by expect
	more chan struct{} // closed and replaced when out grows or ends
	eof  bool
}

// openPTY returns a new pseudo-terminal's master and slave.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: open /dev/ptmx: %v", err)
	}
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(m)
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetUint32(m, unix.TIOCGPTN)
	if err != nil {
		unix.Close(m)
		t.Fatalf("pty number: %v", err)
	}
	s, err := unix.Open("/dev/pts/"+strconv.Itoa(int(n)), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(m)
		t.Fatalf("open pty slave: %v", err)
	}
	return os.NewFile(uintptr(m), "ptmx"), os.NewFile(uintptr(s), "pts")
}

// startPTY starts argv in a new session whose controlling terminal is a
// new pseudo-terminal of 24 rows and 80 columns.
func startPTY(t *testing.T, argv ...string) *ptySession {
	t.Helper()
	master, slave := openPTY(t)
	defer slave.Close()
	if err := unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 80}); err != nil {
		t.Fatalf("set window size: %v", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TERM=dumb", "PS1=$ ", "HOME=/", "HISTFILE=/dev/null"}
	// Ctty is the child's FD 0: the slave.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		master.Close()
		t.Fatalf("start %q: %v", argv, err)
	}
	p := &ptySession{t: t, master: master, cmd: cmd, end: time.Now().Add(ttyDeadline), more: make(chan struct{})}
	go p.read()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
		p.master.Close()
	})
	return p
}

// read collects the program's output until the slave is closed by all.
func (p *ptySession) read() {
	buf := make([]byte, 4096)
	for {
		n, err := p.master.Read(buf)
		p.mu.Lock()
		p.out = append(p.out, buf[:n]...)
		if err != nil {
			p.eof = true
		}
		close(p.more)
		p.more = make(chan struct{})
		p.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// transcript is everything the program wrote so far.
func (p *ptySession) transcript() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return string(p.out)
}

// expect waits until the output after the last match contains marker.
func (p *ptySession) expect(marker string) {
	p.t.Helper()
	timer := time.NewTimer(time.Until(p.end))
	defer timer.Stop()
	for {
		p.mu.Lock()
		if i := bytes.Index(p.out[p.seen:], []byte(marker)); i >= 0 {
			p.seen += i + len(marker)
			p.mu.Unlock()
			return
		}
		more, eof := p.more, p.eof
		p.mu.Unlock()
		if eof {
			p.t.Fatalf("the program's terminal closed before %q appeared; transcript:\n%s", marker, p.transcript())
		}
		select {
		case <-more:
		case <-timer.C:
			p.t.Fatalf("%q did not appear within %v (hang guard); transcript:\n%s", marker, ttyDeadline, p.transcript())
		}
	}
}

// send types s.
func (p *ptySession) send(s string) {
	p.t.Helper()
	if _, err := p.master.Write([]byte(s)); err != nil {
		p.t.Fatalf("type %q: %v", s, err)
	}
}

// resize changes the terminal's window size, as a terminal window does.
func (p *ptySession) resize(rows, cols uint16) {
	p.t.Helper()
	if err := unix.IoctlSetWinsize(int(p.master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols}); err != nil {
		p.t.Fatalf("resize: %v", err)
	}
}

// wait waits for the program to exit and returns its status as a shell
// reports it.
func (p *ptySession) wait() int {
	p.t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	timer := time.NewTimer(time.Until(p.end))
	defer timer.Stop()
	select {
	case err := <-done:
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			p.t.Fatalf("wait: %v", err)
		}
	case <-timer.C:
		p.t.Fatalf("the program did not exit within %v (hang guard); transcript:\n%s", ttyDeadline, p.transcript())
	}
	ws := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// ttyStep is one exchange with the program: type send (if any), resize
// the window to rows×cols (if rows is not 0), then wait for each of
// expect in turn. Expected text must not be part of what is typed, which
// the terminal echoes.
type ttyStep struct {
	send       string
	rows, cols uint16
	expect     []string
}

// ttyModes runs fn natively and in the sandbox, as subtests: the native
// run is the oracle (a failure there is a wrong test).
func ttyModes(t *testing.T, fn func(t *testing.T, argv func(...string) []string)) {
	bin := runsc(t)
	t.Run("native", func(t *testing.T) {
		fn(t, func(a ...string) []string { return a })
	})
	t.Run("sandbox", func(t *testing.T) {
		before := sandboxProcs(t)
		// Registered first, so it runs after startPTY's clean-up has
		// killed a runsc that hung.
		t.Cleanup(func() { checkNoneLeft(t, before) })
		fn(t, func(a ...string) []string { return append([]string{bin, "do"}, a...) })
	})
}

// runTTYScript starts argv on a terminal, plays steps and waits for it to
// exit with status 0.
func runTTYScript(t *testing.T, argv []string, steps []ttyStep) {
	p := startPTY(t, argv...)
	for _, s := range steps {
		if s.send != "" {
			p.send(s.send)
		}
		if s.rows != 0 {
			p.resize(s.rows, s.cols)
		}
		for _, e := range s.expect {
			p.expect(e)
		}
	}
	if code := p.wait(); code != 0 {
		t.Errorf("%q exited with status %d; transcript:\n%s", argv, code, p.transcript())
	}
}

// interactiveBash is bash as a terminal window starts it, without the
// host's start-up files.
func interactiveBash(t *testing.T) []string {
	t.Helper()
	if _, err := os.Stat("/bin/bash"); err != nil {
		t.Skipf("bash is not installed on this host: %v", err)
	}
	return []string{"/bin/bash", "--norc", "--noprofile", "-i"}
}

// TestTTYBashJobs runs bash -i with a background job that is listed,
// killed and waited for.
func TestTTYBashJobs(t *testing.T) {
	ttyModes(t, func(t *testing.T, argv func(...string) []string) {
		runTTYScript(t, argv(interactiveBash(t)...), []ttyStep{
			{expect: []string{"$ "}},
			{send: "sleep 30 &\n", expect: []string{"[1] "}},
			{send: "jobs; kill %1; wait %1; echo status=$?\n", expect: []string{"Running", "sleep 30", "status=143"}},
			{send: "exit\n"},
		})
	})
}

// TestTTYStopAndContinue stops a foreground job with ^Z, continues it in
// the background and kills it; then ^C interrupts a foreground sleep and
// bash goes on.
func TestTTYStopAndContinue(t *testing.T) {
	// The job prints the marker once it is the terminal's foreground
	// job (bash's child takes the terminal before it execs), so the key
	// typed after the marker reaches it and not bash.
	const fgSleep = "sh -c 'echo started-$((40+%d)); exec sleep 100'\n"
	ttyModes(t, func(t *testing.T, argv func(...string) []string) {
		runTTYScript(t, argv(interactiveBash(t)...), []ttyStep{
			{expect: []string{"$ "}},
			{send: fmt.Sprintf(fgSleep, 2), expect: []string{"started-42"}},
			{send: "\x1a", expect: []string{"Stopped", "$ "}},
			{send: "bg\n", expect: []string{"[1]+ sh -c", "&"}},
			{send: "jobs\n", expect: []string{"Running"}},
			{send: "kill %1; wait %1; echo status=$?\n", expect: []string{"status=143"}},
			{send: fmt.Sprintf(fgSleep, 3), expect: []string{"started-43"}},
			{send: "\x03", expect: []string{"$ "}},
			{send: "echo status=$?; echo alive-$((6*7))\n", expect: []string{"status=130", "alive-42"}},
			{send: "exit\n"},
		})
	})
}

// TestTTYBackgroundRead starts cat in the background: its read of the
// terminal stops it (SIGTTIN); fg continues it in the foreground, where
// it reads a line and the end of file.
func TestTTYBackgroundRead(t *testing.T) {
	ttyModes(t, func(t *testing.T, argv func(...string) []string) {
		runTTYScript(t, argv(interactiveBash(t)...), []ttyStep{
			{expect: []string{"$ "}},
			{send: "cat &\n", expect: []string{"[1] "}},
			{send: "wait %1; echo status=$?\n", expect: []string{"Stopped", "status=149"}},
			{send: "fg\n", expect: []string{"cat\r\n"}},
			{send: "hello\n", expect: []string{"hello\r\nhello\r\n"}},
			{send: "\x04", expect: []string{"$ "}},
			{send: "echo status=$?-$((6*7))\n", expect: []string{"status=0-42"}},
			{send: "exit\n"},
		})
	})
}

// TestTTYWindowSize resizes the terminal from outside (a foreground
// program gets SIGWINCH; stty size shows the size) and from inside (stty
// rows/cols: SIGWINCH too).
func TestTTYWindowSize(t *testing.T) {
	const waitWinch = `bash -c 'trap "echo winch-\$((6*7)); exit" WINCH; echo ready-$((1+1)); %s while :; do sleep 0.1; done'` + "\n"
	ttyModes(t, func(t *testing.T, argv func(...string) []string) {
		runTTYScript(t, argv(interactiveBash(t)...), []ttyStep{
			{expect: []string{"$ "}},
			{send: "stty size\n", expect: []string{"24 80"}},
			{send: fmt.Sprintf(waitWinch, ""), expect: []string{"ready-2"}},
			{rows: 33, cols: 101, expect: []string{"winch-42"}},
			{send: "stty size\n", expect: []string{"33 101"}},
			{send: fmt.Sprintf(waitWinch, "stty rows 20 cols 70;"), expect: []string{"ready-2", "winch-42"}},
			{send: "stty size\n", expect: []string{"20 70"}},
			{send: "exit\n"},
		})
	})
}

// TestTTYControllingTerminal runs testdata/ttyinfo.c as the first process
// and from bash in the foreground and in the background: tcgetpgrp,
// tcgetsid and /dev/tty agree with the process's own ids, a new session
// has no controlling terminal, and tcsetpgrp from the background stops
// the job (SIGTTOU) until fg.
func TestTTYControllingTerminal(t *testing.T) {
	prog := cProgram(t, "ttyinfo")
	const (
		fg       = "ttyinfo: foreground=1 session=1 devtty=ok"
		bg       = "ttyinfo: foreground=0 session=1 devtty=ok"
		devTTY   = "ttyinfo: written to /dev/tty"
		noGroup  = "ttyinfo: tcsetpgrp(no such group)=No such process"
		noTTYYet = "ttyinfo: new session devtty=No such device or address tcgetpgrp=Inappropriate ioctl for device"
	)
	ttyModes(t, func(t *testing.T, argv func(...string) []string) {
		t.Run("first process", func(t *testing.T) {
			runTTYScript(t, argv(prog), []ttyStep{{expect: []string{fg, devTTY, noGroup, noTTYYet}}})
		})
		t.Run("bash", func(t *testing.T) {
			runTTYScript(t, argv(interactiveBash(t)...), []ttyStep{
				{expect: []string{"$ "}},
				{send: prog + "\n", expect: []string{fg, devTTY, noGroup, noTTYYet, "$ "}},
				{send: prog + " & wait\n", expect: []string{bg, devTTY, "Stopped"}},
				{send: "fg\n", expect: []string{noGroup, noTTYYet, "$ "}},
				{send: "exit\n"},
			})
		})
	})
}
