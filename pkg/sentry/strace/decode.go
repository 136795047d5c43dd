package strace

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/usermem"
)

// Limits on what one line shows. They also bound what a line reads from
// application memory, whatever the arguments claim.
const (
	maxBytes   = 64 // bytes of a string or buffer
	maxElems   = 4  // elements of an iovec or pollfd array
	maxArgv    = 8  // argv strings of execve
	maxEnvScan = 4096
)

// call is one system call being formatted.
type call struct {
	args [6]uint64
	mem  usermem.IO
	ret  uint64
	// done is set when the call has returned (Exit); out-arguments are only
	// read then, and only if the call did not fail.
	done   bool
	failed bool
}

// ok reports whether out-arguments hold results.
func (c *call) ok() bool { return c.done && !c.failed }

// argFn formats argument i of c. It returns omit to leave the argument out.
type argFn func(c *call, i int) string

const omit = "\x00"

// read copies exactly n bytes at addr. A nil IO or any fault gives false.
func (c *call) read(addr uint64, n int) ([]byte, bool) {
	if c.mem == nil {
		return nil, false
	}
	b := make([]byte, n)
	got, err := c.mem.CopyIn(addr, b)
	if err != nil || got != n {
		return nil, false
	}
	return b, true
}

// readPartial copies up to n bytes at addr, returning what it could read.
func (c *call) readPartial(addr uint64, n int) []byte {
	if c.mem == nil {
		return nil
	}
	b := make([]byte, n)
	got, _ := c.mem.CopyIn(addr, b)
	if got < 0 || got > n {
		return nil
	}
	return b[:got]
}

func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// Plain values.

func hexArg(c *call, i int) string { return fmt.Sprintf("%#x", c.args[i]) }

// ptr prints a pointer whose target is not decoded.
func ptr(c *call, i int) string { return ptrString(c.args[i]) }

func ptrString(v uint64) string {
	if v == 0 {
		return "NULL"
	}
	return fmt.Sprintf("%#x", v)
}

// i32 prints a C int.
func i32(c *call, i int) string { return fmt.Sprintf("%d", int32(c.args[i])) }

// i64 prints a long or off_t.
func i64(c *call, i int) string { return fmt.Sprintf("%d", int64(c.args[i])) }

// u64 prints a size_t.
func u64(c *call, i int) string { return fmt.Sprintf("%d", c.args[i]) }

// oct prints a mode_t.
func oct(c *call, i int) string { return fmt.Sprintf("%#o", uint32(c.args[i])) }

// fd prints a file descriptor.
func fd(c *call, i int) string { return fmt.Sprintf("%d", int32(c.args[i])) }

// dirfd prints the directory FD of an *at call.
func dirfd(c *call, i int) string {
	if int32(c.args[i]) == atFDCWD {
		return "AT_FDCWD"
	}
	return fd(c, i)
}

func flags(t *flagTable) argFn { return func(c *call, i int) string { return t.format(c.args[i]) } }

// flags32 formats only the low 32 bits, for C int flags.
func flags32(t *flagTable) argFn {
	return func(c *call, i int) string { return t.format(uint64(uint32(c.args[i]))) }
}

// enum32 formats a C int enum: the upper half of the register is ignored,
// as the kernel does, and a negative value stays negative.
func enum32(t *enumTable) argFn {
	return func(c *call, i int) string { return t.format(uint64(int64(int32(c.args[i])))) }
}

// out wraps the decoder of an argument the call writes: before the call
// returns, or if it failed, the pointer prints in hex.
func out(f argFn) argFn {
	return func(c *call, i int) string {
		if !c.ok() {
			return ptrString(c.args[i])
		}
		return f(c, i)
	}
}

// Signals.

func signalName(v uint64) string {
	s := linux.Signal(int32(v))
	if v > uint64(linux.SIGRTMAX) || !s.IsValid() {
		return fmt.Sprintf("%d", int64(v))
	}
	return s.Name()
}

func sig(c *call, i int) string { return signalName(uint64(uint32(c.args[i]))) }

func formatSigset(set uint64) string {
	prefix := ""
	if bits.OnesCount64(set) > 32 {
		prefix, set = "~", ^set
	}
	var names []string
	for s := 1; s <= int(linux.SIGRTMAX); s++ {
		if set&(1<<(s-1)) != 0 {
			names = append(names, linux.Signal(s).Name())
		}
	}
	return prefix + "[" + strings.Join(names, " ") + "]"
}

// sigset decodes a sigset_t pointer as [SIGINT SIGUSR1].
func sigset(c *call, i int) string {
	if c.args[i] == 0 {
		return "NULL"
	}
	b, ok := c.read(c.args[i], 8)
	if !ok {
		return ptrString(c.args[i])
	}
	return formatSigset(le64(b))
}

// sigaction decodes a struct sigaction pointer (kernel layout).
func sigaction(c *call, i int) string {
	if c.args[i] == 0 {
		return "NULL"
	}
	b, ok := c.read(c.args[i], linux.SigActionSize)
	if !ok {
		return ptrString(c.args[i])
	}
	return fmt.Sprintf("{handler=%s, flags=%s, restorer=%s, mask=%s}",
		sigHandler.format(le64(b[0:])), sigactionFlags.format(le64(b[8:])),
		ptrString(le64(b[16:])), formatSigset(le64(b[24:])))
}

// stack decodes a stack_t pointer.
func stack(c *call, i int) string {
	if c.args[i] == 0 {
		return "NULL"
	}
	b, ok := c.read(c.args[i], linux.SignalStackSize)
	if !ok {
		return ptrString(c.args[i])
	}
	return fmt.Sprintf("{sp=%s, flags=%s, size=%d}",
		ptrString(le64(b[0:])), stackFlags.format(uint64(le32(b[8:]))), le64(b[16:]))
}

// Strings and buffers.

// quote renders b as a C string literal, with "..." after it if truncated.
func quote(b []byte, truncated bool) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, ch := range b {
		switch ch {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '\n':
			sb.WriteString(`\n`)
		case '\t':
			sb.WriteString(`\t`)
		case '\r':
			sb.WriteString(`\r`)
		case '\v':
			sb.WriteString(`\v`)
		case '\f':
			sb.WriteString(`\f`)
		case 0:
			sb.WriteString(`\0`)
		default:
			if ch < 0x20 || ch >= 0x7f {
				fmt.Fprintf(&sb, `\x%02x`, ch)
			} else {
				sb.WriteByte(ch)
			}
		}
	}
	sb.WriteByte('"')
	if truncated {
		sb.WriteString("...")
	}
	return sb.String()
}

// cstring reads the NUL-terminated string at addr, showing at most
// maxBytes bytes of it.
func (c *call) cstring(addr uint64) string {
	if addr == 0 {
		return "NULL"
	}
	b := c.readPartial(addr, maxBytes+1)
	if n := indexNUL(b); n >= 0 {
		return quote(b[:n], false)
	}
	if len(b) == maxBytes+1 {
		return quote(b[:maxBytes], true)
	}
	// Unterminated before a fault: not a string we can show.
	return ptrString(addr)
}

func indexNUL(b []byte) int {
	for i, ch := range b {
		if ch == 0 {
			return i
		}
	}
	return -1
}

// path prints a NUL-terminated path or string argument.
func path(c *call, i int) string { return c.cstring(c.args[i]) }

// buffer prints n bytes at addr.
func (c *call) buffer(addr, n uint64) string {
	show := n
	if show > maxBytes {
		show = maxBytes
	}
	b, ok := c.read(addr, int(show))
	if !ok {
		return ptrString(addr)
	}
	return quote(b, n > show)
}

// inBuf prints a buffer the call reads, whose length is argument lenArg.
func inBuf(lenArg int) argFn {
	return func(c *call, i int) string { return c.buffer(c.args[i], c.args[lenArg]) }
}

// outBuf prints a buffer the call filled, whose length is the return value.
var outBuf = out(func(c *call, i int) string { return c.buffer(c.args[i], c.ret) })

// outStr prints a NUL-terminated string the call wrote (getcwd).
var outStr = out(path)

// Time.

func timespec(c *call, i int) string {
	if c.args[i] == 0 {
		return "NULL"
	}
	b, ok := c.read(c.args[i], 16)
	if !ok {
		return ptrString(c.args[i])
	}
	return fmt.Sprintf("{sec=%d, nsec=%d}", int64(le64(b)), int64(le64(b[8:])))
}

func timeval(c *call, i int) string {
	if c.args[i] == 0 {
		return "NULL"
	}
	b, ok := c.read(c.args[i], 16)
	if !ok {
		return ptrString(c.args[i])
	}
	return fmt.Sprintf("{sec=%d, usec=%d}", int64(le64(b)), int64(le64(b[8:])))
}

// Structures.

// stat decodes the interesting part of a struct stat (x86-64 layout from
// arch/x86/include/uapi/asm/stat.h).
func stat(c *call, i int) string {
	b, ok := c.read(c.args[i], linux.SizeOfStat)
	if !ok {
		return ptrString(c.args[i])
	}
	mode := le32(b[24:])
	typ := fileType.format(uint64(mode & sIFMT))
	s := fmt.Sprintf("{mode=%s|%#o, size=%d", typ, mode&^sIFMT, int64(le64(b[48:])))
	if t := mode & sIFMT; t == linux.S_IFCHR || t == linux.S_IFBLK {
		rdev := le64(b[40:])
		s += fmt.Sprintf(", rdev=makedev(%#x, %#x)", (rdev>>8)&0xfff|(rdev>>32)&^0xfff, rdev&0xff|uint64(uint32(rdev>>12)&^0xff))
	}
	return s + "}"
}

// rlimit decodes a struct rlimit.
func rlimit(c *call, i int) string {
	if c.args[i] == 0 {
		return "NULL"
	}
	b, ok := c.read(c.args[i], 16)
	if !ok {
		return ptrString(c.args[i])
	}
	lim := func(v uint64) string {
		if v == rlimInfinity {
			return "RLIM_INFINITY"
		}
		return fmt.Sprintf("%d", v)
	}
	return fmt.Sprintf("{cur=%s, max=%s}", lim(le64(b)), lim(le64(b[8:])))
}

// fdPair decodes pipe's int[2].
func fdPair(c *call, i int) string {
	b, ok := c.read(c.args[i], 8)
	if !ok {
		return ptrString(c.args[i])
	}
	return fmt.Sprintf("[%d, %d]", int32(le32(b)), int32(le32(b[4:])))
}

// utsname decodes the first fields of struct new_utsname.
func utsname(c *call, i int) string {
	const field = 65
	b, ok := c.read(c.args[i], 6*field)
	if !ok {
		return ptrString(c.args[i])
	}
	str := func(k int) string {
		f := b[k*field : (k+1)*field]
		if n := indexNUL(f); n >= 0 {
			f = f[:n]
		}
		if len(f) > maxBytes {
			return quote(f[:maxBytes], true)
		}
		return quote(f, false)
	}
	return fmt.Sprintf("{sysname=%s, nodename=%s, release=%s, version=%s, machine=%s}",
		str(0), str(1), str(2), str(3), str(4))
}

// waitStatus decodes the int wait4 stores, in strace's style. A wait4
// that found nothing (WNOHANG, returned 0) stored nothing: the pointer is
// shown.
func waitStatus(c *call, i int) string {
	if c.args[i] == 0 {
		return "NULL"
	}
	if c.done && c.ret == 0 {
		return ptrString(c.args[i])
	}
	b, ok := c.read(c.args[i], 4)
	if !ok {
		return ptrString(c.args[i])
	}
	s := le32(b)
	switch {
	case s&0x7f == 0:
		return fmt.Sprintf("[{WIFEXITED(s) && WEXITSTATUS(s) == %d}]", (s>>8)&0xff)
	case s&0xff == 0x7f:
		return fmt.Sprintf("[{WIFSTOPPED(s) && WSTOPSIG(s) == %s}]", signalName(uint64((s>>8)&0xff)))
	case s == 0xffff:
		return "[{WIFCONTINUED(s)}]"
	default:
		core := ""
		if s&0x80 != 0 {
			core = " && WCOREDUMP(s)"
		}
		return fmt.Sprintf("[{WIFSIGNALED(s) && WTERMSIG(s) == %s%s}]", signalName(uint64(s&0x7f)), core)
	}
}

// openHow decodes openat2's struct open_how, whose size is argument
// sizeArg (include/uapi/linux/openat2.h).
func openHow(sizeArg int) argFn {
	return func(c *call, i int) string {
		if c.args[sizeArg] < 24 {
			return ptrString(c.args[i])
		}
		b, ok := c.read(c.args[i], 24)
		if !ok {
			return ptrString(c.args[i])
		}
		return fmt.Sprintf("{flags=%s, mode=%#o, resolve=%s}",
			openFlags.format(le64(b)), le64(b[8:]), resolveFlags.format(le64(b[16:])))
	}
}

// fileMode prints a mode_t with its file type (mknod).
func fileMode(c *call, i int) string {
	mode := uint32(c.args[i])
	if mode&sIFMT == 0 {
		return fmt.Sprintf("%#o", mode)
	}
	return fmt.Sprintf("%s|%#o", fileType.format(uint64(mode&sIFMT)), mode&^sIFMT)
}

// timevalPair decodes struct timeval[2] (utimes, futimesat).
func timevalPair(c *call, i int) string {
	if c.args[i] == 0 {
		return "NULL"
	}
	b, ok := c.read(c.args[i], 32)
	if !ok {
		return ptrString(c.args[i])
	}
	return fmt.Sprintf("[{sec=%d, usec=%d}, {sec=%d, usec=%d}]",
		int64(le64(b)), int64(le64(b[8:])), int64(le64(b[16:])), int64(le64(b[24:])))
}

// utimens decodes utimensat's struct timespec[2], naming UTIME_NOW and
// UTIME_OMIT.
func utimens(c *call, i int) string {
	if c.args[i] == 0 {
		return "NULL"
	}
	b, ok := c.read(c.args[i], 32)
	if !ok {
		return ptrString(c.args[i])
	}
	ts := func(sec, nsec uint64) string {
		if nsec == linux.UTIME_NOW || nsec == linux.UTIME_OMIT {
			return fmt.Sprintf("{sec=%d, nsec=%s}", int64(sec), utimeNsec.format(nsec))
		}
		return fmt.Sprintf("{sec=%d, nsec=%d}", int64(sec), int64(nsec))
	}
	return "[" + ts(le64(b), le64(b[8:])) + ", " + ts(le64(b[16:]), le64(b[24:])) + "]"
}

// Arrays.

// iovecs prints the iovec array at argument i with count argument
// countArg. For a call that reads application memory (writev) each element
// shows its bytes; for one that fills it (readv) the elements show the
// bytes filled, ret in all, once the call has succeeded.
func iovecs(countArg int, filled bool) argFn {
	return func(c *call, i int) string {
		count := int64(int32(c.args[countArg]))
		if count < 0 || (filled && !c.done) {
			return ptrString(c.args[i])
		}
		n := count
		if n > maxElems {
			n = maxElems
		}
		b, ok := c.read(c.args[i], int(16*n))
		if !ok {
			return ptrString(c.args[i])
		}
		left := c.ret // bytes the call filled, for readv
		var parts []string
		for k := int64(0); k < n; k++ {
			base, length := le64(b[16*k:]), le64(b[16*k+8:])
			var data string
			switch {
			case !filled:
				data = c.buffer(base, length)
			case c.failed:
				data = ptrString(base)
			default:
				show := min(length, left)
				left -= show
				data = c.buffer(base, show)
			}
			parts = append(parts, fmt.Sprintf("{iov_base=%s, iov_len=%d}", data, length))
		}
		if count > n {
			parts = append(parts, "...")
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
}

// pollfds prints the pollfd array at argument i with count argument
// countArg; revents are shown once the call has succeeded.
func pollfds(countArg int) argFn {
	return func(c *call, i int) string {
		count := c.args[countArg]
		n := min(count, maxElems)
		b, ok := c.read(c.args[i], int(8*n))
		if !ok {
			return ptrString(c.args[i])
		}
		var parts []string
		for k := uint64(0); k < n; k++ {
			e := b[8*k:]
			s := fmt.Sprintf("{fd=%d, events=%s", int32(le32(e)), pollEvents.format(uint64(binary.LittleEndian.Uint16(e[4:]))))
			if rev := binary.LittleEndian.Uint16(e[6:]); c.ok() && rev != 0 {
				s += ", revents=" + pollEvents.format(uint64(rev))
			}
			parts = append(parts, s+"}")
		}
		if count > n {
			parts = append(parts, "...")
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
}

// argv prints execve's argument vector.
func argv(c *call, i int) string {
	if c.args[i] == 0 {
		return "NULL"
	}
	b, ok := c.read(c.args[i], 8*(maxArgv+1))
	if !ok {
		// The array may end before a fault: read pointer by pointer.
		b = c.readPartial(c.args[i], 8*(maxArgv+1))
		b = b[:len(b)/8*8]
	}
	var parts []string
	for k := 0; k+8 <= len(b); k += 8 {
		p := le64(b[k:])
		if p == 0 {
			return "[" + strings.Join(parts, ", ") + "]"
		}
		if k/8 == maxArgv {
			return "[" + strings.Join(parts, ", ") + ", ...]"
		}
		parts = append(parts, c.cstring(p))
	}
	return ptrString(c.args[i])
}

// envp prints execve's environment as a pointer and a count.
func envp(c *call, i int) string {
	addr := c.args[i]
	if addr == 0 {
		return "NULL"
	}
	const chunk = 64
	for n := 0; n < maxEnvScan; n += chunk {
		b := c.readPartial(addr+uint64(8*n), 8*chunk)
		for k := 0; k+8 <= len(b); k += 8 {
			if le64(b[k:]) == 0 {
				return fmt.Sprintf("%#x /* %d vars */", addr, n+k/8)
			}
		}
		if len(b) < 8*chunk {
			break
		}
	}
	return ptrString(addr)
}

// cloneArgs decodes clone3's struct clone_args, whose size is argument
// sizeArg (include/uapi/linux/sched.h).
func cloneArgs(sizeArg int) argFn {
	return func(c *call, i int) string {
		const ver0 = 64 // CLONE_ARGS_SIZE_VER0
		if c.args[sizeArg] < ver0 {
			return ptrString(c.args[i])
		}
		b, ok := c.read(c.args[i], ver0)
		if !ok {
			return ptrString(c.args[i])
		}
		return fmt.Sprintf("{flags=%s, exit_signal=%s, stack=%s, stack_size=%#x, tls=%s}",
			clone3Flags.format(le64(b)), signalName(le64(b[32:])), ptrString(le64(b[40:])),
			le64(b[48:]), ptrString(le64(b[56:])))
	}
}

// Arguments that depend on other arguments.

// openMode prints open's mode only when the flags (argument flagArg) use
// it; otherwise it is omitted, as the kernel ignores it.
func openMode(flagArg int) argFn {
	return func(c *call, i int) string {
		if f := c.args[flagArg]; f&oCreat == 0 && f&oTmpfile != oTmpfile {
			return omit
		}
		return oct(c, i)
	}
}

// fcntlArg prints fcntl's third argument according to the command.
func fcntlArg(c *call, i int) string {
	switch uint32(c.args[1]) {
	case fGetfd, fGetfl, fGetown, fGetsig, fGetlease, fGetpipeSz, fGetSeals:
		return omit
	case fDupfd, fDupfdCloexec, fSetown, fSetpipeSz:
		return i32(c, i)
	case fSetfd:
		return fdCloexec.format(uint64(uint32(c.args[i])))
	case fSetfl:
		return openFlags.format(uint64(uint32(c.args[i])))
	case fSetsig:
		return sig(c, i)
	case fAddSeals:
		return sealFlags.format(uint64(uint32(c.args[i])))
	default:
		return hexArg(c, i)
	}
}

// futexHasTimeout reports whether futex op takes a timespec in its fourth
// argument rather than a count.
func futexHasTimeout(op uint64) bool {
	switch op & futexCmdMask {
	case linux.FUTEX_WAIT, linux.FUTEX_WAIT_BITSET, linux.FUTEX_WAIT_REQUEUE_PI, linux.FUTEX_LOCK_PI, linux.FUTEX_LOCK_PI2:
		return true
	}
	return false
}

// futexArg4 prints futex's timeout or val2.
func futexArg4(c *call, i int) string {
	if futexHasTimeout(c.args[1]) {
		return timespec(c, i)
	}
	return fmt.Sprintf("%d", uint32(c.args[i]))
}
