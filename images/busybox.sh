#!/usr/bin/env bash
# Builds a busybox root file system as a tar (for bundles and for
# `podman import TAR NAME`) from Debian's busybox-static, and prints the
# tar's path. The result is cached: it is rebuilt only when missing or
# older than /bin/busybox.
#
#   images/busybox.sh            the tar in $BULWARK_IMAGE_CACHE
#                                (default /var/cache/bulwark-images)
#
# The tree: /bin/busybox with a link for every applet, /etc/passwd and
# /etc/group with root and user 1000, and empty /dev, /proc, /sys, /tmp,
# /root, /home.
set -euo pipefail

cache=${BULWARK_IMAGE_CACHE:-/var/cache/bulwark-images}
out=$cache/busybox.tar
bb=/bin/busybox

if [[ ! -x $bb ]] || ! "$bb" --list >/dev/null 2>&1; then
	echo "images/busybox.sh: needs Debian's busybox-static ($bb): run tools/install-deps.sh" >&2
	exit 1
fi
if [[ -s $out && $out -nt $bb && $out -nt $0 ]]; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.busybox.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/rootfs
mkdir -p "$root"/{bin,etc,dev,proc,sys,tmp,root,home}
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
cp "$bb" "$root/bin/busybox"
for app in $("$bb" --list); do
	[[ $app == busybox ]] || ln -s busybox "$root/bin/$app"
done
cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home:/bin/sh
nobody:x:65534:65534:nobody:/:/bin/false
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
user:x:1000:
nogroup:x:65534:
GROUP
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf "$tmp/busybox.tar" .
mv "$tmp/busybox.tar" "$out"
echo "$out"
