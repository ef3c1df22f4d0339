# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lvs.cluster.lo_vip end to end through main(). The only patched choke point is the module's
run_command: a small host simulation answers ``ip -j address show`` from the recorded ``ip -j addr``
output (kept in sync by add/del) and records systemctl/nmcli calls; files go under a temporary root."""

from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.cluster.plugins.module_utils import _netconf
from ansible_collections.lvs.cluster.plugins.modules import lo_vip

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures", "hostmods")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


class Host:
    def __init__(self, addr_json, services=None, nmcli_version=None):
        self.links = {"lo": json.loads(addr_json)[0], "eth1": json.loads(fixture("ip_addr_eth1.json"))[0]}
        self.services = services or {}
        self.nmcli_version = nmcli_version
        self.calls = []

    def writes(self):
        return [
            c for c in self.calls if not (c[:2] == ["ip", "-j"] or c[1] in ("is-active", "is-enabled", "--version"))
        ]

    def run_command(self, argv, **_kwargs):
        tool, args = os.path.basename(argv[0]), list(argv[1:])
        self.calls.append([tool, *args])
        if tool == "ip" and args[:3] == ["-j", "address", "show"]:
            link = self.links.get(args[4])
            if link is None:
                return 1, "", 'Device "%s" does not exist.\n' % args[4]
            return 0, json.dumps([link]), ""
        if tool == "ip" and args[:2] in (["address", "add"], ["address", "del"]):
            address, prefix = args[2].split("/")
            link = self.links[args[4]]
            infos = link["addr_info"]
            match = [i for i in infos if i["local"] == address and i["prefixlen"] == int(prefix)]
            if args[1] == "add":
                if match:
                    return 2, "", "RTNETLINK answers: File exists\n"
                info = {"family": "inet6" if ":" in address else "inet", "local": address, "prefixlen": int(prefix), "scope": "global"}
                if info["family"] == "inet":
                    info["label"] = args[args.index("label") + 1] if "label" in args else args[4]
                infos.append(info)
            else:
                if not match:
                    return 2, "", "RTNETLINK answers: Cannot assign requested address\n"
                infos.remove(match[0])
            return 0, "", ""
        if tool == "systemctl":
            verb, unit = args[0], (args[1] if len(args) > 1 else None)
            if verb == "is-active":
                state = self.services.get(unit, "inactive")
                return (0 if state == "active" else 3), state + "\n", ""
            if verb == "is-enabled":
                state = self.services.get(unit, "disabled")
                return (0 if state == "enabled" else 1), state + "\n", ""
            if verb == "enable":
                self.services[unit] = "enabled"
            if verb == "disable":
                self.services[unit] = "disabled"
            return 0, "", ""
        if tool == "nmcli":
            if args == ["--version"]:
                return 0, "nmcli tool, version %s\n" % self.nmcli_version, ""
            return 0, "", ""
        raise AssertionError("unexpected command %r" % argv)

    def addresses(self, interface="lo"):
        return sorted("%s/%s" % (i["local"], i["prefixlen"]) for i in self.links[interface]["addr_info"])


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setattr(_netconf, "ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture
def host(monkeypatch):
    current = Host(fixture("ip_addr_lo_empty.json"))
    tools = {"ip", "systemctl", "nmcli"}

    def get_bin_path(self, arg, required=False, opt_dirs=None):
        return "/usr/sbin/" + arg if arg in tools and (arg != "nmcli" or current.nmcli_version) else None

    monkeypatch.setattr(AnsibleModule, "run_command", lambda self, argv, **kw: current.run_command(argv, **kw))
    monkeypatch.setattr(AnsibleModule, "get_bin_path", get_bin_path)
    return current


def run(capsys, check_mode=False, diff=True, **args):
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    with patch_module_args(args), pytest.raises(SystemExit):
        lo_vip.main()
    return json.loads(capsys.readouterr().out)


LO_EMPTY = ["127.0.0.1/8", "::1/128"]


def test_systemd_fallback_apply_idempotent_absent(root, host, capsys):
    result = run(capsys, addresses=["192.0.2.10", "2001:db8:1::10"], label="lo:vip")
    assert result["changed"] is True
    assert result["persistence"] == "systemd"
    assert result["added"] == ["192.0.2.10/32", "2001:db8:1::10/128"]
    assert host.addresses() == sorted([*LO_EMPTY, "192.0.2.10/32", "2001:db8:1::10/128"])
    unit = (root / "etc/systemd/system/lvs-cluster-vips.service").read_text()
    assert "ExecStart=/usr/sbin/ip address replace 192.0.2.10/32 dev lo label lo:vip\n" in unit
    assert "ExecStart=/usr/sbin/ip address replace 2001:db8:1::10/128 dev lo\n" in unit
    assert "ExecStop=-/usr/sbin/ip address del 192.0.2.10/32 dev lo\n" in unit
    assert "After=systemd-sysctl.service\n" in unit
    assert ["systemctl", "enable", "lvs-cluster-vips.service"] in host.calls
    assert ["systemctl", "daemon-reload"] in host.calls
    assert "+192.0.2.10/32 dev lo label lo:vip" not in result["diff"]["before"]
    assert "192.0.2.10/32 dev lo label lo:vip" in result["diff"]["after"]
    assert "ExecStart=/usr/sbin/ip address replace 192.0.2.10/32" in result["diff"]["after"]

    host.calls.clear()
    again = run(capsys, addresses=["192.0.2.10/32", "2001:db8:1::10/128"], label="lo:vip")
    assert again["changed"] is False
    assert host.writes() == []

    host.calls.clear()
    gone = run(capsys, addresses=["192.0.2.10", "2001:db8:1::10"], state="absent")
    assert gone["changed"] is True
    assert gone["removed"] == ["192.0.2.10/32", "2001:db8:1::10/128"]
    assert host.addresses() == LO_EMPTY
    assert not (root / "etc/systemd/system/lvs-cluster-vips.service").exists()
    assert host.writes() == [
        ["ip", "address", "del", "192.0.2.10/32", "dev", "lo"],
        ["ip", "address", "del", "2001:db8:1::10/128", "dev", "lo"],
        ["systemctl", "disable", "lvs-cluster-vips.service"],
        ["systemctl", "daemon-reload"],
    ]


def test_check_mode_touches_nothing(root, host, capsys):
    result = run(capsys, check_mode=True, addresses=["192.0.2.10"])
    assert result["changed"] is True
    assert result["added"] == ["192.0.2.10/32"]
    assert host.addresses() == LO_EMPTY
    assert host.writes() == []
    assert not (root / "etc").exists()
    assert "ExecStart=/usr/sbin/ip address replace 192.0.2.10/32 dev lo" in result["diff"]["after"]


def test_disabled_unit_is_enabled_again(root, host, capsys):
    run(capsys, addresses=["192.0.2.10"])
    host.services["lvs-cluster-vips.service"] = "disabled"
    host.calls.clear()
    result = run(capsys, addresses=["192.0.2.10"])
    assert result["changed"] is True
    assert result["files"] == []
    assert host.writes() == [["systemctl", "enable", "lvs-cluster-vips.service"]]


def test_existing_addresses_are_not_touched_and_recorded_state_is_respected(root, host, capsys):
    host.links["lo"] = json.loads(fixture("ip_addr_lo_vips.json"))[0]
    before = host.addresses()
    # 192.0.2.10/32 with label lo:vip exists: satisfied; 192.0.2.11 exists unlabelled: satisfied without a label
    result = run(capsys, addresses=["192.0.2.10"], label="lo:vip", persistent=False)
    assert result["changed"] is False
    result = run(capsys, addresses=["192.0.2.11"], persistent=False)
    assert result["changed"] is False
    # absent of one address leaves 127.0.0.1, ::1 and the other VIPs alone
    result = run(capsys, addresses=["192.0.2.11"], state="absent", persistent=False)
    assert result["removed"] == ["192.0.2.11/32"]
    assert host.addresses() == [a for a in before if a != "192.0.2.11/32"]


def test_wrong_prefix_or_label_is_replaced(root, host, capsys):
    host.links["lo"] = json.loads(fixture("ip_addr_lo_vips.json"))[0]
    # recorded: 192.0.2.12/24 on lo (the blackhole case): made /32
    result = run(capsys, addresses=["192.0.2.12"], persistent=False)
    assert result["removed"] == ["192.0.2.12/24"]
    assert result["added"] == ["192.0.2.12/32"]
    result = run(capsys, addresses=["192.0.2.11"], label="lo:web", persistent=False)
    assert result["removed"] == ["192.0.2.11/32"]
    assert host.links["lo"]["addr_info"][-1]["label"] == "lo:web"


def test_networkd_own_file_and_dropin(root, host, capsys):
    result = run(capsys, addresses=["192.0.2.10", "2001:db8:1::10"], label="lo:vip", persistence="networkd")
    path = root / "etc/systemd/network/40-lvs-cluster-lo.network"
    text = path.read_text()
    assert result["files"] == [str(path)]
    assert "[Match]\nName=lo\n" in text
    assert "KeepConfiguration=yes\n" in text
    assert "[Address]\nAddress=192.0.2.10/32\nLabel=lo:vip\n" in text
    assert "[Address]\nAddress=2001:db8:1::10/128\n" in text
    assert run(capsys, addresses=["192.0.2.10", "2001:db8:1::10"], label="lo:vip", persistence="networkd")["changed"] is False
    # a second call adds to the same file, absent removes only its own address
    run(capsys, addresses=["192.0.2.20"], persistence="networkd")
    assert "Address=192.0.2.20/32" in path.read_text()
    run(capsys, addresses=["192.0.2.10"], state="absent", persistence="networkd")
    assert "192.0.2.10" not in path.read_text()
    assert "Address=192.0.2.20/32" in path.read_text()


def test_networkd_dropin_when_an_earlier_file_matches_the_link(root, host, capsys):
    netplan = root / "run/systemd/network/10-netplan-lo.network"
    netplan.parent.mkdir(parents=True)
    netplan.write_text("[Match]\nName=lo\n\n[Network]\nAddress=127.0.0.1/8\n")
    run(capsys, addresses=["192.0.2.10"], persistence="networkd")
    dropin = root / "etc/systemd/network/10-netplan-lo.network.d/50-lvs-cluster-vips.conf"
    assert dropin.read_text().endswith("[Address]\nAddress=192.0.2.10/32\n")
    assert "[Match]" not in dropin.read_text()
    assert not (root / "etc/systemd/network/40-lvs-cluster-lo.network").exists()
    assert run(capsys, addresses=["192.0.2.10"], persistence="networkd")["changed"] is False
    run(capsys, addresses=["192.0.2.10"], state="absent", persistence="networkd")
    assert not dropin.exists()


def test_networkd_refuses_unmanaged_other_interface(root, host, capsys):
    result = run(capsys, addresses=["192.0.2.10"], interface="eth1", persistence="networkd")
    assert result["failed"] is True
    assert "no .network file of systemd-networkd matches interface 'eth1'" in result["msg"]
    assert host.writes() == []


def test_ifupdown(root, host, capsys):
    (root / "etc/network").mkdir(parents=True)
    (root / "etc/network/interfaces").write_text("source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n")
    host.services["networking.service"] = "enabled"
    result = run(capsys, addresses=["192.0.2.10", "2001:db8:1::10"], label="lo:vip")
    assert result["persistence"] == "ifupdown"
    text = (root / "etc/network/interfaces.d/lvs-cluster-vips-lo").read_text()
    assert text.splitlines()[1:] == [
        "iface lo inet loopback",
        "    up /usr/sbin/ip address replace 192.0.2.10/32 dev lo label lo:vip",
        "    up /usr/sbin/ip address replace 2001:db8:1::10/128 dev lo",
        "    down /usr/sbin/ip address del 192.0.2.10/32 dev lo",
        "    down /usr/sbin/ip address del 2001:db8:1::10/128 dev lo",
    ]
    assert run(capsys, addresses=["192.0.2.10", "2001:db8:1::10"], label="lo:vip")["changed"] is False
    run(capsys, addresses=["192.0.2.10", "2001:db8:1::10"], state="absent")
    assert not (root / "etc/network/interfaces.d/lvs-cluster-vips-lo").exists()


def test_ifupdown_requires_interfaces_d_sourced(root, host, capsys):
    (root / "etc/network").mkdir(parents=True)
    (root / "etc/network/interfaces").write_text("auto lo\niface lo inet loopback\n")
    result = run(capsys, addresses=["192.0.2.10"], persistence="ifupdown")
    assert result["failed"] is True
    assert "does not source /etc/network/interfaces.d/" in result["msg"]
    assert host.addresses() == LO_EMPTY


def test_networkmanager(root, host, capsys):
    host.nmcli_version = "1.42.4"
    host.services["NetworkManager.service"] = "active"
    result = run(capsys, addresses=["192.0.2.10", "2001:db8:1::10"])
    assert result["persistence"] == "networkmanager"
    path = root / "etc/NetworkManager/system-connections/lvs-cluster-lo.nmconnection"
    text = path.read_text()
    assert "type=loopback\ninterface-name=lo\n" in text
    assert "[ipv4]\nmethod=manual\naddress1=192.0.2.10/32\n" in text
    assert "[ipv6]\nmethod=manual\naddress1=2001:db8:1::10/128\n" in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert ["nmcli", "connection", "load", str(path)] in host.calls
    assert run(capsys, addresses=["192.0.2.10", "2001:db8:1::10"])["changed"] is False


def test_networkmanager_too_old(root, host, capsys):
    host.nmcli_version = "1.40.0"
    host.services["NetworkManager.service"] = "active"
    assert run(capsys, addresses=["192.0.2.10"])["persistence"] == "systemd"  # auto skips it
    result = run(capsys, addresses=["192.0.2.11"], persistence="networkmanager")
    assert result["failed"] is True
    assert "NetworkManager >= 1.41" in result["msg"]
    assert "1.40.0" in result["msg"]


def test_ifcfg(root, host, capsys):
    scripts = root / "etc/sysconfig/network-scripts"
    scripts.mkdir(parents=True)
    (scripts / "ifcfg-lo:0").write_text("DEVICE=lo:0\nIPADDR=192.0.2.99\nPREFIX=32\n")  # not ours
    host.services["network.service"] = "enabled"
    result = run(capsys, addresses=["192.0.2.10", "192.0.2.11"])
    assert result["persistence"] == "ifcfg"
    assert (scripts / "ifcfg-lo:1").read_text().splitlines()[1:] == ["DEVICE=lo:1", "IPADDR=192.0.2.10", "PREFIX=32", "ONBOOT=yes", "NM_CONTROLLED=no"]
    assert "IPADDR=192.0.2.11" in (scripts / "ifcfg-lo:2").read_text()
    assert (scripts / "ifcfg-lo:0").read_text() == "DEVICE=lo:0\nIPADDR=192.0.2.99\nPREFIX=32\n"
    assert run(capsys, addresses=["192.0.2.10", "192.0.2.11"])["changed"] is False
    run(capsys, addresses=["192.0.2.10"], state="absent")
    assert not (scripts / "ifcfg-lo:1").exists()
    assert (scripts / "ifcfg-lo:2").exists()
    result = run(capsys, addresses=["2001:db8:1::10"])
    assert result["failed"] is True
    assert "2001:db8:1::10/128 is IPv6" in result["msg"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"addresses": ["192.0.2.300"]}, "addresses: '192.0.2.300' is not an IPv4 or IPv6 address"),
        ({"addresses": ["vip.example"]}, "addresses: 'vip.example' is not an IPv4 or IPv6 address"),
        ({"addresses": ["192.0.2.10/24"]}, "addresses: '192.0.2.10/24' has prefix /24; a VIP on lo must be /32"),
        ({"addresses": ["2001:db8::10/64"]}, "addresses: '2001:db8::10/64' has prefix /64; a VIP on lo must be /128"),
        ({"addresses": ["192.0.2.10/33"]}, "invalid prefix length '33'"),
        ({"addresses": ["127.0.0.1"]}, "'127.0.0.1' is a loopback"),
        ({"addresses": ["::1"]}, "'::1' is a loopback"),
        ({"addresses": ["192.0.2.10"], "interface": "nosuch0"}, "interface: 'nosuch0' does not exist"),
        ({"addresses": ["192.0.2.10"], "label": "eth0:vip"}, "label: 'eth0:vip' must be 'lo' or start with 'lo:'"),
        ({"addresses": ["192.0.2.10"], "label": "lo:waytoolonglabel"}, "label: 'lo:waytoolonglabel'"),
        ({"addresses": ["192.0.2.10"], "persistence": "bogus"}, "persistence"),
    ],
)
def test_bad_input_fails_before_any_change(root, host, capsys, args, message):
    result = run(capsys, **args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert host.addresses() == LO_EMPTY
    assert host.writes() == []
    assert not (root / "etc").exists()


def test_force_prefix_allows_wider_prefix(root, host, capsys):
    result = run(capsys, addresses=["192.0.2.10/24"], force_prefix=True, persistent=False)
    assert result["added"] == ["192.0.2.10/24"]


def test_foreign_unit_is_not_overwritten(root, host, capsys):
    unit = root / "etc/systemd/system/lvs-cluster-vips.service"
    unit.parent.mkdir(parents=True)
    unit.write_text("[Service]\nExecStart=/bin/true\n")
    result = run(capsys, addresses=["192.0.2.10"], persistence="systemd")
    assert result["failed"] is True
    assert "was not written by lvs.cluster.lo_vip" in result["msg"]
    assert host.addresses() == LO_EMPTY


def add_runtime(host, cidr, label=None, interface="lo"):
    address, prefix = cidr.split("/")
    info = {"family": "inet6" if ":" in address else "inet", "local": address, "prefixlen": int(prefix), "scope": "global"}
    if info["family"] == "inet":
        info["label"] = label or interface
    host.links[interface]["addr_info"].append(info)


def test_purge_removes_only_owned_addresses(root, host, capsys):
    # persisted by lo_vip: .10, .11 and 2001:db8:1::11; .20 carries the alias label; .30 is someone else's;
    # 169.254.1.1 link-local with our label; 192.0.2.50 ours by label but kept
    run(capsys, addresses=["192.0.2.10", "192.0.2.11", "2001:db8:1::11"], label="lo:lvs")
    add_runtime(host, "192.0.2.20/32", "lo:lvs")
    add_runtime(host, "192.0.2.30/32")
    add_runtime(host, "169.254.1.1/32", "lo:lvs")
    add_runtime(host, "192.0.2.50/32", "lo:lvs")
    add_runtime(host, "fe80::1/128")
    args = {"addresses": ["192.0.2.10"], "label": "lo:lvs", "purge": True, "keep": ["192.0.2.50"]}

    checked = run(capsys, check_mode=True, **args)
    assert checked["changed"] is True
    assert checked["purged"] == ["192.0.2.11/32", "192.0.2.20/32", "2001:db8:1::11/128"]
    assert "192.0.2.11/32" in host.addresses()
    assert "192.0.2.11/32" not in checked["diff"]["after"]
    assert "192.0.2.11/32" in checked["diff"]["before"]
    assert "address replace 192.0.2.11/32" in (root / "etc/systemd/system/lvs-cluster-vips.service").read_text()

    result = run(capsys, **args)
    assert result["purged"] == checked["purged"]
    assert sorted(result["removed"]) == ["192.0.2.11/32", "192.0.2.20/32", "2001:db8:1::11/128"]
    assert host.addresses() == sorted([*LO_EMPTY, "192.0.2.10/32", "192.0.2.30/32", "169.254.1.1/32", "192.0.2.50/32", "fe80::1/128"])
    unit = (root / "etc/systemd/system/lvs-cluster-vips.service").read_text()
    assert "192.0.2.10/32" in unit
    assert "192.0.2.11/32" not in unit
    assert "2001:db8:1::11" not in unit

    host.calls.clear()
    again = run(capsys, **args)
    assert again["changed"] is False
    assert again["purged"] == []
    assert host.writes() == []


def test_purge_without_label_or_scope_owns_only_persisted(root, host, capsys):
    run(capsys, addresses=["192.0.2.10", "192.0.2.11"])
    add_runtime(host, "192.0.2.30/32")
    result = run(capsys, addresses=["192.0.2.10"], purge=True)
    assert result["purged"] == ["192.0.2.11/32"]
    # the bare interface label ("lo") is not an ownership mark: 192.0.2.30 and 127.0.0.1 stay
    assert host.addresses() == sorted([*LO_EMPTY, "192.0.2.10/32", "192.0.2.30/32"])


def test_purge_scope_adopts_addresses_of_a_record_and_empty_list_removes_all_owned(root, host, capsys):
    add_runtime(host, "198.51.100.7/32")
    add_runtime(host, "2001:db8:9::7/128")
    add_runtime(host, "203.0.113.9/32")
    result = run(capsys, addresses=[], purge=True, scope=["198.51.100.7", "2001:db8:9::/64", "127.0.0.0/8"])
    assert result["purged"] == ["198.51.100.7/32", "2001:db8:9::7/128"]
    assert host.addresses() == sorted([*LO_EMPTY, "203.0.113.9/32"])
    assert result["files"] == []


def test_purge_with_ifupdown_rewrites_only_its_file(root, host, capsys):
    (root / "etc/network/interfaces.d").mkdir(parents=True)
    (root / "etc/network/interfaces").write_text("source /etc/network/interfaces.d/*\n")
    run(capsys, addresses=["192.0.2.10", "192.0.2.11"], persistence="ifupdown")
    # runtime copy gone already (e.g. removed by hand): purge still cleans the file
    host.links["lo"]["addr_info"] = [i for i in host.links["lo"]["addr_info"] if i["local"] != "192.0.2.11"]
    result = run(capsys, addresses=["192.0.2.10"], persistence="ifupdown", purge=True)
    assert result["purged"] == ["192.0.2.11/32"]
    assert result["removed"] == []
    text = (root / "etc/network/interfaces.d/lvs-cluster-vips-lo").read_text()
    assert "192.0.2.10/32" in text
    assert "192.0.2.11" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"addresses": ["192.0.2.10"], "state": "absent", "purge": True}, "purge=true needs state=present"),
        ({"addresses": [], "purge": True, "scope": ["not-a-net"]}, "scope: 'not-a-net'"),
        ({"addresses": [], "purge": True, "keep": ["192.0.2.300"]}, "keep: '192.0.2.300'"),
    ],
)
def test_purge_bad_input(root, host, capsys, args, message):
    result = run(capsys, **args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert host.writes() == []
