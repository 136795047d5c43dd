#!/usr/bin/env bash
# Regenerates pkg/lisafs/fb from pkg/lisafs/lisafs.fbs with flatc 2.0.8
# (Debian's flatbuffers-compiler: apt-get install flatbuffers-compiler).
# Run it after every change to lisafs.fbs and check the result in: normal
# builds do not need flatc. TestGeneratedCodeFresh fails while the checked-in
# code differs from what this script makes.
#
#   pkg/lisafs/gen.sh [OUTDIR]   OUTDIR defaults to pkg/lisafs (writes OUTDIR/fb)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here}
want="flatc version 2.0.8"

if ! command -v flatc >/dev/null; then
	echo "gen.sh: flatc not found; install Debian's flatbuffers-compiler (2.0.8)" >&2
	exit 1
fi
if [[ $(flatc --version) != "$want" ]]; then
	echo "gen.sh: $(flatc --version), want $want (the Go runtime is github.com/google/flatbuffers v2.0.8)" >&2
	exit 1
fi

# Only the generated Go files go; fb/BUILD.bazel is gazelle's.
rm -f "$out"/fb/*.go
flatc --go -o "$out" "$here/lisafs.fbs"
gofmt -w "$out/fb"
