package container

import (
	"fmt"
	"os"
	"path/filepath"

	"bulwark.dev/bulwark/runsc/config"
	"bulwark.dev/bulwark/runsc/oci"
	"bulwark.dev/bulwark/runsc/sandbox"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// specMounts turns the spec's mounts into what the sandbox makes, in the
// spec's order (mqueue and cgroup mounts are skipped), and the bind
// mounts the gofer serves, each on a socket of its own (Mount.GoferIndex
// indexes them). A bind source is a host directory or regular file, read
// through the gofer (read-only for "ro", or when --overlay2=all:... keeps
// a directory's writes in the sandbox), never opened by the sandbox.
func specMounts(spec *specs.Spec, bundle string, ov config.Overlay2) ([]sandbox.Mount, []sandbox.GoferMount, error) {
	var mounts []sandbox.Mount
	var binds []sandbox.GoferMount
	for i, m := range spec.Mounts {
		if oci.IsIgnoredMount(m) {
			continue
		}
		o, err := oci.ParseMountOptions(m)
		if err != nil {
			return nil, nil, fmt.Errorf("mounts[%d]: %w", i, err)
		}
		sm := sandbox.Mount{
			Destination: filepath.Clean(m.Destination),
			Type:        m.Type,
			Source:      m.Source,
			ReadOnly:    o.ReadOnly,
			NoSuid:      o.NoSuid,
			NoDev:       o.NoDev,
			NoExec:      o.NoExec,
		}
		if oci.IsBindMount(m) {
			src := oci.BindSource(m, bundle)
			st, err := os.Stat(src)
			if err != nil {
				return nil, nil, fmt.Errorf("mounts[%d]: bind mount on %q: source: %w", i, m.Destination, err)
			}
			sm.Type, sm.Source = "bind", src
			sm.File = !st.IsDir()
			sm.GoferIndex = len(binds)
			binds = append(binds, sandbox.GoferMount{
				Source:    src,
				ReadOnly:  o.ReadOnly || (ov.Scope == "all" && st.IsDir()),
				Recursive: o.Recursive,
			})
		} else if m.Type == "tmpfs" {
			sm.Size, sm.UID, sm.GID, sm.Inodes = o.Size, o.UID, o.GID, o.Inodes
			if o.HasMode {
				sm.Mode = o.Mode
			}
		}
		mounts = append(mounts, sm)
	}
	return mounts, binds, nil
}
