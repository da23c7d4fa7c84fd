#!/usr/bin/env bash
# bench/incident_drills.sh — issue 9's bar: on the demo stack, the shipped drill scenarios
# detect within 5 s and contain within 5 s of the injected event.
#
# Runs as a user would: `rsf demo` for the signed demo stack, a local webhook receiver
# (`rsf incident webhook-sink`) as the pager, rsfd on the demo's gateway configuration (drill
# mode), an admin key made offline, then `rsf drill run` of each shipped scenario ROUNDS times
# (default 10). Prints min / median / max of detect, contain and notify per scenario against
# the 5 s bars, and exits non-zero when a drill failed.
#
#   bench/incident_drills.sh [build/release] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
rounds="${2:-10}"
rsf="$build/apps/rsf"
rsfd="$build/apps/rsfd"
source bench/lib.sh
bench_setup
"$rsf" demo --dir "$work/demo" >/dev/null
gdir="$work/demo/gateway"
hook_port=$(free_port)
"$rsf" incident webhook-sink --listen "127.0.0.1:$hook_port" >"$work/hooks.jsonl" 2>/dev/null &
pids+=($!)
# The demo's runbooks point at its own (stopped) receiver: point them at this one.
sed -i -E "s#http://127\.0\.0\.1:[0-9]+#http://127.0.0.1:$hook_port#g" "$gdir"/runbooks/*.yaml
admin=$("$rsf" gateway key create --config "$gdir/gateway.yaml" --tenant bench --role admin 2>/dev/null | head -1)
"$rsfd" --config "$gdir/gateway.yaml" --listen 127.0.0.1:0 --ready-file "$work/port" >"$work/rsfd.out" 2>"$work/rsfd.log" &
pids+=($!)
for _ in $(seq 1 400); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || { echo "rsfd did not start:" >&2; cat "$work/rsfd.log" >&2; exit 1; }
url="http://127.0.0.1:$(cat "$work/port")"
failed=0
for _ in $(seq 1 "$rounds"); do
  for s in weapons-burst universal-jailbreak weights-alarm; do
    "$rsf" drill run "$gdir/$s.yaml" --gateway "$url" --key "$admin" --format json >>"$work/reports.jsonl" 2>>"$work/drill.err" || failed=1
  done
done
python3 - "$work/reports.jsonl" "$rounds" <<'PY'
import json, statistics, sys
reports = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(f"incident drills on the demo stack: {len(reports)} drills, {sys.argv[2]} rounds per scenario "
      "(rsfd and rsf drill run on one host; times from the first injected event)")
print(f"{'scenario':<22}{'passed':>8}  {'detect s min/med/max':>24}  {'contain s min/med/max':>24}  {'notify s min/med/max':>24}")
by = {}
for r in reports: by.setdefault(r["scenario"], []).append(r)
worst = {"detect": 0.0, "contain": 0.0}
for name, rs in by.items():
    cells = []
    for m in ("detect", "contain", "notify"):
        v = [r[m]["seconds"] for r in rs if r.get(m) and r[m]["seconds"] is not None]
        if m in worst and v: worst[m] = max(worst[m], max(v))
        cells.append(f"{min(v):.3f}/{statistics.median(v):.3f}/{max(v):.3f}" if v else "—")
    ok = sum(1 for r in rs if r["passed"])
    print(f"{name:<22}{ok:>5}/{len(rs):<2}  {cells[0]:>24}  {cells[1]:>24}  {cells[2]:>24}")
print(f"bar: detect <= 5 s (worst {worst['detect']:.3f} s), contain <= 5 s (worst {worst['contain']:.3f} s): "
      + ("met" if worst["detect"] <= 5 and worst["contain"] <= 5 and all(r["passed"] for r in reports) else "NOT met"))
PY
echo "notifications received by the webhook: $(wc -l <"$work/hooks.jsonl")"
exit $failed
