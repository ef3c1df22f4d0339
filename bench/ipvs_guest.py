# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs INSIDE the lab director VM (shipped by bench/ipvs_table.sh): times raw ipvsadm on the
benchmark table and prints the timings as JSON. ``python3 ipvs_guest.py raw`` times ``-R``, ``-Sn``,
``-Ln --thresholds`` and one ipvsadm call per entry; ``python3 ipvs_guest.py sn`` times ``-Sn`` of
whatever table the host's own network namespace holds, ``raw_R`` one more ``-R``; ``python3
ipvs_guest.py startup`` times the guest's fixed cost of a module: python3 start-up and ansible's
module_utils imports.

Every raw write runs in a network namespace of its own, created for it and deleted after it: IPVS is
per namespace, and a deleted real server stays in the namespace's "dest trash" for up to ~3 minutes
(IP_VS_DEST_TRASH_PERIOD), which every later add scans (ip_vs_trash_get_dest). Measured in this VM
on 10,000 x 4: ``-R`` 24 s into a clean namespace, 119 s right after ``-C`` of the same table. A fresh
namespace gives every raw ``-R`` the clean start that ipvs_table's create gets in the host's own
namespace (where nothing else writes)."""

import json
import os
import subprocess
import sys
import time

N_SERVICES = int(os.environ.get("BENCH_SERVICES", "10000"))
N_DESTS = 4
SAMPLE = int(os.environ.get("BENCH_PER_ENTRY_SAMPLE", "1000"))  # entries timed one ipvsadm call each
WORK = os.path.dirname(os.path.abspath(__file__))


def vip(i):
    return "192.0.2.%d" % (1 + i // 1000 % 250), 1000 + i % 1000 + 1000 * (i // 250000)


def lines():
    out = []
    for i in range(N_SERVICES):
        addr, port = vip(i)
        out.append("-A -t %s:%d -s wrr" % (addr, port))
        out.extend("-a -t %s:%d -r 198.51.100.%d:%d -m -w %d -x 0 -y 0" % (addr, port, 10 + j, 8000 + j, 1 + j) for j in range(N_DESTS))
    return out


class FreshNetns:
    """A network namespace of its own (empty IPVS table, empty dest trash) for one measurement."""

    count = 0

    def __enter__(self):
        FreshNetns.count += 1
        self.name = "lvsbench%d-%d" % (os.getpid(), FreshNetns.count)
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        ns = ["ip", "netns", "exec", self.name]
        # the kernel takes a real server only at a unicast (routable) address: give the namespace
        # the back network the table's real servers are on, as the host has it
        for cmd in (["ip", "link", "add", "back0", "type", "dummy"], ["ip", "link", "set", "back0", "up"],
                    ["ip", "addr", "add", "198.51.100.1/24", "dev", "back0"]):
            subprocess.run([*ns, *cmd], check=True)
        return ns

    def __exit__(self, *exc):
        subprocess.run(["ip", "netns", "delete", self.name], check=True)


def run(argv, data=None):
    start = time.monotonic()
    proc = subprocess.run(argv, input=data, capture_output=True, text=True, check=False)
    took = time.monotonic() - start
    if proc.returncode != 0 or (argv[-1] == "-R" and proc.stderr):
        sys.exit("%s failed: %s %s" % (argv, proc.stdout[-2000:], proc.stderr[-2000:]))
    return took, proc.stdout


def raw():
    rlines = lines()
    with FreshNetns() as ns:
        raw_r, _out = run([*ns, "ipvsadm", "-R"], "\n".join(rlines) + "\n")
        sn = []
        for _i in range(3):
            took, out = run([*ns, "ipvsadm", "-Sn"])
            sn.append(took)
        assert len(out.splitlines()) == len(rlines), (len(out.splitlines()), len(rlines))
        thresholds, _out = run([*ns, "ipvsadm", "-Ln", "--thresholds"])
    sample = rlines[: SAMPLE // (1 + N_DESTS) * (1 + N_DESTS)]
    with FreshNetns() as ns:
        start = time.monotonic()
        for line in sample:
            run([*ns, "ipvsadm", *line.split()])
        per_entry = (time.monotonic() - start) * len(rlines) / len(sample)
    return {"lines": len(rlines), "raw_R": raw_r, "sn": min(sn), "thresholds": thresholds, "per_entry": per_entry, "per_entry_sample": len(sample)}


def raw_r_only():
    with FreshNetns() as ns:
        took, _out = run([*ns, "ipvsadm", "-R"], "\n".join(lines()) + "\n")
    return {"raw_R": took}


def sn_only():
    return {"sn": min(run(["ipvsadm", "-Sn"])[0] for _i in range(3))}


def startup():
    env = dict(os.environ, PYTHONPATH=WORK)
    out = {}
    for name, code in (("python3", "pass"), ("python3 + AnsibleModule imports", "import ansible.module_utils.basic")):
        times = []
        for _i in range(3):
            start = time.monotonic()
            subprocess.run([sys.executable, "-c", code], env=env, check=True)
            times.append(time.monotonic() - start)
        out[name] = min(times)
    return out


if __name__ == "__main__":
    print(json.dumps({"raw": raw, "raw_R": raw_r_only, "sn": sn_only, "startup": startup}[sys.argv[1]]()))
