#!/usr/bin/env bash
# Runs one syscall test program for Bazel (test/syscalls/defs.bzl): "$@" is the program, or
# runsc and its arguments ending in the program. As in the Go runner, stdin is /dev/null and
# stdout and stderr share one pipe; the test passes iff the command exits 0.
#
# With --root-tmpdir first, the program's harness_tmpdir() directories go in a fresh host
# directory under /var/tmp ($HARNESS_TMPDIR, mode 1777 like /tmp), which the sandbox sees in its
# root; it must be empty after the run and is removed.
set -u
root_tmpdir=
if [[ ${1:-} == --root-tmpdir ]]; then
	shift
	root_tmpdir=$(mktemp -d /var/tmp/bulwark-syscalls-root-XXXXXX) || exit 1
	trap 'rm -rf "$root_tmpdir"' EXIT
	chmod 1777 "$root_tmpdir" || exit 1
	export HARNESS_TMPDIR=$root_tmpdir
fi
"$@" </dev/null 2>&1 | cat
status=${PIPESTATUS[0]}
if [[ $status != 0 ]]; then
	echo "run_test: $* exited with status $status" >&2
fi
if [[ -n $root_tmpdir && -n $(ls -A "$root_tmpdir") ]]; then
	echo "run_test: HARNESS_TMPDIR=$root_tmpdir is not empty after the run" >&2
	[[ $status != 0 ]] || status=1
fi
exit "$status"
