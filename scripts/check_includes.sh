#!/usr/bin/env bash
# The dependency rule of docs/design.md, checked mechanically: a module's public headers
# and sources include only rsf modules below it, and nothing in include/ includes src/.
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A allowed=(
  [common]="common"
  [web]="web"
  [ledger]="common ledger"
  [store]="common store"
  [policy]="common ledger store policy"
  [model]="common ledger model"
  [guard]="common ledger store model guard"
  [watermark]="common ledger model watermark"
  [eval]="common ledger store policy model guard watermark eval"
  [curate]="common ledger store policy model guard watermark curate"
  [incident]="common ledger store policy model incident"
  [gateway]="common ledger store policy model guard watermark incident web gateway"
  [cli]="common ledger store policy model guard watermark eval curate incident web gateway cli"
)
status=0
for module in "${!allowed[@]}"; do
  for f in $(find "include/rsf/$module" "src/$module" -name '*.h' -o -name '*.cc' 2>/dev/null); do
    while IFS= read -r inc; do
      dep="${inc#rsf/}"
      dep="${dep%%/*}"
      if [[ " ${allowed[$module]} " != *" $dep "* ]]; then
        echo "$f: includes rsf/$dep, which module '$module' may not depend on"
        status=1
      fi
    done < <(grep -oE '#include "rsf/[a-z_]+/' "$f" | sed -E 's/#include "//; s/\/$//')
  done
done
if grep -rnE '#include "(ledger|store|policy|model|guard|watermark|eval|curate|incident|web|gateway|cli|common)/' include/ >/dev/null; then
  echo "include/ must not include private headers from src/:"
  grep -rnE '#include "(ledger|store|policy|model|guard|watermark|eval|curate|incident|web|gateway|cli|common)/' include/
  status=1
fi
[ $status -eq 0 ] && echo "include rule: ok"
exit $status
