#!/usr/bin/env bash
# Runs one syscall test program for Bazel (test/syscalls/defs.bzl): "$@" is the program, or
# runsc and its arguments ending in the program. As in the Go runner, stdin is /dev/null and
# stdout and stderr share one pipe; the test passes iff the command exits 0.
set -u
"$@" </dev/null 2>&1 | cat
status=${PIPESTATUS[0]}
if [[ $status != 0 ]]; then
	echo "run_test: $* exited with status $status" >&2
fi
exit "$status"
