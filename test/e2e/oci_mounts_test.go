package e2e_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The spec's mounts: bind mounts of host directories and files served by
// the gofer, tmpfs, and runc's default /proc, /dev, /sys mounts.

// addMounts returns a bundle edit that appends mounts to the spec's.
func addMounts(mounts ...map[string]any) func(spec map[string]any) {
	return func(spec map[string]any) {
		ms, _ := spec["mounts"].([]any)
		for _, m := range mounts {
			ms = append(ms, m)
		}
		spec["mounts"] = ms
	}
}

func bindMount(dest, src string, opts ...string) map[string]any {
	return map[string]any{"destination": dest, "type": "bind", "source": src, "options": append([]string{"rbind"}, opts...)}
}

func mustWriteFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readHostFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOCIMountsBind(t *testing.T) {
	requireRoot(t)
	e := newOCIEnv(t)
	host := t.TempDir()
	mustWriteFile(t, filepath.Join(host, "ro/x"), "from ro\n")
	mustWriteFile(t, filepath.Join(host, "rw/keep"), "")
	mustWriteFile(t, filepath.Join(host, "hosts"), "127.0.0.1 localhost\n")
	mustWriteFile(t, filepath.Join(host, "resolv.conf"), "nameserver 10.0.0.1\n")
	mustWriteFile(t, filepath.Join(host, "data/sub/.keep"), "")
	mustWriteFile(t, filepath.Join(host, "inner/y"), "from inner\n")
	// Symlinks in a bind source are resolved by the sentry inside the
	// container, never on the host.
	for name, target := range map[string]string{"up": "../../../../../../../../etc/passwd", "abs": "/etc/passwd"} {
		if err := os.Symlink(target, filepath.Join(host, "ro", name)); err != nil {
			t.Fatal(err)
		}
	}
	script := strings.Join([]string{
		`cat /ro/x`,
		`cat /ro/up /ro/abs 2>/dev/null || echo no-escape`,
		`echo no > /ro/new || echo ro-refused`,
		`echo yes > /rw/new && echo rw-written`,
		`cat /etc/hosts`,
		`echo "10.1.1.1 db" >> /etc/hosts && echo file-written`,
		`echo x > /etc/resolv.conf || echo file-ro-refused`,
		`cat /etc/resolv.conf`,
		`cat /data/sub/y`,
		`echo z > /data/sub/z && echo nested-written`,
		`busybox stat -c 'scratch %a' /scratch`,
		`busybox dd if=/dev/zero of=/scratch/big bs=1024 count=2048 2>/dev/null || echo scratch-full`,
		`cat /proc/self/comm`,
		`busybox head -c 4 /dev/urandom | busybox wc -c`,
		`ls /sys >/dev/null && echo sys-ok`,
	}, "; ")
	b := busyboxBundle(t, addMounts(
		bindMount("/ro", filepath.Join(host, "ro"), "ro"),
		bindMount("/rw", filepath.Join(host, "rw"), "rw"),
		bindMount("/etc/hosts", filepath.Join(host, "hosts")),
		bindMount("/etc/resolv.conf", filepath.Join(host, "resolv.conf"), "ro"),
		bindMount("/data", filepath.Join(host, "data")),
		bindMount("/data/sub", filepath.Join(host, "inner")),
		map[string]any{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "size=1m", "mode=0710"}},
	), "sh", "-c", script)
	r := e.runsc("run", "--bundle", b, "m1")
	want := strings.Join([]string{
		"from ro",
		"no-escape",
		"ro-refused",
		"rw-written",
		"127.0.0.1 localhost",
		"file-written",
		"file-ro-refused",
		"nameserver 10.0.0.1",
		"from inner",
		"nested-written",
		"scratch 710",
		"scratch-full",
		"cat",
		"4",
		"sys-ok",
	}, "\n") + "\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("run: %v\nwant stdout:\n%s", r, want)
	}
	for _, want := range []string{"Read-only file system"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q does not say %q", r.stderr, want)
		}
	}
	// Writes to rw binds reach the host; ro binds and the overlaid root
	// change nothing there.
	for _, tc := range []struct{ path, want string }{
		{"rw/new", "yes\n"},
		{"hosts", "127.0.0.1 localhost\n10.1.1.1 db\n"},
		{"resolv.conf", "nameserver 10.0.0.1\n"},
		{"inner/z", "z\n"},
	} {
		if got := readHostFile(t, filepath.Join(host, tc.path)); got != tc.want {
			t.Errorf("host %s = %q, want %q", tc.path, got, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(host, "ro/new")); err == nil {
		t.Errorf("a write to the ro bind reached the host")
	}
	ents, _ := os.ReadDir(filepath.Join(b, "rootfs"))
	if len(ents) != 1 {
		t.Errorf("the host rootfs now holds %v (mount points belong in the overlay)", ents)
	}
	if left := e.leftovers(); len(left) != 0 {
		t.Errorf("left %v in the state directory", left)
	}
}

func TestOCIMountsNoexec(t *testing.T) {
	requireRoot(t)
	e := newOCIEnv(t)
	host := t.TempDir()
	for _, d := range []string{"exec", "noexec"} {
		if err := os.MkdirAll(filepath.Join(host, d), 0o755); err != nil {
			t.Fatal(err)
		}
		mustWriteFile(t, filepath.Join(host, d, "hi"), "#!/bin/sh\necho hi from "+d+"\n")
		if err := os.Chmod(filepath.Join(host, d, "hi"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b := busyboxBundle(t, addMounts(
		bindMount("/x", filepath.Join(host, "exec"), "ro"),
		bindMount("/nx", filepath.Join(host, "noexec"), "ro", "noexec"),
	), "sh", "-c", "/x/hi; /nx/hi; echo status $?")
	r := e.runsc("run", "--bundle", b, "nx")
	if r.stdout != "hi from exec\nstatus 126\n" || !strings.Contains(r.stderr, "Permission denied") {
		t.Errorf("run: %v; want the noexec script refused with EACCES (status 126)", r)
	}
}

func TestOCIMountsBadSource(t *testing.T) {
	e := newOCIEnv(t)
	missing := filepath.Join(t.TempDir(), "missing")
	for _, tc := range []struct {
		name  string
		mount map[string]any
		want  string
	}{
		{"missing source", bindMount("/data", missing), "does not exist"},
		{"bad tmpfs size", map[string]any{"destination": "/s", "type": "tmpfs", "options": []string{"size=lots"}}, `option "size=lots"`},
	} {
		b := busyboxBundle(t, addMounts(tc.mount), "true")
		code, out := e.detached("create", "--bundle", b, "bad")
		if code == 0 || !strings.Contains(out, tc.want) || strings.Count(out, "\n") != 1 {
			t.Errorf("%s: exit %d, output %q; want one line containing %q", tc.name, code, out, tc.want)
		}
		if left := e.leftovers(); len(left) != 0 {
			t.Errorf("%s: left %v in the state directory", tc.name, left)
		}
	}
}

func TestOCIMountsOverlayNone(t *testing.T) {
	requireRoot(t)
	e := newOCIEnv(t)
	host := t.TempDir()
	mustWriteFile(t, filepath.Join(host, "f"), "one\n")
	// Without the overlay a read-only root could not get its mount
	// points.
	b := busyboxBundle(t, func(spec map[string]any) {
		spec["root"].(map[string]any)["readonly"] = false
		addMounts(bindMount("/data", host))(spec)
	}, "sh", "-c", "echo two >> /data/f; cat /data/f")
	r := run(t, runsc(t), "--root", e.root, "--overlay2=none", "run", "--bundle", b, "on")
	if r.code != 0 || r.stdout != "one\ntwo\n" {
		t.Errorf("run: %v", r)
	}
	if got := readHostFile(t, filepath.Join(host, "f")); got != "one\ntwo\n" {
		t.Errorf("host file: %q", got)
	}
}

func TestOCIMountsOverlayAll(t *testing.T) {
	requireRoot(t)
	e := newOCIEnv(t)
	host := t.TempDir()
	mustWriteFile(t, filepath.Join(host, "f"), "one\n")
	b := busyboxBundle(t, addMounts(bindMount("/data", host)), "sh", "-c", "echo two >> /data/f; cat /data/f")
	r := run(t, runsc(t), "--root", e.root, "--overlay2=all:memory", "run", "--bundle", b, "oa")
	if r.code != 0 || r.stdout != "one\ntwo\n" {
		t.Errorf("run: %v", r)
	}
	// The bind mount is overlaid too: the host file is unchanged.
	if got := readHostFile(t, filepath.Join(host, "f")); got != "one\n" {
		t.Errorf("host file: %q", got)
	}
}
