# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs INSIDE the lab director VM (shipped by bench/ipvs_table.sh): times lvs.cluster.ipvs_table
(the real module, run as python3 -m with ansible's module_utils beside it) against raw ipvsadm
on the same table, in one run, and prints the ratios. Clears the IPVS table before and after."""

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


def model(weight_bump=None):
    services = []
    for i in range(N_SERVICES):
        addr, port = vip(i)
        rss = [{"address": "198.51.100.%d" % (10 + j), "port": 8000 + j, "weight": 1 + j} for j in range(N_DESTS)]
        if weight_bump == i:
            rss[0]["weight"] = 77
        services.append({"name": "s%d" % i, "address": addr, "port": port, "forwarding": "masquerade", "scheduler": "wrr", "real_servers": rss})
    return services


def lines():
    out = []
    for i in range(N_SERVICES):
        addr, port = vip(i)
        out.append("-A -t %s:%d -s wrr" % (addr, port))
        out.extend("-a -t %s:%d -r 198.51.100.%d:%d -m -w %d -x 0 -y 0" % (addr, port, 10 + j, 8000 + j, 1 + j) for j in range(N_DESTS))
    return out


def run(argv, data=None):
    start = time.monotonic()
    proc = subprocess.run(argv, input=data, capture_output=True, text=True, check=False)
    took = time.monotonic() - start
    if proc.returncode != 0 or (argv[-1] == "-R" and proc.stderr):
        sys.exit("%s failed: %s %s" % (argv, proc.stdout[-2000:], proc.stderr[-2000:]))
    return took, proc.stdout


def module(services):
    path = os.path.join(WORK, "args.json")
    with open(path, "w") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": {"services": services}}, handle)
    env = dict(os.environ, PYTHONPATH=WORK)
    start = time.monotonic()
    argv = [sys.executable, "-m", "ansible_collections.lvs.cluster.plugins.modules.ipvs_table", path]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    took = time.monotonic() - start
    if not proc.stdout.strip():
        sys.exit("module produced no output: %s" % proc.stderr[-3000:])
    result = json.loads(proc.stdout)
    if result.get("failed"):
        sys.exit("module failed: %s" % result.get("msg"))
    return took, result


def main():
    rlines = lines()
    text = "\n".join(rlines) + "\n"
    run(["ipvsadm", "-C"])
    raw_r, _ = run(["ipvsadm", "-R"], text)
    sn, out = run(["ipvsadm", "-Sn"])
    assert len(out.splitlines()) == len(rlines)
    run(["ipvsadm", "-C"])
    m_create, res = module(model())
    assert res["changed"] and len(res["added"]) == N_SERVICES * (1 + N_DESTS)
    m_noop, res = module(model())
    assert res["changed"] is False
    sn2, _ = run(["ipvsadm", "-Sn"])
    m_one, res = module(model(weight_bump=N_SERVICES // 2))
    assert len(res["modified"]) == 1 and len(res["commands"]) == 1, res["commands"][:3]
    run(["ipvsadm", "-C"])
    sample = rlines[: SAMPLE // (1 + N_DESTS) * (1 + N_DESTS)]
    start = time.monotonic()
    for line in sample:
        run(["ipvsadm", *line.split()])
    per_entry = (time.monotonic() - start) * len(rlines) / len(sample)
    run(["ipvsadm", "-C"])
    sn = min(sn, sn2)
    print("IPVS table: %d services x %d destinations = %d ipvsadm lines (guest python %s)" % (N_SERVICES, N_DESTS, len(rlines), sys.version.split()[0]))
    print("raw ipvsadm -R (create)            %8.2f s" % raw_r)
    print("ipvs_table create                  %8.2f s   ratio to raw -R: %.2fx (target <= 1.2x)" % (m_create, m_create / raw_r))
    print("one ipvsadm call per entry         %8.2f s   (extrapolated from %d calls)  ratio to raw -R: %.1fx" % (per_entry, len(sample), per_entry / raw_r))
    print("one ipvsadm -Sn                    %8.2f s" % sn)
    print("ipvs_table no-op re-run            %8.2f s   ratio to one -Sn: %.2fx (target <= 1.5x)" % (m_noop, m_noop / sn))
    print("ipvs_table one weight change       %8.2f s   ratio to one -Sn: %.2fx" % (m_one, m_one / sn))


if __name__ == "__main__":
    main()
