package signalfd

import (
	"encoding/binary"
	"errors"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/sentry/waiter"
)

// The tests use a real task that never runs: its platform cannot run code.

type fakePlatform struct{}

func (fakePlatform) Name() string                                    { return "fake" }
func (fakePlatform) NewAddressSpace() (platform.AddressSpace, error) { return nil, errors.New("none") }
func (fakePlatform) NewContext() platform.Context                    { return fakeContext{} }
func (fakePlatform) MaxUserAddress() uint64                          { return 1 << 47 }

type fakeContext struct{}

func (fakeContext) Switch(platform.AddressSpace, *linux.PtraceRegs) (platform.Event, *linux.SignalInfo, error) {
	return 0, nil, errors.New("fake context cannot run code")
}
func (fakeContext) Interrupt()                  {}
func (fakeContext) LastTrap() platform.TrapInfo { return platform.TrapInfo{} }
func (fakeContext) FPState() ([]byte, error)    { return nil, nil }
func (fakeContext) SetFPState([]byte) error     { return nil }
func (fakeContext) CPUTime() int64              { return 0 }
func (fakeContext) Release()                    {}

func newTask(t *testing.T) *kernel.Task {
	k := kernel.NewKernel(fakePlatform{}, nil, nil)
	task, err := k.NewProcess(kernel.ProcessArgs{})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func signal(sig linux.Signal, code int32) *linux.SignalInfo {
	info := &linux.SignalInfo{Signo: int32(sig), Code: code}
	info.SetPID(42)
	info.SetUID(1000)
	return info
}

func decode(t *testing.T, buf []byte) []linux.SignalfdSiginfo {
	t.Helper()
	recs := make([]linux.SignalfdSiginfo, len(buf)/linux.SizeOfSignalfdSiginfo)
	for i := range recs {
		if _, err := binary.Decode(buf[i*linux.SizeOfSignalfdSiginfo:], binary.LittleEndian, &recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return recs
}

func TestRecordSize(t *testing.T) {
	if got := binary.Size(linux.SignalfdSiginfo{}); got != linux.SizeOfSignalfdSiginfo {
		t.Errorf("binary.Size(SignalfdSiginfo) = %d, want %d", got, linux.SizeOfSignalfdSiginfo)
	}
}

func TestRecordLayouts(t *testing.T) {
	timer := &linux.SignalInfo{Signo: int32(linux.SIGRTMIN), Code: linux.SI_TIMER}
	timer.SetTimerID(3)
	timer.SetOverrun(9)
	timer.SetValue(0x1_0000_0007)
	queued := signal(linux.SIGUSR1, linux.SI_QUEUE)
	queued.SetValue(5)
	fault := &linux.SignalInfo{Signo: int32(linux.SIGSEGV), Code: linux.SEGV_MAPERR}
	fault.SetAddr(0xdead000)
	chld := signal(linux.SIGCHLD, 1) // CLD_EXITED
	chld.SetStatus(3)
	for _, c := range []struct {
		name string
		info *linux.SignalInfo
		want linux.SignalfdSiginfo
	}{
		{"kill", signal(linux.SIGTERM, linux.SI_USER),
			linux.SignalfdSiginfo{Signo: uint32(linux.SIGTERM), Code: linux.SI_USER, PID: 42, UID: 1000}},
		{"kernel", signal(linux.SIGALRM, linux.SI_KERNEL),
			linux.SignalfdSiginfo{Signo: uint32(linux.SIGALRM), Code: linux.SI_KERNEL, PID: 42, UID: 1000}},
		{"tkill is rt layout", signal(linux.SIGUSR2, linux.SI_TKILL),
			linux.SignalfdSiginfo{Signo: uint32(linux.SIGUSR2), Code: linux.SI_TKILL, PID: 42, UID: 1000}},
		{"queue", queued,
			linux.SignalfdSiginfo{Signo: uint32(linux.SIGUSR1), Code: linux.SI_QUEUE, PID: 42, UID: 1000, Int: 5, Ptr: 5}},
		{"timer", timer,
			linux.SignalfdSiginfo{Signo: uint32(linux.SIGRTMIN), Code: linux.SI_TIMER, TID: 3, Overrun: 9, Int: 7, Ptr: 0x1_0000_0007}},
		{"fault", fault,
			linux.SignalfdSiginfo{Signo: uint32(linux.SIGSEGV), Code: linux.SEGV_MAPERR, Addr: 0xdead000}},
		{"child", chld,
			linux.SignalfdSiginfo{Signo: uint32(linux.SIGCHLD), Code: 1, PID: 42, UID: 1000, Status: 3}},
	} {
		if got := Record(c.info); got != c.want {
			t.Errorf("%s: Record = %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestReadTakesMaskedSignals(t *testing.T) {
	task := newTask(t)
	task.SetSignalMask(linux.MakeSignalSet(linux.SIGUSR1, linux.SIGUSR2, linux.SIGHUP))
	f := New(task, linux.MakeSignalSet(linux.SIGUSR1, linux.SIGHUP, linux.SIGKILL), linux.SFD_NONBLOCK)
	defer f.DecRef()
	if f.Mask()&linux.UnblockableSignals != 0 {
		t.Errorf("mask %#x keeps SIGKILL", f.Mask())
	}
	buf := make([]byte, 3*linux.SizeOfSignalfdSiginfo)
	if _, err := f.Read(task, buf[:linux.SizeOfSignalfdSiginfo-1]); err != linux.EINVAL {
		t.Errorf("short read: %v, want EINVAL", err)
	}
	if _, err := f.Read(task, buf); err != linux.EAGAIN {
		t.Errorf("read with nothing pending: %v, want EAGAIN", err)
	}
	task.ThreadGroup().SendSignal(signal(linux.SIGUSR1, linux.SI_USER))
	task.ThreadGroup().SendSignal(signal(linux.SIGUSR2, linux.SI_USER))
	task.SendSignal(signal(linux.SIGHUP, linux.SI_TKILL))
	if r := f.Readiness(linux.EPOLLIN | linux.EPOLLOUT); r != linux.EPOLLIN {
		t.Errorf("readiness %#x, want EPOLLIN", r)
	}
	n, err := f.Read(task, buf)
	if err != nil || n != 2*linux.SizeOfSignalfdSiginfo {
		t.Fatalf("read = %d, %v; want two records", n, err)
	}
	recs := decode(t, buf[:n])
	// The thread's queue first.
	if recs[0].Signo != uint32(linux.SIGHUP) || recs[1].Signo != uint32(linux.SIGUSR1) {
		t.Errorf("read signals %d, %d; want SIGHUP, SIGUSR1", recs[0].Signo, recs[1].Signo)
	}
	if r := f.Readiness(linux.EPOLLIN); r != 0 {
		t.Errorf("readiness after read %#x", r)
	}
	// SIGUSR2 is still pending; a mask update makes it readable.
	e, ch := waiter.NewChannelEntry(linux.EPOLLIN)
	f.EventRegister(e)
	defer f.EventUnregister(e)
	f.SetMask(linux.SignalSetOf(linux.SIGUSR2))
	<-ch
	if n, err := f.Read(task, buf); err != nil || n != linux.SizeOfSignalfdSiginfo {
		t.Errorf("read after mask update = %d, %v", n, err)
	}
}

func TestQueuedSignalNotifiesWaiters(t *testing.T) {
	task := newTask(t)
	task.SetSignalMask(linux.SignalSetOf(linux.SIGUSR1))
	f := New(task, linux.SignalSetOf(linux.SIGUSR1), 0)
	defer f.DecRef()
	e, ch := waiter.NewChannelEntry(linux.EPOLLIN)
	f.EventRegister(e)
	defer f.EventUnregister(e)
	for _, send := range []func(){
		func() { task.SendSignal(signal(linux.SIGUSR1, linux.SI_TKILL)) },
		func() { task.ThreadGroup().SendSignal(signal(linux.SIGUSR1, linux.SI_USER)) },
	} {
		send()
		<-ch
		// A blocking read finds it without waiting.
		buf := make([]byte, linux.SizeOfSignalfdSiginfo)
		if n, err := f.Read(task, buf); err != nil || n != len(buf) {
			t.Errorf("read = %d, %v", n, err)
		}
	}
}
