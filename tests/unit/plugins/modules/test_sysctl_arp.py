# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lvs.cluster.sysctl_arp end to end through main(), over a /proc/sys tree built from recorded values."""

from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.cluster.plugins.module_utils import _sysctl
from ansible_collections.lvs.cluster.plugins.modules import sysctl_arp

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures", "hostmods")


@pytest.fixture
def host(tmp_path, monkeypatch):
    """A /proc/sys/net/ipv4/conf tree with the values recorded in a fresh network namespace."""
    conf = tmp_path / "proc"
    with open(os.path.join(FIXTURES, "sysctl_conf_values.txt"), encoding="utf-8") as handle:
        for line in handle:
            interface, key, value = line.split()
            (conf / interface).mkdir(parents=True, exist_ok=True)
            (conf / interface / key).write_text(value + "\n")
    monkeypatch.setattr(_sysctl, "PROC_ROOT", str(conf))
    return tmp_path


def run(host, capsys, check_mode=False, diff=False, **args):
    args.setdefault("sysctl_file", str(host / "sysctl.d" / "90-lvs-cluster-arp.conf"))
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    with patch_module_args(args), pytest.raises(SystemExit):
        sysctl_arp.main()
    return json.loads(capsys.readouterr().out)


def proc(host, interface, key):
    return int((host / "proc" / interface / key).read_text())


def test_dr_profile_applies_runtime_and_file_then_is_idempotent(host, capsys):
    result = run(host, capsys, diff=True)
    assert result["changed"] is True
    assert result["runtime_changes"] == {
        "net.ipv4.conf.all.arp_ignore": 1,
        "net.ipv4.conf.all.arp_announce": 2,
        "net.ipv4.conf.lo.arp_ignore": 1,
        "net.ipv4.conf.lo.arp_announce": 2,
    }
    assert (proc(host, "all", "arp_ignore"), proc(host, "all", "arp_announce")) == (1, 2)
    assert (proc(host, "lo", "arp_ignore"), proc(host, "lo", "arp_announce")) == (1, 2)
    assert proc(host, "eth1", "arp_ignore") == 0
    text = (host / "sysctl.d" / "90-lvs-cluster-arp.conf").read_text()
    assert text.splitlines()[1:] == [
        "net.ipv4.conf.all.arp_ignore = 1",
        "net.ipv4.conf.all.arp_announce = 2",
        "net.ipv4.conf.lo.arp_ignore = 1",
        "net.ipv4.conf.lo.arp_announce = 2",
    ]
    assert "net.ipv4.conf.all.arp_ignore = 0" in result["diff"]["before"]
    assert "net.ipv4.conf.all.arp_ignore = 1" in result["diff"]["after"]
    assert result["runtime_values"]["before"]["net.ipv4.conf.lo.arp_announce"] == 0
    assert result["runtime_values"]["after"]["net.ipv4.conf.lo.arp_announce"] == 2
    assert result["values"] == result["runtime_values"]  # the old name, until 1.0.0

    again = run(host, capsys)
    assert again["changed"] is False
    assert again["runtime_changes"] == {}


def test_check_mode_touches_nothing(host, capsys):
    result = run(host, capsys, check_mode=True, diff=True)
    assert result["changed"] is True
    assert proc(host, "all", "arp_ignore") == 0
    assert not (host / "sysctl.d").exists()
    assert "net.ipv4.conf.lo.arp_announce = 2" in result["diff"]["after"]


def test_runtime_drift_is_repaired_file_untouched(host, capsys):
    run(host, capsys)
    path = host / "sysctl.d" / "90-lvs-cluster-arp.conf"
    mtime = path.stat().st_mtime_ns
    (host / "proc" / "lo" / "arp_ignore").write_text("0\n")
    result = run(host, capsys)
    assert result["changed"] is True
    assert result["runtime_changes"] == {"net.ipv4.conf.lo.arp_ignore": 1}
    assert path.stat().st_mtime_ns == mtime


def test_persistent_false_leaves_file_alone(host, capsys):
    result = run(host, capsys, persistent=False)
    assert result["changed"] is True
    assert proc(host, "lo", "arp_announce") == 2
    assert not (host / "sysctl.d").exists()


def test_tun_profile_and_overrides_on_a_vlan_interface(host, capsys):
    vlan = host / "proc" / "eth1.100"
    vlan.mkdir()
    for key in _sysctl.KEY_ORDER:
        (vlan / key).write_text("0\n")
    (vlan / "rp_filter").write_text("2\n")
    result = run(host, capsys, interfaces=["eth1.100"], profile="tun", arp_announce=1, accept_local=1)
    assert result["runtime_changes"] == {
        "net.ipv4.conf.eth1/100.arp_ignore": 1,
        "net.ipv4.conf.eth1/100.arp_announce": 1,
        "net.ipv4.conf.eth1/100.rp_filter": 0,
        "net.ipv4.conf.eth1/100.accept_local": 1,
    }
    assert proc(host, "eth1.100", "rp_filter") == 0
    text = (host / "sysctl.d" / "90-lvs-cluster-arp.conf").read_text()
    assert "net.ipv4.conf.eth1/100.rp_filter = 0\n" in text


def test_two_calls_share_the_file_and_absent_removes_only_its_keys(host, capsys):
    run(host, capsys)
    run(host, capsys, interfaces=["eth1"], profile="custom", arp_filter=1)
    path = host / "sysctl.d" / "90-lvs-cluster-arp.conf"
    assert "net.ipv4.conf.eth1.arp_filter = 1" in path.read_text()
    assert "net.ipv4.conf.lo.arp_ignore = 1" in path.read_text()

    result = run(host, capsys, state="absent", diff=True)
    assert result["changed"] is True
    assert proc(host, "lo", "arp_ignore") == 0
    assert proc(host, "all", "arp_announce") == 0
    assert proc(host, "eth1", "arp_filter") == 1
    assert path.read_text().splitlines()[1:] == ["net.ipv4.conf.eth1.arp_filter = 1"]
    assert "net.ipv4.conf.lo.arp_ignore = 1" in result["diff"]["before"]

    run(host, capsys, state="absent", interfaces=["eth1"], profile="custom", arp_filter=1)
    assert not path.exists()
    assert run(host, capsys, state="absent")["changed"] is False


def test_absent_leaves_rp_filter_runtime_alone(host, capsys):
    run(host, capsys, interfaces=["lo"], profile="tun")
    assert proc(host, "lo", "rp_filter") == 0
    (host / "proc" / "lo" / "rp_filter").write_text("2\n")
    result = run(host, capsys, interfaces=["lo"], profile="tun", state="absent")
    assert "net.ipv4.conf.lo.rp_filter" not in result["runtime_changes"]
    assert proc(host, "lo", "rp_filter") == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"hidden": 1}, "hidden=1: the 'hidden' sysctl only existed in patched 2.4-era kernels"),
        ({"arp_ignore": 9}, "arp_ignore"),
        ({"arp_announce": 3}, "arp_announce"),
        ({"interfaces": ["nosuch0"]}, "interfaces: 'nosuch0' does not exist"),
        ({"interfaces": ["../lo"]}, "interfaces: '../lo' is not a valid interface name"),
        ({"profile": "custom"}, "profile=custom needs at least one of"),
    ],
)
def test_bad_input_fails_without_change(host, capsys, args, message):
    result = run(host, capsys, **args)
    assert result["failed"] is True
    assert message in result["msg"]
    if "arp_" in message and "hidden" not in args:
        assert str(next(iter(args.values()))) in result["msg"]
    if "hidden" in args:
        assert "arp_ignore=1 and arp_announce=2" in result["msg"]
    assert proc(host, "all", "arp_ignore") == 0
    assert not (host / "sysctl.d").exists()


def test_foreign_line_in_owned_file_is_reported(host, capsys):
    path = host / "sysctl.d" / "90-lvs-cluster-arp.conf"
    path.parent.mkdir()
    path.write_text("vm.swappiness = 10\n")
    result = run(host, capsys)
    assert result["failed"] is True
    assert "vm.swappiness" in result["msg"]
    assert proc(host, "all", "arp_ignore") == 0


def test_purge_drops_keys_no_longer_set_and_restores_only_its_own_values(host, capsys):
    run(host, capsys, interfaces=["all", "lo", "eth1"], profile="tun")
    path = host / "sysctl.d" / "90-lvs-cluster-arp.conf"
    # someone else changed eth1.arp_announce since: not restored; eth1.arp_ignore still the file's value: restored
    (host / "proc" / "eth1" / "arp_announce").write_text("1\n")
    checked = run(host, capsys, check_mode=True, diff=True, interfaces=["all", "lo"], purge=True)
    assert checked["changed"] is True
    assert checked["purged"] == ["net.ipv4.conf.all.rp_filter", "net.ipv4.conf.eth1.arp_announce", "net.ipv4.conf.eth1.arp_ignore",
                                 "net.ipv4.conf.eth1.rp_filter", "net.ipv4.conf.lo.rp_filter"]
    assert checked["runtime_changes"] == {"net.ipv4.conf.eth1.arp_ignore": 0}
    assert proc(host, "eth1", "arp_ignore") == 1
    assert "eth1" in path.read_text()
    assert "eth1" not in checked["diff"]["after"].split("# " + str(path))[1]

    result = run(host, capsys, interfaces=["all", "lo"], purge=True)
    assert result["purged"] == checked["purged"]
    assert proc(host, "eth1", "arp_ignore") == 0
    assert proc(host, "eth1", "arp_announce") == 1
    assert proc(host, "all", "rp_filter") == 0  # rp_filter is never put back (the distribution's default)
    assert path.read_text().splitlines()[1:] == [
        "net.ipv4.conf.all.arp_ignore = 1",
        "net.ipv4.conf.all.arp_announce = 2",
        "net.ipv4.conf.lo.arp_ignore = 1",
        "net.ipv4.conf.lo.arp_announce = 2",
    ]
    again = run(host, capsys, interfaces=["all", "lo"], purge=True)
    assert again["changed"] is False
    assert again["purged"] == []


def test_purge_with_no_interfaces_removes_the_file_and_nothing_else(host, capsys):
    run(host, capsys)
    (host / "proc" / "eth1" / "arp_ignore").write_text("2\n")  # not in the file: never touched
    result = run(host, capsys, interfaces=[], purge=True)
    assert result["changed"] is True
    assert len(result["purged"]) == 4
    assert not (host / "sysctl.d" / "90-lvs-cluster-arp.conf").exists()
    assert (proc(host, "all", "arp_ignore"), proc(host, "lo", "arp_announce")) == (0, 0)
    assert proc(host, "eth1", "arp_ignore") == 2
    assert run(host, capsys, interfaces=[], purge=True)["changed"] is False


def test_purge_of_a_vanished_interface_cleans_the_file(host, capsys):
    (host / "proc" / "tunl0").mkdir()
    for key in ("arp_ignore", "arp_announce", "rp_filter"):
        (host / "proc" / "tunl0" / key).write_text("0\n")
    run(host, capsys, interfaces=["all", "tunl0"])
    for child in (host / "proc" / "tunl0").iterdir():
        child.unlink()
    (host / "proc" / "tunl0").rmdir()
    result = run(host, capsys, interfaces=["all"], purge=True)
    assert result["purged"] == ["net.ipv4.conf.tunl0.arp_announce", "net.ipv4.conf.tunl0.arp_ignore"]
    assert result["runtime_changes"] == {}


@pytest.mark.parametrize("args", [{"state": "absent"}, {"persistent": False}])
def test_purge_needs_present_and_persistent(host, capsys, args):
    result = run(host, capsys, purge=True, **args)
    assert result["failed"] is True
    assert "purge=true needs state=present and persistent=true" in result["msg"]
