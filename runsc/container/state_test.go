package container

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"bulwark.dev/bulwark/runsc/oci"
	"golang.org/x/sys/unix"
)

func TestValidateID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"abc", true}, {"a.b-c_d+e", true}, {"0123456789abcdef", true},
		{"", false}, {".", false}, {"..", false}, {"a/b", false}, {"a b", false},
		{"../x", false}, {"x\x00", false}, {strings.Repeat("a", 2000), false},
	} {
		if err := ValidateID(tc.id); (err == nil) != tc.ok {
			t.Errorf("ValidateID(%.30q) = %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
}

func TestSaveLoadRemove(t *testing.T) {
	root := filepath.Join(t.TempDir(), "state")
	self := os.Getpid()
	s := &State{
		ID: "c1", Bundle: "/b", Rootfs: "/b/rootfs", Status: Created, Owner: 0,
		Spec:       oci.DefaultSpec(nil),
		SandboxPID: self, SandboxStart: StartTime(self),
	}
	s.Spec.Annotations = map[string]string{"k": "v"}
	if err := s.Save(root); err != nil {
		t.Fatalf("Save: %v", err)
	}
	got, err := Load(root, "c1")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got.Status != Created || got.Bundle != "/b" || got.Spec.Process.Args[0] != "sh" {
		t.Errorf("Load = %+v", got)
	}
	o := got.OCI()
	if o.Pid != self || o.Status != "created" || o.Annotations["k"] != "v" || o.Version == "" {
		t.Errorf("OCI state = %+v", o)
	}
	if b, err := json.Marshal(o); err != nil || !strings.Contains(string(b), `"ociVersion"`) {
		t.Errorf("OCI state JSON = %s, %v", b, err)
	}
	ids, err := List(root)
	if err != nil || !slices.Equal(ids, []string{"c1"}) {
		t.Errorf("List = %v, %v", ids, err)
	}
	l, err := LockContainer(root, "c1")
	if err != nil {
		t.Fatal(err)
	}
	l.Unlock()
	if err := Remove(root, "c1"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := Load(root, "c1"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Load after Remove: %v, want ErrNotExist", err)
	}
	left, _ := os.ReadDir(root)
	if len(left) != 0 {
		t.Errorf("Remove left %v", left)
	}
}

func TestListMissingRoot(t *testing.T) {
	ids, err := List(filepath.Join(t.TempDir(), "none"))
	if err != nil || ids != nil {
		t.Errorf("List = %v, %v", ids, err)
	}
}

func TestDeadSandboxIsStopped(t *testing.T) {
	cmd := exec.Command("/bin/true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	start := StartTime(pid)
	cmd.Wait()
	root := t.TempDir()
	s := &State{ID: "gone", Status: Running, SandboxPID: pid, SandboxStart: start}
	if err := s.Save(root); err != nil {
		t.Fatal(err)
	}
	got, err := Load(root, "gone")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != Stopped || got.OCI().Pid != 0 {
		t.Errorf("status %q pid %d, want stopped and 0", got.Status, got.OCI().Pid)
	}
}

func TestAliveChecksStartTime(t *testing.T) {
	self := os.Getpid()
	st := StartTime(self)
	if st == 0 {
		t.Fatal("no start time for this process")
	}
	if !Alive(self, st) || !Alive(self, 0) {
		t.Error("this process is not alive")
	}
	if Alive(self, st+1) {
		t.Error("a different start time counts as alive (pid reuse)")
	}
	if Alive(0, 0) || Alive(-1, 0) {
		t.Error("pid 0 or -1 alive")
	}
}

func TestLockExcludes(t *testing.T) {
	root := t.TempDir()
	l, err := LockContainer(root, "c")
	if err != nil {
		t.Fatal(err)
	}
	other, err := os.Open(filepath.Join(root, "c.lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := unix.Flock(int(other.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != unix.EWOULDBLOCK {
		t.Errorf("second lock while held: %v, want EWOULDBLOCK", err)
	}
	l.Unlock()
	if err := unix.Flock(int(other.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Errorf("second lock after Unlock: %v", err)
	}
}

func TestCorruptState(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(Dir(root, "bad"), 0o711); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(Dir(root, "bad"), stateName), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(root, "bad"); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("Load of a corrupt state: %v", err)
	}
	if _, err := Load(root, "../x"); err == nil {
		t.Error("Load accepted an invalid ID")
	}
}

func TestRecordedExitMeansStopped(t *testing.T) {
	root := t.TempDir()
	self := os.Getpid()
	s := &State{ID: "ended", Status: Running, SandboxPID: self, SandboxStart: StartTime(self)}
	if err := s.Save(root); err != nil {
		t.Fatal(err)
	}
	// Created by create, empty until the init ends: still running.
	exitFile := filepath.Join(Dir(root, "ended"), exitName)
	if err := os.WriteFile(exitFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := Load(root, "ended"); err != nil || got.Status != Running {
		t.Fatalf("before the exit: %+v, %v", got, err)
	}
	// The init ended while the sandbox process (here: this one) lives on.
	if err := os.WriteFile(exitFile, []byte("256\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := Load(root, "ended"); err != nil || got.Status != Stopped {
		t.Errorf("after the exit: %+v, %v", got, err)
	}
}
