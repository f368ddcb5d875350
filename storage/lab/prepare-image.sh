#!/usr/bin/env bash
# Prepares the kernel lab's boot files: Debian's own amd64 kernel (downloaded with apt, unpacked, never installed
# on the host), a busybox initramfs that mounts the root disk, and a Debian minbase root image with open-iscsi,
# ocfs2-tools and a headless JRE (the guests run the agent's own storage commands).
#
#   prepare-image.sh [CACHE_DIR]      default /var/cache/pbx-agent/kernel-lab
#
# Prints the directory holding vmlinuz, initrd.img, rootfs.img and versions.txt. The directory name is a hash of
# the package versions and of this script, so a second run on the same machine reuses it (seconds), a new kernel
# or a changed script builds a new one (minutes: debootstrap is the long part). Needs root, apt sources and
# the packages debootstrap, busybox-static, kmod, e2fsprogs.
set -euo pipefail

CACHE=${1:-/var/cache/pbx-agent/kernel-lab}
SUITE=bookworm
MIRROR=${LAB_MIRROR:-}
# What the guests run: the iSCSI initiator, OCFS2 with its o2cb stack, udev for /dev/disk/by-path, and Java for
# the pbx-agent CLI; for the LIO SAN guest, targetcli (the kernel target's own tool, which asks the system D-Bus
# for tcmu-runner's back-ends at every start, as on any systemd SAN), sshd and sudo for the SAN's fencing account.
INCLUDE=open-iscsi,ocfs2-tools,kmod,iproute2,udev,procps,util-linux,e2fsprogs,psmisc,openjdk-17-jre-headless,targetcli-fb,dbus,openssh-server,sudo
HERE=$(cd "$(dirname "$0")" && pwd)

log() { echo "prepare-image: $*" >&2; }
die() { echo "prepare-image: FAILED: $*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb debootstrap depmod modprobe mkfs.ext4 flock sha256sum; do
	command -v "$tool" >/dev/null || die "$tool not found (packages: debootstrap kmod e2fsprogs util-linux)"
done
BUSYBOX=/bin/busybox
# The applet list is read whole, not piped to grep -q: under pipefail, grep leaving at its first match fails the
# pipeline whenever busybox is still writing (SIGPIPE), which depends on scheduling. ldd refuses a static binary.
applets=$( { [ -x "$BUSYBOX" ] && "$BUSYBOX" --list; } 2>/dev/null || true)
# shellcheck disable=SC2015 # every check must hold, else die: die is what runs when any of them fails
[ -x "$BUSYBOX" ] && grep -qx switch_root <<< "$applets" && ! ldd "$BUSYBOX" >/dev/null 2>&1 \
	|| die "a static busybox is needed at $BUSYBOX (package busybox-static)"

if [ -z "$MIRROR" ]; then
	# The mirror apt itself uses for the suite.
	# shellcheck disable=SC2016 # $(SITE) is apt's field name, not a command
	MIRROR=$(apt-get indextargets --format '$(SITE)' "Release: " "Suite: $SUITE" "Component: main" 2>/dev/null \
		| head -1 || true)
	[ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian
fi

# Debian's plain kernel of the suite (the cloud flavour lacks iscsi_tcp and ocfs2).
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-6/{print $2; exit}')
[ -n "$KPKG" ] || die "no linux-image-6.1 package known to apt (run apt-get update)"
KVER=$(apt-cache policy "$KPKG" | awk '/Candidate:/{print $2}')
BBVER=$(dpkg-query -W -f '${Version}' busybox-static)
KEY=$(printf '%s\n' "$KPKG=$KVER" "busybox=$BBVER" "$SUITE" "$INCLUDE" | cat - "$0" "$HERE/guest-init" | sha256sum | cut -c1-16)
OUT=$CACHE/$KEY

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
# Another build of the same machine waits here rather than building twice.
flock -w 1500 9 || die "lock $CACHE/.lock held for 25 minutes"
if [ -f "$OUT/ready" ]; then
	log "cached: $OUT"
	echo "$OUT"
	exit 0
fi

T0=$(date +%s)
WORK=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
log "building $OUT ($KPKG $KVER) in $WORK"

# Kernel: downloaded and unpacked, never installed.
(cd "$WORK" && timeout 600 apt-get download -q "$KPKG" >&2) || die "apt-get download $KPKG"
dpkg-deb -x "$WORK"/"$KPKG"_*.deb "$WORK/k" || die "unpacking $KPKG"
UNAME=$(ls "$WORK/k/lib/modules")
MODS=$WORK/k/lib/modules/$UNAME
# Space only: no graphics, media, sound or radio in a test guest.
rm -rf "$MODS/kernel/drivers/gpu" "$MODS/kernel/drivers/media" "$MODS/kernel/sound" \
	"$MODS/kernel/drivers/net/wireless" "$MODS/kernel/drivers/infiniband" "$MODS/kernel/net/wireless" \
	"$MODS/kernel/drivers/staging" "$MODS/kernel/drivers/bluetooth" "$MODS/kernel/net/bluetooth"
depmod -b "$WORK/k" "$UNAME"
cp "$WORK/k/boot/vmlinuz-$UNAME" "$WORK/vmlinuz"
T1=$(date +%s)

# Initramfs: static busybox, the modules for a virtio root disk with ext4, and an /init that mounts it.
I=$WORK/initramfs
mkdir -p "$I/bin" "$I/mods" "$I/proc" "$I/sys" "$I/dev" "$I/newroot"
cp "$BUSYBOX" "$I/bin/busybox"
for m in virtio_pci virtio_blk ext4; do
	modprobe -S "$UNAME" -d "$WORK/k" --show-depends "$m" | awk '$1=="insmod"{print $2}'
done | awk '!seen[$0]++' > "$WORK/initmods"
: > "$I/mods/order"
while read -r ko; do
	cp "$ko" "$I/mods/"
	basename "$ko" >> "$I/mods/order"
done < "$WORK/initmods"
cat > "$I/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
while read -r ko; do /bin/busybox insmod "/mods/$ko" 2>/dev/null; done < /mods/order
i=0
while [ ! -b /dev/vda ] && [ $i -lt 200 ]; do /bin/busybox usleep 50000; i=$((i + 1)); done
/bin/busybox mount -t ext4 -o ro /dev/vda /newroot || { echo "LAB-INITRAMFS no root disk"; exec /bin/busybox sh; }
/bin/busybox umount /proc /sys /dev
exec /bin/busybox switch_root /newroot /sbin/lab-init
INIT
chmod 755 "$I/init"
(cd "$I" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null | gzip -1) > "$WORK/initrd.img"
T2=$(date +%s)

# Root file system.
R=$WORK/root
timeout 1500 debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$R" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 \
	|| { tail -30 "$WORK/debootstrap.log" >&2; die "debootstrap $SUITE from $MIRROR"; }
T3=$(date +%s)
mkdir -p "$R/lib/modules"
cp -a "$MODS" "$R/lib/modules/"
rm -rf "$R/var/cache/apt/archives"/*.deb "$R/usr/share/doc" "$R/usr/share/man" "$R/usr/share/locale"
install -m 755 "$HERE/guest-init" "$R/sbin/lab-init"
# mkfs.ocfs2 and mount consult /etc/mtab.
ln -sf /proc/self/mounts "$R/etc/mtab"
echo lab > "$R/etc/hostname"
{
	echo "kernel $KPKG $KVER $UNAME"
	echo "busybox-static $BBVER"
	echo "suite $SUITE from $MIRROR"
	chroot "$R" dpkg-query -W open-iscsi ocfs2-tools openjdk-17-jre-headless util-linux targetcli-fb
} > "$WORK/versions.txt"
USED=$(du -sm "$R" | cut -f1)
mkfs.ext4 -q -F -L labroot -d "$R" "$WORK/rootfs.img" "$((USED + 400))M" || die "mkfs.ext4 -d"
rm -rf "$R" "$WORK/k" "$I" "$WORK"/*.deb
T4=$(date +%s)
echo "times kernel=$((T1 - T0))s initramfs=$((T2 - T1))s debootstrap=$((T3 - T2))s image=$((T4 - T3))s" \
	"rootfs_used=${USED}MB" >> "$WORK/versions.txt"
touch "$WORK/ready"
trap - EXIT
rm -rf "$OUT"
mv "$WORK" "$OUT"
log "built $OUT in $((T4 - T0))s"
cat "$OUT/versions.txt" >&2
echo "$OUT"
