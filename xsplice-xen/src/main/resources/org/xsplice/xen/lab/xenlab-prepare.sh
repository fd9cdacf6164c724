#!/bin/bash
# xenlab-prepare.sh CACHE_DIR
#
# Makes the artefacts the real-Xen lab boots, caching them under CACHE_DIR:
#   - host tools (qemu-system-x86, debootstrap, cpio, zstd) installed with apt-get;
#   - Debian's xen-hypervisor-4.17-amd64 and the dom0 kernel package, downloaded with
#     `apt-get download` and extracted (never installed on the host);
#   - a dom0 initramfs: a debootstrap'ed minbase with xen-utils-4.17 pinned to the
#     hypervisor's own version, the Xen and virtio kernel modules, and the lab's /init.
# The artefact directory is keyed by the package versions and by this script's own hash,
# so a new Debian point release or a changed script builds a fresh one; repeated runs
# only look the versions up. A flock on CACHE_DIR/lock serialises concurrent callers.
#
# The last line on stdout is `XENLAB_DIR=<artefact directory>`; progress goes to stderr.
# Uses the machine's own apt sources (also copied into the chroot); needs root.
set -euo pipefail
CACHE=${1:?usage: xenlab-prepare.sh CACHE_DIR}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
say() { printf 'xenlab: %s\n' "$*" >&2; }
export DEBIAN_FRONTEND=noninteractive

exec 9>"$CACHE/lock"
flock 9

APT_UPDATED=0
apt_update() {
  [ $APT_UPDATED = 1 ] && return 0
  apt-get update -qq >&2
  APT_UPDATED=1
}

# ---- host tools --------------------------------------------------------------------------
missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
command -v debootstrap >/dev/null        || missing+=(debootstrap)
command -v cpio >/dev/null               || missing+=(cpio)
command -v zstd >/dev/null               || missing+=(zstd)
command -v flock >/dev/null              || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing host packages: ${missing[*]}"
  apt_update
  apt-get install -y -qq --no-install-recommends "${missing[@]}" ca-certificates >&2
fi

# ---- versions (the cache key) --------------------------------------------------------------
candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}'; }
XEN_PKG=xen-hypervisor-4.17-amd64
XEN_VER=$(candidate $XEN_PKG)
if [ -z "$XEN_VER" ] || [ "$XEN_VER" = "(none)" ]; then
  apt_update
  XEN_VER=$(candidate $XEN_PKG)
fi
[ -n "$XEN_VER" ] && [ "$XEN_VER" != "(none)" ] || { say "no candidate for $XEN_PKG in the apt sources"; exit 1; }
KERNEL_PKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$KERNEL_PKG" ] || { say "cannot resolve linux-image-amd64 to a kernel package"; exit 1; }
KERNEL_VER=$(candidate "$KERNEL_PKG")
SELF_HASH=$(cat "$0" "$(dirname "$0")/xenlab-init.sh" | sha256sum | cut -c1-12)
KEY="xen-${XEN_VER}_${KERNEL_PKG}-${KERNEL_VER}_${SELF_HASH}"
KEY=${KEY//[^A-Za-z0-9._-]/_}
OUT="$CACHE/$KEY"
if [ -f "$OUT/ready" ]; then
  echo "XENLAB_DIR=$OUT"
  exit 0
fi

say "building $KEY (cold cache: downloads, debootstrap; several minutes)"
WORK="$CACHE/work.$$"
rm -rf "$WORK" "$OUT"
mkdir -p "$WORK/debs" "$WORK/x"
trap 'rm -rf "$WORK"' EXIT

# ---- hypervisor and kernel ---------------------------------------------------------------
apt_update
(cd "$WORK/debs" && apt-get download -q "$XEN_PKG=$XEN_VER" "$KERNEL_PKG=$KERNEL_VER" >&2)
for d in "$WORK"/debs/*.deb; do dpkg-deb -x "$d" "$WORK/x"; done
KREL=$(ls "$WORK/x/lib/modules")
mkdir -p "$WORK/out"
cp "$WORK/x/boot/xen-4.17-amd64.gz" "$WORK/out/xen.gz"
# QEMU's multiboot loader wants the uncompressed ELF32 wrapper.
zcat "$WORK/x/boot/xen-4.17-amd64.gz" > "$WORK/out/xen"
cp "$WORK/x/boot/vmlinuz-$KREL" "$WORK/out/vmlinuz"

# ---- dom0 root file system -----------------------------------------------------------------
# The mirror is the machine's own: the first URI its apt sources list for bookworm.
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror=$(awk '
    /^URIs:/ {u=$2} /^Suites:/ {s=$0}
    /^$/ { if (u != "" && s ~ /[ \t]bookworm([ \t]|$)/) {print u; exit}; u=""; s="" }
    END { if (u != "" && s ~ /[ \t]bookworm([ \t]|$)/) print u }' "$f" | head -n1)
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list)
fi
R="$WORK/rootfs"
say "debootstrap bookworm (mirror: ${mirror:-debootstrap default})"
debootstrap --variant=minbase --include=busybox,kmod bookworm "$R" $mirror > "$WORK/debootstrap.log" 2>&1 \
  || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
rm -f "$R/etc/apt/sources.list"
mkdir -p "$R/etc/apt/sources.list.d"
cp -a /etc/apt/sources.list.d/. "$R/etc/apt/sources.list.d/"
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$R/etc/apt/sources.list"
cp /etc/resolv.conf "$R/etc/resolv.conf"
# No daemons may start inside the chroot.
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"
chmod +x "$R/usr/sbin/policy-rc.d"
chroot "$R" apt-get update -qq >&2
# The toolstack must match the hypervisor exactly (its version lives in bookworm-security).
chroot "$R" apt-get install -y -qq --no-install-recommends \
  "xen-utils-4.17=$XEN_VER" xen-utils-common xenstore-utils >> "$WORK/debootstrap.log" 2>&1 \
  || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
chroot "$R" apt-get clean
rm -rf "$R/var/lib/apt/lists/"* "$R/usr/share/doc" "$R/usr/share/man" "$R/usr/share/locale" \
       "$R/usr/share/info" "$R/usr/sbin/policy-rc.d" "$R/var/cache/debconf/"*-old

M="$WORK/x/lib/modules/$KREL"
mkdir -p "$R/lib/modules/$KREL/kernel/drivers/block"
cp -a "$M/kernel/drivers/xen" "$M/kernel/drivers/virtio" "$R/lib/modules/$KREL/kernel/drivers/"
cp "$M/kernel/drivers/block/virtio_blk.ko" "$R/lib/modules/$KREL/kernel/drivers/block/"
cp "$M/modules.order" "$M"/modules.builtin* "$R/lib/modules/$KREL/"
chroot "$R" /sbin/depmod "$KREL"

install -m 0755 "$(dirname "$0")/xenlab-init.sh" "$R/init"
# Fixed dates make the archive reproducible enough to compare across rebuilds.
say "packing the initramfs"
(cd "$R" && find . -xdev | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible | zstd -q -T0 -12) \
  > "$WORK/out/rootfs.cpio.zst"

cat > "$WORK/out/versions.env" <<EOF
XEN_PACKAGE=$XEN_PKG
XEN_VERSION=$XEN_VER
KERNEL_PACKAGE=$KERNEL_PKG
KERNEL_VERSION=$KERNEL_VER
KERNEL_RELEASE=$KREL
EOF
touch "$WORK/out/ready"
mv "$WORK/out" "$OUT"
say "cached in $OUT"
echo "XENLAB_DIR=$OUT"
