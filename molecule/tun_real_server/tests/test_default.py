"""Molecule verify (testinfra) for tun_real_server: tunl0 up, sysctls, VIP, and requests answered
through the IPIP tunnel. Lab hosts are reached with `bin/lvslab exec` (testinfra's local backend)."""
import json
import os
import shlex
from collections import Counter
from pathlib import Path

ROOT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY") or Path(__file__).resolve().parents[3])
LAB = os.environ.get("LVSLAB_NAME", "moltun")
VIP = "192.0.2.10"
testinfra_hosts = ["local://"]


def on(host, name, cmd):
    out = host.run(f"{shlex.quote(str(ROOT / 'bin' / 'lvslab'))} --name {LAB} exec {name} -- sh -c {shlex.quote(cmd)}")
    assert out.rc == 0, out.stderr
    return out.stdout


def test_tunnel_and_sysctls(host):
    assert "UP" in json.loads(on(host, "tun1", "ip -j link show dev tunl0"))[0]["flags"]
    assert on(host, "tun1", "sysctl -n net.ipv4.conf.tunl0.rp_filter net.ipv4.conf.all.arp_ignore").split() == ["0", "1"]
    addrs = [a["local"] for i in json.loads(on(host, "tun1", "ip -j addr show dev lo")) for a in i["addr_info"]]
    assert VIP in addrs


def test_requests_through_the_tunnel(host):
    before = int(on(host, "tun1", "cat /sys/class/net/tunl0/statistics/rx_packets"))
    out = on(host, "cl1", f"for i in $(seq 10); do curl -s --max-time 3 http://{VIP}/; done")
    assert Counter(out.split()) == {"tun1": 10}
    assert int(on(host, "tun1", "cat /sys/class/net/tunl0/statistics/rx_packets")) - before >= 30
