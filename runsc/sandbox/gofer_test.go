package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/lisafs"
	"bulwark.dev/bulwark/pkg/testutil"
	"golang.org/x/sys/unix"
)

// hangGuard bounds waits for things that must happen; it is not a
// performance threshold.
const hangGuard = 30 * time.Second

func buildRunsc(t *testing.T) string {
	t.Helper()
	bin, err := testutil.BuildRunsc(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestGofer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the test checks mounts of the host root as the gofer sees them")
	}
	bin := buildRunsc(t)

	t.Run("temp dir, read-write", func(t *testing.T) {
		root := t.TempDir()
		if err := os.WriteFile(filepath.Join(root, "f"), []byte("data"), 0o644); err != nil {
			t.Fatal(err)
		}
		sock, proc, err := startGofer(bin, root, false)
		if err != nil {
			t.Fatal(err)
		}
		c, rootIno, err := lisafs.Connect(sock, 2)
		if err != nil {
			proc.Kill()
			proc.Wait()
			t.Fatal(err)
		}
		var st unix.Stat_t
		unix.Stat(root, &st)
		if rootIno.Stat.Ino != st.Ino {
			t.Errorf("gofer root ino %d, want %d (%s)", rootIno.Stat.Ino, st.Ino, root)
		}
		inodes, err := c.WalkStat(rootIno.ControlFD, []string{"f"})
		if err != nil || len(inodes) != 1 || inodes[0].Stat.Size != 4 {
			t.Errorf("WalkStat(f) = %+v, %v", inodes, err)
		}
		d, err := c.MkdirAt(rootIno.ControlFD, "d", 0o751, 0, 0)
		if err != nil {
			t.Errorf("MkdirAt: %v", err)
		} else if d.Stat.Mode&0o7777 != 0o751 {
			t.Errorf("MkdirAt made mode %#o, want 0751 (umask not 0 in the gofer?)", d.Stat.Mode&0o7777)
		}
		// The gofer exits when the client hangs up.
		c.Close()
		state, err := proc.Wait()
		if err != nil || !state.Success() {
			t.Errorf("gofer after the client closed: %v, %v", state, err)
		}
	})

	t.Run("host root, read-only", func(t *testing.T) {
		sock, proc, err := startGofer(bin, "/", true)
		if err != nil {
			t.Fatal(err)
		}
		defer proc.Wait()
		defer proc.Kill()
		c, root, err := lisafs.Connect(sock, 2)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.MkdirAt(root.ControlFD, "bulwark-gofer-test", 0o755, 0, 0); !errors.Is(err, linux.EROFS) {
			t.Errorf("MkdirAt in read-only mode = %v, want EROFS", err)
		}
		// The host's /proc, /sys and /dev are not served.
		for _, p := range [][]string{{"proc", "self"}, {"proc", "1"}, {"sys", "kernel"}, {"dev", "null"}} {
			inodes, err := c.WalkStat(root.ControlFD, p)
			if err != nil || len(inodes) > 1 {
				t.Errorf("WalkStat(%q) = %d inodes, %v; want only the empty mount point", p, len(inodes), err)
			}
		}
		// The gofer dies: the client notices.
		if err := proc.Kill(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-c.Done():
		case <-time.After(hangGuard):
			t.Fatal("client did not notice the gofer's death")
		}
		if _, err := c.FStat(root.ControlFD); !errors.Is(err, lisafs.ErrConnectionLost) {
			t.Errorf("FStat after the gofer died = %v, want ErrConnectionLost", err)
		}
	})
}

func TestStartGoferRejectsEmptyRoot(t *testing.T) {
	if _, _, err := StartGofer("", true); err == nil {
		t.Error("StartGofer(\"\") succeeded")
	}
}
