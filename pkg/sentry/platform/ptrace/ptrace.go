// Package ptrace is the ptrace platform: application code runs in stub
// processes traced with PTRACE_SYSEMU, so every system call stops the stub
// and returns control to the sentry without entering the host kernel's
// implementation.
//
// Processes and threads:
//   - The master stub is forked from the sentry once (rawForkStub), strips
//     its address space down to the stub code page and keeps only the memory
//     file and its end of the file socket open. It is traced by a dedicated
//     OS thread. Files added later (AddMemoryFile, files.go) reach it
//     through that socket and sit at the same FD number as in the sentry.
//   - Each AddressSpace is a clone of the master (injected clone), traced by
//     its own dedicated OS thread (an injector), which performs the address
//     space's mmap/munmap/mprotect by injecting system calls (or a context's
//     thread does, see addressSpace). A pool made ahead of time (pool.go)
//     serves NewAddressSpace; Release leaves the teardown to the injector.
//   - Each Context (one per task) owns one more thread of its address
//     space's mm (an injected clone with CLONE_VM), traced by the task's own
//     locked OS thread, which runs application code with PTRACE_SYSEMU.
//
// All stubs are children of the sentry (CLONE_PARENT), have every signal
// blocked (synchronous faults still stop them for the tracer) and die with
// their tracer (PTRACE_O_EXITKILL).
//
// This package must not interpret what the application does: it reports
// system calls and faults and maps what it is told to map.
package ptrace

import (
	"fmt"
	"runtime"
	"slices"
	"sync"

	"golang.org/x/sys/unix"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/platform"
)

// Platform is the ptrace platform.
type Platform struct {
	memfd  int
	master *injector
	// fileSock is the sentry's end, and stubSock the master stub's end
	// (kept open in the sentry too, so that no added file can take its
	// number), of the socket that carries added files (files.go).
	fileSock, stubSock int

	// mu serializes AddMemoryFile with itself and with the creation of
	// address spaces, so that each address space knows which files its
	// stub holds. It is never held while waiting for an address space's
	// injector.
	mu sync.Mutex
	// added are the files added to the master stub, at their FD
	// numbers.
	added []int
	// gen counts the calls to AddMemoryFile that added a file: an
	// address space made at an older generation lacks a file.
	gen uint64

	// pool holds address spaces made ahead of time (pool.go).
	pool *pool
	// dying counts the released address spaces whose injectors have not
	// yet killed and reaped their stubs (which they do by themselves
	// after Release); Close waits for them.
	dying sync.WaitGroup
}

var _ platform.Platform = (*Platform)(nil)

// New creates the platform. memfd is the memory file, kept open at the
// same number in every stub; other files that address spaces may map are
// added with AddMemoryFile.
func New(memfd int) (*Platform, error) {
	socks, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("ptrace: file socket: %w", err)
	}
	master, err := startInjector(func() (*thread, error) { return forkMaster(memfd, socks[1]) }, nil)
	if err != nil {
		unix.Close(socks[0])
		unix.Close(socks[1])
		return nil, err
	}
	p := &Platform{memfd: memfd, master: master, fileSock: socks[0], stubSock: socks[1]}
	p.pool = startPool(p, poolSize)
	return p, nil
}

// Name implements platform.Platform.
func (*Platform) Name() string { return "ptrace" }

// MaxUserAddress implements platform.Platform.
func (*Platform) MaxUserAddress() uint64 { return maxUserAddress }

// NewAddressSpace implements platform.Platform. It takes an address space
// that the pool made ahead of time if there is one that holds every added
// file, and makes one otherwise.
func (p *Platform) NewAddressSpace() (platform.AddressSpace, error) {
	if as := p.pool.get(); as != nil {
		return as, nil
	}
	return p.makeAddressSpace()
}

// makeAddressSpace clones the master stub into a new address space with
// its own injector.
func (p *Platform) makeAddressSpace() (*addressSpace, error) {
	// The clone copies the master's FD table: it holds the files added
	// so far, and no file can be added in between.
	p.mu.Lock()
	tid, err := cloneFrom(p.master, uint64(unix.SIGCHLD))
	added, gen := p.added, p.gen
	p.mu.Unlock()
	if err != nil {
		return nil, err
	}
	inj, err := startInjector(func() (*thread, error) {
		t := &thread{tid: tid}
		if err := t.seize(); err != nil {
			t.kill()
			return nil, err
		}
		return t, nil
	}, p.dying.Done)
	if err != nil {
		return nil, err
	}
	return &addressSpace{p: p, inj: inj, added: added, gen: gen}, nil
}

// NewContext implements platform.Platform.
func (p *Platform) NewContext() platform.Context { return &context{} }

// Close releases the pool's address spaces, stops the master stub and
// waits until every released address space's stub is gone. Address spaces
// still in use are not released.
func (p *Platform) Close() {
	p.pool.stop()
	p.master.stop()
	p.dying.Wait()
	unix.Close(p.fileSock)
	unix.Close(p.stubSock)
}

// injector is a goroutine locked to its OS thread that traces one stub
// thread and runs requests against it.
type injector struct {
	reqs chan func(*thread)
	done chan struct{}
}

// startInjector starts an injector whose thread is created (and therefore
// traced) by create, on the injector's own OS thread. ended, if not nil,
// is called when the injector has ended after stop or stopAsync (its stub
// thread is dead and reaped by then), not if create failed.
func startInjector(create func() (*thread, error), ended func()) (*injector, error) {
	inj := &injector{reqs: make(chan func(*thread)), done: make(chan struct{})}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: when this goroutine ends its OS thread
		// ends too, and PTRACE_O_EXITKILL kills the tracee.
		runtime.LockOSThread()
		defer close(inj.done)
		t, err := create()
		errc <- err
		if err != nil {
			return
		}
		for f := range inj.reqs {
			f(t)
		}
		t.kill()
		if ended != nil {
			ended()
		}
	}()
	if err := <-errc; err != nil {
		return nil, err
	}
	return inj, nil
}

// do runs f on the injector's thread and waits for it.
func (inj *injector) do(f func(*thread)) {
	fin := make(chan struct{})
	inj.reqs <- func(t *thread) {
		defer close(fin)
		f(t)
	}
	<-fin
}

// stop ends the injector and kills its stub thread.
func (inj *injector) stop() {
	close(inj.reqs)
	<-inj.done
}

// stopAsync makes the injector kill its stub thread and end, without
// waiting for it.
func (inj *injector) stopAsync() {
	close(inj.reqs)
}

// cloneFrom injects a clone into inj's stub (see thread.clone).
func cloneFrom(inj *injector, flags uint64) (int, error) {
	var tid int
	var err error
	inj.do(func(t *thread) { tid, err = t.clone(flags) })
	return tid, err
}

// clone injects a clone into t's stub. The child shares what flags say, is
// a child of the sentry (CLONE_PARENT), and spins untraced in the stub page
// until its new tracer seizes it.
func (t *thread) clone(flags uint64) (int, error) {
	ret, err := t.syscall(stubCloneSite, unix.SYS_CLONE, flags|unix.CLONE_PARENT|unix.CLONE_UNTRACED, 0, 0, 0, 0)
	if err == nil && int64(ret) < 0 {
		err = unix.Errno(-int64(ret))
	}
	if err != nil {
		return 0, fmt.Errorf("ptrace: clone stub: %w", err)
	}
	return int(ret), nil
}

// forkMaster forks the sentry into the master stub and strips it down.
// It runs on the master injector's locked OS thread.
func forkMaster(memfd, stubSock int) (*thread, error) {
	var all, old unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^uint64(0)
	}
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &all, &old); err != nil {
		return nil, fmt.Errorf("ptrace: block signals: %w", err)
	}
	ret := rawForkStub()
	unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	if int64(ret) < 0 {
		return nil, fmt.Errorf("ptrace: fork master stub: %w", unix.Errno(-int64(ret)))
	}
	t := &thread{tid: int(ret)}
	if err := t.bootstrap(memfd, stubSock); err != nil {
		t.kill()
		return nil, err
	}
	return t, nil
}

// bootstrap turns a freshly forked copy of the sentry, stopped in
// rawForkStub, into the master stub: the stub page mapped at stubStart,
// nothing else mapped, only memfd and stubSock open.
func (t *thread) bootstrap(memfd, stubSock int) error {
	if _, err := t.waitStop(); err != nil {
		return err
	}
	if err := unix.PtraceSetOptions(t.tid, ptraceOptions); err != nil {
		return fmt.Errorf("ptrace: set options on master stub: %w", err)
	}
	if err := getRegs(t.tid, &t.initRegs); err != nil {
		return fmt.Errorf("ptrace: master stub registers: %w", err)
	}
	// Until the stub page exists, inject through the SYSCALL instruction
	// the child stopped after (rip-2), stopping at syscall entry and exit.
	site := t.initRegs.Rip - 2
	boot := func(nr uintptr, args ...uint64) error {
		regs := t.initRegs
		regs.Rip, regs.Rax, regs.Orig_rax = site, uint64(nr), ^uint64(0)
		dst := []*uint64{&regs.Rdi, &regs.Rsi, &regs.Rdx, &regs.R10, &regs.R8, &regs.R9}
		for i, a := range args {
			*dst[i] = a
		}
		if err := setRegs(t.tid, &regs); err != nil {
			return err
		}
		for stops := 0; stops < 2; {
			if err := t.cont(unix.PTRACE_SYSCALL); err != nil {
				return err
			}
			ws, err := t.waitStop()
			if err != nil {
				return err
			}
			if ws.StopSignal() == unix.SIGTRAP|0x80 {
				stops++
			}
		}
		if err := getRegs(t.tid, &regs); err != nil {
			return err
		}
		if r := int64(regs.Rax); r < 0 && r > -4096 {
			return fmt.Errorf("ptrace: master stub syscall %d: %w", nr, unix.Errno(-r))
		}
		return nil
	}
	if err := boot(unix.SYS_MMAP, stubStart, stubSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED, ^uint64(0), 0); err != nil {
		return err
	}
	if err := t.pokeData(stubStart, stubPage()); err != nil {
		return err
	}
	if err := boot(unix.SYS_MPROTECT, stubStart, stubSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		return err
	}
	// A sentry built with cgo forks the stub from a glibc thread that has
	// an rseq area registered; the kernel would write to it (and, once it
	// is unmapped below, raise SIGSEGV) at every return to user mode.
	if cfg, err := getRseqConfig(t.tid); err != nil {
		return fmt.Errorf("ptrace: master stub rseq configuration: %w", err)
	} else if cfg.RseqAbiPointer != 0 {
		if err := boot(unix.SYS_RSEQ, cfg.RseqAbiPointer, uint64(cfg.RseqAbiSize), linux.RSEQ_FLAG_UNREGISTER, uint64(cfg.Signature)); err != nil {
			return fmt.Errorf("ptrace: unregister the master stub's rseq area: %w", err)
		}
	}
	// From here on the stub page serves injections.
	type step struct {
		nr   uintptr
		args []uint64
	}
	steps := []step{
		{unix.SYS_MUNMAP, []uint64{0, stubStart}},
		{unix.SYS_MUNMAP, []uint64{stubStart + stubSize, taskSize - (stubStart + stubSize)}},
	}
	for _, r := range closeGaps(memfd, stubSock) {
		steps = append(steps, step{unix.SYS_CLOSE_RANGE, []uint64{r[0], r[1], 0}})
	}
	steps = append(steps, []step{
		{unix.SYS_RT_SIGACTION, []uint64{uint64(unix.SIGSEGV), stubStart + stubSigactionOffset, 0, 8}},
		{unix.SYS_RT_SIGACTION, []uint64{uint64(unix.SIGBUS), stubStart + stubSigactionOffset, 0, 8}},
		{unix.SYS_RT_SIGPROCMASK, []uint64{unix.SIG_SETMASK, stubStart + stubSigmaskOffset, 0, 8}},
	}...)
	for _, s := range steps {
		if _, err := t.syscallErr(s.nr, s.args...); err != nil {
			return fmt.Errorf("ptrace: strip master stub (syscall %d): %w", s.nr, err)
		}
	}
	return nil
}

// addressSpace is a stub process; its injector maps memory into it.
//
// Mapping changes made while no thread of the address space can run
// application code (a new address space that fork or exec is filling, one
// whose threads are all gone) are not injected at once: nothing but the
// sentry, which reaches application memory through its own mapping of the
// memory files, could see them. They are kept in order in pending and
// injected together, in one request to the injector, right before the
// next thread is created (newThread). A host error in one of them is then
// reported by newThread, and so by Switch, instead of by the call that
// made the change.
//
// Changes made while threads run are injected at once: through the
// caller's own stub thread in this address space if the caller is the OS
// thread of a context that has one (an application's mmap, a
// copy-on-write break), which is stopped while its task is in the sentry;
// through the injector otherwise.
//
// Lock order: addressSpace.mu, then the injector (a request is made with
// mu held; the injector never takes mu). slotMu is never held while
// another lock is taken.
type addressSpace struct {
	p   *Platform
	inj *injector
	// added are the added files its stub holds (those the master held
	// when it was cloned), and gen the platform's generation then.
	// Never changed.
	added []int
	gen   uint64

	mu sync.Mutex
	// threads counts the stub threads of contexts (made by newThread
	// and not yet killed).
	threads int
	// pending are the mapping changes not yet injected; empty whenever
	// threads > 0.
	pending []injection
	// local are the contexts' stub threads by the host thread id of
	// their tracers.
	local map[int]*thread

	// slots are the alternate signal stacks of its threads.
	slotMu    sync.Mutex
	freeSlots []int
	nextSlot  int
}

// injection is one system call for an address space's stub.
type injection struct {
	nr   uintptr
	args [6]uint64
}

// maxPending bounds addressSpace.pending: beyond it, changes are injected
// at once.
const maxPending = 4096

// run injects in into t. It returns an error that says what the call was;
// lost is true if the error is t's (t could not run it), not the call's.
func (in *injection) run(t *thread) (lost bool, err error) {
	ret, err := t.syscall(stubSyscallSite, in.nr, in.args[:]...)
	if err != nil {
		lost = true
	} else if int64(ret) < 0 && int64(ret) > -4096 {
		err = unix.Errno(-int64(ret))
	} else {
		return false, nil
	}
	switch in.nr {
	case unix.SYS_MMAP:
		return lost, fmt.Errorf("ptrace: map %#x+%#x: %w", in.args[0], in.args[1], err)
	case unix.SYS_MUNMAP:
		return lost, fmt.Errorf("ptrace: unmap %#x+%#x: %w", in.args[0], in.args[1], err)
	case unix.SYS_MPROTECT:
		return lost, fmt.Errorf("ptrace: protect %#x+%#x: %w", in.args[0], in.args[1], err)
	}
	return lost, fmt.Errorf("ptrace: syscall %d: %w", in.nr, err)
}

// runPending injects ops into t in order and stops at the first error. It
// returns how many ran, and lost as run does.
func runPending(t *thread, ops []injection) (int, bool, error) {
	for i := range ops {
		if lost, err := ops[i].run(t); err != nil {
			return i, lost, err
		}
	}
	return len(ops), false, nil
}

// change makes a mapping change: now, or later if no thread can see it.
func (as *addressSpace) change(in injection) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	if as.threads == 0 && len(as.pending) < maxPending {
		as.pending = append(as.pending, in)
		return nil
	}
	ops := append(as.pending, in)
	as.pending = nil
	if len(as.local) > 0 {
		if t := as.local[unix.Gettid()]; t != nil {
			// Safe: only this OS thread traces t, and t is stopped
			// while its context is not in Switch, which runs on
			// this OS thread too and sets all of t's registers
			// before it resumes it.
			n, lost, err := runPending(t, ops)
			if !lost {
				return err
			}
			// t is gone (killed from outside): the injector does
			// the rest.
			ops = ops[n:]
		}
	}
	var err error
	as.inj.do(func(t *thread) { _, _, err = runPending(t, ops) })
	return err
}

// allocSlot reserves an alternate signal stack slot.
func (as *addressSpace) allocSlot() (int, bool) {
	as.slotMu.Lock()
	defer as.slotMu.Unlock()
	if n := len(as.freeSlots); n > 0 {
		s := as.freeSlots[n-1]
		as.freeSlots = as.freeSlots[:n-1]
		return s, true
	}
	if as.nextSlot >= altStackMax {
		return 0, false
	}
	as.nextSlot++
	return as.nextSlot - 1, true
}

// freeSlot returns a slot.
func (as *addressSpace) freeSlot(s int) {
	as.slotMu.Lock()
	as.freeSlots = append(as.freeSlots, s)
	as.slotMu.Unlock()
}

func hostProt(p platform.Prot) uint64 {
	var prot uint64
	if p.Read {
		prot |= unix.PROT_READ
	}
	if p.Write {
		prot |= unix.PROT_WRITE
	}
	if p.Execute {
		prot |= unix.PROT_EXEC
	}
	return prot
}

// MapFile implements platform.AddressSpace.
func (as *addressSpace) MapFile(addr uint64, fd int, offset, length uint64, prot platform.Prot) error {
	if fd != as.p.memfd && !slices.Contains(as.added, fd) {
		return fmt.Errorf("ptrace: map of fd %d: not a memory file of this address space", fd)
	}
	return as.change(injection{nr: unix.SYS_MMAP, args: [6]uint64{addr, length, hostProt(prot), unix.MAP_SHARED | unix.MAP_FIXED, uint64(fd), offset}})
}

// Unmap implements platform.AddressSpace.
func (as *addressSpace) Unmap(addr, length uint64) error {
	return as.change(injection{nr: unix.SYS_MUNMAP, args: [6]uint64{addr, length}})
}

// Protect implements platform.AddressSpace.
func (as *addressSpace) Protect(addr, length uint64, prot platform.Prot) error {
	return as.change(injection{nr: unix.SYS_MPROTECT, args: [6]uint64{addr, length, hostProt(prot)}})
}

// Release implements platform.AddressSpace. The stub is killed and reaped
// by its injector after Release returns: no context uses it any more, so
// only its injector's own thread is left, which runs nothing but injected
// system calls.
func (as *addressSpace) Release() {
	as.p.dying.Add(1)
	as.inj.stopAsync()
}

// newThread applies the pending mapping changes, clones a thread of as's
// mm and attaches it to the calling OS thread, which must be locked.
func (as *addressSpace) newThread() (*thread, error) {
	slot, haveSlot := as.allocSlot()
	var tid int
	var err error
	as.mu.Lock()
	ops := as.pending
	as.pending = nil
	as.inj.do(func(t *thread) {
		if _, _, err = runPending(t, ops); err != nil {
			return
		}
		if haveSlot {
			// The signal stack is mapped here, with the rest, and
			// installed by the thread itself below.
			in := injection{nr: unix.SYS_MMAP, args: [6]uint64{altStackBase + uint64(slot)*altStackSize, altStackSize,
				unix.PROT_READ | unix.PROT_WRITE, unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED, ^uint64(0), 0}}
			if _, err = in.run(t); err != nil {
				return
			}
		}
		tid, err = t.clone(unix.CLONE_VM | uint64(unix.SIGCHLD))
	})
	if err == nil {
		as.threads++
	}
	as.mu.Unlock()
	if err != nil {
		if haveSlot {
			as.freeSlot(slot)
		}
		return nil, err
	}
	t := &thread{tid: tid, slot: -1}
	if haveSlot {
		t.slot = slot
	}
	if err := t.seize(); err != nil {
		as.threadGone(t)
		return nil, err
	}
	if haveSlot {
		if err := t.setAltStack(altStackBase + uint64(slot)*altStackSize); err != nil {
			as.threadGone(t)
			return nil, err
		}
	}
	t.tracer = unix.Gettid()
	as.mu.Lock()
	if as.local == nil {
		as.local = make(map[int]*thread)
	}
	as.local[t.tracer] = t
	as.mu.Unlock()
	return t, nil
}

// threadGone kills t, a thread that newThread made, and frees its slot.
func (as *addressSpace) threadGone(t *thread) {
	t.kill()
	if t.slot >= 0 {
		as.freeSlot(t.slot)
	}
	as.mu.Lock()
	as.threads--
	if as.local[t.tracer] == t {
		delete(as.local, t.tracer)
	}
	as.mu.Unlock()
}
