# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host side of bench/ipvs_table.sh: lvs.cluster.ipvs_table run by ansible-playbook against the lab
director (AnsiballZ over ssh, as users run it) against raw ipvsadm timed inside the VM on the same
table, all in one run; prints the ratios. Task times come from the ansible.posix.json callback
(start to end of the task on the host: templating, transfer, the module in the guest, the result)."""

import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = os.environ.get("LVSLAB_NAME", "bench")
HOST = os.environ.get("BENCH_HOST", "dir1")
N_SERVICES = int(os.environ.get("BENCH_SERVICES", "10000"))
N_DESTS = 4
sys.path.insert(0, str(ROOT / "bench"))
from ipvs_guest import vip  # noqa: E402  (the same table on both sides)


def model(weight_bump=None):
    services = []
    for i in range(N_SERVICES):
        addr, port = vip(i)
        rss = [{"address": "198.51.100.%d" % (10 + j), "port": 8000 + j, "weight": 1 + j} for j in range(N_DESTS)]
        if weight_bump == i:
            rss[0]["weight"] = 77
        services.append({"name": "s%d" % i, "address": addr, "port": port, "forwarding": "masquerade", "scheduler": "wrr", "real_servers": rss})
    return services


def lab(*args, data=None):
    argv = [str(ROOT / "bin" / "lvslab"), "--name", NAME, *args]
    proc = subprocess.run(argv, input=data, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit("%s failed: %s %s" % (argv, proc.stdout[-2000:], proc.stderr[-2000:]))
    return proc.stdout


def guest(mode):
    env = ["env", "BENCH_SERVICES=%d" % N_SERVICES, "BENCH_PER_ENTRY_SAMPLE=%s" % os.environ.get("BENCH_PER_ENTRY_SAMPLE", "1000")]
    return json.loads(lab("exec", HOST, "--", *env, "python3", "/tmp/ipvs-bench/ipvs_guest.py", mode).strip().splitlines()[-1])


PLAYBOOK = (
    """
- hosts: %s
  gather_facts: false
  become: true
  environment:
    LVS_CLUSTER_PROFILE: "1"
  tasks:
    - name: warm-up (ssh connection, become)
      lvs.cluster.ipvs_table: {services: []}
    - name: fixed cost (empty list, empty table)
      lvs.cluster.ipvs_table: {services: []}
    - name: create
      lvs.cluster.ipvs_table: {services: "{{ bench_create }}"}
    - name: no-op 1
      lvs.cluster.ipvs_table: {services: "{{ bench_create }}"}
    - name: no-op 2
      lvs.cluster.ipvs_table: {services: "{{ bench_create }}"}
    - name: no-op 3
      lvs.cluster.ipvs_table: {services: "{{ bench_create }}"}
    # one real server's weight 2 -> 77, back to 2, -> 77 again: one edit each time
    - name: one weight change 1
      lvs.cluster.ipvs_table: {services: "{{ bench_one }}"}
    - name: one weight change 2
      lvs.cluster.ipvs_table: {services: "{{ bench_create }}"}
    - name: one weight change 3
      lvs.cluster.ipvs_table: {services: "{{ bench_one }}"}

- hosts: localhost
  gather_facts: false
  tasks:
    - name: controller templating of the table argument (set_fact, nothing sent)
      ansible.builtin.set_fact: {bench_copy: "{{ bench_create }}"}
"""
    % HOST
)


def _ts(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def playbook(tmp):
    (tmp / "vars.json").write_text(json.dumps({"bench_create": model(), "bench_one": model(weight_bump=N_SERVICES // 2)}))
    (tmp / "bench.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_CONFIG=lab("env").split("ANSIBLE_CONFIG=")[1].split()[0].strip("'\""))
    env.update(ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1", PATH="%s:%s" % (ROOT / ".venv" / "bin", env.get("PATH", "")))
    env["LVS_CLUSTER_PROFILE"] = "1"  # the action plugin's and the module's own step times
    # this checkout as it is now, not a shared .tmp/collections that someone may refresh mid-run
    subprocess.run(["bash", str(ROOT / "tests" / "collection-tree.sh"), str(tmp / "ansible_collections" / "lvs" / "cluster")], check=True)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(tmp)
    inventory = lab("inventory").strip()
    start = time.monotonic()
    proc = subprocess.run(
        ["ansible-playbook", "-i", inventory, "-e", "@%s" % (tmp / "vars.json"), str(tmp / "bench.yml")], capture_output=True, text=True, env=env, check=False
    )
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("ansible-playbook failed:\n%s\n%s" % (proc.stdout[-4000:], proc.stderr[-3000:]))
    data = json.loads(proc.stdout[proc.stdout.index("{") :])
    tasks = {}
    for play in data["plays"]:
        for task in play["tasks"]:
            dur = task["task"]["duration"]
            tasks[task["task"]["name"]] = (_ts(dur["end"]) - _ts(dur["start"]), next(iter(task["hosts"].values())))
    return wall, tasks


def main():
    started = time.monotonic()
    raw = guest("raw")
    with tempfile.TemporaryDirectory() as tmp:
        wall, tasks = playbook(Path(tmp))
    sn_after = guest("sn")["sn"]
    raw_after = guest("raw_R")["raw_R"]  # -R again after the module ran: the host load changes over minutes
    startup = guest("startup")
    fixed, _r = tasks["fixed cost (empty list, empty table)"]
    create, res = tasks["create"]
    total = N_SERVICES * (1 + N_DESTS)
    assert res["changed"] and res["counts"]["added"] == total and res["counts"]["commands"] == total, res.get("counts")
    # the no-op and the weight change three times each, the fastest counted (as for -Sn: min of 3);
    # a TCG guest's single runs vary by ~20%
    for i in (1, 2, 3):
        res = tasks["no-op %d" % i][1]
        assert res["changed"] is False and res["counts"]["commands"] == 0, res.get("counts")
        res = tasks["one weight change %d" % i][1]
        assert res["counts"]["modified"] == 1 and res["counts"]["commands"] == 1, res.get("counts")
    noop_name = min(("no-op %d" % i for i in (1, 2, 3)), key=lambda n: tasks[n][0])
    one_name = min(("one weight change %d" % i for i in (1, 2, 3)), key=lambda n: tasks[n][0])
    noop, one = tasks[noop_name][0], tasks[one_name][0]
    runs = {label: ", ".join("%.2f" % tasks["%s %d" % (label, i)][0] for i in (1, 2, 3)) for label in ("no-op", "one weight change")}
    sn = min(raw["sn"], sn_after)
    raw_r = (raw["raw_R"] + raw_after) / 2
    print("IPVS table: %d services x %d destinations = %d ipvsadm lines" % (N_SERVICES, N_DESTS, raw["lines"]))
    print("guest start-up: %s" % ", ".join("%s %.2f s" % kv for kv in startup.items()))
    print(
        "raw ipvsadm -R (create)            %8.2f s   (mean of %.2f s before and %.2f s after the module ran, each into a fresh netns)"
        % (raw_r, raw["raw_R"], raw_after)
    )
    print("one ipvsadm -Sn                    %8.2f s   (ipvsadm -Ln --thresholds: %.2f s)" % (sn, raw["thresholds"]))
    print(
        "one ipvsadm call per entry         %8.2f s   (extrapolated from %d calls through ip netns exec)  ratio to raw -R: %.1fx"
        % (raw["per_entry"], raw["per_entry_sample"], raw["per_entry"] / raw_r)
    )
    print("ipvs_table fixed cost (empty)      %8.2f s   (ansible task: AnsiballZ, ssh, python start-up, one -Sn)" % fixed)
    print("ipvs_table create                  %8.2f s   ratio to raw -R: %.2fx (target <= 1.2x)" % (create, create / raw_r))
    print("ipvs_table no-op re-run            %8.2f s   ratio to one -Sn: %.2fx (target <= 1.7x; runs %s s)" % (noop, noop / sn, runs["no-op"]))
    print("ipvs_table one weight change       %8.2f s   ratio to one -Sn: %.2fx (target <= 1.8x; runs %s s)" % (one, one / sn, runs["one weight change"]))
    print("ratios without the fixed cost: create %.2fx, no-op %.2fx, weight change %.2fx" % ((create - fixed) / raw_r, (noop - fixed) / sn, (one - fixed) / sn))
    templ, _r = tasks["controller templating of the table argument (set_fact, nothing sent)"]
    print(
        "controller templating of the argument %6.2f s   (a set_fact of the list on the controller, for scale; %.2fx -Sn)" % (templ, templ / sn)
    )
    res = tasks[noop_name][1]
    own = sum((res.get("profile") or {}).values())
    trip = (res.get("profile_controller") or {}).get("module", 0.0)
    print(
        "no-op: the module's own steps %.2f s of its %.2f s round trip (the rest: transfer, AnsiballZ, imports, the result)"
        % (own, trip)
    )
    # any module must at least start (the fixed cost) and read the table once (one -Sn); the create
    # must also write it (one -R): the targets are measured against these floors
    print(
        "floors for a module that reads the table once: no-op >= fixed + one -Sn = %.2fx -Sn; create >= fixed + -R = %.2fx -R"
        % ((fixed + sn) / sn, (fixed + raw_r) / raw_r)
    )
    for label in ("create", noop_name, one_name):
        print("  %-20s controller: %s; in the module: %s" % (label, tasks[label][1].get("profile_controller"), tasks[label][1].get("profile")))
    print("ansible-playbook wall %.1f s, whole benchmark %.1f s" % (wall, time.monotonic() - started))


if __name__ == "__main__":
    main()
