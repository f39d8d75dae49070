#!/bin/bash
# guest.sh - build and boot a throw-away Debian 12 guest (real Debian 6.1 kernel) for the KernelGuest
# test category: real LVM (device-mapper, dm-thin), kernel nfsd and NFS clients, Linux's iSCSI initiator
# (open-iscsi, iscsi_tcp) and dm-multipath, and OpenZFS 2.1 (Debian contrib's zfs-dkms built on the host for the
# guest's kernel, and zfsutils-linux), none of which the host kernel offers.
#
#   ./guest.sh build          # cold: apt-get qemu+debootstrap, zfs modules, kernel, rootfs, image
#   ./guest.sh zfs-module     # only the zfs modules for the guest's kernel (part of build; cached in $ZM)
#   ./guest.sh boot [accel]   # boot in background (accel: tcg [default] | kvm)
#   ./guest.sh wait           # wait until share/ready exists (guest-boot.sh done)
#   ./guest.sh exec 'cmd'     # run a shell command in the guest (9p command channel)
#   ./guest.sh stop           # power the guest off
#
# Works as root on a Debian 12 host. Everything lives under $W; `build` skips its work when $W holds a
# build made by this same script (a stamp with the script's checksum), so CI caches it outside the clone.
# NOTE: on this host /dev/kvm is backed by kvm_pvm (no VMX/SVM); a stock Debian
# kernel boots under it only extremely slowly, so TCG is the default.
set -euo pipefail
W=${W:-${TMPDIR:-/tmp}/kernel-guest}   # the build (kernel, initramfs, root image): kept between runs
R=${R:-$W}                              # one boot: share/ (the guest's /share), qemu.pid, serial log
ISCSI_PORT=${ISCSI_PORT:-13260}         # host 127.0.0.1 ports forwarded to the guest's 3260 and 18700
HTTP_PORT=${HTTP_PORT:-18700}
BUILD_VERSION=2                         # raise when build() changes, so cached builds are made again
KVER=${KVER:-$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{sub("linux-image-","",$2);print $2;exit}')}
MIRROR=${MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)}
PKGS=lvm2,thin-provisioning-tools,btrfs-progs,nfs-kernel-server,nfs-common,open-iscsi,multipath-tools,sg3-utils,libicu72,libssl3,kmod,udev,iproute2,procps,e2fsprogs,util-linux,zfsutils-linux
# OpenZFS comes from Debian's contrib component. The host's apt sources are left alone: contrib is read through a
# private apt configuration (its own sources list and package lists under $ZM), and debootstrap is given main,contrib.
ZFS_VERSION=${ZFS_VERSION:-2.1.11}
ZM=${ZM:-/var/cache/targetd/zfs-module}   # the zfs .ko files, built once per kernel and zfs version, kept here
mkdir -p "$W"; cd "$W"
log() { echo "[$(date +%T)] $*"; }

STAMP_WANTED="$BUILD_VERSION $KVER $PKGS zfs-$ZFS_VERSION"

contrib_apt() {
  # apt-get with Debian main+contrib from $MIRROR, its own lists under $ZM/apt; the host's sources are not touched.
  mkdir -p "$ZM/apt/lists/partial" "$ZM/apt/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR bookworm main contrib" > "$ZM/apt/sources.list"
  apt-get -q -o Dir::Etc::SourceList="$ZM/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
    -o Dir::State::Lists="$ZM/apt/lists" -o Dir::Cache="$ZM/apt/cache" "$@"
}

build_zfs_module() {
  # zfs-dkms's source built on the host against linux-headers-$KVER (extracted locally, not installed): the .ko
  # files are kept in $ZM/$KVER-$ZFS_VERSION, so this runs once per kernel and zfs version.
  local out=$ZM/$KVER-$ZFS_VERSION
  if [ -e "$out/done" ]; then log "cached zfs modules in $out"; return 0; fi
  log "zfs $ZFS_VERSION modules for $KVER (zfs-dkms source, linux-headers-$KVER extracted locally)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gcc-12 make
  local b=$ZM/build-$KVER
  rm -rf "$b" "$out"; mkdir -p "$b/dl" "$b/x"
  contrib_apt update
  local hv; hv=$(apt-cache show "linux-headers-$KVER" | awk '/^Version:/{print $2; exit}')
  local common; common=$(apt-cache show "linux-headers-$KVER" | awk -F'[ ,]+' '/^Depends:/{for(i=2;i<=NF;i++) if($i ~ /^linux-headers-.*-common$/) print $i; exit}')
  ( cd "$b/dl" && apt-get download -q "linux-headers-$KVER" "$common" "linux-kbuild-${KVER%%.0-*}=$hv" \
      && contrib_apt download "zfs-dkms=$ZFS_VERSION-*" )
  for d in "$b"/dl/*.deb; do dpkg-deb -x "$d" "$b/x"; done
  local src=$b/x/usr/src
  # the headers' Makefile includes the common tree by its installed (absolute) path: point it at the extracted one
  sed -i "s|/usr/src/|$src/|" "$src/linux-headers-$KVER/Makefile"
  ( cd "$src/zfs-$ZFS_VERSION" && ./configure -q --prefix=/usr --with-config=kernel \
      --with-linux="$src/$common" --with-linux-obj="$src/linux-headers-$KVER" \
      && make -s -j"$(nproc)" )
  mkdir -p "$out"
  (cd "$src/zfs-$ZFS_VERSION/module" && find . -name '*.ko' -exec cp --parents {} "$out/" \;)
  strip --strip-debug "$out"/*/*.ko
  touch "$out/done"; rm -rf "$b"
  log "zfs modules: $(cd "$out" && echo */*.ko)"
}

build() {
  if [ -e build.stamp ] && [ "$(cat build.stamp)" = "$STAMP_WANTED" ] && [ -e root.img ] && command -v qemu-system-x86_64 >/dev/null; then
    log "cached build in $W"; return 0
  fi
  rm -f build.stamp
  log "apt: qemu-system-x86 debootstrap"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-system-x86 debootstrap
  build_zfs_module
  rm -rf kernel && mkdir -p kernel && cd kernel
  log "kernel linux-image-$KVER + busybox-static (downloaded, extracted locally)"
  apt-get download "linux-image-$KVER" busybox-static
  cd "$W"
  rm -rf kx bb
  dpkg-deb -x kernel/linux-image-"$KVER"_*.deb kx
  dpkg-deb -x kernel/busybox-static_*.deb bb
  # uncompressed ELF vmlinux -> QEMU boots it via the PVH entry point: skips
  # SeaBIOS real-mode setup and the xz decompressor (~20 s under TCG)
  python3 - "$KVER" <<'EOF'
import lzma, sys
d = open('kx/boot/vmlinuz-%s' % sys.argv[1], 'rb').read()
open('vmlinux', 'wb').write(lzma.LZMADecompressor().decompress(d[d.find(b'\xfd7zXZ\x00'):]))
EOF
  log "debootstrap minbase"
  rm -rf rootfs
  debootstrap --variant=minbase --components=main,contrib --include=$PKGS bookworm rootfs "$MIRROR"
  log "modules subset into rootfs"
  M=lib/modules/$KVER
  mkdir -p rootfs/$M
  (cd kx/$M && tar cf - --exclude=kernel/sound --exclude=kernel/drivers/gpu \
     --exclude=kernel/drivers/media --exclude=kernel/drivers/net/wireless \
     --exclude=kernel/drivers/net/ethernet --exclude=kernel/drivers/infiniband \
     --exclude=kernel/drivers/staging --exclude=kernel/drivers/iio --exclude=kernel/drivers/usb \
     --exclude=kernel/drivers/bluetooth --exclude=kernel/net/bluetooth --exclude=kernel/net/wireless \
     --exclude=kernel/net/mac80211 --exclude=kernel/drivers/isdn --exclude=kernel/drivers/mtd \
     --exclude=kernel/drivers/video --exclude=kernel/drivers/hwmon --exclude=kernel/drivers/input \
     --exclude=kernel/drivers/hid --exclude=kernel/drivers/platform --exclude=kernel/drivers/comedi .) \
   | (cd rootfs/$M && tar xf -)
  mkdir -p rootfs/$M/extra && cp -r "$ZM/$KVER-$ZFS_VERSION"/*/ rootfs/$M/extra/
  chroot rootfs depmod "$KVER"
  ln -sf ../proc/self/mounts rootfs/etc/mtab      # rpc.mountd segfaults without it
  echo "nameserver 10.0.2.3" > rootfs/etc/resolv.conf
  echo guest > rootfs/etc/hostname
  printf '10.0.2.2 qemu-host\n127.0.1.1 guest\n' >> rootfs/etc/hosts
  cat > rootfs/sbin/probe-init <<'EOF'
#!/bin/sh
# PID 1 in the guest (after the initramfs switch_root). No systemd: faster.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null; mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /run; mount -t tmpfs tmpfs /tmp
mount -o remount,rw /
hostname guest
modprobe -a virtio_net 9pnet_virtio 9p configfs loop dm_mod dm_thin_pool dm_multipath dm_round_robin \
  scsi_dh_alua sd_mod iscsi_tcp nfsd nfs nfsv3 nfsv4 btrfs zfs
mount -t configfs configfs /sys/kernel/config
ip link set lo up; ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0; ip route add default via 10.0.2.2
/lib/systemd/systemd-udevd --daemon; udevadm trigger --action=add; udevadm settle --timeout=60
mkdir -p /var/lib/nfs/v4recovery
mkdir -p /share
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 share /share
echo "probe-init: base ready at uptime $(cut -d' ' -f1 /proc/uptime)"
[ -x /share/guest-boot.sh ] && /share/guest-boot.sh 2>&1 | tee /share/guest-boot.log
echo "probe-init: waiting for /share/stop"
while [ ! -e /share/stop ]; do
  if [ -e /share/cmd.sh ]; then
    mv /share/cmd.sh /run/cmd.sh
    sh /run/cmd.sh > /share/cmd.out.tmp 2>&1; echo "rc=$?" >> /share/cmd.out.tmp
    mv /share/cmd.out.tmp /share/cmd.out
  fi
  sleep 0.5
done
sync; echo o > /proc/sysrq-trigger; sleep 30
EOF
  chmod +x rootfs/sbin/probe-init
  log "initramfs (busybox + virtio/ext4 modules)"
  rm -rf initrd; mkdir -p initrd/bin initrd/mods initrd/proc initrd/sys initrd/dev initrd/newroot
  cp bb/bin/busybox initrd/bin/
  K=rootfs/$M/kernel
  MODS="drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev
        drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci drivers/block/virtio_blk
        crypto/crc32c_generic arch/x86/crypto/crc32c-intel fs/jbd2/jbd2 fs/mbcache lib/crc16 fs/ext4/ext4"
  for f in $MODS; do cp $K/$f.ko initrd/mods/; done
  { echo '#!/bin/busybox sh'
    echo '/bin/busybox --install -s /bin'
    echo 'mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev'
    echo "for m in $(for f in $MODS; do basename $f; done | tr '\n' ' '); do insmod /mods/\$m.ko 2>/dev/null; done"
    echo 'i=0; while [ ! -b /dev/vda ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done'
    echo 'mount -t ext4 /dev/vda /newroot || { echo "initramfs: cannot mount /dev/vda"; exec sh; }'
    echo 'umount /proc /sys /dev'
    echo 'exec switch_root /newroot /sbin/probe-init'; } > initrd/init
  chmod +x initrd/init
  (cd initrd && find . | ../bb/bin/busybox cpio -o -H newc 2>/dev/null | gzip -1 > ../initrd.gz)
  log "ext4 root image (sparse 3 GiB, mkfs.ext4 -d)"
  rm -f root.img; truncate -s 3G root.img; mkfs.ext4 -q -F -L guestroot -d rootfs root.img
  echo "$STAMP_WANTED" > build.stamp
  rm -rf rootfs kx
  log "build done"; du -sh root.img vmlinux initrd.gz
}

write_guest_boot() {
  # Runs in the guest at boot (output in share/guest-boot.log), then touches share/ready: the services the
  # tests use. Tests make their own volume groups, exports and sessions and undo them.
  cat > share/guest-boot.sh <<'EOF'
#!/bin/sh
set -x
mkdir -p /proc/fs/nfsd && mount -t nfsd nfsd /proc/fs/nfsd
rpcbind -w
: > /etc/exports
exportfs -ra
rpc.nfsd -G 10 -L 10 8          # 10 s NFSv4 grace/lease instead of 90 s
rpc.mountd
rpc.statd --no-notify 2>/dev/null || true
mkdir -p /run/lock/iscsi /run/lock/lvm
echo "InitiatorName=iqn.1993-08.org.debian:01:kernelguest" > /etc/iscsi/initiatorname.iscsi
iscsid
# multipathd is not started here: it would claim every iSCSI disk; the multipath tests start and stop it.
printf 'defaults {\n  user_friendly_names yes\n  find_multipaths no\n  polling_interval 2\n  no_path_retry 12\n}\n' > /etc/multipath.conf
echo "boot done at uptime $(cut -d' ' -f1 /proc/uptime)"
echo READY > /share/ready
EOF
  chmod +x share/guest-boot.sh
}

boot() {
  local accel=${1:-tcg} acc
  if [ "$accel" = kvm ]; then acc="-enable-kvm -cpu host,-arch-capabilities"; else acc="-accel tcg -cpu max"; fi
  mkdir -p "$R/share"
  rm -f "$R"/share/ready "$R"/share/stop "$R"/share/cmd.sh "$R"/share/cmd.out "$R"/guest-serial.log
  ( cd "$R" && write_guest_boot )
  date +%s.%N > "$R/boot.start"
  # A guest never outlives its lifetime (default 90 min), even when the program that booted it is killed.
  TMPDIR=$R setsid timeout --signal=KILL "${LIFETIME:-5400}" qemu-system-x86_64 $acc -m ${MEM:-2048} -smp ${SMP:-2} \
    -display none -serial file:$R/guest-serial.log -no-reboot -pidfile $R/qemu.pid \
    -kernel vmlinux -initrd initrd.gz -append 'console=ttyS0 panic=-1 quiet' \
    -drive file=root.img,if=virtio,format=raw,snapshot=on \
    -netdev user,id=n0,hostfwd=tcp:127.0.0.1:$ISCSI_PORT-:3260,hostfwd=tcp:127.0.0.1:$HTTP_PORT-:18700 \
    -device virtio-net-pci,netdev=n0 \
    -virtfs local,path=$R/share,mount_tag=share,security_model=none,id=share \
    > "$R/qemu-guest.out" 2>&1 < /dev/null &
  log "qemu started ($accel), pid $!"
}

wait_ready() {
  local t=${1:-600} i=0
  while [ ! -e "$R/share/ready" ]; do
    sleep 0.5; i=$((i+1)); [ $i -gt $((t*2)) ] && { echo "timeout"; tail -20 "$R/guest-serial.log"; return 1; }
  done
  log "guest ready $(echo "$(date +%s.%N) - $(cat "$R/boot.start")" | bc) s after qemu start"
}

gexec() {
  rm -f "$R/share/cmd.out"; echo "$*" > "$R/share/cmd.sh.tmp"; mv "$R/share/cmd.sh.tmp" "$R/share/cmd.sh"
  while [ ! -e "$R/share/cmd.out" ]; do sleep 0.2; done; cat "$R/share/cmd.out"
}

stop() {
  touch "$R/share/stop"
  local pid; pid=$(cat "$R/qemu.pid" 2>/dev/null || true)
  for i in $(seq 60); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  log "stopped"
}

case "${1:-}" in
  build) build ;;
  zfs-module) build_zfs_module ;;
  boot) boot "${2:-tcg}" ;;
  wait) wait_ready "${2:-600}" ;;
  exec) shift; gexec "$*" ;;
  stop) stop ;;
  *) echo "usage: $0 build|boot [tcg|kvm]|wait|exec CMD|stop"; exit 2 ;;
esac
