#!/bin/sh
# /init of the lab's dom0 initramfs: brings up just enough of a Xen dom0 for the toolstack
# (xenfs, privcmd, xenstored, xen-init-dom0), runs the scenario's commands /lab/cmd/NNN in
# order and powers the machine off.
#
# Results go to the virtio disk /dev/vda, not to the console: the console is shared with
# Xen's own printk and the two interleave mid-line. Disk layout (text header, raw output):
#   XENLAB-RESULTS 1\n
#   XENLAB-CMD <id> <exit code> <output bytes>\n<output>\n      (once per command)
#   XENLAB-DONE\n                                               (after the last command)
# The disk is rewritten after every command, so a hung command still leaves the results of
# the ones before it. The console gets short progress markers for the serial log.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run /tmp
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
echo 1 > /proc/sys/kernel/printk
mkdir -p /run/xen /run/xenstored /run/lock /var/lib/xen /var/log/xen

R=/tmp/results
printf 'XENLAB-RESULTS 1\n' > $R
flush() {
  dd if=$R of=/dev/vda bs=64k conv=notrunc,fsync status=none
}
record() { # $1 id, $2 rc, $3 output file
  printf 'XENLAB-CMD %s %s %s\n' "$1" "$2" "$(wc -c < "$3")" >> $R
  cat "$3" >> $R
  printf '\n' >> $R
  flush
}
poweroff_now() {
  sync
  # isa-debug-exit: QEMU exits at once; the sysrq power-off is the fallback.
  printf '\000' | dd of=/dev/port bs=1 seek=244 count=1 status=none 2>/dev/null
  echo o > /proc/sysrq-trigger
  sleep 60
}

# Setup is command 0: its output explains a broken dom0.
(
  set -ex
  for m in virtio_pci virtio_blk xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd; do modprobe $m; done
  i=0; until [ -b /dev/vda ] || [ $i -ge 50 ]; do sleep 0.2; i=$((i+1)); done
  [ -b /dev/vda ]
  mount -t xenfs xenfs /proc/xen
  cat /proc/xen/capabilities
  XENSTORED_ROOTDIR=/run/xenstored /usr/lib/xen-4.17/bin/xenstored --pid-file /run/xenstore.pid
  i=0; until xenstore-read -s / >/dev/null 2>&1 || [ $i -ge 60 ]; do sleep 0.5; i=$((i+1)); done
  xenstore-read -s / >/dev/null
  /usr/lib/xen-4.17/bin/xen-init-dom0
) > /tmp/setup.out 2>&1
setup_rc=$?
if [ ! -b /dev/vda ]; then
  echo "XENLAB: no result disk /dev/vda"
  cat /tmp/setup.out
  poweroff_now
fi
record 0 $setup_rc /tmp/setup.out
echo "XENLAB: dom0 ready at $(cut -d' ' -f1 /proc/uptime)s"

for c in /lab/cmd/*; do
  [ -f "$c" ] || continue
  id=$(basename "$c")
  echo "XENLAB: command $id begins at $(cut -d' ' -f1 /proc/uptime)s"
  (cd / && sh "$c") > /tmp/cmd.out 2>&1 < /dev/null
  rc=$?
  record "$id" $rc /tmp/cmd.out
  echo "XENLAB: command $id ended rc=$rc at $(cut -d' ' -f1 /proc/uptime)s"
done
printf 'XENLAB-DONE\n' >> $R
flush
echo "XENLAB: done at $(cut -d' ' -f1 /proc/uptime)s"
poweroff_now
