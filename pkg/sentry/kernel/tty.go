package kernel

import (
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
)

// Controlling terminals (Linux's drivers/tty/tty_jobctrl.c).
//
// A TTY is the sentry's record of one terminal: the session that has it as
// its controlling terminal and the process group of that session in its
// foreground, both as sentry objects (never host ids). The file system
// that serves the terminal (fsimpl/host, for the host terminal runsc was
// started on) creates the record through Kernel.TTYFor, once per terminal,
// and asks it before each job-controlled operation: CheckChange for a
// read (SIGTTIN), a write with TOSTOP or a change of the terminal's
// settings (SIGTTOU), and the ioctls TIOCGPGRP, TIOCSPGRP, TIOCGSID,
// TIOCSCTTY and TIOCNOTTY.
//
// Characters that the line discipline turns into signals (^C, ^\, ^Z) and
// window size changes of the host terminal are signalled by the host to
// its own foreground process group, which runsc arranges to be the
// sandbox process; runsc boot forwards them to SignalForeground, so the
// application's foreground job gets them as it would natively.
//
// The controlling terminal belongs to the session (Session.ctty): every
// process of the session shares it, a new session (setsid) starts without
// one, and it goes away when the session leader exits or gives it up
// (TIOCNOTTY). Linux keeps it per process; the difference shows only for a
// process that is not a session leader calling TIOCNOTTY, which here
// changes nothing.
//
// Locking: TTY.session, TTY.fg and Session.ctty are protected by
// Kernel.mu; TTY.winMu is a leaf.

// TTYKey identifies a terminal: for a host terminal, the host's st_dev,
// st_ino and st_rdev of the terminal's file, so that every FD of the same
// terminal (stdin, stdout and stderr) finds the same record.
type TTYKey struct {
	Dev, Ino, Rdev uint64
}

// TTYDevice is what the file system serving a terminal does for its
// record: open new files of it (/dev/tty) and report its window size.
type TTYDevice interface {
	// OpenTTY returns a new file description of the terminal with the
	// given open(2) flags, holding one reference for the caller.
	OpenTTY(flags uint32) (vfs.FileDescription, error)
	// WindowSize returns the terminal's current window size.
	WindowSize() (linux.Winsize, error)
}

// TTY is the sentry's record of one terminal.
type TTY struct {
	k   *Kernel
	dev TTYDevice

	// session is the session that has the terminal as its controlling
	// terminal, nil if none; fg is the foreground process group (of
	// session; it may have no members left, as in Linux, where the
	// terminal keeps the group's pid). Protected by k.mu.
	session *Session
	fg      *ProcessGroup

	// winMu protects win, the last window size seen (NoteWindowSize).
	winMu    sync.Mutex
	win      linux.Winsize
	winKnown bool
}

// TTYFor returns k's record of the terminal key, creating it with the
// device newDevice returns if there is none yet (the record then keeps
// the device for the life of the kernel).
func (k *Kernel) TTYFor(key TTYKey, newDevice func() (TTYDevice, error)) (*TTY, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if tty := k.ttys[key]; tty != nil {
		return tty, nil
	}
	dev, err := newDevice()
	if err != nil {
		return nil, err
	}
	tty := &TTY{k: k, dev: dev}
	if ws, err := dev.WindowSize(); err == nil {
		tty.win, tty.winKnown = ws, true
	}
	if k.ttys == nil {
		k.ttys = make(map[TTYKey]*TTY)
	}
	k.ttys[key] = tty
	return tty, nil
}

// Device returns the device the record was created with.
func (tty *TTY) Device() TTYDevice { return tty.dev }

// ctty returns the controlling terminal of tg's session.
//
// Preconditions: k.mu is held.
func (tg *ThreadGroup) cttyLocked() *TTY {
	if tg.pgrp == nil {
		return nil
	}
	return tg.pgrp.session.ctty
}

// ControllingTTY returns the controlling terminal of t's session, or nil.
func (t *Task) ControllingTTY() *TTY {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.tg.cttyLocked()
}

// OpenControllingTTY opens a new file of t's controlling terminal
// (/dev/tty), ENXIO if t's session has none.
func (t *Task) OpenControllingTTY(flags uint32) (vfs.FileDescription, error) {
	tty := t.ControllingTTY()
	if tty == nil {
		return nil, linux.ENXIO
	}
	return tty.dev.OpenTTY(flags)
}

// Acquire implements TIOCSCTTY: a session leader without a controlling
// terminal makes tty its session's, with its own process group in the
// foreground. A terminal that another session has is taken from it only
// if steal (arg 1) and t has CAP_SYS_ADMIN; so is one opened without read
// access (readable false). It is a no-op for the leader of the session
// that already has tty.
func (tty *TTY) Acquire(t *Task, steal, readable bool) error {
	k := tty.k
	admin := t.Credentials().HasCapability(linux.CAP_SYS_ADMIN)
	k.mu.Lock()
	defer k.mu.Unlock()
	tg := t.tg
	if tg.pgrp == nil {
		return linux.EPERM
	}
	s := tg.pgrp.session
	if tg.sessionLeader && tty.session == s {
		return nil
	}
	if !tg.sessionLeader || s.ctty != nil {
		return linux.EPERM
	}
	if tty.session != nil {
		if !steal || !admin {
			return linux.EPERM
		}
	}
	if !readable && !admin {
		return linux.EPERM
	}
	if tty.session != nil {
		tty.session.ctty = nil
	}
	tty.session, tty.fg = s, tg.pgrp
	s.ctty = tty
	return nil
}

// ForegroundGroup implements TIOCGPGRP: the id of the foreground process
// group (0 if none), ENOTTY unless tty is t's controlling terminal.
func (tty *TTY) ForegroundGroup(t *Task) (ThreadID, error) {
	k := tty.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if t.tg.cttyLocked() != tty {
		return 0, linux.ENOTTY
	}
	if tty.fg == nil {
		return 0, nil
	}
	return tty.fg.id, nil
}

// SessionID implements TIOCGSID: the id of the session that has tty,
// ENOTTY unless tty is t's controlling terminal.
func (tty *TTY) SessionID(t *Task) (ThreadID, error) {
	k := tty.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if t.tg.cttyLocked() != tty || tty.session == nil {
		return 0, linux.ENOTTY
	}
	return tty.session.id, nil
}

// SetForegroundGroup implements TIOCSPGRP once its argument is read
// (callers run CheckChange(t, SIGTTOU) first, as Linux does, turning its
// EIO into ENOTTY): EINVAL for a negative id, ENOTTY unless tty is the
// controlling terminal of t's session, ESRCH if no process group pgid
// exists, EPERM if it is in another session.
//
// Linux also accepts the pid of a process of the session that does not
// lead a process group (its tty then signals nobody); that gives EPERM
// here.
func (tty *TTY) SetForegroundGroup(t *Task, pgid ThreadID) error {
	if pgid < 0 {
		return linux.EINVAL
	}
	k := tty.k
	k.mu.Lock()
	defer k.mu.Unlock()
	tg := t.tg
	if tg.cttyLocked() != tty || tty.session != tg.pgrp.session {
		return linux.ENOTTY
	}
	pg := k.pgrps[pgid]
	if pg == nil {
		if _, ok := k.tgs[pgid]; ok {
			return linux.EPERM
		}
		return linux.ESRCH
	}
	if pg.session != tty.session {
		return linux.EPERM
	}
	tty.fg = pg
	return nil
}

// Release implements TIOCNOTTY: ENOTTY unless tty is t's controlling
// terminal. A session leader gives the terminal up for its whole session,
// after sending SIGHUP and SIGCONT to the foreground process group.
func (tty *TTY) Release(t *Task) error {
	k := tty.k
	k.mu.Lock()
	defer k.mu.Unlock()
	tg := t.tg
	if tg.cttyLocked() != tty {
		return linux.ENOTTY
	}
	if !tg.sessionLeader {
		return nil
	}
	if fg := tty.fg; fg != nil {
		for _, sig := range []linux.Signal{linux.SIGHUP, linux.SIGCONT} {
			info := linux.SignalInfo{Signo: int32(sig), Code: linux.SI_USER}
			info.SetPID(int32(tg.tgid))
			info.SetUID(uint32(t.Credentials().RealUID))
			k.signalGroupLocked(fg, info)
		}
	}
	tty.detachLocked()
	return nil
}

// detachLocked ends the terminal's association with its session.
//
// Preconditions: k.mu is held.
func (tty *TTY) detachLocked() {
	if tty.session != nil {
		tty.session.ctty = nil
	}
	tty.session, tty.fg = nil, nil
}

// sessionLeaderGoneLocked is called when tg, a session leader, exits:
// the session loses its controlling terminal, and the terminal's
// foreground process group gets SIGHUP (Linux's disassociate_ctty on
// exit, for a pseudo-terminal: runsc's host terminal cannot be hung up
// from the sandbox).
//
// Preconditions: k.mu is held.
func (k *Kernel) sessionLeaderGoneLocked(tg *ThreadGroup) {
	if !tg.sessionLeader || tg.pgrp == nil {
		return
	}
	tty := tg.pgrp.session.ctty
	if tty == nil {
		return
	}
	if tty.fg != nil {
		k.signalGroupLocked(tty.fg, linux.SignalInfo{Signo: int32(linux.SIGHUP), Code: linux.SI_KERNEL})
	}
	tty.detachLocked()
}

// CheckChange is Linux's tty_check_change: if tty is t's controlling
// terminal and t's process group is not in its foreground, t may not read
// (sig SIGTTIN) or change it (SIGTTOU; also writes with TOSTOP set). Then
// sig is sent to t's whole process group and ERESTARTSYS returned, so
// the call is restarted once the group is continued; unless sig is
// ignored or blocked by t (the call proceeds for SIGTTOU and fails with
// EIO for SIGTTIN) or the group is orphaned (EIO). nil means go ahead.
func (tty *TTY) CheckChange(t *Task, sig linux.Signal) error {
	k := tty.k
	k.mu.Lock()
	defer k.mu.Unlock()
	tg := t.tg
	pg := tg.pgrp
	if pg == nil || pg.session.ctty != tty || tty.fg == nil || tty.fg == pg {
		return nil
	}
	act, _ := t.SigAction(sig, nil)
	if act.Handler == linux.SIG_IGN || t.SignalMask()&linux.SignalSetOf(sig) != 0 {
		if sig == linux.SIGTTIN {
			return linux.EIO
		}
		return nil
	}
	if k.orphanedLocked(pg) {
		return linux.EIO
	}
	k.signalGroupLocked(pg, linux.SignalInfo{Signo: int32(sig), Code: linux.SI_KERNEL})
	return linux.ERESTARTSYS
}

// InBackground reports whether tty is t's controlling terminal and t's
// process group is not its foreground group (so that a write must ask
// whether TOSTOP is set).
func (tty *TTY) InBackground(t *Task) bool {
	k := tty.k
	k.mu.Lock()
	defer k.mu.Unlock()
	pg := t.tg.pgrp
	return pg != nil && pg.session.ctty == tty && tty.fg != nil && tty.fg != pg
}

// SignalForeground sends sig to the terminal's foreground process group,
// as the terminal itself does (SI_KERNEL): for the characters that
// generate signals and for window size changes. It reports false if no
// session has the terminal (nothing was sent).
func (tty *TTY) SignalForeground(sig linux.Signal) bool {
	k := tty.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if tty.fg == nil {
		return false
	}
	k.signalGroupLocked(tty.fg, linux.SignalInfo{Signo: int32(sig), Code: linux.SI_KERNEL})
	return true
}

// NoteWindowSize records ws as the terminal's window size and reports
// whether it differs from the size recorded before (so that SIGWINCH is
// sent once per change, whether the change came from inside the sandbox
// or from the host).
func (tty *TTY) NoteWindowSize(ws linux.Winsize) bool {
	tty.winMu.Lock()
	defer tty.winMu.Unlock()
	changed := !tty.winKnown || tty.win != ws
	tty.win, tty.winKnown = ws, true
	return changed
}

// HostResized is called when the host reports a window size change of
// the terminal (SIGWINCH to runsc): it signals SIGWINCH to the foreground
// process group if the size differs from the one last recorded. It
// reports whether the size changed.
func (tty *TTY) HostResized() bool {
	ws, err := tty.dev.WindowSize()
	if err != nil || !tty.NoteWindowSize(ws) {
		return false
	}
	tty.SignalForeground(linux.SIGWINCH)
	return true
}

// signalGroupLocked sends a copy of info to every live process of pg.
//
// Preconditions: k.mu is held.
func (k *Kernel) signalGroupLocked(pg *ProcessGroup, info linux.SignalInfo) {
	for _, tg := range k.tgs {
		if tg.pgrp == pg && !tg.zombie {
			i := info
			tg.SendSignal(&i)
		}
	}
}
