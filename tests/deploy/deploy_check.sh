#!/usr/bin/env bash
# The deployment files through the tools an operator would use: systemd-analyze verifies the
# unit (with rsf and rsfd at the paths just built) and scores its hardening; kubectl kustomize
# renders the Kubernetes manifests. Each part is skipped with the reason when its tool is
# absent; exit 77 (skipped) when both are.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
rsf=$1 rsfd=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ran=0

if command -v systemd-analyze >/dev/null; then
  sed -e "s#/usr/local/bin/rsfd#$rsfd#; s#/usr/local/bin/rsf #$rsf #" "$src/deploy/systemd/rsfd.service" > "$tmp/rsfd.service"
  systemd-analyze verify "$tmp/rsfd.service"
  exposure=$(systemd-analyze security --offline=yes "$tmp/rsfd.service" | sed -n 's/.*Overall exposure level for rsfd.service: \([0-9.]*\).*/\1/p')
  echo "systemd: unit verified; exposure $exposure (0 = fully confined, 10 = exposed)"
  awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 2.0) }' || { echo "exposure above 2.0" >&2; exit 1; }
  ran=1
else
  echo "systemd-analyze absent: the unit is not verified"
fi

if command -v kubectl >/dev/null; then
  kubectl kustomize "$src/deploy/k8s" > "$tmp/all.yaml"
  for want in "kind: StatefulSet" "name: rsfd" "replicas: 3" "kind: PodDisruptionBudget" "name: postgres" "kind: ConfigMap"; do
    grep -q "$want" "$tmp/all.yaml" || { echo "kustomize output lacks '$want'" >&2; exit 1; }
  done
  echo "kubernetes: $(grep -c '^kind:' "$tmp/all.yaml") objects rendered"
  ran=1
else
  echo "kubectl absent: the manifests are not rendered"
fi

[ "$ran" = 1 ] || exit 77
