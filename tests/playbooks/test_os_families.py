"""The OS-family variable paths of the roles, on the controller, for the families the lab cannot
boot (RHEL-family and Ubuntu packages cannot be fetched here) and for the two Debian releases it
does. Each play gives the mixed-pair example's hosts the facts of one OS (recorded shape: the keys
the roles read), runs each role's own tasks up to its validation (``--tags <role>_validate``:
the facts task, the OS-variables task, the model, the checks; nothing that changes a host) and
writes out what the role resolved: packages, configuration paths, service names. The expected
values are the distributions' own (package names from their repositories, paths from their
packages)."""
import json
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "playbooks" / "inventories" / "mixed-pair"

# name: (os_family, distribution, distribution_major_version)
SYSTEMS = {
    "debian12": ("Debian", "Debian", "12"),
    "debian13": ("Debian", "Debian", "13"),
    "ubuntu2204": ("Debian", "Ubuntu", "22"),
    "ubuntu2404": ("Debian", "Ubuntu", "24"),
    "rhel9": ("RedHat", "RedHat", "9"),
    "rocky9": ("RedHat", "Rocky", "9"),
    "alma8": ("RedHat", "AlmaLinux", "8"),
    "centos-stream10": ("RedHat", "CentOS", "10"),
    "fedora41": ("RedHat", "Fedora", "41"),
}

DEBIAN = {
    "director": {"__director_packages": ["ipvsadm"], "__director_keepalived_packages": ["keepalived"],
                 "__director_keepalived_service": "keepalived", "__director_keepalived_conf": "/etc/keepalived/keepalived.conf",
                 "__director_nologin": "/usr/sbin/nologin", "__director_nftables_conf": "/etc/nftables.conf",
                 "__director_ipvs_rules_file": "/etc/ipvsadm.rules", "__director_ipvs_default_file": "/etc/default/ipvsadm",
                 "__director_keepalived_options_file": "/etc/default/keepalived", "__director_keepalived_options_var": "DAEMON_ARGS",
                 "__director_keepalived_base_options": [], "__director_keepalived_log_packages": ["rsyslog", "logrotate"],
                 "__director_rsyslog_postrotate": "/usr/lib/rsyslog/rsyslog-rotate"},
    "dr": {"__dr_real_server_packages": {"sysctl": ["iproute2", "procps"], "arptables": ["iproute2", "arptables"],
                                         "nftables": ["iproute2", "nftables"]}},
    "nat": {"__nat_real_server_packages": ["iproute2", "python3"], "__nat_real_server_ping_packages": ["iputils-ping"]},
}
REDHAT = {
    "director": {"__director_packages": ["ipvsadm"], "__director_keepalived_packages": ["keepalived"],
                 "__director_keepalived_service": "keepalived", "__director_keepalived_conf": "/etc/keepalived/keepalived.conf",
                 "__director_nologin": "/sbin/nologin", "__director_nftables_conf": "/etc/sysconfig/nftables.conf",
                 "__director_ipvs_rules_file": "/etc/sysconfig/ipvsadm", "__director_ipvs_default_file": "",
                 "__director_keepalived_options_file": "/etc/sysconfig/keepalived", "__director_keepalived_options_var": "KEEPALIVED_OPTIONS",
                 "__director_keepalived_base_options": ["-D"], "__director_keepalived_log_packages": ["rsyslog", "logrotate"],
                 "__director_rsyslog_postrotate": "/usr/bin/systemctl kill -s HUP rsyslog.service >/dev/null 2>&1 || true"},
    "dr": {"__dr_real_server_packages": {"sysctl": ["iproute", "procps-ng"], "arptables": ["iproute", "arptables"],
                                         "nftables": ["iproute", "nftables"]}},
    "nat": {"__nat_real_server_packages": ["iproute", "python3"], "__nat_real_server_ping_packages": ["iputils"]},
}
EXPECTED = {"Debian": DEBIAN, "RedHat": REDHAT}

FAKE_FACTS = """#!/usr/bin/python
import json
from ansible.module_utils.basic import AnsibleModule
m = AnsibleModule(argument_spec={"facts": {"type": "dict", "required": True}})
m.exit_json(changed=False, ansible_facts=m.params["facts"])
"""


def host_facts(system, address):
    family, dist, major = SYSTEMS[system]
    nic = {"active": True, "ipv4": {"address": address, "netmask": "255.255.255.0", "network": address.rsplit(".", 1)[0] + ".0"}}
    return {"os_family": family, "distribution": dist, "distribution_major_version": major,
            "interfaces": ["lo", "eth0", "eth1", "eth2"], "lo": {"active": True, "ipv4": {"address": "127.0.0.1"}},
            "eth0": dict(nic, ipv4={"address": address.replace("192.0.2.", "203.0.113."), "netmask": "255.255.255.0"}),
            "eth1": nic, "eth2": dict(nic, ipv4={"address": address.replace("192.0.2.", "198.51.100."), "netmask": "255.255.255.0"}),
            "default_ipv4": {"interface": "eth1", "address": address}}


def plays(out):
    result = []
    for system in sorted(SYSTEMS):
        for group, role, keys in (("lvs_directors", "director", DEBIAN["director"]),
                                  ("lvs_dr_real_servers", "dr_real_server", DEBIAN["dr"]),
                                  ("lvs_nat_real_servers", "nat_real_server", DEBIAN["nat"])):
            report = "{{ {" + ", ".join(f"'{k}': {k}" for k in keys) + "} | to_json }}"
            result.append({
                "name": f"{role} on {system}",
                "hosts": group,
                "gather_facts": False,
                "tasks": [
                    {"name": "Facts of the OS", "fake_facts": {"facts": "{{ os_facts['%s'][inventory_hostname] }}" % system}, "tags": ["always"]},
                    {"name": "The role up to its validation", "ansible.builtin.import_role": {"name": f"lvs.cluster.{role}"}},
                    {"name": "What the role resolved", "ansible.builtin.copy": {
                        "dest": f"{out}/{system}-{{{{ inventory_hostname }}}}.json", "mode": "0644", "content": report}, "tags": ["always"]},
                ],
            })
    return result


@pytest.fixture(scope="module")
def resolved(tmp_path_factory, ansible_playbook):
    """One ansible-playbook run: every role on every OS, {system: {host: resolved variables}}."""
    tmp = tmp_path_factory.mktemp("os")
    lib = tmp / "library"
    lib.mkdir()
    (lib / "fake_facts.py").write_text(FAKE_FACTS)
    out = tmp / "out"
    out.mkdir()
    hosts = {"lb1": "192.0.2.2", "lb2": "192.0.2.3", "web1": "192.0.2.11", "web2": "192.0.2.12",
             "app1": "192.0.2.21", "app2": "192.0.2.22"}
    extra = {"os_facts": {system: {h: host_facts(system, a) for h, a in hosts.items()} for system in SYSTEMS},
             "ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    pb = tmp / "os.yml"
    pb.write_text(yaml.safe_dump(plays(out), sort_keys=False))
    p = ansible_playbook(pb, [EXAMPLE], "-M", str(lib), "--tags", "director_validate,dr_real_server_validate,nat_real_server_validate",
                         extra_vars=extra, check=False)
    assert p.returncode == 0, p.stdout[-5000:] + p.stderr[-2000:]
    return {system: {h: json.loads((out / f"{system}-{h}.json").read_text()) for h in hosts} for system in SYSTEMS}


@pytest.mark.parametrize("system", sorted(SYSTEMS))
def test_role_variables_per_os(system, resolved):
    family = SYSTEMS[system][0]
    for host, want in (("lb1", EXPECTED[family]["director"]), ("lb2", EXPECTED[family]["director"]),
                       ("web1", EXPECTED[family]["dr"]), ("web2", EXPECTED[family]["dr"]),
                       ("app1", EXPECTED[family]["nat"]), ("app2", EXPECTED[family]["nat"])):
        assert resolved[system][host] == want, (system, host, resolved[system][host])


def test_families_define_the_same_variables():
    """Every OS variables file of a role defines the same keys: a family cannot miss one."""

    for role in ("director", "dr_real_server", "nat_real_server", "tun_real_server"):
        files = {p.name: yaml.safe_load(p.read_text()) or {} for p in (ROOT / "roles" / role / "vars").glob("*.yml") if p.name != "main.yml"}
        assert {"Debian.yml", "RedHat.yml"} <= set(files), (role, sorted(files))
        keys = {name: set(data) for name, data in files.items()}
        assert len({frozenset(k) for k in keys.values()}) == 1, (role, keys)
