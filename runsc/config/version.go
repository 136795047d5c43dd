package config

// Version and Commit are printed by `runsc --version`. They are set at build
// time, never at run time:
//
//   - go build: `make build` passes
//     -ldflags "-X bulwark.dev/bulwark/runsc/config.Version=<git describe> -X bulwark.dev/bulwark/runsc/config.Commit=<hash>"
//   - Bazel: //runsc's x_defs take them from tools/bazel/workspace_status.sh in stamped
//     builds (--config=release, as `make release` does).
//
// An unstamped build prints "dev" and no commit line.
var (
	Version = "dev"
	Commit  = ""
)
