# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lo_vip, sysctl_arp and arptables_rule live in the smoke lab (real-server containers with their own
network namespace and systemd; systemd-networkd active; Debian bookworm).

rs1 is a DR real server made with the sysctl method, rs2 with the arptables method (arptables-nft,
the image's default). Both get their VIPs persisted by auto detection (networkd); rs2 also holds a
VIP persisted through ifupdown (networking.service enabled for the test). The tests run in file order
and share one lab: apply + diff, re-run unchanged, check mode touches nothing, reboot restores,
end-to-end DR through a director VM, bad input rejected, absent removes exactly what was added.

"Reboot": a container's network namespace belongs to the lab, not to the container, so kernel state
(addresses, sysctls, ARP rules) would survive ``podman restart``. The test first wipes that state
in the namespace, as a fresh kernel would have it, then restarts the container and waits for systemd.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import time

import pytest

from conftest import DEFAULT_TOPOLOGY, LabHandle, _podman

pytestmark = pytest.mark.lab

VIP, VIP6, VIP_IFUPDOWN = "192.0.2.10", "2001:db8:1::10", "192.0.2.20"

APPLY = """
- name: DR real servers made with lvs.cluster host modules
  hosts: rs1:rs2
  gather_facts: false
  tasks:
    - name: VIPs on lo (persistence auto)
      lvs.cluster.lo_vip:
        addresses: [{vip}, "{vip6}"]
        label: lo:vip
        state: "{{{{ state }}}}"
    - name: ARP sysctls (rs1)
      lvs.cluster.sysctl_arp:
        state: "{{{{ state }}}}"
      when: inventory_hostname == 'rs1'
    - name: ARP rules (rs2)
      lvs.cluster.arptables_rule:
        rules:
          - {{chain: INPUT, destination: {vip}, jump: DROP}}
          - {{chain: OUTPUT, source: {vip}, jump: mangle, mangle_ip_source: "{{{{ lvs_real_server_address }}}}"}}
        state: "{{{{ state }}}}"
      when: inventory_hostname == 'rs2'
    - name: A VIP persisted through ifupdown (rs2)
      lvs.cluster.lo_vip:
        addresses: [{vip2}]
        persistence: ifupdown
        state: "{{{{ state }}}}"
      when: inventory_hostname == 'rs2'
""".format(vip=VIP, vip6=VIP6, vip2=VIP_IFUPDOWN)

PERSISTENT_FILES = {
    "rs1": ["/etc/systemd/network/40-lvs-cluster-lo.network", "/etc/sysctl.d/90-lvs-cluster-arp.conf"],
    "rs2": [
        "/etc/systemd/network/40-lvs-cluster-lo.network",
        "/etc/network/interfaces.d/lvs-cluster-vips-lo",
        "/etc/lvs-cluster/arptables.rules",
        "/etc/systemd/system/lvs-cluster-arptables.service",
    ],
}


@pytest.fixture(scope="module")
def lab(lab_factory, tmp_path_factory) -> LabHandle:
    handle = lab_factory(DEFAULT_TOPOLOGY, "h")
    handle.exec("rs2", "systemctl enable --quiet networking.service")  # rs2 plays an ifupdown host
    handle.playbook_dir = tmp_path_factory.mktemp("hostmods")
    (handle.playbook_dir / "apply.yml").write_text(APPLY)
    return handle


def play(lab, state="present", args=()):
    p = lab.run_playbook(lab.playbook_dir / "apply.yml", extra_vars={"state": state}, args=args)
    return p.stdout


def recap(stdout):
    """{host: changed count} from the PLAY RECAP."""
    result = {}
    for line in stdout.splitlines():
        if " : ok=" in line:
            host = line.split()[0]
            result[host] = int(line.split("changed=")[1].split()[0])
    return result


def snapshot(lab, host):
    """Everything the modules manage on ``host``: addresses of lo, ARP sysctls, ARP rules, persistent files."""
    cmd = (
        "ip -br address show dev lo; "
        "sysctl net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce net.ipv4.conf.lo.arp_ignore net.ipv4.conf.lo.arp_announce; "
        "arptables -L -n; "
        "for f in %s; do echo \"== $f\"; cat $f 2>/dev/null || echo '(absent)'; done; "
        "systemctl is-enabled lvs-cluster-arptables.service 2>/dev/null || true"
    ) % " ".join(sorted(set(PERSISTENT_FILES["rs1"] + PERSISTENT_FILES["rs2"])))
    return lab.exec(host, cmd).stdout


def test_apply_with_diff_then_unchanged(lab):
    out = play(lab, args=["--diff"])
    assert recap(out) == {"rs1": 2, "rs2": 3}
    assert "+192.0.2.10/32 dev lo label lo:vip" in out
    assert "+Address=192.0.2.10/32" in out and "+Label=lo:vip" in out
    assert "+net.ipv4.conf.all.arp_ignore = 1" in out and "-net.ipv4.conf.all.arp_ignore = 0" in out
    assert "+-A OUTPUT -j mangle -s 192.0.2.10 --mangle-ip-s 192.0.2.12" in out
    assert "+    up /sbin/ip address replace 192.0.2.20/32 dev lo" in out or "+    up /usr/sbin/ip address replace 192.0.2.20/32 dev lo" in out

    rs1, rs2 = lab.exec("rs1", "ip -j address show dev lo").stdout, lab.exec("rs2", "ip -j address show dev lo").stdout
    assert {(a["local"], a["prefixlen"]) for a in json.loads(rs1)[0]["addr_info"]} == {("127.0.0.1", 8), ("::1", 128), (VIP, 32), (VIP6, 128)}
    assert (VIP_IFUPDOWN, 32) in {(a["local"], a["prefixlen"]) for a in json.loads(rs2)[0]["addr_info"]}
    assert lab.exec("rs1", "sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce").stdout.split() == ["1", "2"]
    assert "-j DROP -d 192.0.2.10" in lab.exec("rs2", "arptables -L -n").stdout

    assert recap(play(lab)) == {"rs1": 0, "rs2": 0}


def test_check_mode_touches_nothing(lab):
    before = {h: snapshot(lab, h) for h in ("rs1", "rs2")}
    out = play(lab, state="absent", args=["--check", "--diff"])
    assert recap(out) == {"rs1": 2, "rs2": 3}  # it would remove everything ...
    assert "-192.0.2.10/32 dev lo label lo:vip" in out
    assert {h: snapshot(lab, h) for h in ("rs1", "rs2")} == before  # ... and did nothing


def reboot(lab, host):
    """Wipe the namespace's kernel state like a fresh boot, restart the container, wait for systemd."""
    netns = lab.hostvars(host)["lab_netns"]
    for argv in (
        ["ip", "-n", netns, "address", "flush", "dev", "lo", "scope", "global"],
        ["ip", "netns", "exec", netns, "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=0", "net.ipv4.conf.all.arp_announce=0",
         "net.ipv4.conf.lo.arp_ignore=0", "net.ipv4.conf.lo.arp_announce=0"],
        ["ip", "netns", "exec", netns, "arptables-nft", "-F"],
    ):
        subprocess.run(argv, check=True)
    container = lab.hostvars(host)["ansible_host"]
    subprocess.run(_podman.podman("restart", "-t", "5", container), check=True, capture_output=True)
    deadline, state = time.monotonic() + 90, None
    while time.monotonic() < deadline:
        state = subprocess.run(_podman.podman("exec", container, "systemctl", "is-system-running"), check=False, capture_output=True, text=True).stdout.strip()
        if state in ("running", "degraded"):
            return state
        time.sleep(1)
    raise AssertionError("%s did not finish booting: %s" % (host, state))


def test_reboot_restores_runtime_state_from_persistent_config(lab):
    before = {h: snapshot(lab, h) for h in ("rs1", "rs2")}
    assert lab.exec("rs1", "ip -br address show dev lo scope global").stdout.strip()
    states = {h: reboot(lab, h) for h in ("rs1", "rs2")}
    assert states == {"rs1": "running", "rs2": "running"}, states
    after = {h: snapshot(lab, h) for h in ("rs1", "rs2")}
    for host in ("rs1", "rs2"):
        # addresses may come back in another order
        b, a = before[host].splitlines(), after[host].splitlines()
        assert sorted(b[0].split()[2:]) == sorted(a[0].split()[2:]), (b[0], a[0])
        assert b[1:] == a[1:]
    assert recap(play(lab)) == {"rs1": 0, "rs2": 0}


def test_dr_end_to_end(lab):
    """Director VM with a plain ipvsadm DR service to rs1 (sysctl method) and rs2 (arptables method)."""
    front = lab.hostvars("dir1")["lab_front_interface"]
    director_mac = lab.hostvars("dir1")["lab_macs"]["front"]
    for host in ("rs1", "rs2"):
        lab.exec(host, "mkdir -p /srv/www && hostname > /srv/www/index.html && "
                       "systemd-run --unit=hostmods-web python3 -m http.server 80 --bind 0.0.0.0 -d /srv/www")
    lab.exec("dir1", textwrap.dedent(f"""\
        set -e
        modprobe ip_vs
        ip address add {VIP}/32 dev {front}
        ipvsadm -A -t {VIP}:80 -s rr
        ipvsadm -a -t {VIP}:80 -r 192.0.2.11:80 -g
        ipvsadm -a -t {VIP}:80 -r 192.0.2.12:80 -g
        """))
    try:
        lab.client_exec("cl1", f"ip neigh flush to {VIP}", check=False)
        answers = [lab.client_exec("cl1", f"curl -s --max-time 5 http://{VIP}/").stdout.strip() for _request in range(6)]
        neigh = lab.client_exec("cl1", f"ip -j neigh show to {VIP}").stdout
        entries = json.loads(neigh)
        assert [e.get("lladdr") for e in entries] == [director_mac], entries
        assert sorted(set(answers)) == ["rs1", "rs2"], answers
        stats = lab.exec("dir1", "ipvsadm -Ln --stats").stdout
        assert "192.0.2.11:80" in stats and "192.0.2.12:80" in stats
    finally:
        lab.exec("dir1", f"ipvsadm -D -t {VIP}:80; ip address del {VIP}/32 dev {front}", check=False)
        for host in ("rs1", "rs2"):
            lab.exec(host, "systemctl stop hostmods-web", check=False)


@pytest.mark.parametrize(
    ("host", "module", "args", "message"),
    [
        ("rs1", "lvs.cluster.lo_vip", "addresses=192.0.2.30/24", "has prefix /24; a VIP on lo must be /32"),
        ("rs1", "lvs.cluster.lo_vip", "addresses=192.0.2.300", "'192.0.2.300' is not an IPv4 or IPv6 address"),
        ("rs1", "lvs.cluster.lo_vip", "addresses=192.0.2.30 interface=nosuch0", "interface: 'nosuch0' does not exist"),
        ("rs1", "lvs.cluster.sysctl_arp", "arp_ignore=9", "arp_ignore"),
        ("rs1", "lvs.cluster.sysctl_arp", "hidden=1", "arp_ignore=1 and arp_announce=2"),
        ("rs2", "lvs.cluster.arptables_rule", "chain=OUTPUT jump=mangle mangle_ip_source=192.0.2.12", "missing: source"),
    ],
)
def test_bad_input_rejected_without_change(lab, host, module, args, message):
    before = snapshot(lab, host)
    p = lab.ansible(host, module, args, check=False)
    assert p.returncode != 0
    assert message in p.stdout, p.stdout
    assert snapshot(lab, host) == before


def test_absent_removes_exactly_what_was_added(lab):
    play(lab, state="absent")
    for host in ("rs1", "rs2"):
        lo = json.loads(lab.exec(host, "ip -j address show dev lo").stdout)[0]["addr_info"]
        assert {(a["local"], a["prefixlen"]) for a in lo} == {("127.0.0.1", 8), ("::1", 128)}
        for path in PERSISTENT_FILES[host]:
            assert lab.exec(host, f"test ! -e {path}", check=False).returncode == 0, path
    assert lab.exec("rs1", "sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.lo.arp_announce").stdout.split() == ["0", "0"]
    assert "-j " not in lab.exec("rs2", "arptables -L -n").stdout
    assert lab.exec("rs2", "systemctl is-enabled lvs-cluster-arptables.service", check=False).returncode != 0
    assert "auto lo" in lab.exec("rs2", "cat /etc/network/interfaces").stdout  # the host's own file untouched
    assert recap(play(lab, state="absent")) == {"rs1": 0, "rs2": 0}
