"""Molecule verify (testinfra) for nat_real_server: routes and rules on nat1 (default mode) and
nat2 (policy mode), requests split through the director, and the client's own address seen by
the real servers. Lab hosts are reached with `bin/lvslab exec` (testinfra's local backend)."""
import json
import os
import shlex
from collections import Counter
from pathlib import Path

ROOT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY") or Path(__file__).resolve().parents[3])
LAB = os.environ.get("LVSLAB_NAME", "molnat")
VIP = "192.0.2.10"
GW = "198.51.100.1"
testinfra_hosts = ["local://"]


def on(host, name, cmd):
    out = host.run(f"{shlex.quote(str(ROOT / 'bin' / 'lvslab'))} --name {LAB} exec {name} -- sh -c {shlex.quote(cmd)}")
    assert out.rc == 0, out.stderr
    return out.stdout


def test_default_route_via_director_gateway(host):
    routes = [r for r in json.loads(on(host, "nat1", "ip -j -4 route show")) if r["dst"] == "default"]
    assert [r["gateway"] for r in routes] == [GW]


def test_policy_route_keeps_own_default(host):
    main = [r["gateway"] for r in json.loads(on(host, "nat2", "ip -j -4 route show")) if r["dst"] == "default"]
    table = [r["gateway"] for r in json.loads(on(host, "nat2", "ip -j -4 route show table 100")) if r["dst"] == "default"]
    rules = [(r.get("ipproto"), r.get("sport")) for r in json.loads(on(host, "nat2", "ip -j -4 rule show")) if r["priority"] == 1000]
    assert main == ["198.51.100.254"] and table == [GW] and rules == [("tcp", 80)]


def test_requests_split_and_client_address_seen(host):
    out = on(host, "cl1", f"for i in $(seq 20); do curl -s --max-time 3 http://{VIP}/; done")
    assert Counter(out.split()) == {"nat1": 10, "nat2": 10}
    for name in ("nat1", "nat2"):
        assert "192.0.2.100 - -" in on(host, name, "journalctl -u lab-web.service --no-pager -o cat | tail -20")
