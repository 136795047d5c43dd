package oci

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// MountOptions is what a mount's options ask for, as runsc applies them.
type MountOptions struct {
	// ReadOnly, NoSuid, NoDev and NoExec are the mount flags ("ro",
	// "nosuid", "nodev", "noexec"; the last of "ro"/"rw", "suid"/
	// "nosuid"... given wins, as with mount(8)).
	ReadOnly, NoSuid, NoDev, NoExec bool
	// Recursive is "rbind": a bind mount shows the mounts under its
	// source too.
	Recursive bool
	// Tmpfs options: Size in bytes (0: unlimited), Mode of the root
	// directory (HasMode says it was given), UID and GID of its owner,
	// Inodes the most inodes (0: the default).
	Size    uint64
	Mode    uint32
	HasMode bool
	UID     uint32
	GID     uint32
	Inodes  uint64
}

// flagOptions are the options that set or clear a flag. Options that are
// neither these nor known to be harmless are ignored unless they have a
// value (key=value options are file system data; for tmpfs they are
// checked below).
var flagOptions = map[string]func(o *MountOptions){
	"ro":       func(o *MountOptions) { o.ReadOnly = true },
	"rw":       func(o *MountOptions) { o.ReadOnly = false },
	"nosuid":   func(o *MountOptions) { o.NoSuid = true },
	"suid":     func(o *MountOptions) { o.NoSuid = false },
	"nodev":    func(o *MountOptions) { o.NoDev = true },
	"dev":      func(o *MountOptions) { o.NoDev = false },
	"noexec":   func(o *MountOptions) { o.NoExec = true },
	"exec":     func(o *MountOptions) { o.NoExec = false },
	"rbind":    func(o *MountOptions) { o.Recursive = true },
	"bind":     func(o *MountOptions) {},
	"defaults": func(o *MountOptions) {},
}

// ParseMountOptions reads m's options. Propagation ("rprivate",
// "shared"...), time ("relatime", "strictatime"...) and engine-specific
// options (podman's "tmpcopyup") have no effect in the sandbox and are
// accepted. A tmpfs's size=, mode=, uid=, gid= and nr_inodes= must be
// valid; its other key=value options, and those of other types, are
// ignored.
func ParseMountOptions(m specs.Mount) (MountOptions, error) {
	var o MountOptions
	for _, opt := range m.Options {
		if set, ok := flagOptions[opt]; ok {
			set(&o)
			continue
		}
		key, val, ok := strings.Cut(opt, "=")
		if !ok || m.Type != "tmpfs" {
			continue
		}
		var err error
		switch key {
		case "size":
			o.Size, err = parseSize(val)
		case "nr_inodes":
			o.Inodes, err = parseSize(val)
		case "mode":
			var n uint64
			n, err = strconv.ParseUint(val, 8, 32)
			if err == nil && n > 0o7777 {
				err = errors.New("more than 07777")
			}
			o.Mode, o.HasMode = uint32(n), true
		case "uid", "gid":
			var n uint64
			n, err = strconv.ParseUint(val, 10, 32)
			if key == "uid" {
				o.UID = uint32(n)
			} else {
				o.GID = uint32(n)
			}
		}
		if err != nil {
			return MountOptions{}, fmt.Errorf("mount on %q: option %q: invalid value", m.Destination, opt)
		}
	}
	return o, nil
}

// parseSize reads a tmpfs size: bytes with an optional k, m or g suffix
// (powers of 1024), as tmpfs(5) has them. Percentages of memory are not
// supported.
func parseSize(s string) (uint64, error) {
	mult := uint64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		}
		if mult != 1 {
			s = s[:n-1]
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, err
	}
	if v > ^uint64(0)/mult {
		return 0, errors.New("too large")
	}
	return v * mult, nil
}

// BindSource returns the host path of bind mount m's source: relative
// sources are relative to the bundle, as runc has them.
func BindSource(m specs.Mount, bundle string) string {
	p := m.Source
	if !filepath.IsAbs(p) {
		p = filepath.Join(bundle, p)
	}
	return filepath.Clean(p)
}

// checkBindSource checks that the bind source at path exists and is a
// directory or a regular file (after symlinks).
func checkBindSource(m specs.Mount, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("bind mount on %q: source %q does not exist", m.Destination, path)
		}
		return fmt.Errorf("bind mount on %q: source %q: %w", m.Destination, path, err)
	}
	if !st.IsDir() && !st.Mode().IsRegular() {
		return fmt.Errorf("bind mount on %q: source %q is neither a directory nor a regular file", m.Destination, path)
	}
	return nil
}
