package fsgofer

import (
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/lisafs"
	"golang.org/x/sys/unix"
)

// BenchmarkOpenClose times an OpenAt round trip with its donated host FD,
// and the Close, over a real socket pair in one process: the gofer's share
// of open(2)+close(2) of a file in the root.
func BenchmarkOpenClose(b *testing.B) {
	c, root, _ := setup(b, Config{})
	ino, open, hostFD, err := c.OpenCreateAt(root.ControlFD, "f", linux.O_RDWR, 0o640, 0, 0)
	if err != nil {
		b.Fatal(err)
	}
	unix.Close(hostFD)
	c.CloseFDs([]lisafs.FDID{open})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fd, h, err := c.OpenAt(ino.ControlFD, linux.O_RDONLY)
		if err != nil {
			b.Fatal(err)
		}
		unix.Close(h)
		c.CloseFDs([]lisafs.FDID{fd})
	}
}
