#!/usr/bin/env bash
# Fails (exit 1) when a BUILD.bazel file or deps.bzl is not what `make gazelle` would write,
# naming the fix. Changes nothing in the tree. Run from anywhere: `make gazelle-check`.
set -euo pipefail
cd "$(dirname "$0")/../.."
BAZEL=${BAZEL:-bazel}

stale=()

# deps.bzl: regenerate from go.mod into a scratch copy and compare.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp WORKSPACE deps.bzl go.mod "$tmp"/
if [[ -e go.sum ]]; then cp go.sum "$tmp"/; fi
# (//:gazelle-update-repos with a different root: later flags win.)
"$BAZEL" run --ui_event_filters=-info,-stdout --noshow_progress //:gazelle-update-repos -- \
	-args -repo_root="$tmp" -from_file="$tmp/go.mod" >/dev/null
if ! diff -u deps.bzl "$tmp/deps.bzl"; then
	stale+=(deps.bzl)
fi

# BUILD.bazel files: gazelle's diff mode prints the changes and exits 1 when there are any.
if ! "$BAZEL" run --ui_event_filters=-info,-stdout --noshow_progress //:gazelle -- -args -mode=diff; then
	stale+=(BUILD.bazel)
fi

if [[ ${#stale[@]} != 0 ]]; then
	echo "gazelle-check: BUILD files are stale: run \`make gazelle\` and commit the result (out of date: ${stale[*]})" >&2
	exit 1
fi
echo "gazelle-check: BUILD files and deps.bzl are up to date"
