package linux_test

import (
	"encoding/binary"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

// TestFSSyscallConstants checks fsyscalls.go against x/sys where x/sys
// has the value, and the derived masks against their definitions.
func TestFSSyscallConstants(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uint64
	}{
		{"FALLOC_FL_WRITE_ZEROES", linux.FALLOC_FL_WRITE_ZEROES, unix.FALLOC_FL_WRITE_ZEROES},
		{"SYNC_FILE_RANGE_WAIT_BEFORE", linux.SYNC_FILE_RANGE_WAIT_BEFORE, unix.SYNC_FILE_RANGE_WAIT_BEFORE},
		{"SYNC_FILE_RANGE_WRITE", linux.SYNC_FILE_RANGE_WRITE, unix.SYNC_FILE_RANGE_WRITE},
		{"SYNC_FILE_RANGE_WAIT_AFTER", linux.SYNC_FILE_RANGE_WAIT_AFTER, unix.SYNC_FILE_RANGE_WAIT_AFTER},
		{"S_IALLUGO", linux.S_IALLUGO, unix.S_ISUID | unix.S_ISGID | unix.S_ISVTX | 0o777},
		{"VALID_RESOLVE_FLAGS", linux.VALID_RESOLVE_FLAGS, unix.RESOLVE_NO_XDEV | unix.RESOLVE_NO_MAGICLINKS |
			unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_BENEATH | unix.RESOLVE_IN_ROOT | 0x20 /* RESOLVE_CACHED, not in x/sys */},
		{"VALID_OPEN_FLAGS", linux.VALID_OPEN_FLAGS, unix.O_RDONLY | unix.O_WRONLY | unix.O_RDWR | unix.O_CREAT |
			unix.O_EXCL | unix.O_NOCTTY | unix.O_TRUNC | unix.O_APPEND | unix.O_NONBLOCK | unix.O_SYNC |
			unix.O_DSYNC | unix.O_ASYNC | unix.O_DIRECT | 0o100000 /* the kernel's O_LARGEFILE; x/sys has libc's 0 */ | unix.O_DIRECTORY |
			unix.O_NOFOLLOW | unix.O_NOATIME | unix.O_CLOEXEC | unix.O_PATH | unix.O_TMPFILE},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
	if got, want := binary.Size(linux.Utimbuf{}), binary.Size(unix.Utimbuf{}); got != want {
		t.Errorf("sizeof(Utimbuf) = %d, x/sys has %d", got, want)
	}
	name, _ := reflect.TypeOf(unix.Dirent{}).FieldByName("Name")
	if got, want := uintptr(linux.Dirent64NameOffset), name.Offset; got != want {
		t.Errorf("linux_dirent64 d_name at %d, x/sys has %d", got, want)
	}
}
