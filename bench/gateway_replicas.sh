#!/usr/bin/env bash
# Three rsfd replicas on one PostgreSQL store and one shared ledger, against one replica on the
# same store, under the same load; then (SOAK > 0) the three under load for SOAK seconds.
#
# Everything on, as in bench/gateway_load.sh (authentication, tier policy, per-key and per-tier
# rate limits shared through the store, guard on prompt and response, decision binding, audit
# to the shared ledger), in front of a fast local upstream (nginx answering with a fixed
# OpenAI stream). For each load level N (CONNS, default "1 5 21"):
#   one replica:    one wrk with 3N connections to replica 0 (the others idle);
#   three replicas: three wrk at once, N connections each, one per replica.
# The two alternate for ROUNDS rounds (default 3; on a shared VM consecutive identical runs
# differ by up to 1.7x in throughput), and each figure is the median over the rounds.
# Reported: p50 and p99 (for three replicas the worst of the three wrk), total requests/s, and
# the CPU the replicas and PostgreSQL spent per request (what being several costs in work, as
# opposed to in waiting for the scheduler).
#
# Bar (issue 11): three replicas keep the single-replica latency within 20%: their p50 and p99
# at most 1.2x one replica's at the same total connections.
#
# Soak (bar: flat memory and no errors): three wrk, SOAK_CONNS connections each (default 2:
# steady load that leaves PostgreSQL, which shares the replicas' core, room to answer), for SOAK seconds;
# every rsfd's resident memory sampled every 10 s. Flat = each replica's last sample within
# 10% of its sample at one minute (the first minute fills pools and allocator arenas). Errors
# = non-2xx answers and socket errors wrk reports.
#
# Cores (2 on the reference machine): wrk and the upstream share CLIENT_CPU (0); the replicas
# and PostgreSQL share PROXY_CPU (1), so one loaded replica and three have the same CPU to
# spend. On one core three processes also pay for being scheduled in turn, which a deployment
# with a core per replica does not.
#
#   bench/gateway_replicas.sh [BUILD_DIR]            (default build/release)
#   DURATION=10 ROUNDS=3 CONNS="1 5 21" SOAK=1800 SOAK_CONNS=2 bench/gateway_replicas.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
rsf="$build/apps/rsf"
rsfd="$build/apps/rsfd"
duration="${DURATION:-10}"
rounds="${ROUNDS:-3}"
conns="${CONNS:-1 5 21}"
soak="${SOAK:-0}"
soak_conns="${SOAK_CONNS:-2}"
client_cpu="${CLIENT_CPU:-0}"
proxy_cpu="${PROXY_CPU:-1}"
. bench/lib.sh
bench_tools gateway_replicas
bench_setup
start_fast_upstream "$client_cpu"
start_postgres taskset -c "$proxy_cpu"

"$rsf" demo --dir "$work/demo" --bulk 20 >/dev/null
bench_gateway replica "$up_port" "$pg_uri" "replicas: {shared_ledger: true, reload_s: 5}"

post_lua
check() {
  local code
  for _ in $(seq 1 100); do curl -s -o /dev/null "$1/healthz" && break; sleep 0.05; done
  code=$(curl -s -o "$work/check.out" -w '%{http_code}' -H "Authorization: Bearer $RSF_KEY" -H 'Content-Type: application/json' \
    -d "$body" "$1/v1/chat/completions")
  [ "$code" = 200 ] || { echo "gateway_replicas: $1 answered $code: $(cat "$work/check.out")" >&2; exit 1; }
}
# wrk_run URL CONNS SECONDS OUT: wrk's report in OUT
wrk_run() { taskset -c "$client_cpu" wrk -t1 -c"$2" -d"${3}s" --latency -s "$work/post.lua" "$1/v1/chat/completions" > "$4"; }
# wrk_each CONNS SECONDS NAME: one wrk per replica at once; reports in $work/NAME-<i>.txt, listed in $files
wrk_each() {
  local i wpids=()
  files=()
  for i in 0 1 2; do
    wrk_run "http://127.0.0.1:${ports[$i]}" "$1" "$2" "$work/$3-$i.txt" &
    wpids+=($!)
    files+=("$work/$3-$i.txt")
  done
  wait "${wpids[@]}"
}
# summary FILE... -> "worst_p50_us worst_p99_us total_rps errors"
summary() {
  local p50=0 p99=0 rps=0 errors=0 f v
  for f in "$@"; do
    v=$(to_us "$(awk '$1 == "50%" { print $2 }' "$f")"); p50=$(awk -v a="$p50" -v b="$v" 'BEGIN { print (b > a ? b : a) }')
    v=$(to_us "$(awk '$1 == "99%" { print $2 }' "$f")"); p99=$(awk -v a="$p99" -v b="$v" 'BEGIN { print (b > a ? b : a) }')
    rps=$(awk -v a="$rps" -v b="$(awk '/^Requests\/sec/ { print $2 }' "$f")" 'BEGIN { print a + b }')
    errors=$((errors + $(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$f")))
  done
  echo "$p50 $p99 $rps $errors"
}

echo "gateway_replicas: $(date -u +%FT%TZ) $(nproc) cores; wrk+upstream on cpu $client_cpu, rsfd replicas+PostgreSQL on cpu $proxy_cpu; ${duration}s per run"
echo "rsfd: auth + tier policy + shared rate limits (per key, per tier) + guard + decision + audit to the shared ledger"

# Three replicas on the same store and ledger; "one replica" loads only the first.
ports=()
replica_pids=()
for i in 0 1 2; do
  RSFD_INSTANCE=r$i RSFD_FLAGS="--io-threads 1" start_rsfd replica taskset -c "$proxy_cpu"
  [ "$i" = 0 ] && export RSF_KEY="$key"
  ports+=("$rsfd_port")
  replica_pids+=("$rsfd_pid")
done
for p in "${ports[@]}"; do check "http://127.0.0.1:$p"; done
# CPU ticks (1/100 s) used so far by the replicas and PostgreSQL (the postmaster and its children)
cpu_ticks() {
  local pm
  pm=$(head -1 "$work/pg/data/postmaster.pid")
  for p in "${replica_pids[@]}" "$pm" $(pgrep -P "$pm"); do awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || true; done |
    awk '{ s += $1 } END { print s + 0 }'
}
# microseconds of CPU per request: TICKS_BEFORE TICKS_AFTER REQ_PER_S
cpu_per_request() { awk -v a="$1" -v b="$2" -v r="$3" -v d="$duration" 'BEGIN { printf "%.0f", (b - a) * 10000 / (r * d) }'; }
# median of the arguments
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
printf '%-12s %-9s %10s %10s %10s %7s %11s\n' total_conns replicas p50_us p99_us req_s errors cpu_us/req
fail=0
for c in $conns; do
  s50=(); s99=(); srps=(); scpu=(); t50=(); t99=(); trps=(); tcpu=(); errs=0
  for r in $(seq 1 "$rounds"); do
    before=$(cpu_ticks)
    wrk_run "http://127.0.0.1:${ports[0]}" $((3 * c)) "$duration" "$work/single.txt"
    after=$(cpu_ticks)
    read -r a b d e < <(summary "$work/single.txt")
    s50+=("$a"); s99+=("$b"); srps+=("$d"); errs=$((errs + e)); scpu+=("$(cpu_per_request "$before" "$after" "$d")")
    before=$(cpu_ticks)
    wrk_each "$c" "$duration" three
    after=$(cpu_ticks)
    read -r a b d e < <(summary "${files[@]}")
    t50+=("$a"); t99+=("$b"); trps+=("$d"); errs=$((errs + e)); tcpu+=("$(cpu_per_request "$before" "$after" "$d")")
  done
  m_s50=$(median "${s50[@]}"); m_s99=$(median "${s99[@]}"); m_srps=$(median "${srps[@]}")
  m_t50=$(median "${t50[@]}"); m_t99=$(median "${t99[@]}"); m_trps=$(median "${trps[@]}")
  printf '%-12s %-9s %10.1f %10.1f %10.0f %7s %11s   (rounds: %s req/s)\n' $((3 * c)) 1 "$m_s50" "$m_s99" "$m_srps" - \
    "$(median "${scpu[@]}")" "${srps[*]}"
  printf '%-12s %-9s %10.1f %10.1f %10.0f %7s %11s   (rounds: %s req/s)\n' $((3 * c)) 3 "$m_t50" "$m_t99" "$m_trps" "$errs" \
    "$(median "${tcpu[@]}")" "${trps[*]}"
  v50=$(awk -v t="$m_t50" -v s="$m_s50" 'BEGIN { print (t <= 1.2 * s ? "met" : "NOT met") }')
  v99=$(awk -v t="$m_t99" -v s="$m_s99" 'BEGIN { print (t <= 1.2 * s ? "met" : "NOT met") }')
  r50=$(awk -v t="$m_t50" -v s="$m_s50" 'BEGIN { printf "%.2f", t / s }')
  r99=$(awk -v t="$m_t99" -v s="$m_s99" 'BEGIN { printf "%.2f", t / s }')
  echo "  bar at $((3 * c)) connections: three replicas' p50 <= 1.2x one's (${r50}x) -> $v50; p99 <= 1.2x (${r99}x) -> $v99"
  case "$v50 $v99" in *NOT*) fail=1 ;; esac
  [ "$errs" = 0 ] || { echo "  errors during the runs" >&2; fail=1; }
done
appended=""
for p in "${ports[@]}"; do
  appended+=" $(curl -s "http://127.0.0.1:$p/metrics" | awk '$1 == "rsf_ledger_appended_total" { print $2 }')"
done
echo "entries appended to the shared ledger by each replica:$appended"

if [ "$soak" -gt 0 ]; then
  echo "soak: three replicas, $soak_conns connections each, ${soak}s; resident memory (MiB) every 10 s"
  wrk_each "$soak_conns" "$soak" soak &
  soak_pid=$!
  rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
  samples="$work/rss.csv"
  echo "seconds,r0,r1,r2" > "$samples"
  start=$(date +%s)
  while [ $(($(date +%s) - start)) -lt "$soak" ]; do
    sleep 10
    echo "$(($(date +%s) - start)),$(rss "${replica_pids[0]}"),$(rss "${replica_pids[1]}"),$(rss "${replica_pids[2]}")" >> "$samples"
  done
  wait "$soak_pid"
  files=("$work"/soak-*.txt)
  read -r k50 k99 krps kerr < <(summary "${files[@]}")
  awk -F, 'NR > 1 && (NR - 2) % 18 == 0 { print "  t=" $1 "s  " $2 "  " $3 "  " $4 }' "$samples"
  verdict=$(awk -F, 'NR == 1 { next } $1 >= 60 && !base { base = 1; for (i = 2; i <= 4; ++i) b[i] = $i }
    { for (i = 2; i <= 4; ++i) l[i] = $i }
    END { ok = 1; for (i = 2; i <= 4; ++i) { printf "  r%d: %.1f MiB at 1 min, %.1f MiB at the end (%+.1f%%)\n", i - 2, b[i], l[i], 100 * (l[i] - b[i]) / b[i]; if (l[i] > 1.1 * b[i]) ok = 0 }
          print (ok ? "met" : "NOT met") }' "$samples")
  echo "$verdict" | sed '$d'
  echo "  requests: $(awk -v r="$krps" -v s="$soak" 'BEGIN { printf "%.0f", r * s }') at ${krps%.*} req/s; p50 ${k50} us, p99 ${k99} us; errors $kerr"
  mem=$(echo "$verdict" | tail -1)
  echo "  bar: memory flat (each replica's last sample within 10% of its 1-minute sample) -> $mem; no errors -> $([ "$kerr" = 0 ] && echo met || echo "NOT met")"
  case "$mem" in *NOT*) fail=1 ;; esac
  [ "$kerr" = 0 ] || fail=1
fi
exit "$fail"
