# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ipvs_real_server drain against real connections (lab director VM, kernel 6.1, ipvsadm 1.31).

A DR service on the director (VIPs 192.0.2.80/.81 port 22: the real-server containers run sshd,
which holds an idle connection open for its login grace time). A client in the lab's client netns
opens TCP connections through the VIPs and keeps them open. Checked:

* ``state: drained``: weight 0, the entry is kept, and a new connection avoids it;
* ``state: absent, drain: true`` waits while ActiveConn > 0 and removes the server as soon as the
  client closes (the wait is measured against the moment the client closed);
* ``drain_timeout`` passes with the connection still open: removed anyway, ``timed_out: true``
  and a warning.

Two playbook runs in all (each task pays the module start-up under TCG).
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab

HOST = "dir1"
VENV_BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"
VIP1, VIP2, PORT = "192.0.2.80", "192.0.2.81", 22
RS1, RS2 = "192.0.2.11", "192.0.2.12"
ARP = "net.ipv4.conf.all.arp_ignore=%s net.ipv4.conf.all.arp_announce=%s"
HOLD = 20  # seconds the first client keeps its connection: longer than the drain task's start-up

SETUP = f"""
- hosts: {HOST}
  gather_facts: false
  become: true
  tasks:
    - name: Table
      lvs.cluster.ipvs_table:
        scope: [{VIP1}, {VIP2}]
        purge: true
        services:
          - {{name: ssh1, address: {VIP1}, port: {PORT}, scheduler: rr, real_servers: [{{address: {RS1}}}, {{address: {RS2}}}]}}
          - {{name: ssh2, address: {VIP2}, port: {PORT}, scheduler: rr, real_servers: [{{address: {RS2}}}]}}
    - name: Drained
      lvs.cluster.ipvs_real_server: {{address: {VIP1}, port: {PORT}, server_address: {RS2}, state: drained}}
      register: drained
    - name: Drained again
      lvs.cluster.ipvs_real_server: {{address: {VIP1}, port: {PORT}, server_address: {RS2}, state: drained}}
"""

DRAIN = f"""
- hosts: {HOST}
  gather_facts: false
  become: true
  tasks:
    - name: Drain then remove
      lvs.cluster.ipvs_real_server: {{address: {VIP1}, port: {PORT}, server_address: {RS1}, state: absent, drain: true, drain_timeout: 120}}
    - name: Drain that times out
      lvs.cluster.ipvs_real_server: {{address: {VIP2}, port: {PORT}, server_address: {RS2}, state: absent, drain: true, drain_timeout: 3}}
"""


def _ts(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _play(lab, tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    env = lab._ansible_env()
    env.update({"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", str(lab.inventory_path), str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    data = json.loads(proc.stdout[proc.stdout.index("{") :])
    out = {}
    for task in data["plays"][0]["tasks"]:
        dur = task["task"]["duration"]
        out[task["task"]["name"]] = dict(task["hosts"][HOST], _start=_ts(dur["start"]), _end=_ts(dur["end"]))
    return out


def _hold(lab, vip, seconds):
    """A client in cl1 connects to vip:22 and keeps the socket open for ``seconds``; returns its pid file."""
    code = f"import socket,time; s=socket.create_connection(('{vip}',{PORT}),timeout=5); time.sleep({seconds}); s.close()"
    pidfile = f"/tmp/ipvs-drain-{os.getpid()}-{vip}.pid"
    lab.client_exec("cl1", f'setsid python3 -c "{code}" >/dev/null 2>&1 & echo $! > {pidfile}')
    return pidfile


def _conns(lab, vip):
    """{real server: (active, inactive)} of vip:22 from ipvsadm -Ln."""
    out = lab.exec(HOST, ["ipvsadm", "-Ln", "-t", f"{vip}:{PORT}"]).stdout
    res = {}
    for line in out.splitlines():
        tok = line.split()
        if tok and tok[0] == "->" and tok[1][0].isdigit():
            res[tok[1].rsplit(":", 1)[0]] = (int(tok[4]), int(tok[5]))
    return res


@pytest.fixture
def dr_service(lab):
    setup = [
        (HOST, f"ip addr replace {VIP1}/32 dev eth1 && ip addr replace {VIP2}/32 dev eth1"),
        *[
            (
                rs,
                f"sysctl -qw {ARP % (1, 2)} && ip addr replace {VIP1}/32 dev lo && ip addr replace {VIP2}/32 dev lo",
            )
            for rs in ("rs1", "rs2")
        ],
    ]
    saved = {rs: lab.exec(rs, "sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce").stdout.split() for rs in ("rs1", "rs2")}
    for host, cmd in setup:
        lab.exec(host, cmd)
    pidfiles = []
    yield pidfiles
    for pidfile in pidfiles:  # only the clients this test started
        lab.client_exec("cl1", f"test -f {pidfile} && kill $(cat {pidfile}) 2>/dev/null; rm -f {pidfile}", check=False)
    lab.exec(HOST, f"ipvsadm -D -t {VIP1}:{PORT}; ipvsadm -D -t {VIP2}:{PORT}; ip addr del {VIP1}/32 dev eth1; ip addr del {VIP2}/32 dev eth1", check=False)
    for rs, (ignore, announce) in saved.items():
        lab.exec(
            rs,
            f"ip addr del {VIP1}/32 dev lo; ip addr del {VIP2}/32 dev lo; sysctl -qw {ARP % (ignore, announce)}",
            check=False,
        )


def test_drained_and_drain_before_remove(lab, tmp_path, dr_service):
    r = _play(lab, tmp_path, "setup.yml", SETUP)
    assert r["Drained"]["changed"] and r["Drained"]["commands"] == [f"-e -t {VIP1}:{PORT} -r {RS2}:{PORT} -g -w 0 -x 0 -y 0"]
    assert r["Drained again"]["changed"] is False
    save = lab.exec(HOST, "ipvsadm -Sn").stdout
    assert f"-a -t {VIP1}:{PORT} -r {RS2}:{PORT} -g -w 0" in save, "drained: weight 0 and the entry kept"

    # one connection per VIP, held open; the drained rs2 gets no new connection on VIP1
    opened = time.time()
    dr_service.append(_hold(lab, VIP1, HOLD))
    closes_at = opened + HOLD
    dr_service.append(_hold(lab, VIP2, 600))
    deadline = time.time() + 10
    while time.time() < deadline and not (_conns(lab, VIP1).get(RS1, (0, 0))[0] == 1 and _conns(lab, VIP2).get(RS2, (0, 0))[0] == 1):
        time.sleep(0.5)
    c1, c2 = _conns(lab, VIP1), _conns(lab, VIP2)
    assert c1[RS1][0] == 1 and c1[RS2] == (0, 0), ("the connection goes to rs1, not to the drained rs2", c1)
    assert c2[RS2][0] == 1, c2

    r = _play(lab, tmp_path, "drain.yml", DRAIN)
    done = r["Drain then remove"]
    drain = done["drain"]
    assert done["changed"] and drain["timed_out"] is False and drain["active_connections"] == 0
    assert done["commands"] == [f"-d -t {VIP1}:{PORT} -r {RS1}:{PORT}"]
    # it waited for the client: the module finished after the client closed, and not much later
    assert done["_end"] >= closes_at - 0.5, (done["_end"] - closes_at, drain)
    assert drain["waited"] >= 1, drain
    assert done["_end"] - closes_at < 15, ("removed long after the connection closed", done["_end"] - closes_at, drain)
    timed = r["Drain that times out"]
    assert timed["changed"] and timed["drain"]["timed_out"] is True and timed["drain"]["active_connections"] == 1
    assert 3 <= timed["drain"]["waited"] < 10, timed["drain"]
    assert any("timed out" in w for w in timed.get("warnings", [])), timed.get("warnings")
    save = lab.exec(HOST, "ipvsadm -Sn").stdout
    assert f"-a -t {VIP1}:{PORT} -r {RS1}:{PORT}" not in save and f"-a -t {VIP2}:{PORT} -r" not in save, save
    assert f"-a -t {VIP1}:{PORT} -r {RS2}:{PORT} -g -w 0" in save, "the drained server stays"
    print(
        "drain: waited %.1f s (module), finished %.1f s after the client closed; timeout case waited %.1f s"
        % (drain["waited"], done["_end"] - closes_at, timed["drain"]["waited"])
    )
