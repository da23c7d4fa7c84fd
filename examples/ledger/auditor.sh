#!/usr/bin/env bash
# An operator logs a small decision chain; an auditor, holding only the verifier key, checks a
# proof offline, checks that the log only grew since a checkpoint they kept, and checks the
# whole log with fsck.
#
#   examples/ledger/auditor.sh [path to rsf]
set -euo pipefail
rsf="${1:-build/release/apps/rsf}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Operator
"$rsf" ledger init --dir "$work/ledger" --origin example.org/rsf/audit-demo >/dev/null
"$rsf" ledger show --dir "$work/ledger" --verifier-key > "$work/verifier.key"
"$rsf" ledger append --dir "$work/ledger" --jsonl "$here/decision-chain.jsonl"
"$rsf" ledger show --dir "$work/ledger" --checkpoint > "$work/kept.checkpoint"
echo '{"type":"gateway.config","subject":"gateway:prod","body":{"guard":"strict"}}' |
  "$rsf" ledger append --dir "$work/ledger" --jsonl - >/dev/null
"$rsf" ledger prove --dir "$work/ledger" --index 2 --out "$work/decision.tlog-proof"
"$rsf" ledger consistency --dir "$work/ledger" --old "$work/kept.checkpoint" --out "$work/grew.proof"

# Auditor: needs verifier.key, the proof files and the checkpoint they kept; nothing else.
"$rsf" ledger verify "$work/decision.tlog-proof" --key "$work/verifier.key"
"$rsf" ledger consistency --proof "$work/grew.proof" --old "$work/kept.checkpoint" --key "$work/verifier.key"
"$rsf" ledger fsck --dir "$work/ledger" --key "$work/verifier.key"
