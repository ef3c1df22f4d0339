# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""keepalived's daemon files (tasks/daemon.yml) rendered on the controller for Debian and the RHEL
family: the options line (/etc/default/keepalived, /etc/sysconfig/keepalived), the rsyslog rule, the
logrotate file, the systemd drop-in; the restart decision (running command line against the one the
unit starts); and every bad value of each new variable stopping the role before any change, with
the variable and the value in the message. Nothing on this host changes (connection local, files
rendered into a temporary directory, the bad-input runs in check mode)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import interfaces, run_playbook

MODEL = [{"name": "web", "address": "192.0.2.10", "port": 80, "real_servers": [{"host": "rs1"}, {"host": "rs2"}]}]
TEMPLATES = {"options": "keepalived-options.j2", "rsyslog": "rsyslog-keepalived.conf.j2",
             "logrotate": "keepalived-logrotate.j2", "dropin": "keepalived-dropin.conf.j2"}

# name: (OS family, variables)
CASES = {
    "debian-defaults": ("Debian", {}),
    "debian-log": ("Debian", {"director_keepalived_log_facility": 3, "director_keepalived_options": ["--log-detail", "--dont-release-ipvs"],
                              "director_keepalived_log_file": "/var/log/lvs/keepalived.log", "director_keepalived_log_rotate": 14,
                              "director_keepalived_log_frequency": "weekly", "director_keepalived_restart_sec": 10}),
    "redhat-defaults": ("RedHat", {}),
    "redhat-log": ("RedHat", {"director_keepalived_log_facility": 0, "director_keepalived_options": ["--vrrp"]}),
}

# The restart decision over registered results as tasks/daemon.yml gets them: the unit's ExecStart
# (systemctl show) and the running keepalived's /proc/<pid>/cmdline. name: (family, options,
# facility, ExecStart argv, running argv or None, restart expected)
DEBIAN_EXEC = "/usr/sbin/keepalived --dont-fork $DAEMON_ARGS"
RHEL_EXEC = "/usr/sbin/keepalived --dont-fork ${KEEPALIVED_OPTIONS}"
DECISIONS = {
    "not running": ("Debian", [], 3, DEBIAN_EXEC, None, False),
    "same options (package file taken over)": ("Debian", [], None, DEBIAN_EXEC, ["/usr/sbin/keepalived", "--dont-fork"], False),
    "facility added": ("Debian", [], 3, DEBIAN_EXEC, ["/usr/sbin/keepalived", "--dont-fork"], True),
    "facility already running": ("Debian", ["-D"], 3, DEBIAN_EXEC, ["/usr/sbin/keepalived", "--dont-fork", "-D", "-S", "3"], False),
    "option removed": ("Debian", [], 3, DEBIAN_EXEC, ["/usr/sbin/keepalived", "--dont-fork", "-D", "-S", "3"], True),
    "facility changed": ("Debian", [], 4, DEBIAN_EXEC, ["/usr/sbin/keepalived", "--dont-fork", "-S", "3"], True),
    "rhel package -D kept": ("RedHat", [], None, RHEL_EXEC, ["/usr/sbin/keepalived", "--dont-fork", "-D"], False),
    "rhel facility added": ("RedHat", [], 2, RHEL_EXEC, ["/usr/sbin/keepalived", "--dont-fork", "-D"], True),
}

# name: (variables, pattern the failure message matches: the variable and its value)
BAD_INPUT = {
    "options not a list": ({"director_keepalived_options": "-D"}, r'director_keepalived_options: "-D" is not a list of options'),
    "option with a space": ({"director_keepalived_options": ["-D", "-S 3"]},
                            r'director_keepalived_options\[1\]: "-S 3" is not one command-line option'),
    "option with a shell substitution": ({"director_keepalived_options": ["-D", "$(reboot)"]},
                                         r'director_keepalived_options\[1\]: "\$\(reboot\)" is not one command-line option'),
    "option with a semicolon": ({"director_keepalived_options": ["--vrrp;reboot"]},
                                r'director_keepalived_options\[0\]: "--vrrp;reboot" is not one command-line option'),
    "option with a quote": ({"director_keepalived_options": ["--pid='/run/k.pid'"]},
                            r"director_keepalived_options\[0\]: \"--pid='/run/k.pid'\" is not one command-line option"),
    "option without a dash": ({"director_keepalived_options": ["vrrp"]}, r'director_keepalived_options\[0\]: "vrrp" is not one command-line option'),
    "option not a string": ({"director_keepalived_options": ["-D", 5]}, r"director_keepalived_options\[1\]: 5 is not one command-line option"),
    "option sets the facility": ({"director_keepalived_options": ["-S3"]},
                                 r'director_keepalived_options\[0\]: "-S3" sets the log facility: use director_keepalived_log_facility'),
    "option moves keepalived.conf": ({"director_keepalived_options": ["--use-file=/tmp/k.conf"]},
                                     r'director_keepalived_options\[0\]: "--use-file=/tmp/k.conf" moves keepalived.conf'),
    "facility 8": ({"director_keepalived_log_facility": 8}, r"director_keepalived_log_facility: 8 is not null or 0-7"),
    "facility -1": ({"director_keepalived_log_facility": -1}, r"director_keepalived_log_facility: -1 is not null or 0-7"),
    "facility true": ({"director_keepalived_log_facility": True}, r"director_keepalived_log_facility: true is not null or 0-7"),
    "facility local3": ({"director_keepalived_log_facility": "local3"}, r"director_keepalived_log_facility.*local3"),
    "log file relative": ({"director_keepalived_log_file": "keepalived.log"},
                          r'director_keepalived_log_file: "keepalived.log" is not an absolute path'),
    "log file with a space": ({"director_keepalived_log_file": "/var/log/keep alived.log"},
                              r'director_keepalived_log_file: "/var/log/keep alived.log" is not an absolute path'),
    "rotate 1001": ({"director_keepalived_log_rotate": 1001}, r"director_keepalived_log_rotate: 1001 is out of range 0-1000"),
    "rotate -1": ({"director_keepalived_log_rotate": -1}, r"director_keepalived_log_rotate: -1 is out of range 0-1000"),
    "rotate many": ({"director_keepalived_log_rotate": "many"}, r"director_keepalived_log_rotate.*many"),
    "frequency hourly": ({"director_keepalived_log_frequency": "hourly"}, r"director_keepalived_log_frequency.*hourly"),
    "drop-in maybe": ({"director_keepalived_systemd_dropin": "maybe"}, r"director_keepalived_systemd_dropin.*maybe"),
    "restart_sec 3601": ({"director_keepalived_restart_sec": 3601}, r"director_keepalived_restart_sec: 3601 is out of range 0-3600"),
    "restart_sec -5": ({"director_keepalived_restart_sec": -5}, r"director_keepalived_restart_sec: -5 is out of range 0-3600"),
}
# the tasks that may stop a bad input: the role's argument spec and its own check, both before any change
STOPPERS = (r"^Validating arguments against arg spec 'main'", r"^Check the keepalived daemon settings")


def role_dir(collections_path):
    return Path(collections_path) / "ansible_collections" / "lvs" / "cluster" / "roles" / "director"


@pytest.fixture(scope="module")
def rendered(collections_path, tmp_path_factory):
    """One ansible-playbook run: each case's four files, {case: {name: text or None}}."""
    out = tmp_path_factory.mktemp("daemon")
    role = role_dir(collections_path)
    plays = []
    for case, (family, case_vars) in CASES.items():
        tasks = [
            {"name": "OS family variables", "ansible.builtin.include_vars": {"file": str(role / "vars" / ("%s.yml" % family))}},
            {"name": "Validate and derive", "ansible.builtin.include_role": {"name": "lvs.cluster.director", "tasks_from": "validate.yml", "public": True}},
        ]
        for name, src in TEMPLATES.items():
            task = {"name": "Render %s" % name, "ansible.builtin.template": {
                "src": str(role / "templates" / src), "dest": "%s/%s.%s" % (out, case, name), "mode": "0600"}}
            if name in ("rsyslog", "logrotate"):
                task["when"] = "director_keepalived_log_facility is not none"
            tasks.append(task)
        tasks.append({"name": "What the role resolved", "ansible.builtin.copy": {"dest": "%s/%s.json" % (out, case), "mode": "0600", "content": (
            "{{ {'args': __director_keepalived_args, 'file': __director_keepalived_options_file, 'var': __director_keepalived_options_var,"
            " 'packages': __director_keepalived_log_packages, 'rule': __director_rsyslog_rule, 'logrotate': __director_logrotate_file,"
            " 'dropin': __director_keepalived_dropin} | to_json }}")}})
        plays.append({"name": "Case %s" % case, "hosts": "dir1", "gather_facts": False,
                      "vars": dict({"lvs_virtual_services": MODEL, "director_vrrp_unicast": False}, **case_vars), "tasks": tasks})
    playbook = out / "daemon.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    proc = run_playbook(collections_path, playbook, {}, out)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    result = {}
    for case in CASES:
        result[case] = {name: (out / ("%s.%s" % (case, name))).read_text() if (out / ("%s.%s" % (case, name))).exists() else None
                        for name in TEMPLATES}
        result[case]["resolved"] = json.loads((out / ("%s.json" % case)).read_text())
        result[case]["paths"] = {name: out / ("%s.%s" % (case, name)) for name in TEMPLATES}
    return result


def lines(text):
    """The lines that are not comments or blank."""
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_every_file_carries_the_managed_comment(rendered):
    for case, files in rendered.items():
        for name in TEMPLATES:
            if files[name] is not None:
                assert "Ansible managed" in files[name].splitlines()[1], (case, name, files[name])


def test_options_line_per_os(rendered):
    assert lines(rendered["debian-defaults"]["options"]) == ['DAEMON_ARGS=""']
    assert lines(rendered["debian-log"]["options"]) == ['DAEMON_ARGS="--log-detail --dont-release-ipvs -S 3"']
    # RHEL: the package's own -D stays first
    assert lines(rendered["redhat-defaults"]["options"]) == ['KEEPALIVED_OPTIONS="-D"']
    assert lines(rendered["redhat-log"]["options"]) == ['KEEPALIVED_OPTIONS="-D --vrrp -S 0"']
    assert rendered["debian-log"]["resolved"]["file"] == "/etc/default/keepalived"
    assert rendered["redhat-log"]["resolved"]["file"] == "/etc/sysconfig/keepalived"
    assert rendered["debian-log"]["resolved"]["args"] == ["--log-detail", "--dont-release-ipvs", "-S", "3"]


def test_options_file_reads_like_systemd_reads_it(rendered):
    """The options line read the way keepalived.service's EnvironmentFile= is read (a shell-like
    KEY="VALUE" line), then split into words like $DAEMON_ARGS in ExecStart: the options come out
    as the words they were."""
    for case, want in (("debian-log", ["--log-detail", "--dont-release-ipvs", "-S", "3"]), ("redhat-log", ["-D", "--vrrp", "-S", "0"])):
        (line,) = lines(rendered[case]["options"])
        key, value = line.split("=", 1)
        assert key == rendered[case]["resolved"]["var"]
        assert value.startswith('"') and value.endswith('"')
        assert value[1:-1].split() == want, (case, line)


def test_rsyslog_rule_routes_the_facility_only_to_its_file(rendered):
    assert lines(rendered["debian-log"]["rsyslog"]) == ["local3.*\t/var/log/lvs/keepalived.log", "& stop"]
    assert lines(rendered["redhat-log"]["rsyslog"]) == ["local0.*\t/var/log/keepalived.log", "& stop"]
    assert rendered["debian-log"]["resolved"]["rule"] == "/etc/rsyslog.d/30-lvs-cluster-keepalived.conf"
    assert rendered["debian-log"]["resolved"]["packages"] == ["rsyslog", "logrotate"]
    assert rendered["debian-defaults"]["rsyslog"] is None and rendered["debian-defaults"]["logrotate"] is None


@pytest.mark.skipif(not shutil.which("rsyslogd"), reason="rsyslogd not installed on this host (the lab test runs the role's own check)")
def test_rsyslogd_accepts_the_rule(rendered):
    """The role's validate: rsyslogd -N1 -f checks the drop-in alone."""
    for case in ("debian-log", "redhat-log"):
        p = subprocess.run([shutil.which("rsyslogd"), "-N1", "-f", str(rendered[case]["paths"]["rsyslog"])], capture_output=True, text=True, check=False)
        assert p.returncode == 0, p.stdout + p.stderr


def test_logrotate_file(rendered):
    debian = lines(rendered["debian-log"]["logrotate"])
    assert debian[0] == "/var/log/lvs/keepalived.log {" and debian[-1] == "}"
    body = [line.strip() for line in debian[1:-1]]
    for word in ("weekly", "rotate 14", "compress", "delaycompress", "missingok", "notifempty", "postrotate", "endscript"):
        assert word in body, (word, debian)
    # Debian: rsyslog's own helper (systemctl kill -s HUP rsyslog.service) makes rsyslog reopen the file
    assert body[body.index("postrotate") + 1] == "/usr/lib/rsyslog/rsyslog-rotate"
    redhat = [line.strip() for line in lines(rendered["redhat-log"]["logrotate"])]
    assert redhat[0] == "/var/log/keepalived.log {" and "daily" in redhat and "rotate 7" in redhat
    assert redhat[redhat.index("postrotate") + 1] == "/usr/bin/systemctl kill -s HUP rsyslog.service >/dev/null 2>&1 || true"
    assert rendered["debian-log"]["resolved"]["logrotate"] == "/etc/logrotate.d/lvs-cluster-keepalived"


@pytest.mark.skipif(not shutil.which("logrotate"), reason="logrotate not installed on this host")
def test_logrotate_parses_the_file(rendered, tmp_path):
    p = subprocess.run([shutil.which("logrotate"), "-d", "-s", str(tmp_path / "state"), str(rendered["debian-log"]["paths"]["logrotate"])],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0 and "error" not in (p.stdout + p.stderr).lower(), p.stdout + p.stderr


def test_systemd_dropin(rendered):
    text = rendered["debian-defaults"]["dropin"]
    assert lines(text) == ["[Unit]", "After=network-online.target", "Wants=network-online.target",
                           "[Service]", "Restart=on-failure", "RestartSec=5"]
    assert "RestartSec=10" in lines(rendered["debian-log"]["dropin"])
    assert rendered["debian-defaults"]["resolved"]["dropin"] == "/etc/systemd/system/keepalived.service.d/50-lvs-cluster.conf"


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed on this host")
def test_systemd_reads_the_dropin(rendered, tmp_path):
    """systemd-analyze verify of a stand-in unit with the drop-in: no complaint about the drop-in
    (an unknown key or section would be reported with the drop-in's path; checked with one)."""
    def verify(dropin_text):
        d = tmp_path / dropin_text.__hash__().__str__()
        (d / "lvs-dropin-test.service.d").mkdir(parents=True)
        (d / "lvs-dropin-test.service").write_text("[Unit]\nDescription=stand-in\n\n[Service]\nExecStart=/bin/true\n")
        (d / "lvs-dropin-test.service.d" / "50-lvs-cluster.conf").write_text(dropin_text)
        p = subprocess.run(["systemd-analyze", "verify", "--man=no", str(d / "lvs-dropin-test.service")],
                           capture_output=True, text=True, check=False, cwd=d)
        return p.stdout + p.stderr
    assert "50-lvs-cluster.conf" in verify(rendered["debian-log"]["dropin"] + "RestartSecs=3\n")
    out = verify(rendered["debian-log"]["dropin"])
    assert "50-lvs-cluster.conf" not in out, out


@pytest.fixture(scope="module")
def decisions(collections_path, tmp_path_factory):
    """The restart decision of vars/main.yml for each DECISIONS row, {name: bool}."""
    out = tmp_path_factory.mktemp("decide")
    role = role_dir(collections_path)
    plays = []
    for i, (name, (family, options, facility, exec_argv, running, _want)) in enumerate(DECISIONS.items()):
        unit = {"status": {"MainPID": "0" if running is None else "4242",
                           "ExecStart": "{ path=/usr/sbin/keepalived ; argv[]=%s ; ignore_errors=no ; start_time=[n/a] }" % exec_argv}}
        cmdline = {"skipped": True} if running is None else {"content": base64.b64encode(("\0".join(running) + "\0").encode()).decode()}
        plays.append({"name": "Decide %s" % name, "hosts": "dir1", "gather_facts": False,
                      "vars": {"lvs_virtual_services": MODEL, "director_vrrp_unicast": False,
                               "director_keepalived_options": options, "director_keepalived_log_facility": facility,
                               "__director_keepalived_unit": unit, "__director_keepalived_cmdline": cmdline},
                      "tasks": [
                          {"name": "OS family variables", "ansible.builtin.include_vars": {"file": str(role / "vars" / ("%s.yml" % family))}},
                          {"name": "Validate and derive", "ansible.builtin.include_role": {"name": "lvs.cluster.director", "tasks_from": "validate.yml",
                                                                                           "public": True}},
                          {"name": "Decision", "ansible.builtin.copy": {"dest": "%s/%d.json" % (out, i), "mode": "0600", "content": (
                              "{{ {'restart': __director_keepalived_restart_wanted, 'wanted': __director_keepalived_argv_wanted,"
                              " 'running': __director_keepalived_argv_running} | to_json }}")}},
                      ]})
    playbook = out / "decide.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    proc = run_playbook(collections_path, playbook, {}, out)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return {name: json.loads((out / ("%d.json" % i)).read_text()) for i, name in enumerate(DECISIONS)}


@pytest.mark.parametrize("name", list(DECISIONS))
def test_restart_only_when_the_command_line_changes(decisions, name):
    got = decisions[name]
    assert got["restart"] is DECISIONS[name][5], (name, got)


def test_wanted_command_line_is_the_units_with_the_options(decisions):
    assert decisions["facility added"]["wanted"] == ["/usr/sbin/keepalived", "--dont-fork", "-S", "3"]
    assert decisions["rhel facility added"]["wanted"] == ["/usr/sbin/keepalived", "--dont-fork", "-D", "-S", "2"]
    assert decisions["not running"]["running"] == []


@pytest.fixture(scope="module")
def bad_input_results(collections_path, tmp_path_factory):
    """Run the whole role (check mode, no packages) once per bad input: {label: (message, failed task)}."""
    out = tmp_path_factory.mktemp("bad")
    front, _inside = interfaces()
    tasks = []
    for i, (label, (case_vars, _match)) in enumerate(BAD_INPUT.items()):
        case = dict({"director_manage_packages": False, "director_vrrp_interface": front, "lvs_virtual_services": MODEL}, **case_vars)
        tasks.append({"name": "Case %s" % label, "block": [
            {"name": "Run the role", "ansible.builtin.include_role": {"name": "lvs.cluster.director"}, "vars": case},
            {"name": "Record no failure", "ansible.builtin.set_fact": {"case_%d" % i: ["NO FAILURE", ""]}},
        ], "rescue": [
            {"name": "Record the failure", "ansible.builtin.set_fact": {"case_%d" % i: [
                "{{ ansible_failed_result.msg | default(ansible_failed_result) }}", "{{ ansible_failed_task.name }}"]}},
        ]})
    tasks.append({"name": "Write results", "ansible.builtin.copy": {
        "content": "{{ {%s} | to_json }}" % ", ".join("'%d': case_%d" % (i, i) for i in range(len(BAD_INPUT))),
        "dest": str(out / "results.json"), "mode": "0600"}, "check_mode": False})
    playbook = out / "bad.yml"
    playbook.write_text(yaml.safe_dump([{"name": "Bad input", "hosts": "dir1", "gather_facts": False, "check_mode": True, "tasks": tasks}], sort_keys=False))
    proc = run_playbook(collections_path, playbook, {}, out)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    results = json.loads((out / "results.json").read_text())
    return {label: results[str(i)] for i, label in enumerate(BAD_INPUT)}


@pytest.mark.parametrize("label", list(BAD_INPUT))
def test_bad_input_stopped_before_any_change(bad_input_results, label):
    msg, task = bad_input_results[label]
    assert re.search(BAD_INPUT[label][1], msg, re.S), msg
    assert any(re.search(p, task) for p in STOPPERS), (task, msg)
