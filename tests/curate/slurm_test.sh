#!/bin/bash
# scripts/slurm/curate.sh on a one-node Slurm cluster started here from Debian's packages
# (slurm-wlm, munge): three shards as a job array, then the merge, then checks that the merged
# dataset is what one unsharded run keeps and that the ledger holds it.
#
# Opt-in (it needs root and starts daemons): RSF_SLURM_TEST=1. Skips (77) otherwise, or when
# slurmctld is not installed (apt-get install slurm-wlm munge).
#
#   RSF_SLURM_TEST=1 tests/curate/slurm_test.sh path/to/rsf
set -euo pipefail
rsf=$(realpath "$1")
here=$(cd "$(dirname "$0")/../.." && pwd)
if [[ "${RSF_SLURM_TEST:-}" != "1" ]]; then
  echo "skipped: set RSF_SLURM_TEST=1 to start a one-node Slurm cluster (root, slurm-wlm, munge)"
  exit 77
fi
for tool in slurmctld slurmd sbatch sinfo munged; do
  if ! command -v "$tool" > /dev/null; then
    echo "skipped: $tool is not installed (apt-get install slurm-wlm munge)"
    exit 77
  fi
done
if [[ $(id -u) -ne 0 ]]; then
  echo "skipped: the one-node cluster needs root"
  exit 77
fi

tmp=$(mktemp -d /tmp/rsf-slurm-XXXXXX)
node=$(hostname -s)
export SLURM_CONF=$tmp/slurm.conf
cleanup() {
  scontrol shutdown > /dev/null 2>&1 || true
  [[ -f $tmp/munged.pid ]] && kill "$(cat "$tmp/munged.pid")" 2> /dev/null || true
  sleep 1
  rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/state" "$tmp/spool" "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 0400 "$tmp/munge/munge.key"
munged --force --key-file="$tmp/munge/munge.key" --socket="$tmp/munge/munge.socket" \
  --pid-file="$tmp/munged.pid" --log-file="$tmp/munged.log" --seed-file="$tmp/munge/seed"
cat > "$SLURM_CONF" << CONF
ClusterName=rsftest
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$node CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 60); do
  state=$(sinfo -h -o %t 2> /dev/null || true)
  [[ "$state" == "idle" ]] && break
  sleep 1
done
if [[ "$state" != "idle" ]]; then
  echo "FAIL: the node did not come up (state '$state')"
  tail -20 "$tmp/slurmctld.log" "$tmp/slurmd.log" || true
  exit 1
fi

# Three inputs with exact and near duplicates across them.
python3 - "$tmp" << 'PY'
import json, random, sys
d = sys.argv[1]
random.seed(7)
vocab = ["w%d" % i for i in range(3000)]
def doc(r):
    return " ".join(r.choice(vocab) for _ in range(300)) + "."
base = [doc(random.Random(i)) for i in range(60)]
files = {"a.jsonl": [], "b.jsonl": [], "c.jsonl": []}
for i, t in enumerate(base):
    files["abc"[i % 3] + ".jsonl"].append(t)
files["c.jsonl"].append(base[0])                      # exact, across shards
edited = base[1].split(); edited[10:14] = ["changed"] * 4
files["c.jsonl"].append(" ".join(edited))             # near, across shards
for name, texts in files.items():
    with open(f"{d}/{name}", "w") as f:
        for t in texts:
            f.write(json.dumps({"text": t}) + "\n")
PY
printf 'inputs: [a.jsonl, b.jsonl, c.jsonl]\noutput: out\nstages: {quality: false, guard: false}\n' > "$tmp/pipeline.yaml"
"$rsf" ledger init --dir "$tmp/ledger" --origin slurm.example/curate > /dev/null
cd "$tmp"
RSF=$rsf LOG_DIR=$tmp/logs RSF_THREADS=1 "$here/scripts/slurm/curate.sh" --wait pipeline.yaml 3 ledger

manifest=$tmp/out/merged/manifest.json
[[ -f $manifest ]] || { echo "FAIL: no merged manifest"; cat "$tmp"/logs/* || true; exit 1; }
kept=$(python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(m['counts']['kept'], m['counts']['removed']['exact_dedup'], m['counts']['removed']['near_dedup'])" "$manifest")
# One unsharded run for comparison.
"$rsf" curate run --config pipeline.yaml --json > whole.json
whole=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['kept'])" whole.json)
echo "merged: kept, exact, near = $kept; unsharded run kept $whole"
[[ "$kept" == "$whole 1 1" ]] || { echo "FAIL: expected '$whole 1 1'"; exit 1; }
"$rsf" ledger show --dir ledger --index 0 --json | grep -q curate.manifest || { echo "FAIL: no ledger entry"; exit 1; }
echo "PASS"
