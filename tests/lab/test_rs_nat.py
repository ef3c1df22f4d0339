"""lvs.cluster.nat_real_server in the lab: one director VM programmed with ipvsadm (masquerade) and
holding the NAT gateway 198.51.100.1 on back, two real-server containers on back (nat1: default
route mode, nat2: policy mode with a default route of its own), one client on front. Converge,
idempotence, routes and rules, requests split, the real servers see the client's address,
persistence across a restart, removal, bad input.
Run: LVSLAB_TEST_NAME=rsroles pytest tests/lab/test_rs_nat.py"""
import json

import pytest

from conftest import ROOT
from test_rs_support import assert_idempotent, fetch_split, reboot_container, recap, wait_for

pytestmark = pytest.mark.lab

SCEN = ROOT / "molecule" / "nat_real_server"
VIP = "192.0.2.10"
GW = "198.51.100.1"
RS = ("nat1", "nat2")
CLIENT_ADDR = "192.0.2.100"


@pytest.fixture(scope="module")
def nat(lab_factory):
    lab = lab_factory(SCEN / "lab" / "topology.yml", "n")
    lab.run_playbook(SCEN / "prepare.yml")
    return lab


@pytest.fixture(scope="module")
def converged(nat):
    first = nat.run_playbook(SCEN / "converge.yml")
    second = nat.run_playbook(SCEN / "converge.yml")
    return first.stdout, second.stdout


def defaults(lab, host, table="main"):
    return [r for r in json.loads(lab.exec(host, f"ip -j -4 route show table {table}", check=False).stdout or "[]")
            if r.get("dst") == "default"]


def rules(lab, host):
    return [r for r in json.loads(lab.exec(host, "ip -j -4 rule show").stdout) if r.get("priority") == 1000]


def expected_state(lab):
    assert [(r["gateway"], r.get("metric", 0)) for r in defaults(lab, "nat1")] == [(GW, 0)]
    # nat2 keeps its own default route; port-80 replies use table 100 via the director
    assert [r["gateway"] for r in defaults(lab, "nat2")] == ["198.51.100.254"]
    assert [r["gateway"] for r in defaults(lab, "nat2", 100)] == [GW]
    assert [(r["ipproto"], r["sport"], r["table"]) for r in rules(lab, "nat2")] == [("tcp", 80, "100")]
    assert rules(lab, "nat1") == []


def test_converge_then_idempotent(converged):
    first, second = converged
    rc = recap(first)
    assert rc["nat1"]["changed"] > 0 and rc["nat2"]["changed"] > 0
    assert_idempotent(second, RS)


def test_routes_rules_and_unit(nat, converged):
    expected_state(nat)
    for host in RS:
        assert nat.exec(host, "systemctl is-enabled lvs-cluster-nat-route.service").stdout.strip() == "enabled"


def test_replies_go_back_through_the_director(nat, converged):
    split = fetch_split(nat, "cl1", f"http://{VIP}/", 20)
    assert split == {"nat1": 10, "nat2": 10}, split
    for host in RS:
        log = nat.exec(host, "journalctl -u lab-web.service --no-pager -o cat | tail -20").stdout
        assert f"{CLIENT_ADDR} - -" in log, f"{host} did not see the client's own address:\n{log}"


def test_check_mode_reports_nothing(nat, converged):
    assert_idempotent(nat.run_playbook(SCEN / "converge.yml", args=["--check", "--diff"]).stdout, RS)


def test_drift_is_repaired(nat, converged):
    nat.exec("nat1", f"ip route del default via {GW}")
    nat.exec("nat2", "ip rule del priority 1000 ipproto tcp sport 80 table 100")
    out = nat.run_playbook(SCEN / "converge.yml").stdout
    assert recap(out)["nat1"]["changed"] == 1 and recap(out)["nat2"]["changed"] == 1, out[-3000:]
    expected_state(nat)


def test_restart_keeps_serving_without_ansible(nat, converged):
    nat.exec("nat1", f"ip route del default via {GW} || true")
    reboot_container(nat, "nat1", "true")
    reboot_container(nat, "nat2", "ip rule del priority 1000 ipproto tcp sport 80 table 100; ip route flush table 100; true")
    wait_for(lambda: defaults(nat, "nat1") and defaults(nat, "nat2", 100), 60, what="routes back")
    expected_state(nat)

    # seen by hand: for a few seconds after a container restart the first requests may time out
    def even_split():
        counts = fetch_split(nat, "cl1", f"http://{VIP}/", 20)
        return counts if counts == {"nat1": 10, "nat2": 10} else None

    assert wait_for(even_split, 60, what="traffic split after restart") == {"nat1": 10, "nat2": 10}


BAD = [
    ({"nat_real_server_gateway": ""}, "nat_real_server_gateway is empty"),
    ({"nat_real_server_gateway": "198.51.100.254"}, "does not answer ping"),
    ({"nat_real_server_gateway": "gw.example"}, "is not an IPv4 address"),
    ({"lvs_virtual_services": [{"name": "web", "address": VIP, "port": 80, "forwarding": "masquerade",
                                "real_servers": [{"host": "nat2"}]}]}, "nat1 is a real server of no service with forwarding 'masquerade'"),
    ({"nat_real_server_route_mode": "source"}, "nat_real_server_route_mode"),
    ({"nat_real_server_table": 254}, "must not be a reserved table"),
]


@pytest.mark.parametrize("extra,message", BAD, ids=["no-gateway", "silent-gateway", "bad-gateway", "no-service", "mode", "table"])
def test_bad_input_stops_before_changes(nat, converged, extra, message):
    snap = "ip -4 route; ip -4 rule; ls -l --time-style=+%s /etc/lvs-cluster"
    before = nat.exec("nat1", snap).stdout
    p = nat.run_playbook(SCEN / "converge.yml", extra_vars=extra, args=["--limit", "nat1"], check=False)
    assert p.returncode != 0 and message in p.stdout, p.stdout[-3000:]
    assert recap(p.stdout)["nat1"]["changed"] == 0
    assert nat.exec("nat1", snap).stdout == before


def test_absent_leaves_nothing_behind(nat, converged):
    out = nat.run_playbook(SCEN / "converge.yml", extra_vars={"nat_real_server_state": "absent"}).stdout
    assert recap(out)["nat1"]["failed"] == 0
    assert defaults(nat, "nat1") == [] and rules(nat, "nat2") == [] and defaults(nat, "nat2", 100) == []
    assert [r["gateway"] for r in defaults(nat, "nat2")] == ["198.51.100.254"]
    for host in RS:
        left = nat.exec(host, "ls /etc/lvs-cluster /usr/local/sbin/lvs-nat-route /etc/systemd/system/lvs-cluster-nat-route.service 2>/dev/null; true").stdout
        assert "nat_real_server" not in left and "lvs-nat-route" not in left, left
    again = nat.run_playbook(SCEN / "converge.yml", extra_vars={"nat_real_server_state": "absent"}).stdout
    assert_idempotent(again, RS)
