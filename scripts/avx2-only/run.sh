#!/usr/bin/env bash
# Runs a command as on an AVX2-only CPU (AMD Zen 3, older Xeons) on a machine that has AVX-512, VNNI
# or AMX, so int8 and fp32 figures for CPUs without VNNI can be measured and tested here:
#   bash scripts/avx2-only/run.sh npm run bench:keras
# CPUID answers come from hide-avx512.c (LD_PRELOAD, Linux CPUID faulting) and /proc/cpuinfo is a
# copy without those flags (bind-mounted in a private mount namespace: needs root, as in our sandboxes).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if ! grep -qw cpuid_fault /proc/cpuinfo; then
  echo "avx2-only: this kernel/CPU offers no CPUID faulting (no cpuid_fault flag in /proc/cpuinfo); run on a real AVX2-only machine instead" >&2
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/transferkit-avx2-only-XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -shared -fPIC -o "$work/hide-avx512.so" "$here/hide-avx512.c"
sed -E '/^flags/ s/ (avx512[a-z0-9_]*|avx_vnni[a-z0-9_]*|amx[a-z0-9_]*)//g' /proc/cpuinfo > "$work/cpuinfo"
unshare --mount sh -c 'mount --bind "$1" /proc/cpuinfo && shift && exec "$@"' sh "$work/cpuinfo" \
  env LD_PRELOAD="$work/hide-avx512.so${LD_PRELOAD:+:$LD_PRELOAD}" TRANSFERKIT_CPU_MASK=avx2-only "$@"
