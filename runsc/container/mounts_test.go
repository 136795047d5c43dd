package container

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"bulwark.dev/bulwark/runsc/config"
	"bulwark.dev/bulwark/runsc/sandbox"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSpecMounts(t *testing.T) {
	bundle := t.TempDir()
	if err := os.Mkdir(filepath.Join(bundle, "vol"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "hosts"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	spec := &specs.Spec{Mounts: []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue"},
		{Destination: "/data/", Type: "none", Source: "vol", Options: []string{"rbind", "ro", "noexec"}},
		{Destination: "/etc/hosts", Type: "bind", Source: filepath.Join(bundle, "hosts")},
		{Destination: "/s", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m", "mode=700", "uid=5", "nosuid"}},
	}}
	wantMounts := []sandbox.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/data", Type: "bind", Source: filepath.Join(bundle, "vol"), ReadOnly: true, NoExec: true},
		{Destination: "/etc/hosts", Type: "bind", Source: filepath.Join(bundle, "hosts"), GoferIndex: 1, File: true},
		{Destination: "/s", Type: "tmpfs", Source: "tmpfs", NoSuid: true, Size: 1 << 20, Mode: 0o700, UID: 5},
	}
	for _, tc := range []struct {
		overlay   string
		wantBinds []sandbox.GoferMount
	}{
		{"root:memory", []sandbox.GoferMount{
			{Source: filepath.Join(bundle, "vol"), ReadOnly: true, Recursive: true},
			{Source: filepath.Join(bundle, "hosts")},
		}},
		// all: directories are overlaid, so their gofer is read-only.
		{"all:memory", []sandbox.GoferMount{
			{Source: filepath.Join(bundle, "vol"), ReadOnly: true, Recursive: true},
			{Source: filepath.Join(bundle, "hosts")},
		}},
	} {
		ov, err := config.ParseOverlay2(tc.overlay)
		if err != nil {
			t.Fatal(err)
		}
		mounts, binds, err := specMounts(spec, bundle, ov)
		if err != nil {
			t.Fatalf("%s: specMounts: %v", tc.overlay, err)
		}
		if !reflect.DeepEqual(mounts, wantMounts) {
			t.Errorf("%s: mounts\n%+v, want\n%+v", tc.overlay, mounts, wantMounts)
		}
		if !reflect.DeepEqual(binds, tc.wantBinds) {
			t.Errorf("%s: binds %+v, want %+v", tc.overlay, binds, tc.wantBinds)
		}
	}
	// A rw directory is read-only for the gofer only under all:.
	spec.Mounts = []specs.Mount{{Destination: "/d", Type: "bind", Source: "vol"}}
	for overlay, wantRO := range map[string]bool{"root:memory": false, "none": false, "all:memory": true} {
		ov, _ := config.ParseOverlay2(overlay)
		_, binds, err := specMounts(spec, bundle, ov)
		if err != nil || len(binds) != 1 || binds[0].ReadOnly != wantRO {
			t.Errorf("%s: binds %+v, %v; want read-only %v", overlay, binds, err, wantRO)
		}
	}
}
