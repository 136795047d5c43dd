package kernel

// tgTimers are a thread group's interval timers (alarm, setitimer) and
// POSIX timers (timer_create). Filled in by the timers work.
type tgTimers struct{}

// releaseTimers stops every timer of tg; it is called once, when the last
// task of the group has exited.
func (tg *ThreadGroup) releaseTimers() {}

// execTimers applies execve's rules to tg's timers: POSIX timers are
// deleted, interval timers survive. Called by the task that commits the
// exec, once it is the group's only task.
func (tg *ThreadGroup) execTimers() {}
