#!/usr/bin/env bash
# The shared ledger's writer after a backlog: what taking over a full inbox costs in memory.
#
# Three rsfd replicas on one PostgreSQL store and one shared ledger serve a fast local upstream
# under load (one wrk per replica, CONNS connections each). Replica 0, the elected writer, is
# stopped (SIGSTOP) for PAUSE seconds while the other two keep serving and queueing their audit
# batches in the inbox; then it is let go and drains the backlog. Printed: the inbox's rows and
# bytes at the end of the pause, and the writer's resident memory before the pause and each
# second or so after it (the other replicas' for comparison). Memory the writer takes here it
# keeps (the allocator does not return it), so the peak is what matters.
#
# Cores: wrk and the upstream on CLIENT_CPU (0); replicas and PostgreSQL on PROXY_CPU (1).
#
#   bench/gateway_writer_backlog.sh [BUILD_DIR]     (default build/release)
#   PAUSE=20 CONNS=2 bench/gateway_writer_backlog.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
rsf="$build/apps/rsf"
rsfd="$build/apps/rsfd"
pause="${PAUSE:-20}"
conns="${CONNS:-2}"
client_cpu="${CLIENT_CPU:-0}"
proxy_cpu="${PROXY_CPU:-1}"
. bench/lib.sh
bench_tools gateway_writer_backlog
command -v psql >/dev/null || { echo "gateway_writer_backlog: needs psql (apt-get install postgresql-client)" >&2; exit 2; }
bench_setup
start_fast_upstream "$client_cpu"
start_postgres taskset -c "$proxy_cpu"
"$rsf" demo --dir "$work/demo" --bulk 20 >/dev/null
bench_gateway replica "$up_port" "$pg_uri" "replicas: {shared_ledger: true, reload_s: 5}"

replica_pids=()
ports=()
for i in 0 1 2; do
  RSFD_INSTANCE=r$i RSFD_FLAGS="--io-threads 1" start_rsfd replica taskset -c "$proxy_cpu"
  if [ "$i" = 0 ]; then export RSF_KEY="$key"; fi
  replica_pids+=("$rsfd_pid")
  ports+=("$rsfd_port")
  sleep 1  # replica 0 takes the lease first
done
post_lua
rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

echo "gateway_writer_backlog: $(date -u +%FT%TZ) $(nproc) cores; three replicas, $conns connections each; writer stopped for ${pause}s"
wpids=()
for i in 0 1 2; do
  taskset -c "$client_cpu" wrk -t1 -c"$conns" -d$((pause + 40))s -s "$work/post.lua" \
    "http://127.0.0.1:${ports[$i]}/v1/chat/completions" > "$work/wrk$i.txt" &
  wpids+=($!)
done
sleep 5
echo "writer (r0) before the pause: $(rss "${replica_pids[0]}") MiB; r1 $(rss "${replica_pids[1]}") MiB"
kill -STOP "${replica_pids[0]}"
sleep "$pause"
read -r rows bytes < <(psql "$pg_uri" -Atc \
  "SELECT count(*), coalesce(sum(length(value)), 0) FROM rsf_documents WHERE collection = 'ledger.inbox'" | tr '|' ' ')
echo "inbox at the end of the pause: $rows rows, $((bytes / 1000000)) MB"
kill -CONT "${replica_pids[0]}"
peak=0
for t in 1 2 3 4 5 10 20 30; do
  sleep $((t <= 5 ? 1 : (t == 10 ? 5 : 10)))
  now=$(rss "${replica_pids[0]}")
  peak=$(awk -v a="$peak" -v b="$now" 'BEGIN { print (b > a ? b : a) }')
  echo "  ${t}s after: writer $now MiB, r1 $(rss "${replica_pids[1]}") MiB, inbox $(psql "$pg_uri" -Atc \
    "SELECT count(*) FROM rsf_documents WHERE collection = 'ledger.inbox'") rows"
done
wait "${wpids[@]}"
echo "writer's peak after the backlog: $peak MiB"
