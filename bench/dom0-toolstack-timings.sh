#!/usr/bin/env bash
# Timing harness of the xsplice toolstack in dom0 (docs/performance.md, "Toolstack in dom0").
# Usage: bench/dom0-toolstack-timings.sh [RUNS]   (default 3 runs of each variant, one boot)
set -euo pipefail
source "$(dirname "$(readlink -f "$0")")/../scripts/env.sh"
xs_setup
cd "$XSPLICE_HOME"
runs=${1:-3}
mvn -B -ntp -q -pl xsplice-cli -am package -DskipTests >&2
cp="$XSPLICE_HOME/xsplice-cli/target/xsplice-cli.jar:$(ls "$XSPLICE_HOME"/xsplice-cli/target/lib/*.jar | paste -sd:)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$cp" org.xsplice.cli.bench.Dom0ToolstackTimings "$runs" "$cp"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
