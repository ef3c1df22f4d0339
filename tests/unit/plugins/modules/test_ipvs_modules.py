# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The four IPVS modules end to end (main(): argument spec, read, decide, apply, result) over a fake
ipvsadm patched in at the one choke point, CommandRunner.run. The fake kernel starts from the
table recorded on the lab VM (fixtures/ipvsadm/all-options.*, served verbatim until the first
write), applies -R lines like ipvsadm 1.31 (goes on after a failing line, rc of the last line) and
prints -Sn without thresholds, as the real tool does."""

from __future__ import annotations

import json
import os
import re

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.parameters import PASS_VARS
from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs, _ipvsadm
from ansible_collections.lvs.cluster.plugins.module_utils._runner import CommandResult, CommandRunner
from ansible_collections.lvs.cluster.plugins.modules import ipvs_info, ipvs_real_server, ipvs_service, ipvs_table

# ansible-core 2.21 returns `invocation` only when the controller asks for it (INJECT_INVOCATION,
# default off); before 2.21 always
INJECTS_ON_REQUEST = "inject_invocation" in PASS_VARS
INJECT = {"_ansible_inject_invocation": True} if INJECTS_ON_REQUEST else {}
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures", "ipvsadm")
WRITES = ("-R", "-A", "-a", "-E", "-e", "-D", "-d", "-C")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


class FakeIPVSAdm:
    """A kernel IPVS table behind ipvsadm: -Sn, -Ln [--thresholds] [service], --timeout, --daemon, -R."""

    def __init__(self):
        self.save_text = fixture("all-options.save")
        self.thresholds_text = fixture("all-options.thresholds")
        self.table = _ipvs.parse_save(self.save_text)
        _ipvs.merge_thresholds(self.table, self.thresholds_text)
        self.calls = []
        self.fail_on = None  # -R lines containing this text fail
        self.active = {}  # (key, dkey) -> (active, inactive) connections
        self.connections = None  # or a callable giving a new self.active for each -Ln read

    @property
    def writes(self):
        return [args for tool, args, _data in self.calls if tool != "ipvsadm" or args[0] in WRITES]

    def tool_calls(self):
        return [" ".join(args) for _tool, args, _data in self.calls]

    def _changed(self):
        self.save_text = "".join(line + "\n" for line in _ipvs.render_table(self.table))
        # -Sn has no thresholds; the tunnel options after them stay (a cut at " -x " lost them)
        self.save_text = "\n".join(re.sub(r" -x \d+ -y \d+", "", line) for line in self.save_text.splitlines()) + ("\n" if self.table.services else "")
        self.thresholds_text = None

    def _listing(self, service=None, thresholds=False):
        cols = "Uthreshold Lthreshold ActiveConn InActConn" if thresholds else "Forward Weight ActiveConn InActConn"
        out = ["IP Virtual Server version 1.2.1 (size=4096)", "Prot LocalAddress:Port " + ("" if thresholds else "Scheduler Flags")]
        out[-1] = out[-1].rstrip() + (" " + cols if thresholds else "")
        out.append("  -> RemoteAddress:Port" + ("" if thresholds else " " + cols))
        for key, attrs in self.table.services.items():
            if service is not None and key != service:
                continue
            head = (
                "FWM  %d%s" % (key.fwmark, " IPv6" if key.family == "ipv6" else "")
                if key.protocol == "fwmark"
                else "%s  %s" % (key.protocol.upper(), _ipvs.hostport(key.address, key.port, key.family))
            )
            out.append("%s %s" % (head, attrs.scheduler))
            for dkey, d in self.table.dests[key].items():
                act, inact = self.active.get((key, dkey), (0, 0))
                first = (
                    "%d %d" % (d.upper_threshold, d.lower_threshold)
                    if thresholds
                    else "%s %d" % ({"direct": "Route", "tunnel": "Tunnel", "masquerade": "Masq"}[d.forwarding], d.weight)
                )
                out.append("  -> %s %s %d %d" % (_ipvs.hostport(dkey[0], dkey[1], key.family), first, act, inact))
        return "\n".join(out) + "\n"

    def _restore(self, data):
        errors = []
        rc = 0
        for line in data.splitlines():
            tok = line.split()
            if not tok:
                continue
            rc = 0
            if self.fail_on and self.fail_on in line:
                errors.append("Memory allocation problem")
                rc = 1
                continue
            key, i = _ipvs._svc_key_from_tokens(tok, 1, line)
            cmd = tok[0]
            if cmd in ("-A", "-E"):
                self.table.add_service(key, _ipvs._service_attrs_from_tokens(tok, i, key, line))
            elif cmd == "-D":
                self.table.services.pop(key)
                self.table.dests.pop(key)
            elif cmd in ("-a", "-e"):
                dkey, attrs = _ipvs._dest_from_tokens(tok, i, key, line)
                self.table.dests[key][dkey] = attrs
            elif cmd == "-d":
                dkey, _attrs = _ipvs._dest_from_tokens(tok, i, key, line)
                del self.table.dests[key][dkey]
        self._changed()
        return rc, "", "".join(e + "\n" for e in errors)

    def run(self, tool, args, *, data=None, ok_rc=(0,), binary_data=False):
        args = [str(a) for a in args]
        self.calls.append((tool, args, data))
        assert tool == "ipvsadm", tool
        rc, out, err = 0, "", ""
        if args == ["-Sn"]:
            out = self.save_text
        elif args == ["-R"]:
            rc, out, err = self._restore(data)
        elif args[:2] == ["-Ln", "--thresholds"] and len(args) == 2 and self.thresholds_text is not None:
            out = self.thresholds_text
        elif args[:2] == ["-Ln", "--thresholds"]:
            out = self._listing(_ipvs._svc_key_from_tokens(args, 2, "")[0] if len(args) > 2 else None, thresholds=True)
        elif args == ["-Ln"] or (args[0] == "-Ln" and len(args) == 3 and args[1] in ("-t", "-u", "-f")):
            if self.connections is not None:
                self.active = self.connections()
            out = self._listing(_ipvs._svc_key_from_tokens(args, 1, "")[0] if len(args) > 1 else None)
        elif args[:2] == ["-Ln", "--timeout"]:
            out = fixture("timeout.txt")
        elif args[:2] == ["-Ln", "--daemon"]:
            out = fixture("daemon.txt")
        elif args[:2] == ["-Ln", "--stats"]:
            out = fixture("all-options.stats")
        elif args[:2] == ["-Ln", "--rate"]:
            out = fixture("all-options.rate")
        else:
            raise AssertionError("unexpected ipvsadm call %r" % args)
        return CommandResult(["/sbin/ipvsadm", *args], rc, out, err)


@pytest.fixture
def kernel(monkeypatch, tmp_path):
    fake = FakeIPVSAdm()
    monkeypatch.setattr(CommandRunner, "run", lambda _runner, tool, args, **kw: fake.run(tool, args, **kw))
    monkeypatch.setattr(AnsibleModule, "run_command", lambda *a, **kw: pytest.fail("a command bypassed CommandRunner.run: %r" % (a[1:],)))
    monkeypatch.setattr(_ipvsadm.IPVSAdm, "kernel_loaded", lambda self: True)
    monkeypatch.setattr(_ipvsadm.IPVSAdm, "check_schedulers", lambda self, used: None)
    monkeypatch.setattr(_ipvsadm, "THRESHOLDS_MARKER", str(tmp_path / "run" / "ipvs-thresholds"))
    fake.marker = tmp_path / "run" / "ipvs-thresholds"
    return fake


def run(module, capsys, check_mode=False, diff=False, **args):
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


WEB = {"address": "192.0.2.10", "port": 80}
WEB_12 = {"address": "192.0.2.12", "weight": 2, "upper_threshold": 100, "lower_threshold": 50}  # as recorded
TABLE = [
    {"name": "web", "address": "192.0.2.10", "port": 80, "real_servers": [{"address": "192.0.2.11"}, WEB_12]},
    {"name": "new", "address": "192.0.2.99", "port": 443, "scheduler": "rr", "real_servers": [{"address": "192.0.2.11", "upper_threshold": 50}]},
]


# ------------------------------------------------------------------------------ check/diff/idempotence
@pytest.mark.parametrize(
    "module, args",
    [
        (ipvs_service, {"address": "192.0.2.98", "port": 80, "scheduler": "rr"}),
        (ipvs_service, {"address": "192.0.2.10", "port": 80, "scheduler": "rr"}),
        (ipvs_service, {**WEB, "state": "absent"}),
        (ipvs_real_server, {**WEB, "server_address": "192.0.2.13"}),
        (ipvs_real_server, {**WEB, "server_address": "192.0.2.12", "weight": 9}),
        (ipvs_real_server, {**WEB, "server_address": "192.0.2.12", "state": "drained"}),
        (ipvs_real_server, {**WEB, "server_address": "192.0.2.12", "state": "absent", "drain": True}),
        (ipvs_table, {"services": TABLE}),
    ],
)
def test_check_mode_writes_nothing_and_reports_the_change(kernel, capsys, module, args):
    before = kernel.save_text
    result = run(module, capsys, check_mode=True, diff=True, **args)
    assert result["changed"] is True and result["commands"], result
    assert kernel.writes == [] and kernel.save_text == before
    assert result["diff"]["before"] != result["diff"]["after"]
    # the stdout callbacks render text or dicts; a list breaks them ('list' has no 'splitlines')
    assert all(isinstance(result["diff"][side], (str, dict)) for side in ("before", "after")), result["diff"]
    assert not kernel.marker.exists()


def test_table_diff_idempotence_and_one_write(kernel, capsys):
    result = run(ipvs_table, capsys, diff=True, services=TABLE)
    assert [" ".join(w) for w in kernel.writes] == ["-R"]
    assert result["commands"] == ["-A -t 192.0.2.99:443 -s rr", "-a -t 192.0.2.99:443 -r 192.0.2.11:443 -g -w 1 -x 50 -y 0"]
    assert result["counts"] == {"added": 2, "modified": 0, "removed": 0, "commands": 2} and result["truncated"] is False
    assert result["diff"]["before"] == ""
    assert result["diff"]["after"] == "-A -t 192.0.2.99:443 -s rr\n-a -t 192.0.2.99:443 -r 192.0.2.11:443 -g -w 1 -x 50 -y 0\n"
    assert kernel.marker.exists(), "a threshold was set: later runs must read thresholds"
    again = run(ipvs_table, capsys, diff=True, services=TABLE)
    assert again["changed"] is False and again["commands"] == [] and [" ".join(w) for w in kernel.writes] == ["-R"], "re-run must not write"
    assert (again["diff"]["before"], again["diff"]["after"]) == ("", "")


def test_from_the_action_plugin_an_all_new_table_shows_in_the_diff(kernel, capsys):
    """The action plugin sends the table as a no_log parameter with a header line: a diff that
    lists the whole desired table is not masked by no_log, and nothing of it is echoed back."""
    kernel.save_text = ""
    kernel.table = _ipvs.Table()
    kernel.thresholds_text = None
    lines, thresholds, names, schedulers = _ipvsadm.desired_table(TABLE)
    result = run(ipvs_table, capsys, diff=True, _desired=_ipvsadm.wire_text(lines), _thresholds=_ipvsadm.wire_text(thresholds),
                 _schedulers=schedulers, **INJECT)
    assert result["changed"] is True and "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" not in json.dumps(result)
    wanted = _ipvs.merge_thresholds_lines(_ipvs.parse_save("\n".join(lines)), thresholds)
    assert _ipvs.parse_save(result["diff"]["after"]) == wanted and result["diff"]["before"] == ""
    assert result["invocation"]["module_args"].keys() == {"purge", "scope", "load_module", "read_thresholds", "report_limit"}
    # the module names nothing (the action plugin does, on the controller)
    assert all("name" not in entry for entry in result["added"])
    assert _ipvsadm.name_reports(result, names)["added"][0] == {"service": "tcp/192.0.2.10:80", "name": "web"}
    assert run(ipvs_table, capsys, _desired=_ipvsadm.wire_text(lines), _thresholds=_ipvsadm.wire_text(thresholds))["changed"] is False


def test_service_and_real_server_idempotent(kernel, capsys):
    assert run(ipvs_service, capsys, address="192.0.2.10", port=80)["changed"] is False
    assert run(ipvs_real_server, capsys, server_address="192.0.2.12", weight=2, upper_threshold=100, lower_threshold=50, **WEB)["changed"] is False
    assert kernel.writes == []
    edit = run(ipvs_real_server, capsys, diff=True, server_address="192.0.2.12", weight=3, **WEB)
    assert edit["commands"] == ["-e -t 192.0.2.10:80 -r 192.0.2.12:80 -g -w 3 -x 0 -y 0"]
    assert edit["diff"]["before"]["weight"] == 2 and edit["diff"]["after"]["weight"] == 3 and edit["diff"]["before"]["upper_threshold"] == 100
    assert run(ipvs_real_server, capsys, server_address="192.0.2.12", weight=3, **WEB)["changed"] is False
    assert len(kernel.writes) == 1


def test_bracketed_ipv6_is_the_same_service(kernel, capsys):
    """ipvs_service and ipvs_real_server take IPv6 with or without brackets (the form ipvsadm
    prints); a bracketed IPv4 address is no address, refused naming the parameter and value."""
    recorded = {"address": "[2001:db8:1::10]", "port": 80}
    assert run(ipvs_service, capsys, scheduler="nq", **recorded)["changed"] is False
    assert run(ipvs_real_server, capsys, server_address="[2001:DB8:1::11]", upper_threshold=5, lower_threshold=2, **recorded)["changed"] is False
    assert kernel.writes == []
    new = run(ipvs_service, capsys, address=" [2001:db8:1::99] ", port=80)
    assert new["commands"] == ["-A -t [2001:db8:1::99]:80 -s wlc"]
    assert run(ipvs_service, capsys, address="2001:db8:1::99", port=80)["changed"] is False
    for module, args, param, value in (
        (ipvs_service, {"address": "[192.0.2.10]", "port": 80}, "address", "[192.0.2.10]"),
        (ipvs_service, {"address": "[2001:db8:1::10", "port": 80}, "address", "[2001:db8:1::10"),
        (ipvs_real_server, {"address": "2001:db8:1::10", "port": 80, "server_address": "[[2001:db8:1::11]]"}, "server_address", "[[2001:db8:1::11]]"),
    ):
        result = run(module, capsys, **args)
        assert result["failed"] is True and result["msg"].startswith(param + ": ") and repr(value) in result["msg"], result
    assert len(kernel.writes) == 1


def test_real_server_forwarding_spellings_are_the_models(kernel, capsys):
    """forwarding takes what the model takes (dr, nat, tun...): the same word means the same
    destination through ipvs_table and ipvs_real_server."""
    assert run(ipvs_real_server, capsys, server_address="192.0.2.12", forwarding="dr", weight=2, upper_threshold=100, lower_threshold=50,
               **WEB)["changed"] is False
    table = [{"name": "web", "address": "192.0.2.10", "port": 80, "forwarding": "dr",
              "real_servers": [{"address": "192.0.2.11", "forwarding": "route"}, dict(WEB_12, forwarding="gatewaying")]}]
    assert run(ipvs_table, capsys, services=table)["changed"] is False
    assert kernel.writes == []
    for module, args in ((ipvs_real_server, dict(WEB, server_address="192.0.2.12")), (ipvs_table, None)):
        if module is ipvs_table:
            result = run(module, capsys, services=[dict(table[0], forwarding="DR")])
            assert result["msg"].startswith("services[0].forwarding: 'DR' is not one of direct, dr, "), result
        else:
            result = run(module, capsys, forwarding="DR", **args)
            assert "forwarding" in result["msg"] and "DR" in result["msg"], result
        assert result["failed"] is True
    assert kernel.writes == []


def test_scope_reads_as_the_argument_spec_reads_it():
    """The action plugin gets the task's raw scope, the module the one AnsibleModule converted:
    both read it with Ansible's list rule (a comma-separated string is a list), and a bad item is
    an error naming scope and the item, not a traceback (IPVSError escaped the action plugin)."""
    web = [{"name": "web", "address": "192.0.2.10", "port": 80, "real_servers": []}]
    assert _ipvsadm.desired_table(web, scope="192.0.2.10, fwmark:5")[0] == ["-A -t 192.0.2.10:80 -s wlc"]
    assert _ipvsadm.scope_of("192.0.2.10,fwmark:5") == _ipvsadm.scope_of(["192.0.2.10", "fwmark:5"]) == ({"192.0.2.10"}, {5})
    for scope, message in (
        ("192.0.2.11", "services: tcp/192.0.2.10:80 (web) is outside scope 192.0.2.11"),
        (["nonsense"], "scope: 'nonsense' must be an address or fwmark:N"),
        (5, "scope: '5' must be an address or fwmark:N"),
        (["fwmark:0"], "scope: 'fwmark:0' must be an address or fwmark:N with N from 1 to 2147483647"),
        ({"a": 1}, "scope: {'a': 1} is not a list of addresses and fwmark:N"),
    ):
        with pytest.raises(_ipvsadm.ModuleError) as info:
            _ipvsadm.desired_table(web, scope=scope)
        assert info.value.msg == message and info.value.extra["param"] == "scope"


def test_table_scope_as_a_string(kernel, capsys):
    plain = [{"name": "web", "address": "192.0.2.10", "port": 80, "real_servers": [{"address": "192.0.2.11"}, WEB_12]}]
    assert run(ipvs_table, capsys, services=plain, scope="192.0.2.10,fwmark:5")["changed"] is False
    bad = run(ipvs_table, capsys, services=plain, scope="192.0.2.10,fwmark:x")
    assert bad["failed"] is True and bad["msg"] == "scope: 'fwmark:x' must be an address or fwmark:N with N from 1 to 2147483647" and bad["value"] == "fwmark:x"
    assert kernel.writes == []


def test_diff_off_returns_no_diff(kernel, capsys):
    result = run(ipvs_table, capsys, services=TABLE)
    assert "diff" not in result and result["changed"]


# ------------------------------------------------------------------------------ thresholds read policy
SCOPE_ALL = [
    *sorted(
        {
            line.split()[2].rsplit(":", 1)[0].strip("[]")
            for line in fixture("all-options.save").splitlines()
            if line.split()[1] in ("-t", "-u", "--sctp-service")
        }
    ),
    "fwmark:5",
    "fwmark:6",
]


def test_thresholds_read_only_when_needed(kernel, capsys):
    plain = [{"name": "web", "address": "192.0.2.10", "port": 80, "real_servers": [{"address": "192.0.2.11"}, {"address": "192.0.2.12", "weight": 2}]}]
    result = run(ipvs_table, capsys, services=plain)
    assert result["thresholds_read"] is False and result["changed"] is False
    assert kernel.tool_calls() == ["-Sn"], "no thresholds desired, none set by lvs.cluster: one read"
    with_thr = [dict(plain[0], real_servers=[{"address": "192.0.2.11", "upper_threshold": 10, "lower_threshold": 5}, WEB_12])]
    result = run(ipvs_table, capsys, services=with_thr)
    assert result["thresholds_read"] is True and result["modified"][0]["changes"] == {"upper_threshold": [0, 10], "lower_threshold": [0, 5]}
    assert len(result["modified"]) == 1 and kernel.marker.exists()
    # the thresholds are dropped from the model: the marker makes the next run read and reset them
    result = run(ipvs_table, capsys, services=plain)
    assert result["thresholds_read"] is True
    assert result["commands"] == ["-e -t 192.0.2.10:80 -r 192.0.2.11:80 -g -w 1 -x 0 -y 0", "-e -t 192.0.2.10:80 -r 192.0.2.12:80 -g -w 2 -x 0 -y 0"]
    assert kernel.marker.exists(), "other recorded destinations (192.0.2.20:443 ...) still have thresholds"
    # only this service left: the full read finds no threshold, the marker goes, later runs read -Sn only
    result = run(ipvs_table, capsys, services=plain, purge=True, scope=SCOPE_ALL)
    assert result["thresholds_read"] is True and list(kernel.table.services) == [_ipvs.ServiceKey("tcp", "192.0.2.10", 80, 0, "ipv4")], kernel.table.services
    assert not kernel.marker.exists(), "a full read found no thresholds left"
    calls = len(kernel.calls)
    assert run(ipvs_table, capsys, services=plain)["thresholds_read"] is False and kernel.tool_calls()[calls:] == ["-Sn"]


def test_foreign_thresholds_need_read_thresholds_always(kernel, capsys):
    # the recorded table has -x 100 -y 50 on 192.0.2.10:80 -> 192.0.2.12, set outside lvs.cluster
    plain = [{"name": "web", "address": "192.0.2.10", "port": 80, "real_servers": [{"address": "192.0.2.11"}, {"address": "192.0.2.12", "weight": 2}]}]
    auto = run(ipvs_table, capsys, services=plain)
    assert auto["changed"] is False and auto["thresholds_read"] is False  # the documented trade-off of auto
    always = run(ipvs_table, capsys, services=plain, read_thresholds="always")
    assert always["thresholds_read"] is True and always["changed"] is True
    assert always["modified"] == [
        {"service": "tcp/192.0.2.10:80", "name": "web", "destination": "192.0.2.12:80", "changes": {"upper_threshold": [100, 0], "lower_threshold": [50, 0]}}
    ]


# ------------------------------------------------------------------------------ big results


def test_report_limit_caps_lists_and_counts_totals(kernel, capsys):
    services = [{"name": "s%d" % i, "address": "192.0.2.200", "port": 1000 + i, "real_servers": [{"address": "198.51.100.%d" % j} for j in range(1, 4)]}
                for i in range(30)]
    result = run(ipvs_table, capsys, services=services, report_limit=10, **INJECT)
    assert result["counts"] == {"added": 120, "modified": 0, "removed": 0, "commands": 120}
    assert result["truncated"] is True and len(result["added"]) == 10 and len(result["commands"]) == 10
    # the table is never echoed back: the arguments without it, and how many services it had
    assert "services" not in result["invocation"]["module_args"] and result["invocation"]["services_count"] == 30
    if INJECTS_ON_REQUEST:  # not asked for: no invocation at all
        assert "invocation" not in run(ipvs_table, capsys, services=services, report_limit=10)
    assert sum(1 for line in kernel.save_text.splitlines() if "192.0.2.200" in line) == 120, "the cap is on the report only"
    full = run(ipvs_table, capsys, services=services, report_limit=0, purge=True, scope=["192.0.2.200"])
    assert full["changed"] is False and full["truncated"] is False


# ------------------------------------------------------------------------------ partial -R failure
def test_partial_restore_failure_rereads_and_reports(kernel, capsys):
    kernel.fail_on = "192.0.2.99:443 -r"
    result = run(ipvs_table, capsys, services=TABLE)
    assert result["failed"] is True and "after applying 1 of 2 changes" in result["msg"]
    assert result["changed"] is True, "a partial apply changed the kernel: it says so"
    assert result["applied"]["added"] == [{"service": "tcp/192.0.2.99:443", "name": "new"}]
    assert result["not_applied"]["added"] == [{"service": "tcp/192.0.2.99:443", "name": "new", "destination": "192.0.2.11:443"}]
    assert result["stderr"] == "Memory allocation problem\n" and result["commands"][-1].startswith("-a -t 192.0.2.99:443")
    assert kernel.tool_calls()[-2:] == ["-Sn", "-Ln --thresholds"], "re-read after the failure"


# ------------------------------------------------------------------------------ ipvs_info
def test_info_never_writes(kernel, capsys):
    result = run(ipvs_info, capsys, gather=["services", "stats", "rates", "timeouts", "daemon", "connections"])
    assert result["changed"] is False and kernel.writes == []
    assert result["timeouts"] == {"tcp": 900, "tcpfin": 120, "udp": 300}
    by = {s["service"]: s for s in result["services"]}
    assert "stats" in by["tcp/192.0.2.10:80"] and "connections" in by["tcp/192.0.2.10:80"]
    assert {d["upper_threshold"] for s in result["services"] for d in s["real_servers"]} != {0}


# ------------------------------------------------------------------------------ one_packet
def test_one_packet(kernel, capsys):
    ok = run(ipvs_service, capsys, protocol="udp", address="192.0.2.52", port=53, one_packet=True)
    assert ok["commands"] == ["-A -u 192.0.2.52:53 -s wlc -o"] and ok["service"]["one_packet"] is True
    assert run(ipvs_service, capsys, protocol="udp", address="192.0.2.52", port=53, one_packet=True)["changed"] is False
    bad = run(ipvs_service, capsys, address="192.0.2.52", port=80, one_packet=True)
    assert bad["failed"] is True and bad["msg"].startswith("one_packet: True: one-packet scheduling applies to UDP"), bad["msg"]
    writes = len(kernel.writes)
    bad = run(ipvs_service, capsys, address="192.0.2.52", port=80, one_packet=True)
    assert "'tcp'" in bad["msg"] and len(kernel.writes) == writes, "refused before any write"


# ------------------------------------------------------------------------------ drain
def test_drain_waits_for_active_connections(kernel, capsys, monkeypatch):
    key = _ipvs.ServiceKey("tcp", "192.0.2.10", 80, 0, "ipv4")
    dkey = ("192.0.2.12", 80)
    reads = []

    def closing():
        reads.append(1)
        return {(key, dkey): (1, 0) if len(reads) < 3 else (0, 1)}

    kernel.connections = closing
    monkeypatch.setattr(_ipvsadm.time, "sleep", lambda s: None)
    result = run(ipvs_real_server, capsys, server_address="192.0.2.12", state="absent", drain=True, **WEB)
    assert result["changed"] and result["drain"]["timed_out"] is False and len(reads) == 3
    assert [w for w in kernel.tool_calls() if w == "-R"] == ["-R", "-R"], "weight 0 first, then the removal"
    assert kernel.calls[-1][2] == "-d -t 192.0.2.10:80 -r 192.0.2.12:80\n" and "-w 0" in next(c for c in kernel.calls if c[1] == ["-R"])[2]
    assert dkey not in kernel.table.dests[key]
