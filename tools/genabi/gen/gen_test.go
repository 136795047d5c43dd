package gen

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseDefines(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		isSys   bool
		want    []Entry
		wantErr bool
	}{
		{
			name: "errno with alias and comments",
			src:  "#ifndef X\n#define\tEPERM\t\t 1\t/* Operation not permitted */\n#define EWOULDBLOCK EAGAIN\n#define EAGAIN 11\n",
			want: []Entry{{"EPERM", 1}, {"EAGAIN", 11}},
		},
		{
			name:  "syscalls",
			src:   "#define __NR_read 0\n#define __NR_pread64 17\n#define _ASM_UNISTD_64_H\n",
			isSys: true,
			want:  []Entry{{"read", 0}, {"pread64", 17}},
		},
		{
			name:    "bad value",
			src:     "#define EPERM 0x1z\n",
			wantErr: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			re := errnoRE
			if tc.isSys {
				re = sysnoRE
			}
			got, err := parseDefines(strings.NewReader(tc.src), re, "test")
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMergeSyscalls(t *testing.T) {
	hdr := []Entry{{"read", 0}, {"write", 1}}
	tests := []struct {
		name    string
		extra   []Entry
		want    []Entry
		wantErr bool
	}{
		{"adds new", []Entry{{"mseal", 462}}, []Entry{{"read", 0}, {"write", 1}, {"mseal", 462}}, false},
		{"agreeing duplicate", []Entry{{"write", 1}}, hdr, false},
		{"conflicting duplicate", []Entry{{"write", 2}}, nil, true},
		{"number clash", []Entry{{"other", 1}}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MergeSyscalls(hdr, tc.extra)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSysnoSourceHoles(t *testing.T) {
	src, err := SysnoSource([]Entry{{"read", 0}, {"mseal", 3}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"SYS_MSEAL uintptr = 3", "const NumSyscalls = 4", `SYS_MSEAL: "mseal"`, "DO NOT EDIT."} {
		if !strings.Contains(string(src), want) {
			t.Errorf("generated source lacks %q:\n%s", want, src)
		}
	}
}

func TestCheckDetectsStaleFiles(t *testing.T) {
	if _, err := os.Stat(DefaultHeaders.Unistd64); err != nil {
		t.Skipf("host headers unavailable (%v): install linux-libc-dev", err)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "pkg/abi/linux"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(root, DefaultHeaders); err != nil {
		t.Fatal(err)
	}
	if err := Check(root, DefaultHeaders); err != nil {
		t.Fatalf("Check after Write: %v", err)
	}
	p := filepath.Join(root, SysnoFile)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append(b, "// edited\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	err = Check(root, DefaultHeaders)
	if err == nil || !strings.Contains(err.Error(), SysnoFile) {
		t.Errorf("Check after edit = %v, want an error naming %s", err, SysnoFile)
	}
}
