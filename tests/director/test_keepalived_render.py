# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The director's keepalived.conf for a matrix of service models: keepalived -t accepts every one,
the structure is what the model says, two golden files pin the exact text."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import HERE, SCENARIOS, interfaces, run_playbook

KEEPALIVED = shutil.which("keepalived") or "/usr/sbin/keepalived"
CONFIG_TEST = HERE.parent.parent / "roles" / "director" / "files" / "keepalived-config-test"
needs_keepalived = pytest.mark.skipif(not os.path.exists(KEEPALIVED), reason="keepalived not installed on this host")
GOLDEN = ("dr_http", "nat_gateway")


def blocks(text, keyword):
    """Bodies of top-level-or-nested blocks that start with ``keyword`` (brace matching)."""
    out = []
    for match in re.finditer(r"^[ \t]*%s\b[^{\n]*\{" % re.escape(keyword), text, re.M):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        out.append(text[match.start():i])
    return out


def keepalived_t(path):
    """The role's validator: keepalived -t, repeated with script_user root only when keepalived#2617 kills it."""
    return subprocess.run(["sh", str(CONFIG_TEST), str(path)], capture_output=True, text=True, check=False, env=dict(os.environ, KEEPALIVED=KEEPALIVED))


@needs_keepalived
@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("host", ["dir1", "dir2"])
def test_keepalived_accepts(rendered, scenario, host):
    proc = keepalived_t(rendered[scenario][host]["path"])
    assert proc.returncode == 0, "keepalived -t rc=%d\n%s%s\n%s" % (proc.returncode, proc.stdout, proc.stderr, rendered[scenario][host]["conf"])


@needs_keepalived
def test_keepalived_t_catches_errors(rendered, tmp_path):
    """The check above can fail: a broken file is refused with a line-numbered message."""
    broken = tmp_path / "broken.conf"
    broken.write_text(rendered["dr_http"]["dir1"]["conf"].replace("lvs_sched wrr", "lvs_sched fastest"))
    proc = keepalived_t(broken)
    assert proc.returncode != 0
    assert re.search(r"Line \d+", proc.stdout + proc.stderr)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_modern_syntax_and_no_secret(rendered, scenario):
    for host in ("dir1", "dir2"):
        conf = rendered[scenario][host]["conf"]
        assert conf.startswith("#")
        assert "Ansible managed" in "\n".join(conf.splitlines()[:3])
        for old in ("nb_get_retry", "lb_algo", "lb_kind", "lvs_sync_daemon_interface", "connect_port 0"):
            assert old not in conf
        assert "auth_pass" not in conf
        assert "s3cr3t" not in conf


def test_dr_http(rendered):
    dir1, dir2 = rendered["dr_http"]["dir1"]["conf"], rendered["dr_http"]["dir2"]["conf"]
    front = rendered["_interfaces"][0]
    assert rendered["dr_http"]["dir1"]["auth"].splitlines()[-2:] == ["auth_type PASS", "auth_pass s3cr3tXy"]
    (inst,) = blocks(dir1, "vrrp_instance LVS_FRONT")
    assert "state BACKUP" in inst and "priority 150" in inst
    assert "track_interface {\n        %s\n    }" % rendered["_interfaces"][1] in inst or rendered["_interfaces"][0] == rendered["_interfaces"][1]
    assert "unicast_src_ip 192.0.2.2" in inst
    assert re.search(r"unicast_peer \{\s+192\.0\.2\.3\s+\}", inst)
    assert "192.0.2.3" not in blocks(dir2, "unicast_peer")[0] and "192.0.2.2" in blocks(dir2, "unicast_peer")[0]
    assert "192.0.2.10/32 dev %s" % front in inst
    assert "preempt_delay 30" in inst
    assert "track_script" in inst and "chk_haproxy" in inst
    assert 'notify_master "/bin/true master"' in inst
    assert not blocks(dir1, "vrrp_sync_group")
    (gdefs,) = blocks(dir1, "global_defs")
    assert "lvs_timeouts tcp 900 tcpfin 120 udp 300" in gdefs
    assert "lvs_sync_daemon %s LVS_FRONT id 51" % front in gdefs
    assert "enable_script_security" in gdefs and "script_user nobody" in gdefs
    (vs,) = blocks(dir1, "virtual_server 192.0.2.10 80")
    for line in ("lvs_sched wrr", "lvs_method DR", "persistence_timeout 600", "persistence_granularity 255.255.255.0", "alpha", "omega",
                 "quorum 1", 'quorum_up "/bin/true up"', "inhibit_on_failure", "sorry_server 192.0.2.99 80", "sorry_server_inhibit",
                 "virtualhost www.example.test", "delay_loop 5"):
        assert re.search(r"^\s*%s$" % re.escape(line), vs, re.M), line
    servers = blocks(vs, "real_server")
    assert [s.split()[1] for s in servers] == ["192.0.2.11", "192.0.2.12", "192.0.2.13"]
    assert "uthreshold 1000" in servers[0] and "lthreshold 800" in servers[0]
    assert all(len(blocks(s, "HTTP_GET")) == 1 for s in servers)
    assert "status_code 200 204" in servers[0]
    assert "virtualhost alt.example.test" in servers[1]
    assert "warmup 5" in servers[2]


def test_nat_gateway_moves_with_the_vips(rendered):
    conf = rendered["nat_gateway"]["dir1"]["conf"]
    inside = rendered["_interfaces"][1]
    (group,) = blocks(conf, "vrrp_sync_group LVS")
    assert re.search(r"group \{\s+LVS_FRONT\s+LVS_INSIDE\s+\}", group)
    assert "notify_master" in group
    (inst,) = blocks(conf, "vrrp_instance LVS_INSIDE")
    assert "interface %s" % inside in inst and "virtual_router_id 52" in inst
    assert "198.51.100.1/24 dev %s" % inside in inst
    assert "unicast_src_ip 198.51.100.2" in inst and "198.51.100.3" in inst
    assert "nopreempt" in inst and "state BACKUP" in inst
    assert "notify_master" not in inst
    (app,) = blocks(conf, "virtual_server 192.0.2.20 443")
    assert "lvs_method NAT" in app
    assert [s.split()[1:3] for s in blocks(app, "real_server")] == [["198.51.100.11", "8443"], ["198.51.100.12", "8443"]]
    assert "digest 9b3a0c85a887a256d6939da88aabd8cd" in app and "SSL_GET" in app
    (mail,) = blocks(conf, "virtual_server 192.0.2.20 25")
    assert "helo_name lb.example.test" in mail and len(blocks(mail, "SMTP_CHECK")) == 2
    # one VIP, two services: held once
    assert blocks(conf, "vrrp_instance LVS_FRONT")[0].count("192.0.2.20/32") == 1


def test_tunnel_udp_dns(rendered):
    conf = rendered["tun_udp"]["dir1"]["conf"]
    (tun,) = blocks(conf, "virtual_server 192.0.2.30 80")
    assert "lvs_method TUN type gue port 6080 remcsum" in tun
    rs = blocks(tun, "real_server")
    assert "lvs_method" not in rs[0]
    assert "lvs_method TUN type gre csum" in rs[1]
    assert "lvs_method TUN type ipip" in rs[2]
    (syslog,) = blocks(conf, "virtual_server 192.0.2.31 514")
    assert "protocol UDP" in syslog and re.search(r"^\s*ops$", syslog, re.M)
    assert "payload 3c31333e74657374" in syslog and "UDP_CHECK" in syslog
    (dns,) = blocks(conf, "virtual_server 192.0.2.32 53")
    assert "type A" in dns and "name example.test." in dns


def test_fwmark_ipv6(rendered):
    conf = rendered["fwmark_ipv6"]["dir1"]["conf"]
    front = rendered["_interfaces"][0]
    (inst,) = blocks(conf, "vrrp_instance LVS_FRONT")
    (vips,) = blocks(inst, "virtual_ipaddress")
    (excluded,) = blocks(inst, "virtual_ipaddress_excluded")
    for vip in ("192.0.2.40/32", "192.0.2.41/32", "192.0.2.254/24"):
        assert "%s dev %s" % (vip, front) in vips
    assert "2001:db8:1::40/128 dev %s" % front in excluded and "2001:db8:1::10/128" in excluded
    (mark,) = blocks(conf, "virtual_server fwmark 5")
    assert "sh-port" in mark and "sh-fallback" in mark and "connect_port 80" in mark and "protocol" not in mark
    assert [s.split()[:3] for s in blocks(mark, "real_server")] == [["real_server", "192.0.2.11", "{"], ["real_server", "192.0.2.12", "{"]]
    (mark6,) = blocks(conf, "virtual_server fwmark 6")
    assert "ip_family inet6" in mark6 and "mh-port" in mark6 and "PING_CHECK" in mark6
    (web6,) = blocks(conf, "virtual_server 2001:db8:1::10 80")
    assert "persistence_granularity 64" in web6
    rs = blocks(web6, "real_server")
    assert rs[0].split()[1] == "2001:db8:1::11" and 'misc_path "/bin/true"' in rs[0] and "misc_dynamic" in rs[0]
    assert "CHECK" not in rs[1]


def test_groups_and_multicast(rendered):
    conf = rendered["groups"]["dir1"]["conf"]
    (group,) = blocks(conf, "virtual_server_group shop")
    assert [line.strip() for line in group.splitlines()[1:-1]] == ["192.0.2.50 443", "192.0.2.51 443", "192.0.2.52 8443", "fwmark 7"]
    assert blocks(conf, "virtual_server group shop")
    assert "unicast" not in conf
    assert "192.0.2.50/32" in blocks(conf, "vrrp_instance LVS_FRONT")[0]


def test_empty_model_is_vrrp_only(rendered):
    conf = rendered["vrrp_only"]["dir1"]["conf"]
    assert "virtual_server" not in conf
    assert "192.0.2.254/24 dev" in blocks(conf, "vrrp_instance LVS_FRONT")[0]


def test_rendering_does_not_depend_on_the_hash_seed(collections_path, tmp_path, monkeypatch):
    """Ansible's union/difference/intersect filters go through Python sets, whose order changes with
    the hash seed of each ansible-playbook run: keepalived.conf must not (a different file on every
    run is a reload on every run). Three directors (peer lists) and IPv6 VIPs beside IPv4 ones
    (virtual_ipaddress_excluded)."""
    inventory = yaml.safe_load((HERE / "inventory.yml").read_text())
    inventory["all"]["children"]["lvs_directors"]["hosts"]["dir3"] = {
        "director_vrrp_unicast_src_ip": "192.0.2.4", "director_inside_unicast_src_ip": "198.51.100.4", "director_vrrp_priority": 50}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    role = Path(collections_path) / "ansible_collections" / "lvs" / "cluster" / "roles" / "director"
    front, inside = interfaces()
    play = [{
        "name": "Render", "hosts": "lvs_directors", "gather_facts": False,
        "vars_files": [str(HERE / "scenarios" / "fwmark_ipv6.yml")],
        "vars": {"lvs_nat_gateway": "198.51.100.1/24", "director_inside_interface": "{{ test_inside_interface }}"},
        "tasks": [
            {"name": "Validate and derive", "ansible.builtin.include_role": {"name": "lvs.cluster.director", "tasks_from": "validate.yml", "public": True}},
            {"name": "Render", "ansible.builtin.template": {
                "src": str(role / "templates" / "keepalived.conf.j2"), "dest": "{{ out }}-{{ inventory_hostname }}", "mode": "0600"}},
        ],
    }]
    (tmp_path / "render.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    confs = {}
    for seed in ("1", "2", "3", "4", "5"):
        monkeypatch.setenv("PYTHONHASHSEED", seed)
        out = tmp_path / ("seed%s.conf" % seed)
        proc = run_playbook(collections_path, tmp_path / "render.yml",
                            {"test_front_interface": front, "test_inside_interface": inside, "out": str(out)}, tmp_path, tmp_path / "inventory.yml")
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        confs[seed] = Path("%s-dir1" % out).read_text()
    conf = confs["1"]
    assert re.search(r"unicast_peer \{\s*192\.0\.2\.3\s+192\.0\.2\.4\s*\}", conf), conf  # inventory order
    assert conf.count("2001:db8:1::") >= 2, conf
    assert all(text == conf for text in confs.values()), "keepalived.conf differs between hash seeds"


@pytest.mark.parametrize("scenario", GOLDEN)
def test_golden(rendered, scenario):
    front, inside = rendered["_interfaces"]
    text = rendered[scenario]["dir1"]["original"]
    # interface names depend on the machine (front and inside may be one interface here); the
    # structural tests check which interface each part uses
    for name in sorted({front, inside}):
        text = re.sub(r"\b%s\b" % re.escape(name), "IFACE", text)
    golden = HERE / "golden" / ("%s-dir1.conf" % scenario)
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


BAD_INPUT = {
    "unknown scheduler": ({"lvs_virtual_services": [{"name": "web", "address": "192.0.2.10", "port": 80, "scheduler": "fastest",
                                                     "real_servers": []}]},
                          r"director_virtual_services\[0\]\.scheduler: 'fastest' is not one of rr, wrr, .* \(service 'web'\)"),
    "unknown lvs_method": ({"lvs_virtual_services": [{"name": "web", "address": "192.0.2.10", "port": 80, "forwarding": "bridge",
                                                      "real_servers": []}]}, r"forwarding: 'bridge' is not one of"),
    "unknown checker": ({"lvs_virtual_services": [{"name": "web", "address": "192.0.2.10", "port": 80, "check": {"type": "http_get"},
                                                   "real_servers": []}]}, r"check.type: 'http_get' is not one of"),
    "duplicate VIP:port": ({"lvs_virtual_services": [{"name": "a", "address": "192.0.2.10", "port": 80, "real_servers": []},
                                                     {"name": "b", "address": "192.0.2.10", "port": 80, "real_servers": []}]},
                           r"director_virtual_services\[1\]\.address: duplicate virtual service tcp 192.0.2.10:80 \(already in service 'a'\) \(service 'b'\)"),
    "NAT real server without port": ({"lvs_virtual_services": [{"name": "m", "fwmark": 3, "forwarding": "nat", "check": {"type": "none"},
                                                               "real_servers": [{"host": "nat1"}]}]},
                                     r"director_virtual_services\[0\]\.real_servers\[0\]\.port: required: a NAT real server of a service without a port"),
    "virtual_router_id 300": ({"director_vrrp_virtual_router_id": 300}, r"director_vrrp_virtual_router_id: 300 is out of range 1-255"),
    "priority 0": ({"director_vrrp_priority": 0}, r"^director: director_vrrp_priority: 0 is out of range 1-254 \(255 is the address owner\)$"),
    "priority 255": ({"director_vrrp_priority": 255}, r"director_vrrp_priority: 255 is out of range 1-254"),
    "preempt_delay with MASTER": ({"director_vrrp_preempt_delay": 10, "director_vrrp_state": "MASTER"},
                                  r"preempt_delay needs director_vrrp_state BACKUP \(got MASTER\)"),
    "nopreempt with MASTER": ({"director_vrrp_nopreempt": True, "director_vrrp_state": "MASTER"}, r"nopreempt needs director_vrrp_state BACKUP"),
    "state typo": ({"director_vrrp_state": "master"}, r"director_vrrp_state.*(MASTER|choices)"),
    "priority not an int": ({"director_vrrp_priority": "high"}, r"director_vrrp_priority"),
    "long password": ({"director_vrrp_auth_pass": "much-too-long"}, r"director_vrrp_auth_pass: must be 1-8 printable"),
    "no address for VRRP": ({"lvs_virtual_services": []}, r"VRRP needs at least one address to hold"),
    "track process weight 300": ({"director_vrrp_track_processes": [{"name": "app", "process": "app", "weight": 300}]},
                                 r"director_vrrp_track_processes\[0\]\.weight: 300 is out of range -254-254"),
    "track process quorum 0": ({"director_vrrp_track_processes": [{"name": "app", "process": "app", "quorum": 0}]},
                               r"director_vrrp_track_processes\[0\]\.quorum: 0 is out of range 1-65535"),
    "track process without process": ({"director_vrrp_track_processes": [{"name": "app"}]}, r"director_vrrp_track_processes\[0\]\.process: required"),
    "track process quorum_max below quorum": ({"director_vrrp_track_processes": [{"name": "app", "process": "app", "quorum": 3, "quorum_max": 2}]},
                                              r"director_vrrp_track_processes\[0\]\.quorum_max: 2 is less than quorum 3"),
    "track process delay 3601": ({"director_vrrp_track_processes": [{"name": "app", "process": "app", "delay": 3601}]},
                                 r"director_vrrp_track_processes\[0\]\.delay: 3601 is out of range 0.000001-3600"),
    "track process unknown key": ({"director_vrrp_track_processes": [{"name": "app", "process": "app", "wieght": 3}]},
                                  r"director_vrrp_track_processes\[0\]\.wieght: unknown key"),
    "track process param_match without parameters": ({"director_vrrp_track_processes": [{"name": "a", "process": "a", "param_match": "partial"}]},
                                                     r"director_vrrp_track_processes\[0\]\.param_match: 'partial' needs parameters"),
    "duplicate track process name": ({"director_vrrp_track_processes": [{"name": "a", "process": "a"}, {"name": "a", "process": "b"}]},
                                     r"director_vrrp_track_processes\[1\]\.name: 'a' is already the name of director_vrrp_track_processes\[0\]"),
    "track file weight -255": ({"director_vrrp_track_files": [{"name": "drain", "file": "/run/drain", "weight": -255}]},
                               r"director_vrrp_track_files\[0\]\.weight: -255 is out of range -254-254"),
    "track file relative path": ({"director_vrrp_track_files": [{"name": "drain", "file": "run/drain"}]},
                                 r"director_vrrp_track_files\[0\]\.file: 'run/drain' is not an absolute path"),
    "track file reserved name": ({"director_vrrp_track_files": [{"name": "lvs_file_x", "file": "/run/x"}]},
                                 r"director_vrrp_track_files\[0\]\.name: 'lvs_file_x' starts with lvs_file_"),
    "track script weight 254": ({"director_vrrp_track_scripts": [{"name": "chk", "script": "/bin/true", "weight": 254}]},
                                r"director_vrrp_track_scripts\[0\]\.weight: 254 is out of range -253-253"),
    "track script interval 0": ({"director_vrrp_track_scripts": [{"name": "chk", "script": "/bin/true", "interval": 0}]},
                                r"director_vrrp_track_scripts\[0\]\.interval: 0 is out of range 1-4294"),
    "track script without script": ({"director_vrrp_track_scripts": [{"name": "chk"}]}, r"director_vrrp_track_scripts\[0\]\.script: required"),
    "track script quote": ({"director_vrrp_track_scripts": [{"name": "chk", "script": '/bin/echo "x"'}]},
                           r"director_vrrp_track_scripts\[0\]\.script: '/bin/echo \"x\"' is not a command line"),
    "track script init_fail not bool": ({"director_vrrp_track_scripts": [{"name": "chk", "script": "/bin/true", "init_fail": "yes"}]},
                                        r"director_vrrp_track_scripts\[0\]\.init_fail: 'yes' is not a boolean"),
    "garp master_repeat 0": ({"director_vrrp_garp": {"master_repeat": 0}}, r"director_vrrp_garp\.master_repeat: 0 is out of range 1-4294967295"),
    "garp master_delay 4295": ({"director_vrrp_garp": {"master_delay": 4295}}, r"director_vrrp_garp\.master_delay: 4295 is out of range 0-4294"),
    "garp interval 0": ({"director_vrrp_garp": {"interval": 0}}, r"director_vrrp_garp\.interval: 0 is out of range 0.000001-4294.967295"),
    "garp interval 7 decimals": ({"director_vrrp_garp": {"interval": 0.0000015}}, r"director_vrrp_garp\.interval: 1.5e-06 has more than 6 decimal places"),
    "garp unknown key": ({"director_vrrp_garp": {"refresh": 60}}, r"director_vrrp_garp\.refresh: unknown key"),
    "vrrp version 4": ({"director_vrrp_version": 4}, r"director_vrrp_version"),
    "vrrp version 3 with password": ({"director_vrrp_version": 3, "director_vrrp_auth_pass": "s3cr3tXy"},
                                     r"director_vrrp_auth_pass: VRRP version 3 has no authentication"),
    "sync daemon maxlen 65508": ({"director_lvs_sync_daemon_interface": "eth0", "director_lvs_sync_daemon_maxlen": 65508},
                                 r"director_lvs_sync_daemon_maxlen: 65508 is out of range 1-65507"),
    "sync daemon ttl 0": ({"director_lvs_sync_daemon_ttl": 0}, r"director_lvs_sync_daemon_ttl: 0 is out of range 1-255"),
    "sync daemon port 65536": ({"director_lvs_sync_daemon_port": 65536}, r"director_lvs_sync_daemon_port: 65536 is out of range 1-65535"),
    "sync daemon unicast group": ({"director_lvs_sync_daemon_group": "192.0.2.9"},
                                  r"director_lvs_sync_daemon_group: '192.0.2.9' is not a multicast address"),
    "sync daemon unknown instance": ({"director_lvs_sync_daemon_instance": "LVS_BACK"},
                                     r"director_lvs_sync_daemon_instance: 'LVS_BACK' is not one of the VRRP instances \(LVS_FRONT\)"),
    "notify fifo relative": ({"director_notify_fifo": "keepalived.fifo"}, r"director_notify_fifo: 'keepalived.fifo' is not an absolute path"),
    "notify fifo script without fifo": ({"director_notify_fifo_script": "/usr/local/bin/reader"},
                                        r"director_notify_fifo_script: '/usr/local/bin/reader' reads the FIFO director_notify_fifo, which is empty"),
    "NAT pair without gateway": ({"lvs_virtual_services": [{"name": "n", "address": "192.0.2.10", "port": 80, "forwarding": "nat",
                                                           "real_servers": [{"host": "nat1"}]}]},
                                 r"director_nat_gateway: NAT services on a director pair need director_nat_gateway"),
}


@pytest.fixture(scope="module")
def bad_input_results(collections_path, tmp_path_factory):
    """Run the whole role (check mode, no packages) once per bad input; collect the failure messages."""
    out = tmp_path_factory.mktemp("bad")
    front, _inside = __import__("conftest").interfaces()
    tasks = []
    for i, (label, (case_vars, _match)) in enumerate(BAD_INPUT.items()):
        case = dict({"director_manage_packages": False, "director_vrrp_interface": front}, **case_vars)
        tasks.append({"name": "Case %s" % label, "block": [
            {"name": "Run the role", "ansible.builtin.include_role": {"name": "lvs.cluster.director"}, "vars": case},
            {"name": "Record no failure", "ansible.builtin.set_fact": {"case_%d" % i: "NO FAILURE"}},
        ], "rescue": [
            {"name": "Record the failure", "ansible.builtin.set_fact": {"case_%d" % i: "{{ ansible_failed_result.msg | default(ansible_failed_result) }}"}},
        ]})
    tasks.append({"name": "Write results", "ansible.builtin.copy": {
        "content": "{{ {%s} | to_json }}" % ", ".join("'%d': case_%d" % (i, i) for i in range(len(BAD_INPUT))),
        "dest": str(out / "results.json"), "mode": "0600"}, "check_mode": False})
    playbook = out / "bad.yml"
    playbook.write_text(yaml.safe_dump([{"name": "Bad input", "hosts": "dir1", "gather_facts": False, "check_mode": True, "tasks": tasks}], sort_keys=False))
    proc = run_playbook(collections_path, playbook, {}, out)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    results = json.loads((out / "results.json").read_text())
    return {label: str(results[str(i)]) for i, label in enumerate(BAD_INPUT)}


@pytest.mark.parametrize("label", list(BAD_INPUT))
def test_bad_input_stopped_before_any_change(bad_input_results, label):
    msg = bad_input_results[label]
    assert re.search(BAD_INPUT[label][1], msg, re.S), msg
    assert "much-too-long" not in msg and "s3cr3tXy" not in msg


def test_vrrp_tracking(rendered):
    """Tracking of every kind on the sync group (its members carry none: keepalived would zero
    their weights), vrrp_script user/init_fail/reverse, gratuitous ARP tuning, the notify FIFO."""
    conf = rendered["vrrp_tracking"]["dir1"]["conf"]
    (group,) = blocks(conf, "vrrp_sync_group")
    for keyword, names in (("track_script", ["chk_app", "chk_plain"]), ("track_process", ["haproxy", "worker"]),
                           ("track_file", ["drain", "maintenance"])):
        (block,) = blocks(group, keyword)
        assert block.split("{", 1)[1].split() == [*names, "}"], block
    for inst in blocks(conf, "vrrp_instance"):
        assert not re.search(r"track_(script|process|file)\b", inst), inst
    (chk_app,) = blocks(conf, "vrrp_script chk_app")
    assert chk_app.splitlines()[1:] == ['    script "/bin/true"', "    interval 3", "    weight 20 reverse", "    user nobody",
                                        "    init_fail", "}"], chk_app
    (plain,) = blocks(conf, "vrrp_script chk_plain")
    assert plain.splitlines()[1:] == ['    script "/bin/true"', "    interval 2", "}"], plain
    (haproxy,) = blocks(conf, "vrrp_track_process haproxy")
    assert haproxy.splitlines()[1:] == ["    process haproxy", "    weight -60", "    quorum 2", "    quorum_max 8", "    delay 0.25", "}"]
    (worker,) = blocks(conf, "vrrp_track_process worker")
    assert worker.splitlines()[1:] == ['    process /usr/bin/python3 "-m" "worker"', "    param_match initial", "    weight 0", "    quorum 1",
                                       "    fork_delay 1", "    terminate_delay 0.000001", "    full_command", "}"], worker
    (drain,) = blocks(conf, "track_file drain")
    assert drain.splitlines()[1:] == ["    file /run/lvs-test/drain", "    weight -2", "    init_file 0", "}"]
    (maintenance,) = blocks(conf, "track_file maintenance")
    assert "    weight 0" in maintenance.splitlines()
    (glob,) = blocks(conf, "global_defs")
    lines = [line.strip() for line in glob.splitlines()]
    for line in ("vrrp_garp_master_delay 10", "vrrp_garp_master_repeat 3", "vrrp_garp_master_refresh 60", "vrrp_garp_master_refresh_repeat 2",
                 "vrrp_garp_lower_prio_delay 4", "vrrp_garp_lower_prio_repeat 0", "vrrp_garp_interval 0.001", "vrrp_gna_interval 0.000001",
                 "notify_fifo /run/keepalived-test.fifo", 'notify_fifo_script "/usr/local/bin/read-fifo --tag lvs"',
                 "lvs_sync_daemon %s LVS_INSIDE id 7 maxlen 1400 port 8849 ttl 2 group 239.1.1.81" % rendered["_interfaces"][0]):
        assert line in lines, glob
    assert "vrrp_version 3" not in conf


def test_single_instance_tracks_in_the_instance(rendered):
    """Without a sync group the instance tracks (dr_http's track script stays where it was)."""
    (inst,) = blocks(rendered["dr_http"]["dir1"]["conf"], "vrrp_instance LVS_FRONT")
    (block,) = blocks(inst, "track_script")
    assert block.split("{", 1)[1].split() == ["chk_haproxy", "}"]
    assert "vrrp_sync_group" not in rendered["dr_http"]["dir1"]["conf"]


def test_health_checks(rendered):
    """Several checkers per real server, several URLs (status ranges, regex), SNI, checker source
    options and timing, FILE_CHECK (one track_file per path), notify scripts, ha_suspend."""
    conf = rendered["health_checks"]["dir1"]["conf"]
    front = rendered["_interfaces"][0]
    (track,) = blocks(conf, "track_file")
    assert "file /run/lvs-cluster/maint-web" in track and "init_file" in track
    track_name = track.split()[1]
    (web,) = blocks(conf, "virtual_server 192.0.2.70 80")
    assert re.search(r"^\s*ha_suspend$", web, re.M)
    first, second, third = blocks(web, "real_server")
    assert 'notify_up "/bin/true up"' in first and 'notify_down "/bin/true down"' in first
    (http,) = blocks(first, "HTTP_GET")
    urls = blocks(http, "url")
    assert len(urls) == 2
    assert "status_code 200-299 301" in urls[0] and 'regex "^ok"' in urls[0] and "regex_no_match" not in urls[0]
    assert 'regex "not ready"' in urls[1] and re.search(r"^\s*regex_no_match$", urls[1], re.M)
    assert "virtualhost ready.example.test" in urls[1]
    for line in ("bind_if %s" % front, "bind_port 20000", "fwmark 7", "delay_loop 3", "log_all_failures", "connect_timeout 2"):
        assert re.search(r"^\s*%s$" % re.escape(line), http, re.M), line
    assert "connect_port 22" in blocks(first, "TCP_CHECK")[0]
    (file_check,) = blocks(first, "FILE_CHECK")
    assert "track_file %s" % track_name in file_check and re.search(r"^\s*weight 0$", file_check, re.M)
    # a real server's own check replaces the service's list; an empty list is no checker
    assert len(blocks(second, "HTTP_GET")) == 1 and not blocks(second, "TCP_CHECK") and not blocks(second, "FILE_CHECK")
    assert "path /alt" in second and "status_code 200-204" in second
    assert "_CHECK" not in third and "HTTP_GET" not in third
    (tls,) = blocks(conf, "virtual_server 192.0.2.70 443")
    one, two = blocks(tls, "real_server")
    (ssl,) = blocks(one, "SSL_GET")
    assert re.search(r"^\s*enable_sni$", ssl, re.M) and "digest 9b3a0c85a887a256d6939da88aabd8cd" in ssl
    assert re.search(r"^\s*weight -10 reverse$", blocks(two, "FILE_CHECK")[0], re.M) and blocks(two, "PING_CHECK")


def test_single_director_has_no_unicast_keywords(rendered):
    """No peers in the VRRP group: no unicast_src_ip / unicast_peer (keepalived -t above accepts it)."""
    for host in ("dir1", "dir2"):
        (inst,) = blocks(rendered["single_director"][host]["conf"], "vrrp_instance LVS_FRONT")
        assert "unicast_src_ip" not in inst and "unicast_peer" not in inst, inst
    # with peers, the same template renders them (dr_http: the pair)
    (pair,) = blocks(rendered["dr_http"]["dir1"]["conf"], "vrrp_instance LVS_FRONT")
    assert "unicast_peer {\n        192.0.2.3\n    }" in pair, pair
