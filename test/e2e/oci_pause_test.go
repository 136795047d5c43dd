package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// fileSize returns the size of path (0 if missing).
func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func TestOCIPauseResume(t *testing.T) {
	e := newOCIEnv(t)
	b := busyboxBundle(t, nil, "sh", "-c", "while true; do echo tick; sleep 0.02; done")
	out := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(runsc(t), "--root", e.root, "create", "--bundle", b, "p1")
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Run(); err != nil {
		b, _ := os.ReadFile(out)
		t.Fatalf("create: %v: %s", err, b)
	}
	f.Close()
	t.Cleanup(func() { e.runsc("delete", "--force", "p1") })
	if r := e.runsc("pause", "p1"); r.code == 0 {
		t.Errorf("pause of a created container succeeded: %v", r)
	}
	if r := e.runsc("start", "p1"); r.code != 0 {
		t.Fatalf("start: %v", r)
	}
	// Running: the output grows.
	for n := fileSize(out); fileSize(out) == n; {
		time.Sleep(10 * time.Millisecond)
	}
	if r := e.runsc("pause", "p1"); r.code != 0 {
		t.Fatalf("pause: %v", r)
	}
	if s := e.state("p1"); s["status"] != "paused" {
		t.Errorf("state after pause: %v", s)
	}
	// A write already in a system call may still land; then nothing.
	time.Sleep(100 * time.Millisecond)
	paused := fileSize(out)
	time.Sleep(300 * time.Millisecond)
	if got := fileSize(out); got != paused {
		t.Errorf("the container wrote while paused: %d -> %d bytes", paused, got)
	}
	if r := e.runsc("ps", "p1"); r.code != 0 {
		t.Errorf("ps of a paused container: %v", r)
	}
	if r := e.runsc("delete", "p1"); r.code == 0 {
		t.Errorf("delete of a paused container without --force succeeded")
	}
	if r := e.runsc("resume", "p1"); r.code != 0 {
		t.Fatalf("resume: %v", r)
	}
	if s := e.state("p1"); s["status"] != "running" {
		t.Errorf("state after resume: %v", s)
	}
	for fileSize(out) == paused {
		time.Sleep(10 * time.Millisecond)
	}
	if r := e.runsc("resume", "p1"); r.code == 0 {
		t.Errorf("resume of a running container succeeded")
	}
}
