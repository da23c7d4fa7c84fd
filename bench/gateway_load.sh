#!/usr/bin/env bash
# What rsfd adds to a model call, against nginx as a plain reverse proxy, in one run.
#
# A fast local upstream (nginx answering every POST with a fixed OpenAI stream) is measured
# three ways with wrk: directly, through nginx (proxy_pass with keep-alive upstream
# connections), and through rsfd with everything on — API-key authentication, the tier
# policy, per-key and per-tier rate limits, the guard on the prompt and on the response, the
# decision binding and the audit batched into the ledger. Added latency = through the proxy
# minus direct, at the same percentile and connection count.
#
# Bars (issue 6): rsfd's added p50 <= 100 us at 1 connection; at 16 and 64 connections its
# added p50 and p99 <= 1.25x nginx's, and its throughput >= 80% of nginx's.
#
# Cores (2 on the reference machine): wrk and the upstream share core 0; the proxy under test
# (rsfd with one network thread, or nginx with one worker) has core 1 to itself. Override with
# CLIENT_CPU / PROXY_CPU.
#
#   bench/gateway_load.sh [BUILD_DIR]        (default build/release)
#   DURATION=10 CONNS="1 16 64" bench/gateway_load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
rsf="$build/apps/rsf"
rsfd="$build/apps/rsfd"
duration="${DURATION:-10}"
conns="${CONNS:-1 16 64}"
client_cpu="${CLIENT_CPU:-0}"
proxy_cpu="${PROXY_CPU:-1}"
. bench/lib.sh
bench_tools gateway_load
bench_setup
start_fast_upstream "$client_cpu"
ngx_port=$(free_port)

nginx_conf proxy "  upstream model { server 127.0.0.1:$up_port; keepalive 128; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$ngx_port;
    location / {
      proxy_pass http://model;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }
  }"
taskset -c "$proxy_cpu" nginx -c "$work/proxy/nginx.conf" -e "$work/proxy/error.log" & pids+=($!)

# rsfd: the demo's policy and signed decision (deploy_restricted to vetted researchers and
# auditors), the model served from the upstream above, the strict guard.
"$rsf" demo --dir "$work/demo" --bulk 100 >/dev/null
bench_gateway bench "$up_port"
RSFD_FLAGS="--io-threads 1" start_rsfd bench taskset -c "$proxy_cpu"
export RSF_KEY="$key"
gw_port=$rsfd_port

post_lua
for url in "http://127.0.0.1:$up_port" "http://127.0.0.1:$ngx_port" "http://127.0.0.1:$gw_port"; do
  for _ in $(seq 1 100); do curl -s -o /dev/null "$url/" && break; sleep 0.05; done
  code=$(curl -s -o "$work/check.out" -w '%{http_code}' -H "Authorization: Bearer $RSF_KEY" -H 'Content-Type: application/json' \
    -d "$body" "$url/v1/chat/completions")
  [ "$code" = 200 ] || { echo "gateway_load: $url answered $code: $(cat "$work/check.out")" >&2; exit 1; }
done

# run TARGET CONNS -> "p50_us p99_us rps"
run() {
  local out
  out=$(taskset -c "$client_cpu" wrk -t1 -c"$2" -d"${duration}s" --latency -s "$work/post.lua" "$1/v1/chat/completions")
  if grep -q "Non-2xx" <<<"$out"; then echo "gateway_load: errors from $1:" >&2; echo "$out" >&2; exit 1; fi
  local p50 p99 rps
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
  echo "$(to_us "$p50") $(to_us "$p99") $rps"
}

echo "gateway_load: $(date -u +%FT%TZ) $(nproc) cores; wrk+upstream on cpu $client_cpu, proxy on cpu $proxy_cpu; ${duration}s per run"
echo "rsfd: auth + tier policy + rate limits (per key, per tier) + guard (prompt, response) + decision + ledger audit"
printf '%-6s %-7s %10s %10s %10s %12s %12s\n' conns target p50_us p99_us req_s added_p50_us added_p99_us
fail=0
for c in $conns; do
  read -r d50 d99 drps < <(run "http://127.0.0.1:$up_port" "$c")
  read -r n50 n99 nrps < <(run "http://127.0.0.1:$ngx_port" "$c")
  read -r g50 g99 grps < <(run "http://127.0.0.1:$gw_port" "$c")
  printf '%-6s %-7s %10.1f %10.1f %10.0f %12s %12s\n' "$c" direct "$d50" "$d99" "$drps" - -
  na50=$(awk -v a="$n50" -v b="$d50" 'BEGIN { printf "%.1f", a - b }')
  na99=$(awk -v a="$n99" -v b="$d99" 'BEGIN { printf "%.1f", a - b }')
  ga50=$(awk -v a="$g50" -v b="$d50" 'BEGIN { printf "%.1f", a - b }')
  ga99=$(awk -v a="$g99" -v b="$d99" 'BEGIN { printf "%.1f", a - b }')
  printf '%-6s %-7s %10.1f %10.1f %10.0f %12s %12s\n' "$c" nginx "$n50" "$n99" "$nrps" "$na50" "$na99"
  printf '%-6s %-7s %10.1f %10.1f %10.0f %12s %12s\n' "$c" rsfd "$g50" "$g99" "$grps" "$ga50" "$ga99"
  if [ "$c" = 1 ]; then
    verdict=$(awk -v g="$ga50" 'BEGIN { print (g <= 100 ? "met" : "NOT met") }')
    echo "  bar: rsfd added p50 at 1 connection <= 100 us: $ga50 us -> $verdict"
  else
    v50=$(awk -v g="$ga50" -v n="$na50" 'BEGIN { print (g <= 1.25 * n ? "met" : "NOT met") }')
    v99=$(awk -v g="$ga99" -v n="$na99" 'BEGIN { print (g <= 1.25 * n ? "met" : "NOT met") }')
    vt=$(awk -v g="$grps" -v n="$nrps" 'BEGIN { print (g >= 0.8 * n ? "met" : "NOT met") }')
    ratio=$(awk -v g="$grps" -v n="$nrps" 'BEGIN { printf "%.2f", g / n }')
    echo "  bars at $c: added p50 <= 1.25x nginx ($ga50 vs $na50 us) -> $v50;" \
      "added p99 <= 1.25x nginx ($ga99 vs $na99 us) -> $v99; throughput >= 0.8x nginx ($ratio) -> $vt"
    verdict="$v50 $v99 $vt"
  fi
  case "$verdict" in *NOT*) fail=1 ;; esac
done
exit "$fail"
