package e2e_test

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Terminals through --console-socket, as a container engine uses them: the
// engine listens on a unix socket, runsc sends it the master of a new
// pseudo-terminal, and the engine talks to the container's process
// through it.

// consoleSocket listens on a new unix socket and returns its path and a
// channel that delivers the first terminal master sent to it, as a
// session reading the master.
func consoleSocket(t *testing.T) (string, <-chan *ptySession) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatalf("listen on the console socket: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan *ptySession, 1)
	go func() {
		defer close(ch)
		c, err := l.AcceptUnix()
		if err != nil {
			return
		}
		defer c.Close()
		name := make([]byte, 4096)
		oob := make([]byte, unix.CmsgSpace(4))
		n, oobn, _, _, err := c.ReadMsgUnix(name, oob)
		if err != nil {
			t.Errorf("console socket: read: %v", err)
			return
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			t.Errorf("console socket: %d control messages (%v), want 1", len(msgs), err)
			return
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			t.Errorf("console socket: %d FDs (%v), want 1", len(fds), err)
			return
		}
		if got := string(name[:n]); got != "/dev/ptmx" {
			t.Errorf("console socket: the message names %q, want /dev/ptmx as runc sends", got)
		}
		master := os.NewFile(uintptr(fds[0]), "ptmx")
		p := &ptySession{t: t, master: master, end: time.Now().Add(ttyDeadline), more: make(chan struct{})}
		go p.read()
		t.Cleanup(func() { master.Close() })
		ch <- p
	}()
	return path, ch
}

// receive waits for the master sent to a console socket.
func receive(t *testing.T, ch <-chan *ptySession) *ptySession {
	t.Helper()
	select {
	case p, ok := <-ch:
		if !ok {
			t.Fatalf("no terminal master arrived on the console socket")
		}
		return p
	case <-time.After(ttyDeadline):
		t.Fatalf("no terminal master arrived on the console socket within %v (hang guard)", ttyDeadline)
	}
	return nil
}

// waitStatus returns `runsc wait id`'s exit status.
func (e *ociEnv) waitStatus(id string) int {
	e.t.Helper()
	r := e.runsc("wait", id)
	var w struct {
		ExitStatus int `json:"exitStatus"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &w) != nil {
		e.t.Fatalf("wait %s: %v", id, r)
	}
	return w.ExitStatus
}

// TestOCIConsoleSocket: create sends the master; the process has the slave
// as its terminal, of the spec's size, and reads what is typed.
func TestOCIConsoleSocket(t *testing.T) {
	requireRoot(t)
	e := newOCIEnv(t)
	b := busyboxBundle(t, func(spec map[string]any) {
		p := spec["process"].(map[string]any)
		p["terminal"] = true
		p["consoleSize"] = map[string]any{"height": 33, "width": 101}
	}, "sh", "-c", `[ -t 0 ] && [ -t 1 ] && echo on-a-tty; busybox stty size; echo $((6*7)); read x; echo "got $x"; exit 5`)
	sock, ch := consoleSocket(t)
	if code, out := e.detached("create", "--bundle", b, "--console-socket", sock, "t1"); code != 0 {
		t.Fatalf("create: exit %d: %s", code, out)
	}
	t.Cleanup(func() { e.runsc("delete", "--force", "t1") })
	p := receive(t, ch)
	if r := e.runsc("start", "t1"); r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	p.expect("on-a-tty")
	p.expect("33 101")
	p.expect("42")
	p.send("hello\n")
	p.expect("got hello")
	if code := e.waitStatus("t1"); code != 5 {
		t.Errorf("exit status %d, want 5; transcript:\n%s", code, p.transcript())
	}
	if r := e.runsc("delete", "t1"); r.code != 0 {
		t.Errorf("delete: %v", r)
	}
}

// TestOCIConsoleSignals: ^C typed on the console interrupts the foreground
// job, and a window size change reaches the process. "ready" comes from a
// background job once the foreground sleep has started, so that ^C does not
// land while sh is still forking it.
func TestOCIConsoleSignals(t *testing.T) {
	requireRoot(t)
	e := newOCIEnv(t)
	b := busyboxBundle(t, func(spec map[string]any) {
		spec["process"].(map[string]any)["terminal"] = true
	}, "sh", "-c", `trap 'echo int' INT; { sleep 0.5; echo ready; } & sleep 1000; echo "sleep: $?"; read x; busybox stty size`)
	sock, ch := consoleSocket(t)
	if code, out := e.detached("run", "--detach", "--bundle", b, "--console-socket", sock, "t2"); code != 0 {
		t.Fatalf("run --detach: exit %d: %s", code, out)
	}
	t.Cleanup(func() { e.runsc("delete", "--force", "t2") })
	p := receive(t, ch)
	p.expect("ready")
	p.send("\x03")
	p.expect("sleep: 130")
	p.resize(40, 120)
	p.send("\n")
	p.expect("40 120")
	if code := e.waitStatus("t2"); code != 0 {
		t.Errorf("exit status %d, want 0; transcript:\n%s", code, p.transcript())
	}
}

// TestOCITerminalErrors: runc's rules for a terminal without a console
// socket and a console socket without a terminal.
func TestOCITerminalErrors(t *testing.T) {
	requireRoot(t)
	e := newOCIEnv(t)
	sock, _ := consoleSocket(t)
	for _, tc := range []struct {
		name     string
		terminal bool
		args     []string
		want     string
	}{
		{"detached terminal without console socket", true, []string{"create"}, "--console-socket"},
		{"console socket without terminal", false, []string{"create", "--console-socket", sock}, "process.terminal is false"},
		{"foreground terminal, stdin not a terminal", true, []string{"run"}, "not a terminal"},
	} {
		b := busyboxBundle(t, func(spec map[string]any) {
			spec["process"].(map[string]any)["terminal"] = tc.terminal
		}, "echo")
		r := e.runsc(append(tc.args, "--bundle", b, "bad")...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%s: %v, want one error line with %q", tc.name, r, tc.want)
		}
		if left := e.leftovers(); len(left) != 0 {
			t.Errorf("%s left %v in the state directory", tc.name, left)
		}
	}
}

// TestOCIRunOwnTerminal: a foreground `runsc run` of a terminal container
// whose stdin is a terminal gives it that terminal.
func TestOCIRunOwnTerminal(t *testing.T) {
	requireRoot(t)
	e := newOCIEnv(t)
	b := busyboxBundle(t, func(spec map[string]any) {
		spec["process"].(map[string]any)["terminal"] = true
	}, "sh", "-c", `[ -t 0 ] && [ -t 1 ] && echo on-a-tty; busybox stty size; read x; echo "got $x"`)
	p := startPTY(t, runsc(t), "--root", e.root, "run", "--bundle", b, "t3")
	p.expect("on-a-tty")
	p.expect("24 80")
	p.send("there\n")
	p.expect("got there")
	if code := p.wait(); code != 0 {
		t.Errorf("run exited with %d; transcript:\n%s", code, p.transcript())
	}
}

// TestOCIExecTTY: exec --tty with a console socket, detached (as conmon
// runs it) and attached.
func TestOCIExecTTY(t *testing.T) {
	requireRoot(t)
	e := newOCIEnv(t)
	e.sleeper("t4")
	for _, detach := range []bool{true, false} {
		sock, ch := consoleSocket(t)
		args := []string{"exec", "--tty", "--console-socket", sock}
		pidFile := filepath.Join(t.TempDir(), "pid")
		if detach {
			args = append(args, "--detach", "--pid-file", pidFile)
		}
		args = append(args, "t4", "sh", "-c", `[ -t 0 ] && [ -t 1 ] && echo on-a-tty; echo $((6*7)); read x; echo "got $x"; exit 3`)
		done := make(chan result, 1)
		go func() { done <- e.runsc(args...) }()
		p := receive(t, ch)
		p.expect("on-a-tty")
		p.expect("42")
		p.send("exec\n")
		p.expect("got exec")
		r := <-done
		want := 3
		if detach {
			want = 0
		}
		if r.code != want {
			t.Errorf("exec (detach %v): %v, want exit %d; transcript:\n%s", detach, r, want, p.transcript())
		}
	}
}

// TestOCIExecTTYInterrupt: ^C typed on the terminal of a detached exec (as
// conmon runs `podman exec -it`) reaches the terminal's foreground job in
// the sandbox, not only the exec'd process: an interactive shell survives
// it, and the job it ran in the foreground is interrupted.
func TestOCIExecTTYInterrupt(t *testing.T) {
	requireRoot(t)
	e := newOCIEnv(t)
	e.sleeper("t5")
	sock, ch := consoleSocket(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	done := make(chan result, 1)
	go func() {
		done <- e.runsc("exec", "--tty", "--console-socket", sock, "--detach", "--pid-file", pidFile,
			"t5", "sh", "-i")
	}()
	p := receive(t, ch)
	if r := <-done; r.code != 0 {
		t.Fatalf("exec --detach: %v", r)
	}
	p.interruptJob()
	p.send("exit\n")
}

// sleeper runs a detached container id whose init sleeps, deleted when
// the test ends.
func (e *ociEnv) sleeper(id string) {
	e.t.Helper()
	b := busyboxBundle(e.t, nil, "sleep", "1000")
	if code, out := e.detached("run", "--detach", "--bundle", b, id); code != 0 {
		e.t.Fatalf("run --detach: exit %d: %s", code, out)
	}
	e.t.Cleanup(func() { e.runsc("delete", "--force", id) })
}

// interruptJob has the interactive shell on p run a foreground job,
// types ^C, and checks that the job ended by SIGINT while the shell
// lives on.
func (p *ptySession) interruptJob() {
	p.t.Helper()
	// The job says when it runs: by then it is the terminal's foreground
	// process group (the shell's child sets that before it execs).
	p.send("sh -c 'echo job-$((2*3))-runs; exec sleep 1000'\n")
	p.expect("job-6-runs")
	p.send("\x03")
	// If the job missed the ^C, the shell reads no more (the expect's
	// hang guard ends the test); a shell killed by it prints nothing.
	p.send("echo shell-alive-$((6*7)) status-$?\n")
	p.expect("shell-alive-42 status-130")
}
