#!/usr/bin/env bash
# Sets a fresh Debian 12 machine up for the Bazel build, from Debian's apt and the Go module
# proxy and nothing else. Safe to run any number of times; installs only what is missing.
#
#   Debian:          bazel-bootstrap (Bazel 4.2), bazel-skylib, bazel-rules-java, and through
#                    tools/install-deps.sh gcc, libc6-dev, make, git, busybox-static;
#                    golang-go only if there is no go command at all (it is used only to
#                    reach the module proxy)
#   Go module proxy: rules_go, Gazelle, the Go SDK (golang.org/toolchain), the Go
#                    dependencies in deps.bzl; fetched by Bazel's repository rules
#                    (tools/bazel/repositories.bzl), each checked against its pinned sum
#
# Bazel's caches live in ~/.cache/bazel, outside the checkout. Afterwards:
#   bazel build //runsc && bazel test //test/syscalls/...
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=$PATH:/usr/local/go/bin
start=$SECONDS

bash tools/install-deps.sh

# Debian package -> a file it installs that proves it is present.
declare -A probe=(
	[bazel-bootstrap]=/usr/bin/bazel
	[bazel-skylib]=/usr/share/bazel/tools/skylib/WORKSPACE
	[bazel-rules-java]=/usr/share/bazel/rules/java/WORKSPACE
)
missing=()
for pkg in bazel-bootstrap bazel-skylib bazel-rules-java; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	if [[ $status != installed || ! -e ${probe[$pkg]} ]]; then
		missing+=("$pkg")
	fi
done
if ! command -v go >/dev/null; then
	missing+=(golang-go)
fi
if [[ ${#missing[@]} != 0 ]]; then
	sudo=()
	if [[ $(id -u) != 0 ]]; then
		sudo=(sudo)
	fi
	echo "bazel-setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -q
	"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Fetch every external repository (rules, SDK with its precompiled standard library, Go
# modules) by analysing the whole workspace; nothing is built yet.
echo "bazel-setup: fetching rules_go, Gazelle, the Go SDK and the Go dependencies"
bazel build --nobuild //...
echo "bazel-setup: done in $((SECONDS - start))s"
