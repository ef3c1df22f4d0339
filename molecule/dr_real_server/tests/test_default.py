"""Molecule verify (testinfra) for dr_real_server: state on rs1 (sysctl method) and rs2 (arptables
method), and requests from the client split across both through the director. The lab hosts are
reached with `bin/lvslab exec` from the controller (testinfra's local backend)."""
import json
import os
import shlex
from collections import Counter
from pathlib import Path

ROOT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY") or Path(__file__).resolve().parents[3])
LAB = os.environ.get("LVSLAB_NAME", "moldr")
VIP = "192.0.2.10"
testinfra_hosts = ["local://"]


def on(host, name, cmd):
    out = host.run(f"{shlex.quote(str(ROOT / 'bin' / 'lvslab'))} --name {LAB} exec {name} -- sh -c {shlex.quote(cmd)}")
    assert out.rc == 0, out.stderr
    return out.stdout


def test_vip_on_lo(host):
    for name in ("rs1", "rs2"):
        addrs = [a["local"] + "/" + str(a["prefixlen"]) for i in json.loads(on(host, name, "ip -j addr show dev lo")) for a in i["addr_info"]]
        assert f"{VIP}/32" in addrs


def test_sysctl_method_on_rs1(host):
    assert on(host, "rs1", "sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce").split() == ["1", "2"]
    assert "arp_announce" in on(host, "rs1", "cat /etc/sysctl.d/90-lvs-cluster-arp.conf")


def test_arptables_method_on_rs2(host):
    rules = on(host, "rs2", "arptables -S 2>/dev/null || arptables -L -n")
    assert VIP in rules and "DROP" in rules and "mangle" in rules


def test_requests_split_across_real_servers(host):
    out = on(host, "cl1", f"for i in $(seq 20); do curl -s --max-time 3 http://{VIP}/; done")
    assert Counter(out.split()) == {"rs1": 10, "rs2": 10}
