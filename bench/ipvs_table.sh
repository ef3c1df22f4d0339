#!/usr/bin/env bash
# Benchmark lvs.cluster.ipvs_table in the lab director VM (make bench). Uses the running lab
# named by LVSLAB_NAME (default: bench, brought up with lab/topologies/smoke.yml and torn down
# again when this script started it). The module runs through ansible-playbook (AnsiballZ over
# ssh, as users run it); raw ipvsadm is timed inside the VM on the same table. Prints ratios
# measured in one run. BENCH_SERVICES (default 10000) services x 4 destinations.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=${LVSLAB_NAME:-bench}
host=${BENCH_HOST:-dir1}
lab="$root/bin/lvslab --name $name"
started=
if ! $lab exec "$host" -- true >/dev/null 2>&1; then
  $lab up "$root/lab/topologies/smoke.yml"
  started=1
fi
cleanup() { $lab exec "$host" -- ipvsadm -C >/dev/null 2>&1 || true; $lab exec "$host" -- rm -f /run/lvs-cluster/ipvs-thresholds >/dev/null 2>&1 || true; if [ -n "$started" ]; then $lab down; fi; }
trap cleanup EXIT
site=$("$root/.venv/bin/python" -c 'import ansible, os; print(os.path.dirname(os.path.dirname(ansible.__file__)))')
stage=$(mktemp -d)
trap 'rm -rf "$stage"; cleanup' EXIT
# the guest side: raw ipvsadm timings, and ansible's module_utils to time the imports a module pays
(cd "$site" && tar cf - ansible/__init__.py ansible/release.py ansible/_vendor ansible/module_utils) | tar -C "$stage" -xf -
cp "$root/bench/ipvs_guest.py" "$stage/"
tar -C "$stage" -czf - . | $lab exec "$host" -- sh -c 'rm -rf /tmp/ipvs-bench && mkdir -p /tmp/ipvs-bench && tar -C /tmp/ipvs-bench -xzf -'
$lab exec "$host" -- rm -f /run/lvs-cluster/ipvs-thresholds
LVSLAB_NAME=$name BENCH_HOST=$host "$root/.venv/bin/python" "$root/bench/ipvs_table_bench.py"
