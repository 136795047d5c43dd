package ipc

import (
	"sync"
	"testing"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/fsimpl/tmpfs"
	"bulwark.dev/bulwark/pkg/sentry/kernel/auth"
	"bulwark.dev/bulwark/pkg/sentry/mm"
	"bulwark.dev/bulwark/pkg/sentry/pgalloc"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// fakeBlocker waits like kernel.Task.Block; closing interrupt makes every
// wait end with ERESTARTSYS, and blocked is closed by the first wait.
type fakeBlocker struct {
	creds     *auth.Credentials
	interrupt chan struct{}
	once      sync.Once
	blocked   chan struct{}
}

func newBlocker(creds *auth.Credentials) *fakeBlocker {
	return &fakeBlocker{creds: creds, interrupt: make(chan struct{}), blocked: make(chan struct{})}
}

func (b *fakeBlocker) Block(ch <-chan struct{}, deadline time.Time) error {
	b.once.Do(func() { close(b.blocked) })
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			select {
			case <-ch:
				return nil
			default:
				return linux.ETIMEDOUT
			}
		}
		tm := time.NewTimer(d)
		defer tm.Stop()
		timeout = tm.C
	}
	select {
	case <-ch:
		return nil
	case <-timeout:
		return linux.ETIMEDOUT
	case <-b.interrupt:
		return linux.ERESTARTSYS
	}
}

func (b *fakeBlocker) BlockFD(int, int16) error       { return linux.ENOSYS }
func (b *fakeBlocker) Credentials() *auth.Credentials { return b.creds }

// user returns the credentials of an unprivileged user.
func user(uid uint32) *auth.Credentials {
	return &auth.Credentials{
		RealUID: auth.UID(uid), EffectiveUID: auth.UID(uid), SavedUID: auth.UID(uid), FilesystemUID: auth.UID(uid),
		RealGID: auth.GID(uid), EffectiveGID: auth.GID(uid), SavedGID: auth.GID(uid), FilesystemGID: auth.GID(uid),
	}
}

func TestPermits(t *testing.T) {
	o := object{uid: 10, cuid: 11, gid: 20, cgid: 21, mode: 0640}
	withGroup := user(30)
	withGroup.Groups = []auth.GID{21}
	owner := auth.Root().Fork()
	owner.EffectiveUID = 10
	for _, c := range []struct {
		name  string
		creds *auth.Credentials
		flag  uint32
		want  bool
	}{
		{"owner reads and writes", user(10), 0600, true},
		{"creator reads and writes", user(11), 0666, true},
		{"owner cannot exec", user(10), 0100, false},
		{"group member reads", withGroup, 0444, true},
		{"group member cannot write", withGroup, 0020, false},
		{"other cannot read", user(30), 0004, false},
		{"nothing asked", user(30), 0, true},
		{"CAP_IPC_OWNER overrides", auth.Root(), 0777, true},
		{"owner caps do not help without CAP_IPC_OWNER", func() *auth.Credentials {
			c := owner.Fork()
			c.Effective &^= auth.CapSet(1) << linux.CAP_IPC_OWNER
			return c
		}(), 0100, false},
	} {
		if got := o.permits(c.creds, c.flag); got != c.want {
			t.Errorf("%s: permits(%#o) = %v, want %v", c.name, c.flag, got, c.want)
		}
	}
}

func TestRegistryIDs(t *testing.T) {
	var r registry[*Queue]
	r.init(4)
	seen := map[int32]bool{}
	var qs []*Queue
	for i := 0; i < 4; i++ {
		q := &Queue{}
		id, err := r.add(q)
		if err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
		if seen[id] {
			t.Fatalf("id %d given twice", id)
		}
		seen[id] = true
		qs = append(qs, q)
	}
	if _, err := r.add(&Queue{}); err != linux.ENOSPC {
		t.Errorf("add beyond the limit: %v, want ENOSPC", err)
	}
	old := qs[0].id
	r.remove(qs[0])
	if _, err := r.lookup(old); err != linux.EINVAL {
		t.Errorf("lookup of a removed id: %v, want EINVAL", err)
	}
	// Going round the indexes reuses index 0 with a new sequence.
	for i := 0; i < minCycle; i++ {
		q := &Queue{}
		if _, err := r.add(q); err != nil {
			t.Fatalf("add after remove: %v", err)
		}
		if q.id&(linux.IPCMNI-1) == 0 {
			if q.id == old {
				t.Errorf("index 0 came back with the old id %d", old)
			}
			break
		}
		r.remove(q)
	}
	if _, err := r.lookup(old); err != linux.EINVAL {
		t.Errorf("stale id after reuse: %v, want EINVAL", err)
	}
	if _, err := r.lookup(-1); err != linux.EINVAL {
		t.Errorf("lookup(-1): %v, want EINVAL", err)
	}
}

// shmEnv is a namespace with a tmpfs for segments and a memory file for
// address spaces.
type shmEnv struct {
	ns *Namespace
	mf *pgalloc.MemoryFile
}

func newShmEnv(t *testing.T) *shmEnv {
	t.Helper()
	mf, err := pgalloc.New("ipc-test", 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mf.Close)
	return &shmEnv{ns: NewNamespace(tmpfs.NewInternalMount(vfs.New(), mf), 1<<30), mf: mf}
}

type nopAS struct{}

func (nopAS) MapFile(uint64, int, uint64, uint64, platform.Prot) error { return nil }
func (nopAS) Unmap(uint64, uint64) error                               { return nil }
func (nopAS) Protect(uint64, uint64, platform.Prot) error              { return nil }
func (nopAS) Release()                                                 {}

func (e *shmEnv) newMM() *mm.MM {
	return mm.New(e.mf, nopAS{}, mm.Layout{MaxAddr: 0x7fff_ffff_f000, StackTop: 0x7ff0_0000_0000, MmapBase: 0x7f00_0000_0000, PIEBase: 0x5555_0000_0000})
}

// attach maps segment id into m as shmat does.
func (e *shmEnv) attach(t *testing.T, m *mm.MM, creds *auth.Credentials, id int32) uint64 {
	t.Helper()
	a, err := e.ns.ShmAttach(creds, id, false, false)
	if err != nil {
		t.Fatalf("ShmAttach: %v", err)
	}
	addr, err := m.MMap(mm.MMapOpts{Length: a.ShmSize(), Prot: platform.Prot{Read: true, Write: true}, Shared: true, File: a, Name: a.Name()})
	a.Done(1, err == nil)
	if err != nil {
		t.Fatalf("MMap: %v", err)
	}
	return addr
}

func (e *shmEnv) nattch(t *testing.T, id int32) uint64 {
	t.Helper()
	ds, _, err := e.ns.ShmStat(auth.Root(), id, false, false)
	if err != nil {
		t.Fatalf("ShmStat: %v", err)
	}
	return ds.Nattch
}

func TestShmGet(t *testing.T) {
	e := newShmEnv(t)
	ctx := newBlocker(auth.Root())
	id, err := e.ns.ShmGet(ctx, 1, 42, 8192, linux.IPC_CREAT|0600)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		key   int32
		size  uint64
		flags int32
		want  error
	}{
		{"zero size", linux.IPC_PRIVATE, 0, 0600, linux.EINVAL},
		{"too big", linux.IPC_PRIVATE, ^uint64(0), 0600, linux.EINVAL},
		{"no such key", 43, 4096, 0600, linux.ENOENT},
		{"exclusive", 42, 4096, linux.IPC_CREAT | linux.IPC_EXCL | 0600, linux.EEXIST},
		{"larger than the segment", 42, 8193, 0600, linux.EINVAL},
		{"huge pages", linux.IPC_PRIVATE, 4096, linux.SHM_HUGETLB | 0600, linux.ENOMEM},
		{"more than the memory", linux.IPC_PRIVATE, 1<<31 + 1, 0600, linux.ENOMEM},
		{"more than the memory, not reserved", linux.IPC_PRIVATE, 1<<31 + 1, linux.SHM_NORESERVE | 0600, nil},
	} {
		if _, err := e.ns.ShmGet(ctx, 1, c.key, c.size, c.flags); err != c.want {
			t.Errorf("%s: ShmGet = %v, want %v", c.name, err, c.want)
		}
	}
	if got, err := e.ns.ShmGet(ctx, 1, 42, 0, 0); err != nil || got != id {
		t.Errorf("ShmGet of the key = %d, %v; want %d", got, err, id)
	}
	if _, err := e.ns.ShmGet(newBlocker(user(1000)), 1, 42, 0, 0600); err != linux.EACCES {
		t.Errorf("ShmGet by another user = %v, want EACCES", err)
	}
}

func TestShmAttachmentsForkDetach(t *testing.T) {
	e := newShmEnv(t)
	root := auth.Root()
	id, err := e.ns.ShmGet(newBlocker(root), 7, linux.IPC_PRIVATE, 3*usermem.PageSize, 0600)
	if err != nil {
		t.Fatal(err)
	}
	parent := e.newMM()
	addr := e.attach(t, parent, root, id)
	if n := e.nattch(t, id); n != 1 {
		t.Fatalf("nattch after shmat = %d, want 1", n)
	}
	// Splitting the mapping keeps one attachment.
	if err := parent.MProtect(addr+usermem.PageSize, usermem.PageSize, platform.Prot{Read: true}); err != nil {
		t.Fatal(err)
	}
	if n := e.nattch(t, id); n != 1 {
		t.Errorf("nattch after a split = %d, want 1", n)
	}
	child, err := parent.Fork(nopAS{})
	if err != nil {
		t.Fatal(err)
	}
	if n := e.nattch(t, id); n != 2 {
		t.Errorf("nattch after fork = %d, want 2", n)
	}
	// The memory is shared.
	if _, err := child.CopyOut(addr+2*usermem.PageSize, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := parent.CopyIn(addr+2*usermem.PageSize, buf); err != nil || string(buf) != "hi" {
		t.Errorf("parent reads %q, %v; want \"hi\"", buf, err)
	}
	child.Release()
	if n := e.nattch(t, id); n != 1 {
		t.Errorf("nattch after the child's exit = %d, want 1", n)
	}
	if _, err := parent.DetachShm(addr + usermem.PageSize); err != linux.EINVAL {
		t.Errorf("DetachShm inside the attachment = %v, want EINVAL", err)
	}
	// Removal waits for the last attachment.
	if err := e.ns.ShmRemove(root, id); err != nil {
		t.Fatal(err)
	}
	ds, _, err := e.ns.ShmStat(root, id, false, false)
	if err != nil || ds.Perm.Mode&linux.SHM_DEST == 0 || ds.Perm.Key != linux.IPC_PRIVATE {
		t.Errorf("after IPC_RMID: %+v, %v; want SHM_DEST", ds.Perm, err)
	}
	if _, err := parent.DetachShm(addr); err != nil {
		t.Fatalf("DetachShm: %v", err)
	}
	if _, _, err := e.ns.ShmStat(root, id, false, false); err != linux.EINVAL {
		t.Errorf("ShmStat after the last detach = %v, want EINVAL", err)
	}
	if _, err := parent.DetachShm(addr); err != linux.EINVAL {
		t.Errorf("second DetachShm = %v, want EINVAL", err)
	}
	parent.Release()
}

func TestSemOp(t *testing.T) {
	ns := NewNamespace(nil, 0)
	root := auth.Root()
	id, err := ns.SemGet(root, linux.IPC_PRIVATE, 2, 0600)
	if err != nil {
		t.Fatal(err)
	}
	b := newBlocker(root)
	op := func(num uint16, v int16, flg int16) []linux.Sembuf {
		return []linux.Sembuf{{SemNum: num, SemOp: v, SemFlg: flg}}
	}
	for _, c := range []struct {
		name string
		ops  []linux.Sembuf
		want error
	}{
		{"would block", op(0, -1, linux.IPC_NOWAIT), linux.EAGAIN},
		{"out of range number", op(2, 1, 0), linux.EFBIG},
		{"up to SEMVMX", op(0, linux.SEMVMX, 0), nil},
		{"overflow", op(0, 1, 0), linux.ERANGE},
		{"back down", op(0, -linux.SEMVMX, 0), nil},
		{"all or nothing", []linux.Sembuf{{SemNum: 1, SemOp: 1}, {SemNum: 0, SemOp: -1, SemFlg: linux.IPC_NOWAIT}}, linux.EAGAIN},
	} {
		if err := ns.SemOp(b, root, 1, id, c.ops, time.Time{}); err != c.want {
			t.Errorf("%s: SemOp = %v, want %v", c.name, err, c.want)
		}
	}
	if v, _ := ns.SemGetOne(root, id, 1, linux.GETVAL); v != 0 {
		t.Errorf("semaphore 1 = %d after a failed semop, want 0", v)
	}
	if err := ns.SemOp(b, root, 1, id, op(0, -1, 0), time.Now().Add(time.Millisecond)); err != linux.EAGAIN {
		t.Errorf("timed out SemOp = %v, want EAGAIN", err)
	}

	// A blocked decrement is completed by another process's increment.
	done := make(chan error)
	waiter := newBlocker(root)
	go func() { done <- ns.SemOp(waiter, root, 2, id, op(0, -1, linux.SEM_UNDO), time.Time{}) }()
	<-waiter.blocked
	if n, _ := ns.SemGetOne(root, id, 0, linux.GETNCNT); n != 1 {
		t.Errorf("GETNCNT = %d, want 1", n)
	}
	if err := ns.SemOp(b, root, 1, id, op(0, 2, 0), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("woken SemOp = %v", err)
	}
	if v, _ := ns.SemGetOne(root, id, 0, linux.GETVAL); v != 1 {
		t.Errorf("value = %d, want 1", v)
	}
	// Process 2's undo gives its decrement back.
	ns.SemExit(2)
	if v, _ := ns.SemGetOne(root, id, 0, linux.GETVAL); v != 2 {
		t.Errorf("value after the undo = %d, want 2", v)
	}

	// Interruption, then removal.
	waiter = newBlocker(root)
	go func() { done <- ns.SemOp(waiter, root, 3, id, op(1, -1, 0), time.Time{}) }()
	<-waiter.blocked
	close(waiter.interrupt)
	if err := <-done; err != linux.EINTR {
		t.Errorf("interrupted SemOp = %v, want EINTR", err)
	}
	waiter = newBlocker(root)
	go func() { done <- ns.SemOp(waiter, root, 3, id, op(1, -1, 0), time.Time{}) }()
	<-waiter.blocked
	if err := ns.SemRemove(user(1000), id); err != linux.EPERM {
		t.Errorf("SemRemove by another user = %v, want EPERM", err)
	}
	if err := ns.SemRemove(root, id); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != linux.EIDRM {
		t.Errorf("SemOp on a removed set = %v, want EIDRM", err)
	}
}

func TestMsgReceiveSelection(t *testing.T) {
	ns := NewNamespace(nil, 0)
	root := auth.Root()
	b := newBlocker(root)
	id, err := ns.MsgGet(root, linux.IPC_PRIVATE, 0600)
	if err != nil {
		t.Fatal(err)
	}
	for i, typ := range []int64{3, 1, 2, 1, 5} {
		if err := ns.MsgSend(b, root, 1, id, typ, []byte{byte('A' + i)}, 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		msgtyp   int64
		flags    int32
		wantType int64
		wantText string
		wantErr  error
	}{
		{-2, 0, 1, "B", nil},
		{2, linux.MSG_EXCEPT, 3, "A", nil},
		{4, linux.IPC_NOWAIT, 0, "", linux.ENOMSG},
		{1, linux.MSG_COPY | linux.IPC_NOWAIT, 1, "D", nil},
		{5, 0, 5, "E", nil},
		{0, 0, 2, "C", nil},
		{-1 << 63, 0, 1, "D", nil},
		{0, linux.IPC_NOWAIT, 0, "", linux.ENOMSG},
	} {
		typ, text, err := ns.MsgReceive(b, root, 1, id, 100, c.msgtyp, c.flags)
		if err != c.wantErr || typ != c.wantType || string(text) != c.wantText {
			t.Errorf("MsgReceive(%d, %#o) = %d, %q, %v; want %d, %q, %v", c.msgtyp, c.flags, typ, text, err, c.wantType, c.wantText, c.wantErr)
		}
	}
	if err := ns.MsgSend(b, root, 1, id, 1, []byte("long"), 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ns.MsgReceive(b, root, 1, id, 2, 0, 0); err != linux.E2BIG {
		t.Errorf("small buffer: %v, want E2BIG", err)
	}
	if _, text, err := ns.MsgReceive(b, root, 1, id, 2, 0, linux.MSG_NOERROR); err != nil || string(text) != "long" {
		t.Errorf("MSG_NOERROR: %q, %v; want the whole text for the caller to cut", text, err)
	}

	// Blocked receivers: woken by a send, interrupted, or told of removal.
	done := make(chan error)
	waiter := newBlocker(root)
	go func() {
		_, _, err := ns.MsgReceive(waiter, root, 2, id, 100, 9, 0)
		done <- err
	}()
	<-waiter.blocked
	if err := ns.MsgSend(b, root, 1, id, 9, nil, 0); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("woken MsgReceive = %v", err)
	}
	waiter = newBlocker(root)
	go func() {
		_, _, err := ns.MsgReceive(waiter, root, 2, id, 100, 0, 0)
		done <- err
	}()
	<-waiter.blocked
	close(waiter.interrupt)
	if err := <-done; err != linux.ERESTARTNOHAND {
		t.Errorf("interrupted MsgReceive = %v, want ERESTARTNOHAND", err)
	}
	waiter = newBlocker(root)
	go func() {
		_, _, err := ns.MsgReceive(waiter, root, 2, id, 100, 0, 0)
		done <- err
	}()
	<-waiter.blocked
	if err := ns.MsgRemove(root, id); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != linux.EIDRM {
		t.Errorf("MsgReceive on a removed queue = %v, want EIDRM", err)
	}
}
