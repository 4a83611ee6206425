#!/usr/bin/env bash
# Makes a JRE 17 base image without any registry: Debian bookworm (debootstrap minbase, from
# the mirror apt already uses) + openjdk-17-jre-headless, imported into podman's store.
# For machines that cannot pull eclipse-temurin:17-jre (CI here); pass the result to
# scripts/images.sh as DOCMESH_BASE_IMAGE. Needs root, debootstrap and podman.
#
#   containers/base-image.sh [TAG]        (default localhost/jre17:bookworm)
#   DOCMESH_BASE_CACHE=DIR                keep the root filesystem tarball in DIR, keyed by this
#                                         recipe and the mirrors: a re-run only imports it
set -euo pipefail
tag=${1:-localhost/jre17:bookworm}
die() { echo "base-image: $*" >&2; exit 1; }
command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
command -v podman >/dev/null || die "podman is missing (apt-get install podman)"
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap and chroot need it)"

# "URI RELEASE" of every Debian source apt uses; the image gets bookworm, -updates and -security.
sources=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' | sort -u)
mirror=$(awk '$2 !~ /-security$/ {print $1; exit}' <<<"$sources")
security=$(awk '$2 ~ /-security$/ {print $1; exit}' <<<"$sources")
[ -n "$mirror" ] || die "apt has no Debian source configured"
security=${security:-http://deb.debian.org/debian-security/}
key=$({ cat "$0"; echo "$mirror $security"; } | sha256sum | cut -c1-16)

current=$(podman image inspect --format '{{index .Labels "dev.docmesh.base-key"}}' "$tag" 2>/dev/null || true)
if [ "$current" = "$key" ]; then
  echo "base-image: $tag is up to date (recipe $key)"
  exit 0
fi

work=$(mktemp -d)
root="$work/rootfs"
cleanup() { if mountpoint -q "$root/proc" 2>/dev/null; then umount "$root/proc"; fi; rm -rf "$work"; }
trap cleanup EXIT

tarball="$work/rootfs.tar"
[ -n "${DOCMESH_BASE_CACHE:-}" ] && tarball="$DOCMESH_BASE_CACHE/jre17-bookworm-$key.tar"
if [ ! -f "$tarball" ]; then
  echo "base-image: debootstrap bookworm (minbase) from $mirror"
  # Two stages so that dpkg skips its per-file fsync (force-unsafe-io) in the second one and in
  # the JRE install: a third faster, and a half-written root filesystem is thrown away anyway.
  debootstrap --foreign --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log"; die "debootstrap failed"; }
  echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/unsafe-io"
  chroot "$root" /debootstrap/debootstrap --second-stage >>"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log"; die "debootstrap (second stage) failed"; }
  cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
  echo "base-image: openjdk-17-jre-headless (with bookworm-updates and -security)"
  mount -t proc proc "$root/proc"
  chroot "$root" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq --no-install-recommends \
    openjdk-17-jre-headless >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log"; die "apt-get install failed"; }
  chroot "$root" apt-get clean
  umount "$root/proc"
  # What only a package manager run or a human reads: not worth ~250 MB in every image.
  rm -rf "$root/etc/dpkg/dpkg.cfg.d/unsafe-io" "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/usr/share/doc/* \
    "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/var/log/*.log "$root"/tmp/*
  [ -n "${DOCMESH_BASE_CACHE:-}" ] && mkdir -p "$DOCMESH_BASE_CACHE" && rm -f "$DOCMESH_BASE_CACHE"/jre17-bookworm-*.tar
  tar --numeric-owner -C "$root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
fi

echo "base-image: podman import $tag"
podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change "LABEL dev.docmesh.base-key=$key" \
  --change 'CMD ["java", "-version"]' \
  "$tarball" "$tag" >/dev/null
echo "base-image: $tag ($(podman image inspect --format "{{.Size}}" "$tag" | numfmt --to=si)B, recipe $key)"
