# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One model, every entry point, one table (issue #12), over the fake ipvsadm of the module tests.

For each model of fixtures/models/entry_points.yml: the ``service_model`` action's normalised
services given to ``ipvs_table``; the raw model given to ``ipvs_table`` (action plugin and module);
the filters (``lvs_services | lvs_ipvs_services``) given to ``ipvs_table``; and ``ipvs_service`` +
``ipvs_real_server`` tasks generated from the model, applied to an empty fake kernel. All give the
same table, thresholds included, and a second apply of any of them changes nothing. The lab test
(tests/lab/test_ipvs_entry_points.py) repeats this against the real kernel and adds keepalived."""

from __future__ import annotations

import copy
import json
import os
from unittest.mock import MagicMock

import pytest
import yaml
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.cluster.plugins.action import ipvs_table as ipvs_table_action
from ansible_collections.lvs.cluster.plugins.action import service_model as service_model_action
from ansible_collections.lvs.cluster.plugins.filter.lvs_ipvs_services import lvs_ipvs_services
from ansible_collections.lvs.cluster.plugins.filter.lvs_services import lvs_services
from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs, _ipvsadm
from ansible_collections.lvs.cluster.plugins.module_utils._runner import CommandRunner
from ansible_collections.lvs.cluster.plugins.modules import ipvs_real_server, ipvs_service, ipvs_table

from ansible_collections.lvs.cluster.tests.unit.plugins.modules.test_ipvs_modules import FakeIPVSAdm

MODELS_FILE = os.path.join(os.path.dirname(__file__), "module_utils", "fixtures", "models", "entry_points.yml")
with open(MODELS_FILE, encoding="utf-8") as _handle:
    MODELS = yaml.safe_load(_handle)


@pytest.fixture
def kernel(monkeypatch, tmp_path):
    """The module tests' fake ipvsadm, starting from an empty table."""
    fake = FakeIPVSAdm()
    fake.table = _ipvs.Table()
    fake._changed()
    monkeypatch.setattr(CommandRunner, "run", lambda _runner, tool, args, **kw: fake.run(tool, args, **kw))
    monkeypatch.setattr(AnsibleModule, "run_command", lambda *a, **kw: pytest.fail("a command bypassed CommandRunner.run"))
    monkeypatch.setattr(_ipvsadm.IPVSAdm, "kernel_loaded", lambda self: True)
    monkeypatch.setattr(_ipvsadm.IPVSAdm, "check_schedulers", lambda self, used: None)
    monkeypatch.setattr(_ipvsadm, "THRESHOLDS_MARKER", str(tmp_path / "ipvs-thresholds"))
    return fake


def run(module, capsys, **args):
    args.update(_ansible_check_mode=False, _ansible_diff=False)
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    result = json.loads(capsys.readouterr().out)
    assert not result.get("failed"), result
    return result


def action(cls, args):
    task = MagicMock()
    task.args = copy.deepcopy(args)
    task.async_val = 0
    task.check_mode = False
    plugin = cls(task, MagicMock(), MagicMock(), MagicMock(), MagicMock(), MagicMock())
    sent = {}

    def execute(module_name, module_args, task_vars):
        sent.update(module_args)
        return {"changed": False}

    plugin._execute_module = execute
    result = plugin.run(task_vars={})
    assert not result.get("failed"), result
    return result, sent


def module_tasks(normalised):
    """ipvs_service and ipvs_real_server arguments for each kernel service of the model (what the
    lab test generates in Jinja)."""
    services, servers = [], []
    for entry in lvs_ipvs_services(normalised):
        key = {k: entry[k] for k in ("protocol", "address", "port", "fwmark") if k in entry}
        key["family"] = entry["family"]
        persistence = entry.get("persistence") or {}
        svc = dict(key, scheduler=entry["scheduler"], sched_flags=entry["sched_flags"], one_packet=entry["one_packet"],
                   persistent=persistence.get("timeout", 0))
        if persistence.get("netmask") is not None:
            svc["netmask"] = str(persistence["netmask"])
        if entry.get("persistence_engine"):
            svc["persistence_engine"] = entry["persistence_engine"]
        services.append(svc)
        for rs in entry["real_servers"]:
            dest = dict(key, server_address=rs["address"], forwarding=rs["forwarding"], weight=rs["weight"],
                        upper_threshold=rs["upper_threshold"], lower_threshold=rs["lower_threshold"])
            if "port" in rs:
                dest["server_port"] = rs["port"]
            for name, value in (rs.get("tunnel") or {}).items():
                if value is not None:
                    dest["tunnel_" + name] = value
            servers.append(dest)
    return services, servers


def table_of(lines, thresholds):
    return _ipvs.merge_thresholds_lines(_ipvs.parse_save("\n".join(lines)), thresholds)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_entry_point_gives_the_same_table(kernel, capsys, name):
    raw = MODELS[name]
    model, _sent = action(service_model_action.ActionModule, {"services": raw})
    normalised = model["services"]
    lines, thresholds, _names, _schedulers = _ipvsadm.desired_table(raw)
    want = table_of(lines, thresholds)
    assert len(want.services) == sum(len(s.get("group") or [1]) for s in raw)
    # (a) the service_model action's services, (b) the raw model, (f) the filters: the same lines
    for services in (normalised, raw, lvs_ipvs_services(lvs_services(copy.deepcopy(raw)))):
        assert _ipvsadm.desired_table(copy.deepcopy(services))[:2] == (lines, thresholds)
        _result, sent = action(ipvs_table_action.ActionModule, {"services": services})
        assert sent["_desired"] == _ipvsadm.wire_text(lines)
    # (c) ipvs_service + ipvs_real_server on an empty kernel
    services, servers = module_tasks(normalised)
    for args in services:
        assert run(ipvs_service, capsys, **args)["changed"] is True
    for args in servers:
        assert run(ipvs_real_server, capsys, **args)["changed"] is True
    assert kernel.table == want
    assert sorted(kernel.save_text.splitlines()) == sorted(lines)
    # a second apply through every entry point changes nothing
    assert not any(run(ipvs_service, capsys, **args)["changed"] for args in services)
    assert not any(run(ipvs_real_server, capsys, **args)["changed"] for args in servers)
    for services in (normalised, raw):
        assert run(ipvs_table, capsys, services=copy.deepcopy(services), purge=True, scope=model["scope"])["changed"] is False
    assert [w for w in kernel.writes if w != ["-R"]] == []


def test_the_models_cover_every_kind_of_entry():
    lines = [line for model in MODELS.values() for line in _ipvsadm.desired_table(model)[0]]
    for text in (" -g ", " -m ", "--tun-type gue", "--tun-type gre", " -f ", " -6 ", "[::ffff:192.0.2.82]", " -o", " -M 64", " -M 255.255.255.0",
                 " -b sh-fallback,sh-port", " -b mh-port"):
        assert any(text in line for line in lines), text
    thresholds = [t for model in MODELS.values() for t in _ipvsadm.desired_table(model)[1]]
    assert thresholds
