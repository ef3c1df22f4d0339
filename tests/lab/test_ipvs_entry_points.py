# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One model, every entry point, one kernel table (issue #12), on the lab's kernel and keepalived.

The models of tests/unit/plugins/module_utils/fixtures/models/entry_points.yml (the unit test
tests/unit/plugins/test_entry_points.py runs them over a fake ipvsadm) go, as one list, through:
(a) the ``service_model`` action, its services given to ``ipvs_table``; (b) the raw model given to
``ipvs_table``; (c) the filters ``lvs_services | lvs_ipvs_services`` given to ``ipvs_table``; (d)
``ipvs_service`` and ``ipvs_real_server`` tasks, one per kernel service and destination; (e) the
director role's keepalived.conf (its validate tasks and template), loaded by the release's
keepalived (checkers only, ``keepalived -C``). Each starts from an empty table; each must leave the
same table (``ipvs_info``: every field, thresholds and tunnels included; and ``ipvsadm -Sn``), and
``ipvs_table`` given the model afterwards must find nothing to change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.lab

HOST = "dir1"
ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "tests" / "unit" / "plugins" / "module_utils" / "fixtures" / "models" / "entry_points.yml"
WAYS = ("service_model", "ipvs_table", "filters", "modules", "keepalived")
WORK = "/run/lvs-entry-points"

# ipvs_service / ipvs_real_server arguments from one kernel service of lvs_ipvs_services
# (what tests/unit/plugins/test_entry_points.py's module_tasks builds in Python)
KEY = {
    "protocol": "{{ item.protocol | default(omit) }}",
    "address": "{{ item.address | default(omit) }}",
    "port": "{{ item.port | default(omit) }}",
    "fwmark": "{{ item.fwmark | default(omit) }}",
    "family": "{{ item.family }}",
}
SERVICE = dict(
    KEY,
    scheduler="{{ item.scheduler }}",
    sched_flags="{{ item.sched_flags }}",
    one_packet="{{ item.one_packet }}",
    persistent="{{ (item.get('persistence') or {}).get('timeout', 0) }}",
    netmask="{{ ((item.get('persistence') or {}).get('netmask') | string) if (item.get('persistence') or {}).get('netmask') is not none else omit }}",
    persistence_engine="{{ item.persistence_engine | default(omit, true) }}",
)
DESTINATION = {key: value.replace("item.", "item.0.") for key, value in KEY.items()}
DESTINATION.update(
    server_address="{{ item.1.address }}",
    server_port="{{ item.1.port | default(omit) }}",
    forwarding="{{ item.1.forwarding }}",
    weight="{{ item.1.weight }}",
    upper_threshold="{{ item.1.upper_threshold }}",
    lower_threshold="{{ item.1.lower_threshold }}",
    tunnel_type="{{ (item.1.get('tunnel') or {}).get('type') or omit }}",
    tunnel_port="{{ (item.1.get('tunnel') or {}).get('port') or omit }}",
    tunnel_checksum="{{ (item.1.get('tunnel') or {}).get('checksum') or omit }}",
)


def _read(way):
    return [
        {"name": "Read %s" % way, "lvs.cluster.ipvs_info": {}, "register": "info_" + way},
        {"name": "Save %s" % way, "ansible.builtin.command": "ipvsadm -Sn", "changed_when": False, "register": "sn_" + way},
        {"name": "Again %s" % way, "lvs.cluster.ipvs_table": {"services": "{{ model }}"}, "check_mode": True, "register": "again_" + way},
    ]


def _clear(way):
    return {"name": "Clear for %s" % way, "ansible.builtin.command": "ipvsadm -C", "changed_when": True}


def _playbook(model, hostvars):
    keepalived = [
        "keepalived",
        "--check",
        "--use-file=%s/keepalived.conf" % WORK,
        "--pid=%s/keepalived.pid" % WORK,
        "--checkers_pid=%s/checkers.pid" % WORK,
        "--vrrp_pid=%s/vrrp.pid" % WORK,
    ]
    tasks = [
        {"name": "Work directory", "ansible.builtin.file": {"path": WORK, "state": "directory", "mode": "0700"}},
        _clear("service_model"),
        {"name": "The model, normalised", "lvs.cluster.service_model": {"services": "{{ model }}"}, "register": "normalised"},
        {"name": "Via service_model", "lvs.cluster.ipvs_table": {"services": "{{ normalised.services }}"}},
        *_read("service_model"),
        _clear("ipvs_table"),
        {"name": "Via ipvs_table", "lvs.cluster.ipvs_table": {"services": "{{ model }}"}},
        *_read("ipvs_table"),
        _clear("filters"),
        {"name": "Via the filters", "lvs.cluster.ipvs_table": {"services": "{{ model | lvs.cluster.lvs_services | lvs.cluster.lvs_ipvs_services }}"}},
        *_read("filters"),
        _clear("modules"),
        {"name": "Kernel services", "ansible.builtin.set_fact": {"kernel_services": "{{ normalised.services | lvs.cluster.lvs_ipvs_services }}"}},
        {"name": "Via ipvs_service", "lvs.cluster.ipvs_service": SERVICE, "loop": "{{ kernel_services }}"},
        {"name": "Via ipvs_real_server", "lvs.cluster.ipvs_real_server": DESTINATION, "loop": "{{ kernel_services | subelements('real_servers') }}"},
        *_read("modules"),
        _clear("keepalived"),
        {"name": "Director validation", "ansible.builtin.include_role": {"name": "lvs.cluster.director", "tasks_from": "validate.yml", "public": True}},
        {
            "name": "The director's keepalived.conf",
            "ansible.builtin.template": {
                "src": "{{ director_templates }}/keepalived.conf.j2",
                "dest": WORK + "/keepalived.conf",
                "mode": "0600",
            },
        },
        {"name": "Keepalived checkers", "ansible.builtin.command": {"argv": keepalived}, "changed_when": True},
        {
            "name": "Keepalived has loaded the table",
            "ansible.builtin.command": "ipvsadm -Sn",
            "register": "loading",
            "until": "loading.stdout_lines | length == sn_service_model.stdout_lines | length",
            "retries": 60,
            "delay": 2,
            "changed_when": False,
            "failed_when": False,
        },
        *_read("keepalived"),
        {
            "name": "Keepalived log",
            "ansible.builtin.shell": "journalctl -q --no-pager -t Keepalived -t Keepalived_healthcheckers | tail -n 40 || true",
            "changed_when": False,
        },
        {
            "name": "Stop keepalived (by its pid file)",
            "ansible.builtin.shell": "kill $(cat %s/keepalived.pid) && for i in $(seq 60); do [ -e %s/keepalived.pid ] || exit 0; sleep 1; done; exit 1"
            % (WORK, WORK),
            "changed_when": True,
        },
        {"name": "Clear", "ansible.builtin.command": "ipvsadm -C", "changed_when": True},
        {"name": "No work directory", "ansible.builtin.file": {"path": WORK, "state": "absent"}},
    ]
    play_vars = {
        "model": model,
        "lvs_virtual_services": model,
        "director_templates": str(ROOT / "roles" / "director" / "templates"),
        "director_vrrp_interface": hostvars["lab_front_interface"],
        "director_vrrp_unicast": False,
        "director_vrrp_unicast_src_ip": "192.0.2.2",
        "director_vrrp_state": "MASTER",
        "director_vrrp_priority": 150,
    }
    return [{"hosts": HOST, "gather_facts": False, "become": True, "vars": play_vars, "tasks": tasks}]


def _table(info):
    """ipvs_info's services without counters, each service's real servers sorted."""
    table = {}
    for svc in info["services"]:
        entry = {k: v for k, v in svc.items() if k not in ("stats", "rates", "connections", "real_servers")}
        entry["real_servers"] = sorted(
            ({k: v for k, v in rs.items() if k not in ("stats", "rates", "connections")} for rs in svc["real_servers"]), key=lambda rs: rs["server"]
        )
        table[svc["service"]] = entry
    return table


def test_every_entry_point_gives_the_same_kernel_table(lab, tmp_path):
    models = yaml.safe_load(MODELS.read_text())
    model = [svc for name in sorted(models) for svc in models[name]]
    playbook = tmp_path / "entry_points.yml"
    playbook.write_text(yaml.safe_dump(_playbook(model, lab.hostvars(HOST)), sort_keys=False))
    proc, results = lab.playbook_results(playbook, HOST)
    assert proc.returncode == 0, json.dumps({k: v for k, v in results.items() if v.get("failed")}, indent=1)[-6000:] + proc.stderr[-2000:]

    want = _table(results["Read service_model"])
    # every service of the model is in the kernel (a group gives one kernel service per member)
    assert len(want) == sum(len(svc.get("group") or [1]) for svc in model)
    assert sum(len(svc["real_servers"]) for svc in want.values()) == sum(len(svc["real_servers"]) * len(svc.get("group") or [1]) for svc in model)
    lines = sorted(results["Save service_model"]["stdout_lines"])
    for way in WAYS:
        assert _table(results["Read " + way]) == want, (way, results["Keepalived log"]["stdout"] if way == "keepalived" else "")
        assert sorted(results["Save " + way]["stdout_lines"]) == lines, way
        again = results["Again " + way]
        assert again["changed"] is False, (way, again.get("commands"), again.get("modified"))
