package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// podman (Debian's package, tools/install-deps.sh --podman) driving runsc as
// its OCI runtime, and the same tests with Debian's runc to prove them. The
// image is the busybox root file system of images/busybox.sh, imported
// into a private podman store under /var/tmp, so the machine's own podman
// state is never touched.

// podmanLimits are what every container needs on this VM (see the
// project's machine notes): no network, explicit rlimits.
var podmanLimits = []string{"--network=none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000"}

// podmanImage is the name the busybox image is imported as.
const podmanImage = "localhost/bulwark-busybox"

// newPodmanStore makes a private podman store under /var/tmp holding the
// busybox image, removed when t ends, and returns its directory.
func newPodmanStore(t *testing.T) string {
	t.Helper()
	requireRoot(t)
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("needs podman: tools/install-deps.sh --podman installs it") // reason on the line
	}
	tar := buildImage(t, "busybox.sh")
	dir, err := os.MkdirTemp("/var/tmp", "bulwark-podman-")
	if err != nil {
		t.Fatal(err)
	}
	p := &podman{t: t, dir: dir}
	t.Cleanup(func() {
		p.run("rm", "--all", "--force", "-t", "0")
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove the podman store: %v", err)
		}
	})
	if r := p.run("import", tar, podmanImage); r.code != 0 {
		t.Fatalf("podman import: %v", r)
	}
	return dir
}

// buildImage runs the recipe images/<script> and returns the tar it
// built (or found cached).
func buildImage(t *testing.T, script string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("../../images", script))
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	cmd := exec.Command("bash", path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("images/%s: %v: %s", script, err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

// podman is podman on a private store with one OCI runtime.
type podman struct {
	t       *testing.T
	dir     string
	runtime string
}

// global are podman's flags for the private store. The vfs driver leaves
// no mounts behind, so removing the directory removes the store.
func (p *podman) global() []string {
	g := []string{
		"--root", filepath.Join(p.dir, "root"), "--runroot", filepath.Join(p.dir, "run"),
		"--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file",
	}
	if p.runtime != "" {
		g = append(g, "--runtime", p.runtime)
	}
	return g
}

// argv is the podman command line for args.
func (p *podman) argv(args ...string) []string {
	return append(append([]string{"podman"}, p.global()...), args...)
}

// run runs podman with args.
func (p *podman) run(args ...string) result {
	p.t.Helper()
	return run(p.t, p.argv(args...)...)
}

// container runs IMAGE args in a new container with the machine's limits
// and extra options opts, and removes it after.
func (p *podman) container(opts []string, args ...string) result {
	p.t.Helper()
	return p.containerOf(podmanImage, opts, args...)
}

// containerOf is container with another image.
func (p *podman) containerOf(image string, opts []string, args ...string) result {
	p.t.Helper()
	a := append([]string{"run", "--rm"}, podmanLimits...)
	a = append(append(a, opts...), image)
	return p.run(append(a, args...)...)
}

// podmanRuntimes runs fn for each runtime as a subtest: Debian's runc (the
// oracle: a failure there is a wrong test) and the runsc under test.
func podmanRuntimes(t *testing.T, fn func(t *testing.T, p *podman)) {
	dir := newPodmanStore(t)
	t.Run("runc", func(t *testing.T) {
		rc, err := exec.LookPath("runc")
		if err != nil {
			t.Skip("needs Debian's runc as the control runtime: tools/install-deps.sh --podman") // reason on the line
		}
		fn(t, &podman{t: t, dir: dir, runtime: rc})
	})
	t.Run("runsc", func(t *testing.T) {
		bin, err := filepath.Abs(runsc(t))
		if err != nil {
			t.Fatal(err)
		}
		fn(t, &podman{t: t, dir: dir, runtime: bin})
	})
}

func TestPodmanRun(t *testing.T) {
	hostDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(hostDir, "f"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	podmanRuntimes(t, func(t *testing.T, p *podman) {
		for _, tc := range []struct {
			name   string
			opts   []string
			args   []string
			code   int
			stdout string
		}{
			{"echo", nil, []string{"echo", "hi"}, 0, "hi\n"},
			{"exit code", nil, []string{"sh", "-c", "exit 7"}, 7, ""},
			{"exit 255", nil, []string{"sh", "-c", "exit 255"}, 255, ""},
			// A program that cannot run fails create; podman turns
			// the runtime's error into a shell's exit code.
			{"not found", nil, []string{"/nonexistent"}, 127, ""},
			{"not in PATH", nil, []string{"nosuchcmd"}, 127, ""},
			{"not executable", nil, []string{"/etc/passwd"}, 126, ""},
			{"init ignores its own signals", nil, []string{"sh", "-c", "kill -KILL $$; echo survived"}, 0, "survived\n"},
			{"env", []string{"-e", "FOO=bar"}, []string{"sh", "-c", "echo $FOO"}, 0, "bar\n"},
			{"workdir", []string{"-w", "/tmp"}, []string{"pwd"}, 0, "/tmp\n"},
			{"user", []string{"-u", "1000:1000"}, []string{"sh", "-c", "id -u; id -g"}, 0, "1000\n1000\n"},
			{"bind ro", []string{"-v", hostDir + ":/data:ro"},
				[]string{"sh", "-c", "cat /data/f; echo x > /data/new 2>/dev/null || echo refused"}, 0, "from the host\nrefused\n"},
			{"bind rw", []string{"-v", hostDir + ":/data:rw"},
				[]string{"sh", "-c", "echo written > /data/rw-" + filepath.Base(p.runtime) + " && cat /data/f"}, 0, "from the host\n"},
			{"tmpfs", []string{"--tmpfs", "/scratch"},
				[]string{"sh", "-c", "echo a > /scratch/a && cat /scratch/a && grep -c ' /scratch tmpfs ' /proc/mounts"}, 0, "a\n1\n"},
			{"read-only", []string{"--read-only"},
				[]string{"sh", "-c", "echo x > /x 2>/dev/null || echo refused"}, 0, "refused\n"},
		} {
			r := p.container(tc.opts, tc.args...)
			if r.code != tc.code || r.stdout != tc.stdout {
				t.Errorf("%s: podman run %q %q: %v, want exit %d and stdout %q", tc.name, tc.opts, tc.args, r, tc.code, tc.stdout)
			}
		}
		// The rw bind mount's write reached the host.
		if b, err := os.ReadFile(filepath.Join(hostDir, "rw-"+filepath.Base(p.runtime))); err != nil || string(b) != "written\n" {
			t.Errorf("bind rw: the host file holds %q (%v), want %q", b, err, "written\n")
		}
	})
}

func TestPodmanExec(t *testing.T) {
	podmanRuntimes(t, func(t *testing.T, p *podman) {
		name := "bulwark-exec-" + filepath.Base(p.runtime)
		a := append([]string{"run", "-d", "--name", name}, podmanLimits...)
		if r := p.run(append(a, podmanImage, "sleep", "1000")...); r.code != 0 {
			t.Fatalf("podman run -d: %v", r)
		}
		t.Cleanup(func() { p.run("rm", "-f", "-t", "0", name) })
		for _, tc := range []struct {
			args   []string
			code   int
			stdout string
		}{
			{[]string{name, "echo", "from exec"}, 0, "from exec\n"},
			{[]string{name, "sh", "-c", "exit 5"}, 5, ""},
			// The container's resource limits (podmanLimits).
			{[]string{name, "sh", "-c", "ulimit -n; ulimit -u"}, 0, "1024\n1000\n"},
			{[]string{"-e", "X=y", "-w", "/tmp", "-u", "1000", name, "sh", "-c", "echo $X; pwd; id -u"}, 0, "y\n/tmp\n1000\n"},
		} {
			r := p.run(append([]string{"exec"}, tc.args...)...)
			if r.code != tc.code || r.stdout != tc.stdout {
				t.Errorf("podman exec %q: %v, want exit %d and stdout %q", tc.args, r, tc.code, tc.stdout)
			}
		}
	})
}

func TestPodmanStop(t *testing.T) {
	podmanRuntimes(t, func(t *testing.T, p *podman) {
		for _, tc := range []struct {
			name   string
			script string
			code   string
		}{
			// SIGTERM, handled: the container's own exit status.
			{"term", `trap 'exit 3' TERM; echo up; while :; do sleep 0.1; done`, "3"},
			// SIGTERM ignored: SIGKILL after the timeout.
			{"kill", `trap '' TERM; echo up; while :; do sleep 0.1; done`, "137"},
		} {
			name := "bulwark-stop-" + tc.name + "-" + filepath.Base(p.runtime)
			a := append([]string{"run", "-d", "--name", name}, podmanLimits...)
			if r := p.run(append(a, podmanImage, "sh", "-c", tc.script)...); r.code != 0 {
				t.Fatalf("%s: podman run -d: %v", tc.name, r)
			}
			t.Cleanup(func() { p.run("rm", "-f", "-t", "0", name) })
			if r := p.run("stop", "-t", "2", name); r.code != 0 {
				t.Errorf("%s: podman stop: %v", tc.name, r)
			}
			r := p.run("inspect", "--format", "{{.State.ExitCode}}", name)
			if r.code != 0 || strings.TrimSpace(r.stdout) != tc.code {
				t.Errorf("%s: exit code after stop: %v, want %s", tc.name, r, tc.code)
			}
		}
	})
}

func TestPodmanInteractive(t *testing.T) {
	podmanRuntimes(t, func(t *testing.T, p *podman) {
		a := append([]string{"run", "-it", "--rm"}, podmanLimits...)
		s := startPTY(t, p.argv(append(a, podmanImage, "sh")...)...)
		s.send("[ -t 0 ] && echo on-a-$((1+1))-tty; stty size\n")
		s.expect("on-a-2-tty")
		s.expect("24 80")
		s.send("echo $((6*7))\n")
		s.expect("42")
		s.send("exit 4\n")
		if code := s.wait(); code != 4 {
			t.Errorf("podman run -it exited with %d, want 4; transcript:\n%s", code, s.transcript())
		}
	})
}

// TestPodmanExecInteractive: `podman exec -it` into a running container
// (conmon runs the runtime's exec detached, with a console socket); ^C
// typed there interrupts the shell's foreground job, and the shell goes on.
func TestPodmanExecInteractive(t *testing.T) {
	podmanRuntimes(t, func(t *testing.T, p *podman) {
		name := "bulwark-exec-it-" + filepath.Base(p.runtime)
		a := append([]string{"run", "-d", "--name", name}, podmanLimits...)
		if r := p.run(append(a, podmanImage, "sleep", "1000")...); r.code != 0 {
			t.Fatalf("podman run -d: %v", r)
		}
		t.Cleanup(func() { p.run("rm", "-f", "-t", "0", name) })
		s := startPTY(t, p.argv("exec", "-it", name, "sh", "-i")...)
		s.interruptJob()
		s.send("exit 4\n")
		if code := s.wait(); code != 4 {
			t.Errorf("podman exec -it exited with %d, want 4; transcript:\n%s", code, s.transcript())
		}
	})
}

// TestPodmanDebian runs a Debian minbase image (images/debian.sh: dynamic
// programs, dpkg, apt, perl) and compares what it prints under runsc with
// what it prints under runc.
func TestPodmanDebian(t *testing.T) {
	dir := newPodmanStore(t)
	if _, err := exec.LookPath("debootstrap"); err != nil {
		t.Skip("needs debootstrap for images/debian.sh: tools/install-deps.sh --podman") // reason on the line
	}
	const image = "localhost/bulwark-debian"
	tar := buildImage(t, "debian.sh")
	if r := (&podman{t: t, dir: dir}).run("import", tar, image); r.code != 0 {
		t.Fatalf("podman import: %v", r)
	}
	script := `set -e
		cat /etc/debian_version
		dpkg-query -W -f '${Package} ${Version}\n' | sha256sum
		apt-get --version | head -n 1
		perl -e 'print "perl ", 6 * 7, "\n"'
		id user
		su -s /bin/bash user -c 'cd && echo "home $PWD $(id -un)" && touch mine && ls -l mine | cut -d" " -f3,4'
		echo "hello sed" | sed 's/hello/bye/'
		ls /usr/bin | sort | sha256sum
		find /etc -xdev -type f | wc -l
		mkdir -p /tmp/t && cd /tmp/t && seq 1 2000 > n && sort -rn n | head -n 2 && tar cf n.tar n && tar tf n.tar`
	r := sameUnderRuncAndRunsc(t, dir, image, nil, "bash", "-c", script)
	if r.code != 0 || !strings.Contains(r.stdout, "perl 42\n") {
		t.Errorf("podman run %s: %v", image, r)
	}
}

// sameUnderRuncAndRunsc runs image with opts and args in a container
// under Debian's runc and under the runsc under test, fails t if the two
// exit codes or outputs differ, and returns runsc's result.
func sameUnderRuncAndRunsc(t *testing.T, dir, image string, opts []string, args ...string) result {
	t.Helper()
	rc, err := exec.LookPath("runc")
	if err != nil {
		t.Skip("needs Debian's runc as the control runtime: tools/install-deps.sh --podman") // reason on the line
	}
	bin, err := filepath.Abs(runsc(t))
	if err != nil {
		t.Fatal(err)
	}
	want := (&podman{t: t, dir: dir, runtime: rc}).containerOf(image, opts, args...)
	got := (&podman{t: t, dir: dir, runtime: bin}).containerOf(image, opts, args...)
	if got.code != want.code || got.stdout != want.stdout {
		t.Errorf("podman run %q %q differs:\nrunc:  %v\nrunsc: %v", opts, args, want, got)
	}
	return got
}

// TestPodmanCapabilities compares the capability sets and no_new_privs
// that podman's options give a container's process under runc and runsc.
func TestPodmanCapabilities(t *testing.T) {
	dir := newPodmanStore(t)
	script := `grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status; hostname x 2>/dev/null && echo sethostname-allowed; chown 1:1 /tmp 2>/dev/null && echo chown-allowed; true`
	for _, opts := range [][]string{
		nil,
		{"--cap-drop=all"},
		{"--cap-drop=all", "--cap-add=CAP_CHOWN"},
		{"--cap-add=CAP_SYS_ADMIN"},
		{"-u", "1000:1000"},
		{"-u", "1000:1000", "--cap-add=CAP_CHOWN"},
		{"--security-opt", "no-new-privileges"},
	} {
		sameUnderRuncAndRunsc(t, dir, podmanImage, opts, "sh", "-c", script)
	}
}
