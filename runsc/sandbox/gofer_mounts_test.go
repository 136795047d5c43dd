package sandbox

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOpenBindSource(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: open_tree(OPEN_TREE_CLONE) needs CAP_SYS_ADMIN")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		m        GoferMount
		wantName string
		// wantSame is the host path DirFD (with wantName) must be.
		wantSame string
	}{
		{"directory", GoferMount{Source: dir}, "", dir},
		{"directory, read-only", GoferMount{Source: dir, ReadOnly: true, Recursive: true}, "", dir},
		{"file", GoferMount{Source: filepath.Join(dir, "f")}, "f", filepath.Join(dir, "f")},
		{"file, read-only", GoferMount{Source: filepath.Join(dir, "f"), ReadOnly: true}, "f", filepath.Join(dir, "f")},
		{"symlink to a file", GoferMount{Source: filepath.Join(dir, "link")}, "f", filepath.Join(dir, "f")},
	} {
		br, err := OpenBindSource(tc.m)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got, want unix.Stat_t
		if err := unix.Fstatat(br.DirFD, tc.wantName, &got, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Errorf("%s: fstatat: %v", tc.name, err)
		}
		if err := unix.Stat(tc.wantSame, &want); err != nil {
			t.Fatal(err)
		}
		if br.Name != tc.wantName || got.Ino != want.Ino {
			t.Errorf("%s: name %q ino %d, want %q ino %d", tc.name, br.Name, got.Ino, tc.wantName, want.Ino)
		}
		// The copy is read-only exactly when asked.
		name := tc.wantName
		if name == "" {
			name = "f"
		}
		fd, err := unix.Openat(br.DirFD, name, unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if tc.m.ReadOnly && err != unix.EROFS {
			t.Errorf("%s: open for writing: %v, want EROFS", tc.name, err)
		}
		if !tc.m.ReadOnly && err != nil {
			t.Errorf("%s: open for writing: %v", tc.name, err)
		}
		if err == nil {
			unix.Close(fd)
		}
		unix.Close(br.DirFD)
	}
	for _, src := range []string{filepath.Join(dir, "missing"), "/dev/null"} {
		if br, err := OpenBindSource(GoferMount{Source: src}); err == nil {
			unix.Close(br.DirFD)
			t.Errorf("OpenBindSource(%q) succeeded", src)
		}
	}
}

func TestParseFDs(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want []int
		ok   bool
	}{
		{"", nil, true},
		{"5", []int{5}, true},
		{"5,6,9", []int{5, 6, 9}, true},
		{"1", nil, false},
		{"5,,6", nil, false},
		{"x", nil, false},
	} {
		got, err := ParseFDs(tc.s)
		if (err == nil) != tc.ok || len(got) != len(tc.want) {
			t.Errorf("ParseFDs(%q) = %v, %v", tc.s, got, err)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("ParseFDs(%q) = %v, want %v", tc.s, got, tc.want)
			}
		}
		if tc.ok && FormatFDs(got) != tc.s {
			t.Errorf("FormatFDs(%v) = %q, want %q", got, FormatFDs(got), tc.s)
		}
	}
}
