#!/usr/bin/env bash
# Run `make STAGE` for each stage in order, print each one's wall time as it ends and a table at
# the end (also when a stage fails: then the run stops there). Usage: tests/stages.sh STAGE...
# When lab-suites is among the stages, the lab images (bin/lvslab image --release all: debootstrap,
# mostly downloads and unpacking) are built in the background from the start, beside the host-side
# stages, and lab-suites waits for them; LAB_IMAGES_EARLY=0 builds them inside lab-suites instead.
set -uo pipefail
t0=$(date +%s)
rows=()
summary() {
  echo "== make test: wall time per stage"
  printf '%s\n' "${rows[@]}"
  echo "== make test: total $(( $(date +%s) - t0 )) s"
}
row() {  # name seconds status
  rows+=("$(printf '  %-16s %6d s  %4d:%02d  %s' "$1" "$2" $(( $2 / 60 )) $(( $2 % 60 )) "$3")")
}
images_pid=
images_log=.tmp/lab-images.log
images_start=
if [[ " $* " == *" lab-suites "* && "${LAB_IMAGES_EARLY:-1}" != 0 ]]; then
  echo "== stage deps (the lab's Debian packages, before the images are built in the background)"
  start=$(date +%s)
  make --no-print-directory deps
  rc=$?
  took=$(( $(date +%s) - start ))
  status=ok; [ "$rc" -eq 0 ] || status="FAILED (exit $rc)"
  row deps "$took" "$status"
  echo "== stage deps: ${took} s, $status"
  if [ "$rc" -ne 0 ]; then summary; exit "$rc"; fi
  mkdir -p .tmp
  images_start=$(date +%s)
  # a session of its own: a failing stage stops the build with everything it started (debootstrap)
  setsid bin/lvslab image --release all > "$images_log" 2>&1 &
  images_pid=$!
  echo "== lab images: building in the background (pid $images_pid, log $images_log)"
fi
for stage in "$@"; do
  if [ "$stage" = lab-suites ] && [ -n "$images_pid" ]; then
    wait_start=$(date +%s)
    wait "$images_pid"
    irc=$?
    echo "== lab images: exit $irc after $(( $(date +%s) - images_start )) s, waited $(( $(date +%s) - wait_start )) s for them"
    if [ "$irc" -ne 0 ]; then
      tail -30 "$images_log"
      echo "== lab images: the background build failed (above); lab-suites builds them again"
    fi
    images_pid=
  fi
  echo "== stage $stage"
  start=$(date +%s)
  make --no-print-directory "$stage"
  rc=$?
  took=$(( $(date +%s) - start ))
  status=ok; [ "$rc" -eq 0 ] || status="FAILED (exit $rc)"
  row "$stage" "$took" "$status"
  echo "== stage $stage: ${took} s, $status"
  if [ "$rc" -ne 0 ]; then
    if [ -n "$images_pid" ]; then kill -- "-$images_pid" 2>/dev/null; wait "$images_pid" 2>/dev/null; fi
    summary; exit "$rc"
  fi
done
summary
