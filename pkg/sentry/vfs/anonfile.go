package vfs

import (
	"fmt"
	"sync/atomic"

	"bulwark.dev/bulwark/pkg/sentry/waiter"
)

// AnonFile is what every file outside a file system (eventfd, timerfd,
// signalfd, epoll) has in common: a reference count, the status flags and
// the waiter queue behind Waitable. Embedding it provides IncRef, DecRef,
// StatusFlags, SetStatusFlags, EventRegister and EventUnregister; the file
// notifies Queue when its readiness changes.
//
// The last DecRef releases Queue (so that epoll sets holding the file
// without a reference forget it, as Linux does on the last close), then
// calls the release function given to InitAnon.
type AnonFile struct {
	refs    atomic.Int64
	flags   atomic.Uint32
	name    string
	release func()
	// Queue is notified with the events whose readiness may have
	// changed.
	Queue waiter.Queue
}

// InitAnon sets one reference and the status flags. name ("eventfd") is
// for the panic of a use after release; release, if not nil, runs at the
// last DecRef.
func (a *AnonFile) InitAnon(name string, flags uint32, release func()) {
	a.name, a.release = name, release
	a.flags.Store(flags)
	a.refs.Store(1)
}

// StatusFlags implements FileDescription.
func (a *AnonFile) StatusFlags() uint32 { return a.flags.Load() }

// SetStatusFlags implements FileDescription: only the F_SETFL flags
// change.
func (a *AnonFile) SetStatusFlags(flags uint32) error {
	setStatusFlags(&a.flags, flags)
	return nil
}

// IncRef implements FileDescription.
func (a *AnonFile) IncRef() {
	if a.refs.Add(1) <= 1 {
		panic(a.name + ": IncRef of released file")
	}
}

// DecRef implements FileDescription.
func (a *AnonFile) DecRef() {
	switch r := a.refs.Add(-1); {
	case r == 0:
		a.Queue.Release()
		if a.release != nil {
			a.release()
		}
	case r < 0:
		panic(fmt.Sprintf("%s: DecRef of released file (refs %d)", a.name, r))
	}
}

// EventRegister implements Waitable.
func (a *AnonFile) EventRegister(e *waiter.Entry) error {
	a.Queue.EventRegister(e)
	return nil
}

// EventUnregister implements Waitable.
func (a *AnonFile) EventUnregister(e *waiter.Entry) { a.Queue.EventUnregister(e) }
