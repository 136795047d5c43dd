package oci

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseMountOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		m       specs.Mount
		want    MountOptions
		wantErr string
	}{
		{"flags", specs.Mount{Type: "bind", Options: []string{"rbind", "ro", "nosuid", "nodev", "noexec", "rprivate"}},
			MountOptions{ReadOnly: true, NoSuid: true, NoDev: true, NoExec: true, Recursive: true}, ""},
		{"last wins", specs.Mount{Type: "bind", Options: []string{"ro", "rw", "noexec", "exec"}}, MountOptions{}, ""},
		{"tmpfs", specs.Mount{Type: "tmpfs", Options: []string{"size=64k", "mode=1777", "uid=1000", "gid=5", "nr_inodes=1k", "tmpcopyup"}},
			MountOptions{Size: 64 << 10, Mode: 0o1777, HasMode: true, UID: 1000, GID: 5, Inodes: 1024}, ""},
		{"size suffixes", specs.Mount{Type: "tmpfs", Options: []string{"size=2G"}}, MountOptions{Size: 2 << 30}, ""},
		{"size in bytes", specs.Mount{Type: "tmpfs", Options: []string{"size=4096"}}, MountOptions{Size: 4096}, ""},
		{"data of other types ignored", specs.Mount{Type: "devpts", Options: []string{"mode=0620", "ptmxmode=0666"}}, MountOptions{}, ""},
		{"bad size", specs.Mount{Type: "tmpfs", Options: []string{"size=50%"}}, MountOptions{}, `option "size=50%"`},
		{"size overflows", specs.Mount{Type: "tmpfs", Options: []string{"size=99999999999999999999g"}}, MountOptions{}, "invalid value"},
		{"bad mode", specs.Mount{Type: "tmpfs", Options: []string{"mode=17777"}}, MountOptions{}, "invalid value"},
		{"bad uid", specs.Mount{Type: "tmpfs", Options: []string{"uid=-1"}}, MountOptions{}, "invalid value"},
	} {
		got, err := ParseMountOptions(tc.m)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: ParseMountOptions = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

func TestBindSource(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"/abs/path/", "/abs/path"},
		{"rel", "/bundle/rel"},
		{"../up", "/up"},
	} {
		if got := BindSource(specs.Mount{Source: tc.src}, "/bundle"); got != tc.want {
			t.Errorf("BindSource(%q) = %q, want %q", tc.src, got, tc.want)
		}
	}
}
