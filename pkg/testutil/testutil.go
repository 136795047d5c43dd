// Package testutil holds helpers shared by the project's tests: finding the
// go tool and building runsc. It must not be imported by non-test code.
package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// GoTool returns the go command: the one in $PATH, or the toolchain's
// default location (go test does not always put go in $PATH).
func GoTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if out, err := exec.Command("/usr/local/go/bin/go", "env", "GOROOT").Output(); err == nil {
		return filepath.Join(string(out[:len(out)-1]), "bin", "go")
	}
	return "/usr/local/go/bin/go"
}

// BuildRunsc builds runsc from this repository into dir and returns its
// path.
func BuildRunsc(dir string) (string, error) {
	dst := filepath.Join(dir, "runsc")
	cmd := exec.Command(GoTool(), "build", "-o", dst, "bulwark.dev/bulwark/runsc")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build runsc: %v\n%s", err, out)
	}
	return dst, nil
}
