# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml no-op on the lab with a small and a big model, in one run (bench/rollout.sh, make
bench-rollout): the mixed DR + NAT example's hosts (lab/topologies/pair.yml: a director pair, two
DR and two NAT real servers), with BENCH_SMALL (default 10) and then BENCH_BIG (default 1000)
virtual services of 4 real servers each (rs1 and rs2 by direct routing, nat1 and nat2 by NAT on
port 8080). For each size: one converging run, then the timed no-op run (changed=0 asserted);
prints the wall times, their ratio and the tasks each host ran (the same for both sizes, or the
rollout grows with the model). Checks are of type none: keepalived's own checking work in the
VMs grows with the model by design and is not the rollout's."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NAME = os.environ.get("LVSLAB_NAME", "rollout")
SMALL = int(os.environ.get("BENCH_SMALL", "10"))
BIG = int(os.environ.get("BENCH_BIG", "1000"))
EXAMPLE = ROOT / "playbooks" / "inventories" / "lab-mixed"
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)", re.M)


def lab(*args):
    proc = subprocess.run([str(ROOT / "bin" / "lvslab"), "--name", NAME, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit("lvslab %s failed: %s %s" % (" ".join(args), proc.stdout[-2000:], proc.stderr[-2000:]))
    return proc.stdout.strip()


def model(count):
    """``count`` services on ten VIPs (192.0.2.40-49), ports from 1000, each with rs1, rs2 (DR) and
    nat1, nat2 (NAT to 8080)."""
    services = []
    for i in range(count):
        services.append({
            "name": "svc%d" % i,
            "address": "192.0.2.%d" % (40 + i % 10),
            "port": 1000 + i // 10,
            "scheduler": "wrr",
            "forwarding": "direct",
            "check": {"type": "none"},
            "real_servers": [
                {"host": "rs1"},
                {"host": "rs2"},
                {"host": "nat1", "forwarding": "masquerade", "port": 8080},
                {"host": "nat2", "forwarding": "masquerade", "port": 8080},
            ],
        })
    return services


def inventory(tmp, count):
    inv = tmp / ("inv%d" % count)
    shutil.copytree(EXAMPLE, inv)
    all_vars = yaml.safe_load((inv / "group_vars" / "all.yml").read_text())
    all_vars["lvs_virtual_services"] = model(count)
    (inv / "group_vars" / "all.yml").write_text(yaml.safe_dump(all_vars, sort_keys=False))
    return inv


def site(inv, env):
    argv = [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", lab("inventory"), "-i", str(inv), str(ROOT / "playbooks" / "site.yml")]
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("site.yml failed:\n%s\n%s" % (proc.stdout[-5000:], proc.stderr[-2000:]))
    recap = {m.group(1): [int(x) for x in m.groups()[1:]] for m in RECAP.finditer(proc.stdout)}
    return wall, recap


def main():
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="False", PATH="%s:%s" % (ROOT / ".venv" / "bin", os.environ.get("PATH", "")))
    env["ANSIBLE_CONFIG"] = str(Path(lab("inventory")).parent / "ansible.cfg")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        # this checkout as it is now, not a shared .tmp/collections that someone may refresh mid-run
        subprocess.run(["bash", str(ROOT / "tests" / "collection-tree.sh"), str(tmp / "coll" / "ansible_collections" / "lvs" / "cluster")], check=True)
        env["ANSIBLE_COLLECTIONS_PATH"] = str(tmp / "coll")
        subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", lab("inventory"), "-i", str(EXAMPLE),
                        str(ROOT / "playbooks" / "lab-backends.yml")], capture_output=True, env=env, cwd=ROOT, check=True)
        results = {}
        for count in (SMALL, BIG):
            inv = inventory(tmp, count)
            converge, _recap = site(inv, env)
            wall, recap = site(inv, env)
            changed = {host: r[1] for host, r in recap.items() if r[1]}
            assert not changed, "the no-op run changed %s" % changed
            tasks = {host: r[0] + r[1] + r[4] + r[5] for host, r in recap.items()}
            results[count] = (converge, wall, tasks)
            print("%5d services: converge %6.1f s, no-op %6.1f s, tasks per host %s" % (count, converge, wall, tasks), flush=True)
    (small_conv, small, small_tasks), (big_conv, big, big_tasks) = results[SMALL], results[BIG]
    print("no-op ratio %d / %d services: %.2fx (target <= 1.5x); converge ratio %.2fx" % (BIG, SMALL, big / small, big_conv / small_conv))
    print("tasks per host the same for both sizes: %s" % (small_tasks == big_tasks))
    if small_tasks != big_tasks:
        print("  differ: %s" % {h: (small_tasks.get(h), big_tasks.get(h)) for h in set(small_tasks) | set(big_tasks) if small_tasks.get(h) != big_tasks.get(h)})


if __name__ == "__main__":
    main()
