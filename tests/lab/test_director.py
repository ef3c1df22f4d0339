"""lvs.cluster.director in the lab (pair topology): two director VMs running keepalived (VRRP pair,
NAT gateway in a sync group), DR real servers rs1/rs2 and NAT real servers nat1/nat2 (containers,
configured by the real-server roles), client cl1.

Converge and idempotence; traffic split across the real servers; a stopped real server leaves the
rotation within delay_loop + timeout and comes back; stopping keepalived on the MASTER moves the
VIPs and the NAT gateway to the BACKUP and traffic continues (gap measured); a config change
reloads keepalived (same PID) without dropping an established connection; an invalid variable
fails the play with keepalived's message and leaves the live file and the running daemon alone.

Run:  pytest tests/lab/test_director.py      (root; boots its own lab, torn down at the end)
      DIRECTOR_LAB=director pytest ...       (reuse a lab you brought up with bin/lvslab --name director up lab/topologies/pair.yml)
"""
import os
import re
import subprocess
import threading
import time

import pytest
import yaml

from conftest import LVSLAB, ROOT, LabHandle
from test_rs_support import assert_idempotent, changed_tasks, fetch_split, recap, wait_for

pytestmark = pytest.mark.lab

SCEN = ROOT / "molecule" / "director"
PAIR = ROOT / "lab" / "topologies" / "pair.yml"
DR_VIP, NAT_VIP, GW = "192.0.2.10", "192.0.2.20", "198.51.100.1"
DIRECTORS = ("dir1", "dir2")
CONF = "/etc/keepalived/keepalived.conf"
DELAY_LOOP, CONNECT_TIMEOUT = 2, 2  # molecule/director/group_vars/all.yml


@pytest.fixture(scope="module")
def pair(request):
    name = os.environ.get("DIRECTOR_LAB")
    if name:
        return LabHandle(name, PAIR)
    return request.getfixturevalue("lab_factory")(PAIR, "d")


@pytest.fixture(scope="module")
def converged(pair):
    pair.run_playbook(SCEN / "prepare.yml")
    first = pair.run_playbook(SCEN / "converge.yml")
    second = pair.run_playbook(SCEN / "converge.yml")
    return first.stdout, second.stdout


def holder(lab, address):
    """The directors that hold ``address`` right now."""
    return [d for d in DIRECTORS if f"inet {address}/" in lab.exec(d, "ip -4 -o addr show").stdout]


def keepalived_pid(lab, host):
    return lab.exec(host, "systemctl show -p MainPID --value keepalived").stdout.strip()


def ipvs_servers(lab, host, vip):
    out = lab.exec(host, f"ipvsadm -Ln -t {vip}:80", check=False).stdout
    return sorted(re.findall(r"->\s+(\d+\.\d+\.\d+\.\d+):\d+\s+\w+\s+(\d+)", out))


def test_converge_then_idempotent(converged):
    first, second = converged
    rc = recap(first)
    if not os.environ.get("DIRECTOR_LAB"):  # a fresh lab: the first run changed the directors
        assert all(rc[d]["changed"] > 0 for d in DIRECTORS), rc
    assert_idempotent(second, (*DIRECTORS, "rs1", "rs2", "nat1", "nat2"))


def test_state_after_converge(pair, converged):
    assert holder(pair, DR_VIP) == ["dir1"] and holder(pair, NAT_VIP) == ["dir1"] and holder(pair, GW) == ["dir1"]
    for d in DIRECTORS:
        assert pair.exec(d, f"stat -c %a {CONF}").stdout.strip() == "640"
        conf = pair.exec(d, f"cat {CONF}").stdout
        assert "auth_pass" not in conf and "lab-Pw1" not in conf
        assert pair.exec(d, "stat -c %a /etc/keepalived/lvs-cluster/vrrp-auth.conf").stdout.strip() == "600"
        assert pair.exec(d, "sysctl -n net.ipv4.ip_forward").stdout.strip() == "1"
        assert "ip_vs_rr" in pair.exec(d, "cat /etc/modules-load.d/lvs-cluster-director.conf").stdout
    # both directors' health checkers run and see both real servers of each service
    for d in DIRECTORS:
        wait_for(lambda d=d: len(ipvs_servers(pair, d, DR_VIP)) == 2 and len(ipvs_servers(pair, d, NAT_VIP)) == 2,
                 timeout=60, what=f"{d}: both real servers in IPVS")


def test_secret_not_in_output(converged):
    first, second = converged
    assert "lab-Pw1" not in first and "lab-Pw1" not in second


def test_requests_split(pair, converged):
    assert fetch_split(pair, "cl1", f"http://{DR_VIP}/", 20) == {"rs1": 10, "rs2": 10}
    assert fetch_split(pair, "cl1", f"http://{NAT_VIP}/", 20) == {"nat1": 10, "nat2": 10}


def test_failed_real_server_leaves_and_returns(pair, converged):
    pair.exec("rs2", "systemctl stop lab-web.service")
    try:
        start = time.monotonic()
        wait_for(lambda: ipvs_servers(pair, "dir1", DR_VIP) == [("192.0.2.11", "1")] or None, timeout=60, step=0.5, what="rs2 out")
        out_after = time.monotonic() - start
        assert fetch_split(pair, "cl1", f"http://{DR_VIP}/", 6) == {"rs1": 6}
    finally:
        pair.exec("rs2", "systemctl start lab-web.service")
    start = time.monotonic()
    wait_for(lambda: len(ipvs_servers(pair, "dir1", DR_VIP)) == 2 or None, timeout=60, step=0.5, what="rs2 back")
    back_after = time.monotonic() - start
    print(f"\nrs2 out of rotation after {out_after:.1f}s, back after {back_after:.1f}s (delay_loop {DELAY_LOOP}, connect_timeout {CONNECT_TIMEOUT})")
    # out within delay_loop + connect_timeout (+ retry 1 * delay_before_retry 1) plus polling/ssh slack
    assert out_after <= DELAY_LOOP + CONNECT_TIMEOUT + 1 + 6
    assert back_after <= DELAY_LOOP + 6
    assert fetch_split(pair, "cl1", f"http://{DR_VIP}/", 4) == {"rs1": 2, "rs2": 2}


def probe(pair, url, seconds, stop):
    """Requests every 0.1 s from the client for ``seconds`` (or until ``stop``); [(t, ok)]."""
    script = (f"end=$(( $(date +%s) + {seconds} )); while [ $(date +%s) -lt $end ]; do "
              f"if curl -s -o /dev/null --max-time 0.5 {url}; then echo \"$(date +%s.%N) ok\"; else echo \"$(date +%s.%N) fail\"; fi; "
              "sleep 0.1; done")
    proc = subprocess.Popen([str(LVSLAB), "--name", pair.name, "exec", "cl1", "--", "sh", "-c", script],
                            stdout=subprocess.PIPE, text=True)
    out = proc.communicate(timeout=seconds + 60)[0]
    return [(float(t), s == "ok") for t, s in (line.split() for line in out.splitlines() if line.strip())]


def gap(samples):
    """Seconds from the first failed request to the first success after it (0 when none failed)."""
    fails = [t for t, ok in samples if not ok]
    if not fails:
        return 0.0
    after = [t for t, ok in samples if ok and t > fails[0]]
    assert after, "traffic never came back"
    return after[0] - fails[0]


def failed(samples):
    return sum(1 for sample in samples if not sample[1])


def test_failover_moves_vips_and_gateway(pair, converged):
    results = {}
    threads = [threading.Thread(target=lambda u=u: results.__setitem__(u, probe(pair, f"http://{u}/", 25, None))) for u in (DR_VIP, NAT_VIP)]
    for t in threads:
        t.start()
    time.sleep(5)
    pair.exec("dir1", "systemctl stop keepalived")
    try:
        for t in threads:
            t.join()
        assert holder(pair, DR_VIP) == ["dir2"] and holder(pair, NAT_VIP) == ["dir2"] and holder(pair, GW) == ["dir2"]
        dr_gap, nat_gap = gap(results[DR_VIP]), gap(results[NAT_VIP])
        print(f"\nfailover gap: DR {dr_gap:.2f}s, NAT {nat_gap:.2f}s "
              f"({failed(results[DR_VIP])}/{len(results[DR_VIP])} and {failed(results[NAT_VIP])}/{len(results[NAT_VIP])} requests failed)")
        assert results[DR_VIP][-1][1] and results[NAT_VIP][-1][1], "traffic did not continue through dir2"
        assert dr_gap < 5 and nat_gap < 5
        assert fetch_split(pair, "cl1", f"http://{NAT_VIP}/", 4) == {"nat1": 2, "nat2": 2}
    finally:
        pair.exec("dir1", "systemctl start keepalived")
    # dir1 has the higher priority and preempts: everything comes back
    wait_for(lambda: holder(pair, DR_VIP) == ["dir1"] and holder(pair, GW) == ["dir1"], timeout=60, what="VIPs back on dir1")
    wait_for(lambda: len(ipvs_servers(pair, "dir1", DR_VIP)) == 2 or None, timeout=60, what="dir1 checkers up")


NOTIFY_LOG = "/var/tmp/lab-notify.log"  # molecule/director/prepare.yml: the notify FIFO's reader appends here
DRAIN = "/var/lib/lvs-lab/drain"  # director_vrrp_track_files, weight -1


def notify_lines(lab, host, since):
    """The notify FIFO's lines on ``host`` written after ``since`` (the host's clock, epoch seconds)."""
    out = lab.exec(host, f"cat {NOTIFY_LOG}", check=False).stdout
    return [line.split(None, 1)[1] for line in out.splitlines() if line.strip() and float(line.split()[0]) > since]


def host_time(lab, host):
    return float(lab.exec(host, "date +%s.%N").stdout)


def effective_priorities(lab, host):
    """{instance: effective priority} from keepalived's data dump (the DATA signal, /tmp/keepalived.data)."""
    lab.exec(host, "rm -f /tmp/keepalived.data; kill -s $(keepalived --signum=DATA) $(systemctl show -p MainPID --value keepalived)")
    wait_for(lambda: "VRRP Topology" in lab.exec(host, "cat /tmp/keepalived.data", check=False).stdout or None, timeout=20, step=0.5,
             what=f"{host}: keepalived data dump")
    text = lab.exec(host, "cat /tmp/keepalived.data").stdout
    return dict(re.findall(r"VRRP Instance = (\S+).*?Effective priority = (\d+)", text, re.S))


def test_tracked_process_killed_moves_the_vips(pair, converged):
    """director_vrrp_track_processes (weight 0): dir1's lab-app killed faults its sync group, the VIPs
    and the gateway move to dir2 under a client stream; lab-app started again, dir1 preempts. The
    notify FIFO's reader logged both transitions."""
    since = host_time(pair, "dir1")
    results = {}
    thread = threading.Thread(target=lambda: results.__setitem__("dr", probe(pair, f"http://{DR_VIP}/", 20, None)))
    thread.start()
    time.sleep(4)
    pair.exec("dir1", "kill -KILL $(systemctl show -p MainPID --value lab-app.service)")
    try:
        start = time.monotonic()
        wait_for(lambda: holder(pair, DR_VIP) == ["dir2"] and holder(pair, GW) == ["dir2"], timeout=30, step=0.2, what="VIPs on dir2")
        moved = time.monotonic() - start
        thread.join()
        print(f"\ntracked process killed: VIPs on dir2 after {moved:.1f}s; client gap {gap(results['dr']):.2f}s "
              f"({failed(results['dr'])}/{len(results['dr'])} requests failed)")
        assert results["dr"][-1][1] and gap(results["dr"]) < 8
        assert fetch_split(pair, "cl1", f"http://{DR_VIP}/", 4) == {"rs1": 2, "rs2": 2}
    finally:
        pair.exec("dir1", "systemctl start lab-app.service")
    wait_for(lambda: holder(pair, DR_VIP) == ["dir1"] and holder(pair, GW) == ["dir1"], timeout=60, what="VIPs back on dir1")
    lines = notify_lines(pair, "dir1", since)
    assert 'GROUP "LVS" FAULT' in " ".join(lines) and any(line.startswith('GROUP "LVS" MASTER') for line in lines), lines
    wait_for(lambda: len(ipvs_servers(pair, "dir1", DR_VIP)) == 2 or None, timeout=60, what="dir1 checkers up")


def test_tracked_file_weight_changes_the_priority(pair, converged):
    """director_vrrp_track_files (weight -1): 60 in dir1's drain file makes its priority 150 - 60 = 90 in
    both instances of the sync group (keepalived's own count), below dir2's 100: dir2 takes the VIPs;
    0 again and dir1 is back at 150 and preempts."""
    assert effective_priorities(pair, "dir1") == {"LVS_FRONT": "150", "LVS_INSIDE": "150"}
    pair.exec("dir1", f"echo 60 > {DRAIN}")
    try:
        wait_for(lambda: effective_priorities(pair, "dir1") == {"LVS_FRONT": "90", "LVS_INSIDE": "90"}, timeout=30, step=1,
                 what="dir1 at priority 90")
        wait_for(lambda: holder(pair, DR_VIP) == ["dir2"] and holder(pair, GW) == ["dir2"], timeout=30, step=0.5, what="VIPs on dir2")
        assert fetch_split(pair, "cl1", f"http://{NAT_VIP}/", 4) == {"nat1": 2, "nat2": 2}
    finally:
        pair.exec("dir1", f"echo 0 > {DRAIN}")
    wait_for(lambda: holder(pair, DR_VIP) == ["dir1"] and holder(pair, GW) == ["dir1"], timeout=60, what="VIPs back on dir1")
    assert effective_priorities(pair, "dir1") == {"LVS_FRONT": "150", "LVS_INSIDE": "150"}
    wait_for(lambda: len(ipvs_servers(pair, "dir1", DR_VIP)) == 2 or None, timeout=60, what="dir1 checkers up")


# a client upload through a VIP: 1 KiB every 50 ms for SECONDS, then the sink's count (prepare.yml: lab-sink)
UPLOAD = r"""
import socket, sys, time
sent = 0
try:
    s = socket.create_connection((sys.argv[1], 9000), timeout=10)
    end = time.time() + float(sys.argv[2])
    while time.time() < end:
        s.sendall(b"x" * 1024)
        sent += 1024
        time.sleep(0.05)
    s.shutdown(socket.SHUT_WR)
    print("ok", sent, *s.recv(256).decode().split(), flush=True)
except OSError as exc:
    print("broken", sent, type(exc).__name__, flush=True)
"""
CLIENT = "192.0.2.100"  # cl1 (lab/topologies/pair.yml)


def uploads_across_failover(pair, seconds=30):
    """Uploads through the DR and the NAT VIP; dir1's keepalived stopped a third of the way in. Returns
    ({vip: [result, bytes sent, ...]}, dir2's connection table while it was the backup, the holders of
    the DR VIP and of the gateway when the uploads ended)."""
    results = {}

    def upload(vip):
        out = pair.client_exec("cl1", ["python3", "-c", UPLOAD, vip, str(seconds)], check=False, timeout=seconds + 60).stdout
        results[vip] = out.split()
    threads = [threading.Thread(target=upload, args=(vip,)) for vip in (DR_VIP, NAT_VIP)]
    for thread in threads:
        thread.start()
    time.sleep(seconds / 3)
    backup_table = pair.exec("dir2", "ipvsadm -Lnc").stdout
    pair.exec("dir1", "systemctl stop keepalived")
    try:
        for thread in threads:
            thread.join()
        holders = (holder(pair, DR_VIP), holder(pair, GW))
    finally:
        pair.exec("dir1", "systemctl start keepalived")
    return results, backup_table, holders


def synced(table, vip):
    return re.search(rf"TCP\s+\S+\s+ESTABLISHED\s+{re.escape(CLIENT)}:\d+\s+{re.escape(vip)}:9000\s", table)


def back_on_dir1(pair):
    wait_for(lambda: holder(pair, DR_VIP) == ["dir1"] and holder(pair, GW) == ["dir1"], timeout=60, what="VIPs back on dir1")
    wait_for(lambda: len(ipvs_servers(pair, "dir1", DR_VIP)) == 2 or None, timeout=60, what="dir1 checkers up")


def test_sync_daemon_keeps_uploads_through_a_failover(pair, converged):
    """director_lvs_sync_daemon_interface: dir1 sends its connections, dir2 holds them while BACKUP,
    so a 30 s upload through the DR VIP and one through the NAT VIP go on through dir2 after dir1's
    keepalived stops, every byte counted by the real server."""
    assert "master sync daemon (mcast=" in pair.exec("dir1", "ipvsadm -L --daemon").stdout
    assert "backup sync daemon (mcast=" in pair.exec("dir2", "ipvsadm -L --daemon").stdout
    results, backup_table, holders = uploads_across_failover(pair)
    try:
        print(f"\nwith the sync daemon: DR {results[DR_VIP]}, NAT {results[NAT_VIP]}\ndir2's table as BACKUP:\n{backup_table}")
        assert holders == (["dir2"], ["dir2"]), holders  # the uploads ended through dir2
        assert synced(backup_table, DR_VIP) and synced(backup_table, NAT_VIP), backup_table
        for vip, real_servers in ((DR_VIP, ("rs1", "rs2")), (NAT_VIP, ("nat1", "nat2"))):
            status, sent, host, received = results[vip]
            assert status == "ok" and sent == received and host in real_servers, results
    finally:
        back_on_dir1(pair)


def test_without_sync_daemon_the_uploads_break(pair, converged):
    """The same uploads with the sync daemons stopped: dir2 has no entry for them and they break,
    so the test above can fail."""
    pair.exec("dir1", "ipvsadm --stop-daemon master")
    pair.exec("dir2", "ipvsadm --stop-daemon backup")
    try:
        results, backup_table, holders = uploads_across_failover(pair)
        print(f"\nwithout the sync daemon: DR {results[DR_VIP]}, NAT {results[NAT_VIP]}")
        assert holders == (["dir2"], ["dir2"]), holders
        assert not synced(backup_table, DR_VIP) and not synced(backup_table, NAT_VIP), backup_table
        assert results[DR_VIP][0] == "broken" and results[NAT_VIP][0] == "broken", results
    finally:
        back_on_dir1(pair)
        # keepalived starts the daemons on its state changes: a restart of the BACKUP brings back its own
        pair.exec("dir2", "systemctl restart keepalived")
        wait_for(lambda: "backup sync daemon" in pair.exec("dir2", "ipvsadm -L --daemon").stdout
                 and "master sync daemon" in pair.exec("dir1", "ipvsadm -L --daemon").stdout, timeout=60, what="sync daemons back")


CLIENT_HOLD = r"""
import socket, sys, time, os
s = socket.create_connection((sys.argv[1], 80), timeout=5)
print("connected", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.2)
s.settimeout(10)
s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.decode().split("\r\n")[0], data.decode().rsplit("\n", 2)[-2], flush=True)
"""


def _weighted(weight):
    model = yaml.safe_load((SCEN / "group_vars" / "all.yml").read_text())["lvs_virtual_services"]
    model[0]["real_servers"][1]["weight"] = weight
    return model


def test_check_mode_counts_only_the_real_change(pair, converged):
    """--check --diff of a one-line change (rs2's weight 1 -> 3): one change per director, the
    keepalived.conf diff; the notified reload is no change of its own (it ran as a second one
    before) and nothing is written or reloaded."""
    before = {d: (pair.exec(d, f"sha256sum {CONF}").stdout, keepalived_pid(pair, d)) for d in DIRECTORS}
    proc = pair.run_playbook(SCEN / "converge.yml", extra_vars={"lvs_virtual_services": _weighted(3)}, args=("--check", "--diff"))
    rc = recap(proc.stdout)
    assert {h: rc[h]["changed"] for h in (*DIRECTORS, "rs1", "rs2", "nat1", "nat2")} == \
        {"dir1": 1, "dir2": 1, "rs1": 0, "rs2": 0, "nat1": 0, "nat2": 0}, changed_tasks(proc.stdout)
    render = "lvs.cluster.director : Render keepalived.conf (validated with keepalived -t before it replaces the live file)"
    assert changed_tasks(proc.stdout) == [render, render], changed_tasks(proc.stdout)
    assert re.search(r"^\+\s+weight 3$", proc.stdout, re.M), proc.stdout[-3000:]
    assert {d: (pair.exec(d, f"sha256sum {CONF}").stdout, keepalived_pid(pair, d)) for d in DIRECTORS} == before


def test_reload_keeps_established_connection(pair, converged, tmp_path):
    go = tmp_path / "go"  # the client netns shares this host's filesystem
    pids = {d: keepalived_pid(pair, d) for d in DIRECTORS}
    client = subprocess.Popen([str(LVSLAB), "--name", pair.name, "exec", "cl1", "--", "python3", "-c", CLIENT_HOLD, DR_VIP, str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert client.stdout.readline().strip() == "connected"
        # a real config change: rs2's weight 1 -> 3
        # the directors only: the real servers' side of a weight change is nothing (the check-mode test counts it)
        changed = pair.run_playbook(SCEN / "converge.yml", extra_vars={"lvs_virtual_services": _weighted(3)}, args=("--limit", "dir1,dir2"))
        assert "Reload keepalived" in changed.stdout, changed_tasks(changed.stdout)
        assert "weight 3" in pair.exec("dir1", f"cat {CONF}").stdout
        wait_for(lambda: ("192.0.2.12", "3") in ipvs_servers(pair, "dir1", DR_VIP) or None, timeout=30, what="weight 3 live")
        assert {d: keepalived_pid(pair, d) for d in DIRECTORS} == pids, "keepalived was restarted, not reloaded"
        go.write_text("go")
        out, err = client.communicate(timeout=30)
        assert "200" in out, (out, err)
        assert out.strip().split()[-1] in ("rs1", "rs2"), out
    finally:
        if client.poll() is None:
            client.kill()
    # no converge back to weight 1: what follows does not depend on it (rr ignores weights; the
    # invalid-variable test compares the live file before and after), and that run cost ~150 s


def test_invalid_variable_fails_with_keepalived_message_and_keeps_live_file(pair, converged):
    before = {d: (pair.exec(d, f"sha256sum {CONF}").stdout, keepalived_pid(pair, d)) for d in DIRECTORS}
    bad = {"director_vrrp_track_scripts": [{"name": "chk_missing", "script": "/usr/local/bin/no-such-check"}]}
    proc = pair.run_playbook(SCEN / "converge.yml", extra_vars=bad, args=("--limit", "dir1,dir2"), check=False)
    assert proc.returncode != 0
    assert "Disabling track script chk_missing since not found/accessible" in proc.stdout, proc.stdout[-4000:]
    assert "failed validation" in proc.stdout or "validat" in proc.stdout.lower()
    after = {d: (pair.exec(d, f"sha256sum {CONF}").stdout, keepalived_pid(pair, d)) for d in DIRECTORS}
    assert after == before
    assert pair.exec("dir1", "systemctl is-active keepalived").stdout.strip() == "active"
    assert fetch_split(pair, "cl1", f"http://{DR_VIP}/", 4) == {"rs1": 2, "rs2": 2}
