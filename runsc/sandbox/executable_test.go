package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// elfHeader is enough of an ELF file for the magic check.
var elfHeader = append(append([]byte{}, elfMagic...), 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0)

func writeFile(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode is filtered by the umask; set it exactly.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestOpenExecutable(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	writeFile(t, filepath.Join(a, "prog"), elfHeader, 0o755)
	writeFile(t, filepath.Join(a, "text"), []byte("hello\n"), 0o755)
	writeFile(t, filepath.Join(a, "script"), []byte("#!/bin/sh\n"), 0o755)
	writeFile(t, filepath.Join(a, "short"), []byte{0x7f, 'E'}, 0o755)
	writeFile(t, filepath.Join(a, "noexec"), elfHeader, 0o644)
	writeFile(t, filepath.Join(a, "both"), elfHeader, 0o644) // not executable here...
	writeFile(t, filepath.Join(b, "both"), elfHeader, 0o755) // ...but here.
	writeFile(t, filepath.Join(c, "cwdprog"), elfHeader, 0o755)
	if err := os.Mkdir(filepath.Join(a, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(c)
	path := a + ":" + b

	for _, tc := range []struct {
		name, prog, path string
		wantPath         string
		wantErr          error
		wantCode         int
		wantNotInPath    bool
	}{
		{name: "absolute ELF", prog: filepath.Join(a, "prog"), wantPath: filepath.Join(a, "prog")},
		{name: "relative with slash", prog: "./cwdprog", path: a, wantPath: "./cwdprog"},
		{name: "missing", prog: filepath.Join(a, "nope"), wantErr: unix.ENOENT, wantCode: ExitNotFound},
		{name: "missing directory", prog: filepath.Join(a, "prog", "x"), wantErr: unix.ENOTDIR, wantCode: ExitNotFound},
		{name: "not ELF", prog: filepath.Join(a, "text"), wantErr: unix.ENOEXEC, wantCode: ExitCannotExecute},
		{name: "script (its interpreter runs it)", prog: filepath.Join(a, "script"), wantPath: filepath.Join(a, "script")},
		{name: "shorter than magic", prog: filepath.Join(a, "short"), wantErr: unix.ENOEXEC, wantCode: ExitCannotExecute},
		{name: "no execute bit", prog: filepath.Join(a, "noexec"), wantErr: unix.EACCES, wantCode: ExitCannotExecute},
		{name: "directory", prog: filepath.Join(a, "dir"), wantErr: unix.EACCES, wantCode: ExitCannotExecute},
		{name: "empty name", prog: "", wantErr: unix.ENOENT, wantCode: ExitNotFound},
		{name: "PATH first dir", prog: "prog", path: path, wantPath: filepath.Join(a, "prog")},
		{name: "PATH skips non-executable", prog: "both", path: path, wantPath: filepath.Join(b, "both")},
		{name: "PATH only non-executable", prog: "noexec", path: path, wantErr: unix.EACCES, wantCode: ExitCannotExecute},
		{name: "PATH only non-ELF", prog: "text", path: path, wantErr: unix.ENOEXEC, wantCode: ExitCannotExecute},
		{name: "PATH miss", prog: "nope", path: path, wantErr: unix.ENOENT, wantCode: ExitNotFound, wantNotInPath: true},
		{name: "PATH empty", prog: "prog", path: "", wantErr: unix.ENOENT, wantCode: ExitNotFound, wantNotInPath: true},
		{name: "PATH empty entry is cwd", prog: "cwdprog", path: a + "::" + b, wantPath: "./cwdprog"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gotPath, f, err := OpenExecutable(tc.prog, tc.path)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("OpenExecutable(%q, %q): %v", tc.prog, tc.path, err)
				}
				defer f.Close()
				if gotPath != tc.wantPath {
					t.Errorf("path = %q, want %q", gotPath, tc.wantPath)
				}
				flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
				if err != nil || flags&unix.FD_CLOEXEC == 0 {
					t.Errorf("executable FD flags = %#x, %v; want FD_CLOEXEC", flags, err)
				}
				return
			}
			if err == nil {
				f.Close()
				t.Fatalf("OpenExecutable(%q, %q) = %q, want %v", tc.prog, tc.path, gotPath, tc.wantErr)
			}
			var ee *ExecError
			if !errors.As(err, &ee) {
				t.Fatalf("error %v is %T, want *ExecError", err, err)
			}
			if !errors.Is(err, tc.wantErr) || ee.Code != tc.wantCode || ee.NotInPath != tc.wantNotInPath {
				t.Errorf("error = %v (code %d, not in path %v), want %v (code %d, not in path %v)",
					err, ee.Code, ee.NotInPath, tc.wantErr, tc.wantCode, tc.wantNotInPath)
			}
		})
	}
}

func TestMayExecute(t *testing.T) {
	const uid, gid = 1000, 100
	notMember := func(uint32) bool { return false }
	member := func(g uint32) bool { return g == gid }
	for _, tc := range []struct {
		name       string
		mode       uint32
		euid, egid int
		member     func(uint32) bool
		want       bool
	}{
		{"root any bit", 0o001, 0, 0, notMember, true},
		{"root no bit", 0o644, 0, 0, notMember, false},
		{"owner x", 0o700, uid, 5, notMember, true},
		{"owner without x despite other x", 0o611, uid, gid, member, false},
		{"group x", 0o070, 2000, gid, notMember, true},
		{"supplementary group x", 0o070, 2000, 5, member, true},
		{"group without x despite other x", 0o601, 2000, gid, notMember, false},
		{"other x", 0o001, 2000, 5, notMember, true},
		{"other no x", 0o770, 2000, 5, notMember, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mayExecute(tc.mode, uid, gid, tc.euid, tc.egid, tc.member); got != tc.want {
				t.Errorf("mayExecute(%#o, euid %d, egid %d) = %v, want %v", tc.mode, tc.euid, tc.egid, got, tc.want)
			}
		})
	}
}
