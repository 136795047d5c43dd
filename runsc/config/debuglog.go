package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// DebugLogName is the file name a command's log gets when --debug-log names
// a directory: pid is the runsc invocation's host pid, command the
// subcommand the file is for ("do", "boot", ...).
func DebugLogName(pid int, command string) string {
	return fmt.Sprintf("runsc.%d.%s.log", pid, command)
}

// OpenDebugLog opens the --debug-log target for command, on behalf of the
// runsc invocation whose host pid is pid and the container id (for `runsc
// do`, a name of its own). It returns nil and no error when no --debug-log
// was given (the log then goes to stderr).
//
// In the target, %ID% stands for id and %COMMAND% for command, so that one
// setting can give each container and each command its own file (as
// `--debug-log=/var/log/runsc/%ID%/%COMMAND%.log`); a directory the target
// names is created if missing.
//
// A target that ends in "/" is a directory, created if missing, with one
// file per command named by DebugLogName; the file is created exclusively
// and, should a file of that name be left over from an earlier run with the
// same pid, appended to. Any other target is opened for appending, created
// if missing. No existing file is ever truncated.
func (c *Config) OpenDebugLog(pid int, id, command string) (*os.File, error) {
	if c.DebugLog == "" {
		return nil, nil
	}
	target := strings.NewReplacer("%ID%", id, "%COMMAND%", command).Replace(c.DebugLog)
	if !strings.HasSuffix(target, "/") {
		if target != c.DebugLog {
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return nil, fmt.Errorf("debug-log: create directory for %s: %w", target, err)
			}
		}
		fd, err := unix.Open(target, unix.O_WRONLY|unix.O_CREAT|unix.O_APPEND|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("debug-log: open %s: %w", target, err)
		}
		return os.NewFile(uintptr(fd), target), nil
	}

	dir := target
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("debug-log: create directory %s: %w", dir, err)
	}
	dirFD, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("debug-log: open directory %s: %w", dir, err)
	}
	defer unix.Close(dirFD)

	name := DebugLogName(pid, command)
	fd, err := unix.Openat(dirFD, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if errors.Is(err, unix.EEXIST) {
		fd, err = unix.Openat(dirFD, name, unix.O_WRONLY|unix.O_APPEND|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("debug-log: open %s%s: %w", dir, name, err)
	}
	return os.NewFile(uintptr(fd), dir+name), nil
}
