package sandbox

import (
	"strconv"
	"strings"
)

// FlagGoferMountFDs names the sandbox's ends of the gofer's bind-mount
// sockets (StartGoferWithMounts), comma-separated, in Mount.GoferIndex
// order.
const FlagGoferMountFDs = "gofer-mount-fds"

// Mount is one of an OCI spec's mounts as the sandbox makes it (after
// the root), in the spec's order. It travels in the BootRequest.
type Mount struct {
	// Destination is the absolute path in the container.
	Destination string `json:"destination"`
	// Type is "bind", "tmpfs", "proc", "sysfs" or "devpts".
	Type string `json:"type"`
	// Source is what /proc/mounts shows as the mount's source.
	Source string `json:"source,omitempty"`
	// ReadOnly, NoSuid, NoDev and NoExec are the mount's flags.
	ReadOnly bool `json:"ro,omitempty"`
	NoSuid   bool `json:"nosuid,omitempty"`
	NoDev    bool `json:"nodev,omitempty"`
	NoExec   bool `json:"noexec,omitempty"`
	// GoferIndex, for a bind mount, is the index of its socket among
	// the gofer's mount sockets; File says its source is a regular file.
	GoferIndex int  `json:"gofer_index,omitempty"`
	File       bool `json:"file,omitempty"`
	// Tmpfs options: Size in bytes (0: unlimited), Mode of the root
	// (0: 01777), UID and GID of its owner, Inodes (0: the default).
	Size   uint64 `json:"size,omitempty"`
	Mode   uint32 `json:"mode,omitempty"`
	UID    uint32 `json:"uid,omitempty"`
	GID    uint32 `json:"gid,omitempty"`
	Inodes uint64 `json:"inodes,omitempty"`
}

// FormatFDs renders FDs as FlagGoferMountFDs takes them.
func FormatFDs(fds []int) string {
	s := make([]string, len(fds))
	for i, fd := range fds {
		s[i] = strconv.Itoa(fd)
	}
	return strings.Join(s, ",")
}

// ParseFDs reads a FlagGoferMountFDs value.
func ParseFDs(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var fds []int
	for _, f := range strings.Split(s, ",") {
		fd, err := strconv.Atoi(f)
		if err != nil || fd < 3 {
			return nil, &strconv.NumError{Func: "ParseFDs", Num: f, Err: strconv.ErrSyntax}
		}
		fds = append(fds, fd)
	}
	return fds, nil
}
