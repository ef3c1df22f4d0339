"""lvs.cluster.director in static mode (director_keepalived: false) on the smoke lab: one director VM
programmed with lvs.cluster.ipvs_table from the service model, two DR real servers (set up by
molecule/dr_real_server), one client. Converge and idempotence; the kernel table is the model;
requests split; --check --diff previews a weight change and leaves the kernel alone; purge removes
a foreign service on the model's VIP and keeps one elsewhere; the table comes back after a reboot
of the VM without Ansible (Debian's /etc/ipvsadm.rules with AUTO="true").
Run: pytest tests/lab/test_director_static.py     (root; boots its own lab)"""
import re

import pytest

from conftest import ROOT
from test_rs_support import assert_idempotent, fetch_split, reboot_vm, recap

pytestmark = pytest.mark.lab

DRS = ROOT / "molecule" / "dr_real_server"
PLAY = ROOT / "tests" / "lab" / "director_static.yml"
TOPOLOGY = ROOT / "lab" / "topologies" / "smoke.yml"
VIP = "192.0.2.10"
EXPECTED = [
    "-A -t 192.0.2.10:80 -s wrr",
    "-a -t 192.0.2.10:80 -r 192.0.2.11:80 -g -w 1",
    "-a -t 192.0.2.10:80 -r 192.0.2.12:80 -g -w 1",
    "-A -u 192.0.2.10:53 -s rr -p 120",
    "-a -u 192.0.2.10:53 -r 192.0.2.11:53 -g -w 1",
    "-a -u 192.0.2.10:53 -r 192.0.2.12:53 -g -w 1",
]


def model(weight2=1, purge=False):
    return {
        "director_static_purge": purge,
        "lvs_virtual_services": [
            {"name": "web", "address": VIP, "port": 80, "scheduler": "wrr", "forwarding": "direct",
             "real_servers": [{"host": "rs1"}, {"host": "rs2", "weight": weight2}]},
            {"name": "dns", "address": VIP, "port": 53, "protocol": "udp", "scheduler": "rr", "forwarding": "direct",
             "persistence": {"timeout": 120}, "real_servers": [{"host": "rs1"}, {"host": "rs2"}]},
        ],
    }


def table(lab):
    return sorted(line.strip() for line in lab.exec("dir1", "ipvsadm -S -n").stdout.splitlines() if line.strip())


@pytest.fixture(scope="module")
def static(lab_factory):
    lab = lab_factory(TOPOLOGY, "st")
    lab.run_playbook(DRS / "prepare.yml", args=("--limit", "rs1,rs2"))  # the web servers only
    lab.run_playbook(DRS / "converge.yml")
    return lab


@pytest.fixture(scope="module")
def converged(static):
    first = static.run_playbook(PLAY, extra_vars=model())
    second = static.run_playbook(PLAY, extra_vars=model())
    return first.stdout, second.stdout


def test_converge_then_idempotent(converged):
    first, second = converged
    assert recap(first)["dir1"]["changed"] > 0
    assert_idempotent(second, ["dir1"])


def test_kernel_table_is_the_model_and_no_keepalived(static, converged):
    assert table(static) == sorted(EXPECTED)
    assert static.exec("dir1", "systemctl is-active keepalived", check=False).stdout.strip() != "active"
    assert static.exec("dir1", "test -e /etc/keepalived/keepalived.conf", check=False).returncode != 0


def test_requests_split(static, converged):
    assert fetch_split(static, "cl1", f"http://{VIP}/", 20) == {"rs1": 10, "rs2": 10}


def test_check_diff_previews_a_weight_change_and_changes_nothing(static, converged):
    before = table(static)
    p = static.run_playbook(PLAY, extra_vars=model(weight2=3), args=("--check", "--diff"))
    assert recap(p.stdout)["dir1"]["changed"] > 0
    assert re.search(r"^\+-a -t 192\.0\.2\.10:80 -r 192\.0\.2\.12:80 -g -w 3( |$)", p.stdout, re.M), p.stdout[-4000:]
    assert table(static) == before
    assert sorted(static.exec("dir1", "cat /etc/ipvsadm.rules").stdout.split("\n")) == sorted(
        static.exec("dir1", "ipvsadm -S -n").stdout.split("\n")), "check mode rewrote the saved table"


def test_purge_removes_foreign_services_on_the_model_vips_only(static, converged):
    static.exec("dir1", "ipvsadm -A -t 192.0.2.10:8080 -s rr && ipvsadm -A -t 192.0.2.99:80 -s rr")
    static.run_playbook(PLAY, extra_vars=model())  # purge off: both stay
    assert "-A -t 192.0.2.10:8080 -s rr" in table(static)
    static.run_playbook(PLAY, extra_vars=model(purge=True))
    now = table(static)
    assert "-A -t 192.0.2.10:8080 -s rr" not in now and "-A -t 192.0.2.99:80 -s rr" in now
    static.exec("dir1", "ipvsadm -D -t 192.0.2.99:80")
    static.run_playbook(PLAY, extra_vars=model())  # the saved file follows the kernel again
    assert table(static) == sorted(EXPECTED)


def test_table_survives_a_reboot_without_ansible(static, converged):
    saved = static.exec("dir1", "cat /etc/ipvsadm.rules").stdout
    assert sorted(line.strip() for line in saved.splitlines() if line.strip()) == sorted(EXPECTED)
    assert 'AUTO="true"' in static.exec("dir1", "cat /etc/default/ipvsadm").stdout
    reboot_vm(static, "dir1")
    assert table(static) == sorted(EXPECTED)
    # the VIP belongs to the user's cluster manager (here: the test), not to static mode
    static.exec("dir1", f"ip addr replace {VIP}/32 dev {static.hostvars('dir1')['lab_front_interface']}")
    assert fetch_split(static, "cl1", f"http://{VIP}/", 10) == {"rs1": 5, "rs2": 5}
