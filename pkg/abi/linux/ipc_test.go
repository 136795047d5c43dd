package linux_test

import (
	"encoding/binary"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// TestIPCConstants compares the System V IPC constants that x/sys also
// defines with its values.
func TestIPCConstants(t *testing.T) {
	for _, c := range []struct {
		name         string
		ours, theirs int
	}{
		{"IPC_CREAT", linux.IPC_CREAT, unix.IPC_CREAT},
		{"IPC_EXCL", linux.IPC_EXCL, unix.IPC_EXCL},
		{"IPC_NOWAIT", linux.IPC_NOWAIT, unix.IPC_NOWAIT},
		{"IPC_PRIVATE", linux.IPC_PRIVATE, unix.IPC_PRIVATE},
		{"IPC_RMID", linux.IPC_RMID, unix.IPC_RMID},
		{"IPC_SET", linux.IPC_SET, unix.IPC_SET},
		{"IPC_STAT", linux.IPC_STAT, unix.IPC_STAT},
		{"SHM_RDONLY", linux.SHM_RDONLY, unix.SHM_RDONLY},
		{"SHM_RND", linux.SHM_RND, unix.SHM_RND},
	} {
		if c.ours != c.theirs {
			t.Errorf("%s = %#x, x/sys has %#x", c.name, c.ours, c.theirs)
		}
	}
}

// TestIPCStructSizes checks that the encoded size of each struct is the C
// sizeof on amd64 (explicit padding included), and that shmid64_ds agrees
// with x/sys's field by field.
func TestIPCStructSizes(t *testing.T) {
	for _, c := range []struct {
		name string
		v    any
		want int
	}{
		{"ipc64_perm", linux.IPC64Perm{}, linux.SizeOfIPC64Perm},
		{"shmid64_ds", linux.ShmidDS{}, linux.SizeOfShmidDS},
		{"shminfo64", linux.ShmInfo64{}, 72},
		{"shm_info", linux.ShmInfo{}, 48},
		{"sembuf", linux.Sembuf{}, linux.SizeOfSembuf},
		{"semid64_ds", linux.SemidDS{}, linux.SizeOfSemidDS},
		{"seminfo", linux.Seminfo{}, 40},
		{"msqid64_ds", linux.MsqidDS{}, linux.SizeOfMsqidDS},
		{"msginfo", linux.Msginfo{}, 32},
	} {
		if got := binary.Size(c.v); got != c.want {
			t.Errorf("binary.Size(%s) = %d, want %d", c.name, got, c.want)
		}
	}
	// x/sys's shmid_ds (laid out by Go as by C) must put every field
	// at the offset our encoding gives it: write distinct values at
	// x/sys's offsets and decode them as ours.
	typ := reflect.TypeOf(unix.SysvShmDesc{})
	if int(typ.Size()) != linux.SizeOfShmidDS {
		t.Errorf("x/sys's shmid_ds is %d bytes, want %d", typ.Size(), linux.SizeOfShmidDS)
	}
	perm := reflect.TypeOf(unix.SysvIpcPerm{})
	if int(perm.Size()) != linux.SizeOfIPC64Perm {
		t.Errorf("x/sys's ipc_perm is %d bytes, want %d", perm.Size(), linux.SizeOfIPC64Perm)
	}
	buf := make([]byte, typ.Size())
	put := func(off uintptr, size int, v uint64) {
		for i := 0; i < size; i++ {
			buf[int(off)+i] = byte(v >> (8 * i))
		}
	}
	for i, name := range []string{"Key", "Uid", "Gid", "Cuid", "Cgid", "Mode", "Seq"} {
		f, _ := perm.FieldByName(name)
		put(f.Offset, int(f.Type.Size()), uint64(i+1))
	}
	for i, name := range []string{"Segsz", "Atime", "Dtime", "Ctime", "Cpid", "Lpid", "Nattch"} {
		f, _ := typ.FieldByName(name)
		put(f.Offset, int(f.Type.Size()), uint64(i+8))
	}
	var ours linux.ShmidDS
	if _, err := binary.Decode(buf, binary.LittleEndian, &ours); err != nil {
		t.Fatalf("decode: %v", err)
	}
	p := ours.Perm
	if p.Key != 1 || p.UID != 2 || p.GID != 3 || p.CUID != 4 || p.CGID != 5 || p.Mode != 6 || p.Seq != 7 ||
		ours.Segsz != 8 || ours.Atime != 9 || ours.Dtime != 10 || ours.Ctime != 11 ||
		ours.CPID != 12 || ours.LPID != 13 || ours.Nattch != 14 {
		t.Errorf("x/sys's shmid_ds decodes as %+v", ours)
	}
}
