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
// path. Under `bazel test`, which cannot run the go tool, it returns the
// //runsc that the test's BUILD.bazel gives it as data, named by
// $BAZEL_RUNSC relative to the runfiles root.
func BuildRunsc(dir string) (string, error) {
	if p := os.Getenv("BAZEL_RUNSC"); p != "" {
		return filepath.Join(os.Getenv("TEST_SRCDIR"), os.Getenv("TEST_WORKSPACE"), p), nil
	}
	dst := filepath.Join(dir, "runsc")
	cmd := exec.Command(GoTool(), "build", "-o", dst, "bulwark.dev/bulwark/runsc")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build runsc: %v\n%s", err, out)
	}
	return dst, nil
}

// sandboxVisibleTmp is where SandboxVisibleTempDir makes directories: not
// under /tmp, which `runsc do` covers with a fresh tmpfs.
const sandboxVisibleTmp = "/var/tmp"

// SandboxVisibleTempDir makes a new directory for programs that tests run
// with `runsc do`. `runsc do` shows the host's root read-only but mounts
// an empty tmpfs on /tmp, so files under /tmp (where os.MkdirTemp and
// t.TempDir put them) are not visible in the sandbox. The caller removes
// the directory.
func SandboxVisibleTempDir(prefix string) (string, error) {
	if err := os.MkdirAll(sandboxVisibleTmp, 0o1777); err != nil {
		return "", err
	}
	return os.MkdirTemp(sandboxVisibleTmp, prefix)
}
