"""Inventory-driven rollout on the pair lab (issue 6): site.yml + verify.yml for the mixed DR + NAT
example with a director pair, idempotence, a --check --diff preview that changes nothing, and
rolling.yml under a steady client stream with zero failed requests."""
import json
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
EXAMPLE = PLAYBOOKS / "inventories" / "lab-mixed"
PROBE = PLAYBOOKS / "files" / "lvs_probe.py"
CHANGE = ROOT / "tests" / "playbooks" / "tasks" / "rollout_change.yml"
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)


def recap(stdout):
    return {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)), "unreachable": int(m.group(4)),
                         "failed": int(m.group(5)), "skipped": int(m.group(6))} for m in RECAP.finditer(stdout)}


@pytest.fixture(scope="module")
def pair(lab_factory):
    lab = lab_factory(ROOT / "lab" / "topologies" / "pair.yml", "r")
    t0 = time.monotonic()
    lab.run_playbook(PLAYBOOKS / "lab-backends.yml", inventories=[EXAMPLE])
    p = lab.run_playbook(PLAYBOOKS / "site.yml", inventories=[EXAMPLE])
    print(f"site.yml first run: {time.monotonic() - t0:.0f} s", recap(p.stdout))
    return lab


def test_verify_balances(pair):
    p = pair.run_playbook(PLAYBOOKS / "verify.yml", inventories=[EXAMPLE], extra_vars={"verify_requests": 40})
    print(p.stdout[-4000:])
    assert "2 VIP(s) balanced" in p.stdout
    for host in ("rs1", "rs2", "nat1", "nat2"):
        assert re.search(rf"web-(dr|nat)\s+\S+\s+{host}\s+1\s+(\d+)", p.stdout), f"{host} missing from the table"


def test_status_view(pair):
    """playbooks/status.yml: one table across both directors; the MASTER is the director that holds
    the VIPs (keepalived's MASTER), every real server is shown with its weight and counters."""
    p = pair.run_playbook(PLAYBOOKS / "status.yml", inventories=[EXAMPLE])
    print(p.stdout[-4000:])
    holder = [d for d in ("dir1", "dir2") if pair.exec(d, "ip -o addr show to 192.0.2.10").stdout.strip()]
    assert len(holder) == 1, holder
    assert re.search(r"SERVICE\s+NAME\s+MASTER\s+FROM\s+REAL SERVER\s+FWD\s+WEIGHT\s+ACTIVE\s+INACTIVE\s+CPS", p.stdout)
    for service, name, servers, fwd in (
        ("tcp/192.0.2.10:80", "web-dr", ("192.0.2.11:80", "192.0.2.12:80"), "direct"),
        ("tcp/192.0.2.20:80", "web-nat", ("198.51.100.11:8080", "198.51.100.12:8080"), "masquerade"),
    ):
        for server in servers:
            row = rf"{re.escape(service)}\s+{name}\s+{holder[0]}\s+{holder[0]}\s+{re.escape(server)}\s+{fwd}\s+1\s+\d+\s+\d+\s+\d+"
            assert re.search(row, p.stdout), (row, p.stdout[-3000:])
    assert not re.search(r"\s(direct|masquerade)\s+\d+!\s", p.stdout), "a weight differs between the directors"
    assert all(v["changed"] == 0 for v in recap(p.stdout).values())


@pytest.fixture(scope="module")
def check_run(pair):
    """site.yml --check --diff with rs2's weight changed and a service added: (tables before, tables and rs1's lo after, the run)."""
    services = yaml.safe_load((EXAMPLE / "group_vars" / "all.yml").read_text())["lvs_virtual_services"]
    services[0]["real_servers"][1]["weight"] = 3
    services.append({"name": "web-extra", "address": "192.0.2.30", "port": 8081, "forwarding": "direct",
                     "real_servers": [{"host": "rs1"}]})
    before = {d: pair.exec(d, "ipvsadm -Sn").stdout for d in ("dir1", "dir2")}
    p = pair.run_playbook(PLAYBOOKS / "site.yml", inventories=[EXAMPLE], extra_vars={"lvs_virtual_services": services},
                          args=("--check", "--diff"))
    after = {d: pair.exec(d, "ipvsadm -Sn").stdout for d in ("dir1", "dir2")}
    after["rs1 lo"] = pair.exec("rs1", "ip -o addr show dev lo").stdout
    return before, after, p


@pytest.fixture(scope="module")
def second_run(pair, check_run):
    """The second real site.yml run, after the check run: one run proves both that the first run left
    nothing to do (idempotence) and that the check run changed nothing (it would have to be undone)."""
    return pair.run_playbook(PLAYBOOKS / "site.yml", inventories=[EXAMPLE])


def test_idempotent(second_run):
    r = recap(second_run.stdout)
    assert set(r) >= {"dir1", "dir2", "rs1", "rs2", "nat1", "nat2"}
    assert {h: v["changed"] for h, v in r.items() if v["changed"]} == {}, second_run.stdout[-6000:]


def test_check_diff_previews_a_changed_service_list(pair, check_run, second_run):
    before, after, p = check_run
    assert "192.0.2.30" in p.stdout and re.search(r"^\+.*weight 3", p.stdout, re.M), p.stdout[-6000:]
    r = recap(p.stdout)
    assert r["dir1"]["changed"] > 0 and r["rs1"]["changed"] > 0
    assert "192.0.2.30" not in after.pop("rs1 lo")
    assert after == before
    assert all(v["changed"] == 0 for v in recap(second_run.stdout).values()), "the check run changed something"


def test_rolling_drops_no_request(pair, tmp_path):
    netns = pair.hostvars("cl1")["lab_netns"]
    stop, out, log = tmp_path / "stop", tmp_path / "stream.json", tmp_path / "changes.log"
    stream = subprocess.Popen(["ip", "netns", "exec", netns, "python3", str(PROBE), "stream",
                               "--url", "http://192.0.2.10/", "--url", "http://192.0.2.20/",
                               "--interval", "0.05", "--timeout", "3", "--stop-file", str(stop), "--out", str(out),
                               "--timeline"])
    try:
        time.sleep(3)
        p = pair.run_playbook(PLAYBOOKS / "rolling.yml", inventories=[EXAMPLE], check=False,
                              extra_vars={"rolling_tasks": str(CHANGE), "rollout_change_log": str(log),
                                          "rolling_drain_timeout": 60})
        time.sleep(3)
    finally:
        stop.write_text("")
        stream.wait(timeout=60)
    summary = json.loads(out.read_text())
    print("stream:", {k: summary[k] for k in ("requests", "failed", "counts", "seconds")})
    print(log.read_text())
    assert p.returncode == 0, p.stdout[-6000:]
    assert summary["requests"] > 100
    assert summary["failed"] == 0, summary["failures"][:10]
    events = [line.split() for line in log.read_text().splitlines()]
    assert [e[1] for e in events if e[2] == "drained"] == ["rs1", "rs2", "nat1", "nat2"]
    # while a host was being changed, the stream got no answer from it
    spans = {}
    for ts, host, what, *_rest in events:
        spans.setdefault(host, {})[what] = float(ts) - summary["started"]
    for host, s in spans.items():
        served = [t for t, _url, ident in summary["timeline"] if ident == host and s["drained"] + 0.5 < t < s["changed"]]
        assert served == [], f"{host} answered during its change at {served[:5]}"
    # and every real server serves again afterwards
    p = pair.run_playbook(PLAYBOOKS / "verify.yml", inventories=[EXAMPLE], extra_vars={"verify_requests": 40})
    assert "2 VIP(s) balanced" in p.stdout
