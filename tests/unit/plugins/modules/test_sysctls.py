# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lvs.cluster.sysctls end to end through main(), over a /proc/sys tree in a temporary directory."""

from __future__ import annotations

import json
import os
import re

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.cluster.plugins.module_utils import _sysctls
from ansible_collections.lvs.cluster.plugins.modules import sysctls

RUNTIME = {
    "net/ipv4/ip_forward": "0",
    "net/ipv4/conf/all/send_redirects": "1",
    "net/ipv4/conf/eth0.100/send_redirects": "1",
    "net/ipv4/tcp_rmem": "4096\t131072\t6291456",
    "net/ipv4/vs/conntrack": "0",
}


@pytest.fixture
def host(tmp_path, monkeypatch):
    proc = tmp_path / "proc"
    for rel, value in RUNTIME.items():
        path = proc / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + "\n")
    monkeypatch.setattr(_sysctls, "PROC_SYS", str(proc))
    return tmp_path


def proc(host, rel):
    return (host / "proc" / rel).read_text().strip()


def run(host, capsys, check_mode=False, diff=False, **args):
    args.setdefault("sysctl_file", str(host / "sysctl.d" / "90-lvs-cluster-director.conf"))
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    with patch_module_args(args), pytest.raises(SystemExit):
        sysctls.main()
    return json.loads(capsys.readouterr().out)


def test_sets_runtime_and_file_then_is_a_no_op(host, capsys):
    settings = {"net.ipv4.ip_forward": 1, "net.ipv4.conf.all.send_redirects": False, "net.ipv4.tcp_rmem": "4096 131072 6291456"}
    first = run(host, capsys, settings=settings)
    assert first["changed"] is True
    assert first["runtime_changes"] == {"net.ipv4.ip_forward": "1", "net.ipv4.conf.all.send_redirects": "0"}
    assert proc(host, "net/ipv4/ip_forward") == "1"
    assert proc(host, "net/ipv4/conf/all/send_redirects") == "0"
    assert proc(host, "net/ipv4/tcp_rmem") == "4096\t131072\t6291456"  # equal as sysctl compares: not written
    text = (host / "sysctl.d" / "90-lvs-cluster-director.conf").read_text()
    assert text.splitlines()[1:] == ["net.ipv4.conf.all.send_redirects = 0", "net.ipv4.ip_forward = 1", "net.ipv4.tcp_rmem = 4096 131072 6291456"]
    again = run(host, capsys, settings=settings)
    assert again["changed"] is False and again["runtime_changes"] == {}


def test_check_mode_and_diff_change_nothing(host, capsys):
    result = run(host, capsys, check_mode=True, diff=True, settings={"net.ipv4.ip_forward": 1})
    assert result["changed"] is True
    assert "net.ipv4.ip_forward = 0" in result["diff"]["before"] and "net.ipv4.ip_forward = 1" in result["diff"]["after"]
    assert "(absent)" in result["diff"]["before"]
    assert proc(host, "net/ipv4/ip_forward") == "0"
    assert not (host / "sysctl.d").exists()


def test_slash_in_a_name_is_a_dot_of_an_interface(host, capsys):
    result = run(host, capsys, settings={"net.ipv4.conf.eth0/100.send_redirects": 0})
    assert result["runtime_changes"] == {"net.ipv4.conf.eth0/100.send_redirects": "0"}
    assert proc(host, "net/ipv4/conf/eth0.100/send_redirects") == "0"


def test_the_file_holds_exactly_the_settings(host, capsys):
    run(host, capsys, settings={"net.ipv4.ip_forward": 1, "net.ipv4.vs.conntrack": 1})
    result = run(host, capsys, settings={"net.ipv4.ip_forward": 1})
    assert result["changed"] is True and result["dropped"] == ["net.ipv4.vs.conntrack"]
    assert proc(host, "net/ipv4/vs/conntrack") == "1"  # runtime left as it is
    assert "conntrack" not in (host / "sysctl.d" / "90-lvs-cluster-director.conf").read_text()
    empty = run(host, capsys, settings={})
    assert empty["changed"] is True and not (host / "sysctl.d" / "90-lvs-cluster-director.conf").exists()


def test_runtime_only_leaves_the_file_alone(host, capsys):
    result = run(host, capsys, settings={"net.ipv4.ip_forward": 1}, persistent=False)
    assert result["changed"] is True and not (host / "sysctl.d").exists()


def test_a_key_the_kernel_lacks_fails_naming_it_and_changes_nothing(host, capsys):
    result = run(host, capsys, settings={"net.ipv4.ip_forward": 1, "net.ipv4.vs.expire_nodest_conn": 1})
    assert result["failed"] is True
    assert "net.ipv4.vs.expire_nodest_conn" in result["msg"] and "no such kernel parameter" in result["msg"]
    assert proc(host, "net/ipv4/ip_forward") == "0" and not (host / "sysctl.d").exists()
    # in check mode the same key is a change to come (ip_vs is loaded by an earlier task, skipped in check mode)
    preview = run(host, capsys, check_mode=True, settings={"net.ipv4.vs.expire_nodest_conn": 1})
    assert preview["changed"] is True and preview["runtime_values"]["before"] == {"net.ipv4.vs.expire_nodest_conn": None}


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"ip_forward": 1}, r"settings: 'ip_forward' is not a sysctl name"),
        ({"net..ipv4": 1}, r"settings: 'net..ipv4' is not a sysctl name"),
        ({"net.ipv4.ip_forward; reboot": 1}, r"is not a sysctl name"),
        ({"net.ipv4.ip_forward": None}, r"settings\.net\.ipv4\.ip_forward: None is not a sysctl value"),
        ({"net.ipv4.ip_forward": [1]}, r"settings\.net\.ipv4\.ip_forward: \[1\] is not a sysctl value"),
        ({"net.ipv4.ip_forward": "1\nnet.ipv4.conf.all.rp_filter = 0"}, r"is not a sysctl value"),
        ({"net.ipv4.ip_forward": ""}, r"settings\.net\.ipv4\.ip_forward: '' is not a sysctl value"),
    ],
)
def test_bad_settings_are_rejected_naming_key_and_value(host, capsys, settings, message):
    result = run(host, capsys, settings=settings)
    assert result["failed"] is True and re.search(message, result["msg"]), result["msg"]
    assert proc(host, "net/ipv4/ip_forward") == "0" and not (host / "sysctl.d").exists()


def test_a_value_the_kernel_refuses_is_an_honest_partial_result(host, capsys, monkeypatch):
    real_open = open

    def refusing_open(path, *args, **kwargs):
        if str(path).endswith(os.path.join("vs", "conntrack")) and args and args[0] == "w":
            raise OSError(22, "Invalid argument")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refusing_open)
    result = run(host, capsys, settings={"net.ipv4.ip_forward": 1, "net.ipv4.vs.conntrack": 7})
    assert result["failed"] is True and "settings.net.ipv4.vs.conntrack: the kernel refused '7'" in result["msg"]
    assert result["changed"] is True and result["applied"] == {"net.ipv4.ip_forward": "1"}
    assert result["not_applied"] == ["net.ipv4.vs.conntrack"]
    assert not (host / "sysctl.d").exists()


def test_a_foreign_line_in_the_owned_file_is_named(host, capsys):
    path = host / "sysctl.d" / "90-lvs-cluster-director.conf"
    path.parent.mkdir()
    path.write_text("net.ipv4.ip_forward = 1\nthis is not sysctl\n")
    result = run(host, capsys, settings={"net.ipv4.ip_forward": 1})
    assert result["failed"] is True and "line 2 is not `name = value`" in result["msg"]


def test_a_file_written_by_ansible_posix_sysctl_is_read(host, capsys):
    """The director's file of older releases (key=value lines, no header): rewritten once with the header."""
    path = host / "sysctl.d" / "90-lvs-cluster-director.conf"
    path.parent.mkdir()
    path.write_text("net.ipv4.ip_forward=1\n")
    (host / "proc" / "net/ipv4/ip_forward").write_text("1\n")
    result = run(host, capsys, settings={"net.ipv4.ip_forward": 1})
    assert result["changed"] is True and result["runtime_changes"] == {} and result["dropped"] == []
    assert run(host, capsys, settings={"net.ipv4.ip_forward": 1})["changed"] is False
