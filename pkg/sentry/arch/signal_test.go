package arch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/usermem"
)

const (
	stackBase = 0x7fff_0000_0000
	stackSize = 64 << 10
	xsaveSize = 2432 // AVX-512 host
	testXCR0  = 0xe7
)

func newStack() *usermem.BytesIO {
	return &usermem.BytesIO{Base: stackBase, Bytes: make([]byte, stackSize)}
}

// testFPState returns an XSAVE image as ptrace would: xcr0 in the first
// software-reserved word, some XSTATE_BV, recognisable content elsewhere.
func testFPState(size int) []byte {
	fp := make([]byte, size)
	for i := range fp {
		fp[i] = byte(i*7 + 1)
	}
	binary.LittleEndian.PutUint32(fp[linux.FXSAVEMXCSROffset:], 0x1f80)
	sw := fp[linux.FXSAVESWReservedOffset : linux.FXSAVESWReservedOffset+linux.FPXSWBytesSize]
	clear(sw)
	if size > linux.FXSAVEAreaSize {
		binary.LittleEndian.PutUint64(sw, testXCR0)
		hdr := fp[linux.XSAVEHeaderOffset : linux.XSAVEHeaderOffset+linux.XSAVEHeaderSize]
		clear(hdr)
		binary.LittleEndian.PutUint64(hdr, 0x24) // AVX + opmask in use
	}
	return fp
}

func testRegs() linux.PtraceRegs {
	return linux.PtraceRegs{
		R15: 15, R14: 14, R13: 13, R12: 12, Rbp: 0xbb, Rbx: 0xb, R11: 11, R10: 10,
		R9: 9, R8: 8, Rax: 0xaa, Rcx: 0xcc, Rdx: 0xdd, Rsi: 0x51, Rdi: 0xd1,
		Orig_rax: 39, Rip: 0x401234, Cs: linux.USER_CS,
		Eflags: linux.X86_EFLAGS_IF | linux.X86_EFLAGS_DF | linux.X86_EFLAGS_CF | 0x2,
		Rsp:    stackBase + stackSize - 0x100, Ss: linux.USER_DS, Fs_base: 0x7000,
	}
}

func testArgs(regs *linux.PtraceRegs) SignalFrameArgs {
	info := &linux.SignalInfo{Signo: int32(linux.SIGUSR1), Code: linux.SI_TKILL}
	info.SetPID(42)
	return SignalFrameArgs{
		Sig:  linux.SIGUSR1,
		Info: info,
		Action: linux.SigAction{
			Handler:  0x405000,
			Flags:    linux.SA_SIGINFO | linux.SA_RESTORER,
			Restorer: 0x406000,
		},
		OldMask:  linux.MakeSignalSet(linux.SIGINT, linux.SIGKILL),
		AltStack: linux.SignalStack{Flags: linux.SS_DISABLE},
		SP:       regs.Rsp,
		FPState:  testFPState(xsaveSize),
		Trap:     TrapInfo{TrapNo: 14, Err: 6, CR2: 0xdead000},
	}
}

func TestStructSizes(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		want int
	}{
		{"sigcontext", linux.SigContext{}, linux.SigContextSize},
		{"ucontext", linux.UContext{}, linux.UContextSize},
		{"rt_sigframe", linux.RtSigframe{}, linux.RtSigframeSize},
		{"_fpx_sw_bytes", linux.FPXSWBytes{}, linux.FPXSWBytesSize},
		{"stack_t", linux.SignalStack{}, linux.SignalStackSize},
		{"siginfo", linux.SignalInfo{}, linux.SignalInfoSize},
	} {
		if got := binary.Size(tc.v); got != tc.want {
			t.Errorf("sizeof(%s) = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestLayoutOffsets checks the field offsets of the encoded frame against
// the kernel's (offsetof in arch/x86/include/uapi/asm/sigcontext.h and
// asm-generic/ucontext.h).
func TestLayoutOffsets(t *testing.T) {
	var f linux.RtSigframe
	f.Pretcode = 0x1111
	f.UC.Flags = 0x2222
	f.UC.Link = 0x3333
	f.UC.Stack = linux.SignalStack{Sp: 0x4444, Flags: 0x55, Size: 0x6666}
	sc := &f.UC.MContext
	sc.R8, sc.R15, sc.Rdi, sc.Rax, sc.Rsp, sc.Rip, sc.Eflags = 0x801, 0x1501, 0xd101, 0xaa01, 0x5b01, 0x1b01, 0xef01
	sc.Cs, sc.Gs, sc.Fs, sc.Ss = 0x33, 0x44, 0x55, 0x2b
	sc.Err, sc.Trapno, sc.Oldmask, sc.Cr2, sc.Fpstate = 0xe1, 0x71, 0x0d1, 0xc21, 0xf01
	f.UC.Sigmask = 0x5151
	f.Info.Signo = 0x61
	buf := make([]byte, linux.RtSigframeSize)
	if _, err := binary.Encode(buf, binary.LittleEndian, &f); err != nil {
		t.Fatal(err)
	}
	const mc = ucOffset + 40 // uc_mcontext inside ucontext
	for _, tc := range []struct {
		name string
		off  int
		size int
		want uint64
	}{
		{"pretcode", 0, 8, 0x1111},
		{"uc_flags", ucOffset + 0, 8, 0x2222},
		{"uc_link", ucOffset + 8, 8, 0x3333},
		{"uc_stack.ss_sp", ucOffset + 16, 8, 0x4444},
		{"uc_stack.ss_flags", ucOffset + 24, 4, 0x55},
		{"uc_stack.ss_size", ucOffset + 32, 8, 0x6666},
		{"r8", mc + 0*8, 8, 0x801},
		{"r15", mc + 7*8, 8, 0x1501},
		{"rdi", mc + 8*8, 8, 0xd101},
		{"rax", mc + 13*8, 8, 0xaa01},
		{"rsp", mc + 15*8, 8, 0x5b01},
		{"rip", mc + 16*8, 8, 0x1b01},
		{"eflags", mc + 17*8, 8, 0xef01},
		{"cs", mc + 144, 2, 0x33},
		{"gs", mc + 146, 2, 0x44},
		{"fs", mc + 148, 2, 0x55},
		{"ss", mc + 150, 2, 0x2b},
		{"err", mc + 152, 8, 0xe1},
		{"trapno", mc + 160, 8, 0x71},
		{"oldmask", mc + 168, 8, 0x0d1},
		{"cr2", mc + 176, 8, 0xc21},
		{"fpstate", mc + 184, 8, 0xf01},
		{"uc_sigmask", ucOffset + 296, 8, 0x5151},
		{"info.si_signo", infoOffset, 4, 0x61},
	} {
		var got uint64
		switch tc.size {
		case 2:
			got = uint64(binary.LittleEndian.Uint16(buf[tc.off:]))
		case 4:
			got = uint64(binary.LittleEndian.Uint32(buf[tc.off:]))
		default:
			got = binary.LittleEndian.Uint64(buf[tc.off:])
		}
		if got != tc.want {
			t.Errorf("%s at %d = %#x, want %#x", tc.name, tc.off, got, tc.want)
		}
	}
	if infoOffset != 8+linux.UContextSize {
		t.Errorf("info offset %d, want %d", infoOffset, 8+linux.UContextSize)
	}
}

func TestSetupRegisters(t *testing.T) {
	mem := newStack()
	regs := testRegs()
	orig := regs
	a := testArgs(&regs)
	if err := SetupSignalFrame(mem, &regs, a); err != nil {
		t.Fatalf("SetupSignalFrame: %v", err)
	}
	frame := regs.Rsp
	checks := []struct {
		name      string
		got, want uint64
	}{
		{"rdi", regs.Rdi, uint64(linux.SIGUSR1)},
		{"rsi", regs.Rsi, frame + 8 + linux.UContextSize},
		{"rdx", regs.Rdx, frame + 8},
		{"rax", regs.Rax, 0},
		{"rip", regs.Rip, a.Action.Handler},
		{"cs", regs.Cs, linux.USER_CS},
		{"ss", regs.Ss, linux.USER_DS},
		{"eflags", regs.Eflags, orig.Eflags &^ linux.X86_EFLAGS_DF},
		{"(rsp+8)%16", (frame + 8) % 16, 0},
		{"r12 untouched", regs.R12, orig.R12},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
	if frame >= orig.Rsp-RedZoneSize {
		t.Errorf("frame %#x inside the red zone below %#x", frame, orig.Rsp)
	}
	// pretcode, saved context and siginfo as the handler sees them.
	ret, _ := usermem.CopyInUint64(mem, frame)
	if ret != a.Action.Restorer {
		t.Errorf("pretcode = %#x, want %#x", ret, a.Action.Restorer)
	}
	buf := make([]byte, linux.RtSigframeSize)
	mem.CopyIn(frame, buf)
	var f linux.RtSigframe
	binary.Decode(buf, binary.LittleEndian, &f)
	want := linux.UC_FP_XSTATE | linux.UC_SIGCONTEXT_SS | linux.UC_STRICT_RESTORE_SS
	if f.UC.Flags != uint64(want) {
		t.Errorf("uc_flags = %#x, want %#x", f.UC.Flags, want)
	}
	sc := f.UC.MContext
	if sc.Rip != orig.Rip || sc.Rsp != orig.Rsp || sc.Rax != orig.Rax || sc.Eflags != orig.Eflags {
		t.Errorf("saved rip/rsp/rax/eflags = %#x/%#x/%#x/%#x, want %#x/%#x/%#x/%#x",
			sc.Rip, sc.Rsp, sc.Rax, sc.Eflags, orig.Rip, orig.Rsp, orig.Rax, orig.Eflags)
	}
	if sc.Trapno != 14 || sc.Err != 6 || sc.Cr2 != 0xdead000 || sc.Oldmask != uint64(a.OldMask) {
		t.Errorf("trap fields = %d/%d/%#x/%#x", sc.Trapno, sc.Err, sc.Cr2, sc.Oldmask)
	}
	if f.Info.Signo != int32(linux.SIGUSR1) || f.Info.PID() != 42 {
		t.Errorf("siginfo signo %d pid %d", f.Info.Signo, f.Info.PID())
	}
	if sc.Fpstate%64 != 0 || sc.Fpstate < frame+linux.RtSigframeSize ||
		sc.Fpstate+xsaveSize+4 > orig.Rsp-RedZoneSize {
		t.Errorf("fpstate %#x misplaced (frame %#x, sp %#x)", sc.Fpstate, frame, orig.Rsp)
	}
	// The fpstate's software bytes and magic2, as Linux writes them.
	sw := make([]byte, linux.FPXSWBytesSize)
	mem.CopyIn(sc.Fpstate+linux.FXSAVESWReservedOffset, sw)
	var fx linux.FPXSWBytes
	binary.Decode(sw, binary.LittleEndian, &fx)
	if fx.Magic1 != linux.FP_XSTATE_MAGIC1 || fx.ExtendedSize != xsaveSize+4 ||
		fx.Xfeatures != testXCR0 || fx.XstateSize != xsaveSize {
		t.Errorf("_fpx_sw_bytes = %+v", fx)
	}
	m2, _ := usermem.CopyInUint32(mem, sc.Fpstate+xsaveSize)
	if m2 != linux.FP_XSTATE_MAGIC2 {
		t.Errorf("magic2 = %#x", m2)
	}
	bv, _ := usermem.CopyInUint64(mem, sc.Fpstate+linux.XSAVEHeaderOffset)
	if bv != 0x24|linux.XFEATURE_MASK_FPSSE {
		t.Errorf("XSTATE_BV = %#x, want %#x", bv, 0x24|linux.XFEATURE_MASK_FPSSE)
	}
}

func TestSiginfoOnlyWithSA_SIGINFO(t *testing.T) {
	mem := newStack()
	regs := testRegs()
	a := testArgs(&regs)
	a.Action.Flags = linux.SA_RESTORER
	if err := SetupSignalFrame(mem, &regs, a); err != nil {
		t.Fatal(err)
	}
	signo, _ := usermem.CopyInUint32(mem, regs.Rsi)
	if signo != 0 {
		t.Errorf("siginfo written without SA_SIGINFO: si_signo = %d", signo)
	}
}

// TestAlignment checks the placement invariants for every stack pointer
// alignment and fpstate size.
func TestAlignment(t *testing.T) {
	for _, fpSize := range []int{0, linux.FXSAVEAreaSize, 832, 1088, xsaveSize} {
		for off := uint64(0); off < 128; off++ {
			for _, alt := range []bool{false, true} {
				mem := newStack()
				regs := testRegs()
				regs.Rsp = stackBase + stackSize - 0x200 - off
				a := testArgs(&regs)
				a.FPState = nil
				if fpSize > 0 {
					a.FPState = testFPState(fpSize)
				}
				a.OnAltStack = alt
				if alt {
					a.SP = stackBase + stackSize - off
					a.AltStack = linux.SignalStack{Sp: stackBase, Size: stackSize - off}
				}
				if err := SetupSignalFrame(mem, &regs, a); err != nil {
					t.Fatalf("fp %d off %d alt %v: %v", fpSize, off, alt, err)
				}
				if (regs.Rsp+8)%16 != 0 {
					t.Errorf("fp %d off %d alt %v: rsp %#x: (rsp+8)%%16 != 0", fpSize, off, alt, regs.Rsp)
				}
				fpp, _ := usermem.CopyInUint64(mem, regs.Rdx+40+184)
				top := a.SP
				if !alt {
					top -= RedZoneSize
				}
				if fpSize == 0 {
					if fpp != 0 {
						t.Errorf("fp pointer %#x without fpstate", fpp)
					}
					if regs.Rsp+linux.RtSigframeSize > top {
						t.Errorf("frame overlaps the red zone")
					}
					continue
				}
				extra := uint64(0)
				if fpSize > linux.FXSAVEAreaSize {
					extra = 4
				}
				if fpp%64 != 0 || fpp < regs.Rsp+linux.RtSigframeSize || fpp+uint64(fpSize)+extra > top {
					t.Errorf("fp %d off %d alt %v: fpstate %#x, frame %#x, top %#x", fpSize, off, alt, fpp, regs.Rsp, top)
				}
				if top-regs.Rsp > MinSigStackSize(fpSize) {
					t.Errorf("fp %d: frame uses %d bytes, more than MinSigStackSize %d", fpSize, top-regs.Rsp, MinSigStackSize(fpSize))
				}
			}
		}
	}
}

func TestSetupErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(a *SignalFrameArgs, mem *usermem.BytesIO)
	}{
		{"no SA_RESTORER", func(a *SignalFrameArgs, _ *usermem.BytesIO) { a.Action.Flags = linux.SA_SIGINFO }},
		{"stack unmapped", func(a *SignalFrameArgs, mem *usermem.BytesIO) { mem.Base = 0x1000_0000 }},
		{"stack partly mapped", func(a *SignalFrameArgs, mem *usermem.BytesIO) {
			mem.Base = a.SP - 1024
			mem.Bytes = make([]byte, 1024)
		}},
		{"sp near zero", func(a *SignalFrameArgs, _ *usermem.BytesIO) { a.SP = 200 }},
		{"alt stack overflow", func(a *SignalFrameArgs, _ *usermem.BytesIO) {
			a.OnAltStack = true
			a.AltStack = linux.SignalStack{Sp: a.SP - 2048, Size: 2048}
		}},
		{"short fpstate", func(a *SignalFrameArgs, _ *usermem.BytesIO) { a.FPState = make([]byte, 100) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := newStack()
			regs := testRegs()
			a := testArgs(&regs)
			tc.modify(&a, mem)
			before := regs
			err := SetupSignalFrame(mem, &regs, a)
			if !errors.Is(err, linux.EFAULT) {
				t.Errorf("err = %v, want EFAULT", err)
			}
			if regs != before {
				t.Errorf("regs changed on failure")
			}
		})
	}
}

// handlerReturn simulates the handler's ret popping pretcode.
func handlerReturn(regs *linux.PtraceRegs) { regs.Rsp += 8 }

func TestRoundTrip(t *testing.T) {
	for _, fpSize := range []int{0, linux.FXSAVEAreaSize, xsaveSize} {
		mem := newStack()
		regs := testRegs()
		orig := regs
		a := testArgs(&regs)
		a.FPState = nil
		if fpSize > 0 {
			a.FPState = testFPState(fpSize)
		}
		a.AltStack = linux.SignalStack{Sp: 0x10000, Size: 8192, Flags: linux.SS_ONSTACK}
		if err := SetupSignalFrame(mem, &regs, a); err != nil {
			t.Fatal(err)
		}
		// The handler clobbers registers.
		regs.Rax, regs.Rbx, regs.R12, regs.Rip = 1, 2, 3, 0x406000
		regs.Eflags |= linux.X86_EFLAGS_ZF
		handlerReturn(&regs)
		mask, alt, fp, err := RestoreSignalFrame(mem, &regs, max(fpSize, linux.FXSAVEAreaSize))
		if err != nil {
			t.Fatalf("fp %d: RestoreSignalFrame: %v", fpSize, err)
		}
		want := orig
		want.Orig_rax = ^uint64(0)
		// FIX_EFLAGS come from the frame, the rest (IF) stays.
		if regs != want {
			t.Errorf("fp %d: regs = %+v\nwant %+v", fpSize, regs, want)
		}
		if wantMask := linux.MakeSignalSet(linux.SIGINT); mask != wantMask {
			t.Errorf("mask = %#x, want %#x (SIGKILL dropped)", mask, wantMask)
		}
		if alt != a.AltStack {
			t.Errorf("alt = %+v, want %+v", alt, a.AltStack)
		}
		switch {
		case fpSize == 0:
			if fp != nil {
				t.Errorf("fp = %d bytes, want nil for NULL fpstate", len(fp))
			}
		default:
			wantFP := bytes.Clone(a.FPState)
			if fpSize > linux.FXSAVEAreaSize {
				binary.LittleEndian.PutUint64(wantFP[linux.XSAVEHeaderOffset:], 0x24|linux.XFEATURE_MASK_FPSSE)
			}
			// The software-reserved bytes are the frame's, not ptrace's.
			copy(wantFP[linux.FXSAVESWReservedOffset:linux.FXSAVEAreaSize], fp[linux.FXSAVESWReservedOffset:])
			if !bytes.Equal(fp, wantFP) {
				t.Errorf("fp %d: restored fpstate differs", fpSize)
			}
		}
	}
}

func TestRestoreSanitises(t *testing.T) {
	mem := newStack()
	regs := testRegs()
	a := testArgs(&regs)
	if err := SetupSignalFrame(mem, &regs, a); err != nil {
		t.Fatal(err)
	}
	mc := regs.Rdx + 40
	// A hostile handler rewrites its context.
	usermem.CopyOutUint64(mem, mc+17*8, ^uint64(0))           // every eflags bit, IOPL included
	mem.CopyOut(mc+144, []byte{0x08, 0, 0, 0, 0, 0, 0x10, 0}) // kernel cs, kernel ss
	usermem.CopyOutUint64(mem, regs.Rdx+296, ^uint64(0))
	handlerReturn(&regs)
	regs.Eflags = linux.X86_EFLAGS_IF | 0x2
	mask, _, _, err := RestoreSignalFrame(mem, &regs, xsaveSize)
	if err != nil {
		t.Fatal(err)
	}
	if regs.Cs != linux.USER_CS || regs.Ss != linux.USER_DS {
		t.Errorf("cs/ss = %#x/%#x, want user selectors", regs.Cs, regs.Ss)
	}
	if want := uint64(linux.X86_EFLAGS_IF|0x2) | linux.FIX_EFLAGS; regs.Eflags != want {
		t.Errorf("eflags = %#x, want %#x", regs.Eflags, want)
	}
	if mask&linux.UnblockableSignals != 0 {
		t.Errorf("mask %#x keeps SIGKILL/SIGSTOP", mask)
	}
}

func TestRestoreFPStateVariants(t *testing.T) {
	for _, tc := range []struct {
		name string
		// damage edits the frame's fpstate at fp.
		damage func(mem *usermem.BytesIO, fp uint64)
		wantBV uint64
		// legacyOnly: only the first 512 bytes survive.
		legacyOnly bool
	}{
		{"intact", func(*usermem.BytesIO, uint64) {}, 0x24 | 3, false},
		{"magic1 damaged", func(m *usermem.BytesIO, fp uint64) {
			usermem.CopyOutUint32(m, fp+linux.FXSAVESWReservedOffset, 0)
		}, 3, true},
		{"magic2 damaged", func(m *usermem.BytesIO, fp uint64) { usermem.CopyOutUint32(m, fp+xsaveSize, 0) }, 3, true},
		{"xstate_size too big", func(m *usermem.BytesIO, fp uint64) {
			usermem.CopyOutUint32(m, fp+linux.FXSAVESWReservedOffset+16, xsaveSize+64)
		}, 3, true},
		{"xstate_size too small", func(m *usermem.BytesIO, fp uint64) {
			usermem.CopyOutUint32(m, fp+linux.FXSAVESWReservedOffset+16, 100)
		}, 3, true},
		{"xfeatures narrowed", func(m *usermem.BytesIO, fp uint64) {
			usermem.CopyOutUint64(m, fp+linux.FXSAVESWReservedOffset+8, 0x7)
		}, 0x4 | 3, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := newStack()
			regs := testRegs()
			a := testArgs(&regs)
			if err := SetupSignalFrame(mem, &regs, a); err != nil {
				t.Fatal(err)
			}
			fpAddr, _ := usermem.CopyInUint64(mem, regs.Rdx+40+184)
			tc.damage(mem, fpAddr)
			// The application also sets an invalid MXCSR bit.
			usermem.CopyOutUint32(mem, fpAddr+linux.FXSAVEMXCSROffset, 0x801f80)
			handlerReturn(&regs)
			_, _, fp, err := RestoreSignalFrame(mem, &regs, xsaveSize)
			if err != nil {
				t.Fatal(err)
			}
			if len(fp) != xsaveSize {
				t.Fatalf("len(fp) = %d, want %d", len(fp), xsaveSize)
			}
			if bv := binary.LittleEndian.Uint64(fp[linux.XSAVEHeaderOffset:]); bv != tc.wantBV {
				t.Errorf("XSTATE_BV = %#x, want %#x", bv, tc.wantBV)
			}
			if !bytes.Equal(fp[:32], a.FPState[:32]) && !tc.legacyOnly {
				// MXCSR is the application's in the XSAVE case (the
				// host validates it); compare the rest.
				got, want := bytes.Clone(fp[:32]), bytes.Clone(a.FPState[:32])
				clear(got[24:28])
				clear(want[24:28])
				if !bytes.Equal(got, want) {
					t.Errorf("legacy area differs")
				}
			}
			ext := fp[linux.XSAVEMinSize:]
			if tc.legacyOnly {
				if mx := binary.LittleEndian.Uint32(fp[linux.FXSAVEMXCSROffset:]); mx != 0x1f80 {
					t.Errorf("mxcsr = %#x, want sanitised 0x1f80", mx)
				}
				if !bytes.Equal(ext, make([]byte, len(ext))) {
					t.Errorf("extended state not reset for a legacy-only restore")
				}
			} else if !bytes.Equal(ext, a.FPState[linux.XSAVEMinSize:]) {
				t.Errorf("extended state differs")
			}
		})
	}
}

func TestRestoreErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(mem *usermem.BytesIO, regs *linux.PtraceRegs)
	}{
		{"frame unmapped", func(_ *usermem.BytesIO, r *linux.PtraceRegs) { r.Rsp = 0x1000 }},
		{"rsp zero", func(_ *usermem.BytesIO, r *linux.PtraceRegs) { r.Rsp = 0 }},
		{"fpstate unmapped", func(m *usermem.BytesIO, r *linux.PtraceRegs) {
			usermem.CopyOutUint64(m, r.Rsp-8+8+40+184, 0x1000)
		}},
		{"fpstate misaligned", func(m *usermem.BytesIO, r *linux.PtraceRegs) {
			p, _ := usermem.CopyInUint64(m, r.Rsp-8+8+40+184)
			usermem.CopyOutUint64(m, r.Rsp-8+8+40+184, p+8)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := newStack()
			regs := testRegs()
			a := testArgs(&regs)
			if err := SetupSignalFrame(mem, &regs, a); err != nil {
				t.Fatal(err)
			}
			handlerReturn(&regs)
			tc.modify(mem, &regs)
			before := regs
			_, _, _, err := RestoreSignalFrame(mem, &regs, xsaveSize)
			if !errors.Is(err, linux.EFAULT) {
				t.Errorf("err = %v, want EFAULT", err)
			}
			if regs != before {
				t.Errorf("regs changed on failure")
			}
		})
	}
}

func TestMinSigStackSize(t *testing.T) {
	for _, tc := range []struct {
		xstate int
		want   uint64
	}{
		// 440 + 15 + size (+4 magic2 with XSAVE) + 63, rounded up to 16.
		{512, 1040},
		{832, 1360},  // AVX
		{2432, 2960}, // AVX-512
	} {
		if got := MinSigStackSize(tc.xstate); got != tc.want {
			t.Errorf("MinSigStackSize(%d) = %d, want %d", tc.xstate, got, tc.want)
		}
	}
}

// FuzzRestoreSignalFrame feeds arbitrary frames to rt_sigreturn: it must
// never panic, and on success the selectors are the user ones.
func FuzzRestoreSignalFrame(f *testing.F) {
	mem := newStack()
	regs := testRegs()
	a := testArgs(&regs)
	if err := SetupSignalFrame(mem, &regs, a); err != nil {
		f.Fatal(err)
	}
	off := regs.Rsp - stackBase
	f.Add(mem.Bytes[off:], uint16(xsaveSize))
	f.Add(make([]byte, 600), uint16(512))
	f.Fuzz(func(t *testing.T, frame []byte, fpSize uint16) {
		m := &usermem.BytesIO{Base: stackBase, Bytes: bytes.Clone(frame)}
		r := linux.PtraceRegs{Rsp: stackBase + 8}
		_, _, fp, err := RestoreSignalFrame(m, &r, int(fpSize))
		if err != nil {
			return
		}
		if r.Cs != linux.USER_CS || r.Ss != linux.USER_DS || r.Orig_rax != ^uint64(0) {
			t.Errorf("unsanitised regs %+v", r)
		}
		if fp != nil && len(fp) < linux.FXSAVEAreaSize {
			t.Errorf("fp of %d bytes", len(fp))
		}
	})
}
