"""Molecule verify (testinfra) for the director pair: keepalived running with the VIPs and the NAT
gateway on dir1, the live keepalived.conf 0640 without the password, both services balanced
across their real servers from the client. Lab hosts are reached with `bin/lvslab exec`."""
import os
import re
import shlex
from collections import Counter
from pathlib import Path

ROOT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY") or Path(__file__).resolve().parents[3])
LAB = os.environ.get("MOLECULE_LAB_NAME") or os.environ.get("LVSLAB_NAME") or "moldir"  # as molecule.yml
testinfra_hosts = ["local://"]


def on(host, name, cmd):
    out = host.run(f"{shlex.quote(str(ROOT / 'bin' / 'lvslab'))} --name {LAB} exec {name} -- sh -c {shlex.quote(cmd)}")
    assert out.rc == 0, out.stderr
    return out.stdout


def test_keepalived_active_and_config_private(host):
    for name in ("dir1", "dir2"):
        assert on(host, name, "systemctl is-active keepalived").strip() == "active"
        assert on(host, name, "stat -c %a /etc/keepalived/keepalived.conf").strip() == "640"
        assert "lab-Pw1" not in on(host, name, "cat /etc/keepalived/keepalived.conf")


def test_master_holds_vips_and_gateway(host):
    addrs = on(host, "dir1", "ip -4 -o addr show")
    for address in ("192.0.2.10/32", "192.0.2.20/32", "198.51.100.1/24"):
        assert f"inet {address}" in addrs
    assert "192.0.2.10/" not in on(host, "dir2", "ip -4 -o addr show")


def test_traffic_split(host):
    for vip, servers in (("192.0.2.10", ("rs1", "rs2")), ("192.0.2.20", ("nat1", "nat2"))):
        out = on(host, "cl1", f"for i in $(seq 10); do curl -s --max-time 3 http://{vip}/ || echo FAIL; done")
        assert Counter(out.split()) == {servers[0]: 5, servers[1]: 5}


def test_vrrp_firewall_admits_only_the_peer(host):
    # dir2 staying BACKUP (test_master_holds_vips_and_gateway) shows the peer's adverts get through
    for name, front_peer, back_peer in (("dir1", "192.0.2.3", "198.51.100.3"), ("dir2", "192.0.2.2", "198.51.100.2")):
        rules = on(host, name, "nft list table inet lvs_cluster_director")
        for iface, peer in (("eth1", front_peer), ("eth2", back_peer)):
            assert re.search(rf'iifname "{iface}" ip protocol vrrp ip saddr {{? ?{re.escape(peer)} ?}}? accept', rules), rules
            assert f'iifname "{iface}" ip protocol vrrp drop' in rules, rules
        assert 'include "/etc/nftables.d/lvs-cluster-director.nft"' in on(host, name, "cat /etc/nftables.conf")
        assert on(host, name, "systemctl is-enabled nftables").strip() == "enabled"
