"""lvs.cluster.dr_real_server in the lab: one director VM programmed with ipvsadm from the service
list (molecule/dr_real_server/prepare.yml), two real-server containers (rs1: sysctl method, rs2:
arptables method), one client. Converge, idempotence, state on the hosts, requests split across
the real servers, ARP owned by the director, persistence across a restart, purge, bad input.
Run: LVSLAB_TEST_NAME=rsroles pytest tests/lab/test_rs_dr.py"""
import json

import pytest

from conftest import ROOT
from test_rs_support import assert_idempotent, changed_tasks, fetch_split, reboot_container, recap, wait_for

pytestmark = pytest.mark.lab

SCEN = ROOT / "molecule" / "dr_real_server"
TOPOLOGY = ROOT / "lab" / "topologies" / "smoke.yml"
VIP = "192.0.2.10"
VIP2 = "192.0.2.20"
RS = ("rs1", "rs2")
SYSCTL_FILE = "/etc/sysctl.d/90-lvs-cluster-arp.conf"


@pytest.fixture(scope="module")
def dr(lab_factory):
    lab = lab_factory(TOPOLOGY, "d")
    lab.run_playbook(SCEN / "prepare.yml")
    return lab


@pytest.fixture(scope="module")
def converged(dr):
    first = dr.run_playbook(SCEN / "converge.yml")
    second = dr.run_playbook(SCEN / "converge.yml")
    return first.stdout, second.stdout


def services(extra=False):
    svcs = [{"name": "web", "address": VIP, "port": 80, "scheduler": "rr", "forwarding": "direct",
             "real_servers": [{"host": "rs1"}, {"host": "rs2"}]}]
    if extra:
        svcs.append({"name": "web2", "address": VIP2, "port": 80, "scheduler": "rr", "forwarding": "direct",
                     "real_servers": [{"host": "rs1"}, {"host": "rs2"}]})
    return svcs


def lo_addrs(dr, host):
    return [a["local"] for i in json.loads(dr.exec(host, "ip -j addr show dev lo").stdout) for a in i["addr_info"]]


def test_converge_then_idempotent(converged):
    first, second = converged
    rc = recap(first)
    assert rc["rs1"]["changed"] > 0 and rc["rs2"]["changed"] > 0
    assert_idempotent(second, RS)


def test_vip_on_lo_and_arp_silenced(dr, converged):
    for host in RS:
        assert VIP in lo_addrs(dr, host)
        out = dr.exec(host, "ip -4 -o addr show dev lo").stdout
        assert f"{VIP}/32" in out and "lo:lvs" in out
    # rs1: sysctl method
    assert dr.exec("rs1", "sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce").stdout.split() == ["1", "2"]
    assert "arp_ignore" in dr.exec("rs1", f"cat {SYSCTL_FILE}").stdout
    # rs2: arptables method, no sysctl profile
    rules = dr.exec("rs2", "arptables -S 2>/dev/null || arptables -L -n").stdout
    assert VIP in rules and "DROP" in rules and "192.0.2.12" in rules, rules
    assert dr.exec("rs2", f"test -e {SYSCTL_FILE}", check=False).returncode != 0
    assert dr.exec("rs2", "sysctl -n net.ipv4.conf.all.arp_ignore").stdout.strip() == "0"


def test_requests_split_and_director_owns_arp(dr, converged):
    split = fetch_split(dr, "cl1", f"http://{VIP}/", 20)
    assert split == {"rs1": 10, "rs2": 10}, split
    dir_mac = dr.hostvars("dir1")["lab_macs"]["front"]
    for _attempt in range(3):
        dr.client_exec("cl1", f"ip neigh flush to {VIP}; curl -s --max-time 3 -o /dev/null http://{VIP}/")
        neigh = dr.client_exec("cl1", f"ip neigh show to {VIP}").stdout
        assert dir_mac in neigh, f"client resolved the VIP to {neigh!r}, not the director {dir_mac}"


def test_check_mode_reports_nothing_on_converged_hosts(dr, converged):
    out = dr.run_playbook(SCEN / "converge.yml", args=["--check", "--diff"]).stdout
    assert_idempotent(out, RS)


def test_restart_keeps_serving_without_ansible(dr, converged):
    # wipe what the role set at runtime; only the persistent configuration can bring it back
    wipe = (f"ip addr del {VIP}/32 dev lo; sysctl -qw net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0 "
            "net.ipv4.conf.lo.arp_ignore=0 net.ipv4.conf.lo.arp_announce=0; (arptables -F || true) 2>/dev/null; "
            "(nft delete table arp lvs_cluster || true) 2>/dev/null; true")
    for host in RS:
        reboot_container(dr, host, wipe)
    for host in RS:
        wait_for(lambda h=host: VIP in lo_addrs(dr, h), 60, what=f"{host}: VIP back on lo")
    assert dr.exec("rs1", "sysctl -n net.ipv4.conf.all.arp_ignore").stdout.strip() == "1"
    assert VIP in dr.exec("rs2", "arptables -S 2>/dev/null || arptables -L -n").stdout

    def even_split():
        counts = fetch_split(dr, "cl1", f"http://{VIP}/", 20)
        return counts if counts == {"rs1": 10, "rs2": 10} else None

    assert wait_for(even_split, 60, what="traffic split after restart") == {"rs1": 10, "rs2": 10}


def test_purge_moves_a_vip_off_and_switches_method(dr, converged):
    # add a second VIP to both real servers
    dr.run_playbook(SCEN / "converge.yml", extra_vars={"lvs_virtual_services": services(extra=True)})
    for host in RS:
        assert VIP2 in lo_addrs(dr, host)
    assert VIP2 in dr.exec("rs2", "arptables -S 2>/dev/null || arptables -L -n").stdout
    # move it off, and switch rs1 to arptables, rs2 to sysctl, with purge
    out = dr.run_playbook(SCEN / "converge.yml", extra_vars={
        "lvs_virtual_services": services(), "dr_real_server_purge": True}, args=["-e", "dr_real_server_arp_method=nftables", "--limit", "rs1"]).stdout
    out2 = dr.run_playbook(SCEN / "converge.yml", extra_vars={
        "lvs_virtual_services": services(), "dr_real_server_purge": True}, args=["-e", "dr_real_server_arp_method=sysctl", "--limit", "rs2"]).stdout
    for host in RS:
        assert VIP2 not in lo_addrs(dr, host) and VIP in lo_addrs(dr, host)
        persisted = dr.exec(host, f"grep -rl {VIP2} /etc/systemd /etc/network /etc/lvs-cluster /etc/NetworkManager 2>/dev/null || true").stdout
        assert persisted.strip() == "", f"{host}: {VIP2} left in {persisted}"
    # rs1: sysctl file gone, nftables arp rules for the VIP only
    assert dr.exec("rs1", f"test -e {SYSCTL_FILE}", check=False).returncode != 0, changed_tasks(out)
    nft = dr.exec("rs1", "nft list table arp lvs_cluster").stdout
    assert VIP in nft and VIP2 not in nft
    # rs2: arptables rules gone, sysctl profile in place
    assert VIP not in dr.exec("rs2", "arptables -S 2>/dev/null || arptables -L -n").stdout, changed_tasks(out2)
    assert dr.exec("rs2", "sysctl -n net.ipv4.conf.all.arp_ignore").stdout.strip() == "1"
    # and the cluster still serves
    assert fetch_split(dr, "cl1", f"http://{VIP}/", 10) == {"rs1": 5, "rs2": 5}
    # the new state is idempotent
    again = dr.run_playbook(SCEN / "converge.yml", extra_vars={"lvs_virtual_services": services(), "dr_real_server_purge": True},
                            args=["-e", "dr_real_server_arp_method=nftables", "--limit", "rs1"]).stdout
    assert_idempotent(again, ["rs1"])


RECORD = "/etc/lvs-cluster/dr_real_server.yml"


def test_purge_removes_only_owned_state_and_migrates_a_record_file(dr, converged):
    """Module-level ownership on rs2 (arptables method): an old release's record file lists VIP2, which
    is on lo without the role's label and not persisted, with arptables rules outside the save file.
    Purge removes VIP2 and its rules (owned through the record), then deletes the record; an address
    and a rule of someone else, a link-local address with the role's label stay. --check --diff
    changes nothing; the second run changes nothing."""
    args = ["-e", "dr_real_server_arp_method=arptables", "--limit", "rs2"]
    extra = {"lvs_virtual_services": services(), "dr_real_server_purge": True}
    dr.run_playbook(SCEN / "converge.yml", extra_vars=extra, args=args)
    record = ("dr_real_server_managed:\n  vips: [%s, %s]\n  arp_methods: [arptables]\n  arp_rules:\n"
              "    arptables:\n    - {chain: INPUT, destination: %s, jump: DROP}\n"
              "    - {chain: OUTPUT, source: %s, jump: mangle, mangle_ip_source: 192.0.2.12}\n    nftables: []\n") % (VIP, VIP2, VIP2, VIP2)
    plant = (f"printf '{record}' > {RECORD}; ip addr add {VIP2}/32 dev lo; "
             f"arptables -A INPUT -d {VIP2} -j DROP; arptables -A OUTPUT -s {VIP2} -j mangle --mangle-ip-s 192.0.2.12; "
             "ip addr add 198.51.100.77/32 dev lo; ip addr add 169.254.7.7/32 dev lo label lo:lvs; "
             "arptables -A INPUT -d 203.0.113.5 -j DROP")
    dr.exec("rs2", plant)
    try:
        def state():
            return (lo_addrs(dr, "rs2"), dr.exec("rs2", "arptables -S 2>/dev/null || arptables -L -n").stdout,
                    dr.exec("rs2", f"test -e {RECORD}", check=False).returncode == 0)

        before = state()
        checked = dr.run_playbook(SCEN / "converge.yml", extra_vars=extra, args=[*args, "--check", "--diff"]).stdout
        assert recap(checked)["rs2"]["changed"] > 0
        assert VIP2 in checked and RECORD in checked, changed_tasks(checked)
        assert state() == before

        out = dr.run_playbook(SCEN / "converge.yml", extra_vars=extra, args=args).stdout
        addrs, rules, has_record = state()
        assert VIP in addrs and VIP2 not in addrs, changed_tasks(out)
        assert "198.51.100.77" in addrs and "169.254.7.7" in addrs and "127.0.0.1" in addrs
        assert VIP in rules and VIP2 not in rules and "203.0.113.5" in rules, rules
        assert not has_record
        assert VIP2 not in dr.exec("rs2", "cat /etc/lvs-cluster/arptables.rules").stdout

        again = dr.run_playbook(SCEN / "converge.yml", extra_vars=extra, args=args).stdout
        assert_idempotent(again, ["rs2"])
        assert fetch_split(dr, "cl1", f"http://{VIP}/", 10) == {"rs1": 5, "rs2": 5}
    finally:
        dr.exec("rs2", "ip addr del 198.51.100.77/32 dev lo; ip addr del 169.254.7.7/32 dev lo; "
                       "arptables -D INPUT -d 203.0.113.5 -j DROP; true", check=False)


BAD = [
    ({"lvs_virtual_services": [{"name": "web", "address": VIP, "port": 80, "real_servers": [{"host": "rs2"}]}]},
     "rs1 is a real server of no service with forwarding 'direct'"),
    ({"dr_real_server_vips": ["192.0.2.99"]}, "are not addresses of services in lvs_virtual_services"),
    ({"dr_real_server_arp_method": "hidden"}, "dr_real_server_arp_method"),
    ({"dr_real_server_vips": ["192.0.2.0/24"]}, "192.0.2.0/24"),
    ({"dr_real_server_label": "eth0:x"}, "dr_real_server_label"),
]


@pytest.mark.parametrize("extra,message", BAD, ids=["no-service", "vip-not-in-list", "arp-method", "prefix", "label"])
def test_bad_input_stops_before_changes(dr, converged, extra, message):
    before = dr.exec("rs1", "ip -o addr show dev lo; ls -l --time-style=+%s /etc/lvs-cluster; sysctl -a 2>/dev/null | grep -E 'arp_(ignore|announce)'").stdout
    p = dr.run_playbook(SCEN / "converge.yml", extra_vars=extra, args=["--limit", "rs1"], check=False)
    assert p.returncode != 0
    assert message in p.stdout, p.stdout[-3000:]
    assert recap(p.stdout)["rs1"]["changed"] == 0
    after = dr.exec("rs1", "ip -o addr show dev lo; ls -l --time-style=+%s /etc/lvs-cluster; sysctl -a 2>/dev/null | grep -E 'arp_(ignore|announce)'").stdout
    assert before == after
