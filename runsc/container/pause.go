package container

import (
	"errors"
	"fmt"

	"bulwark.dev/bulwark/runsc/config"
	"bulwark.dev/bulwark/runsc/control"
)

// Pause stops every process of running container id (they stay stopped,
// not even seeing signals other than SIGKILL, until Resume).
func Pause(conf *config.Config, id string) error {
	return transition(conf, id, Running, Paused, control.OpPause)
}

// Resume lets the processes of paused container id run again.
func Resume(conf *config.Config, id string) error {
	return transition(conf, id, Paused, Running, control.OpResume)
}

// transition moves container id from status from to status to by the
// control request op (start, pause, resume), under the container's lock.
func transition(conf *config.Config, id string, from, to Status, op string) error {
	lock, err := LockContainer(conf.RootDir, id)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	s, err := Load(conf.RootDir, id)
	if err != nil {
		return err
	}
	if s.Status != from {
		return fmt.Errorf("container %q is %s, not %s", id, s.Status, from)
	}
	if _, err := control.Call(Dir(conf.RootDir, id), &control.Request{Op: op}); err != nil {
		if errors.Is(err, control.ErrNoSandbox) {
			return fmt.Errorf("container %q is not running", id)
		}
		return fmt.Errorf("container %q: %s: %w", id, op, err)
	}
	s.Status = to
	return s.Save(conf.RootDir)
}
