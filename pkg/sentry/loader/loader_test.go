package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"bulwark.dev/bulwark/pkg/abi/linux"
	"bulwark.dev/bulwark/pkg/sentry/platform"
	"bulwark.dev/bulwark/pkg/usermem"
)

var testRandom = []byte("0123456789abcdef")

func testArgs(exe []byte) Args {
	return Args{
		Exe:       bytes.NewReader(exe),
		ExecFn:    "/bin/prog",
		Argv:      []string{"prog", "-v", ""},
		Envv:      []string{"HOME=/root", "PATH=/bin"},
		StackSize: 8 << 20,
		UID:       1, EUID: 2, GID: 3, EGID: 4,
		Secure:          true,
		Random:          bytes.NewReader(testRandom),
		HWCap:           0x178bfbff,
		HWCap2:          2,
		ClockTick:       100,
		MinSigStackSize: 2960,
	}
}

// parsedStack is the initial stack read back the way a libc start-up does.
type parsedStack struct {
	argv, envv []string
	auxv       map[uint64]uint64
	auxOrder   []uint64
}

func parseStack(t *testing.T, m *fakeMem, sp uint64) parsedStack {
	t.Helper()
	if sp%16 != 0 {
		t.Errorf("rsp %#x not 16-byte aligned", sp)
	}
	var ps parsedStack
	argc, err := usermem.CopyInUint64(m, sp)
	if err != nil {
		t.Fatalf("read argc: %v", err)
	}
	p := sp + 8
	readVec := func() []string {
		out := []string{}
		for {
			ptr, err := usermem.CopyInUint64(m, p)
			if err != nil {
				t.Fatalf("read vector at %#x: %v", p, err)
			}
			p += 8
			if ptr == 0 {
				return out
			}
			s, err := usermem.CopyInString(m, ptr, 1<<20)
			if err != nil {
				t.Fatalf("read string at %#x: %v", ptr, err)
			}
			out = append(out, s)
		}
	}
	ps.argv = readVec()
	if uint64(len(ps.argv)) != argc {
		t.Errorf("argc = %d but %d argv pointers", argc, len(ps.argv))
	}
	ps.envv = readVec()
	ps.auxv = map[uint64]uint64{}
	for {
		k, _ := usermem.CopyInUint64(m, p)
		v, _ := usermem.CopyInUint64(m, p+8)
		p += 16
		ps.auxOrder = append(ps.auxOrder, k)
		if k == linux.AT_NULL {
			break
		}
		if _, dup := ps.auxv[k]; dup {
			t.Errorf("auxv type %d twice", k)
		}
		ps.auxv[k] = v
		if len(ps.auxOrder) > 100 {
			t.Fatal("auxv not terminated")
		}
	}
	return ps
}

func checkStack(t *testing.T, m *fakeMem, res Result, args Args, wantArgv []string, info map[uint64]uint64) {
	t.Helper()
	ps := parseStack(t, m, res.StackPointer)
	if strings.Join(ps.argv, "|") != strings.Join(wantArgv, "|") || len(ps.argv) != len(wantArgv) {
		t.Errorf("argv = %q, want %q", ps.argv, wantArgv)
	}
	if strings.Join(ps.envv, "|") != strings.Join(args.Envv, "|") || len(ps.envv) != len(args.Envv) {
		t.Errorf("envp = %q, want %q", ps.envv, args.Envv)
	}
	want := map[uint64]uint64{
		linux.AT_PAGESZ:      usermem.PageSize,
		linux.AT_PHENT:       linux.Elf64_PhdrSize,
		linux.AT_BASE:        res.InterpBase,
		linux.AT_FLAGS:       0,
		linux.AT_UID:         uint64(args.UID),
		linux.AT_EUID:        uint64(args.EUID),
		linux.AT_GID:         uint64(args.GID),
		linux.AT_EGID:        uint64(args.EGID),
		linux.AT_SECURE:      boolToUint64(args.Secure),
		linux.AT_HWCAP:       args.HWCap,
		linux.AT_HWCAP2:      args.HWCap2,
		linux.AT_CLKTCK:      args.ClockTick,
		linux.AT_MINSIGSTKSZ: args.MinSigStackSize,
		linux.AT_ENTRY:       res.ExeEntry,
		linux.AT_PHDR:        res.Phdr,
	}
	for k, v := range info {
		want[k] = v
	}
	for k, v := range want {
		if got, ok := ps.auxv[k]; !ok || got != v {
			t.Errorf("auxv[%d] = %#x (present %v), want %#x", k, got, ok, v)
		}
	}
	if _, ok := ps.auxv[linux.AT_SYSINFO_EHDR]; ok {
		t.Errorf("AT_SYSINFO_EHDR present without a vDSO")
	}
	if len(ps.auxv) != 19 {
		t.Errorf("auxv has %d entries, want 19: order %v", len(ps.auxv), ps.auxOrder)
	}
	rnd, err := m.peek(ps.auxv[linux.AT_RANDOM], 16)
	if err != nil || !bytes.Equal(rnd, testRandom) {
		t.Errorf("AT_RANDOM bytes = %q (%v)", rnd, err)
	}
	if s, _ := usermem.CopyInString(m, ps.auxv[linux.AT_PLATFORM], 64); s != "x86_64" {
		t.Errorf("AT_PLATFORM = %q", s)
	}
	if s, _ := usermem.CopyInString(m, ps.auxv[linux.AT_EXECFN], 4096); s != args.ExecFn {
		t.Errorf("AT_EXECFN = %q, want %q", s, args.ExecFn)
	}
	// The string ranges hold exactly the NUL-separated strings.
	argBytes, _ := m.peek(res.ArgvStart, int(res.ArgvEnd-res.ArgvStart))
	if got, want := string(argBytes), strings.Join(wantArgv, "\x00")+"\x00"; got != want {
		t.Errorf("argv range = %q, want %q", got, want)
	}
	envBytes, _ := m.peek(res.EnvStart, int(res.EnvEnd-res.EnvStart))
	wantEnv := ""
	for _, e := range args.Envv {
		wantEnv += e + "\x00"
	}
	if string(envBytes) != wantEnv {
		t.Errorf("env range = %q, want %q", envBytes, wantEnv)
	}
	// Linux's order: execfn string then 8 zero bytes at the top.
	if top := ps.auxv[linux.AT_EXECFN] + uint64(len(args.ExecFn)) + 1 + 8; top != testStackTop {
		t.Errorf("execfn string ends at %#x, want 8 bytes below the top %#x", top, uint64(testStackTop))
	}
	if p := m.pages[testStackTop-usermem.PageSize]; p == nil || !p.growsDown || !p.prot.Write {
		t.Errorf("stack top page not a writable grows-down mapping")
	}
	if p := m.pages[testStackTop-args.StackSize]; p == nil || m.pages[testStackTop-args.StackSize-usermem.PageSize] != nil {
		t.Errorf("stack mapping is not exactly StackSize")
	}
}

func TestLoadSmallImages(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  uint16
		base uint64 // link address of the first segment
		bias uint64 // expected load bias
	}{
		{"ET_EXEC", linux.ET_EXEC, 0x400000, 0},
		{"ET_DYN", linux.ET_DYN, 0, testPIEBase},
		{"ET_DYN linked high", linux.ET_DYN, 0x10000, testPIEBase - 0x10000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im := testImage(tc.typ, tc.base)
			file := im.bytes()
			m := newFakeMem()
			args := testArgs(file)
			res, err := Load(m, args)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			at := tc.base + tc.bias
			if res.Entry != at+0x100 {
				t.Errorf("entry = %#x, want %#x", res.Entry, at+0x100)
			}
			if res.Phdr != at+linux.Elf64_EhdrSize {
				t.Errorf("phdr = %#x, want %#x", res.Phdr, at+linux.Elf64_EhdrSize)
			}
			if want := at + 0x5000; res.BrkBase != want || m.brk != want {
				t.Errorf("brk = %#x (mem %#x), want %#x", res.BrkBase, m.brk, want)
			}
			// Text: the file's first page, read-execute.
			got, _ := m.peek(at, 0x1000)
			if !bytes.Equal(got, file[:0x1000]) {
				t.Errorf("text segment differs from the file")
			}
			// Data: leading file bytes of its page, data, zero bss.
			got, _ = m.peek(at+0x2000, 0x1000)
			if !bytes.Equal(got[:0x334], file[0x1000:0x1334]) {
				t.Errorf("data page does not hold the file's page")
			}
			if !bytes.Equal(got[0x334:], make([]byte, 0x1000-0x334)) {
				t.Errorf("bss tail of the last file page is not zero")
			}
			got, _ = m.peek(at+0x3000, 0x1000)
			if !bytes.Equal(got, make([]byte, 0x1000)) {
				t.Errorf("bss page not zero")
			}
			for _, pc := range []struct {
				addr uint64
				prot platform.Prot
			}{
				{at, platform.Prot{Read: true, Execute: true}},
				{at + 0x2000, platform.Prot{Read: true, Write: true}},
				{at + 0x4000, platform.Prot{Read: true, Write: true}},
			} {
				if p := m.pages[pc.addr]; p == nil || p.prot != pc.prot {
					t.Errorf("page %#x: %+v, want prot %+v", pc.addr, p, pc.prot)
				}
			}
			for _, unmapped := range []uint64{at + 0x1000, at + 0x5000} {
				if m.pages[unmapped] != nil {
					t.Errorf("page %#x mapped", unmapped)
				}
			}
			checkStack(t, m, res, args, args.Argv, map[uint64]uint64{linux.AT_PHNUM: 3})
		})
	}
}

func TestEmptyArgvBecomesEmptyString(t *testing.T) {
	m := newFakeMem()
	args := testArgs(testImage(linux.ET_EXEC, 0x400000).bytes())
	args.Argv = nil
	res, err := Load(m, args)
	if err != nil {
		t.Fatal(err)
	}
	checkStack(t, m, res, args, []string{""}, nil)
}

func TestSharedPage(t *testing.T) {
	im := newImage(linux.ET_EXEC, 0x400000)
	im.chunks[0x100] = pattern(0x1000, 3)
	im.phdrs = []linux.Elf64_Phdr{
		{Type: linux.PT_LOAD, Flags: linux.PF_R, Off: 0, Vaddr: 0x400000, Filesz: 0x1800, Memsz: 0x1800},
		{Type: linux.PT_LOAD, Flags: linux.PF_R | linux.PF_W, Off: 0x1900, Vaddr: 0x401900, Filesz: 0x10, Memsz: 0x20},
		{Type: linux.PT_LOAD, Flags: linux.PF_R | linux.PF_X, Off: 0x1a00, Vaddr: 0x401a00, Filesz: 0x10, Memsz: 0x1000},
	}
	im.size = 0x2000
	file := im.bytes()
	m := newFakeMem()
	if _, err := Load(m, testArgs(file)); err != nil {
		t.Fatal(err)
	}
	if p := m.pages[0x400000]; p.prot != (platform.Prot{Read: true}) {
		t.Errorf("first page prot %+v", p.prot)
	}
	if p := m.pages[0x401000]; p.prot != (platform.Prot{Read: true, Write: true, Execute: true}) {
		t.Errorf("shared page prot %+v, want the union", p.prot)
	}
	if p := m.pages[0x402000]; p.prot != (platform.Prot{Read: true, Execute: true}) {
		t.Errorf("last page prot %+v", p.prot)
	}
	got, _ := m.peek(0x401000, 0x1000)
	want := bytes.Clone(file[0x1000:0x2000])
	clear(want[0x910:0x920]) // bss of the second segment
	clear(want[0xa10:])      // bss of the third
	if !bytes.Equal(got, want) {
		t.Errorf("shared page contents differ")
	}
}

func TestMalformed(t *testing.T) {
	valid := func() *image { return testImage(linux.ET_EXEC, 0x400000) }
	for _, tc := range []struct {
		name   string
		file   func() []byte
		substr string
	}{
		{"empty", func() []byte { return nil }, "truncated"},
		{"truncated header", func() []byte { return valid().bytes()[:40] }, "truncated"},
		{"bad magic", func() []byte { b := valid().bytes(); b[1] = 'X'; return b }, "not an ELF"},
		{"ELFCLASS32", func() []byte { im := valid(); im.hdr.Ident[linux.EI_CLASS] = linux.ELFCLASS32; return im.bytes() }, "class"},
		{"big endian", func() []byte { im := valid(); im.hdr.Ident[linux.EI_DATA] = linux.ELFDATA2MSB; return im.bytes() }, "little-endian"},
		{"i386", func() []byte { im := valid(); im.hdr.Machine = 3; return im.bytes() }, "machine"},
		{"ET_REL", func() []byte { im := valid(); im.hdr.Type = linux.ET_REL; return im.bytes() }, "type"},
		{"phentsize", func() []byte {
			im := valid()
			b := im.bytes()
			binary.LittleEndian.PutUint16(b[54:], 32)
			return b
		}, "program header size"},
		{"no phdrs", func() []byte { im := valid(); im.phdrs = nil; return im.bytes() }, "no program headers"},
		{"too many phdrs", func() []byte {
			im := valid()
			for len(im.phdrs) < 1200 {
				im.phdrs = append(im.phdrs, linux.Elf64_Phdr{Type: linux.PT_NOTE})
			}
			return im.bytes()
		}, "exceed"},
		{"phdrs beyond EOF", func() []byte {
			b := valid().bytes()
			binary.LittleEndian.PutUint64(b[32:], 1<<20)
			return b
		}, "truncated"},
		{"phoff absurd", func() []byte {
			b := valid().bytes()
			binary.LittleEndian.PutUint64(b[32:], ^uint64(0)-10)
			return b
		}, "beyond any file"},
		{"filesz > memsz", func() []byte { im := valid(); im.phdrs[1].Filesz = 0x3000; return im.bytes() }, "p_filesz"},
		{"misaligned", func() []byte { im := valid(); im.phdrs[1].Off = 0x1235; return im.bytes() }, "modulo"},
		{"overlapping", func() []byte { im := valid(); im.phdrs[1].Vaddr = 0x400800; im.phdrs[1].Off = 0x800; return im.bytes() }, "overlaps"},
		{"unsorted", func() []byte { im := valid(); im.phdrs[0], im.phdrs[1] = im.phdrs[1], im.phdrs[0]; return im.bytes() }, "overlaps or precedes"},
		{"beyond max address", func() []byte { im := valid(); im.phdrs[1].Vaddr = 1<<47 + 0x234; return im.bytes() }, "beyond the user address range"},
		{"memsz wraps", func() []byte { im := valid(); im.phdrs[1].Memsz = ^uint64(0) - 0x1000; return im.bytes() }, "beyond the user address range"},
		{"filesz absurd", func() []byte {
			im := valid()
			im.phdrs[1].Filesz, im.phdrs[1].Memsz = 1<<63, 1<<63
			return im.bytes()
		}, "beyond the user address range"},
		{"offset absurd", func() []byte { im := valid(); im.phdrs[1].Off = 1<<63 + 0x234; return im.bytes() }, "absurd"},
		{"no PT_LOAD", func() []byte { im := valid(); im.phdrs = im.phdrs[2:]; return im.bytes() }, "no loadable"},
		{"only empty PT_LOAD", func() []byte {
			im := valid()
			im.phdrs = []linux.Elf64_Phdr{{Type: linux.PT_LOAD, Vaddr: 0x400000}}
			return im.bytes()
		}, "no loadable"},
		{"segment beyond EOF", func() []byte { im := valid(); im.phdrs[1].Filesz = 0x1000; return im.bytes() }, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newFakeMem()
			_, err := Load(m, testArgs(tc.file()))
			if !errors.Is(err, linux.ENOEXEC) {
				t.Fatalf("err = %v, want ENOEXEC", err)
			}
			if !strings.Contains(err.Error(), tc.substr) {
				t.Errorf("err = %q, want it to mention %q", err, tc.substr)
			}
		})
	}
}

func TestPIEDoesNotFit(t *testing.T) {
	m := newFakeMem()
	m.pieBase = 1<<47 - 0x2000
	_, err := Load(m, testArgs(testImage(linux.ET_DYN, 0).bytes()))
	if !errors.Is(err, linux.ENOEXEC) {
		t.Errorf("err = %v, want ENOEXEC", err)
	}
}

func TestSegmentCollidesWithStack(t *testing.T) {
	m := newFakeMem()
	m.pieBase = testStackTop - 0x10000
	_, err := Load(m, testArgs(testImage(linux.ET_DYN, 0).bytes()))
	if !errors.Is(err, linux.ENOMEM) {
		t.Errorf("err = %v, want ENOMEM", err)
	}
}

func TestArgLimits(t *testing.T) {
	big := strings.Repeat("x", 100<<10)
	for _, tc := range []struct {
		name      string
		argv      []string
		envv      []string
		stackSize uint64
		wantErr   error
	}{
		{"string too long", []string{strings.Repeat("a", maxArgStrlen)}, nil, 8 << 20, linux.E2BIG},
		{"longest string", []string{strings.Repeat("a", maxArgStrlen-1)}, nil, 8 << 20, nil},
		{"quarter of stack", []string{"p"}, []string{big, big, big}, 1 << 20, linux.E2BIG},
		{"under quarter", []string{"p"}, []string{big, big}, 1 << 20, nil},
		{"ARG_MAX floor", []string{"p"}, []string{big}, 256 << 10, nil},
		{"too many pointers", make([]string, 40000), nil, 1 << 20, linux.E2BIG},
		{"stack too small for the floor", []string{"p"}, []string{big}, 64 << 10, linux.E2BIG},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newFakeMem()
			args := testArgs(testImage(linux.ET_EXEC, 0x400000).bytes())
			args.Argv, args.Envv, args.StackSize = tc.argv, tc.envv, tc.stackSize
			res, err := Load(m, args)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				ps := parseStack(t, m, res.StackPointer)
				if len(ps.argv) != len(tc.argv) || len(ps.envv) != len(tc.envv) {
					t.Errorf("argc %d envc %d, want %d %d", len(ps.argv), len(ps.envv), len(tc.argv), len(tc.envv))
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// TestRealStaticBinaries loads binaries built by the host's gcc and checks
// the loader against debug/elf's independent reading of the same file.
func TestRealStaticBinaries(t *testing.T) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed; real-binary test needs it")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "hello.c")
	prog := "#include <stdio.h>\nint counter = 7; char buf[100000];\nint main(int c, char **v) { buf[c] = 1; printf(\"hello %d\\n\", counter); return 0; }\n"
	if err := os.WriteFile(src, []byte(prog), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		flags []string
		typ   elf.Type
	}{
		{"static", []string{"-static", "-no-pie"}, elf.ET_EXEC},
		{"static-pie", []string{"-static-pie", "-fPIE"}, elf.ET_DYN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name)
			cmd := exec.Command(gcc, append(tc.flags, "-O2", "-o", out, src)...)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("gcc %v: %v\n%s", tc.flags, err, b)
			}
			file, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			ef, err := elf.NewFile(bytes.NewReader(file))
			if err != nil {
				t.Fatal(err)
			}
			if ef.Type != tc.typ {
				t.Fatalf("gcc built %v, want %v", ef.Type, tc.typ)
			}
			m := newFakeMem()
			args := testArgs(file)
			res, err := Load(m, args)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var bias uint64
			var firstLoad, end uint64 = ^uint64(0), 0
			for _, p := range ef.Progs {
				if p.Type == elf.PT_LOAD {
					firstLoad = min(firstLoad, p.Vaddr)
					end = max(end, p.Vaddr+p.Memsz)
				}
			}
			if tc.typ == elf.ET_DYN {
				bias = testPIEBase - usermem.PageRoundDown(firstLoad)
			}
			if res.Entry != ef.Entry+bias {
				t.Errorf("entry = %#x, want %#x", res.Entry, ef.Entry+bias)
			}
			wantBrk, _ := usermem.PageRoundUp(end + bias)
			if res.BrkBase != wantBrk {
				t.Errorf("brk = %#x, want %#x", res.BrkBase, wantBrk)
			}
			// AT_PHDR: the program headers as the file has them.
			phoff := binary.LittleEndian.Uint64(file[32:])
			phdrs, err := m.peek(res.Phdr, len(ef.Progs)*linux.Elf64_PhdrSize)
			if err != nil || !bytes.Equal(phdrs, file[phoff:phoff+uint64(len(phdrs))]) {
				t.Errorf("AT_PHDR %#x does not hold the program headers (%v)", res.Phdr, err)
			}
			for i, p := range ef.Progs {
				if p.Type != elf.PT_LOAD {
					continue
				}
				got, err := m.peek(p.Vaddr+bias, int(p.Memsz))
				if err != nil {
					t.Fatalf("segment %d not mapped: %v", i, err)
				}
				want := make([]byte, p.Memsz)
				copy(want, file[p.Off:p.Off+p.Filesz])
				if !bytes.Equal(got, want) {
					t.Errorf("segment %d contents differ from the file (+ zero bss)", i)
				}
				page := m.pages[usermem.PageRoundDown(p.Vaddr+bias)]
				wantProt := platform.Prot{Read: p.Flags&elf.PF_R != 0, Write: p.Flags&elf.PF_W != 0, Execute: p.Flags&elf.PF_X != 0}
				if page.prot != wantProt {
					t.Errorf("segment %d prot %+v, want %+v", i, page.prot, wantProt)
				}
			}
			checkStack(t, m, res, args, args.Argv, map[uint64]uint64{linux.AT_PHNUM: uint64(len(ef.Progs))})
		})
	}
}

func FuzzParseELF(f *testing.F) {
	f.Add(testImage(linux.ET_EXEC, 0x400000).bytes())
	f.Add(testImage(linux.ET_DYN, 0).bytes())
	f.Add([]byte("\x7fELF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := parseELF(bytes.NewReader(data))
		if err != nil && !errors.Is(err, linux.ENOEXEC) {
			t.Errorf("parseELF error %v does not wrap ENOEXEC", err)
		}
	})
}

func FuzzLoad(f *testing.F) {
	f.Add(testImage(linux.ET_EXEC, 0x400000).bytes())
	f.Add(testImage(linux.ET_DYN, 0).bytes())
	f.Add(withInterp(testImage(linux.ET_EXEC, 0x400000), []byte(testInterpPath+"\x00")).bytes())
	f.Add(withInterp(testImage(linux.ET_DYN, 0), []byte(testInterpPath+"\x00")).bytes())
	interp := interpImage().bytes()
	f.Fuzz(func(t *testing.T, data []byte) {
		m := newFakeMem()
		m.maxPages = 1 << 12
		args := testArgs(data)
		args.StackSize = 256 << 10
		// Every interpreter path opens either the fuzzed file itself
		// (malformed interpreters) or a valid interpreter.
		args.OpenInterp = func(path string) (io.ReaderAt, error) {
			if strings.HasPrefix(path, "/self") {
				return bytes.NewReader(data), nil
			}
			return bytes.NewReader(interp), nil
		}
		res, err := Load(m, args)
		if err != nil {
			var errno linux.Errno
			if !errors.As(err, &errno) {
				t.Errorf("Load error %v wraps no errno", err)
			}
			return
		}
		if res.StackPointer%16 != 0 {
			t.Errorf("rsp %#x misaligned", res.StackPointer)
		}
	})
}
