#!/usr/bin/env bash
# `bazel test "$@"` (default: //...), then one plain "bazel: N passed, N failed" line counted
# from Bazel's per-target summary, for readers of CI logs. Exits with Bazel's status.
set -uo pipefail
cd "$(dirname "$0")/../.."
BAZEL=${BAZEL:-bazel}
if [[ $# == 0 ]]; then
	set -- //...
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$BAZEL" test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# Summary lines look like "//pkg:target   (cached) PASSED in 0.4s" or "... FAILED in 3.1s";
# a test that never ran shows NO STATUS, FAILED TO BUILD or TIMEOUT.
passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(PASSED|FLAKY)' "$log")
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|INCOMPLETE)' "$log")
echo "bazel: $passed passed, $failed failed"
exit "$status"
