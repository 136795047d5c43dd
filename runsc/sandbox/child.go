package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// maxRequestSize bounds the boot request: argv and environment together
// may not exceed what execve(2) accepts by much, and a runaway request
// should fail cleanly rather than exhaust memory.
const maxRequestSize = 64 << 20

func encodeRequest(req *BootRequest) ([]byte, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("sandbox: encode boot request: %w", err)
	}
	if len(b) > maxRequestSize {
		return nil, fmt.Errorf("sandbox: boot request is %d bytes, more than %d", len(b), maxRequestSize)
	}
	return b, nil
}

// ReadBootRequest reads and decodes the request from the boot FD, and
// closes it.
func ReadBootRequest(fd int) (*BootRequest, error) {
	f := os.NewFile(uintptr(fd), "boot-request")
	if f == nil {
		return nil, fmt.Errorf("sandbox: boot request FD %d is not valid", fd)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxRequestSize+1))
	if err != nil {
		return nil, fmt.Errorf("sandbox: read boot request from FD %d: %w", fd, err)
	}
	if len(b) > maxRequestSize {
		return nil, fmt.Errorf("sandbox: boot request on FD %d is larger than %d bytes", fd, maxRequestSize)
	}
	req := &BootRequest{}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil {
		return nil, fmt.Errorf("sandbox: decode boot request: %w", err)
	}
	if len(req.Argv) == 0 {
		return nil, errors.New("sandbox: boot request has no argv")
	}
	return req, nil
}

// newRootDir is the directory that EnterEmptyRoot mounts the empty root on.
// Any existing directory does: the mount is made in the sandbox's private
// mount namespace, so the host's directory is neither changed nor covered
// for anyone else, and nothing is created on the host's disk.
const newRootDir = "/tmp"

// oldRootName is where the old root sits, inside the new root, between
// pivot_root and its detach.
const oldRootName = "old-root"

// EnterEmptyRoot makes the calling process's view of the host file system
// empty. It must run in a mount namespace of the sandbox's own (CLONE_NEWNS):
// it makes every mount private so nothing propagates back to the host,
// mounts a small tmpfs, pivots into it, detaches the old root, and makes the
// new root read-only. The working directory ends as "/".
//
// Every host path the sandbox process needs must be open before this call.
func EnterEmptyRoot() error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("sandbox: make mounts private: %w", err)
	}
	flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
	if err := unix.Mount("runsc-root", newRootDir, "tmpfs", flags, "size=64k,mode=0755"); err != nil {
		return fmt.Errorf("sandbox: mount tmpfs on %s: %w", newRootDir, err)
	}
	oldRoot := newRootDir + "/" + oldRootName
	if err := unix.Mkdir(oldRoot, 0o700); err != nil {
		return fmt.Errorf("sandbox: mkdir %s: %w", oldRoot, err)
	}
	if err := unix.PivotRoot(newRootDir, oldRoot); err != nil {
		return fmt.Errorf("sandbox: pivot_root(%s, %s): %w", newRootDir, oldRoot, err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("sandbox: chdir to new root: %w", err)
	}
	if err := unix.Unmount("/"+oldRootName, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("sandbox: detach old root: %w", err)
	}
	if err := unix.Rmdir("/" + oldRootName); err != nil {
		return fmt.Errorf("sandbox: remove old root mount point: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_RDONLY|flags, ""); err != nil {
		return fmt.Errorf("sandbox: remount new root read-only: %w", err)
	}
	return nil
}

// SetHostname sets the UTS node name; it must run in the sandbox's own UTS
// namespace.
func SetHostname(name string) error {
	if name == "" {
		return nil
	}
	if err := unix.Sethostname([]byte(name)); err != nil {
		return fmt.Errorf("sandbox: sethostname(%q): %w", name, err)
	}
	return nil
}

// SetParentDeathSignal asks the kernel to SIGKILL the calling process when
// its parent (runsc) dies.
func SetParentDeathSignal() error {
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("sandbox: prctl(PR_SET_PDEATHSIG): %w", err)
	}
	return nil
}

// CloseOnExec marks inherited FDs close-on-exec, so that processes the
// sentry starts (platform stubs) do not inherit them.
func CloseOnExec(fds ...int) {
	for _, fd := range fds {
		if fd >= 0 {
			unix.CloseOnExec(fd)
		}
	}
}
