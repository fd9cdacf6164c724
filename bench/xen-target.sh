#!/usr/bin/env bash
# Timing harness of a distribution's Xen as a target (docs/performance.md, "Stock xen.gz as a target").
# Usage: bench/xen-target.sh XEN_GZ [RUNS]
#   XEN_GZ  Debian's xen-4.17-amd64.gz (the lab keeps one: ~/.cache/xsplice/xenlab/<key>/xen.gz)
#   RUNS    cold CLI runs per command (default 10)
# Prints min / median / max wall seconds of each command, a fresh JVM each run, for the stock
# image and for the reference hypervisor's xen-syms.
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/../scripts/env.sh"
xs_setup
cd "$XSPLICE_HOME"
xen=$(readlink -f "$1")
runs=${2:-10}
xs_ensure_built
ref=xsplice-hv/target/hv/xen-syms
[ -f "$ref" ] || mvn -B -ntp -q -pl xsplice-hv -am package -DskipTests >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin/xsplice-build cfile examples/livepatch/hello_world.c --target "$xen" -o "$work/x.livepatch" >/dev/null
bin/xsplice-build cfile examples/livepatch/hello_world.c --target "$ref" -o "$work/r.livepatch" >/dev/null
stats() { sort -n | awk '{a[NR]=$1} END {printf "%.2f / %.2f / %.2f s\n", a[1], a[int((NR+1)/2)], a[NR]}'; }
time_it() {
  local label=$1; shift
  for _ in $(seq "$runs"); do
    /usr/bin/time -f %e "$@" >/dev/null 2>>"$work/t" || { echo "failed: $*" >&2; exit 1; }
    tail -n 1 "$work/t"
  done | stats | sed "s|^|$label: |"
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
time_it "check --target xen.gz  " bin/xen-xsplice check "$work/x.livepatch" --target "$xen"
time_it "check --target xen-syms" bin/xen-xsplice check "$work/r.livepatch" --target "$ref"
time_it "cfile --target xen.gz  " bin/xsplice-build cfile examples/livepatch/hello_world.c --target "$xen" -o "$work/y.livepatch"
time_it "cfile --target xen-syms" bin/xsplice-build cfile examples/livepatch/hello_world.c --target "$ref" -o "$work/z.livepatch"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
