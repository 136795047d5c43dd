// Package config owns runsc's global flags: it declares each of them once,
// validates their values, and serializes the result so that child processes
// (the sandbox, later the gofer) receive the same configuration as JSON over
// an inherited FD instead of re-parsing a command line.
//
// It must not start processes or touch namespaces; apart from opening the
// --debug-log target on request, it does no I/O.
package config

import (
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
)

// Platform names accepted by --platform.
const (
	PlatformPtrace = "ptrace"
)

// ValidPlatforms lists the --platform values this build supports.
var ValidPlatforms = []string{PlatformPtrace}

// Network modes accepted by --network.
const (
	// NetworkNone gives the sandbox an empty network namespace.
	NetworkNone = "none"
	// NetworkHost leaves the sandbox in the host's network namespace.
	NetworkHost = "host"
)

// ValidNetworks lists the --network values.
var ValidNetworks = []string{NetworkNone, NetworkHost}

// DefaultRootDir is the default --root state directory.
const DefaultRootDir = "/var/run/runsc"

// Config is the runtime configuration given by the global flags. The zero
// value is not valid; use RegisterFlags or Default.
type Config struct {
	// Platform is the --platform value, one of ValidPlatforms.
	Platform string `json:"platform"`
	// Debug turns on debug log lines.
	Debug bool `json:"debug"`
	// DebugLog is the --debug-log target: a file, or a directory when it
	// ends in "/". Empty means stderr.
	DebugLog string `json:"debug_log,omitempty"`
	// Strace turns on system call tracing; StraceSyscalls limits it to the
	// named system calls (empty: all).
	Strace         bool     `json:"strace"`
	StraceSyscalls []string `json:"strace_syscalls,omitempty"`
	// Rootless runs the sandbox in a user namespace that maps the caller
	// to root, even when the caller is root.
	Rootless bool `json:"rootless"`
	// Network is the --network value, one of ValidNetworks.
	Network string `json:"network"`
	// RootDir is the --root state directory, made absolute.
	RootDir string `json:"root_dir"`
	// Overlay2 is the --overlay2 value (see ParseOverlay2 and
	// GetOverlay2).
	Overlay2 string `json:"overlay2"`
	// Log and LogFormat are runc's --log and --log-format, which
	// container engines (podman's conmon) pass to every runtime call.
	// The CLI appends each error line it prints to stderr to the Log file
	// as a record in LogFormat (runsc/cmd/runtimelog.go).
	Log       string `json:"log,omitempty"`
	LogFormat string `json:"log_format,omitempty"`

	// ShowVersion is --version. It only concerns the CLI invocation and is
	// not serialized.
	ShowVersion bool `json:"-"`
}

// Default returns the configuration that an empty command line gives.
func Default() *Config {
	return &Config{
		Platform: PlatformPtrace,
		Network:  NetworkNone,
		RootDir:  DefaultRootDir,
		Overlay2: DefaultOverlay2,
	}
}

// RegisterFlags declares every global flag on fs and returns the Config they
// fill in as fs is parsed. Call Validate after parsing.
func RegisterFlags(fs *flag.FlagSet) *Config {
	c := Default()
	fs.Var(&choiceValue{p: &c.Platform, what: "platform", valid: ValidPlatforms}, "platform",
		"platform that runs application code: "+strings.Join(ValidPlatforms, ", "))
	fs.BoolVar(&c.Debug, "debug", false, "enable debug logging")
	fs.StringVar(&c.DebugLog, "debug-log", "",
		"additional location for logs: a file (appended to), or a directory ending in '/' that gets one file per command")
	fs.BoolVar(&c.Strace, "strace", false, "enable strace of the application's system calls")
	fs.Var((*listValue)(&c.StraceSyscalls), "strace-syscalls",
		"comma-separated list of system calls to trace; --strace traces all when empty")
	fs.BoolVar(&c.Rootless, "rootless", false,
		"run the sandbox in a user namespace mapping the caller to root (implied when not root)")
	fs.Var(&choiceValue{p: &c.Network, what: "network", valid: ValidNetworks}, "network",
		"networking mode: none (empty network namespace) or host")
	fs.StringVar(&c.RootDir, "root", DefaultRootDir, "root directory for storage of container state")
	fs.Var(&overlayValue{p: &c.Overlay2}, "overlay2",
		"overlay of the container's root: none (writes reach the host) or {root|all}:{memory|self|dir=PATH}, where the upper layer's data lives")
	fs.StringVar(&c.Log, "log", "", "runtime log file, as runc's: each error line as a record (and with --debug each command), appended")
	fs.Var(&choiceValue{p: &c.LogFormat, what: "log-format", valid: ValidLogFormats}, "log-format",
		"format of --log records: text (logfmt) or json")
	fs.BoolVar(&c.ShowVersion, "version", false, "print runsc's version and exit")
	return c
}

// Validate checks the values together and normalizes them (RootDir is made
// absolute). Values that a single flag can check are already checked when
// the flag is parsed; Validate repeats those checks so that a configuration
// decoded from JSON gets them too.
func (c *Config) Validate() error {
	if !contains(ValidPlatforms, c.Platform) {
		return fmt.Errorf("invalid platform %q (valid: %s)", c.Platform, strings.Join(ValidPlatforms, ", "))
	}
	if !contains(ValidNetworks, c.Network) {
		return fmt.Errorf("invalid network %q (valid: %s)", c.Network, strings.Join(ValidNetworks, ", "))
	}
	if err := checkPath("root", c.RootDir); err != nil {
		return err
	}
	abs, err := filepath.Abs(c.RootDir)
	if err != nil {
		return fmt.Errorf("invalid root %q: %w", c.RootDir, err)
	}
	c.RootDir = abs
	if c.DebugLog != "" {
		if err := checkPath("debug-log", c.DebugLog); err != nil {
			return err
		}
	}
	for _, name := range c.StraceSyscalls {
		if err := checkSyscallName(name); err != nil {
			return err
		}
	}
	if _, err := ParseOverlay2(c.Overlay2); err != nil {
		return err
	}
	if c.LogFormat != "" && !contains(ValidLogFormats, c.LogFormat) {
		return fmt.Errorf("invalid log-format %q (valid: %s)", c.LogFormat, strings.Join(ValidLogFormats, ", "))
	}
	return nil
}

// ValidLogFormats are the values --log-format accepts.
var ValidLogFormats = []string{"text", "json"}

// ToJSON serializes the configuration for a child process.
func (c *Config) ToJSON() ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("config: encode: %w", err)
	}
	return b, nil
}

// FromJSON decodes a configuration written by ToJSON and validates it.
// Unknown fields are rejected: parent and child are the same binary, so a
// mismatch is a bug, not a version skew to tolerate.
func FromJSON(b []byte) (*Config, error) {
	c := &Config{}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("config: decode: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func checkPath(flagName, p string) error {
	if p == "" {
		return fmt.Errorf("invalid %s: empty path", flagName)
	}
	if strings.IndexByte(p, 0) >= 0 {
		return fmt.Errorf("invalid %s %q: path contains a NUL byte", flagName, p)
	}
	return nil
}

func checkSyscallName(name string) error {
	if name == "" {
		return fmt.Errorf("invalid strace-syscalls: empty system call name")
	}
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return fmt.Errorf("invalid strace-syscalls: %q is not a system call name", name)
		}
	}
	return nil
}

// choiceValue is a flag.Value that accepts one of a fixed set of strings.
type choiceValue struct {
	p     *string
	what  string
	valid []string
}

func (v *choiceValue) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return *v.p
}

func (v *choiceValue) Set(s string) error {
	if !contains(v.valid, s) {
		return fmt.Errorf("unknown %s %q (valid: %s)", v.what, s, strings.Join(v.valid, ", "))
	}
	*v.p = s
	return nil
}

// listValue is a flag.Value holding a comma-separated list. An empty
// string gives an empty list.
type listValue []string

func (v *listValue) String() string {
	if v == nil {
		return ""
	}
	return strings.Join(*v, ",")
}

func (v *listValue) Set(s string) error {
	if s == "" {
		*v = nil
		return nil
	}
	parts := strings.Split(s, ",")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return fmt.Errorf("empty system call name in list")
		}
		if err := checkSyscallName(p); err != nil {
			return fmt.Errorf("%q is not a system call name", p)
		}
		out = append(out, p)
	}
	*v = out
	return nil
}
