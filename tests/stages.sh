#!/usr/bin/env bash
# Run `make STAGE` for each stage in order, print each one's wall time as it ends and a table at
# the end (also when a stage fails: then the run stops there). Usage: tests/stages.sh STAGE...
#
# When lab-suites is among the stages (LAB_EARLY=1, the default), it does not wait for the others:
# after deps, the lab images (bin/lvslab image --release all: debootstrap, mostly downloads and
# unpacking) are built in the background, and as soon as they are there the lab suites start in
# the background too, one job at a time (tests/lab_jobs.py --slots-file) beside the host-side
# stages, which leave most of the second core idle (ansible-test sanity runs one process at a
# time); when the host-side stages are done the lab suites get two slots (CI's 2 cores hold two
# labs) and their output is followed here. The collection copy the lab reads (.tmp/collections) is
# refreshed in place by each stage (tests/collection-tree.sh), so nothing under a running lab job
# changes. A failing stage stops the lab suites too (their labs are torn down). LAB_EARLY=0: the
# stages one after the other, the images built inside lab-suites.
set -uo pipefail
t0=$(date +%s)
rows=()
summary() {
  echo "== make test: wall time per stage"
  printf '%s\n' "${rows[@]}"
  echo "== make test: total $(( $(date +%s) - t0 )) s"
}
row() {  # name seconds status [note]
  rows+=("$(printf '  %-16s %6d s  %4d:%02d  %s%s' "$1" "$2" $(( $2 / 60 )) $(( $2 % 60 )) "$3" "${4:+  ($4)}")")
}
run_stage() {  # stage -> sets rc, records the row
  echo "== stage $1"
  local start took status
  start=$(date +%s)
  make --no-print-directory "$1"
  rc=$?
  took=$(( $(date +%s) - start ))
  status=ok; [ "$rc" -eq 0 ] || status="FAILED (exit $rc)"
  row "$1" "$took" "$status"
  echo "== stage $1: ${took} s, $status"
}

early=0
if [[ " $* " == *" lab-suites "* && "${LAB_EARLY:-1}" != 0 ]]; then early=1; fi
if [ "$early" -eq 0 ]; then
  for stage in "$@"; do
    run_stage "$stage"
    if [ "$rc" -ne 0 ]; then summary; exit "$rc"; fi
  done
  summary
  exit 0
fi

run_stage deps
if [ "$rc" -ne 0 ]; then summary; exit "$rc"; fi
mkdir -p .tmp
lab_log=.tmp/lab-suites.log images_log=.tmp/lab-images.log slots=$(pwd)/.tmp/lab-slots
echo 1 > "$slots"
# a session of its own: a failing stage stops it with everything it started (debootstrap, the
# lab jobs, which tear their labs down on SIGTERM)
setsid bash -c '
  start=$(date +%s)
  bin/lvslab image --release all > "$1" 2>&1
  irc=$?
  echo "== lab images: exit $irc after $(( $(date +%s) - start )) s (log $1)"
  if [ "$irc" -ne 0 ]; then tail -30 "$1"; echo "== lab images: the background build failed (above); lab-suites builds them again"; fi
  echo "== stage lab-suites (started at $(( $(date +%s) - $3 )) s, beside the host-side stages)"
  LAB_SLOTS_FILE="$2" make --no-print-directory lab-suites
' lab-early "$images_log" "$slots" "$t0" > "$lab_log" 2>&1 &
lab_pid=$!
lab_start=$(date +%s)
echo "== lab images, then lab-suites: in the background (pid $lab_pid, log $lab_log), one lab job at a time until the host-side stages are done"
stop_lab() {
  kill -TERM -- "-$lab_pid" 2>/dev/null
  wait "$lab_pid" 2>/dev/null
  echo "---- the background lab run so far ($lab_log)"; cat "$lab_log"
}
trap 'stop_lab; exit 130' INT TERM
for stage in "$@"; do
  [ "$stage" = lab-suites ] && continue
  run_stage "$stage"
  if [ "$rc" -ne 0 ]; then stop_lab; summary; exit "$rc"; fi
done
echo 2 > "$slots"
host_done=$(date +%s)
echo "== host-side stages done at $(( host_done - t0 )) s: lab-suites now two jobs at a time; its output so far and to the end ($lab_log)"
tail -n +1 -f --pid="$lab_pid" "$lab_log"
wait "$lab_pid"
rc=$?
trap - INT TERM
status=ok; [ "$rc" -eq 0 ] || status="FAILED (exit $rc)"
row lab-suites "$(( $(date +%s) - host_done ))" "$status" "after the host-side stages; images + lab-suites in the background: $(( $(date +%s) - lab_start )) s in all"
echo "== stage lab-suites: $status"
summary
exit "$rc"
