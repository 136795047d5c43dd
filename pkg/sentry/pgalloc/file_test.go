package pgalloc

import (
	"bytes"
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

const testCapacity = 1 << 20

// tmpFile opens an anonymous regular file (O_TMPFILE) in dir, or in a new
// temporary directory if dir is empty.
func tmpFile(t *testing.T, dir string) int {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	fd, err := unix.Open(dir, unix.O_RDWR|unix.O_TMPFILE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.Fatalf("O_TMPFILE in %s: %v", dir, err)
	}
	return fd
}

// diskFile returns a MemoryFile over a fresh file on disk.
func diskFile(t *testing.T, dir string) *MemoryFile {
	t.Helper()
	fd := tmpFile(t, dir)
	f, err := NewFromFD(fd, "test-filestore", testCapacity)
	if err != nil {
		unix.Close(fd)
		t.Fatalf("NewFromFD: %v", err)
	}
	t.Cleanup(f.Close)
	return f
}

// blocks returns the 512-byte blocks fd uses on disk.
func blocks(t *testing.T, fd int) int64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks
}

func TestFromFDAllocateWriteFree(t *testing.T) {
	f := diskFile(t, "")
	if f.FD() < 0 || !f.OnDisk() {
		t.Fatalf("FD() = %d, OnDisk() = %v", f.FD(), f.OnDisk())
	}
	base := blocks(t, f.FD())
	const length = 16 * pageSize
	off, err := f.Allocate(length)
	if err != nil {
		t.Fatalf("Allocate: %v", err)
	}
	// The blocks are reserved at once, before anything is written.
	if got := blocks(t, f.FD()) - base; got < length/512 {
		t.Fatalf("after Allocate the file uses %d more blocks, want >= %d", got, length/512)
	}
	mem := f.Bytes(off, length)
	if !bytes.Equal(mem, make([]byte, length)) {
		t.Fatal("a new range does not read as zeros")
	}
	pattern := bytes.Repeat([]byte("filestore"), length/9)
	copy(mem, pattern)
	// Writes through the sentry's mapping are the file's contents.
	got := make([]byte, len(pattern))
	if _, err := unix.Pread(f.FD(), got, int64(off)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, pattern) {
		t.Fatal("pread of the file does not see the bytes written through Bytes")
	}
	if f.Used() != length {
		t.Fatalf("Used = %d, want %d", f.Used(), length)
	}

	f.Free(off, length)
	if got := blocks(t, f.FD()); got > base {
		t.Fatalf("after Free the file uses %d blocks, want <= %d (a hole)", got, base)
	}
	if f.Used() != 0 {
		t.Fatalf("Used after Free = %d", f.Used())
	}
	// The range is handed out again, as zeros.
	off2, err := f.Allocate(length)
	if err != nil || off2 != off {
		t.Fatalf("Allocate again = %#x, %v; want %#x", off2, err, off)
	}
	if !bytes.Equal(f.Bytes(off2, length), make([]byte, length)) {
		t.Fatal("a freed and reallocated range does not read as zeros")
	}
}

func TestFromFDDecommitKeepsBlocks(t *testing.T) {
	f := diskFile(t, "")
	const length = 8 * pageSize
	off, err := f.Allocate(length)
	if err != nil {
		t.Fatal(err)
	}
	copy(f.Bytes(off, length), bytes.Repeat([]byte{0xaa}, length))
	before := blocks(t, f.FD())
	f.Decommit(off, length)
	if !bytes.Equal(f.Bytes(off, length), make([]byte, length)) {
		t.Fatal("a decommitted range does not read as zeros")
	}
	// Still allocated: the disk space stays reserved, so a later write
	// through the mapping cannot fault for want of space.
	if got := blocks(t, f.FD()); got < before {
		t.Fatalf("Decommit gave blocks back: %d -> %d", before, got)
	}
}

func TestFromFDDiscardsOldContents(t *testing.T) {
	fd := tmpFile(t, "")
	junk := bytes.Repeat([]byte{0xff}, 4*pageSize)
	if _, err := unix.Pwrite(fd, junk, pageSize); err != nil {
		t.Fatal(err)
	}
	f, err := NewFromFD(fd, "test-filestore", testCapacity)
	if err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	defer f.Close()
	off, err := f.Allocate(4 * pageSize)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.Bytes(off, 4*pageSize), make([]byte, 4*pageSize)) {
		t.Fatal("the file's old contents show through a new range")
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Size != testCapacity {
		t.Fatalf("size = %d, %v; want %d", st.Size, err, testCapacity)
	}
}

func TestFromFDRejects(t *testing.T) {
	dir := t.TempDir()
	dirFD, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dirFD)
	var pipe [2]int
	if err := unix.Pipe2(pipe[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pipe[0])
	defer unix.Close(pipe[1])
	reg := tmpFile(t, dir)
	defer unix.Close(reg)
	for _, tc := range []struct {
		name     string
		fd       int
		capacity uint64
	}{
		{"directory", dirFD, testCapacity},
		{"pipe", pipe[0], testCapacity},
		{"zero capacity", reg, 0},
		{"unaligned capacity", reg, testCapacity + 1},
		{"closed fd", 1 << 20, testCapacity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewFromFD(tc.fd, "bad", tc.capacity)
			if err == nil {
				f.Close()
				t.Fatal("NewFromFD succeeded")
			}
		})
	}
	// The caller keeps the FD of a failed NewFromFD.
	if _, err := unix.FcntlInt(uintptr(reg), unix.F_GETFD, 0); err != nil {
		t.Fatalf("NewFromFD closed the caller's FD on failure: %v", err)
	}
}

func TestKeyTellsFilesApart(t *testing.T) {
	a := diskFile(t, "")
	b, err := New("test-memfd", testCapacity)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.Key(pageSize) == b.Key(pageSize) {
		t.Fatalf("two memory files give the same key %#x for one offset", a.Key(pageSize))
	}
	if a.Key(pageSize) == a.Key(2*pageSize) {
		t.Fatal("two offsets of one file give the same key")
	}
}

// TestFromFDFullDisk checks that a full disk is ENOSPC from Allocate, not a
// SIGBUS when the sentry writes through its mapping.
func TestFromFDFullDisk(t *testing.T) {
	dir := t.TempDir()
	// A 64 KiB tmpfs is a full disk for a 1 MiB memory file.
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	f := diskFile(t, dir)
	small, err := f.Allocate(4 * pageSize)
	if err != nil {
		t.Fatalf("Allocate within the disk: %v", err)
	}
	if _, err := f.Allocate(64 * pageSize); !errors.Is(err, linux.ENOSPC) {
		t.Fatalf("Allocate beyond the disk = %v, want ENOSPC", err)
	}
	if f.Used() != 4*pageSize {
		t.Fatalf("a failed Allocate changed Used: %d", f.Used())
	}
	// The failed range gave its blocks back: what is left still fits.
	f.Free(small, 4*pageSize)
	if _, err := f.Allocate(8 * pageSize); err != nil {
		t.Fatalf("Allocate after the failure: %v", err)
	}
}
