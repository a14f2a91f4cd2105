#!/usr/bin/env bash
# The base image of the compose topology, made from Debian's packages when no image registry is
# reachable: debootstrap (minbase) of bookworm, imported as sbcx-base:bookworm. Kept between runs:
# built only when absent. Users with a registry skip this and build with BASE=debian:bookworm-slim.
set -euo pipefail
TAG=${SBCX_BASE_IMAGE:-sbcx-base:bookworm}
if docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "base image $TAG: present"
  exit 0
fi
# The mirror this machine's apt uses (deb822 or one-line sources), Debian's own otherwise.
MIRROR=$(grep -hoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | head -1 | tr -d ' ' || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
dir=$(mktemp -d /tmp/sbcx-base-XXXXXX)
trap 'rm -rf "$dir"' EXIT
t0=$(date +%s)
debootstrap --variant=minbase bookworm "$dir" "$MIRROR" >"$dir.log" 2>&1 || { tail -20 "$dir.log"; rm -f "$dir.log"; exit 1; }
rm -f "$dir.log"
# The image's apt uses the same mirror; no package lists are kept in the layer.
echo "deb $MIRROR bookworm main" >"$dir/etc/apt/sources.list"
rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin
tar -C "$dir" -c . | docker import - "$TAG" >/dev/null
echo "base image $TAG: built from $MIRROR in $(( $(date +%s) - t0 )) s"
