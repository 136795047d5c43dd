package kernel

import (
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// fakeTTYDevice is a terminal device that records how it was opened.
type fakeTTYDevice struct {
	ws     linux.Winsize
	opened []uint32
}

func (d *fakeTTYDevice) OpenTTY(flags uint32) (vfs.FileDescription, error) {
	d.opened = append(d.opened, flags)
	return nil, linux.EIO
}

func (d *fakeTTYDevice) WindowSize() (linux.Winsize, error) { return d.ws, nil }

// ttyEnv is a kernel with a first process (init, leader of its session
// and process group, not running) and a terminal record.
type ttyEnv struct {
	t    *testing.T
	e    *execEnv
	init *Task
	tty  *TTY
	dev  *fakeTTYDevice
}

func newTTYEnv(t *testing.T) *ttyEnv {
	t.Helper()
	e := newExecEnv(t)
	e.write("/bin/prog", 0o755, miniELF(linux.ET_EXEC, 0x400000, ""))
	init, err := e.start("/bin/prog", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	dev := &fakeTTYDevice{ws: linux.Winsize{Row: 24, Col: 80}}
	tty, err := e.k.TTYFor(TTYKey{Dev: 1, Ino: 2, Rdev: 3}, func() (TTYDevice, error) { return dev, nil })
	if err != nil {
		t.Fatal(err)
	}
	return &ttyEnv{t: t, e: e, init: init, tty: tty, dev: dev}
}

// fork starts a child process of parent (it runs the fake platform's
// application code, which waits to be interrupted) and kills it when the
// test ends.
func (env *ttyEnv) fork(parent *Task) *Task {
	env.t.Helper()
	tid, err := parent.Clone(CloneOptions{ExitSignal: linux.SIGCHLD})
	if err != nil {
		env.t.Fatalf("fork: %v", err)
	}
	c := env.e.k.TaskByID(tid)
	env.t.Cleanup(func() { c.ThreadGroup().Kill(linux.SIGKILL) })
	return c
}

// setpgid moves t into a new process group of its own.
func (env *ttyEnv) setpgid(t *Task) {
	env.t.Helper()
	if err := t.SetPGID(0, 0); err != nil {
		env.t.Fatalf("setpgid: %v", err)
	}
}

// waitStopped waits (through parent's wait) until child is stopped and
// returns the signal that stopped it.
func (env *ttyEnv) waitStopped(parent, child *Task) linux.Signal {
	env.t.Helper()
	res, err := parent.Wait(WaitOptions{Target: WaitPID, ID: child.ThreadGroup().ID(), Options: linux.WSTOPPED})
	if err != nil || res.Code != linux.CLD_STOPPED {
		env.t.Fatalf("wait for a stop: %+v, %v", res, err)
	}
	return res.StopSignal
}

func TestTTYAcquire(t *testing.T) {
	env := newTTYEnv(t)
	child := env.fork(env.init)
	if err := env.tty.Acquire(child, false, true); err != linux.EPERM {
		t.Errorf("TIOCSCTTY by a process that does not lead its session: %v, want EPERM", err)
	}
	if err := env.tty.Acquire(env.init, false, false); err != nil {
		t.Errorf("TIOCSCTTY by root without read access: %v", err)
	}
	if err := env.tty.Acquire(env.init, false, true); err != nil {
		t.Errorf("TIOCSCTTY again by the session that has it: %v", err)
	}
	if got := child.ControllingTTY(); got != env.tty {
		t.Errorf("a child's controlling terminal is %v, want its session's", got)
	}
	if pg, err := env.tty.ForegroundGroup(child); err != nil || pg != env.init.ThreadGroup().ID() {
		t.Errorf("TIOCGPGRP = %d, %v; want the leader's group %d", pg, err, env.init.ThreadGroup().ID())
	}
	if sid, err := env.tty.SessionID(child); err != nil || sid != env.init.ThreadGroup().ID() {
		t.Errorf("TIOCGSID = %d, %v", sid, err)
	}

	// Another session: its leader may take the terminal only by stealing
	// it, with CAP_SYS_ADMIN.
	other := env.fork(env.init)
	if _, err := other.SetSID(); err != nil {
		t.Fatal(err)
	}
	if other.ControllingTTY() != nil {
		t.Fatalf("a new session has a controlling terminal")
	}
	if _, err := env.tty.ForegroundGroup(other); err != linux.ENOTTY {
		t.Errorf("TIOCGPGRP from another session: %v, want ENOTTY", err)
	}
	if _, err := env.tty.SessionID(other); err != linux.ENOTTY {
		t.Errorf("TIOCGSID from another session: %v, want ENOTTY", err)
	}
	if err := env.tty.Acquire(other, false, true); err != linux.EPERM {
		t.Errorf("TIOCSCTTY of another session's terminal: %v, want EPERM", err)
	}
	user := &auth.Credentials{RealUID: 1000, EffectiveUID: 1000}
	root := other.Credentials()
	other.creds.p.Store(user)
	if err := env.tty.Acquire(other, true, true); err != linux.EPERM {
		t.Errorf("steal without CAP_SYS_ADMIN: %v, want EPERM", err)
	}
	other.creds.p.Store(root)
	if err := env.tty.Acquire(other, true, true); err != nil {
		t.Errorf("steal with CAP_SYS_ADMIN: %v", err)
	}
	if env.init.ControllingTTY() != nil || other.ControllingTTY() != env.tty {
		t.Errorf("after the steal: init has %v, the thief %v", env.init.ControllingTTY(), other.ControllingTTY())
	}
}

func TestTTYSetForegroundGroup(t *testing.T) {
	env := newTTYEnv(t)
	if err := env.tty.Acquire(env.init, false, true); err != nil {
		t.Fatal(err)
	}
	job := env.fork(env.init)
	env.setpgid(job)
	member := env.fork(env.init) // in init's group
	stranger := env.fork(env.init)
	if _, err := stranger.SetSID(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		caller *Task
		pgid   ThreadID
		want   error
	}{
		{"negative", env.init, -1, linux.EINVAL},
		{"no such group", env.init, 1 << 20, linux.ESRCH},
		{"another session's group", env.init, stranger.ThreadGroup().ID(), linux.EPERM},
		{"a process that leads no group", env.init, member.ThreadGroup().ID(), linux.EPERM},
		{"not the caller's terminal", stranger, stranger.ThreadGroup().ID(), linux.ENOTTY},
		{"a group of the session", env.init, job.ThreadGroup().ID(), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := env.tty.SetForegroundGroup(tc.caller, tc.pgid); err != tc.want {
				t.Errorf("TIOCSPGRP(%d) = %v, want %v", tc.pgid, err, tc.want)
			}
		})
	}
	if pg, _ := env.tty.ForegroundGroup(member); pg != job.ThreadGroup().ID() {
		t.Errorf("foreground group %d, want %d", pg, job.ThreadGroup().ID())
	}
	if !env.tty.InBackground(env.init) || env.tty.InBackground(job) || env.tty.InBackground(stranger) {
		t.Errorf("InBackground: init %v, job %v, stranger %v; want true, false, false",
			env.tty.InBackground(env.init), env.tty.InBackground(job), env.tty.InBackground(stranger))
	}
}

func TestTTYCheckChange(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  linux.Signal
		// prepare sets up the background caller.
		prepare func(bg *Task)
		want    error
		// stopped: the caller's group is stopped by sig.
		stopped bool
	}{
		{"read", linux.SIGTTIN, nil, linux.ERESTARTSYS, true},
		{"change", linux.SIGTTOU, nil, linux.ERESTARTSYS, true},
		{"read, SIGTTIN ignored", linux.SIGTTIN, ignore(linux.SIGTTIN), linux.EIO, false},
		{"read, SIGTTIN blocked", linux.SIGTTIN, block(linux.SIGTTIN), linux.EIO, false},
		{"change, SIGTTOU ignored", linux.SIGTTOU, ignore(linux.SIGTTOU), nil, false},
		{"change, SIGTTOU blocked", linux.SIGTTOU, block(linux.SIGTTOU), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTTYEnv(t)
			if err := env.tty.Acquire(env.init, false, true); err != nil {
				t.Fatal(err)
			}
			shell := env.fork(env.init)
			env.setpgid(shell)
			fg := env.fork(shell)
			env.setpgid(fg)
			bg := env.fork(shell)
			env.setpgid(bg)
			if err := env.tty.SetForegroundGroup(shell, fg.ThreadGroup().ID()); err != nil {
				t.Fatal(err)
			}
			if err := env.tty.CheckChange(fg, tc.sig); err != nil {
				t.Errorf("foreground: %v", err)
			}
			if tc.prepare != nil {
				tc.prepare(bg)
			}
			if err := env.tty.CheckChange(bg, tc.sig); err != tc.want {
				t.Errorf("background: %v, want %v", err, tc.want)
			}
			if tc.stopped {
				if sig := env.waitStopped(shell, bg); sig != tc.sig {
					t.Errorf("stopped by %v, want %v", sig, tc.sig)
				}
			}
		})
	}
}

func ignore(sig linux.Signal) func(*Task) {
	return func(t *Task) { t.SigAction(sig, &linux.SigAction{Handler: linux.SIG_IGN}) }
}

func block(sig linux.Signal) func(*Task) {
	return func(t *Task) { t.SetSignalMask(linux.SignalSetOf(sig)) }
}

// TestTTYCheckChangeOrphaned: init's own group has no parent outside it,
// so it is orphaned: a read from it in the background fails with EIO.
func TestTTYCheckChangeOrphaned(t *testing.T) {
	env := newTTYEnv(t)
	if err := env.tty.Acquire(env.init, false, true); err != nil {
		t.Fatal(err)
	}
	job := env.fork(env.init)
	env.setpgid(job)
	if err := env.tty.SetForegroundGroup(env.init, job.ThreadGroup().ID()); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []linux.Signal{linux.SIGTTIN, linux.SIGTTOU} {
		if err := env.tty.CheckChange(env.init, sig); err != linux.EIO {
			t.Errorf("%v in an orphaned background group: %v, want EIO", sig, err)
		}
	}
}

func TestTTYRelease(t *testing.T) {
	env := newTTYEnv(t)
	if err := env.tty.Acquire(env.init, false, true); err != nil {
		t.Fatal(err)
	}
	job := env.fork(env.init)
	env.setpgid(job)
	if err := env.tty.SetForegroundGroup(env.init, job.ThreadGroup().ID()); err != nil {
		t.Fatal(err)
	}
	// The foreground job stops, so that SIGCONT's effect is visible.
	job.ThreadGroup().SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGSTOP), Code: linux.SI_USER})
	env.waitStopped(env.init, job)

	if err := env.tty.Release(job); err != nil {
		t.Errorf("TIOCNOTTY by a member: %v", err)
	}
	if job.ControllingTTY() != env.tty {
		t.Fatalf("a member's TIOCNOTTY took the terminal from the session")
	}
	if err := env.tty.Release(env.init); err != nil {
		t.Errorf("TIOCNOTTY by the leader: %v", err)
	}
	if env.init.ControllingTTY() != nil || job.ControllingTTY() != nil {
		t.Errorf("the session still has the terminal")
	}
	if err := env.tty.Release(env.init); err != linux.ENOTTY {
		t.Errorf("TIOCNOTTY without a controlling terminal: %v, want ENOTTY", err)
	}
	// SIGCONT continued the stopped job, which then died of SIGHUP
	// (without SIGCONT it would stay stopped with SIGHUP pending).
	res, err := env.init.Wait(WaitOptions{Target: WaitPID, ID: job.ThreadGroup().ID(), Options: linux.WEXITED})
	if err != nil || res.Code != linux.CLD_KILLED || res.Status.Signal != linux.SIGHUP {
		t.Errorf("the foreground job after TIOCNOTTY: %+v, %v; want killed by SIGHUP", res, err)
	}
	// The terminal is free: another session's leader may take it.
	other := env.fork(env.init)
	if _, err := other.SetSID(); err != nil {
		t.Fatal(err)
	}
	if err := env.tty.Acquire(other, false, true); err != nil {
		t.Errorf("TIOCSCTTY of a released terminal: %v", err)
	}
}

func TestTTYSessionLeaderExit(t *testing.T) {
	env := newTTYEnv(t)
	leader := env.fork(env.init)
	if _, err := leader.SetSID(); err != nil {
		t.Fatal(err)
	}
	if err := env.tty.Acquire(leader, false, true); err != nil {
		t.Fatal(err)
	}
	member := env.fork(leader)
	leader.ThreadGroup().Kill(linux.SIGKILL)
	<-leader.ThreadGroup().Done()
	if member.ControllingTTY() != nil {
		t.Errorf("the session kept its terminal after its leader exited")
	}
	if err := env.tty.Acquire(env.init, false, true); err != nil {
		t.Errorf("TIOCSCTTY of the dead session's terminal: %v", err)
	}
	// The foreground group (the leader's) got SIGHUP: the member, which
	// does not handle it, is killed by it. Its parent's death made it
	// init's child.
	res, err := env.init.Wait(WaitOptions{Target: WaitPID, ID: member.ThreadGroup().ID(), Options: linux.WEXITED})
	if err != nil || res.Status.Signal != linux.SIGHUP {
		t.Errorf("the foreground group's member: %+v, %v; want killed by SIGHUP", res, err)
	}
}

func TestTTYOpenAndWindowSize(t *testing.T) {
	env := newTTYEnv(t)
	if _, err := env.init.OpenControllingTTY(linux.O_RDWR); err != linux.ENXIO {
		t.Errorf("/dev/tty without a controlling terminal: %v, want ENXIO", err)
	}
	if err := env.tty.Acquire(env.init, false, true); err != nil {
		t.Fatal(err)
	}
	if _, err := env.init.OpenControllingTTY(linux.O_WRONLY); err != linux.EIO || len(env.dev.opened) != 1 || env.dev.opened[0] != linux.O_WRONLY {
		t.Errorf("/dev/tty: %v, device opened with %v; want the device's EIO after one open with O_WRONLY", err, env.dev.opened)
	}
	for _, tc := range []struct {
		ws      linux.Winsize
		changed bool
	}{
		{linux.Winsize{Row: 24, Col: 80}, false}, // the size when the record was made
		{linux.Winsize{Row: 30, Col: 100}, true},
		{linux.Winsize{Row: 30, Col: 100}, false},
	} {
		if got := env.tty.NoteWindowSize(tc.ws); got != tc.changed {
			t.Errorf("NoteWindowSize(%+v) = %v, want %v", tc.ws, got, tc.changed)
		}
	}
	env.dev.ws = linux.Winsize{Row: 30, Col: 100}
	if env.tty.HostResized() {
		t.Errorf("HostResized after the same size was set inside: reported a change")
	}
	env.dev.ws = linux.Winsize{Row: 40, Col: 120}
	if !env.tty.HostResized() {
		t.Errorf("HostResized with a new size: no change")
	}
	again, err := env.e.k.TTYFor(TTYKey{Dev: 1, Ino: 2, Rdev: 3}, func() (TTYDevice, error) {
		t.Fatal("a second device was made for the same terminal")
		return nil, nil
	})
	if err != nil || again != env.tty {
		t.Errorf("TTYFor the same key: %v, %v; want the same record", again, err)
	}
}
