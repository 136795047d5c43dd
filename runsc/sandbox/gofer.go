package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"bulwark.dev/bulwark/pkg/log"
	"golang.org/x/sys/unix"
)

// Flags of `runsc gofer`. Like the boot flags, they are internal to the
// runsc binary: StartGofer writes them and runsc/cmd's gofer command reads
// them.
const (
	FlagGoferRoot     = "root"
	FlagGoferSockFD   = "sock-fd"
	FlagGoferReadOnly = "read-only"
	// FlagGoferDetached says the gofer must not die with its parent.
	FlagGoferDetached = "detached"
	// FlagGoferMounts is the JSON list of GoferMount that the gofer
	// serves besides the root, mount i on FD 4+i.
	FlagGoferMounts = "mounts"
)

// StartGofer starts `runsc gofer` (by re-executing /proc/self/exe) to serve
// the directory root over LISAFS, read-only if readOnly. The gofer runs in a
// new mount namespace (and a new user namespace mapping the caller to root
// when the caller is not root), where it pivots into a bind mount of root
// (see EnterGoferRoot), and it is killed (SIGKILL) if the thread that
// started it dies; see Start for what that means for the caller.
//
// It returns the sentry's end of the main LISAFS socket (a SOCK_SEQPACKET
// socket for lisafs.Connect, close-on-exec, owned by the caller) and the
// gofer process, which the caller must Wait for. The gofer exits when every
// copy of that socket is closed.
func StartGofer(root string, readOnly bool) (sentryEnd int, proc *os.Process, err error) {
	return startGofer("/proc/self/exe", root, readOnly)
}

// StartGoferDetached is StartGofer for a gofer that outlives the runsc that
// starts it (`runsc create`): it is not killed when that thread dies, and
// runs in a session of its own. It still exits when the sandbox closes its
// end of the socket.
func StartGoferDetached(root string, readOnly bool) (sentryEnd int, proc *os.Process, err error) {
	sentryEnd, _, proc, err = startGoferOpts("/proc/self/exe", GoferOptions{Root: root, ReadOnly: readOnly, Detached: true})
	return sentryEnd, proc, err
}

// startGofer is StartGofer with the runsc executable to run.
func startGofer(exe, root string, readOnly bool) (int, *os.Process, error) {
	sentryEnd, _, proc, err := startGoferOpts(exe, GoferOptions{Root: root, ReadOnly: readOnly})
	return sentryEnd, proc, err
}

// startGoferOpts starts the gofer as o says. It returns the sentry's end
// of the main socket and of one socket per bind mount, in o.Mounts' order.
func startGoferOpts(exe string, o GoferOptions) (int, []int, *os.Process, error) {
	root, readOnly, detached := o.Root, o.ReadOnly, o.Detached
	if root == "" {
		return -1, nil, nil, errors.New("sandbox: gofer: empty root path")
	}
	var sentryEnds []int
	closeEnds := func() {
		for _, fd := range sentryEnds {
			unix.Close(fd)
		}
	}
	// ExtraFiles[i] becomes FD 3+i in the gofer: the main socket, then
	// one socket per mount.
	var goferFiles []*os.File
	defer func() {
		for _, f := range goferFiles {
			f.Close()
		}
	}()
	for i := 0; i <= len(o.Mounts); i++ {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			closeEnds()
			return -1, nil, nil, fmt.Errorf("sandbox: gofer: socketpair: %w", err)
		}
		sentryEnds = append(sentryEnds, fds[0])
		goferFiles = append(goferFiles, os.NewFile(uintptr(fds[1]), "gofer-socket"))
	}

	args := []string{
		"runsc", "gofer",
		"--" + FlagGoferRoot + "=" + root,
		"--" + FlagGoferSockFD + "=" + strconv.Itoa(3),
	}
	if readOnly {
		args = append(args, "--"+FlagGoferReadOnly)
	}
	if len(o.Mounts) > 0 {
		b, err := json.Marshal(o.Mounts)
		if err != nil {
			closeEnds()
			return -1, nil, nil, fmt.Errorf("sandbox: gofer: encode mounts: %w", err)
		}
		args = append(args, "--"+FlagGoferMounts+"="+string(b))
	}
	cmd := &exec.Cmd{
		Path:       exe,
		Args:       args,
		Env:        []string{},
		Stderr:     os.Stderr,
		ExtraFiles: goferFiles,
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: unix.CLONE_NEWNS,
			Pdeathsig:  unix.SIGKILL,
		},
	}
	if detached {
		cmd.SysProcAttr.Pdeathsig = 0
		cmd.SysProcAttr.Setsid = true
		cmd.Args = append(cmd.Args, "--"+FlagGoferDetached)
	}
	if os.Geteuid() != 0 {
		uid, gid := os.Getuid(), os.Getgid()
		cmd.SysProcAttr.Cloneflags |= unix.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}}
		cmd.SysProcAttr.GidMappingsEnableSetgroups = false
	}
	log.Debugf("sandbox: starting gofer %v", args)
	if err := cmd.Start(); err != nil {
		closeEnds()
		return -1, nil, nil, fmt.Errorf("sandbox: start gofer: %w", err)
	}
	log.Debugf("sandbox: gofer has host pid %d", cmd.Process.Pid)
	return sentryEnds[0], sentryEnds[1:], cmd.Process, nil
}

// goferHiddenMounts are mount points under the gofer's root that are
// detached after the pivot when they are mounts: the sentry provides its
// own /proc, /sys and /dev, and the gofer must not serve the host's.
var goferHiddenMounts = []string{"/proc", "/sys", "/dev"}

// EnterGoferRoot makes root the calling process's "/" and nothing else
// reachable. It must run in a mount namespace of the gofer's own
// (CLONE_NEWNS): it makes every mount private so nothing propagates back to
// the host, bind-mounts root (with the mounts under it) on a staging
// directory, read-only throughout if readOnly, pivots into it, detaches the
// old root, and detaches /proc, /sys and /dev if they are mounts. The
// working directory ends as "/".
//
// The staging directory is newRootDir, for the reasons EnterEmptyRoot uses
// it; binding root onto itself would not do for root "/", as "/" would
// still resolve to the covered root.
func EnterGoferRoot(root string, readOnly bool) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("sandbox: gofer: make mounts private: %w", err)
	}
	if err := unix.Mount(root, newRootDir, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("sandbox: gofer: bind-mount %s on %s: %w", root, newRootDir, err)
	}
	if readOnly {
		if err := makeReadOnly(newRootDir); err != nil {
			return err
		}
	}
	if err := unix.Chdir(newRootDir); err != nil {
		return fmt.Errorf("sandbox: gofer: chdir %s: %w", newRootDir, err)
	}
	// pivot_root(".", ".") stacks the old root on top of the new one,
	// so no directory for it is needed inside root (which may be
	// read-only); detaching "." then leaves the new root.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("sandbox: gofer: pivot_root into %s: %w", root, err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("sandbox: gofer: detach old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("sandbox: gofer: chdir to new root: %w", err)
	}
	for _, m := range goferHiddenMounts {
		// EINVAL: not a mount point. ENOENT: not there. Either way there
		// is nothing to hide.
		if err := unix.Unmount(m, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
			return fmt.Errorf("sandbox: gofer: detach %s: %w", m, err)
		}
	}
	return nil
}

// makeReadOnly makes the mount at root and every mount under it read-only,
// with mount_setattr(2) where the kernel has it (5.12+), else the top one
// only (fsgofer refuses writes in read-only mode anyway).
func makeReadOnly(root string) error {
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	err := unix.MountSetattr(unix.AT_FDCWD, root, unix.AT_RECURSIVE, attr)
	if err == nil {
		return nil
	}
	if err != unix.ENOSYS {
		return fmt.Errorf("sandbox: gofer: make %s read-only: %w", root, err)
	}
	if err := unix.Mount("", root, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		return fmt.Errorf("sandbox: gofer: remount %s read-only: %w", root, err)
	}
	return nil
}
