#include "textflag.h"

// func rawForkStub() (ret uintptr)
//
// rawForkStub forks the calling process with a raw clone(SIGCHLD). The child
// never returns to Go: it asks to be traced by its parent thread, stops itself
// with SIGSTOP, and from then on only executes code that its tracer injects.
// The caller must have blocked all signals on its thread (the child inherits
// the mask, so no Go signal handler ever runs in it) and must be locked to its
// OS thread (PTRACE_TRACEME makes exactly that thread the tracer).
//
// The parent gets the raw clone result: a pid, or -errno.
TEXT ·rawForkStub(SB),NOSPLIT|NOFRAME,$0-8
	MOVQ	$56, AX		// SYS_clone
	MOVQ	$17, DI		// flags: SIGCHLD as the exit signal, nothing shared
	XORQ	SI, SI		// same stack (a copy of it)
	XORQ	DX, DX
	XORQ	R10, R10
	XORQ	R8, R8
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	MOVQ	AX, ret+0(FP)
	RET
child:
	MOVQ	$101, AX	// SYS_ptrace
	XORQ	DI, DI		// PTRACE_TRACEME
	XORQ	SI, SI
	XORQ	DX, DX
	XORQ	R10, R10
	SYSCALL
	MOVQ	$39, AX		// SYS_getpid
	SYSCALL
	MOVQ	AX, DI
	MOVQ	$19, SI		// SIGSTOP
	MOVQ	$62, AX		// SYS_kill
	SYSCALL
	// The tracer re-enters the SYSCALL instruction just above to inject
	// its first system calls. If the child is ever resumed here, it
	// exits.
	MOVQ	$60, AX		// SYS_exit
	MOVQ	$1, DI
	SYSCALL
	INT	$3
