package e2e_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// filestoreBlocks returns the 512-byte blocks used by the largest file
// under dir that a process holds open, found through /proc/PID/fd (a
// filestore has no name, so only its holders can reach it), and whether
// there is one.
func filestoreBlocks(t *testing.T, dir string) (int64, bool) {
	t.Helper()
	procs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var most int64
	found := false
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err != nil {
			continue
		}
		fds, err := os.ReadDir("/proc/" + p.Name() + "/fd")
		if err != nil {
			continue // Gone, or not ours to look at.
		}
		for _, fd := range fds {
			path := "/proc/" + p.Name() + "/fd/" + fd.Name()
			link, err := os.Readlink(path)
			if err != nil || !strings.HasPrefix(link, dir+"/") {
				continue
			}
			var st syscall.Stat_t
			if err := syscall.Stat(path, &st); err != nil {
				continue // Closed meanwhile.
			}
			found = true
			most = max(most, st.Blocks)
		}
	}
	return most, found
}

// TestFilestoreDir runs a program that writes a 50 MB file in a sandbox
// whose root overlay keeps its data in a filestore under a host directory:
// while it runs the data is on the host's disk in that directory (in a file
// without a name, which the sandbox holds), and afterwards nothing is left
// there.
func TestFilestoreDir(t *testing.T) {
	bin := runsc(t)
	dir, err := os.MkdirTemp("/var/tmp", "bulwark-filestore-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	const size = 50000000
	// read fails when its input ends (the test closes it): that is not
	// the program failing.
	script := fmt.Sprintf("head -c %d /dev/zero > /bigfile && echo written && { read x; true; }", size)
	cmd := exec.Command(bin, "--overlay2=root:dir="+dir, "do", "/bin/busybox", "sh", "-c", script)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})

	// Wait for the marker: the file is written.
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
	}()
	select {
	case line := <-lines:
		if line != "written\n" {
			t.Fatalf("the program printed %q, want the marker", line)
		}
	case <-time.After(runTimeout):
		t.Fatalf("no marker within %v", runTimeout)
	}

	blocks, ok := filestoreBlocks(t, dir)
	if !ok {
		t.Fatalf("no process holds a file under %s while the sandbox runs", dir)
	}
	if blocks*512 < size {
		t.Errorf("the filestore uses %d bytes of disk, want at least the %d bytes written", blocks*512, size)
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 0 {
		t.Errorf("%s holds %v (%v) while the sandbox runs; the filestore should have no name", dir, ents, err)
	}

	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("runsc do: %v", err)
	}
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 0 {
		t.Errorf("%s holds %v (%v) after the sandbox exited", dir, ents, err)
	}
	if _, ok := filestoreBlocks(t, dir); ok {
		t.Errorf("a process still holds a file under %s after the sandbox exited", dir)
	}
}
