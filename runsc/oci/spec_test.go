package oci

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// bundle writes a bundle with a rootfs directory and the given config.json
// text, and returns its path.
func bundle(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if config != "" {
		if err := os.WriteFile(filepath.Join(dir, ConfigName), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// specJSON returns the default spec changed by edit, as JSON.
func specJSON(t *testing.T, edit func(s *specs.Spec)) string {
	t.Helper()
	s := DefaultSpec(nil)
	if edit != nil {
		edit(s)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadBundle(t *testing.T) {
	for _, tc := range []struct {
		name    string
		config  func(t *testing.T) string
		wantErr string
	}{
		{"default", func(t *testing.T) string { return specJSON(t, nil) }, ""},
		{"no config", func(*testing.T) string { return "" }, "no config.json"},
		{"bad json", func(*testing.T) string { return `{"ociVersion": "1.0.2",` }, "invalid JSON"},
		{"trailing data", func(t *testing.T) string { return specJSON(t, nil) + "{}" }, "data after"},
		{"wrong type", func(*testing.T) string { return `{"ociVersion": 7}` }, "invalid JSON"},
		{"unknown fields are fine", func(t *testing.T) string {
			return strings.Replace(specJSON(t, nil), "{", `{"x-future": 1,`, 1)
		}, ""},
		{"no version", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) { s.Version = "" })
		}, "ociVersion is missing"},
		{"version 2", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) { s.Version = "2.0.0" })
		}, "not supported"},
		{"missing rootfs", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) { s.Root.Path = "nothere" })
		}, "no such directory"},
		{"no root", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) { s.Root = nil })
		}, "root.path is missing"},
		{"no process", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) { s.Process = nil })
		}, "process is missing"},
		{"no args", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) { s.Process.Args = nil })
		}, "process.args is empty"},
		{"relative cwd", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) { s.Process.Cwd = "tmp" })
		}, "process.cwd"},
		{"bad env", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) { s.Process.Env = append(s.Process.Env, "NOEQUALS") })
		}, "NAME=VALUE"},
		{"unknown rlimit", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) {
				s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_FOO"})
			})
		}, "unknown type \"RLIMIT_FOO\""},
		{"soft above hard", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) {
				s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 10, Hard: 5}}
			})
		}, "above hard limit"},
		{"unknown mount type", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "nfs4", Source: "srv:/"})
			})
		}, `unknown type "nfs4"`},
		{"relative mount destination", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "x", Type: "tmpfs"})
			})
		}, "not an absolute path"},
		{"bind without source", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "none", Options: []string{"rbind"}})
			})
		}, "has no source"},
		{"missing bind source", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "bind", Source: "/nonexistent/bulwark-src"})
			})
		}, `source "/nonexistent/bulwark-src" does not exist`},
		{"bind source not a file or directory", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "bind", Source: "/dev/null"})
			})
		}, "neither a directory nor a regular file"},
		{"bind on the root", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/", Type: "bind", Source: "/"})
			})
		}, "the root is root.path"},
		{"bad tmpfs mode", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/s", Type: "tmpfs", Options: []string{"mode=999"}})
			})
		}, `option "mode=999"`},
		{"relative bind source in the bundle", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) {
				s.Mounts = append(s.Mounts, specs.Mount{Destination: "/x", Type: "bind", Source: "rootfs"})
			})
		}, ""},
		{"unknown namespace", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "bogus"})
			})
		}, `unknown type "bogus"`},
		{"namespace twice", func(t *testing.T) string {
			return specJSON(t, func(s *specs.Spec) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.PIDNamespace})
			})
		}, "given twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := bundle(t, tc.config(t))
			abs, s, err := LoadBundle(dir)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("LoadBundle: %v", err)
				}
				if abs != dir || s == nil {
					t.Errorf("LoadBundle = %q, %v", abs, s)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("LoadBundle error %v, want one containing %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestMountKinds(t *testing.T) {
	for _, tc := range []struct {
		m             specs.Mount
		bind, ignored bool
	}{
		{specs.Mount{Type: "bind", Source: "/a"}, true, false},
		{specs.Mount{Type: "none", Source: "/a", Options: []string{"rbind", "ro"}}, true, false},
		{specs.Mount{Source: "/a", Options: []string{"bind"}}, true, false},
		{specs.Mount{Type: "tmpfs"}, false, false},
		{specs.Mount{Type: "mqueue"}, false, true},
	} {
		if got := IsBindMount(tc.m); got != tc.bind {
			t.Errorf("IsBindMount(%+v) = %v", tc.m, got)
		}
		if got := IsIgnoredMount(tc.m); got != tc.ignored {
			t.Errorf("IsIgnoredMount(%+v) = %v", tc.m, got)
		}
	}
}

func TestCopyIsDeep(t *testing.T) {
	s := DefaultSpec([]string{"echo", "hi"})
	c := Copy(s)
	c.Process.Args[0] = "changed"
	c.Mounts[0].Destination = "/changed"
	if s.Process.Args[0] != "echo" || s.Mounts[0].Destination != "/proc" {
		t.Errorf("the copy shares memory with the original")
	}
}

func TestRootfsPath(t *testing.T) {
	s := DefaultSpec(nil)
	if got := RootfsPath(s, "/b"); got != "/b/rootfs" {
		t.Errorf("relative root: %q", got)
	}
	s.Root.Path = "/abs/root/"
	if got := RootfsPath(s, "/b"); got != "/abs/root" {
		t.Errorf("absolute root: %q", got)
	}
}
