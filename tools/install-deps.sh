#!/usr/bin/env bash
# Installs the Debian packages that building and testing Bulwark need, and
# only those that are missing. Safe to run any number of times.
#
#   tools/install-deps.sh          busybox-static, gcc, make, git, python3 (the
#                                  end-to-end tests run it in the sandbox) and
#                                  flatbuffers-compiler (flatc: the check that
#                                  pkg/lisafs/fb is generated from lisafs.fbs)
#   tools/install-deps.sh --bench  the same plus runsc (Debian's gVisor
#                                  package), used only as the benchmark peer
#   tools/install-deps.sh --podman the same plus podman and runc (the control
#                                  runtime) for test/e2e/podman_test.go, and
#                                  debootstrap for its Debian image
#                                  (images/debian.sh); about a minute here
#
# Flags combine (--bench --podman).
# Go itself is expected at /usr/local/go (or on PATH); it is not installed here.
set -euo pipefail

bench=0
podman=0
for arg in "$@"; do
	case "$arg" in
	--bench) bench=1 ;;
	--podman) podman=1 ;;
	-h | --help)
		sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "install-deps: unknown argument: $arg (want --bench or --podman)" >&2
		exit 2
		;;
	esac
done

# Debian package name -> a file it installs that proves it is present.
declare -A probe=(
	[busybox-static]=/bin/busybox
	[gcc]=/usr/bin/gcc
	[make]=/usr/bin/make
	[git]=/usr/bin/git
	[python3]=/usr/bin/python3
	[flatbuffers-compiler]=/usr/bin/flatc
)
wanted=(busybox-static gcc make git python3 flatbuffers-compiler)
if [[ $bench == 1 ]]; then
	probe[runsc]=/usr/bin/runsc
	wanted+=(runsc)
fi
if [[ $podman == 1 ]]; then
	probe[podman]=/usr/bin/podman
	probe[runc]=/usr/sbin/runc
	probe[debootstrap]=/usr/sbin/debootstrap
	wanted+=(podman runc debootstrap)
fi

# A package counts as installed when dpkg says so and its probe file exists.
installed() {
	local status
	status=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)
	[[ $status == installed && -e ${probe[$1]} ]]
}

missing=()
for pkg in "${wanted[@]}"; do
	installed "$pkg" || missing+=("$pkg")
done

# gcc -static needs libc's static archive (libc6-dev, pulled in by gcc's
# Recommends on a normal install, but not always on a minimal one).
if [[ ! -e /usr/lib/x86_64-linux-gnu/libc.a ]]; then
	missing+=(libc6-dev)
fi

if [[ ${#missing[@]} == 0 ]]; then
	echo "install-deps: all present (${wanted[*]})"
	exit 0
fi

sudo=()
if [[ $(id -u) != 0 ]]; then
	sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

for pkg in "${missing[@]}"; do
	if [[ $pkg != libc6-dev ]] && ! installed "$pkg"; then
		echo "install-deps: $pkg did not install (${probe[$pkg]} missing)" >&2
		exit 1
	fi
done
echo "install-deps: done"
