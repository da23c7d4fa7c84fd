# bench/lib.sh — shell helpers shared by the gateway benchmarks (sourced, not run).
#
#   bench_setup           a work directory in $work, removed with every process in $pids on exit
#   free_port             a free TCP port on 127.0.0.1
#   nginx_conf NAME BODY  writes $work/NAME/nginx.conf: one worker, no access log, BODY inside http {}
#   bench_gateway NAME UPSTREAM_PORT [STORE] [EXTRA]
#                         writes $work/demo/gateway/NAME.yaml (after `rsf demo --dir $work/demo`):
#                         the demo's signed model served from the upstream, strict guard, quotas
#                         far above the load, audit flushed every 200 ms; the store is NAME.db
#                         unless STORE is given; EXTRA is more YAML at the top level
#   start_postgres [PREFIX...]
#                         a throwaway PostgreSQL server (Debian's packages) in $work/pg on a Unix
#                         socket, run under PREFIX; sets $pg_uri; stopped on exit
#   bench_tools NAME      exits 2 with the apt-get line unless wrk, nginx, taskset, curl and the
#                         built $rsf and $rsfd are there (NAME: the script, for the message)
#   start_fast_upstream CPU
#                         nginx on CPU answering every POST with a fixed OpenAI stream (one
#                         content event, the finish event, usage, [DONE], as vLLM sends) and
#                         /health with 200; sets $up_port
#   post_lua              the chat request every load run sends ($body) as $work/post.lua for
#                         wrk, with the key from $RSF_KEY
#   to_us VALUE           microseconds from wrk's "123.45us" / "1.20ms" / "1.5s" style
#   start_rsfd NAME [PREFIX...]
#                         makes a client key ($key) and starts rsfd on NAME.yaml (run under
#                         PREFIX, e.g. taskset -c 1; extra flags in $RSFD_FLAGS; port and log
#                         files named after $RSFD_INSTANCE if set); sets $rsfd_pid and $rsfd_port

bench_setup() {
  work="$(mktemp -d)"
  pids=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${pg_stop:-}" ]; then eval "$pg_stop" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}

start_postgres() {
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$bindir" ] && [ -x "$bindir/initdb" ] || { echo "bench: needs PostgreSQL (apt-get install postgresql)" >&2; exit 2; }
  local as=""
  mkdir -p "$work/pg"
  if [ "$(id -u)" = 0 ]; then  # PostgreSQL refuses to run as root
    as="/usr/sbin/runuser -u postgres --"
    chmod 755 "$work"
    chown postgres "$work/pg"
  fi
  $as "$bindir/initdb" -D "$work/pg/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >/dev/null
  "$@" $as "$bindir/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w -t 60 \
    -o "-k $work/pg -c listen_addresses='' -p 5432 -c max_connections=200" start >/dev/null
  pg_stop="$as $bindir/pg_ctl -D $work/pg/data -m fast -w stop"
  pg_uri="postgresql:///postgres?host=$work/pg&port=5432&user=postgres"
}

bench_tools() {
  for tool in wrk nginx taskset curl; do
    command -v "$tool" >/dev/null || { echo "$1: needs $tool (apt-get install wrk nginx-light util-linux curl)" >&2; exit 2; }
  done
  [ -x "$rsf" ] && [ -x "$rsfd" ] || { echo "$1: build $rsf and $rsfd first (cmake --build $build)" >&2; exit 2; }
}

start_fast_upstream() {
  up_port=$(free_port)
  local sse='data: {"id":"b","object":"chat.completion.chunk","model":"bench","choices":[{"index":0,"delta":{"content":"Lisbon in spring is mild and sunny, around 20 degrees, with the odd shower."},"finish_reason":null}]}\n\ndata: {"id":"b","object":"chat.completion.chunk","model":"bench","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: {"id":"b","choices":[],"usage":{"prompt_tokens":14,"completion_tokens":18}}\n\ndata: [DONE]\n\n'
  nginx_conf upstream "  server {
    listen 127.0.0.1:$up_port;
    location /health { return 200 'ok'; }
    location / { default_type text/event-stream; return 200 '$sse'; }
  }"
  taskset -c "$1" nginx -c "$work/upstream/nginx.conf" -e "$work/upstream/error.log" &
  pids+=($!)
}

post_lua() {
  body='{"model":"frontier-1","messages":[{"role":"user","content":"What is the weather like in Lisbon in spring?"}],"max_tokens":32}'
  cat > "$work/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("RSF_KEY")
EOF
}

to_us() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else if (v ~ /s$/) print n * 1000000; else print n }'; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

nginx_conf() {
  mkdir -p "$work/$1"
  cat > "$work/$1/nginx.conf" <<END
worker_processes 1;
daemon off;
pid $work/$1/nginx.pid;
error_log $work/$1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/$1;
  proxy_temp_path $work/$1;
$2
}
END
}

bench_gateway() {
  cat > "$work/demo/gateway/$1.yaml" <<END
listen: 127.0.0.1:0
policy: policy.yaml
store: ${3:-$1.db}
ledger: ../ledger
audit: {flush_ms: 200}
${4:-}
models:
  - name: frontier-1
    backend: upstream
    upstreams: [{url: 'http://127.0.0.1:$2'}]
    decision: frontier-1.decision.json
    safeguards: {misuse-classifiers: guard}
tiers:
  - {id: vetted-researcher, models: ['*'], max_tokens: 64, guard: strict,
     requests_per_minute: 100000000, tokens_per_minute: 100000000000,
     tier_requests_per_minute: 100000000, tier_tokens_per_minute: 100000000000}
END
}

start_rsfd() {
  local name="$1"
  shift
  key=$("$rsf" gateway key create --config "$work/demo/gateway/$name.yaml" --tenant bench --tier vetted-researcher 2>/dev/null | head -1)
  local inst="${RSFD_INSTANCE:-$name}"
  rm -f "$work/$inst.port"
  # shellcheck disable=SC2086  # RSFD_FLAGS is a list of flags
  "$@" "$rsfd" --config "$work/demo/gateway/$name.yaml" --listen 127.0.0.1:0 --ready-file "$work/$inst.port" \
    ${RSFD_FLAGS:-} 2>"$work/$inst.log" &
  rsfd_pid=$!
  pids+=("$rsfd_pid")
  for _ in $(seq 1 400); do [ -s "$work/$inst.port" ] && break; sleep 0.05; done
  [ -s "$work/$inst.port" ] || { echo "rsfd did not start:" >&2; cat "$work/$inst.log" >&2; exit 1; }
  rsfd_port=$(cat "$work/$inst.port")
}
