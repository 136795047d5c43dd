// Package waiter is the sentry's event-notification queue: a file that can
// become ready (readable, writable, hung up...) owns a Queue and notifies
// it whenever its readiness may have changed; whoever waits for the file
// (poll, epoll, a blocking read) registers an Entry on the queue.
//
// Events are uint32 masks of the epoll/poll bits of pkg/abi/linux
// (EPOLLIN, EPOLLOUT...), whose values are the same for poll and epoll.
// A notification says only that readiness MAY have changed for the
// notified events: a waiter re-checks the file's readiness after every
// wake-up. The package does not know about files, tasks or signals, and
// must not block: notifications never wait for the waiter.
//
// Lock order: Queue.mu is held while an entry's notify function runs, so
// notify functions must not block and must not register or unregister
// entries on any queue; they may take leaf locks and Notify other queues
// (epoll does, for nested instances; the graph of such notifications must
// be acyclic, which epoll guarantees by refusing loops). Release calls the
// release functions without holding Queue.mu.
package waiter

import "sync"

// Entry is one waiter's registration on one queue. An entry is on at most
// one queue at a time.
type Entry struct {
	// mask selects the events that the entry is notified of. It is
	// immutable.
	mask uint32
	// notify is called, with the owning queue's lock held, with the
	// events of each matching notification.
	notify func(events uint32)
	// release, if non-nil, is called when the queue's owner is released
	// while the entry is registered (Queue.Release).
	release func()

	// The following are protected by the owning queue's mu.
	q          *Queue
	prev, next *Entry
}

// NewEntry returns an entry that calls notify with the events of each
// notification that matches mask, and release (if non-nil) when the file
// whose queue it is on is released.
func NewEntry(mask uint32, notify func(events uint32), release func()) *Entry {
	return &Entry{mask: mask, notify: notify, release: release}
}

// NewChannelEntry returns an entry that signals the returned channel
// (capacity 1, never closed) on each notification that matches mask.
// Several entries may share one channel: see NewChannelEntryFor.
func NewChannelEntry(mask uint32) (*Entry, chan struct{}) {
	ch := make(chan struct{}, 1)
	return NewChannelEntryFor(mask, ch), ch
}

// NewChannelEntryFor returns an entry that signals ch, without blocking,
// on each notification that matches mask.
func NewChannelEntryFor(mask uint32, ch chan struct{}) *Entry {
	return NewEntry(mask, func(uint32) {
		select {
		case ch <- struct{}{}:
		default:
		}
	}, nil)
}

// Mask returns the events the entry is notified of.
func (e *Entry) Mask() uint32 { return e.mask }

// Queue is the list of entries waiting for one file. The zero value is an
// empty queue.
type Queue struct {
	mu         sync.Mutex
	head, tail *Entry
}

// EventRegister adds e to the queue.
//
// Preconditions: e is not on any queue.
func (q *Queue) EventRegister(e *Entry) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if e.q != nil {
		panic("waiter: entry registered twice")
	}
	e.q = q
	e.prev, e.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = e
	} else {
		q.head = e
	}
	q.tail = e
}

// EventUnregister removes e from the queue. It is a no-op if e is not on
// it (for example because Release already detached it). Once it returns,
// e's notify function is not running and will not be called again.
func (q *Queue) EventUnregister(e *Entry) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if e.q != q {
		return
	}
	q.unlinkLocked(e)
}

// unlinkLocked removes e from the list.
//
// Preconditions: q.mu is held; e is on q.
func (q *Queue) unlinkLocked(e *Entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		q.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		q.tail = e.prev
	}
	e.q, e.prev, e.next = nil, nil, nil
}

// Notify tells every entry whose mask intersects events that the file's
// readiness for those events may have changed.
func (q *Queue) Notify(events uint32) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for e := q.head; e != nil; e = e.next {
		if e.mask&events != 0 {
			e.notify(events & e.mask)
		}
	}
}

// Release detaches every entry and calls the release function of those
// that have one, outside the queue's lock. The file that owns the queue
// calls it when its last reference is dropped, so that holders without a
// reference (epoll sets) forget it, as Linux does on the last close.
func (q *Queue) Release() {
	q.mu.Lock()
	var released []func()
	for e := q.head; e != nil; {
		next := e.next
		if e.release != nil {
			released = append(released, e.release)
		}
		e.q, e.prev, e.next = nil, nil, nil
		e = next
	}
	q.head, q.tail = nil, nil
	q.mu.Unlock()
	for _, fn := range released {
		fn()
	}
}

// Empty reports whether no entry is registered.
func (q *Queue) Empty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.head == nil
}
