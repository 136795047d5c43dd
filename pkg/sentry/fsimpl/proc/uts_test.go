package proc_test

import (
	"testing"

	"bulwark.dev/bulwark/pkg/sentry/fsimpl/proc"
	syscalls "bulwark.dev/bulwark/pkg/sentry/syscalls/linux"
)

// TestUTSMatchesUname checks that /proc shows the system uname(2)
// reports.
func TestUTSMatchesUname(t *testing.T) {
	for _, tc := range []struct{ name, proc, uname string }{
		{"sysname", proc.UTSSysname, syscalls.UTSSysname},
		{"release", proc.UTSRelease, syscalls.UTSRelease},
		{"version", proc.UTSVersion, syscalls.UTSVersion},
	} {
		if tc.proc != tc.uname {
			t.Errorf("%s: /proc shows %q, uname %q", tc.name, tc.proc, tc.uname)
		}
	}
}
