package proc

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/kernel"
	"bulwark.dev/bulwark/pkg/sentry/mm"
	"bulwark.dev/bulwark/pkg/sentry/vfs"
	"bulwark.dev/bulwark/pkg/usermem"
)

// taskDir is /proc/ID (a process, or a thread looked up by its id) or
// /proc/PID/task/TID.
type taskDir struct {
	staticDir
	fs *filesystem
	tg *kernel.ThreadGroup
	// t is the task the directory describes.
	t *kernel.Task
	// id is the name the directory was looked up by.
	id kernel.ThreadID
	// thread is set for /proc/PID/task/TID.
	thread bool
}

var _ vfs.DirInode = (*taskDir)(nil)

// Indexes of the entries of a task directory, for their inode numbers.
const (
	idxDir = iota
	idxExe
	idxCwd
	idxRoot
	idxFD
	idxFDInfo
	idxMaps
	idxStatus
	idxStat
	idxStatm
	idxCmdline
	idxEnviron
	idxComm
	idxMounts
	idxLimits
	idxTask
)

// newTaskDir builds the directory of t, found by id.
func (fs *filesystem) newTaskDir(tg *kernel.ThreadGroup, t *kernel.Task, id kernel.ThreadID, thread bool) *taskDir {
	d := &taskDir{fs: fs, tg: tg, t: t, id: id, thread: thread}
	dirID, tid := id, kernel.ThreadID(0)
	if thread {
		dirID, tid = tg.ID(), t.ID()
	}
	start := timestamp(t.StartTime())
	owner := func() (uint32, uint32) {
		c := t.Credentials()
		return uint32(c.EffectiveUID), uint32(c.EffectiveGID)
	}
	mk := func(index int, mode uint32) attrs {
		nlink := uint32(1)
		if mode&linux.S_IFMT == linux.S_IFDIR {
			nlink = 2
		}
		return attrs{ino: pidIno(dirID, tid, index), mode: mode, nlink: nlink, time: start, owner: owner}
	}
	gen := func(index int, mode uint32, f func(b vfs.Blocker, t *kernel.Task) ([]byte, error)) *genInode {
		return &genInode{attrs: mk(index, linux.S_IFREG|mode), gen: d.generator(f), writeErr: linux.EINVAL}
	}
	link := func(index int, get func(t *kernel.Task) vfs.VirtualDentry) *taskLink {
		return &taskLink{attrs: mk(index, linux.S_IFLNK|0o777), d: d, get: get}
	}

	d.attrs = mk(idxDir, linux.S_IFDIR|0o555)
	d.add("exe", link(idxExe, func(t *kernel.Task) vfs.VirtualDentry { return t.ThreadGroup().Executable() }))
	d.add("cwd", link(idxCwd, func(t *kernel.Task) vfs.VirtualDentry {
		if fc := t.FSContext(); fc != nil {
			return fc.Cwd()
		}
		return vfs.VirtualDentry{}
	}))
	d.add("root", link(idxRoot, func(t *kernel.Task) vfs.VirtualDentry {
		if fc := t.FSContext(); fc != nil {
			return fc.Root()
		}
		return vfs.VirtualDentry{}
	}))
	fds := &fdDir{d: d}
	fds.attrs = mk(idxFD, linux.S_IFDIR|0o500)
	d.add("fd", fds)
	fdInfo := &fdDir{d: d, info: true}
	fdInfo.attrs = mk(idxFDInfo, linux.S_IFDIR|0o555)
	d.add("fdinfo", fdInfo)
	d.add("maps", gen(idxMaps, 0o444, mapsText))
	d.add("status", gen(idxStatus, 0o444, statusText))
	d.add("stat", gen(idxStat, 0o444, d.statText))
	d.add("statm", gen(idxStatm, 0o444, statmText))
	cmdline := gen(idxCmdline, 0o444, cmdlineText)
	cmdline.seekEnd = true
	d.add("cmdline", cmdline)
	environ := gen(idxEnviron, 0o400, environText)
	environ.seekEnd = true
	environ.check = func(ctx vfs.Context) error {
		t, err := d.task()
		if err != nil {
			return err
		}
		return mayPtrace(ctx, t)
	}
	d.add("environ", environ)
	comm := gen(idxComm, 0o644, commText)
	comm.write = d.writeComm
	d.add("comm", comm)
	d.add("mounts", gen(idxMounts, 0o444, fs.mountsText))
	d.add("limits", gen(idxLimits, 0o444, limitsText))
	d.nlink += 2 // fd, fdinfo
	if !thread {
		tasks := &taskListDir{d: d}
		tasks.attrs = mk(idxTask, linux.S_IFDIR|0o555)
		d.add("task", tasks)
		d.nlink++
	}
	return d
}

// task returns the task whose state the directory shows now: t while it
// lives; for a process directory, another live thread of the process once
// t has exited. ESRCH once there is none, as Linux answers reads of a
// dead process's files.
func (d *taskDir) task() (*kernel.Task, error) {
	if d.t.Alive() {
		return d.t, nil
	}
	if !d.thread {
		if ts := d.tg.Tasks(); len(ts) > 0 {
			return ts[0], nil
		}
	}
	return nil, linux.ESRCH
}

// generator adapts a generator of a task's file.
func (d *taskDir) generator(f func(b vfs.Blocker, t *kernel.Task) ([]byte, error)) func(vfs.Blocker) ([]byte, error) {
	return func(b vfs.Blocker) ([]byte, error) {
		t, err := d.task()
		if err != nil {
			return nil, err
		}
		return f(b, t)
	}
}

// mayPtrace is Linux's ptrace_may_access(PTRACE_MODE_READ_FSCREDS): what
// /proc/PID/{exe,cwd,root,fd,environ} need. A process may always inspect
// itself.
func mayPtrace(ctx vfs.Context, t *kernel.Task) error {
	if ct, ok := ctx.(*kernel.Task); ok && ct.ThreadGroup() == t.ThreadGroup() {
		return nil
	}
	c, tc := ctx.Credentials(), t.Credentials()
	if c.HasCapability(linux.CAP_SYS_PTRACE) {
		return nil
	}
	uid, gid := c.FilesystemUID, c.FilesystemGID
	if uid == tc.RealUID && uid == tc.EffectiveUID && uid == tc.SavedUID &&
		gid == tc.RealGID && gid == tc.EffectiveGID && gid == tc.SavedGID {
		return nil
	}
	return linux.EACCES
}

// rootOf returns the root directory paths are shown from for ctx: the
// task's root, or the sandbox's root for other callers.
func (fs *filesystem) rootOf(ctx vfs.Context) vfs.VirtualDentry {
	if t, ok := ctx.(*kernel.Task); ok {
		if fc := t.FSContext(); fc != nil {
			return fc.Root()
		}
	}
	if fs.k.MountNS != nil {
		return fs.k.MountNS.Root()
	}
	return vfs.VirtualDentry{}
}

// taskLink is /proc/PID/{exe,cwd,root}: a magic link to a location the
// task holds.
type taskLink struct {
	attrs
	d   *taskDir
	get func(t *kernel.Task) vfs.VirtualDentry
}

var _ vfs.MagicLinkInode = (*taskLink)(nil)

// Open implements vfs.Inode; the VFS never opens a symlink itself.
func (l *taskLink) Open(ctx vfs.Context, vd vfs.VirtualDentry, flags uint32) (vfs.FileDescription, error) {
	return nil, linux.ELOOP
}

// target returns the link's target if ctx may see it.
func (l *taskLink) target(ctx vfs.Context) (vfs.VirtualDentry, error) {
	t, err := l.d.task()
	if err != nil {
		return vfs.VirtualDentry{}, linux.ENOENT
	}
	if err := mayPtrace(ctx, t); err != nil {
		return vfs.VirtualDentry{}, err
	}
	vd := l.get(t)
	if !vd.Ok() {
		return vfs.VirtualDentry{}, linux.ENOENT
	}
	return vd, nil
}

// Readlink implements vfs.SymlinkInode.
func (l *taskLink) Readlink(ctx vfs.Context) (string, error) {
	vd, err := l.target(ctx)
	if err != nil {
		return "", err
	}
	p, _ := l.d.fs.v.PathName(l.d.fs.rootOf(ctx), vd)
	return p, nil
}

// Follow implements vfs.MagicLinkInode.
func (l *taskLink) Follow(ctx vfs.Context) (vfs.VirtualDentry, error) { return l.target(ctx) }

// taskListDir is /proc/PID/task: a directory per thread.
type taskListDir struct {
	dirBase
	d *taskDir
}

var (
	_ vfs.DirInode    = (*taskListDir)(nil)
	_ vfs.Revalidator = (*taskListDir)(nil)
)

// Lookup implements vfs.DirInode.
func (l *taskListDir) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	tid, ok := parseID(name)
	if !ok {
		return nil, linux.ENOENT
	}
	t := l.d.fs.k.TaskByID(tid)
	if t == nil || t.ThreadGroup() != l.d.tg || !t.Alive() {
		return nil, linux.ENOENT
	}
	return l.d.fs.newTaskDir(l.d.tg, t, tid, true), nil
}

// Readdir implements vfs.DirInode.
func (l *taskListDir) Readdir(ctx vfs.Context) ([]vfs.Dirent, error) {
	var out []vfs.Dirent
	tgid := l.d.tg.ID()
	for _, t := range l.d.tg.Tasks() {
		out = append(out, vfs.Dirent{Name: strconv.Itoa(int(t.ID())), Type: linux.DT_DIR, Ino: pidIno(tgid, t.ID(), idxDir)})
	}
	return out, nil
}

// Revalidate implements vfs.Revalidator: a thread's directory lasts as
// long as the thread.
func (l *taskListDir) Revalidate(ctx vfs.Context, name string, child vfs.Inode) (bool, error) {
	d, ok := child.(*taskDir)
	return ok && d.t.Alive(), nil
}

// Stat implements vfs.Inode: nlink counts the threads, as Linux's does.
func (l *taskListDir) Stat() (linux.Statx, error) {
	st, err := l.attrs.Stat()
	st.Nlink = 2 + uint32(len(l.d.tg.Tasks()))
	return st, err
}

// Clock ticks per second of times in /proc (USER_HZ).
const userHZ = 100

func ticks(d time.Duration) uint64 { return uint64(d / (time.Second / userHZ)) }

// cpuTime returns the CPU time of t, or of its whole process.
func cpuTime(t *kernel.Task, process bool) time.Duration {
	if !process {
		return time.Duration(t.Context().CPUTime())
	}
	var total int64
	for _, x := range t.ThreadGroup().Tasks() {
		total += x.Context().CPUTime()
	}
	return time.Duration(total)
}

// parentID returns the id of t's parent process: 0 until the kernel
// tracks parents (the first process's parent is outside the sandbox).
func parentID(t *kernel.Task) kernel.ThreadID {
	type parented interface{ Parent() *kernel.ThreadGroup }
	if p, ok := any(t.ThreadGroup()).(parented); ok {
		if ptg := p.Parent(); ptg != nil {
			return ptg.ID()
		}
	}
	return 0
}

// state is the task's scheduling state as status and stat show it: the
// sentry does not track it, so a task reading its own file is running
// and any other is sleeping.
func state(b vfs.Blocker, t *kernel.Task) (byte, string) {
	if reader, ok := b.(*kernel.Task); ok && reader == t {
		return 'R', "running"
	}
	return 'S', "sleeping"
}

// rss approximates the resident set: the private writable memory and the
// stack (the sentry does not count touched pages).
func rss(u mm.MemoryUsage) uint64 { return min(u.Data+u.Stack, u.Total) }

// escapeName escapes a task name for status, as Linux's proc_task_name
// does for "\n" and "\\".
func escapeName(name string) string {
	return strings.NewReplacer("\\", "\\\\", "\n", "\\n").Replace(name)
}

func statusText(b vfs.Blocker, t *kernel.Task) ([]byte, error) {
	tg := t.ThreadGroup()
	c := t.Credentials()
	var umask uint32
	if fc := t.FSContext(); fc != nil {
		umask = fc.Umask()
	}
	var u mm.MemoryUsage
	if m := tg.MM(); m != nil {
		u = m.Usage()
	}
	fds := 64
	if ft := tg.FDTable(); ft != nil {
		fds = ft.Capacity()
	}
	si := t.SignalInfo()
	st, stName := state(b, t)
	var w bytes.Buffer
	kb := func(name string, v uint64) { fmt.Fprintf(&w, "%s:\t%8d kB\n", name, v/1024) }
	fmt.Fprintf(&w, "Name:\t%s\n", escapeName(t.Name()))
	fmt.Fprintf(&w, "Umask:\t%04o\n", umask)
	fmt.Fprintf(&w, "State:\t%c (%s)\n", st, stName)
	fmt.Fprintf(&w, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", tg.ID(), t.ID(), parentID(t))
	fmt.Fprintf(&w, "Uid:\t%d\t%d\t%d\t%d\n", c.RealUID, c.EffectiveUID, c.SavedUID, c.FilesystemUID)
	fmt.Fprintf(&w, "Gid:\t%d\t%d\t%d\t%d\n", c.RealGID, c.EffectiveGID, c.SavedGID, c.FilesystemGID)
	fmt.Fprintf(&w, "FDSize:\t%d\n", fds)
	w.WriteString("Groups:\t")
	for i, g := range c.Groups {
		if i > 0 {
			w.WriteByte(' ')
		}
		w.WriteString(strconv.FormatUint(uint64(g), 10))
	}
	w.WriteString(" \n")
	fmt.Fprintf(&w, "NStgid:\t%d\nNSpid:\t%d\n", tg.ID(), t.ID())
	kb("VmPeak", u.Total)
	kb("VmSize", u.Total)
	kb("VmLck", 0)
	kb("VmPin", 0)
	kb("VmHWM", rss(u))
	kb("VmRSS", rss(u))
	kb("RssAnon", rss(u))
	kb("RssFile", 0)
	kb("RssShmem", 0)
	kb("VmData", u.Data)
	kb("VmStk", u.Stack)
	kb("VmExe", 0)
	kb("VmLib", 0)
	kb("VmPTE", 0)
	kb("VmSwap", 0)
	fmt.Fprintf(&w, "Threads:\t%d\n", len(tg.Tasks()))
	fmt.Fprintf(&w, "SigQ:\t%d/%d\n", si.Queued, tg.Limits()[kernel.RLIMIT_SIGPENDING].Cur)
	fmt.Fprintf(&w, "SigPnd:\t%016x\nShdPnd:\t%016x\nSigBlk:\t%016x\nSigIgn:\t%016x\nSigCgt:\t%016x\n",
		uint64(si.Pending), uint64(si.SharedPending), uint64(si.Blocked), uint64(si.Ignored), uint64(si.Caught))
	fmt.Fprintf(&w, "CapInh:\t%016x\nCapPrm:\t%016x\nCapEff:\t%016x\nCapBnd:\t%016x\nCapAmb:\t%016x\n",
		uint64(c.Inheritable), uint64(c.Permitted), uint64(c.Effective), uint64(c.Bounding), uint64(c.Ambient))
	nnp := 0
	if t.NoNewPrivs() {
		nnp = 1
	}
	fmt.Fprintf(&w, "NoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\n", nnp)
	fmt.Fprintf(&w, "Cpus_allowed:\t%s\nCpus_allowed_list:\t%s\n", cpuMask(runtime.NumCPU()), cpuList(runtime.NumCPU()))
	w.WriteString("Mems_allowed:\t00000001\nMems_allowed_list:\t0\n")
	w.WriteString("voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n")
	return w.Bytes(), nil
}

// cpuMask renders a mask of the first n CPUs as Linux's "%*pb":
// hexadecimal in comma-separated 32-bit groups, most significant first.
func cpuMask(n int) string {
	n = max(n, 1)
	full := (n - 1) / 32
	s := strconv.FormatUint(uint64(1)<<(n-32*full)-1, 16)
	return s + strings.Repeat(",ffffffff", full)
}

// cpuList renders n CPUs as Linux's "%*pbl" ("0-3").
func cpuList(n int) string {
	if n == 1 {
		return "0"
	}
	return fmt.Sprintf("0-%d", n-1)
}

// statText is /proc/PID/stat (and task/TID/stat): the 52 fields of
// Linux's do_task_stat, with what the sentry does not track as 0.
func (d *taskDir) statText(b vfs.Blocker, t *kernel.Task) ([]byte, error) {
	tg := t.ThreadGroup()
	si := t.SignalInfo()
	var u mm.MemoryUsage
	var brkStart uint64
	if m := tg.MM(); m != nil {
		u = m.Usage()
		brkStart, _ = m.BrkRange()
	}
	argStart, argEnd := tg.ArgRange()
	envStart, envEnd := tg.EnvRange()
	st, _ := state(b, t)
	start := t.StartTime().Sub(tg.Kernel().BootTime)
	threads := 1
	if !d.thread {
		threads = len(tg.Tasks())
	}
	limits := tg.Limits()
	fields := []any{
		t.ID(), "(" + t.Name() + ")", string(st), parentID(t),
		tg.ID(), tg.ID(), // pgrp, session: no job control yet
		0, -1, // tty_nr, tpgid
		0x400000,   // flags: PF_RANDOMIZE
		0, 0, 0, 0, // minflt, cminflt, majflt, cmajflt
		ticks(cpuTime(t, !d.thread)), 0, 0, 0, // utime, stime, cutime, cstime
		20, 0, // priority, nice
		threads, 0, // num_threads, itrealvalue
		ticks(max(start, 0)),
		u.Total, rss(u) / usermem.PageSize, limits[kernel.RLIMIT_RSS].Cur,
		0, 0, 0, // startcode, endcode, startstack
		0, 0, // kstkesp, kstkeip
		uint64(si.Pending | si.SharedPending), uint64(si.Blocked), uint64(si.Ignored), uint64(si.Caught),
		0, 0, 0, // wchan, nswap, cnswap
		int(linux.SIGCHLD), 0, 0, 0, // exit_signal, processor, rt_priority, policy
		0, 0, 0, // delayacct_blkio_ticks, guest_time, cguest_time
		0, 0, brkStart, // start_data, end_data, start_brk
		argStart, argEnd, envStart, envEnd,
		0, // exit_code
	}
	var w bytes.Buffer
	for i, f := range fields {
		if i > 0 {
			w.WriteByte(' ')
		}
		fmt.Fprint(&w, f)
	}
	w.WriteByte('\n')
	return w.Bytes(), nil
}

func statmText(b vfs.Blocker, t *kernel.Task) ([]byte, error) {
	var u mm.MemoryUsage
	if m := t.MM(); m != nil {
		u = m.Usage()
	}
	const p = usermem.PageSize
	return fmt.Appendf(nil, "%d %d 0 0 0 %d 0\n", u.Total/p, rss(u)/p, (u.Data+u.Stack)/p), nil
}

// mapsText is /proc/PID/maps.
func mapsText(b vfs.Blocker, t *kernel.Task) ([]byte, error) {
	m := t.MM()
	if m == nil {
		return nil, nil
	}
	return formatMaps(m.Maps()), nil
}

// formatMaps renders VMAs as show_map_vma does.
func formatMaps(maps []mm.MapInfo) []byte {
	var w bytes.Buffer
	flag := func(set bool, c byte) byte {
		if set {
			return c
		}
		return '-'
	}
	for _, m := range maps {
		share := byte('p')
		if m.Shared {
			share = 's'
		}
		major, minor := linux.DecodeDev(m.Dev)
		line := fmt.Sprintf("%08x-%08x %c%c%c%c %08x %02x:%02x %d ",
			m.Start, m.End, flag(m.Read, 'r'), flag(m.Write, 'w'), flag(m.Exec, 'x'), share,
			m.Offset, major, minor, m.Ino)
		w.WriteString(line)
		if m.Name != "" {
			// The name starts in column 74 (25 + 6 * sizeof(void*)
			// characters of header, then a space).
			if pad := 72 - len(line); pad > 0 {
				w.WriteString(strings.Repeat(" ", pad))
			}
			w.WriteByte(' ')
			w.WriteString(strings.ReplaceAll(m.Name, "\n", "\\012"))
		}
		w.WriteByte('\n')
	}
	return w.Bytes()
}

// maxProcArgs bounds what cmdline and environ copy from a process
// (Linux's exec bounds the strings by a quarter of the stack limit).
const maxProcArgs = 8 << 20

// readRange copies [start, end) of t's memory, stopping at the first
// fault.
func readRange(t *kernel.Task, start, end uint64) []byte {
	m := t.MM()
	if m == nil || end <= start {
		return nil
	}
	buf := make([]byte, min(end-start, maxProcArgs))
	n, _ := m.CopyIn(start, buf)
	return buf[:n]
}

// cmdlineText is /proc/PID/cmdline: the argument strings; if the process
// overwrote the NUL at their end (setproctitle), the one string from the
// start of the arguments into the environment, as Linux's get_mm_cmdline.
func cmdlineText(b vfs.Blocker, t *kernel.Task) ([]byte, error) {
	tg := t.ThreadGroup()
	argStart, argEnd := tg.ArgRange()
	args := readRange(t, argStart, argEnd)
	if len(args) == 0 || args[len(args)-1] == 0 {
		return args, nil
	}
	envStart, envEnd := tg.EnvRange()
	if envStart == argEnd {
		args = append(args, readRange(t, envStart, envEnd)...)
	}
	if i := bytes.IndexByte(args, 0); i >= 0 {
		args = args[:i]
	}
	return args, nil
}

// environText is /proc/PID/environ.
func environText(b vfs.Blocker, t *kernel.Task) ([]byte, error) {
	envStart, envEnd := t.ThreadGroup().EnvRange()
	return readRange(t, envStart, envEnd), nil
}

func commText(b vfs.Blocker, t *kernel.Task) ([]byte, error) {
	return []byte(t.Name() + "\n"), nil
}

// writeComm renames the task, as Linux's comm_write: only threads of the
// same process may (EINVAL otherwise); the name is cut to 15 bytes and
// kept as written (a trailing newline too).
func (d *taskDir) writeComm(b vfs.Blocker, src []byte) (int, error) {
	t, err := d.task()
	if err != nil {
		return 0, err
	}
	writer, ok := b.(*kernel.Task)
	if !ok || writer.ThreadGroup() != t.ThreadGroup() {
		return 0, linux.EINVAL
	}
	t.SetName(string(src[:min(len(src), kernel.TaskCommLen-1)]))
	return len(src), nil
}

// mountsText is /proc/PID/mounts: the mounts visible from the task's
// root.
func (fs *filesystem) mountsText(b vfs.Blocker, t *kernel.Task) ([]byte, error) {
	fc := t.FSContext()
	if fs.k.MountNS == nil || fc == nil {
		return nil, nil
	}
	var w bytes.Buffer
	for _, m := range fs.v.Mounts(fs.k.MountNS, fc.Root()) {
		fmt.Fprintf(&w, "%s %s %s %s 0 0\n", mangle(m.Source), mangle(m.Path), mangle(m.Type), vfs.FormatMountOptions(m.Flags))
	}
	return w.Bytes(), nil
}

// mangle escapes the characters that would break a /proc/mounts line, as
// Linux's mangle does.
func mangle(s string) string {
	return strings.NewReplacer(" ", "\\040", "\t", "\\011", "\n", "\\012", "\\", "\\134").Replace(s)
}

// limitNames are the rows of /proc/PID/limits, in resource order.
var limitNames = [kernel.RLIM_NLIMITS]struct{ name, unit string }{
	kernel.RLIMIT_CPU:        {"Max cpu time", "seconds"},
	kernel.RLIMIT_FSIZE:      {"Max file size", "bytes"},
	kernel.RLIMIT_DATA:       {"Max data size", "bytes"},
	kernel.RLIMIT_STACK:      {"Max stack size", "bytes"},
	kernel.RLIMIT_CORE:       {"Max core file size", "bytes"},
	kernel.RLIMIT_RSS:        {"Max resident set", "bytes"},
	kernel.RLIMIT_NPROC:      {"Max processes", "processes"},
	kernel.RLIMIT_NOFILE:     {"Max open files", "files"},
	kernel.RLIMIT_MEMLOCK:    {"Max locked memory", "bytes"},
	kernel.RLIMIT_AS:         {"Max address space", "bytes"},
	kernel.RLIMIT_LOCKS:      {"Max file locks", "locks"},
	kernel.RLIMIT_SIGPENDING: {"Max pending signals", "signals"},
	kernel.RLIMIT_MSGQUEUE:   {"Max msgqueue size", "bytes"},
	kernel.RLIMIT_NICE:       {"Max nice priority", ""},
	kernel.RLIMIT_RTPRIO:     {"Max realtime priority", ""},
	kernel.RLIMIT_RTTIME:     {"Max realtime timeout", "us"},
}

func limitsText(b vfs.Blocker, t *kernel.Task) ([]byte, error) {
	var w bytes.Buffer
	fmt.Fprintf(&w, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units")
	value := func(v uint64) string {
		if v == kernel.RLIM_INFINITY {
			return "unlimited"
		}
		return strconv.FormatUint(v, 10)
	}
	for r, l := range t.ThreadGroup().Limits() {
		n := limitNames[r]
		fmt.Fprintf(&w, "%-25s %-20s %-20s ", n.name, value(l.Cur), value(l.Max))
		if n.unit != "" {
			fmt.Fprintf(&w, "%-10s", n.unit)
		}
		w.WriteByte('\n')
	}
	return w.Bytes(), nil
}
