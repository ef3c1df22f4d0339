#!/usr/bin/env bash
# site.yml no-op with a small and a big model on the pair lab, in one run (make bench-rollout).
# Uses the running lab named by LVSLAB_NAME (default: rollout, brought up with
# lab/topologies/pair.yml and torn down again when this script started it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=${LVSLAB_NAME:-rollout}
lab="$root/bin/lvslab --name $name"
started=
if ! $lab exec dir1 -- true >/dev/null 2>&1; then
  $lab up "$root/lab/topologies/pair.yml"
  started=1
fi
cleanup() { if [ -n "$started" ]; then $lab down; fi; }
trap cleanup EXIT
LVSLAB_NAME=$name "$root/.venv/bin/python" "$root/bench/rollout_bench.py"
