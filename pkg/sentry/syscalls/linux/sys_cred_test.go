package linux

import (
	"encoding/binary"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
)

// ids returns getuid, geteuid, getgid, getegid and getresuid's saved UID.
func ids(t *testing.T, task *kernel.Task) [5]uint64 {
	t.Helper()
	mustCall(t, task, linux.SYS_GETRESUID, rwBase, rwBase+4, rwBase+8)
	saved := uint64(binary.LittleEndian.Uint32(peek(t, task, rwBase+8, 4)))
	return [5]uint64{
		mustCall(t, task, linux.SYS_GETUID), mustCall(t, task, linux.SYS_GETEUID),
		mustCall(t, task, linux.SYS_GETGID), mustCall(t, task, linux.SYS_GETEGID), saved,
	}
}

func TestSetIDs(t *testing.T) {
	task := newTestTask(t)
	const none = uint64(0xffffffff)
	for _, tc := range []struct {
		nr   uintptr
		args []uint64
		want error
		// uid, euid, gid, egid, suid afterwards
		ids [5]uint64
	}{
		{linux.SYS_SETRESGID, []uint64{10, 20, 30}, nil, [5]uint64{0, 0, 10, 20, 0}},
		{linux.SYS_SETGID, []uint64{none}, linux.EINVAL, [5]uint64{0, 0, 10, 20, 0}},
		{linux.SYS_SETREUID, []uint64{none, 1000}, nil, [5]uint64{0, 1000, 10, 20, 1000}},
		// Effective 1000, but real 0: back to root is allowed.
		{linux.SYS_SETUID, []uint64{0}, nil, [5]uint64{0, 0, 10, 20, 1000}},
		{linux.SYS_SETRESUID, []uint64{1000, 1000, 1000}, nil, [5]uint64{1000, 1000, 10, 20, 1000}},
		// All root IDs gone: no capabilities any more.
		{linux.SYS_SETUID, []uint64{0}, linux.EPERM, [5]uint64{1000, 1000, 10, 20, 1000}},
		{linux.SYS_SETRESUID, []uint64{none, 2000, none}, linux.EPERM, [5]uint64{1000, 1000, 10, 20, 1000}},
		{linux.SYS_SETGID, []uint64{30}, nil, [5]uint64{1000, 1000, 10, 30, 1000}},
		{linux.SYS_SETREGID, []uint64{99, none}, linux.EPERM, [5]uint64{1000, 1000, 10, 30, 1000}},
	} {
		_, err := call(t, task, tc.nr, tc.args...)
		if err != tc.want {
			t.Errorf("%s(%v) = %v, want %v", linux.SyscallName(tc.nr), tc.args, err, tc.want)
		}
		if got := ids(t, task); got != tc.ids {
			t.Errorf("after %s(%v): ids %v, want %v", linux.SyscallName(tc.nr), tc.args, got, tc.ids)
		}
	}
	if task.Credentials().Effective != 0 {
		t.Errorf("capabilities kept: %#x", task.Credentials().Effective)
	}
	mustCall(t, task, linux.SYS_GETRESGID, rwBase, rwBase+4, rwBase+8)
	if got := peek(t, task, rwBase, 12); binary.LittleEndian.Uint32(got[8:]) != 30 {
		t.Errorf("getresgid = %v", got)
	}
}

func TestSetFSIDs(t *testing.T) {
	task := newTestTask(t)
	if old := mustCall(t, task, linux.SYS_SETFSUID, 1000); old != 0 {
		t.Errorf("setfsuid returned %d", old)
	}
	if c := task.Credentials(); c.FilesystemUID != 1000 || c.HasCapability(linux.CAP_DAC_OVERRIDE) || !c.HasCapability(linux.CAP_KILL) {
		t.Errorf("after setfsuid(1000): fsuid %d caps %#x", c.FilesystemUID, c.Effective)
	}
	// -1 only queries.
	if old := mustCall(t, task, linux.SYS_SETFSUID, 0xffffffff); old != 1000 {
		t.Errorf("setfsuid(-1) returned %d", old)
	}
	mustCall(t, task, linux.SYS_SETFSUID, 0)
	if !task.Credentials().HasCapability(linux.CAP_DAC_OVERRIDE) {
		t.Error("setfsuid(0) did not restore the file capabilities")
	}
	if old := mustCall(t, task, linux.SYS_SETFSGID, 5); old != 0 {
		t.Errorf("setfsgid returned %d", old)
	}
	if task.Credentials().FilesystemGID != 5 {
		t.Errorf("fsgid %d", task.Credentials().FilesystemGID)
	}
}

func TestGroups(t *testing.T) {
	task := newTestTask(t)
	var b []byte
	for _, g := range []uint32{30, 10, 20} {
		b = binary.LittleEndian.AppendUint32(b, g)
	}
	poke(t, task, rwBase, b)
	mustCall(t, task, linux.SYS_SETGROUPS, 3, rwBase)
	if n := mustCall(t, task, linux.SYS_GETGROUPS, 0, 0); n != 3 {
		t.Errorf("getgroups(0) = %d", n)
	}
	if n := mustCall(t, task, linux.SYS_GETGROUPS, 3, rwBase+64); n != 3 {
		t.Errorf("getgroups(3) = %d", n)
	}
	got := peek(t, task, rwBase+64, 12)
	for i, want := range []uint32{10, 20, 30} {
		if g := binary.LittleEndian.Uint32(got[4*i:]); g != want {
			t.Errorf("group %d = %d, want %d (sorted)", i, g, want)
		}
	}
	for _, tc := range []struct {
		nr   uintptr
		args []uint64
		want error
	}{
		{linux.SYS_GETGROUPS, []uint64{2, rwBase}, linux.EINVAL},
		{linux.SYS_GETGROUPS, []uint64{0xffffffff, rwBase}, linux.EINVAL},
		{linux.SYS_GETGROUPS, []uint64{3, badAddr}, linux.EFAULT},
		{linux.SYS_SETGROUPS, []uint64{auth.NGROUPS_MAX + 1, rwBase}, linux.EINVAL},
		{linux.SYS_SETGROUPS, []uint64{1, badAddr}, linux.EFAULT},
	} {
		if _, err := call(t, task, tc.nr, tc.args...); err != tc.want {
			t.Errorf("%s(%v) = %v, want %v", linux.SyscallName(tc.nr), tc.args, err, tc.want)
		}
	}
	mustCall(t, task, linux.SYS_SETGROUPS, 0, 0)
	if n := mustCall(t, task, linux.SYS_GETGROUPS, 0, 0); n != 0 {
		t.Errorf("groups after clearing: %d", n)
	}
	task.SetCredentials(user(1000))
	if _, err := call(t, task, linux.SYS_SETGROUPS, 0, 0); err != linux.EPERM {
		t.Errorf("setgroups without CAP_SETGID = %v", err)
	}
}
