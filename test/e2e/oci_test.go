package e2e_test

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The OCI commands driven as a container engine drives them: bundles on
// disk, a state directory (--root), create/start/state/kill/wait/delete.

// busyboxBundle makes a bundle whose rootfs holds the host's static
// busybox, with config.json from `runsc spec -- args...` (no terminal).
func busyboxBundle(t *testing.T, edit func(spec map[string]any), args ...string) string {
	t.Helper()
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("needs busybox on the host (Debian's busybox-static or busybox)") // reason on the line
	}
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	// Only /bin: the sandbox creates the mount points (/dev, /proc, /tmp)
	// itself.
	for _, d := range []string{"bin"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "bin", "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, app := range []string{"sh", "echo", "sleep", "cat", "ls", "id", "pwd"} {
		if err := os.Symlink("busybox", filepath.Join(rootfs, "bin", app)); err != nil {
			t.Fatal(err)
		}
	}
	r := run(t, append([]string{runsc(t), "spec", "--bundle", dir, "--"}, args...)...)
	if r.code != 0 {
		t.Fatalf("runsc spec: %v", r)
	}
	editSpec(t, dir, func(spec map[string]any) {
		spec["process"].(map[string]any)["terminal"] = false
		if edit != nil {
			edit(spec)
		}
	})
	return dir
}

// editSpec rewrites bundle's config.json with edit applied.
func editSpec(t *testing.T, bundle string, edit func(spec map[string]any)) {
	t.Helper()
	cfg := filepath.Join(bundle, "config.json")
	var spec map[string]any
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	edit(spec)
	if b, err = json.Marshal(spec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ociEnv is a state directory and the runsc command line that uses it.
type ociEnv struct {
	t    *testing.T
	root string
}

func newOCIEnv(t *testing.T) *ociEnv {
	return &ociEnv{t: t, root: filepath.Join(t.TempDir(), "state")}
}

// runsc runs runsc with --root and args and returns how it ended.
func (e *ociEnv) runsc(args ...string) result {
	e.t.Helper()
	return run(e.t, append([]string{runsc(e.t), "--root", e.root}, args...)...)
}

// detached runs a runsc command that leaves a sandbox behind (create,
// run --detach): the sandbox keeps the stdio it was given, so they are
// files here rather than pipes that would not reach EOF.
func (e *ociEnv) detached(args ...string) (code int, out string) {
	e.t.Helper()
	f, err := os.CreateTemp(e.t.TempDir(), "out")
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(runsc(e.t), append([]string{"--root", e.root}, args...)...)
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			e.t.Fatalf("runsc %v: %v", args, err)
		}
	}
	b, _ := os.ReadFile(f.Name())
	return cmd.ProcessState.ExitCode(), string(b)
}

// state returns `runsc state id` decoded.
func (e *ociEnv) state(id string) map[string]any {
	e.t.Helper()
	r := e.runsc("state", id)
	if r.code != 0 {
		e.t.Fatalf("state %s: %v", id, r)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		e.t.Fatalf("state %s: %v in %q", id, err, r.stdout)
	}
	return s
}

// leftovers lists what remains in the state directory.
func (e *ociEnv) leftovers() []string {
	ents, _ := os.ReadDir(e.root)
	var names []string
	for _, d := range ents {
		names = append(names, d.Name())
	}
	return names
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z'
}

func TestOCIRun(t *testing.T) {
	e := newOCIEnv(t)
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
	}{
		{[]string{"echo", "hi"}, 0, "hi\n"},
		{[]string{"sh", "-c", "exit 3"}, 3, ""},
		// The container's init ignores its own unhandled signals, as
		// a pid namespace's init does (runc gives the same).
		{[]string{"sh", "-c", "kill -TERM $$; kill -KILL $$; echo survived"}, 0, "survived\n"},
		{[]string{"sh", "-c", "trap 'exit 9' TERM; kill -TERM $$; sleep 5"}, 9, ""},
		{[]string{"id"}, 0, "uid=0 gid=0"},
	} {
		b := busyboxBundle(t, nil, tc.args...)
		r := e.runsc("run", "--bundle", b, "r1")
		if r.code != tc.code || !strings.HasPrefix(r.stdout, tc.stdout) {
			t.Errorf("run %q: %v, want exit %d and stdout %q", tc.args, r, tc.code, tc.stdout)
		}
		if left := e.leftovers(); len(left) != 0 {
			t.Errorf("run %q left %v in the state directory", tc.args, left)
		}
	}
}

func TestOCIRootReadOnly(t *testing.T) {
	e := newOCIEnv(t)
	for _, tc := range []struct {
		readonly bool
		want     string
	}{
		{true, "Read-only file system"},
		{false, "written"},
	} {
		b := busyboxBundle(t, func(spec map[string]any) {
			spec["root"].(map[string]any)["readonly"] = tc.readonly
		}, "sh", "-c", "echo x > /f && echo written; ls /; echo tmp > /tmp/t && cat /tmp/t")
		r := e.runsc("run", "--bundle", b, "ro")
		if !strings.Contains(r.stdout+r.stderr, tc.want) || !strings.Contains(r.stdout, "tmp\n") {
			t.Errorf("readonly=%v: %v, want %q and a writable /tmp", tc.readonly, r, tc.want)
		}
		// The overlay keeps writes (and the mount points it made) off
		// the host.
		ents, _ := os.ReadDir(filepath.Join(b, "rootfs"))
		if len(ents) != 1 {
			t.Errorf("readonly=%v: the host rootfs now holds %v", tc.readonly, ents)
		}
	}
}

// TestOCIMaskedAndReadonlyPaths: linux.maskedPaths hide a file (it reads
// as /dev/null) and a directory (an empty read-only one), and
// linux.readonlyPaths make a subtree and a whole mount read-only, as
// runc applies them; a path that does not exist is skipped.
func TestOCIMaskedAndReadonlyPaths(t *testing.T) {
	e := newOCIEnv(t)
	b := busyboxBundle(t, func(spec map[string]any) {
		linux := spec["linux"].(map[string]any)
		linux["maskedPaths"] = []string{"/bin/secret", "/proc/sys/vm", "/proc/sys/kernel/osrelease", "/no/such/path"}
		linux["readonlyPaths"] = []string{"/proc/sys", "/tmp", "/no/such/dir"}
		spec["root"].(map[string]any)["readonly"] = false
	}, "sh", "-c", `
		echo "secret:$(cat /bin/secret)"
		echo "vm:$(ls -A /proc/sys/vm)"
		echo > /proc/sys/vm/x || echo vm-ro
		echo "osrelease:$(cat /proc/sys/kernel/osrelease)"
		echo "ostype:$(cat /proc/sys/kernel/ostype)"
		echo runsc2 > /proc/sys/kernel/hostname || echo sys-ro
		echo x > /tmp/x || echo tmp-ro
		echo x > /bin/x && echo root-rw`)
	if err := os.WriteFile(filepath.Join(b, "rootfs", "bin", "secret"), []byte("s3cret"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.runsc("run", "--bundle", b, "masked")
	for _, want := range []string{"secret:\n", "vm:\n", "vm-ro\n", "osrelease:\n", "ostype:Linux\n", "sys-ro\n", "tmp-ro\n", "root-rw\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("run: %v\nwant %q in stdout", r, want)
		}
	}
	if r.code != 0 {
		t.Errorf("run: %v", r)
	}
}

func TestOCIRunUserAndEnv(t *testing.T) {
	e := newOCIEnv(t)
	b := busyboxBundle(t, func(spec map[string]any) {
		p := spec["process"].(map[string]any)
		p["user"] = map[string]any{"uid": 1000, "gid": 1000, "additionalGids": []int{5}}
		p["env"] = append(p["env"].([]any), "GREETING=hello")
		p["cwd"] = "/tmp"
	}, "sh", "-c", `id -u; id -g; id -G; echo $GREETING; pwd`)
	r := e.runsc("run", "--bundle", b, "u1")
	if want := "1000\n1000\n1000 5\nhello\n/tmp\n"; r.code != 0 || r.stdout != want {
		t.Errorf("run: %v, want stdout %q", r, want)
	}
}

func TestOCILifecycle(t *testing.T) {
	e := newOCIEnv(t)
	b := busyboxBundle(t, nil, "sleep", "1000")
	pidFile := filepath.Join(t.TempDir(), "pid")
	mountsBefore, _ := os.ReadFile("/proc/self/mountinfo")

	if code, out := e.detached("create", "--bundle", b, "--pid-file", pidFile, "c1"); code != 0 {
		t.Fatalf("create: exit %d: %s", code, out)
	}
	pidText, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	pid, _ := strconv.Atoi(string(pidText))
	s := e.state("c1")
	if s["status"] != "created" || int(s["pid"].(float64)) != pid || s["bundle"] != b || s["ociVersion"] == "" {
		t.Errorf("state after create: %v (pid file %d)", s, pid)
	}
	if !alive(pid) {
		t.Fatalf("sandbox %d is not running after create", pid)
	}
	if r := e.runsc("list"); r.code != 0 || !strings.Contains(r.stdout, "c1") || !strings.Contains(r.stdout, "created") {
		t.Errorf("list: %v", r)
	}
	if r := e.runsc("start", "c1"); r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	if s := e.state("c1"); s["status"] != "running" {
		t.Errorf("state after start: %v", s)
	}
	if r := e.runsc("start", "c1"); r.code == 0 || !strings.Contains(r.stderr, "not created") {
		t.Errorf("second start: %v", r)
	}
	if r := e.runsc("ps", "c1"); r.code != 0 || !strings.Contains(r.stdout, "sleep") {
		t.Errorf("ps: %v", r)
	}
	var list []map[string]any
	r := e.runsc("list", "--format", "json")
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 1 || list[0]["status"] != "running" {
		t.Errorf("list --format json: %v (%v)", r, err)
	}
	if r := e.runsc("delete", "c1"); r.code == 0 || !strings.Contains(r.stderr, "--force") {
		t.Errorf("delete of a running container: %v", r)
	}

	waited := make(chan result, 1)
	go func() { waited <- e.runsc("wait", "c1") }()
	// The init (sleep) has no handlers: as a pid namespace's init it
	// takes only SIGKILL (and SIGSTOP) from outside.
	if r := e.runsc("kill", "c1", "KILL"); r.code != 0 {
		t.Fatalf("kill: %v", r)
	}
	if r := <-waited; r.code != 0 || !strings.Contains(r.stdout, `"exitStatus":137`) {
		t.Errorf("wait: %v", r)
	}
	// The sandbox exits with its init.
	for alive(pid) {
		time.Sleep(10 * time.Millisecond)
	}
	if s := e.state("c1"); s["status"] != "stopped" {
		t.Errorf("state after kill: %v", s)
	}
	if r := e.runsc("kill", "c1"); r.code == 0 || !strings.Contains(r.stderr, "not running") {
		t.Errorf("kill of a stopped container: %v", r)
	}
	if r := e.runsc("delete", "c1"); r.code != 0 {
		t.Fatalf("delete: %v", r)
	}
	if left := e.leftovers(); len(left) != 0 {
		t.Errorf("delete left %v", left)
	}
	if r := e.runsc("state", "c1"); r.code == 0 || !strings.Contains(r.stderr, "does not exist") {
		t.Errorf("state after delete: %v", r)
	}
	mountsAfter, _ := os.ReadFile("/proc/self/mountinfo")
	if string(mountsBefore) != string(mountsAfter) {
		t.Errorf("host mounts changed:\nbefore %s\nafter %s", mountsBefore, mountsAfter)
	}
}

func TestOCIDeleteCreatedAndForce(t *testing.T) {
	e := newOCIEnv(t)
	b := busyboxBundle(t, nil, "sleep", "1000")
	for _, id := range []string{"never-started", "running"} {
		if code, out := e.detached("create", "--bundle", b, id); code != 0 {
			t.Fatalf("create %s: exit %d: %s", id, code, out)
		}
	}
	if r := e.runsc("start", "running"); r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	pids := []int{int(e.state("never-started")["pid"].(float64)), int(e.state("running")["pid"].(float64))}
	if r := e.runsc("delete", "never-started"); r.code != 0 {
		t.Errorf("delete of a created container: %v", r)
	}
	if r := e.runsc("delete", "--force", "running"); r.code != 0 {
		t.Errorf("delete --force: %v", r)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("sandbox %d still runs after delete", pid)
		}
	}
	if left := e.leftovers(); len(left) != 0 {
		t.Errorf("delete left %v", left)
	}
	if r := e.runsc("delete", "--force", "never-existed"); r.code != 0 {
		t.Errorf("delete --force of a missing container: %v", r)
	}
}

func TestOCIBadInput(t *testing.T) {
	e := newOCIEnv(t)
	good := busyboxBundle(t, nil, "sleep", "1000")
	badJSON := t.TempDir()
	os.WriteFile(filepath.Join(badJSON, "config.json"), []byte(`{"ociVersion": "1.0.2",`), 0o644)
	unknownMount := busyboxBundle(t, func(spec map[string]any) {
		spec["mounts"] = append(spec["mounts"].([]any), map[string]any{"destination": "/x", "type": "nfs4", "source": "srv:/"})
	}, "true")
	noRootfs := busyboxBundle(t, func(spec map[string]any) {
		spec["root"].(map[string]any)["path"] = "missing"
	}, "true")
	noProgram := busyboxBundle(t, nil, "/no/such/program")
	for _, tc := range []struct {
		name, bundle, id, want string
	}{
		{"bad json", badJSON, "b1", "invalid JSON"},
		{"unknown mount type", unknownMount, "b2", `unknown type "nfs4"`},
		{"missing rootfs", noRootfs, "b3", "no such directory"},
		{"no bundle", filepath.Join(t.TempDir(), "none"), "b4", "no config.json"},
		{"bad id", good, "../x", "invalid container ID"},
		// As runc: create fails, with the errno's text for engines.
		{"program not found", noProgram, "b5", "exec /no/such/program: ENOENT (no such file or directory)"},
	} {
		code, out := e.detached("create", "--bundle", tc.bundle, tc.id)
		if code == 0 || !strings.Contains(out, tc.want) || strings.Count(out, "\n") != 1 {
			t.Errorf("%s: exit %d, output %q; want one line containing %q", tc.name, code, out, tc.want)
		}
		if left := e.leftovers(); len(left) != 0 {
			t.Errorf("%s: left %v in the state directory", tc.name, left)
		}
	}
	// A duplicate ID fails and leaves the first container alone.
	if code, out := e.detached("create", "--bundle", good, "dup"); code != 0 {
		t.Fatalf("create: exit %d: %s", code, out)
	}
	t.Cleanup(func() { e.runsc("delete", "--force", "dup") })
	code, out := e.detached("create", "--bundle", good, "dup")
	if code == 0 || !strings.Contains(out, "already exists") || strings.Count(out, "\n") != 1 {
		t.Errorf("duplicate create: exit %d, %q", code, out)
	}
	if s := e.state("dup"); s["status"] != "created" {
		t.Errorf("the first container after a duplicate create: %v", s)
	}
}

func TestOCIExec(t *testing.T) {
	e := newOCIEnv(t)
	b := busyboxBundle(t, func(spec map[string]any) {
		p := spec["process"].(map[string]any)
		p["env"] = append(p["env"].([]any), "FROM_SPEC=yes")
	}, "sleep", "1000")
	if code, out := e.detached("create", "--bundle", b, "x1"); code != 0 {
		t.Fatalf("create: exit %d: %s", code, out)
	}
	t.Cleanup(func() { e.runsc("delete", "--force", "x1") })
	if r := e.runsc("exec", "x1", "echo", "hi"); r.code == 0 || !strings.Contains(r.stderr, "not running") {
		t.Errorf("exec before start: %v", r)
	}
	if r := e.runsc("start", "x1"); r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
	}{
		{[]string{"echo", "hi"}, 0, "hi\n"},
		{[]string{"sh", "-c", "exit 7"}, 7, ""},
		{[]string{"sh", "-c", "echo $FROM_SPEC $EXTRA"}, 0, "yes more\n"},
		{[]string{"--user", "1000:1000", "sh", "-c", "id -u; id -g"}, 0, "1000\n1000\n"},
		{[]string{"--cwd", "/tmp", "sh", "-c", "pwd"}, 0, "/tmp\n"},
		{[]string{"nonexistent"}, 1, ""},
	} {
		// Flags, then the container ID, then the command.
		args := []string{"exec", "--env", "EXTRA=more"}
		cmd := tc.args
		for len(cmd) > 0 && strings.HasPrefix(cmd[0], "--") {
			args, cmd = append(args, cmd[0], cmd[1]), cmd[2:]
		}
		args = append(append(args, "x1"), cmd...)
		r := e.runsc(args...)
		if r.code != tc.code || r.stdout != tc.stdout {
			t.Errorf("exec %q: %v, want exit %d and stdout %q", tc.args, r, tc.code, tc.stdout)
		}
	}
	// Detached: the pid file names a host process that lasts as long as
	// the exec'd one.
	pidFile := filepath.Join(t.TempDir(), "pid")
	if code, out := e.detached("exec", "--detach", "--pid-file", pidFile, "x1", "sleep", "2"); code != 0 {
		t.Fatalf("exec --detach: exit %d: %s", code, out)
	}
	text, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	pid, _ := strconv.Atoi(string(text))
	if !alive(pid) {
		t.Errorf("the process of the pid file (%d) is not running", pid)
	}
	if r := e.runsc("ps", "x1"); strings.Count(r.stdout, "sleep") != 2 {
		t.Errorf("ps with the detached exec: %v", r)
	}
	for alive(pid) {
		time.Sleep(20 * time.Millisecond)
	}
	if r := e.runsc("ps", "x1"); strings.Count(r.stdout, "sleep") != 1 {
		t.Errorf("ps after the detached exec ended: %v", r)
	}
}

// TestOCIRunBusyboxImage: `runsc spec`, then `runsc run --bundle DIR ID`
// on the busybox image (images/busybox.sh); `list` and `state` show the
// container while it runs; `delete --force` ends it, and nothing is left:
// no process of this runsc, nothing in the state directory, no mount.
func TestOCIRunBusyboxImage(t *testing.T) {
	requireRoot(t)
	e := newOCIEnv(t)
	tar := buildImage(t, "busybox.sh")
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-xf", tar, "-C", rootfs).CombinedOutput(); err != nil {
		t.Fatalf("unpack the image: %v: %s", err, out)
	}
	if r := run(t, runsc(t), "spec", "--bundle", dir, "--", "sh", "-c", "echo up in $(cat /etc/hostname 2>/dev/null || hostname); exec sleep 1000"); r.code != 0 {
		t.Fatalf("spec: %v", r)
	}
	// The default spec asks for a terminal; this run has none.
	editSpec(t, dir, func(spec map[string]any) { spec["process"].(map[string]any)["terminal"] = false })

	procsBefore := sandboxProcs(t)
	mountsBefore, _ := os.ReadFile("/proc/self/mountinfo")
	cmd := exec.Command(runsc(t), "--root", e.root, "run", "--bundle", dir, "img1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, out)
		done <- errors.Join(err, cmd.Wait())
	}()
	first := make([]byte, 64)
	n, _ := out.Read(first)
	if !strings.HasPrefix(string(first[:n]), "up in ") {
		t.Fatalf("run printed %q first; stderr %q", first[:n], stderr.String())
	}
	if s := e.state("img1"); s["status"] != "running" || s["bundle"] != dir {
		t.Errorf("state while running: %v", s)
	}
	if r := e.runsc("list"); r.code != 0 || !strings.Contains(r.stdout, "img1") || !strings.Contains(r.stdout, "running") {
		t.Errorf("list while running: %v", r)
	}
	if r := e.runsc("delete", "--force", "img1"); r.code != 0 {
		t.Errorf("delete --force: %v", r)
	}
	select {
	case <-done:
	case <-time.After(runTimeout):
		t.Fatalf("runsc run did not end after delete --force (hang guard)")
	}
	if left := e.leftovers(); len(left) != 0 {
		t.Errorf("delete left %v in the state directory", left)
	}
	if r := e.runsc("list", "--quiet"); r.code != 0 || r.stdout != "" {
		t.Errorf("list after delete: %v", r)
	}
	checkNoneLeft(t, procsBefore)
	if mountsAfter, _ := os.ReadFile("/proc/self/mountinfo"); string(mountsBefore) != string(mountsAfter) {
		t.Errorf("host mounts changed:\nbefore %s\nafter %s", mountsBefore, mountsAfter)
	}
}

// TestOCICapabilities: process.capabilities and noNewPrivileges as runc
// applies them. Root gets the bounding set (runc spec's default: three
// capabilities, so no CAP_SYS_ADMIN for sethostname); a user that is not
// root gets the ambient set; exec'd processes get the container's; an
// unknown capability name fails create with one line.
func TestOCICapabilities(t *testing.T) {
	e := newOCIEnv(t)
	const status = `grep -E '^(CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status; hostname other 2>/dev/null || echo no-sethostname`
	// CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10).
	const defaults = "0000000020000420"
	b := busyboxBundle(t, nil, "sh", "-c", status+"; exec sleep 1000")
	if code, out := e.detached("run", "--detach", "--bundle", b, "caps"); code != 0 {
		t.Fatalf("run --detach: exit %d: %s", code, out)
	}
	t.Cleanup(func() { e.runsc("delete", "--force", "caps") })
	want := "CapPrm:\t" + defaults + "\nCapEff:\t" + defaults + "\nCapBnd:\t" + defaults + "\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\nno-sethostname\n"
	if r := e.runsc("exec", "caps", "sh", "-c", status); r.code != 0 || r.stdout != want {
		t.Errorf("exec: %v\nwant stdout %q", r, want)
	}

	b = busyboxBundle(t, func(spec map[string]any) {
		p := spec["process"].(map[string]any)
		p["user"] = map[string]any{"uid": 1000, "gid": 1000}
		p["noNewPrivileges"] = false
		all := []string{"CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"}
		p["capabilities"] = map[string]any{"bounding": all, "effective": all, "permitted": all,
			"inheritable": []string{"CAP_CHOWN", "CAP_SYS_ADMIN"}, "ambient": []string{"CAP_CHOWN"}}
	}, "sh", "-c", status)
	r := e.runsc("run", "--bundle", b, "caps-user")
	if want := "CapPrm:\t0000000000000001\nCapEff:\t0000000000000001\nCapBnd:\t0000000000200021\nCapAmb:\t0000000000000001\nNoNewPrivs:\t0\nno-sethostname\n"; r.code != 0 || r.stdout != want {
		t.Errorf("run as uid 1000 with ambient CAP_CHOWN: %v\nwant stdout %q", r, want)
	}

	b = busyboxBundle(t, func(spec map[string]any) {
		p := spec["process"].(map[string]any)
		p["capabilities"] = map[string]any{"bounding": []string{"CAP_CHOWN", "CAP_NOPE"}}
	}, "true")
	code, out := e.detached("create", "--bundle", b, "bad-caps")
	if code == 0 || !strings.Contains(out, `unknown capability "CAP_NOPE"`) || strings.Count(out, "\n") != 1 {
		t.Errorf("create with an unknown capability: exit %d, %q", code, out)
	}
	for _, name := range e.leftovers() {
		if strings.HasPrefix(name, "bad-caps") {
			t.Errorf("the failed create left %q in the state directory", name)
		}
	}
}

// TestOCIDeleteAfterSandboxCrash: the sandbox process dies by SIGKILL
// (a crash); the container is then stopped, and delete still removes
// every trace: no process of this runsc (gofer, stubs), nothing in the
// state directory, no host mount.
func TestOCIDeleteAfterSandboxCrash(t *testing.T) {
	requireRoot(t)
	e := newOCIEnv(t)
	b := busyboxBundle(t, nil, "sh", "-c", "echo data > /tmp/f; exec sleep 1000")
	procsBefore := sandboxProcs(t)
	mountsBefore, _ := os.ReadFile("/proc/self/mountinfo")
	if code, out := e.detached("run", "--detach", "--bundle", b, "crash"); code != 0 {
		t.Fatalf("run --detach: exit %d: %s", code, out)
	}
	pid := int(e.state("crash")["pid"].(float64))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill the sandbox: %v", err)
	}
	deadline := time.Now().Add(runTimeout)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s := e.state("crash"); s["status"] != "stopped" {
		t.Errorf("state after the sandbox died: %v", s)
	}
	if r := e.runsc("delete", "crash"); r.code != 0 {
		t.Errorf("delete: %v", r)
	}
	if left := e.leftovers(); len(left) != 0 {
		t.Errorf("delete left %v", left)
	}
	checkNoneLeft(t, procsBefore)
	if mountsAfter, _ := os.ReadFile("/proc/self/mountinfo"); string(mountsBefore) != string(mountsAfter) {
		t.Errorf("host mounts changed:\nbefore %s\nafter %s", mountsBefore, mountsAfter)
	}
}
