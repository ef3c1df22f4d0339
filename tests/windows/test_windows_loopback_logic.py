"""The windows_loopback role's own logic, run by ansible-playbook on the controller: the VIPs and
firewall rules it derives from the service model, the service adapter it finds in the Windows
facts, and the checks that stop bad input. The module call itself needs Windows and is not run:
the play imports only the role's model and validate tasks, with its defaults and vars."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "windows_loopback"
FACTS = Path(__file__).parent / "fixtures" / "win1_interfaces.json"
VENV_BIN = Path(sys.executable).parent

SERVICES = [
    {"name": "web", "address": "192.0.2.10", "port": 80, "forwarding": "direct",
     "real_servers": [{"host": "win1"}, {"address": "192.0.2.32"}]},
    {"name": "dns", "address": "192.0.2.53", "port": 53, "protocol": "udp", "forwarding": "direct",
     "real_servers": [{"host": "win1"}]},
    {"name": "nat-only", "address": "192.0.2.80", "port": 8080, "forwarding": "masquerade",
     "real_servers": [{"host": "win1", "port": 80}]},
    {"name": "other", "address": "192.0.2.90", "port": 443, "real_servers": [{"host": "linux1"}]},
]

FAKE_FACTS = """#!/usr/bin/python
import json
from ansible.module_utils.basic import AnsibleModule
m = AnsibleModule(argument_spec={"path": {"type": "str", "required": True}})
with open(m.params["path"]) as f:
    data = json.load(f)
data.pop("_comment", None)
m.exit_json(changed=False, ansible_facts=data)
"""

PLAY = """---
- name: windows_loopback logic on the controller
  hosts: win1
  gather_facts: false
  vars_files:
    - {role}/defaults/main.yml
    - {role}/vars/main.yml
  tasks:
    - name: Recorded-shape Windows facts
      fake_facts:
        path: {facts}
    - name: The role's service model task
      ansible.builtin.import_tasks: {role}/tasks/model.yml
    - name: Checks of the role
      ansible.builtin.import_tasks: {role}/tasks/validate.yml
    - name: Derived values
      ansible.builtin.copy:
        dest: {out}
        mode: "0644"
        content: "{{{{ {{'vips': __windows_loopback_vips, 'rules': __windows_loopback_firewall_rules,
                      'interface': __windows_loopback_interface}} | to_json }}}}"
"""


def collections_path():
    for cand in (os.environ.get("ANSIBLE_COLLECTIONS_PATH"), str(ROOT / ".tmp" / "collections")):
        if cand and Path(cand, "ansible_collections", "lvs", "cluster", "roles", "windows_loopback").is_dir():
            return cand
    pytest.fail("no collection tree with roles/windows_loopback: run `make collection` first (make windows-test does)")


def run(tmp_path, extra=None, services=None):
    lib = tmp_path / "library"
    lib.mkdir(exist_ok=True)
    (lib / "fake_facts.py").write_text(FAKE_FACTS)
    (tmp_path / "inv.yml").write_text(json.dumps({"all": {"hosts": {
        "win1": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "lvs_real_server_address": "192.0.2.31"},
        "linux1": {"ansible_connection": "local", "lvs_real_server_address": "192.0.2.41"}},
        "vars": {"lvs_virtual_services": SERVICES if services is None else services}}}))
    (tmp_path / "play.yml").write_text(PLAY.format(role=ROLE, facts=FACTS, out=tmp_path / "derived.json"))
    argv = [str(VENV_BIN / "ansible-playbook"), "-i", str(tmp_path / "inv.yml"), "-M", str(lib), str(tmp_path / "play.yml")]
    if extra:
        argv += ["-e", json.dumps(extra)]
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": collections_path(), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false"}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)


def derived(tmp_path):
    return json.loads((tmp_path / "derived.json").read_text())


def test_vips_rules_and_interface_from_the_model(tmp_path):
    p = run(tmp_path)
    assert p.returncode == 0, p.stdout[-3000:]
    d = derived(tmp_path)
    assert d["vips"] == ["192.0.2.10", "192.0.2.53"]  # DR services only: not the NAT one, not other hosts'
    assert d["rules"] == [
        {"name": "web", "protocol": "tcp", "ports": [80], "local_addresses": ["192.0.2.10"]},
        {"name": "dns", "protocol": "udp", "ports": [53], "local_addresses": ["192.0.2.53"]},
    ]
    assert d["interface"] == "Ethernet"


def test_explicit_subset(tmp_path):
    p = run(tmp_path, {"windows_loopback_vips": ["192.0.2.53/32"]})
    assert p.returncode == 0, p.stdout[-3000:]
    d = derived(tmp_path)
    assert d["vips"] == ["192.0.2.53"]
    assert d["rules"][0]["local_addresses"] == []  # web's VIP is not carried: its rule opens no VIP
    assert [r["local_addresses"] for r in d["rules"]] == [[], ["192.0.2.53"]]


@pytest.mark.parametrize("extra,services,message", [
    (None, [SERVICES[3]], "win1 is a real server of no service with forwarding 'direct'"),
    ({"windows_loopback_vips": ["192.0.2.90"]}, SERVICES, "are not VIPs of services"),
    ({"windows_loopback_vips": ["192.0.2.0/24"]}, SERVICES, "are not /32 or /128 host addresses"),
    ({"lvs_real_server_address": "192.0.2.77"}, SERVICES, "no adapter holds 192.0.2.77"),
], ids=["no-service", "vip-not-in-list", "prefix", "no-adapter"])
def test_bad_input_is_stopped(tmp_path, extra, services, message):
    p = run(tmp_path, extra, services)
    assert p.returncode != 0
    assert not (tmp_path / "derived.json").exists()
    assert message in p.stdout, p.stdout[-3000:]
