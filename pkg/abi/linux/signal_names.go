package linux

import (
	"strconv"
	"strings"
)

// signalNames holds the standard signal names, indexed by number, as
// arch/x86/include/uapi/asm/signal.h names them.
var signalNames = [SIGRTMIN]string{
	SIGHUP:    "SIGHUP",
	SIGINT:    "SIGINT",
	SIGQUIT:   "SIGQUIT",
	SIGILL:    "SIGILL",
	SIGTRAP:   "SIGTRAP",
	SIGABRT:   "SIGABRT",
	SIGBUS:    "SIGBUS",
	SIGFPE:    "SIGFPE",
	SIGKILL:   "SIGKILL",
	SIGUSR1:   "SIGUSR1",
	SIGSEGV:   "SIGSEGV",
	SIGUSR2:   "SIGUSR2",
	SIGPIPE:   "SIGPIPE",
	SIGALRM:   "SIGALRM",
	SIGTERM:   "SIGTERM",
	SIGSTKFLT: "SIGSTKFLT",
	SIGCHLD:   "SIGCHLD",
	SIGCONT:   "SIGCONT",
	SIGSTOP:   "SIGSTOP",
	SIGTSTP:   "SIGTSTP",
	SIGTTIN:   "SIGTTIN",
	SIGTTOU:   "SIGTTOU",
	SIGURG:    "SIGURG",
	SIGXCPU:   "SIGXCPU",
	SIGXFSZ:   "SIGXFSZ",
	SIGVTALRM: "SIGVTALRM",
	SIGPROF:   "SIGPROF",
	SIGWINCH:  "SIGWINCH",
	SIGIO:     "SIGIO",
	SIGPWR:    "SIGPWR",
	SIGSYS:    "SIGSYS",
}

// signalAliases are the other names Linux headers give standard signals.
var signalAliases = map[string]Signal{
	"SIGIOT":  SIGABRT,
	"SIGPOLL": SIGIO,
	"SIGCLD":  SIGCHLD,
}

// Name returns the name of s. Standard signals are named as in the Linux
// headers ("SIGSEGV"). Real-time signals are named relative to the kernel's
// SIGRTMIN (32): "SIGRTMIN", "SIGRTMIN+1" ... "SIGRTMIN+32" (which is
// SIGRTMAX). These are kernel numbers: glibc reserves two real-time signals
// for itself, so the C library's SIGRTMIN is the kernel's SIGRTMIN+2.
// An invalid number gives "signal N".
func (s Signal) Name() string {
	switch {
	case s > 0 && s < SIGRTMIN:
		return signalNames[s]
	case s == SIGRTMIN:
		return "SIGRTMIN"
	case s.IsRealtime():
		return "SIGRTMIN+" + strconv.Itoa(int(s-SIGRTMIN))
	default:
		return "signal " + strconv.Itoa(int(s))
	}
}

// SignalByName returns the signal named name. It accepts every name Name
// returns, with or without the "SIG" prefix and in any case, the aliases
// SIGIOT, SIGPOLL and SIGCLD, and "SIGRTMAX" / "SIGRTMAX-N".
func SignalByName(name string) (Signal, bool) {
	n := strings.ToUpper(name)
	if !strings.HasPrefix(n, "SIG") {
		n = "SIG" + n
	}
	for s := SIGHUP; s < SIGRTMIN; s++ {
		if signalNames[s] == n {
			return s, true
		}
	}
	if s, ok := signalAliases[n]; ok {
		return s, true
	}
	for _, rt := range []struct {
		prefix string
		base   Signal
		sign   Signal
	}{{"SIGRTMIN", SIGRTMIN, 1}, {"SIGRTMAX", SIGRTMAX, -1}} {
		rest, ok := strings.CutPrefix(n, rt.prefix)
		if !ok {
			continue
		}
		if rest == "" {
			return rt.base, true
		}
		op := "+"
		if rt.sign < 0 {
			op = "-"
		}
		digits, ok := strings.CutPrefix(rest, op)
		if !ok || digits == "" || digits[0] < '0' || digits[0] > '9' {
			return 0, false
		}
		off, err := strconv.Atoi(digits)
		if err != nil || off > int(SIGRTMAX-SIGRTMIN) {
			return 0, false
		}
		return rt.base + rt.sign*Signal(off), true
	}
	return 0, false
}
