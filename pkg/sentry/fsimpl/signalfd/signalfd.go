// Package signalfd implements signalfd(2) files: reading one takes the
// reader's pending signals that are in the file's mask, as struct
// signalfd_siginfo records; the file is waitable with poll and epoll.
//
// It owns the mask, the record format and the blocking read. Signals stay
// the kernel's: they are taken with kernel.Task.TakeSignal, and the
// kernel's per-task and per-process waiter queues say when one was
// queued. It must not know about FD tables; the syscall layer installs the
// file and updates its mask.
//
// Readiness (poll, epoll) looks at the signals pending for the task that
// created the file and its process: Linux looks at the polling thread's,
// which a Readiness call does not know. Reads use the reading task's, as
// in Linux.
//
// Lock order: the kernel's signal waiter queues, then File.Queue's lock
// (queuing a signal forwards the notification to the file's own waiters).
// Readiness takes no lock.
package signalfd

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/eventfd"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/sentry/waiter"
	"bulwark.dev/bulwark/pkg/usermem"
)

// File is a signalfd.
type File struct {
	// AnonFile's Queue is notified with EPOLLIN when a signal is queued
	// for the owner or its process, or the mask changes.
	vfs.AnonFile
	// owner is the task that created the file; its queues feed
	// Readiness through the forwarding entries.
	owner                   *kernel.Task
	threadEntry, groupEntry *waiter.Entry
	// mask is the set of signals the file reads (never SIGKILL or
	// SIGSTOP); atomic, so that Readiness needs no lock.
	mask atomic.Uint64
}

var (
	_ vfs.FileDescription = (*File)(nil)
	_ vfs.Waitable        = (*File)(nil)
)

// New returns a signalfd of owner that reads the signals in mask, with the
// SFD_* flags (already validated by the caller), holding one reference.
func New(owner *kernel.Task, mask linux.SignalSet, flags uint32) *File {
	f := &File{owner: owner}
	f.InitAnon("signalfd", linux.O_RDWR|flags&linux.O_NONBLOCK, f.release)
	f.SetMask(mask)
	forward := func(uint32) { f.Queue.Notify(linux.EPOLLIN) }
	f.threadEntry = waiter.NewEntry(linux.EPOLLIN, forward, nil)
	f.groupEntry = waiter.NewEntry(linux.EPOLLIN, forward, nil)
	thread, group := owner.SignalWaiters()
	thread.EventRegister(f.threadEntry)
	group.EventRegister(f.groupEntry)
	return f
}

// Mask returns the signals the file reads.
func (f *File) Mask() linux.SignalSet { return linux.SignalSet(f.mask.Load()) }

// SetMask replaces the signals the file reads (signalfd on an existing
// signalfd); SIGKILL and SIGSTOP are dropped, as Linux does. Waiters are
// woken: the file may have become readable.
func (f *File) SetMask(mask linux.SignalSet) {
	f.mask.Store(uint64(mask &^ linux.UnblockableSignals))
	f.Queue.Notify(linux.EPOLLIN)
}

// reader returns the task whose signals a read takes: the reading task,
// or the owner for sentry-internal callers without one.
func (f *File) reader(b vfs.Blocker) *kernel.Task {
	if t, ok := b.(*kernel.Task); ok {
		return t
	}
	return f.owner
}

// Read implements vfs.FileDescription: it takes as many pending signals
// in the mask as there are whole records room for, blocking (unless
// O_NONBLOCK) until there is at least one.
func (f *File) Read(b vfs.Blocker, dst []byte) (int, error) {
	room := len(dst) / linux.SizeOfSignalfdSiginfo
	if room == 0 {
		return 0, linux.EINVAL
	}
	t := f.reader(b)
	info := t.TakeSignal(f.Mask())
	if info == nil {
		if f.nonblocking() {
			return 0, linux.EAGAIN
		}
		var err error
		if info, err = f.block(b, t); err != nil {
			return 0, err
		}
	}
	n := 0
	for {
		rec := Record(info)
		buf, err := binary.Append(nil, binary.LittleEndian, &rec)
		if err != nil {
			return 0, fmt.Errorf("signalfd: encode record: %w", err)
		}
		n += copy(dst[n:], buf)
		if n/linux.SizeOfSignalfdSiginfo == room {
			return n, nil
		}
		// Only the first record is waited for.
		if info = t.TakeSignal(f.Mask()); info == nil {
			return n, nil
		}
	}
}

// block waits until a signal in the mask is queued for t and takes it.
func (f *File) block(b vfs.Blocker, t *kernel.Task) (*linux.SignalInfo, error) {
	ch := make(chan struct{}, 1)
	thread, group := t.SignalWaiters()
	te, ge := waiter.NewChannelEntryFor(linux.EPOLLIN, ch), waiter.NewChannelEntryFor(linux.EPOLLIN, ch)
	thread.EventRegister(te)
	defer thread.EventUnregister(te)
	group.EventRegister(ge)
	defer group.EventUnregister(ge)
	for {
		if info := t.TakeSignal(f.Mask()); info != nil {
			return info, nil
		}
		if cb, ok := b.(vfs.ChannelBlocker); ok {
			if err := cb.Block(ch, time.Time{}); err != nil {
				return nil, err
			}
		} else {
			<-ch
		}
	}
}

// Record converts a siginfo to the signalfd_siginfo that a read returns,
// choosing the union member by signal and code as Linux's siginfo_layout
// and signalfd_copyinfo do.
func Record(info *linux.SignalInfo) linux.SignalfdSiginfo {
	r := linux.SignalfdSiginfo{
		Signo: uint32(info.Signo),
		Errno: info.Errno,
		Code:  info.Code,
	}
	sig, code := linux.Signal(info.Signo), info.Code
	switch layoutOf(sig, code) {
	case layoutKill:
		r.PID, r.UID = uint32(info.PID()), info.UID()
	case layoutTimer:
		r.TID, r.Overrun = uint32(info.TimerID()), uint32(info.Overrun())
		r.Ptr, r.Int = info.Value(), int32(info.Value())
	case layoutPoll:
		r.Band, r.FD = uint32(info.Band()), info.FD()
	case layoutFault:
		r.Addr = info.Addr()
		if sig == linux.SIGBUS && (code == linux.BUS_MCEERR_AR || code == linux.BUS_MCEERR_AO) {
			r.AddrLSB = info.AddrLSB()
		}
	case layoutChld:
		r.PID, r.UID = uint32(info.PID()), info.UID()
		r.Status = info.Status()
		r.Utime, r.Stime = info.Utime(), info.Stime()
	case layoutRT:
		r.PID, r.UID = uint32(info.PID()), info.UID()
		r.Ptr, r.Int = info.Value(), int32(info.Value())
	case layoutSys:
		r.CallAddr, r.Syscall, r.Arch = info.CallAddr(), info.Syscall(), info.Arch()
	}
	return r
}

// layout is which member of siginfo's union a signal uses (Linux's enum
// siginfo_layout, with the fault variants folded together).
type layout int

const (
	layoutKill layout = iota
	layoutTimer
	layoutPoll
	layoutFault
	layoutChld
	layoutRT
	layoutSys
)

// codeLayouts are the signals whose own positive si_codes (1..limit)
// select a union member.
var codeLayouts = map[linux.Signal]struct {
	limit  int32
	layout layout
}{
	linux.SIGILL:  {linux.NSIGILL, layoutFault},
	linux.SIGFPE:  {linux.NSIGFPE, layoutFault},
	linux.SIGSEGV: {linux.NSIGSEGV, layoutFault},
	linux.SIGBUS:  {linux.NSIGBUS, layoutFault},
	linux.SIGTRAP: {linux.NSIGTRAP, layoutFault},
	linux.SIGCHLD: {linux.NSIGCHLD, layoutChld},
	linux.SIGIO:   {linux.NSIGPOLL, layoutPoll},
	linux.SIGSYS:  {linux.NSIGSYS, layoutSys},
}

func layoutOf(sig linux.Signal, code int32) layout {
	if code > linux.SI_USER && code < linux.SI_KERNEL {
		if l, ok := codeLayouts[sig]; ok && code <= l.limit {
			return l.layout
		}
		if code <= linux.NSIGPOLL {
			return layoutPoll
		}
		return layoutKill
	}
	switch {
	case code == linux.SI_TIMER:
		return layoutTimer
	case code == linux.SI_SIGIO:
		return layoutPoll
	case code < 0:
		return layoutRT
	}
	return layoutKill
}

func (f *File) nonblocking() bool { return f.StatusFlags()&linux.O_NONBLOCK != 0 }

// Write implements vfs.FileDescription: a signalfd has no write operation.
func (f *File) Write(vfs.Blocker, []byte) (int, error) { return 0, linux.EINVAL }

// PRead implements vfs.FileDescription.
func (f *File) PRead(vfs.Blocker, []byte, int64) (int, error) { return 0, linux.ESPIPE }

// PWrite implements vfs.FileDescription.
func (f *File) PWrite(vfs.Blocker, []byte, int64) (int, error) { return 0, linux.ESPIPE }

// Seek implements vfs.FileDescription: Linux's signalfd uses noop_llseek.
func (f *File) Seek(int64, int) (int64, error) { return 0, nil }

// Stat implements vfs.FileDescription.
func (f *File) Stat() (linux.Stat, error) { return eventfd.AnonStat(), nil }

// Ioctl implements vfs.FileDescription.
func (f *File) Ioctl(usermem.IO, uint32, uint64) (uint64, error) { return 0, linux.ENOTTY }

// FDName is what /proc/PID/fd/N shows.
func (f *File) FDName() string { return "anon_inode:[signalfd]" }

// Readiness implements vfs.Waitable: readable while a signal in the mask
// is pending for the owner or its process.
func (f *File) Readiness(mask uint32) uint32 {
	if f.owner.PendingSignalsUnlocked()&f.Mask() != 0 {
		return linux.EPOLLIN & mask
	}
	return 0
}

// release detaches the file from the owner's signal queues; the file's
// last DecRef calls it.
func (f *File) release() {
	thread, group := f.owner.SignalWaiters()
	thread.EventUnregister(f.threadEntry)
	group.EventUnregister(f.groupEntry)
}
