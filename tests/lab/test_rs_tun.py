"""lvs.cluster.tun_real_server in the lab: one director VM programmed with ipvsadm (IPIP
tunnelling), one real-server VM (the host kernel has no IPIP, the VM's Debian kernel has), one
client. Converge, idempotence, tunl0/sysctls/VIP, requests answered through the tunnel, persistence
across a VM reboot, purge of a VIP, bad input.
Run: LVSLAB_TEST_NAME=rsroles pytest tests/lab/test_rs_tun.py"""
import json

import pytest

from conftest import ROOT
from test_rs_support import assert_idempotent, fetch_split, reboot_vm, recap

pytestmark = pytest.mark.lab

SCEN = ROOT / "molecule" / "tun_real_server"
VIP = "192.0.2.10"
VIP2 = "192.0.2.20"


def services(extra=False):
    svcs = [{"name": "web", "address": VIP, "port": 80, "scheduler": "rr", "forwarding": "tunnel",
             "real_servers": [{"host": "tun1"}]}]
    if extra:
        svcs.append({"name": "web2", "address": VIP2, "port": 80, "forwarding": "tunnel", "real_servers": [{"host": "tun1"}]})
    return svcs


@pytest.fixture(scope="module")
def tun(lab_factory):
    lab = lab_factory(SCEN / "lab" / "topology.yml", "t")
    lab.run_playbook(SCEN / "prepare.yml")
    return lab


@pytest.fixture(scope="module")
def converged(tun):
    first = tun.run_playbook(SCEN / "converge.yml")
    second = tun.run_playbook(SCEN / "converge.yml")
    return first.stdout, second.stdout


def lo_addrs(lab):
    return [a["local"] for i in json.loads(lab.exec("tun1", "ip -j addr show dev lo").stdout) for a in i["addr_info"]]


def tunnel_state(lab):
    link = json.loads(lab.exec("tun1", "ip -j link show dev tunl0").stdout)[0]
    sysctls = lab.exec("tun1", "sysctl -n net.ipv4.conf.tunl0.rp_filter net.ipv4.conf.all.rp_filter "
                               "net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce").stdout.split()
    return "UP" in link["flags"], sysctls


def test_converge_then_idempotent(converged):
    first, second = converged
    assert recap(first)["tun1"]["changed"] > 0
    assert_idempotent(second, ["tun1"])


def test_tunnel_vip_sysctls(tun, converged):
    up, sysctls = tunnel_state(tun)
    assert up and sysctls == ["0", "0", "1", "2"], sysctls
    assert VIP in lo_addrs(tun)
    assert tun.exec("tun1", "systemctl is-enabled lvs-cluster-tun.service").stdout.strip() == "enabled"
    assert tun.exec("tun1", "cat /etc/modules-load.d/lvs-cluster-tun.conf").stdout.split()[-1] == "ipip"


def test_requests_through_the_tunnel(tun, converged):
    before = int(tun.exec("tun1", "cat /sys/class/net/tunl0/statistics/rx_packets").stdout)
    assert fetch_split(tun, "cl1", f"http://{VIP}/", 10) == {"tun1": 10}
    after = int(tun.exec("tun1", "cat /sys/class/net/tunl0/statistics/rx_packets").stdout)
    assert after - before >= 30  # SYN, ACK, request, ACK, FIN... per connection, all decapsulated on tunl0


def test_check_mode_reports_nothing(tun, converged):
    assert_idempotent(tun.run_playbook(SCEN / "converge.yml", args=["--check", "--diff"]).stdout, ["tun1"])


def test_reboot_keeps_serving_without_ansible(tun, converged):
    reboot_vm(tun, "tun1")
    up, sysctls = tunnel_state(tun)
    assert up and sysctls == ["0", "0", "1", "2"], sysctls
    assert VIP in lo_addrs(tun)
    assert fetch_split(tun, "cl1", f"http://{VIP}/", 10) == {"tun1": 10}


def test_purge_moves_a_vip_off(tun, converged):
    tun.run_playbook(SCEN / "converge.yml", extra_vars={"lvs_virtual_services": services(extra=True)})
    assert VIP2 in lo_addrs(tun)
    tun.run_playbook(SCEN / "converge.yml", extra_vars={"lvs_virtual_services": services(), "tun_real_server_purge": True})
    assert VIP2 not in lo_addrs(tun) and VIP in lo_addrs(tun)
    left = tun.exec("tun1", f"grep -rl {VIP2} /etc/systemd /etc/network /etc/lvs-cluster 2>/dev/null; true").stdout
    assert left.strip() == "", left


BAD = [
    ({"lvs_virtual_services": [{"name": "web", "address": VIP, "port": 80, "forwarding": "direct",
                                "real_servers": [{"host": "tun1"}]}]}, "tun1 is a real server of no service with forwarding 'tunnel'"),
    ({"tun_real_server_vips": ["192.0.2.99"]}, "are not VIPs of services"),
    ({"lvs_virtual_services": [{"name": "web", "address": VIP, "port": 80, "forwarding": "tunnel",
                                "tunnel": {"type": "vxlan"}, "real_servers": [{"host": "tun1"}]}]}, "vxlan"),
]


@pytest.mark.parametrize("extra,message", BAD, ids=["no-service", "vip-not-in-list", "tunnel-type"])
def test_bad_input_stops_before_changes(tun, converged, extra, message):
    p = tun.run_playbook(SCEN / "converge.yml", extra_vars=extra, check=False)
    assert p.returncode != 0 and message in p.stdout, p.stdout[-3000:]
    assert recap(p.stdout)["tun1"]["changed"] == 0


def test_gre_and_gue_tunnels_carry_requests(tun, converged):
    """tunnel.type gre and gue (kernel >= 5.3): the role opens the GUE port and brings gre0 up; the
    director (ipvsadm --tun-type, as the director role's template writes it) sends through them."""
    vip_gre, vip_gue, gue_port, rs = "192.0.2.30", "192.0.2.40", 6080, "192.0.2.21"
    svcs = [
        *services(),
        {"name": "web-gre", "address": vip_gre, "port": 80, "forwarding": "tunnel", "tunnel": {"type": "gre"},
         "real_servers": [{"host": "tun1"}]},
        {"name": "web-gue", "address": vip_gue, "port": 80, "forwarding": "tunnel", "tunnel": {"type": "gue", "port": gue_port},
         "real_servers": [{"host": "tun1"}]},
    ]
    first = tun.run_playbook(SCEN / "converge.yml", extra_vars={"lvs_virtual_services": svcs})
    assert recap(first.stdout)["tun1"]["changed"] > 0
    assert_idempotent(tun.run_playbook(SCEN / "converge.yml", extra_vars={"lvs_virtual_services": svcs}).stdout, ["tun1"])
    assert str(gue_port) in tun.exec("tun1", "ip fou show").stdout
    assert {vip_gre, vip_gue} <= set(lo_addrs(tun))
    front = tun.hostvars("dir1")["lab_front_interface"]
    tun.exec("dir1", f"ip addr replace {vip_gre}/32 dev {front} && ip addr replace {vip_gue}/32 dev {front}"
                     f" && ipvsadm -A -t {vip_gre}:80 -s rr && ipvsadm -a -t {vip_gre}:80 -r {rs}:80 -i --tun-type gre"
                     f" && ipvsadm -A -t {vip_gue}:80 -s rr"
                     f" && ipvsadm -a -t {vip_gue}:80 -r {rs}:80 -i --tun-type gue --tun-port {gue_port}")
    try:
        gre_before = int(tun.exec("tun1", "cat /sys/class/net/gre0/statistics/rx_packets").stdout)
        assert fetch_split(tun, "cl1", f"http://{vip_gre}/", 6) == {"tun1": 6}
        assert int(tun.exec("tun1", "cat /sys/class/net/gre0/statistics/rx_packets").stdout) - gre_before >= 18
        ipip_before = int(tun.exec("tun1", "cat /sys/class/net/tunl0/statistics/rx_packets").stdout)
        assert fetch_split(tun, "cl1", f"http://{vip_gue}/", 6) == {"tun1": 6}
        # GUE carries IPIP: decapsulated by fou on the UDP port, then by tunl0
        assert int(tun.exec("tun1", "cat /sys/class/net/tunl0/statistics/rx_packets").stdout) - ipip_before >= 18
    finally:
        tun.exec("dir1", f"ipvsadm -D -t {vip_gre}:80; ipvsadm -D -t {vip_gue}:80; ip addr del {vip_gre}/32 dev {front};"
                         f" ip addr del {vip_gue}/32 dev {front}; true")
