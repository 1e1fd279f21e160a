#!/usr/bin/env bash
# Builds the local systemd base image for one Debian release when it is missing or its recipe
# changed. No registry is reachable here, so images come from debootstrap + `docker import`.
#   tools/build-image.sh debian12|debian13
# The image carries the recipe's hash as a label; a changed recipe (this file) rebuilds it.
set -euo pipefail
target=${1:?usage: build-image.sh debian12|debian13}
case "$target" in
  debian12) suite=bookworm ;;
  debian13) suite=trixie ;;
  *) echo "unknown image $target" >&2; exit 2 ;;
esac
image="pacsops/$target:latest"
# What a minimal server has (sudo for `become`), plus python3-apt so the apt module needs no bootstrap.
packages=python3,python3-apt,systemd,systemd-sysv,dbus,iproute2,procps,ca-certificates,sudo
here=$(cd "$(dirname "$0")" && pwd)
recipe=$( { cat "$0"; echo "$packages"; } | sha256sum | cut -c1-16)
if [ "$(docker image inspect -f '{{ index .Config.Labels "pacsops.recipe" }}' "$image" 2>/dev/null)" = "$recipe" ]; then
  exit 0
fi
mirror=$("$here/debian-mirror.sh")
security=${mirror%/debian}/debian-security
root=$(mktemp -d /var/tmp/pacsops-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "building $image from $suite ($mirror), recipe $recipe" >&2
debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >"$root.log" 2>&1 \
  || { tail -20 "$root.log" >&2; exit 1; }
cat >"$root/etc/apt/sources.list" <<SRC
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
SRC
# A container has no consoles to spawn logins on, and these units only slow boot or fail there.
for unit in getty.target systemd-firstboot.service systemd-udevd.service \
    systemd-modules-load.service sys-kernel-config.mount; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
echo "pacsops-$target" >"$root/etc/hostname"
: >"$root/etc/machine-id"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/tmp/* "$root.log"
# No package index, dated as stale: the first `apt update_cache: true, cache_valid_time: ...`
# refreshes it, as it would on a host installed long ago (an empty index with a fresh date would
# make apt skip the refresh and then find no packages).
touch -d 2000-01-01 "$root/var/lib/apt/lists"
tar -C "$root" -c . | docker import \
  --change "LABEL pacsops.recipe=$recipe" \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change 'ENV container=docker' \
  - "$image" >/dev/null
echo "built $image" >&2
