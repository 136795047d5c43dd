package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func parse(args []string) (*Config, error) {
	fs := flag.NewFlagSet("runsc", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    func(c *Config) // edits Default() into the expected config
		wantErr string
	}{
		{name: "defaults", args: nil, want: func(*Config) {}},
		{name: "platform ptrace", args: []string{"--platform=ptrace"}, want: func(*Config) {}},
		{name: "platform unknown", args: []string{"--platform=kvm"}, wantErr: `unknown platform "kvm" (valid: ptrace)`},
		{name: "platform empty", args: []string{"--platform="}, wantErr: "unknown platform"},
		{name: "debug", args: []string{"--debug", "--debug-log=/tmp/x/"}, want: func(c *Config) {
			c.Debug = true
			c.DebugLog = "/tmp/x/"
		}},
		{name: "strace all", args: []string{"--strace"}, want: func(c *Config) { c.Strace = true }},
		{name: "strace list", args: []string{"--strace", "--strace-syscalls=read, write,openat"}, want: func(c *Config) {
			c.Strace = true
			c.StraceSyscalls = []string{"read", "write", "openat"}
		}},
		{name: "strace list empty", args: []string{"--strace-syscalls="}, want: func(*Config) {}},
		{name: "strace list hole", args: []string{"--strace-syscalls=read,,write"}, wantErr: "empty system call name"},
		{name: "strace list bad name", args: []string{"--strace-syscalls=Read!"}, wantErr: "not a system call name"},
		{name: "rootless", args: []string{"--rootless"}, want: func(c *Config) { c.Rootless = true }},
		{name: "network host", args: []string{"--network=host"}, want: func(c *Config) { c.Network = NetworkHost }},
		{name: "network none", args: []string{"--network", "none"}, want: func(*Config) {}},
		{name: "network bad", args: []string{"--network=bridge"}, wantErr: `unknown network "bridge" (valid: none, host)`},
		{name: "root", args: []string{"--root=/run/r"}, want: func(c *Config) { c.RootDir = "/run/r" }},
		{name: "root relative made absolute", args: []string{"--root=state"}, want: func(c *Config) {
			wd, _ := os.Getwd()
			c.RootDir = filepath.Join(wd, "state")
		}},
		{name: "root empty", args: []string{"--root="}, wantErr: "invalid root: empty path"},
		{name: "overlay2 none", args: []string{"--overlay2=none"}, want: func(c *Config) { c.Overlay2 = "none" }},
		{name: "overlay2 root memory", args: []string{"--overlay2=root:memory"}, want: func(c *Config) { c.Overlay2 = "root:memory" }},
		{name: "overlay2 all dir", args: []string{"--overlay2=all:dir=/var/tmp"}, want: func(c *Config) { c.Overlay2 = "all:dir=/var/tmp" }},
		{name: "overlay2 bad scope", args: []string{"--overlay2=home:memory"}, wantErr: `invalid overlay2 "home:memory": unknown scope "home"`},
		{name: "overlay2 bad medium", args: []string{"--overlay2=root:disk"}, wantErr: `unknown medium "disk"`},
		{name: "overlay2 relative dir", args: []string{"--overlay2=root:dir=tmp"}, wantErr: "dir= needs an absolute path"},
		{name: "overlay2 no colon", args: []string{"--overlay2=root"}, wantErr: "no ':'"},
		{name: "version", args: []string{"--version"}, want: func(c *Config) { c.ShowVersion = true }},
		{name: "unknown flag", args: []string{"--foo"}, wantErr: "flag provided but not defined: -foo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parse(%q) = %v, want error containing %q", tc.args, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse(%q): %v", tc.args, err)
			}
			want := Default()
			tc.want(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("parse(%q) = %+v, want %+v", tc.args, got, want)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	c, err := parse([]string{"--debug", "--strace-syscalls=read,write", "--network=host", "--rootless", "--version"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.ToJSON()
	if err != nil {
		t.Fatal(err)
	}
	got, err := FromJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	want := *c
	want.ShowVersion = false // Not serialized: it concerns only the CLI.
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("round trip = %+v, want %+v", *got, want)
	}
}

func TestFromJSONRejects(t *testing.T) {
	for _, tc := range []struct {
		name, json, wantErr string
	}{
		{"unknown field", `{"platform":"ptrace","network":"none","root_dir":"/r","bogus":1}`, "unknown field"},
		{"bad platform", `{"platform":"kvm","network":"none","root_dir":"/r"}`, "invalid platform"},
		{"bad network", `{"platform":"ptrace","network":"x","root_dir":"/r"}`, "invalid network"},
		{"no root", `{"platform":"ptrace","network":"none"}`, "invalid root"},
		{"not json", `{`, "decode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := FromJSON([]byte(tc.json)); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("FromJSON(%s) = %v, want error containing %q", tc.json, err, tc.wantErr)
			}
		})
	}
}

func TestOpenDebugLogUnset(t *testing.T) {
	f, err := Default().OpenDebugLog(1, "c1", "do")
	if f != nil || err != nil {
		t.Errorf("OpenDebugLog without --debug-log = %v, %v; want nil, nil", f, err)
	}
}

func TestOpenDebugLogFileAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(path, []byte("earlier\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.DebugLog = path
	f, err := c.OpenDebugLog(42, "c1", "do")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("later\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got, _ := os.ReadFile(path); string(got) != "earlier\nlater\n" {
		t.Errorf("log file = %q, want the earlier content kept and the new appended", got)
	}
}

func TestOpenDebugLogDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs") + "/"
	c := Default()
	c.DebugLog = dir
	for i, line := range []string{"first\n", "second\n"} {
		// The second open finds the file of the first and must append.
		f, err := c.OpenDebugLog(42, "c1", "boot")
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		f.WriteString(line)
		f.Close()
	}
	path := filepath.Join(dir, DebugLogName(42, "boot"))
	if got, _ := os.ReadFile(path); string(got) != "first\nsecond\n" {
		t.Errorf("%s = %q, want both lines", path, got)
	}
	if DebugLogName(42, "boot") == DebugLogName(42, "do") || DebugLogName(42, "do") == DebugLogName(43, "do") {
		t.Errorf("DebugLogName does not separate commands and pids")
	}
}

func TestOpenDebugLogDoesNotFollowSymlinkInDirectory(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, DebugLogName(7, "do"))); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.DebugLog = dir + "/"
	if f, err := c.OpenDebugLog(7, "c1", "do"); err == nil {
		f.Close()
		t.Errorf("OpenDebugLog followed a planted symlink")
	}
	if got, _ := os.ReadFile(victim); string(got) != "keep" {
		t.Errorf("victim = %q, want unchanged", got)
	}
}

func TestParseOverlay2(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Overlay2
	}{
		{"none", Overlay2{}},
		{"root:memory", Overlay2{Scope: "root", Medium: OverlayMemory}},
		{"root:self", Overlay2{Scope: "root", Medium: OverlaySelf}},
		{"all:dir=/a/b/", Overlay2{Scope: "all", Medium: OverlayDir, Dir: "/a/b"}},
	} {
		got, err := ParseOverlay2(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseOverlay2(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if tc.want.Enabled() != (tc.in != "none") {
			t.Errorf("%q: Enabled() = %v", tc.in, tc.want.Enabled())
		}
	}
	if got := (Overlay2{Scope: "all", Medium: OverlayDir, Dir: "/x"}).String(); got != "all:dir=/x" {
		t.Errorf("String() = %q", got)
	}
	c := Default()
	if o := c.GetOverlay2(); o.Scope != "root" || o.Medium != OverlaySelf {
		t.Errorf("default overlay2 = %+v", o)
	}
}

func TestOpenDebugLogPlaceholders(t *testing.T) {
	base := t.TempDir()
	c := Default()
	c.DebugLog = filepath.Join(base, "%ID%", "%COMMAND%.log")
	for _, tc := range []struct{ id, command string }{{"c1", "boot"}, {"c1", "create"}, {"c2", "boot"}} {
		f, err := c.OpenDebugLog(1, tc.id, tc.command)
		if err != nil {
			t.Fatalf("OpenDebugLog(%s, %s): %v", tc.id, tc.command, err)
		}
		if want := filepath.Join(base, tc.id, tc.command+".log"); f.Name() != want {
			t.Errorf("OpenDebugLog(%s, %s) opened %s, want %s", tc.id, tc.command, f.Name(), want)
		}
		f.Close()
	}
	// As a directory target: one file per invocation inside it.
	c.DebugLog = filepath.Join(base, "dirs", "%ID%") + "/"
	f, err := c.OpenDebugLog(9, "c3", "boot")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if want := filepath.Join(base, "dirs", "c3", DebugLogName(9, "boot")); f.Name() != want {
		t.Errorf("directory target opened %s, want %s", f.Name(), want)
	}
}
