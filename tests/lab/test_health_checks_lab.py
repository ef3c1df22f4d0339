# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service model's health checks on a live keepalived (smoke lab: director VM dir1, real-server
containers rs1 and rs2; keepalived 2.2.7 with PCRE2 on bookworm).

One service, VIP 192.0.2.40 port 8080, two checkers on every real server: an HTTP check of
``/hc/`` with a body regex ``OK rs[0-9]`` and a status range ``200-204``, and a TCP check of port 8081
(a second listener on the real server). The director role renders keepalived.conf from the model
and starts keepalived; the test then changes what the real servers answer and watches the kernel
table (``ipvsadm -Ln``):

* the body stops matching the regex: the real server leaves the table; matches again: it returns;
* the check URL answers 404 (outside 200-204): it leaves; 200 again: it returns;
* the second checker (TCP 8081) fails while the HTTP check still passes: it leaves; back: it returns.

Each change is made on one real server; the other one stays in the table all along, so a test
that removed everything could not pass.

The same director runs with ``director_keepalived_log_facility: 3`` (keepalived ``-S 3``): its
messages, the VRRP transition among them, arrive in ``/var/log/keepalived.log`` through journald
and rsyslog and not in ``/var/log/syslog``; the unit's drop-in (Restart=on-failure, After=
network-online.target) is in effect; the running keepalived's command line carries ``-S 3``; and
the last test changes the options, which restarts keepalived (the first run started it, so it did
not restart it).

Teardown stops keepalived and removes its service, the role's daemon files (options file restored,
drop-in, rsyslog rule, logrotate file, the log) and the real servers' listeners (later suites of the
same lab start from an empty table and a keepalived unit as the image has it).
"""

from __future__ import annotations

import re

import pytest

from test_rs_support import wait_for

pytestmark = pytest.mark.lab

VIP, PORT, TCP_PORT = "192.0.2.40", 8080, 8081
ADDRESSES = {"rs1": "192.0.2.11", "rs2": "192.0.2.12"}
# keepalived checks every delay_loop seconds; a failure counts after retry attempts
SETTLE = 40

MODEL = [{
    "name": "hc",
    "address": VIP,
    "port": PORT,
    "scheduler": "rr",
    "forwarding": "direct",
    "delay_loop": 2,
    # generous timeouts: the director is a TCG VM (1 s flapped there: a check that passes can time out)
    "check": [
        # unanchored: "^OK" flapped on keepalived 2.2.7 against python's http.server (headers and body in
        # two writes), "OK rs[0-9]" was stable (measured on the smoke lab; docs/service-model.md)
        {"type": "http", "path": "/hc/", "regex": "OK rs[0-9]", "status": "200-204", "connect_timeout": 3, "retry": 1, "delay_before_retry": 1},
        {"type": "tcp", "connect_port": TCP_PORT, "connect_timeout": 3, "retry": 1, "delay_before_retry": 1},
    ],
    "real_servers": [{"host": "rs1"}, {"host": "rs2"}],
}]

# a transient unit: gone once stopped, started again with the same command
LISTEN = "systemd-run --unit lvs-hc-{port} --property Restart=always /usr/bin/python3 -m http.server --bind 0.0.0.0 --directory /srv/hc {port}"

BACKENDS = f"""
- name: Two listeners per real server (the HTTP check's and the TCP check's)
  hosts: rs1:rs2
  gather_facts: false
  tasks:
    - name: Page of the HTTP check
      ansible.builtin.shell: mkdir -p /srv/hc/hc && echo "OK {{{{ inventory_hostname }}}}" > /srv/hc/hc/index.html
      changed_when: true
    - name: Listeners
      ansible.builtin.command: "{LISTEN.format(port='{{ item }}')}"
      loop: [{PORT}, {TCP_PORT}]
      changed_when: true
"""

DIRECTOR = """
- name: Director with keepalived checkers from the model
  hosts: dir1
  gather_facts: false
  vars:
    director_vrrp_interface: "{{ lab_front_interface }}"
    director_vrrp_virtual_router_id: 61
    director_vrrp_state: MASTER
    director_vrrp_priority: 150
    director_vrrp_auth_pass: lab-hc1
    director_keepalived_log_facility: 3
  roles:
    - role: lvs.cluster.director
"""


# rsyslog and logrotate come with the lab image (lab/lvslab/image.py PACKAGES): the VMs reach no
# Debian mirror, so the role's package task finds them installed.
LOG_FILE = "/var/log/keepalived.log"
DAEMON_FILES = ["/etc/systemd/system/keepalived.service.d", "/etc/rsyslog.d/30-lvs-cluster-keepalived.conf",
                "/etc/logrotate.d/lvs-cluster-keepalived"]
FIRST_RUN = {}


def main_pid(lab):
    return int(lab.exec("dir1", "systemctl show -p MainPID --value keepalived").stdout.strip())


def cmdline(lab, pid):
    return lab.exec("dir1", f"cat /proc/{pid}/cmdline").stdout.split("\0")[:-1]


def servers(lab):
    out = lab.exec("dir1", f"ipvsadm -Ln -t {VIP}:{PORT}", check=False).stdout
    return sorted(re.findall(r"->\s+(\d+\.\d+\.\d+\.\d+):\d+\s+\w+\s+\d+", out))


def both(lab):
    return servers(lab) == sorted(ADDRESSES.values())


def only(lab, host):
    return servers(lab) == [ADDRESSES[host]]


@pytest.fixture(scope="module")
def checked(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hc")
    (tmp / "backends.yml").write_text(BACKENDS)
    (tmp / "director.yml").write_text(DIRECTOR)
    options = lab.exec("dir1", "base64 -w0 /etc/default/keepalived", check=False)
    try:
        lab.run_playbook(tmp / "backends.yml")
        FIRST_RUN["stdout"] = lab.run_playbook(tmp / "director.yml", extra_vars={"lvs_virtual_services": MODEL}).stdout
        wait_for(lambda: both(lab), timeout=SETTLE * 2, step=1, what="both real servers in the table")
        yield lab
    finally:
        lab.exec("dir1", "systemctl disable --now keepalived; ipvsadm -D -t %s:%d; rm -f /etc/keepalived/keepalived.conf" % (VIP, PORT), check=False)
        restore = (f"echo {options.stdout.strip()} | base64 -d > /etc/default/keepalived" if options.returncode == 0
                   else "rm -f /etc/default/keepalived")
        lab.exec("dir1", f"rm -rf {' '.join(DAEMON_FILES)} {LOG_FILE}*; {restore}; systemctl daemon-reload; systemctl try-restart rsyslog",
                 check=False, timeout=600)
        for host in ADDRESSES:
            lab.exec(host, f"systemctl stop lvs-hc-{PORT} lvs-hc-{TCP_PORT}; rm -rf /srv/hc", check=False)


def test_rendered_checks(checked):
    conf = checked.exec("dir1", "cat /etc/keepalived/keepalived.conf").stdout
    assert "HTTP_GET" in conf and "TCP_CHECK" in conf, conf
    assert re.search(r'regex\s+"OK rs\[0-9\]"', conf) and re.search(r"status_code\s+200-204", conf), conf


def test_body_no_longer_matching_the_regex_takes_it_out(checked):
    checked.exec("rs2", "echo 'DEGRADED rs2' > /srv/hc/hc/index.html")
    wait_for(lambda: only(checked, "rs1"), timeout=SETTLE, step=1, what="rs2 out (regex)")
    checked.exec("rs2", "echo 'OK rs2' > /srv/hc/hc/index.html")
    wait_for(lambda: both(checked), timeout=SETTLE, step=1, what="rs2 back (regex)")


def test_status_outside_the_range_takes_it_out(checked):
    checked.exec("rs1", "mv /srv/hc/hc /srv/hc/away")  # /hc/ answers 404
    wait_for(lambda: only(checked, "rs2"), timeout=SETTLE, step=1, what="rs1 out (status 404)")
    checked.exec("rs1", "mv /srv/hc/away /srv/hc/hc")
    wait_for(lambda: both(checked), timeout=SETTLE, step=1, what="rs1 back (status 200)")


def test_either_checker_failing_takes_it_out(checked):
    # the HTTP check still passes on rs2; only its TCP checker fails
    checked.exec("rs2", f"systemctl stop lvs-hc-{TCP_PORT}")
    assert checked.exec("rs2", "cat /srv/hc/hc/index.html").stdout.startswith("OK")
    wait_for(lambda: only(checked, "rs1"), timeout=SETTLE, step=1, what="rs2 out (TCP checker)")
    checked.exec("rs2", LISTEN.format(port=TCP_PORT))
    wait_for(lambda: both(checked), timeout=SETTLE, step=1, what="rs2 back (TCP checker)")


def test_model_is_what_the_checks_came_from(checked):
    """The rendered checkers are the model's: two per real server, for both real servers."""
    conf = checked.exec("dir1", "cat /etc/keepalived/keepalived.conf").stdout
    assert conf.count("HTTP_GET") == 2 and conf.count("TCP_CHECK") == 2, conf


def test_keepalived_logs_to_its_own_file(checked):
    """-S 3: keepalived's messages (the VRRP transition among them) arrive in their own file through
    journald and rsyslog, and not also in the general syslog (& stop)."""
    wait_for(lambda: "(LVS_FRONT) Entering MASTER STATE" in checked.exec("dir1", f"cat {LOG_FILE}").stdout,
             timeout=60, step=2, what=f"the VRRP transition in {LOG_FILE}")
    pid = main_pid(checked)
    log = checked.exec("dir1", f"cat {LOG_FILE}").stdout
    assert f"Keepalived[{pid}]:" in log, log[-3000:]
    # this keepalived and its children (VRRP, checkers): in the file, not in the general syslog
    tags = [f"[{p}]:" for p in [pid, *map(int, checked.exec("dir1", f"ps --ppid {pid} -o pid=").stdout.split())]]
    assert len(tags) == 3 and all(tag in log for tag in tags), (tags, log[-3000:])
    syslog = checked.exec("dir1", "cat /var/log/syslog", check=False).stdout
    assert not [tag for tag in tags if tag in syslog], syslog[-3000:]
    rule = checked.exec("dir1", "cat /etc/rsyslog.d/30-lvs-cluster-keepalived.conf").stdout
    assert "local3.*\t/var/log/keepalived.log\n& stop" in rule and "Ansible managed" in rule, rule
    rotate = checked.exec("dir1", "logrotate -d /etc/logrotate.d/lvs-cluster-keepalived 2>&1").stdout
    assert "considering log /var/log/keepalived.log" in rotate and "error" not in rotate.lower(), rotate
    assert checked.exec("dir1", "test -x /usr/lib/rsyslog/rsyslog-rotate", check=False).returncode == 0


def test_systemd_dropin_in_effect(checked):
    out = checked.exec("dir1", "systemctl show keepalived -p Restart -p RestartUSec -p After -p Wants -p DropInPaths -p NeedDaemonReload").stdout
    props = dict(line.split("=", 1) for line in out.splitlines())
    assert props["Restart"] == "on-failure" and props["RestartUSec"] == "5s", props
    assert props["DropInPaths"] == "/etc/systemd/system/keepalived.service.d/50-lvs-cluster.conf", props
    assert "network-online.target" in props["After"].split() and "network-online.target" in props["Wants"].split(), props
    assert props["NeedDaemonReload"] == "no", props


def test_command_line_carries_the_facility(checked):
    options = checked.exec("dir1", "cat /etc/default/keepalived").stdout
    assert 'DAEMON_ARGS="-S 3"' in options.splitlines() and "Ansible managed" in options, options
    assert cmdline(checked, main_pid(checked)) == ["/usr/sbin/keepalived", "--dont-fork", "-S", "3"]
    # the run started keepalived with the new options: its restart handler had nothing to do
    first = FIRST_RUN["stdout"]
    assert not re.search(r"RUNNING HANDLER \[lvs\.cluster\.director : Restart keepalived[^\n]*\n(changed|ok):", first), first[-3000:]


def test_changed_options_restart_keepalived(checked, tmp_path):
    """Last: a new option is a new command line, which only a restart applies (on a pair: a failover)."""
    before = main_pid(checked)
    (tmp_path / "director.yml").write_text(DIRECTOR)
    p = checked.run_playbook(tmp_path / "director.yml", extra_vars={"lvs_virtual_services": MODEL, "director_keepalived_options": ["--log-detail"]},
                             args=["--diff"])
    assert '+DAEMON_ARGS="--log-detail -S 3"' in p.stdout, p.stdout[-3000:]
    assert re.search(r"RUNNING HANDLER \[lvs\.cluster\.director : Restart keepalived[^\n]*\nchanged: \[dir1\]", p.stdout), p.stdout[-3000:]
    after = main_pid(checked)
    assert after not in (0, before)
    assert cmdline(checked, after) == ["/usr/sbin/keepalived", "--dont-fork", "--log-detail", "-S", "3"]
    wait_for(lambda: f"Keepalived[{after}]:" in checked.exec("dir1", f"cat {LOG_FILE}").stdout, timeout=60, step=2,
             what="the restarted keepalived in its log file")
    wait_for(lambda: both(checked), timeout=SETTLE * 2, step=1, what="both real servers back after the restart")
