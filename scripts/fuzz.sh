#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS seconds each (default 600) on its corpus.
# Needs clang (Debian's clang and libclang-rt-14-dev). New inputs that raise coverage are
# written to build/fuzz/new-corpus/<target>/; crashes, leaks, time-outs and inputs slower than
# 10 s to build/fuzz/artifacts/. Any of those is a finding: the script exits 1. It ends with
# a table: target, seconds, inputs run, inputs/s, new coverage inputs, findings.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=($(ls fuzz/*_fuzzer.cc | xargs -n1 basename | sed 's/_fuzzer.cc//'))
fi
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target $(printf '%s_fuzzer ' "${targets[@]}")
status=0
summary=()
for t in "${targets[@]}"; do
  mkdir -p "build/fuzz/new-corpus/$t" build/fuzz/artifacts "build/fuzz/logs"
  echo "== $t: ${seconds}s"
  before=$(ls build/fuzz/artifacts | wc -l)
  ok=1
  "build/fuzz/fuzz/${t}_fuzzer" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix=build/fuzz/artifacts/ "build/fuzz/new-corpus/$t" "fuzz/corpus/$t" \
    2>&1 | tee "build/fuzz/logs/$t.log" || ok=0
  findings=$(($(ls build/fuzz/artifacts | wc -l) - before))
  if [ "$ok" = 0 ] || [ "$findings" -gt 0 ]; then
    echo "!! $t: $findings new artifact(s) in build/fuzz/artifacts/ (crash, leak, time-out or slow input)"
    status=1
  fi
  stat() { awk -v k="stat::$1:" '$1 == k { print $2 }' "build/fuzz/logs/$t.log"; }
  summary+=("$(printf '%-20s %6s %12s %9s %6s %8s' "$t" "$seconds" "$(stat number_of_executed_units)" \
    "$(stat average_exec_per_sec)" "$(stat new_units_added)" "$findings")")
done
printf '%-20s %6s %12s %9s %6s %8s\n' target secs inputs inputs/s new findings
printf '%s\n' "${summary[@]}"
exit $status
