#!/usr/bin/env bash
# Timing harness of the real-Xen lab (docs/performance.md, "Real Xen lab").
# Usage: bench/xenlab-timings.sh [CACHE_DIR] [BOOTS]
#   CACHE_DIR  lab cache to use; a directory that does not exist yet gives the cold-cache time
#              (default: a fresh temporary directory, removed afterwards)
#   BOOTS      number of one-command boots to time (default 3)
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/../scripts/env.sh"
xs_setup
cd "$XSPLICE_HOME"
cache=${1:-}
boots=${2:-3}
cleanup=""
if [ -z "$cache" ]; then
  cache=$(mktemp -d)/xenlab
  cleanup=$(dirname "$cache")
fi
mvn -B -ntp -q -pl xsplice-xen -am compile >&2
cp="$XSPLICE_HOME/xsplice-xen/target/classes:$XSPLICE_HOME/xsplice-elf/target/classes:$XSPLICE_HOME/xsplice-payload/target/classes"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp" org.xsplice.xen.lab.XenLabTimings "$cache" "$boots" "$cp"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "$cleanup" ] && rm -rf "$cleanup"
exit 0
