#!/usr/bin/env bash
# Packs a release: `bazel run --config=release //:release -- OUTDIR` (what `make release`
# runs) writes OUTDIR/runsc-<version>-linux-amd64.tar.gz, holding runsc, LICENSE and
# README.md, and OUTDIR/runsc-<version>-linux-amd64.tar.gz.sha512 for `sha512sum -c`.
# <version> is what the stamped runsc reports; an unstamped build ("dev") is refused.
set -euo pipefail

if [[ $# != 4 ]]; then
	echo "usage: bazel run --config=release //:release -- OUTDIR" >&2
	exit 2
fi
runsc=$1 license=$2 readme=$3 out=$4

# bazel run starts in the runfiles tree; a relative OUTDIR means the caller's directory.
if [[ $out != /* ]]; then
	out=${BUILD_WORKING_DIRECTORY:-$PWD}/$out
fi

version=$("$runsc" --version | sed -n 's/^runsc version //p')
if [[ -z $version || $version == dev || $version == unknown ]]; then
	echo "release: runsc is not stamped (version '${version}'): build with --config=release" >&2
	exit 1
fi
name=runsc-${version}-linux-amd64

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -m 0755 "$runsc" "$stage/runsc"
install -m 0644 "$license" "$stage/LICENSE"
install -m 0644 "$readme" "$stage/README.md"

# Reproducible: fixed order, owners and times (the commit's time when known).
mtime=0
if [[ -n ${BUILD_WORKSPACE_DIRECTORY:-} ]]; then
	mtime=$(git -C "$BUILD_WORKSPACE_DIRECTORY" log -1 --format=%ct 2>/dev/null || echo 0)
fi
mkdir -p "$out"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@${mtime}" --format=gnu \
	-C "$stage" -cf - runsc LICENSE README.md | gzip -n -9 >"$out/$name.tar.gz"
(cd "$out" && sha512sum "$name.tar.gz" >"$name.tar.gz.sha512")
echo "release: $out/$name.tar.gz"
echo "release: $out/$name.tar.gz.sha512"
