package sandbox

import (
	"bufio"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"bulwark.dev/bulwark/runsc/config"
	"golang.org/x/sys/unix"
)

func TestBootRequestRoundTrip(t *testing.T) {
	confJSON, err := config.Default().ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := &BootRequest{
		Config:   confJSON,
		ExecPath: "/bin/true",
		Argv:     []string{"true", "a b", ""},
		Envv:     []string{"A=1", "B="},
		Hostname: "host",
	}
	f, err := requestMemfd(want)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The request must be immutable once written.
	if _, err := f.Write([]byte("x")); err == nil {
		t.Errorf("write to the sealed request succeeded")
	}
	// ReadBootRequest takes ownership of the FD it is given.
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadBootRequest(fd)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadBootRequest = %+v, want %+v", got, want)
	}
}

func TestReadBootRequestRejects(t *testing.T) {
	for _, tc := range []struct {
		name, data, wantErr string
	}{
		{"empty", "", "decode"},
		{"garbage", "not json", "decode"},
		{"unknown field", `{"argv":["x"],"extra":1}`, "unknown field"},
		{"no argv", `{"exec_path":"/bin/true"}`, "no argv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			w.WriteString(tc.data)
			w.Close()
			fd, err := unix.Dup(int(r.Fd()))
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ReadBootRequest(fd); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ReadBootRequest(%q) = %v, want error containing %q", tc.data, err, tc.wantErr)
			}
		})
	}
}

func TestNamespaceFlags(t *testing.T) {
	base := uintptr(unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS)
	user := uintptr(0)
	if os.Geteuid() != 0 {
		user = unix.CLONE_NEWUSER // Implied for a caller that is not root.
	}
	for _, tc := range []struct {
		name     string
		network  string
		rootless bool
		want     uintptr
	}{
		{"network none", config.NetworkNone, false, base | unix.CLONE_NEWNET | user},
		{"network host", config.NetworkHost, false, base | user},
		{"rootless", config.NetworkNone, true, base | unix.CLONE_NEWNET | unix.CLONE_NEWUSER},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			c.Network = tc.network
			c.Rootless = tc.rootless
			if got := namespaceFlags(c); got != tc.want {
				t.Errorf("namespaceFlags = %#x, want %#x", got, tc.want)
			}
		})
	}
}

// startShell starts sh running script as if it were a sandbox process, and
// waits until it prints "ready", so that its traps are in place.
func startShell(t *testing.T, script string) *Sandbox {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("shell said %q, %v; want ready", line, err)
	}
	return &Sandbox{cmd: cmd}
}

func TestRunStatus(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script string
		signal os.Signal // forwarded once the shell is ready, if not nil
		want   int
	}{
		{"exit code", "echo ready; exit 3", nil, 3},
		{"exit zero", "echo ready", nil, 0},
		{"killed by signal", "echo ready; kill -KILL $$", nil, 128 + int(unix.SIGKILL)},
		{"forwarded signal handled", `trap 'exit 7' USR1; echo ready; while :; do sleep 1; done`, unix.SIGUSR1, 7},
		{"forwarded signal kills", `echo ready; while :; do sleep 1; done`, unix.SIGTERM, 128 + int(unix.SIGTERM)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := startShell(t, tc.script)
			sigs := make(chan os.Signal, 1)
			if tc.signal != nil {
				sigs <- tc.signal
			}
			got, err := sb.Run(sigs)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("status = %d, want %d", got, tc.want)
			}
		})
	}
}
