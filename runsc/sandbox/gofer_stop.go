package sandbox

import (
	"os"
	"time"

	"bulwark.dev/bulwark/pkg/log"
)

// goferExitGrace is how long StopGofer waits for the gofer to notice that
// its connection closed before killing it.
const goferExitGrace = 2 * time.Second

// StopGofer waits for the gofer process to exit (it does once every
// connection to it is closed) and kills it if it has not after a grace
// period, so that no gofer outlives runsc. proc may be nil.
func StopGofer(proc *os.Process) {
	if proc == nil {
		return
	}
	done := make(chan struct{})
	go func() {
		proc.Wait()
		close(done)
	}()
	select {
	case <-done:
		return
	case <-time.After(goferExitGrace):
	}
	log.Warningf("sandbox: gofer pid %d did not exit with its connection; killing it", proc.Pid)
	proc.Kill()
	<-done
}
