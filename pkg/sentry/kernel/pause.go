package kernel

import "sync"

// Pausing the whole sandbox (`runsc pause`, the OCI freeze): once Pause
// returns, every task stops at its next return to application code and
// stays there until Resume. A task blocked in a system call stays blocked
// and stops when the call returns; time, timers and signals go on, and a
// signal that ends a process (SIGKILL) ends it even while paused.

// pauseState is the kernel's pause switch.
type pauseState struct {
	mu sync.Mutex
	// resume is closed by Resume; it is nil when not paused.
	resume chan struct{}
}

// Pause stops every task at its next return to application code.
func (k *Kernel) Pause() {
	k.pause.mu.Lock()
	if k.pause.resume == nil {
		k.pause.resume = make(chan struct{})
	}
	k.pause.mu.Unlock()
	k.mu.Lock()
	tasks := make([]*Task, 0, len(k.tasks))
	for _, t := range k.tasks {
		tasks = append(tasks, t)
	}
	k.mu.Unlock()
	for _, t := range tasks {
		t.interrupt()
	}
}

// Resume lets paused tasks run again.
func (k *Kernel) Resume() {
	k.pause.mu.Lock()
	defer k.pause.mu.Unlock()
	if k.pause.resume != nil {
		close(k.pause.resume)
		k.pause.resume = nil
	}
}

// Paused reports whether the kernel is paused.
func (k *Kernel) Paused() bool {
	k.pause.mu.Lock()
	defer k.pause.mu.Unlock()
	return k.pause.resume != nil
}

// pausePoint blocks t while the kernel is paused, or until t has a reason
// to stop waiting (it must exit, or a signal arrived, which the caller
// handles before application code runs). It reports whether it waited.
func (t *Task) pausePoint() bool {
	waited := false
	for {
		t.k.pause.mu.Lock()
		resume := t.k.pause.resume
		t.k.pause.mu.Unlock()
		if resume == nil {
			return waited
		}
		waited = true
		select {
		case <-resume:
			return true
		case <-t.interruptC:
			if t.mustExit() {
				return true
			}
		}
	}
}

// mustExit reports whether t or its process is exiting.
func (t *Task) mustExit() bool {
	t.tg.mu.Lock()
	defer t.tg.mu.Unlock()
	return t.exited || t.tg.exiting
}
