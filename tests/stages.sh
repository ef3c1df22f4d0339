#!/usr/bin/env bash
# Run `make STAGE` for each stage in order, print each one's wall time as it ends and a table at
# the end (also when a stage fails: then the run stops there). Usage: tests/stages.sh STAGE...
set -uo pipefail
t0=$(date +%s)
rows=()
summary() {
  echo "== make test: wall time per stage"
  printf '%s\n' "${rows[@]}"
  echo "== make test: total $(( $(date +%s) - t0 )) s"
}
for stage in "$@"; do
  echo "== stage $stage"
  start=$(date +%s)
  make --no-print-directory "$stage"
  rc=$?
  took=$(( $(date +%s) - start ))
  status=ok; [ "$rc" -eq 0 ] || status="FAILED (exit $rc)"
  rows+=("$(printf '  %-16s %6d s  %4d:%02d  %s' "$stage" "$took" $(( took / 60 )) $(( took % 60 )) "$status")")
  echo "== stage $stage: ${took} s, $status"
  if [ "$rc" -ne 0 ]; then summary; exit "$rc"; fi
done
summary
