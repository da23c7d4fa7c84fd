#!/bin/bash
# Runs a curation pipeline on a Slurm cluster: one array task per shard
# (`rsf curate run --shard i/N`), then, when every task succeeded, the cross-shard step
# (`rsf curate merge`), which writes <output>/merged/ and, with a ledger, logs the dataset.
#
#   scripts/slurm/curate.sh [--wait] CONFIG SHARDS [LEDGER]
#
# The configuration's inputs and output must be on storage every node sees. Shard i reads
# inputs i, i+N, i+2N, ... (so N at most the number of input files is useful).
# Environment: RSF (the rsf binary, default: rsf on PATH), SBATCH_ARGS (extra sbatch options,
# e.g. "--partition=cpu --time=04:00:00"), RSF_THREADS (workers per task, default: the task's
# CPUs), LOG_DIR (job logs, default: ./slurm-logs).
# Prints the two job ids. With --wait, returns when the merge has finished, with its exit code.
set -euo pipefail

wait_flag=""
if [[ "${1:-}" == "--wait" ]]; then
  wait_flag="--wait"
  shift
fi
if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 [--wait] CONFIG SHARDS [LEDGER]" >&2
  exit 2
fi
config=$(realpath "$1")
shards=$2
ledger=${3:+$(realpath "$3")}
if ! [[ "$shards" =~ ^[1-9][0-9]*$ ]]; then
  echo "$0: SHARDS must be a positive integer, not '$shards'" >&2
  exit 2
fi
rsf=$(command -v "${RSF:-rsf}" || true)
if [[ -z "$rsf" ]]; then
  echo "$0: no rsf binary (set RSF=/path/to/rsf)" >&2
  exit 2
fi
logs=${LOG_DIR:-$PWD/slurm-logs}
mkdir -p "$logs"
threads=${RSF_THREADS:-0}
# Check the configuration here, before anything is queued.
"$rsf" curate merge --help > /dev/null

# shellcheck disable=SC2086
array=$(sbatch --parsable ${SBATCH_ARGS:-} --job-name=rsf-curate --array="0-$((shards - 1))" \
  --output="$logs/curate-%A-%a.out" \
  --wrap "exec '$rsf' curate run --config '$config' --threads $threads --shard \${SLURM_ARRAY_TASK_ID}/$shards")
array=${array%%;*}
ledger_arg=""
if [[ -n "$ledger" ]]; then ledger_arg="--ledger '$ledger'"; fi
# shellcheck disable=SC2086
merge=$(sbatch --parsable ${SBATCH_ARGS:-} $wait_flag --job-name=rsf-curate-merge \
  --dependency="afterok:$array" --kill-on-invalid-dep=yes --output="$logs/merge-%j.out" \
  --wrap "exec '$rsf' curate merge --config '$config' --shards $shards $ledger_arg")
echo "shards: job $array (array of $shards); merge: job ${merge%%;*}"
