package linux_test

import (
	"encoding/binary"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
)

func TestTimerConstants(t *testing.T) {
	for _, c := range []struct {
		name         string
		ours, theirs int
	}{
		{"ITIMER_REAL", linux.ITIMER_REAL, unix.ITIMER_REAL},
		{"ITIMER_VIRTUAL", linux.ITIMER_VIRTUAL, unix.ITIMER_VIRTUAL},
		{"ITIMER_PROF", linux.ITIMER_PROF, unix.ITIMER_PROF},
		{"TFD_TIMER_ABSTIME", linux.TFD_TIMER_ABSTIME, unix.TFD_TIMER_ABSTIME},
		{"TFD_TIMER_CANCEL_ON_SET", linux.TFD_TIMER_CANCEL_ON_SET, unix.TFD_TIMER_CANCEL_ON_SET},
		{"TFD_CLOEXEC", linux.TFD_CLOEXEC, unix.TFD_CLOEXEC},
		{"TFD_NONBLOCK", linux.TFD_NONBLOCK, unix.TFD_NONBLOCK},
		{"SFD_CLOEXEC", linux.SFD_CLOEXEC, unix.SFD_CLOEXEC},
		{"SFD_NONBLOCK", linux.SFD_NONBLOCK, unix.SFD_NONBLOCK},
	} {
		if c.ours != c.theirs {
			t.Errorf("%s = %#x, x/sys has %#x", c.name, c.ours, c.theirs)
		}
	}
}

func TestTimerStructSizes(t *testing.T) {
	for _, s := range []struct {
		name string
		v    any
		want int
		host reflect.Type // nil when x/sys does not describe it
	}{
		{"Itimerval", linux.Itimerval{}, linux.SizeOfItimerval, reflect.TypeFor[unix.Itimerval]()},
		{"Itimerspec", linux.Itimerspec{}, linux.SizeOfItimerspec, reflect.TypeFor[unix.ItimerSpec]()},
		{"SignalfdSiginfo", linux.SignalfdSiginfo{}, linux.SizeOfSignalfdSiginfo, reflect.TypeFor[unix.SignalfdSiginfo]()},
		{"Sigevent", linux.Sigevent{}, linux.SizeOfSigevent, nil},
	} {
		if got := binary.Size(s.v); got != s.want {
			t.Errorf("binary.Size(%s) = %d, want %d", s.name, got, s.want)
		}
		if s.host != nil && int(s.host.Size()) != s.want {
			t.Errorf("sizeof %s: ours %d, x/sys %d", s.name, s.want, s.host.Size())
		}
	}
}

func TestSignalInfoTimerFields(t *testing.T) {
	var s linux.SignalInfo
	s.SetTimerID(-3)
	s.SetOverrun(7)
	s.SetValue(0x0102030405060708)
	if s.TimerID() != -3 || s.Overrun() != 7 || s.Value() != 0x0102030405060708 {
		t.Errorf("timer fields read back %d, %d, %#x", s.TimerID(), s.Overrun(), s.Value())
	}
	// si_tid, si_overrun and si_value at offsets 0, 4 and 8 of the union.
	if s.Fields[0] != 0xfd || s.Fields[4] != 7 || s.Fields[8] != 0x08 {
		t.Errorf("layout: % x", s.Fields[:16])
	}
}
