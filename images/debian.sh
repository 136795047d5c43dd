#!/usr/bin/env bash
# Builds a Debian minbase root file system (the machine's own Debian
# release) with debootstrap, as a tar for bundles and for
# `podman import TAR NAME`, and prints the tar's path. The packages come
# from the Debian mirror that this machine's apt configuration names; no
# mirror is written here. The result is cached and rebuilt only when
# missing or older than this script.
#
#   images/debian.sh             the tar in $BULWARK_IMAGE_CACHE
#                                (default /var/cache/bulwark-images)
#   images/debian.sh --mirror    only print the mirror it would use
#
# Needs debootstrap (tools/install-deps.sh --podman installs it) and root.
# The tree is debootstrap's minbase (dpkg, apt, bash, coreutils, the
# dynamic loader and libc) plus user 1000 ("user", home /home/user).
set -euo pipefail

cache=${BULWARK_IMAGE_CACHE:-/var/cache/bulwark-images}
# The apt configuration to read the mirror from (tests point it elsewhere).
apt=${BULWARK_APT_DIR:-/etc/apt}

# shellcheck source=/dev/null
. /etc/os-release
suite=${VERSION_CODENAME:-}
if [[ ${ID:-} != debian || -z $suite ]]; then
	echo "images/debian.sh: this machine is not Debian (/etc/os-release: ID=${ID:-?}): no apt mirror to build from" >&2
	exit 1
fi

# mirror prints the URI of the first enabled "deb" source for $suite with
# the main component: deb822 files (sources.list.d/*.sources) first, then
# one-line ones (sources.list, sources.list.d/*.list).
mirror() {
	local f found
	for f in "$apt"/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		found=$(awk -v suite="$suite" '
			BEGIN { RS = ""; FS = "\n" }
			{
				types = ""; uris = ""; suites = ""; comps = ""; enabled = "yes"
				for (i = 1; i <= NF; i++) {
					line = $i
					if (line ~ /^[ \t]*#/) continue
					key = tolower(line); sub(/:.*/, "", key)
					val = line; sub(/^[^:]*:[ \t]*/, "", val)
					if (key == "types") types = " " val " "
					else if (key == "uris") uris = val
					else if (key == "suites") suites = " " val " "
					else if (key == "components") comps = " " val " "
					else if (key == "enabled") enabled = tolower(val)
				}
				if (enabled != "no" && types ~ / deb / && suites ~ (" " suite " ") && comps ~ / main /) {
					split(uris, u, /[ \t]+/); print u[1]; exit
				}
			}' "$f")
		if [[ -n $found ]]; then
			echo "$found"
			return
		fi
	done
	for f in "$apt"/sources.list "$apt"/sources.list.d/*.list; do
		[[ -r $f ]] || continue
		found=$(awk -v suite="$suite" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($(i + 1) != suite) next
				for (j = i + 2; j <= NF; j++) if ($j == "main") { print $i; exit }
			}' "$f")
		if [[ -n $found ]]; then
			echo "$found"
			return
		fi
	done
}

uri=$(mirror)
if [[ -z $uri ]]; then
	echo "images/debian.sh: no enabled 'deb' source for $suite with component main in $apt" >&2
	exit 1
fi
if [[ ${1:-} == --mirror ]]; then
	echo "$uri"
	exit 0
fi

out=$cache/debian-$suite-minbase.tar
if [[ -s $out && $out -nt $0 ]]; then
	echo "$out"
	exit 0
fi
if ! command -v debootstrap >/dev/null; then
	echo "images/debian.sh: needs debootstrap: run tools/install-deps.sh --podman" >&2
	exit 1
fi
if [[ $(id -u) != 0 ]]; then
	echo "images/debian.sh: debootstrap needs root" >&2
	exit 1
fi

# debootstrap fetches with wget, which does not read apt's configuration:
# pass on an HTTP proxy that apt is told to use.
if [[ -z ${http_proxy:-} ]] && command -v apt-config >/dev/null; then
	eval "$(apt-config shell http_proxy Acquire::http::Proxy)"
	if [[ -n ${http_proxy:-} ]]; then
		export http_proxy
	fi
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.debian.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/rootfs
echo "images/debian.sh: debootstrap --variant=minbase $suite from $uri" >&2
if ! debootstrap --variant=minbase "$suite" "$root" "$uri" >"$tmp/log" 2>&1; then
	tail -n 20 "$tmp/log" >&2
	echo "images/debian.sh: debootstrap failed (log above)" >&2
	exit 1
fi
chroot "$root" /usr/sbin/useradd --uid 1000 --user-group --create-home --shell /bin/bash user
# What a container does not need, and what would differ between builds.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
tar --numeric-owner -C "$root" -cf "$tmp/debian.tar" .
mv "$tmp/debian.tar" "$out"
echo "$out"
