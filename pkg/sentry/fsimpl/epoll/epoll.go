// Package epoll implements epoll instances: files that watch a set of
// waitable files (vfs.Waitable) and report which are ready, level- or
// edge-triggered, optionally one-shot, as Linux's fs/eventpoll.c does.
//
// It owns the interest set, the ready list and the wait. It must not know
// about FD tables, tasks or signals: the syscall layer resolves FDs, and
// waits block through a vfs.ChannelBlocker.
//
// How readiness reaches an instance: each item registers a waiter.Entry
// on its file; the file's notification puts the item on the ready list
// and wakes the instance's own queue (which epoll_wait and any enclosing
// epoll or poll wait on). A wait re-checks each ready item's Readiness
// before reporting it. Files that cannot notify (vfs.Unnotified: host
// FDs) are re-checked on every harvest and, while the instance holds one,
// blocked waits wake every RepollInterval to look again. Edge-triggered
// items on such files report rising edges of their readiness.
//
// EPOLLEXCLUSIVE is validated as Linux does, but a notification wakes
// every instance that watches the file, which epoll(7)'s "one or more"
// allows.
//
// Items hold their file without a reference, like Linux: a file's last
// DecRef releases its waiter queue, which removes it from every set
// (Unnotified files are dropped when a harvest sees them Released).
//
// Lock order: nestMu > EventPoll.interestMu > a file's waiter.Queue lock
// > EventPoll.readyMu. Notification callbacks take readyMu only and
// release it before notifying the instance's queue, so nested instances
// never hold two readyMu at once on the notification path; a harvest
// holds readyMu while calling Readiness on its files, which takes the
// nested instances' readyMu (outer before inner: loops are refused).
package epoll

import (
	"sync"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/eventfd"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/sentry/waiter"
	"bulwark.dev/bulwark/pkg/usermem"
)

// RepollInterval is how often a blocked wait re-checks files that cannot
// notify their readiness (host FDs).
const RepollInterval = 10 * time.Millisecond

// nestMu serializes the insertion of epoll instances into epoll instances
// and protects every EventPoll.parents, so that the loop and depth checks
// see a stable graph (Linux's epnested_mutex).
var nestMu sync.Mutex

// key identifies an item: Linux keys items by (file, fd), so a dup of a
// watched fd can be added separately.
type key struct {
	file vfs.FileDescription
	fd   int32
}

// item is one watched file in an instance.
type item struct {
	ep    *EventPoll
	key   key
	w     vfs.Waitable
	entry *waiter.Entry
	// unnotified is w as vfs.Unnotified, or nil.
	unnotified vfs.Unnotified
	// child is w as *EventPoll, or nil.
	child *EventPoll

	// The following are protected by ep.readyMu.
	// mask is the requested events with EPOLLERR|EPOLLHUP and the
	// private flag bits; a fired one-shot item keeps only the flags.
	mask uint32
	data uint64
	// lastRevents is the readiness last seen by a harvest, for edge
	// detection on unnotified files.
	lastRevents uint32
	onReady     bool
	removed     bool
	prev, next  *item
}

// events returns the event bits of the item's mask.
//
// Preconditions: it.ep.readyMu is held.
func (it *item) events() uint32 { return it.mask &^ linux.EP_PRIVATE_BITS }

// EventPoll is an epoll instance; it is a vfs.FileDescription.
type EventPoll struct {
	// AnonFile's Queue is notified with EPOLLIN when an item may have
	// become ready: epoll_wait and enclosing instances wait on it.
	vfs.AnonFile

	// parents counts, for each instance that has this one as an item,
	// the number of such items. Protected by nestMu.
	parents map[*EventPoll]int

	interestMu sync.Mutex
	interest   map[key]*item
	// repoll holds the items whose files are vfs.Unnotified.
	repoll map[*item]struct{}

	readyMu              sync.Mutex
	readyHead, readyTail *item
}

var (
	_ vfs.FileDescription = (*EventPoll)(nil)
	_ vfs.Unnotified      = (*EventPoll)(nil)
)

// New returns an empty instance holding one reference.
func New() *EventPoll {
	ep := &EventPoll{
		parents:  make(map[*EventPoll]int),
		interest: make(map[key]*item),
		repoll:   make(map[*item]struct{}),
	}
	ep.InitAnon("epoll", linux.O_RDWR, ep.release)
	return ep
}

// pushReadyLocked appends it to the ready list.
//
// Preconditions: ep.readyMu is held; it is not on the list.
func (ep *EventPoll) pushReadyLocked(it *item) {
	it.onReady = true
	it.prev, it.next = ep.readyTail, nil
	if ep.readyTail != nil {
		ep.readyTail.next = it
	} else {
		ep.readyHead = it
	}
	ep.readyTail = it
}

// unlinkReadyLocked removes it from the ready list.
//
// Preconditions: ep.readyMu is held; it is on the list.
func (ep *EventPoll) unlinkReadyLocked(it *item) {
	if it.prev != nil {
		it.prev.next = it.next
	} else {
		ep.readyHead = it.next
	}
	if it.next != nil {
		it.next.prev = it.prev
	} else {
		ep.readyTail = it.prev
	}
	it.onReady, it.prev, it.next = false, nil, nil
}

// notify is an item's waiter callback: the file's readiness for events
// may have changed.
func (it *item) notify(events uint32) {
	ep := it.ep
	ep.readyMu.Lock()
	if it.removed || events&it.events() == 0 {
		ep.readyMu.Unlock()
		return
	}
	if !it.onReady {
		ep.pushReadyLocked(it)
	}
	ep.readyMu.Unlock()
	ep.Queue.Notify(linux.EPOLLIN)
}

// Ctl implements epoll_ctl(2) once both FDs are resolved: op on file
// (installed at fd) with ev (ignored for EPOLL_CTL_DEL). The instance
// does not take a reference on file.
func (ep *EventPoll) Ctl(op int32, file vfs.FileDescription, fd int32, ev linux.EpollEvent) error {
	if err := CanWatch(file); err != nil {
		return err
	}
	w := file.(vfs.Waitable)
	if file == vfs.FileDescription(ep) {
		return linux.EINVAL
	}
	child, isEpoll := file.(*EventPoll)
	if op != linux.EPOLL_CTL_DEL && ev.Events&linux.EPOLLEXCLUSIVE != 0 {
		if op == linux.EPOLL_CTL_MOD {
			return linux.EINVAL
		}
		if op == linux.EPOLL_CTL_ADD && (isEpoll || ev.Events&^linux.EPOLLEXCLUSIVE_OK_BITS != 0) {
			return linux.EINVAL
		}
	}
	k := key{file, fd}
	switch op {
	case linux.EPOLL_CTL_ADD:
		if isEpoll {
			nestMu.Lock()
			defer nestMu.Unlock()
			if ep.loopCheckLocked(child) {
				return linux.ELOOP
			}
		} else {
			child = nil
		}
		return ep.add(k, w, child, ev)
	case linux.EPOLL_CTL_MOD:
		return ep.modify(k, ev)
	case linux.EPOLL_CTL_DEL:
		ep.interestMu.Lock()
		it, ok := ep.interest[k]
		ep.interestMu.Unlock()
		if !ok {
			return linux.ENOENT
		}
		ep.remove(it)
		return nil
	}
	return linux.EINVAL
}

// pollable is implemented by waitable files that may turn out not to
// support poll after all (host FDs of files without poll support).
type pollable interface{ Pollable() bool }

// CanWatch reports whether file can be added to an epoll set: EPERM if it
// cannot be polled (regular files, in Linux). epoll_ctl checks it before
// anything but the FDs' validity.
func CanWatch(file vfs.FileDescription) error {
	if _, ok := file.(vfs.Waitable); !ok {
		return linux.EPERM
	}
	if p, ok := file.(pollable); ok && !p.Pollable() {
		return linux.EPERM
	}
	return nil
}

// add inserts a new item.
//
// Preconditions: nestMu is held if child is non-nil.
func (ep *EventPoll) add(k key, w vfs.Waitable, child *EventPoll, ev linux.EpollEvent) error {
	ep.interestMu.Lock()
	if _, ok := ep.interest[k]; ok {
		ep.interestMu.Unlock()
		return linux.EEXIST
	}
	it := &item{
		ep:    ep,
		key:   k,
		w:     w,
		child: child,
		mask:  ev.Events | linux.EPOLLERR | linux.EPOLLHUP,
		data:  ev.Data,
	}
	it.unnotified, _ = w.(vfs.Unnotified)
	it.entry = waiter.NewEntry(^uint32(0), it.notify, func() { ep.forget(it) })
	if err := w.EventRegister(it.entry); err != nil {
		ep.interestMu.Unlock()
		return err
	}
	ep.interest[k] = it
	if it.unnotified != nil {
		ep.repoll[it] = struct{}{}
	}
	ep.interestMu.Unlock()
	if child != nil {
		child.parents[ep]++
	}
	ep.requeueIfReady(it)
	return nil
}

// requeueIfReady puts it on the ready list, and wakes waiters, if its file
// is ready for its events now.
func (ep *EventPoll) requeueIfReady(it *item) {
	ep.readyMu.Lock()
	mask := it.events()
	ep.readyMu.Unlock()
	if mask == 0 || it.w.Readiness(mask) == 0 {
		return
	}
	ep.readyMu.Lock()
	if it.removed || it.onReady {
		ep.readyMu.Unlock()
		return
	}
	ep.pushReadyLocked(it)
	ep.readyMu.Unlock()
	ep.Queue.Notify(linux.EPOLLIN)
}

// modify implements EPOLL_CTL_MOD.
func (ep *EventPoll) modify(k key, ev linux.EpollEvent) error {
	ep.interestMu.Lock()
	it, ok := ep.interest[k]
	ep.interestMu.Unlock()
	if !ok {
		return linux.ENOENT
	}
	ep.readyMu.Lock()
	if it.removed {
		// Deleted concurrently.
		ep.readyMu.Unlock()
		return linux.ENOENT
	}
	if it.mask&linux.EPOLLEXCLUSIVE != 0 {
		ep.readyMu.Unlock()
		return linux.EINVAL
	}
	it.mask = ev.Events | linux.EPOLLERR | linux.EPOLLHUP
	it.data = ev.Data
	it.lastRevents = 0
	ep.readyMu.Unlock()
	ep.requeueIfReady(it)
	return nil
}

// remove takes it out of the instance (EPOLL_CTL_DEL, or its file was
// released or found Released). It is a no-op if it is already gone.
func (ep *EventPoll) remove(it *item) {
	ep.interestMu.Lock()
	if ep.interest[it.key] != it {
		ep.interestMu.Unlock()
		return
	}
	delete(ep.interest, it.key)
	delete(ep.repoll, it)
	ep.interestMu.Unlock()
	it.w.EventUnregister(it.entry)
	ep.markRemoved(it)
}

// forget is an item's release callback: its file's last reference is
// gone and its waiter queue has already dropped the entry.
func (ep *EventPoll) forget(it *item) {
	ep.interestMu.Lock()
	if ep.interest[it.key] != it {
		ep.interestMu.Unlock()
		return
	}
	delete(ep.interest, it.key)
	delete(ep.repoll, it)
	ep.interestMu.Unlock()
	ep.markRemoved(it)
}

// markRemoved takes a deleted item off the ready list and out of its
// child's parents.
func (ep *EventPoll) markRemoved(it *item) {
	ep.readyMu.Lock()
	it.removed = true
	if it.onReady {
		ep.unlinkReadyLocked(it)
	}
	ep.readyMu.Unlock()
	if it.child != nil {
		nestMu.Lock()
		if it.child.parents[ep]--; it.child.parents[ep] <= 0 {
			delete(it.child.parents, ep)
		}
		nestMu.Unlock()
	}
}

// loopCheckLocked reports whether adding child to ep would make a loop or
// nest instances more than EP_MAX_NESTS deep (ELOOP), as Linux's
// ep_loop_check does.
//
// Preconditions: nestMu is held.
func (ep *EventPoll) loopCheckLocked(child *EventPoll) bool {
	depth := child.depthBelowLocked(ep, 0)
	return depth > linux.EP_MAX_NESTS || depth+1+ep.depthAboveLocked(0) > linux.EP_MAX_NESTS
}

// depthBelowLocked returns how many levels of instances ep holds below it,
// or more than EP_MAX_NESTS if target is among them.
//
// Preconditions: nestMu is held.
func (ep *EventPoll) depthBelowLocked(target *EventPoll, depth int) int {
	ep.interestMu.Lock()
	var children []*EventPoll
	// Instances are vfs.Unnotified, so every nested one is in repoll.
	for it := range ep.repoll {
		if it.child != nil {
			children = append(children, it.child)
		}
	}
	ep.interestMu.Unlock()
	result := 0
	for _, c := range children {
		if c == target || depth > linux.EP_MAX_NESTS {
			return linux.EP_MAX_NESTS + 1
		}
		result = max(result, c.depthBelowLocked(target, depth+1)+1)
		if result > linux.EP_MAX_NESTS {
			break
		}
	}
	return result
}

// depthAboveLocked returns how many levels of instances hold ep.
//
// Preconditions: nestMu is held.
func (ep *EventPoll) depthAboveLocked(depth int) int {
	result := 0
	for p := range ep.parents {
		if depth > linux.EP_MAX_NESTS {
			return linux.EP_MAX_NESTS + 1
		}
		result = max(result, p.depthAboveLocked(depth+1)+1)
	}
	return result
}

// repollItems returns the items whose files must be re-checked now, after
// dropping those whose files were released.
func (ep *EventPoll) repollItems() []*item {
	ep.interestMu.Lock()
	cands := make([]*item, 0, len(ep.repoll))
	for it := range ep.repoll {
		cands = append(cands, it)
	}
	ep.interestMu.Unlock()
	var out []*item
	for _, it := range cands {
		switch {
		case it.unnotified.Released():
			ep.remove(it)
		case it.unnotified.NeedsRepoll():
			out = append(out, it)
		}
	}
	return out
}

// Harvest reports up to max ready events through emit, which copies the
// i'th event out; an error from emit ends the harvest (the item stays
// ready) and is returned if no event was reported. It applies the
// edge-triggered and one-shot rules to what it reports.
func (ep *EventPoll) Harvest(max int, emit func(i int, ev linux.EpollEvent) error) (int, error) {
	repoll := ep.repollItems()
	ep.readyMu.Lock()
	defer ep.readyMu.Unlock()
	for _, it := range repoll {
		if !it.removed && !it.onReady && it.events() != 0 {
			ep.pushReadyLocked(it)
		}
	}
	var again []*item
	n := 0
	for it := ep.readyHead; it != nil && n < max; {
		next := it.next
		ep.unlinkReadyLocked(it)
		mask := it.events()
		var revents uint32
		if mask != 0 {
			revents = it.w.Readiness(mask) & mask
		}
		if it.unnotified != nil {
			rising := revents &^ it.lastRevents
			it.lastRevents = revents
			if it.mask&linux.EPOLLET != 0 && rising == 0 {
				revents = 0
			}
		}
		if revents == 0 {
			it = next
			continue
		}
		if err := emit(n, linux.EpollEvent{Events: revents, Data: it.data}); err != nil {
			// Put it back where it was, at the head.
			it.onReady, it.prev, it.next = true, nil, ep.readyHead
			if ep.readyHead != nil {
				ep.readyHead.prev = it
			} else {
				ep.readyTail = it
			}
			ep.readyHead = it
			if n == 0 {
				return 0, err
			}
			break
		}
		n++
		switch {
		case it.mask&linux.EPOLLONESHOT != 0:
			it.mask &= linux.EP_PRIVATE_BITS
		case it.mask&linux.EPOLLET == 0:
			again = append(again, it)
		}
		it = next
	}
	// Level-triggered items go after those not reached this time.
	for _, it := range again {
		if !it.onReady {
			ep.pushReadyLocked(it)
		}
	}
	return n, nil
}

// Wait implements epoll_wait once its arguments are checked: it harvests
// up to max events, blocking through b until there is one, the deadline
// passes (a zero deadline waits forever) or the wait is interrupted
// (EINTR: Linux never restarts epoll_wait). poll harvests once without
// waiting (timeout 0).
func (ep *EventPoll) Wait(b vfs.ChannelBlocker, max int, deadline time.Time, poll bool, emit func(i int, ev linux.EpollEvent) error) (int, error) {
	if n, err := ep.Harvest(max, emit); n > 0 || err != nil || poll {
		return n, err
	}
	e, ch := waiter.NewChannelEntry(linux.EPOLLIN)
	ep.Queue.EventRegister(e)
	defer ep.Queue.EventUnregister(e)
	for {
		if n, err := ep.Harvest(max, emit); n > 0 || err != nil {
			return n, err
		}
		d := deadline
		tick := ep.NeedsRepoll()
		if tick {
			d = time.Now().Add(RepollInterval)
			if !deadline.IsZero() && deadline.Before(d) {
				d = deadline
			}
		}
		switch err := b.Block(ch, d); err {
		case nil:
		case linux.ETIMEDOUT:
			if tick && (deadline.IsZero() || time.Now().Before(deadline)) {
				continue
			}
			// Like Linux, look once more after the timeout.
			return ep.Harvest(max, emit)
		default:
			// Events that are there win over the signal.
			if n, herr := ep.Harvest(max, emit); n > 0 || herr != nil {
				return n, herr
			}
			return 0, linux.EINTR
		}
	}
}

// Read implements vfs.FileDescription: epoll files cannot be read.
func (ep *EventPoll) Read(vfs.Blocker, []byte) (int, error) { return 0, linux.EINVAL }

// Write implements vfs.FileDescription.
func (ep *EventPoll) Write(vfs.Blocker, []byte) (int, error) { return 0, linux.EINVAL }

// PRead implements vfs.FileDescription.
func (ep *EventPoll) PRead(vfs.Blocker, []byte, int64) (int, error) { return 0, linux.ESPIPE }

// PWrite implements vfs.FileDescription.
func (ep *EventPoll) PWrite(vfs.Blocker, []byte, int64) (int, error) { return 0, linux.ESPIPE }

// Seek implements vfs.FileDescription: Linux uses noop_llseek.
func (ep *EventPoll) Seek(int64, int) (int64, error) { return 0, nil }

// Stat implements vfs.FileDescription.
func (ep *EventPoll) Stat() (linux.Stat, error) { return eventfd.AnonStat(), nil }

// Ioctl implements vfs.FileDescription.
func (ep *EventPoll) Ioctl(usermem.IO, uint32, uint64) (uint64, error) { return 0, linux.ENOTTY }

// Readiness implements vfs.Waitable: an instance is readable when one of
// its items would be reported.
func (ep *EventPoll) Readiness(mask uint32) uint32 {
	if mask&(linux.EPOLLIN|linux.EPOLLRDNORM) == 0 {
		return 0
	}
	cands := ep.repollItems()
	ep.readyMu.Lock()
	for it := ep.readyHead; it != nil; it = it.next {
		cands = append(cands, it)
	}
	type check struct {
		w    vfs.Waitable
		mask uint32
	}
	checks := make([]check, 0, len(cands))
	for _, it := range cands {
		if m := it.events(); !it.removed && m != 0 {
			checks = append(checks, check{it.w, m})
		}
	}
	ep.readyMu.Unlock()
	for _, c := range checks {
		if c.w.Readiness(c.mask) != 0 {
			return (linux.EPOLLIN | linux.EPOLLRDNORM) & mask
		}
	}
	return 0
}

// NeedsRepoll implements vfs.Unnotified: an instance must be re-checked
// while it (or an instance it holds) holds a file that cannot notify.
func (ep *EventPoll) NeedsRepoll() bool {
	ep.interestMu.Lock()
	cands := make([]vfs.Unnotified, 0, len(ep.repoll))
	for it := range ep.repoll {
		cands = append(cands, it.unnotified)
	}
	ep.interestMu.Unlock()
	for _, u := range cands {
		if u.NeedsRepoll() {
			return true
		}
	}
	return false
}

// Released implements vfs.Unnotified: an instance reports its release
// through its waiter queue.
func (ep *EventPoll) Released() bool { return false }

func (ep *EventPoll) release() {
	ep.interestMu.Lock()
	items := make([]*item, 0, len(ep.interest))
	for _, it := range ep.interest {
		items = append(items, it)
	}
	ep.interestMu.Unlock()
	for _, it := range items {
		ep.remove(it)
	}
}
