#!/usr/bin/env bash
# Concurrent streams through rsfd, and its memory over a soak.
#
# Phase 1 (bar: at least 5,000 concurrent streaming connections held): a slow upstream
# (bench/gateway_streams.cc) streams EVENTS events INTERVAL_MS apart to every request; STREAMS
# clients ask rsfd for a streamed chat completion, RAMP_PER_SECOND new ones a second (default
# 1000: 5 s to open 5,000; all at once overflows the kernel's SYN backlog of 2048 and the
# rest wait for SYN retries, which measures the kernel). Reported: how many were streaming
# at the same moment, how many finished with [DONE], rsfd's resident memory before, at the
# peak and after.
#
# Phase 2 (bar: memory flat over a 10-minute soak; SOAK=0 skips it): wrk keeps 64 connections
# of streamed requests (3 events, no pause) on rsfd for SOAK seconds; rsfd's resident memory
# is sampled every 10 s. Flat = the last sample within 10% of the sample at one minute (the
# first minute fills pools and allocator arenas).
#
#   bench/gateway_streams.sh [BUILD_DIR]      (default build/release)
#   STREAMS=5000 EVENTS=30 INTERVAL_MS=1000 RAMP_PER_SECOND=1000 SOAK=600 bench/gateway_streams.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
rsf="$build/apps/rsf"
rsfd="$build/apps/rsfd"
tool="$build/bench/gateway_streams"
streams="${STREAMS:-5000}"
events="${EVENTS:-30}"
ramp="${RAMP_PER_SECOND:-1000}"
interval="${INTERVAL_MS:-1000}"
soak="${SOAK:-600}"
for t in "$rsf" "$rsfd" "$tool"; do
  [ -x "$t" ] || { echo "gateway_streams: build $t first (cmake --build $build)" >&2; exit 2; }
done
# rsfd holds two descriptors per stream (client and upstream); each process has its own limit.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((2 * streams + 256)) ]; then
  echo "gateway_streams: the open-files limit ($(ulimit -n)) is below $((2 * streams + 256)); raise it (ulimit -Hn)" >&2
  exit 2
fi

. bench/lib.sh
bench_setup
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"; }

slow_port=$(free_port)
fast_port=$(free_port)
"$tool" upstream "$slow_port" "$events" "$interval" & pids+=($!)
"$tool" upstream "$fast_port" 3 0 & pids+=($!)

"$rsf" demo --dir "$work/demo" --bulk 100 >/dev/null
echo "gateway_streams: $(date -u +%FT%TZ) $(nproc) cores"
bench_gateway streams "$slow_port"
start_rsfd streams
before=$(rss_kb "$rsfd_pid")
peak=$before
"$tool" clients "$rsfd_port" "$key" "$streams" "$ramp" > "$work/clients.out" &
clients=$!
while kill -0 "$clients" 2>/dev/null; do
  r=$(rss_kb "$rsfd_pid")
  [ "$r" -gt "$peak" ] && peak=$r
  sleep 0.5
done
wait "$clients" && ok=1 || ok=0
cat "$work/clients.out"
after=$(rss_kb "$rsfd_pid")
echo "CPU seconds used: rsfd $(cpu_s "$rsfd_pid"), upstream $(cpu_s "${pids[0]}") (clients: the rest of the machine)"
echo "rsfd resident memory: before $((before / 1024)) MiB, peak $((peak / 1024)) MiB, after $((after / 1024)) MiB" \
  "($(( (peak - before) / streams )) KiB per stream at the peak)"
held=$(sed -n 's/.*streaming at once (peak) \([0-9]*\).*/\1/p' "$work/clients.out")
if [ "${held:-0}" -ge 5000 ] && [ "$ok" = 1 ]; then
  echo "  bar: >= 5000 concurrent streams held: $held -> met"
else
  echo "  bar: >= 5000 concurrent streams held: ${held:-0} -> NOT met"
fi
kill "$rsfd_pid"

[ "$soak" -gt 0 ] || exit 0
command -v wrk >/dev/null || { echo "gateway_streams: the soak needs wrk (apt-get install wrk)" >&2; exit 2; }
bench_gateway soak "$fast_port"
start_rsfd soak
cat > "$work/stream.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"model":"frontier-1","stream":true,"max_tokens":64,"messages":[{"role":"user","content":"Count slowly."}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
EOF
wrk -t1 -c64 -d"${soak}s" -s "$work/stream.lua" "http://127.0.0.1:$rsfd_port/v1/chat/completions" > "$work/wrk.out" &
wrk_pid=$!
samples=()
for ((t = 0; t < soak; t += 10)); do
  samples+=("$(rss_kb "$rsfd_pid")")
  sleep 10
done
wait "$wrk_pid"
grep -E "requests in|Requests/sec|Non-2xx" "$work/wrk.out" | sed 's/^ */wrk: /'
echo "rsfd resident memory every 10 s (MiB): $(for s in "${samples[@]}"; do printf '%d ' $((s / 1024)); done)"
base=${samples[6]:-${samples[0]}}
last=${samples[-1]}
verdict=$(awk -v b="$base" -v l="$last" 'BEGIN { print (l <= 1.10 * b ? "met" : "NOT met") }')
echo "  bar: memory flat over ${soak} s (last within 10% of the 1-minute sample: $((last / 1024)) vs $((base / 1024)) MiB) -> $verdict"
