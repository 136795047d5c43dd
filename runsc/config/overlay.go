package config

import (
	"fmt"
	"path/filepath"
	"strings"
)

// DefaultOverlay2 is the --overlay2 default: the root is overlaid, with
// the upper layer's file data in a filestore inside the root itself.
const DefaultOverlay2 = "root:self"

// Overlay2 mediums: where the upper layer's file data lives.
const (
	// OverlayMemory keeps it in the sentry's memory file.
	OverlayMemory = "memory"
	// OverlaySelf keeps it in a filestore host file inside the root.
	OverlaySelf = "self"
	// OverlayDir keeps it in a filestore host file under Overlay2.Dir.
	OverlayDir = "dir"
)

// Overlay2 is a parsed --overlay2 value: none, or {root|all}:{memory|
// self|dir=PATH}.
type Overlay2 struct {
	// Scope is "root" (the root only) or "all" (every gofer-backed
	// mount); "" is none (no overlay: writes reach the host).
	Scope string
	// Medium is OverlayMemory, OverlaySelf or OverlayDir.
	Medium string
	// Dir is the absolute host directory of OverlayDir.
	Dir string
}

// Enabled reports whether the root is overlaid.
func (o Overlay2) Enabled() bool { return o.Scope != "" }

// String renders o as the flag value.
func (o Overlay2) String() string {
	if !o.Enabled() {
		return "none"
	}
	if o.Medium == OverlayDir {
		return o.Scope + ":dir=" + o.Dir
	}
	return o.Scope + ":" + o.Medium
}

// ParseOverlay2 parses an --overlay2 value.
func ParseOverlay2(s string) (Overlay2, error) {
	bad := func(why string) (Overlay2, error) {
		return Overlay2{}, fmt.Errorf("invalid overlay2 %q: %s (want none or {root|all}:{memory|self|dir=PATH})", s, why)
	}
	if s == "none" {
		return Overlay2{}, nil
	}
	scope, medium, ok := strings.Cut(s, ":")
	if !ok {
		return bad("no ':'")
	}
	if scope != "root" && scope != "all" {
		return bad(fmt.Sprintf("unknown scope %q", scope))
	}
	o := Overlay2{Scope: scope, Medium: medium}
	switch {
	case medium == OverlayMemory, medium == OverlaySelf:
	case strings.HasPrefix(medium, OverlayDir+"="):
		o.Medium, o.Dir = OverlayDir, strings.TrimPrefix(medium, OverlayDir+"=")
		if o.Dir == "" || !filepath.IsAbs(o.Dir) {
			return bad("dir= needs an absolute path")
		}
		if strings.IndexByte(o.Dir, 0) >= 0 {
			return bad("path contains a NUL byte")
		}
		o.Dir = filepath.Clean(o.Dir)
	default:
		return bad(fmt.Sprintf("unknown medium %q", medium))
	}
	return o, nil
}

// overlayValue is the flag.Value of --overlay2: it checks the value when
// the flag is parsed.
type overlayValue struct{ p *string }

func (v *overlayValue) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return *v.p
}

func (v *overlayValue) Set(s string) error {
	if _, err := ParseOverlay2(s); err != nil {
		return err
	}
	*v.p = s
	return nil
}

// GetOverlay2 returns the parsed --overlay2 value (Validate has checked
// it; an invalid one reads as the default).
func (c *Config) GetOverlay2() Overlay2 {
	o, err := ParseOverlay2(c.Overlay2)
	if err != nil {
		o, _ = ParseOverlay2(DefaultOverlay2)
	}
	return o
}
