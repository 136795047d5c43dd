package loader

import (
	"bytes"
	"debug/elf"
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

const testInterpPath = "/lib/ld.so"

// withInterp adds a PT_INTERP header naming path (raw bytes, NUL
// included by the caller) to im.
func withInterp(im *image, path []byte) *image {
	const off = 0x1100 // between testImage's chunks
	im.chunks[off] = path
	im.phdrs = append([]linux.Elf64_Phdr{{Type: linux.PT_INTERP, Flags: linux.PF_R, Off: off, Vaddr: im.phdrs[0].Vaddr + off, Filesz: uint64(len(path)), Memsz: uint64(len(path))}}, im.phdrs...)
	return im
}

// interpImage is a small position-independent interpreter: testImage's
// layout with different contents, so its pages can be told apart.
func interpImage() *image {
	im := testImage(linux.ET_DYN, 0)
	im.hdr.Entry = 0x180
	im.chunks[0x100] = pattern(0xf00, 0x77)
	return im
}

// openFiles returns an OpenInterp that serves files and fails with ENOENT
// for other paths, recording what was asked for.
func openFiles(files map[string][]byte, asked *[]string) func(string) (io.ReaderAt, error) {
	return func(path string) (io.ReaderAt, error) {
		*asked = append(*asked, path)
		b, ok := files[path]
		if !ok {
			return nil, linux.ENOENT
		}
		return bytes.NewReader(b), nil
	}
}

func TestInterpLoaded(t *testing.T) {
	interp := interpImage().bytes()
	// testImage's span is 0x5000 bytes; the interpreter goes right below
	// the mmap base.
	const interpBase = testMmapBase - 0x5000
	for _, tc := range []struct {
		name string
		typ  uint16
		base uint64
		at   uint64 // where the program lands
		path []byte
	}{
		{"ET_EXEC program", linux.ET_EXEC, 0x400000, 0x400000, []byte(testInterpPath + "\x00")},
		{"PIE program", linux.ET_DYN, 0, testPIEBase, []byte(testInterpPath + "\x00")},
		{"path ends at the first NUL", linux.ET_EXEC, 0x400000, 0x400000, []byte(testInterpPath + "\x00junk\x00")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exe := withInterp(testImage(tc.typ, tc.base), tc.path).bytes()
			m := newFakeMem()
			args := testArgs(exe)
			var asked []string
			args.OpenInterp = openFiles(map[string][]byte{testInterpPath: interp}, &asked)
			res, err := Load(m, args)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(asked) != 1 || asked[0] != testInterpPath {
				t.Errorf("opened %q, want [%q]", asked, testInterpPath)
			}
			if res.InterpBase != interpBase {
				t.Errorf("AT_BASE = %#x, want %#x", res.InterpBase, uint64(interpBase))
			}
			if res.Entry != interpBase+0x180 {
				t.Errorf("entry = %#x, want the interpreter's %#x", res.Entry, uint64(interpBase+0x180))
			}
			if res.ExeEntry != tc.at+0x100 {
				t.Errorf("AT_ENTRY = %#x, want the program's %#x", res.ExeEntry, tc.at+0x100)
			}
			if want := tc.at + 0x5000; res.BrkBase != want {
				t.Errorf("brk = %#x, want %#x after the program", res.BrkBase, want)
			}
			got, _ := m.peek(interpBase, 0x1000)
			if !bytes.Equal(got, interp[:0x1000]) {
				t.Errorf("interpreter text differs from its file")
			}
			got, _ = m.peek(tc.at, 0x1000)
			if !bytes.Equal(got, exe[:0x1000]) {
				t.Errorf("program text differs from its file")
			}
			if p := m.pages[interpBase]; p == nil || p.prot != (platform.Prot{Read: true, Execute: true}) {
				t.Errorf("interpreter text page: %+v", p)
			}
			// The hole between the interpreter's segments is not mapped
			// (the reservation was given back).
			if m.pages[interpBase+0x1000] != nil {
				t.Errorf("hole in the interpreter image is mapped")
			}
			checkStack(t, m, res, args, args.Argv, map[uint64]uint64{linux.AT_PHNUM: 4, linux.AT_BASE: interpBase})
		})
	}
}

func TestInterpFixedAddress(t *testing.T) {
	interp := testImage(linux.ET_EXEC, 0x7000_0000).bytes()
	exe := withInterp(testImage(linux.ET_EXEC, 0x400000), []byte(testInterpPath+"\x00")).bytes()
	m := newFakeMem()
	args := testArgs(exe)
	var asked []string
	args.OpenInterp = openFiles(map[string][]byte{testInterpPath: interp}, &asked)
	res, err := Load(m, args)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if res.InterpBase != 0 || res.Entry != 0x7000_0100 {
		t.Errorf("AT_BASE %#x entry %#x, want 0 and %#x", res.InterpBase, res.Entry, 0x7000_0100)
	}
	if got, _ := m.peek(0x7000_0000, 0x1000); !bytes.Equal(got, interp[:0x1000]) {
		t.Errorf("interpreter text differs from its file")
	}
}

func TestInterpErrors(t *testing.T) {
	good := func() []byte { return interpImage().bytes() }
	prog := func(path string) []byte {
		return withInterp(testImage(linux.ET_EXEC, 0x400000), []byte(path)).bytes()
	}
	for _, tc := range []struct {
		name    string
		exe     []byte
		interp  []byte // served at testInterpPath; nil: none
		noOpen  bool   // Args.OpenInterp is nil
		wantErr linux.Errno
		substr  string
	}{
		{"missing interpreter", prog("/lib/missing.so\x00"), good(), false, linux.ENOENT, "missing.so"},
		{"no opener", prog(testInterpPath + "\x00"), good(), true, linux.ENOEXEC, "no way to open"},
		{"not NUL-terminated", prog(testInterpPath), good(), false, linux.ENOEXEC, "NUL"},
		{"one byte", prog("\x00"), good(), false, linux.ENOEXEC, "interpreter path of 1 bytes"},
		{"longer than PATH_MAX", prog(strings.Repeat("a", linux.PATH_MAX) + "\x00"), good(), false, linux.ENOEXEC, "interpreter path of"},
		{"interpreter is not ELF", prog(testInterpPath + "\x00"), append([]byte("#!/bin/sh\n"), make([]byte, 100)...), false, linux.ELIBBAD, "not an ELF"},
		{"interpreter is i386", prog(testInterpPath + "\x00"), func() []byte { im := interpImage(); im.hdr.Machine = 3; return im.bytes() }(), false, linux.ELIBBAD, "machine"},
		{"nested interpreter", prog(testInterpPath + "\x00"), withInterp(interpImage(), []byte("/lib/other.so\x00")).bytes(), false, linux.ELIBBAD, "has an interpreter itself"},
		{"interpreter truncated", prog(testInterpPath + "\x00"), good()[:0x1100], false, linux.ENOEXEC, "truncated"},
		{"fixed interpreter over the program", prog(testInterpPath + "\x00"), testImage(linux.ET_EXEC, 0x401000).bytes(), false, linux.ENOMEM, "collide"},
		{"path beyond EOF", func() []byte {
			im := withInterp(testImage(linux.ET_EXEC, 0x400000), []byte(testInterpPath+"\x00"))
			im.phdrs[0].Off = 0x100000
			return im.bytes()
		}(), good(), false, linux.ENOEXEC, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newFakeMem()
			args := testArgs(tc.exe)
			var asked []string
			if !tc.noOpen {
				files := map[string][]byte{}
				if tc.interp != nil {
					files[testInterpPath] = tc.interp
				}
				args.OpenInterp = openFiles(files, &asked)
			}
			_, err := Load(m, args)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.substr) {
				t.Errorf("err = %q, want it to mention %q", err, tc.substr)
			}
		})
	}
}

// TestRealDynamicBinaries loads dynamically linked programs of the host
// with the host's dynamic linker and checks both images against
// debug/elf's reading of the files.
func TestRealDynamicBinaries(t *testing.T) {
	progs := []string{"/usr/bin/ls"}
	if gcc, err := exec.LookPath("gcc"); err == nil {
		dir := t.TempDir()
		src := filepath.Join(dir, "hello.c")
		if err := os.WriteFile(src, []byte("#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "hello")
		if b, err := exec.Command(gcc, "-O2", "-o", out, src).CombinedOutput(); err != nil {
			t.Fatalf("gcc: %v\n%s", err, b)
		}
		progs = append(progs, out)
	}
	for _, path := range progs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			file, err := os.ReadFile(path)
			if err != nil {
				t.Skipf("%s not readable on this host: %v", path, err)
			}
			ef, err := elf.NewFile(bytes.NewReader(file))
			if err != nil {
				t.Fatal(err)
			}
			var interpPath string
			for _, p := range ef.Progs {
				if p.Type == elf.PT_INTERP {
					b := make([]byte, p.Filesz)
					p.ReadAt(b, 0)
					interpPath = string(bytes.TrimRight(b, "\x00"))
				}
			}
			if interpPath == "" {
				t.Skipf("%s is not dynamically linked on this host", path)
			}
			interpFile, err := os.ReadFile(interpPath)
			if err != nil {
				t.Fatalf("read interpreter: %v", err)
			}
			ief, err := elf.NewFile(bytes.NewReader(interpFile))
			if err != nil {
				t.Fatal(err)
			}
			m := newFakeMem()
			m.maxPages = 1 << 20
			args := testArgs(file)
			var asked []string
			args.OpenInterp = openFiles(map[string][]byte{interpPath: interpFile}, &asked)
			res, err := Load(m, args)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if res.Entry != ief.Entry+res.InterpBase {
				t.Errorf("entry = %#x, want the interpreter's %#x", res.Entry, ief.Entry+res.InterpBase)
			}
			bias := uint64(0)
			if ef.Type == elf.ET_DYN {
				bias = testPIEBase
			}
			if res.ExeEntry != ef.Entry+bias {
				t.Errorf("AT_ENTRY = %#x, want %#x", res.ExeEntry, ef.Entry+bias)
			}
			if res.InterpBase%usermem.PageSize != 0 || res.InterpBase == 0 || res.InterpBase >= testMmapBase {
				t.Errorf("AT_BASE = %#x, want a page below the mmap base", res.InterpBase)
			}
			for _, img := range []struct {
				f    *elf.File
				data []byte
				bias uint64
			}{{ef, file, bias}, {ief, interpFile, res.InterpBase}} {
				for i, p := range img.f.Progs {
					if p.Type != elf.PT_LOAD {
						continue
					}
					got, err := m.peek(p.Vaddr+img.bias, int(p.Memsz))
					if err != nil {
						t.Fatalf("segment %d not mapped: %v", i, err)
					}
					want := make([]byte, p.Memsz)
					copy(want, img.data[p.Off:p.Off+p.Filesz])
					if !bytes.Equal(got, want) {
						t.Errorf("segment %d at %#x differs from the file (+ zero bss)", i, p.Vaddr+img.bias)
					}
				}
			}
			checkStack(t, m, res, args, args.Argv, map[uint64]uint64{linux.AT_PHNUM: uint64(len(ef.Progs))})
		})
	}
}
