#!/usr/bin/env bash
# Builds a ledger of 66,000 entries with rsf (tiles at levels 0, 1 and 2) and checks it, its
# checkpoint and six proofs with the independent verifier in c2sp_verify.py.
#
#   interop_test.sh RSF_BINARY
set -euo pipefail
rsf="$1"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$rsf" ledger init --dir "$work/l" --origin interop.rsf.example/log >/dev/null
"$rsf" ledger show --dir "$work/l" --verifier-key > "$work/key"
/usr/bin/python3 - "$work/entries.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(66000):
        f.write(json.dumps({"type": "interop.test", "subject": "e%d" % i,
                            "time": "2026-11-22T08:16:00Z", "body": {"i": i, "x": 0.1 * i}}) + "\n")
PY
"$rsf" ledger append --dir "$work/l" --jsonl "$work/entries.jsonl" >/dev/null
for i in 0 255 256 65535 65536 65999; do
  "$rsf" ledger prove --dir "$work/l" --index $i --out "$work/p$i.tlog-proof" >/dev/null
done
/usr/bin/python3 "$here/c2sp_verify.py" "$work/l" "$work/key" "$work"/p*.tlog-proof
