"""The director's sysctl set as its validation resolves it (on the controller, fake facts): a dot in
the VRRP interface's name (a VLAN) is a slash in the sysctl name, as sysctl(8) and lvs.cluster.sysctls read it."""
import json
import sys

import yaml
from test_os_families import EXAMPLE, FAKE_FACTS, host_facts


def test_vlan_vrrp_interface_gives_a_slash_in_the_sysctl_name(tmp_path, ansible_playbook):
    lib = tmp_path / "library"
    lib.mkdir()
    (lib / "fake_facts.py").write_text(FAKE_FACTS)
    facts = {"lb1": host_facts("debian12", "192.0.2.2"), "lb2": host_facts("debian12", "192.0.2.3")}
    for host in facts.values():
        host["interfaces"].append("eth1.100")
    play = [{
        "name": "director validation with a VLAN VRRP interface",
        "hosts": "lb1:lb2",
        "gather_facts": False,
        "vars": {"director_vrrp_interface": "eth1.100", "director_vrrp_unicast_src_ip": "{{ vlan_src[inventory_hostname] }}",
                 "vlan_src": {"lb1": "192.0.2.2", "lb2": "192.0.2.3"}, "vlan_facts": facts},
        "tasks": [
            {"name": "Facts", "fake_facts": {"facts": "{{ vlan_facts[inventory_hostname] }}"}, "tags": ["always"]},
            {"name": "The role up to its validation", "ansible.builtin.import_role": {"name": "lvs.cluster.director"}},
            {"name": "Report", "tags": ["always"], "ansible.builtin.copy": {
                "dest": str(tmp_path / "{{ inventory_hostname }}.json"), "mode": "0644", "content": "{{ __director_sysctls | to_json }}"}},
        ],
    }]
    pb = tmp_path / "pb.yml"
    pb.write_text(yaml.safe_dump(play, sort_keys=False))
    p = ansible_playbook(pb, [EXAMPLE], "-M", str(lib), "--tags", "director_validate",
                         extra_vars={"ansible_connection": "local", "ansible_python_interpreter": sys.executable}, check=False)
    assert p.returncode == 0, p.stdout[-5000:] + p.stderr[-2000:]
    for host in ("lb1", "lb2"):
        sysctls = json.loads((tmp_path / f"{host}.json").read_text())
        assert sysctls["net.ipv4.conf.eth1/100.send_redirects"] == 0, sysctls
        assert not any(".100." in name for name in sysctls), sysctls
