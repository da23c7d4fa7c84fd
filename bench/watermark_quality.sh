#!/usr/bin/env bash
# Watermark detection quality against the bars of issue 7, on the shared TinyStories GGUF:
# kgw with gamma 0.25, delta 2 (a fresh random key each run); 200 samples of 200 tokens
# generated with and without the watermark; bar: at least 98% of the watermarked 200-token
# samples detected at a false-positive rate of 1e-5, and the false-positive rate measured on
# the unwatermarked samples (under the real key and 1000 other keys) within its nominal bound.
# Writes the full report (Markdown, HTML, JSON, SVG chart) to OUT (default a temporary dir).
#
#   bench/watermark_quality.sh [RSF_BINARY] [OUT]     (default build/release/apps/rsf)
set -euo pipefail
cd "$(dirname "$0")/.."
rsf="${1:-build/release/apps/rsf}"
gguf=../shared/data/models/stories260K.gguf
if [ ! -f "$gguf" ]; then
  echo "watermark_quality: skipped: $gguf is not present" >&2
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="${2:-$work/report}"
"$rsf" ledger init --dir "$work/ledger" --origin bench.invalid/watermark >/dev/null
"$rsf" watermark eval --model "gguf:$gguf" --allow-unsigned --ledger "$work/ledger" \
  --scheme kgw --gamma 0.25 --delta 2 --samples "${SAMPLES:-200}" --tokens 200 --null-keys "${NULL_KEYS:-1000}" \
  --out "$out" --format md 2>/dev/null
python3 - "$out/watermark-eval.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
cell = [c for c in r["tpr"] if c["attack"] == "clean" and c["tokens"] == 200 and c["fpr"] == 1e-5][0]
tpr = cell["detected"] / cell["total"]
ok_tpr = tpr >= 0.98
fprs = [f for f in r["fpr"]]
ok_fpr = all(f["within_nominal"] for f in fprs)
print(f"\nbar: clean 200-token samples detected at FPR 1e-5 >= 98%: {tpr:.1%} ({cell['detected']}/{cell['total']}) -> {'met' if ok_tpr else 'NOT met'}")
for f in fprs:
    print(f"bar: measured FPR within nominal {f['nominal']:g} ({f['trials_of']}): {f['flagged']}/{f['trials']} -> {'met' if f['within_nominal'] else 'NOT met'}")
sys.exit(0 if ok_tpr and ok_fpr else 1)
PY
