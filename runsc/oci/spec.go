// Package oci reads and checks OCI bundles: a bundle's config.json decoded
// into the runtime-spec Go types and validated against what runsc
// supports, each problem reported as one clear error naming the field. It
// also builds the default configuration that `runsc spec` writes.
//
// It must not start processes and must not touch container state: that is
// runsc/container's job. Specs handed to other packages are deep copies
// (github.com/mohae/deepcopy), so nobody shares a mutable spec.
package oci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mohae/deepcopy"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ConfigName is the name of a bundle's configuration file.
const ConfigName = "config.json"

// LoadBundle reads and validates the configuration of the bundle in dir.
// It returns the bundle's absolute path with the spec.
func LoadBundle(dir string) (string, *specs.Spec, error) {
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, fmt.Errorf("bundle %q: %w", dir, err)
	}
	b, err := os.ReadFile(filepath.Join(abs, ConfigName))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil, fmt.Errorf("bundle %q: no %s", abs, ConfigName)
		}
		return "", nil, fmt.Errorf("bundle %q: %w", abs, err)
	}
	s, err := DecodeSpec(b)
	if err != nil {
		return "", nil, fmt.Errorf("bundle %q: %s: %w", abs, ConfigName, err)
	}
	if err := Validate(s, abs); err != nil {
		return "", nil, fmt.Errorf("bundle %q: %s: %w", abs, ConfigName, err)
	}
	return abs, s, nil
}

// DecodeSpec decodes a config.json. Unknown fields are allowed, as the
// runtime spec asks of runtimes; anything else that is not the spec's
// shape is an error.
func DecodeSpec(b []byte) (*specs.Spec, error) {
	var s specs.Spec
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("invalid JSON: data after the top-level object")
	}
	return &s, nil
}

// Copy returns a deep copy of s.
func Copy(s *specs.Spec) *specs.Spec {
	return deepcopy.Copy(s).(*specs.Spec)
}

// RootfsPath returns the host path of the spec's root file system.
func RootfsPath(s *specs.Spec, bundle string) string {
	p := s.Root.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(bundle, p)
	}
	return filepath.Clean(p)
}

// Mount types runsc understands. Bind mounts may also be given as type
// "none" (or no type) with a "bind" or "rbind" option.
var (
	supportedMountTypes = map[string]bool{
		"bind": true, "tmpfs": true, "proc": true, "sysfs": true, "devpts": true,
	}
	// ignoredMountTypes are accepted and not mounted: the sandbox has
	// its own (or no) equivalent. mqueue: POSIX message queues are not
	// implemented; cgroup: the sandbox shows no cgroup hierarchy.
	ignoredMountTypes = map[string]bool{"mqueue": true, "cgroup": true, "cgroup2": true}
)

// IsBindMount reports whether m is a bind mount.
func IsBindMount(m specs.Mount) bool {
	if m.Type == "bind" {
		return true
	}
	if m.Type == "" || m.Type == "none" {
		for _, o := range m.Options {
			if o == "bind" || o == "rbind" {
				return true
			}
		}
	}
	return false
}

// IsIgnoredMount reports whether m is of a type that runsc accepts and
// does not mount.
func IsIgnoredMount(m specs.Mount) bool { return ignoredMountTypes[m.Type] }

// Validate checks s for what runsc needs and supports. bundle is the
// bundle's absolute path.
func Validate(s *specs.Spec, bundle string) error {
	if s.Version == "" {
		return errors.New("ociVersion is missing")
	}
	if !strings.HasPrefix(s.Version, "1.") {
		return fmt.Errorf("ociVersion %q is not supported (want 1.x)", s.Version)
	}
	if s.Root == nil || s.Root.Path == "" {
		return errors.New("root.path is missing")
	}
	root := RootfsPath(s, bundle)
	st, err := os.Stat(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("root.path %q: no such directory", root)
		}
		return fmt.Errorf("root.path %q: %w", root, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("root.path %q: not a directory", root)
	}
	if err := validateProcess(s.Process); err != nil {
		return err
	}
	for i, m := range s.Mounts {
		if err := validateMount(m, bundle); err != nil {
			return fmt.Errorf("mounts[%d]: %w", i, err)
		}
	}
	if s.Linux != nil {
		seen := map[specs.LinuxNamespaceType]bool{}
		for _, ns := range s.Linux.Namespaces {
			switch ns.Type {
			case specs.PIDNamespace, specs.NetworkNamespace, specs.MountNamespace,
				specs.IPCNamespace, specs.UTSNamespace, specs.UserNamespace,
				specs.CgroupNamespace, specs.TimeNamespace:
			default:
				return fmt.Errorf("linux.namespaces: unknown type %q", ns.Type)
			}
			if seen[ns.Type] {
				return fmt.Errorf("linux.namespaces: %q given twice", ns.Type)
			}
			seen[ns.Type] = true
		}
	}
	return nil
}

// validateProcess checks the container's process (required for create).
func validateProcess(p *specs.Process) error {
	if p == nil {
		return errors.New("process is missing")
	}
	if len(p.Args) == 0 || p.Args[0] == "" {
		return errors.New("process.args is empty")
	}
	if p.Cwd == "" || !filepath.IsAbs(p.Cwd) {
		return fmt.Errorf("process.cwd %q is not an absolute path", p.Cwd)
	}
	for _, e := range p.Env {
		if !strings.Contains(e, "=") {
			return fmt.Errorf("process.env: %q is not NAME=VALUE", e)
		}
	}
	if _, err := Capabilities(p.Capabilities); err != nil {
		return err
	}
	if _, err := Rlimits(p.Rlimits); err != nil {
		return err
	}
	for _, r := range p.Rlimits {
		if r.Soft > r.Hard {
			return fmt.Errorf("process.rlimits: %s soft limit %d above hard limit %d", r.Type, r.Soft, r.Hard)
		}
	}
	return nil
}

// validateMount checks one entry of mounts: its type, its options and,
// for a bind mount, that the source exists.
func validateMount(m specs.Mount, bundle string) error {
	if m.Destination == "" || !filepath.IsAbs(m.Destination) {
		return fmt.Errorf("destination %q is not an absolute path", m.Destination)
	}
	if IsBindMount(m) {
		if m.Source == "" {
			return fmt.Errorf("bind mount on %q has no source", m.Destination)
		}
		if filepath.Clean(m.Destination) == "/" {
			return errors.New("bind mount on \"/\": the root is root.path")
		}
		if _, err := ParseMountOptions(m); err != nil {
			return err
		}
		return checkBindSource(m, BindSource(m, bundle))
	}
	if ignoredMountTypes[m.Type] {
		return nil
	}
	if supportedMountTypes[m.Type] {
		if filepath.Clean(m.Destination) == "/" {
			return fmt.Errorf("mount of type %q on \"/\": the root is root.path", m.Type)
		}
		_, err := ParseMountOptions(m)
		return err
	}
	return fmt.Errorf("mount on %q: unknown type %q", m.Destination, m.Type)
}

// rlimits maps the spec's RLIMIT_* names to Linux's numbers.
var rlimits = map[string]int{
	"RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3,
	"RLIMIT_CORE": 4, "RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7,
	"RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9, "RLIMIT_LOCKS": 10, "RLIMIT_SIGPENDING": 11,
	"RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13, "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
}

// RlimitNumber returns the resource number of an RLIMIT_* name.
func RlimitNumber(name string) (int, bool) {
	n, ok := rlimits[name]
	return n, ok
}
