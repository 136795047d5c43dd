#!/usr/bin/env bash
# Runs linux/overlay_test.c's binary on an overlay, for the Go runner and for Bazel:
#
#   run_overlay_test.sh native BINARY
#       lower, upper and work directories on a fresh tmpfs, a real overlayfs (redirect_dir,
#       index and metacopy off) mounted over them; needs root.
#   run_overlay_test.sh sandbox BINARY RUNSC [RUNSC FLAGS...]
#       a host directory under /var/tmp, which the sandbox's root overlay shows as lower
#       files; afterwards the host directory must be unchanged.
#
# Either way the binary's "populate" child mode makes the lower files first, and the test
# finds them through OVERLAY_TEST_DIR. Stdin is /dev/null; stdout and stderr share one
# pipe; the exit status is the test's (or 1 if the setup failed or the host changed).
set -u
mode=${1:?mode}
bin=${2:?binary}
shift 2
base=$(mktemp -d /var/tmp/bulwark-overlay-XXXXXX) || exit 1
cleanup() {
	if [[ $mode == native ]]; then
		umount "$base/merged" 2>/dev/null
		umount "$base" 2>/dev/null
	fi
	rm -rf "$base"
}
trap cleanup EXIT
fail() {
	echo "run_overlay_test: $*" >&2
	exit 1
}
# Metadata of every lower file (no file is read: reads would change atimes).
snapshot() {
	(cd "$1" && find . -printf '%p %y %m %s %U %G %n %T@\n' | sort)
}

case $mode in
native)
	mount -t tmpfs -o mode=0755 bulwark-overlay-test "$base" || fail "mount tmpfs on $base"
	mkdir "$base/lower" "$base/upper" "$base/work" "$base/merged" || fail mkdir
	"$bin" --harness-child populate "$base/lower" || fail "populate $base/lower"
	mount -t overlay bulwark-overlay-test \
		-o "lowerdir=$base/lower,upperdir=$base/upper,workdir=$base/work,redirect_dir=off,index=off,metacopy=off" \
		"$base/merged" || fail "mount overlay on $base/merged"
	OVERLAY_TEST_DIR=$base/merged "$bin" </dev/null 2>&1 | cat
	status=${PIPESTATUS[0]}
	;;
sandbox)
	(($# > 0)) || fail "sandbox mode needs runsc"
	"$bin" --harness-child populate "$base" || fail "populate $base"
	before=$(snapshot "$base")
	OVERLAY_TEST_DIR=$base "$@" do -- "$bin" </dev/null 2>&1 | cat
	status=${PIPESTATUS[0]}
	after=$(snapshot "$base")
	if [[ $before != "$after" ]]; then
		diff <(echo "$before") <(echo "$after") >&2
		fail "the sandbox changed the host's lower files"
	fi
	;;
*)
	fail "unknown mode $mode"
	;;
esac
if [[ $status != 0 ]]; then
	echo "run_overlay_test: $mode $bin exited with status $status" >&2
fi
exit "$status"
