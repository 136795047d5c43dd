package kernel

import (
	"sync"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// signalHandlers is a table of signal actions. The threads of a process
// share one; so do processes created with CLONE_SIGHAND (and CLONE_VM),
// until one of them execs and gets a copy of its own.
//
// Lock order: ThreadGroup.mu, then signalHandlers.mu, a leaf. A thread
// group's pointer to its table changes only at execve, under its mu.
type signalHandlers struct {
	mu   sync.Mutex
	acts [linux.NSIG]linux.SigAction
}

// action returns the action of sig.
func (h *signalHandlers) action(sig linux.Signal) linux.SigAction {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.acts[sig]
}

// setAction makes a the action of sig and returns the previous one.
func (h *signalHandlers) setAction(sig linux.Signal, a linux.SigAction) linux.SigAction {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.acts[sig]
	h.acts[sig] = a
	return old
}

// takeForDelivery returns the action for delivering sig and, when that
// runs a handler registered with SA_RESETHAND, resets the action to the
// default in the same step (so that two processes sharing the table
// cannot both run a one-shot handler).
func (h *signalHandlers) takeForDelivery(sig linux.Signal) linux.SigAction {
	h.mu.Lock()
	defer h.mu.Unlock()
	act := h.acts[sig]
	if act.Handler != linux.SIG_DFL && act.Handler != linux.SIG_IGN && act.Flags&linux.SA_RESETHAND != 0 {
		h.acts[sig].Handler = linux.SIG_DFL
	}
	return act
}

// forceDefaultIfIgnored makes sig's action the default if it is ignored,
// for a fault signal that must not be lost.
func (h *signalHandlers) forceDefaultIfIgnored(sig linux.Signal, blocked bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if blocked || h.acts[sig].Handler == linux.SIG_IGN {
		h.acts[sig].Handler = linux.SIG_DFL
	}
}

// copy returns a private copy of the table (fork without CLONE_SIGHAND,
// execve of a process that shared it).
func (h *signalHandlers) copy() *signalHandlers {
	h.mu.Lock()
	defer h.mu.Unlock()
	return &signalHandlers{acts: h.acts}
}

// clear resets every action that is not SIG_IGN to the default
// (CLONE_CLEAR_SIGHAND).
func (h *signalHandlers) clear() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.acts {
		if h.acts[i].Handler != linux.SIG_IGN {
			h.acts[i] = linux.SigAction{}
		}
	}
}

// resetForExec sets caught signals to the default and drops every flag,
// mask and restorer, as execve does; ignored signals stay ignored.
func (h *signalHandlers) resetForExec() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.acts {
		a := &h.acts[i]
		if a.Handler != linux.SIG_IGN {
			a.Handler = linux.SIG_DFL
		}
		a.Flags, a.Restorer, a.Mask = 0, 0, 0
	}
}
