#!/usr/bin/env bash
# Guard quality against its bars, and what the project-authored supplement buys.
#
# Trains two models with the default settings — on ../shared/data/guard/train.jsonl alone, and
# with models/guard/data/supplement.jsonl added (the committed default model; the script
# checks that training reproduces it byte for byte) — then evaluates both on dev.jsonl (bar:
# unsafe AUPRC >= 0.95) and on models/guard/data/edgy_holdout.jsonl (benign-but-edgy prompts
# never trained or tuned on: the false-positive rate that matters for over-blocking).
#
#   bench/guard_quality.sh [RSF_BINARY]     (default build/release/apps/rsf)
set -euo pipefail
cd "$(dirname "$0")/.."
rsf="${1:-build/release/apps/rsf}"
data=../shared/data/guard
if [ ! -f "$data/train.jsonl" ] || [ ! -f "$data/dev.jsonl" ]; then
  echo "guard_quality: skipped: $data/train.jsonl and dev.jsonl are not present" >&2
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$rsf" guard train --data "$data/train.jsonl" --out "$work/public-only.rsfguard" >/dev/null
"$rsf" guard train --data "$data/train.jsonl" --data models/guard/data/supplement.jsonl \
  --out "$work/default.rsfguard" >/dev/null
if cmp -s "$work/default.rsfguard" models/guard/default.rsfguard; then
  echo "retrained default model: byte-identical to models/guard/default.rsfguard"
else
  echo "retrained default model: DIFFERS from models/guard/default.rsfguard" >&2
  exit 1
fi
for model in public-only default; do
  for set in "$data/dev.jsonl" models/guard/data/edgy_holdout.jsonl; do
    "$rsf" guard eval --model "$work/$model.rsfguard" --data "$set" --format json >"$work/$model.$(basename "$set").json"
  done
done
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def load(model, name):
    j = json.load(open(f"{work}/{model}.{name}.json"))
    unsafe = next(h for h in j["heads"] if h["head"] == "unsafe")
    v = j["verdict"]
    return unsafe["auprc"], v
print(f"{'model':<13} {'set':<19} {'unsafe AUPRC':>12} {'precision':>9} {'recall':>7} {'FPR':>7}")
for model in ["public-only", "default"]:
    for name, label in [("dev.jsonl", "dev (1188)"), ("edgy_holdout.jsonl", "edgy holdout (139)")]:
        auprc, v = load(model, name)
        print(f"{model:<13} {label:<19} {auprc:>12.4f} {v['precision']:>9.4f} {v['recall']:>7.4f} {v['fpr']:>7.4f}")
auprc, _ = load("default", "dev.jsonl")
print(f"bar: dev unsafe AUPRC >= 0.95: {'PASS' if auprc >= 0.95 else 'FAIL'} ({auprc:.4f})")
PY
