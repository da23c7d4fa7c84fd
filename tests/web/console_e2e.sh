#!/usr/bin/env bash
# End-to-end tests of the web console: `rsf demo` builds a ledger, a signed decision and a
# gateway configuration; rsfd serves them on 127.0.0.1 (port 0); tests/web/console.e2e.mjs
# drives Debian's Chromium through playwright-core (installed by `npm ci` in tests/web, which
# scripts/dev.sh test runs) and checks the screenshots in SHOTS_DIR against tests/web/golden/.
#
#   tests/web/console_e2e.sh RSF RSFD SHOTS_DIR
# Exit 77 (CTest: skipped) with the reason when Node.js >= 20, playwright-core or Chromium is
# missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rsf="$1"
rsfd="$2"
shots="${3:-$(mktemp -d)}"
chromium_bin="${CHROMIUM:-/usr/bin/chromium}"

skip() { echo "SKIPPED: $*" >&2; exit 77; }
command -v node >/dev/null || skip "Node.js is not installed (the console tests need Node.js >= 20)"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || skip "Node.js $(node --version) is too old (>= 20 needed)"
[ -d "$here/node_modules/playwright-core" ] || skip "playwright-core is not installed: run 'npm ci' in tests/web (scripts/dev.sh test does)"
[ -x "$chromium_bin" ] || skip "Chromium is not installed at $chromium_bin (apt-get install chromium)"

work="$(mktemp -d)"
rsfd_pid=""
cleanup() {
  [ -n "$rsfd_pid" ] && kill "$rsfd_pid" 2>/dev/null && wait "$rsfd_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$rsf" demo --dir "$work/demo" --bulk 50 >"$work/demo.log" 2>&1 || { cat "$work/demo.log" >&2; exit 1; }
config="$work/demo/gateway/gateway.yaml"
client_key=$("$rsf" gateway key create --config "$config" --tenant e2e --tier vetted-researcher 2>/dev/null | head -1)
"$rsfd" --config "$config" --listen 127.0.0.1:0 --ready-file "$work/port" --io-threads 1 >"$work/rsfd.log" 2>&1 &
rsfd_pid=$!
for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || { echo "rsfd did not start:" >&2; cat "$work/rsfd.log" >&2; exit 1; }

export RSF_BASE="http://127.0.0.1:$(cat "$work/port")"
export RSF_ADMIN_KEY="$(cat "$work/demo/gateway/console-admin.key")"
export RSF_AUDITOR_KEY="$(cat "$work/demo/gateway/console-auditor.key")"
export RSF_CLIENT_KEY="$client_key"
export RSF_SHOTS="$shots"
export RSF_GOLDEN="$here/golden"
export CHROMIUM="$chromium_bin"
# A few requests so the traffic chart has something to show.
for i in 1 2 3; do
  curl -s -o /dev/null -H "Authorization: Bearer $RSF_CLIENT_KEY" -H 'Content-Type: application/json' \
    -d '{"model":"frontier-1","messages":[{"role":"user","content":"Tell me a short story."}],"max_tokens":8}' \
    "$RSF_BASE/v1/chat/completions" || true
done
node "$here/console.e2e.mjs"
