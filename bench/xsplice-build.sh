#!/usr/bin/env bash
# Benchmark of xsplice-build on the reference hypervisor (docs/performance.md, "xsplice-build").
#  1. diff stage over every object pair: a patch that changes one function in every source file;
#  2. end to end for a one-function patch (hello world): compile vs diff + link.
# Usage: bench/xsplice-build.sh [runs]   (prints the TIMES line of each run)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
work=$(mktemp -d /tmp/xsplice-build-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$root/xsplice-hv/src/main/c
pinned=(XEN_COMPILE_DATE=xsplice-build XEN_COMPILE_BY=xsplice XEN_COMPILE_DOMAIN=xsplice XEN_CHANGESET=xsplice-build)
make -s -C "$src" -j2 O="$work/orig" "${pinned[@]}" >/dev/null
# A patch touching every .c file: a new function at the end of each (every pair is correlated and compared).
cp -a "$src" "$work/a"; cp -a "$src" "$work/b"
for f in $(cd "$work/b" && find . -name '*.c' | sort); do
  n=$(echo "$f" | tr -c 'A-Za-z0-9\n' '_')
  printf '\nint bench_touch%s(int x);\nint bench_touch%s(int x)\n{\n    return x * 3 + 1;\n}\n' "$n" "$n" >> "$work/b/$f"
done
(cd "$work" && diff -ru a b | sed 's|^--- a/|--- a/|; s|^+++ b/|+++ b/|' > all-files.patch || true)
cp "$root/xsplice-build/src/test/resources/scenarios/hello-world/patch.diff" "$work/hello-world.patch"
for i in $(seq 1 "$runs"); do
  for p in all-files hello-world; do
    echo "== $p run $i"
    "$root/bin/xsplice-build" --srcdir "$src" --patch "$work/$p.patch" --target "$work/orig/xen-syms" \
      --original-build "$work/orig" --workdir "$work/w-$p-$i" -o "$work/$p-$i.livepatch" --make-var "${pinned[0]}" \
      2>&1 >/dev/null | grep -E 'TIMES|BUILT|DIFF' | sed 's/^/  /' | head -25
  done
done
