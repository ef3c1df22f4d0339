"""The programs behind nat_real_server (lvs-nat-route) and tun_real_server (lvs-tun-setup), run in a
private network namespace of this test (no packets are sent): what they change, that a second run
changes nothing, that --check changes nothing, and that remove undoes apply. Needs root."""
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import ROOT

NAT = ROOT / "roles" / "nat_real_server" / "files" / "lvs-nat-route"
TUN = ROOT / "roles" / "tun_real_server" / "files" / "lvs-tun-setup"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces)")


@pytest.fixture
def netns():
    name = f"rsroles-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        def ip(*args):
            return subprocess.run(["ip", "-n", name, *args], check=True, capture_output=True, text=True).stdout
        ip("link", "set", "lo", "up")
        ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
        ip("link", "set", "eth0", "up")
        ip("addr", "add", "198.51.100.21/24", "dev", "eth0")
        yield name, ip
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def run(ns, program, config, *args):
    p = subprocess.run(["ip", "netns", "exec", ns, sys.executable, str(program), *args, "--config", str(config)],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    return [line for line in p.stdout.splitlines() if line.startswith("change: ")]


def defaults(ip):
    return [(r.get("gateway"), r.get("metric", 0)) for r in json.loads(ip("-j", "-4", "route", "show")) if r.get("dst") == "default"]


def rules(ip):
    return [(r.get("ipproto"), r.get("sport"), r.get("table")) for r in json.loads(ip("-j", "-4", "rule", "show")) if r["priority"] == 1000]


def test_default_mode(netns, tmp_path):
    ns, ip = netns
    ip("route", "add", "default", "via", "198.51.100.254")
    cfg = tmp_path / "nat.json"
    cfg.write_text(json.dumps({"gateway": "198.51.100.1", "interface": "", "mode": "default", "metric": 0,
                               "table": 100, "priority": 1000, "rules": []}))
    assert run(ns, NAT, cfg, "apply", "--check") != [] and defaults(ip) == [("198.51.100.254", 0)]
    changes = run(ns, NAT, cfg, "apply")
    assert changes == ["change: remove default route table main via 198.51.100.254 dev eth0 metric 0",
                       "change: add default route via 198.51.100.1 dev eth0 table main"]
    assert defaults(ip) == [("198.51.100.1", 0)]
    assert run(ns, NAT, cfg, "apply") == []
    assert run(ns, NAT, cfg, "remove") != [] and defaults(ip) == []
    assert run(ns, NAT, cfg, "remove") == []


def test_policy_mode_keeps_the_default_route(netns, tmp_path):
    ns, ip = netns
    ip("route", "add", "default", "via", "198.51.100.254")
    ip("rule", "add", "priority", "1000", "ipproto", "tcp", "sport", "8443", "table", "100")  # stale, at our priority
    cfg = tmp_path / "nat.json"
    cfg.write_text(json.dumps({"gateway": "198.51.100.1", "interface": "eth0", "mode": "policy", "metric": 0, "table": 100,
                               "priority": 1000, "rules": [{"protocol": "tcp", "port": 80}, {"protocol": "udp", "port": 53}]}))
    run(ns, NAT, cfg, "apply")
    assert defaults(ip) == [("198.51.100.254", 0)]
    assert [r["gateway"] for r in json.loads(ip("-j", "-4", "route", "show", "table", "100"))] == ["198.51.100.1"]
    assert sorted(rules(ip)) == [("tcp", 80, "100"), ("udp", 53, "100")]
    assert run(ns, NAT, cfg, "apply") == []
    run(ns, NAT, cfg, "remove")
    assert rules(ip) == [] and defaults(ip) == [("198.51.100.254", 0)]


def test_gateway_off_link_is_an_error(netns, tmp_path):
    ns, _ip = netns
    cfg = tmp_path / "nat.json"
    cfg.write_text(json.dumps({"gateway": "192.0.2.1", "interface": "", "mode": "default", "metric": 0,
                               "table": 100, "priority": 1000, "rules": []}))
    p = subprocess.run(["ip", "netns", "exec", ns, sys.executable, str(NAT), "apply", "--config", str(cfg)],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 1 and "on no directly connected network" in p.stderr


def test_tun_setup_without_tunnel_module(netns, tmp_path):
    """The host kernel has no ipip module: apply must fail clearly, --check must list the changes."""
    ns, _ip = netns
    cfg = tmp_path / "tun.json"
    cfg.write_text(json.dumps({"modules": ["ipip"], "devices": ["tunl0"], "fou": []}))
    checked = run(ns, TUN, cfg, "apply", "--check")
    if os.path.isdir("/sys/module/ipip"):
        pytest.skip("this kernel has ipip loaded; the lab VM suite covers apply")
    assert checked == ["change: load module ipip", "change: set tunl0 up"]
    p = subprocess.run(["ip", "netns", "exec", ns, sys.executable, str(TUN), "apply", "--config", str(cfg)],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 1 and "modprobe ipip" in p.stderr


TUN_PLAY = """---
- name: tun_real_server derivation on the controller
  hosts: tun1
  gather_facts: false
  vars_files:
    - {role}/defaults/main.yml
    - {role}/vars/main.yml
  tasks:
    - name: The service model, computed once as the role does
      lvs.cluster.service_model:
        services: "{{{{ lvs_virtual_services }}}}"
        include_services: false
      run_once: true
      register: __tun_real_server_model
    - name: Derived setup
      ansible.builtin.copy:
        dest: {out}
        mode: "0644"
        content: "{{{{ {{'setup': __tun_real_server_setup, 'vips': __tun_real_server_vips}} | to_json }}}}"
"""


def test_tun_setup_config_from_the_model(tmp_path):
    """IPIP (default), GUE and GRE services of one host -> modules, devices and GUE ports."""
    services = [
        {"name": "a", "address": "192.0.2.10", "port": 80, "forwarding": "tunnel", "real_servers": [{"host": "tun1"}]},
        {"name": "b", "address": "192.0.2.11", "port": 80, "forwarding": "tunnel", "tunnel": {"type": "gue", "port": 5555},
         "real_servers": [{"host": "tun1"}]},
        {"name": "c", "address": "192.0.2.12", "port": 80, "forwarding": "tunnel", "tunnel": {"type": "gre"},
         "real_servers": [{"host": "tun1"}, {"host": "other"}]},
        {"name": "d", "address": "192.0.2.13", "port": 80, "forwarding": "direct", "real_servers": [{"host": "tun1"}]},
    ]
    coll = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or str(ROOT / ".tmp" / "collections")
    if not os.path.isdir(os.path.join(coll, "ansible_collections", "lvs", "cluster", "roles", "tun_real_server")):
        pytest.fail("no collection tree with roles/tun_real_server: run `make collection` first (make lab-test does)")
    (tmp_path / "inv.yml").write_text(json.dumps({"all": {"hosts": {
        "tun1": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "lvs_real_server_address": "192.0.2.21"},
        "other": {"ansible_connection": "local", "lvs_real_server_address": "192.0.2.22"}},
        "vars": {"lvs_virtual_services": services}}}))
    out = tmp_path / "derived.json"
    (tmp_path / "play.yml").write_text(TUN_PLAY.format(role=ROOT / "roles" / "tun_real_server", out=out))
    p = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(tmp_path / "inv.yml"), str(tmp_path / "play.yml")],
                       capture_output=True, text=True, env={**os.environ, "ANSIBLE_COLLECTIONS_PATH": coll, "ANSIBLE_NOCOLOR": "1"},
                       timeout=300, check=False)
    assert p.returncode == 0, p.stdout[-3000:]
    derived = json.loads(out.read_text())
    assert derived["vips"] == ["192.0.2.10", "192.0.2.11", "192.0.2.12"]  # not the DR service
    setup = derived["setup"]
    assert setup["modules"] == ["ipip", "fou", "ip_gre"]
    assert setup["devices"] == ["tunl0", "gre0"]
    assert setup["fou"] == [{"port": 5555, "type": "gue"}]
