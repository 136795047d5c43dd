package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDebianImageMirror checks how images/debian.sh picks its mirror from
// an apt configuration: the first enabled "deb" source for the machine's
// release with component main, deb822 files before one-line ones.
func TestDebianImageMirror(t *testing.T) {
	osr, err := os.ReadFile("/etc/os-release")
	if err != nil || !strings.Contains(string(osr), "ID=debian") {
		t.Skip("not a Debian machine: images/debian.sh refuses to run") // reason on the line
	}
	var suite string
	for _, line := range strings.Split(string(osr), "\n") {
		if v, ok := strings.CutPrefix(line, "VERSION_CODENAME="); ok {
			suite = strings.Trim(v, `"`)
		}
	}
	script, err := filepath.Abs("../../images/debian.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"deb822", map[string]string{
			"sources.list.d/a.sources": "Types: deb-src\nURIs: http://src.example/debian\nSuites: " + suite + "\nComponents: main\n\n" +
				"Types: deb\nURIs: http://off.example/debian\nSuites: " + suite + "\nComponents: main\nEnabled: no\n\n" +
				"Types: deb\n# a comment\nURIs: http://other.example/debian\nSuites: other\nComponents: main\n\n" +
				"Types: deb\nURIs: http://contrib.example/debian\nSuites: " + suite + "\nComponents: contrib\n\n" +
				"Types: deb deb-src\nURIs: http://mirror.example/debian http://second.example/debian\nSuites: " + suite + " " + suite + "-updates\nComponents: main contrib\n",
			"sources.list": "deb http://list.example/debian " + suite + " main\n",
		}, "http://mirror.example/debian"},
		{"one-line", map[string]string{
			"sources.list": "# deb http://commented.example/debian " + suite + " main\n" +
				"deb-src http://src.example/debian " + suite + " main\n" +
				"deb http://security.example/debian-security " + suite + "-security main\n" +
				"deb [arch=amd64 signed-by=/k.gpg] http://list.example/debian " + suite + " contrib main\n",
		}, "http://list.example/debian"},
		{"none", map[string]string{
			"sources.list": "deb http://list.example/debian other main\n",
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("bash", script, "--mirror")
			cmd.Env = append(os.Environ(), "BULWARK_APT_DIR="+dir)
			out, err := cmd.Output()
			got := strings.TrimSpace(string(out))
			if tc.want == "" {
				if err == nil {
					t.Errorf("found mirror %q in a configuration without one", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("mirror %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}
