"""Smoke test of the lab itself: boot the smoke topology, prove each kind of host does what the
other suites rely on (IPVS in the VM, sysctls in a container, client reachability, Ansible over
ssh and podman), then tear down and prove nothing recorded is left - also after a failed `up`."""
import os
import subprocess
import textwrap
import time

import pytest

from conftest import DEFAULT_TOPOLOGY, LVSLAB, LabHandle

RELEASE = os.environ.get("LVSLAB_RELEASE") or "bookworm"  # what smoke.yml (no release: key) runs on
VERSION = {"bookworm": "12", "trixie": "13"}

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def smoke(lab_factory) -> LabHandle:
    t0 = time.monotonic()
    h = lab_factory(DEFAULT_TOPOLOGY, "s")
    print(f"smoke lab up in {time.monotonic() - t0:.1f} s")
    return h


def test_inventory_shape(smoke):
    inv = smoke.inventory()["all"]["children"]
    assert set(inv["lab_vms"]["hosts"]) == {"dir1"}
    assert set(inv["lab_containers"]["hosts"]) == {"rs1", "rs2"}
    assert set(inv["lab_clients"]["hosts"]) == {"cl1"}
    rs1 = smoke.hostvars("rs1")
    assert rs1["lvs_real_server_address"] == "192.0.2.11"
    assert rs1["lvs_real_server_address6"] == "2001:db8:1::11"
    assert {h: smoke.hostvars(h).get("lab_release") for h in ("dir1", "rs1", "rs2", "cl1")} == \
        {"dir1": RELEASE, "rs1": RELEASE, "rs2": RELEASE, "cl1": None}
    assert smoke.hostvars("cl1")["lab_routes"] == [{"to": "2001:db8:5::/64", "via": "2001:db8:1::2"}]
    # containers: ssh to their own sshd through their netns (no podman connection)
    assert "ansible_connection" not in rs1 and rs1["ansible_host"] == rs1["lab_container"]
    assert f"ip netns exec {rs1['lab_netns']} nc 127.0.0.1 22" in rs1["ansible_ssh_common_args"]
    cl1 = smoke.hostvars("cl1")
    assert "ansible_connection" not in cl1 and cl1["lab_netns"].startswith("lvslab-")
    dir1 = smoke.hostvars("dir1")
    assert dir1["lab_macs"]["front"] == "52:54:00:01:00:01"
    assert dir1["lab_front_interface"] == "eth1"


def test_hosts_run_the_release(smoke):
    """The VM and the containers run the Debian release the lab was asked for (LVSLAB_RELEASE)."""
    for host in ("dir1", "rs1"):
        osr = smoke.exec(host, ". /etc/os-release; echo $VERSION_CODENAME $VERSION_ID").stdout.split()
        assert osr == [RELEASE, VERSION[RELEASE]], (host, osr)
    kernel = smoke.exec("dir1", "uname -r").stdout.strip()
    print(f"smoke lab on Debian {VERSION[RELEASE]} ({RELEASE}), director kernel {kernel}")
    assert kernel.startswith({"bookworm": "6.1.", "trixie": "6.12."}[RELEASE]), kernel
    # systemd-networkd runs in the containers too (trixie's needs CAP_SYS_ADMIN in the container's init)
    assert smoke.exec("rs1", "systemctl is-active systemd-networkd", check=False).stdout.strip() == "active"


def test_routes_from_the_topology(smoke):
    """`routes:` reach the client (ip route, set from outside) and the VM (networkd [Route])."""
    out = smoke.client_exec("cl1", "ip -6 route show 2001:db8:5::/64").stdout
    assert "via 2001:db8:1::2" in out, out
    out = smoke.exec("dir1", "ip -6 route show 2001:db8:6::/64").stdout
    assert "via 2001:db8:2::11 dev eth2" in out, out


def test_ipvs_in_director_vm(smoke):
    out = smoke.exec("dir1", "modprobe ip_vs && ipvsadm -A -t 192.0.2.10:80 -s rr && ipvsadm -Ln").stdout
    assert "TCP  192.0.2.10:80 rr" in out
    smoke.exec("dir1", "ipvsadm -D -t 192.0.2.10:80")
    assert "192.0.2.10:80" not in smoke.exec("dir1", "ipvsadm -Ln").stdout


def test_director_interfaces_persistent_config(smoke):
    out = smoke.exec("dir1", "ip -br addr show eth1; ip -br addr show eth2").stdout
    assert "192.0.2.2/24" in out and "198.51.100.2/24" in out and "2001:db8:1::2/64" in out
    files = smoke.exec("dir1", "ls /etc/systemd/network").stdout.split()
    assert {"10-lvslab-eth0.network", "10-lvslab-eth1.network", "10-lvslab-eth2.network"} <= set(files)


def test_sysctl_in_container(smoke):
    smoke.exec("rs1", "sysctl -w net.ipv4.conf.all.arp_ignore=1")
    assert smoke.exec("rs1", "sysctl -n net.ipv4.conf.all.arp_ignore").stdout.strip() == "1"
    assert smoke.exec("rs2", "systemctl is-system-running", check=False).stdout.strip() in ("running", "degraded")


def test_client_reaches_director_and_real_servers(smoke):
    smoke.client_exec("cl1", "ping -c 1 -W 3 192.0.2.2")
    smoke.client_exec("cl1", "ping -c 1 -W 3 2001:db8:1::2")
    smoke.client_exec("cl1", "ping -c 1 -W 3 192.0.2.11")


def test_ansible_reaches_vm_and_containers(smoke, tmp_path):
    pb = tmp_path / "trivial.yml"
    pb.write_text(textwrap.dedent("""\
        - hosts: lab_vms:lab_containers
          gather_facts: false
          tasks:
            - ansible.builtin.ping:
            - ansible.builtin.command: cat /etc/hostname
              register: hn
              changed_when: false
            - ansible.builtin.assert:
                that: hn.stdout == inventory_hostname
        """))
    out = smoke.run_playbook(pb).stdout
    for host in ("dir1", "rs1", "rs2"):
        assert f"{host}" in out and "failed=0" in out
    assert out.count("ok=3") == 3, out


def test_reboot_and_restart(smoke):
    """`lvslab reboot` (from inside) and `restart` (power cycle) bring a VM and a container back
    with their addresses; a VM's QEMU keeps its PID on reboot and gets a new one on restart."""
    def boot_id(host):
        return smoke.exec(host, "cat /proc/sys/kernel/random/boot_id").stdout.strip()

    def qemu_pid():
        return smoke.recorded["vms"]["dir1"]["pid"]

    smoke._snapshot()
    before, pid = boot_id("dir1"), qemu_pid()
    smoke.cli("reboot", "dir1")
    smoke._snapshot()
    assert boot_id("dir1") != before and qemu_pid() == pid
    before = boot_id("dir1")
    smoke.cli("restart", "dir1")
    smoke._snapshot()
    assert boot_id("dir1") != before and qemu_pid() != pid
    assert "192.0.2.2/24" in smoke.exec("dir1", "ip -br addr show eth1").stdout
    for cmd in ("reboot", "restart"):
        smoke.exec("rs1", "touch /run/lvslab-test-before")  # /run is a tmpfs: gone after a new start
        smoke.cli(cmd, "rs1")
        assert smoke.exec("rs1", "systemctl is-system-running", check=False).stdout.strip() in ("running", "degraded")
        assert smoke.exec("rs1", "test -e /run/lvslab-test-before", check=False).returncode == 1, cmd
    smoke.client_exec("cl1", "ping -c 1 -W 3 192.0.2.11")
    smoke.client_exec("cl1", "ping -c 1 -W 3 192.0.2.2")
    p = smoke.cli("reboot", "cl1", check=False)
    assert p.returncode == 1 and "nothing to reboot" in p.stderr


def test_env_lets_playbooks_run_by_hand(smoke):
    """`eval "$(lvslab env)"` in a shell without any ANSIBLE_* variable nor the venv on PATH is all a
    user needs to run the collection's playbooks by FQCN against the lab, from any directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    script = (f'eval "$({LVSLAB} --name {smoke.name} env)" && cd / && '
              "ansible-playbook lvs.cluster.verify --syntax-check && "
              "ansible lab_vms:lab_containers -m ansible.builtin.ping -o")
    p = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert all(f"{h} | SUCCESS" in p.stdout for h in ("dir1", "rs1", "rs2")), p.stdout


def test_lab_podman(smoke):
    """`lvslab podman ...` reaches the lab's private podman storage (plain podman does not)."""
    out = smoke.cli("podman", "ps", "-a", "--filter", f"label=lvslab={smoke.name}", "--format", "{{.Names}}").stdout
    assert sorted(out.split()) == [f"{smoke.name}-rs1", f"{smoke.name}-rs2"], out


def test_down_leaves_nothing(smoke):
    assert smoke.recorded.get("vms") and smoke.recorded.get("containers") and smoke.recorded.get("netns")
    t0 = time.monotonic()
    smoke.down()
    print(f"down in {time.monotonic() - t0:.1f} s")
    assert smoke.leftovers() == {"netns": [], "qemu_pids": [], "containers": [], "run_dir": False}
    # idempotent
    assert "nothing to do" in smoke.cli("down").stdout


def test_down_after_failed_up(lab_factory):
    h = lab_factory(DEFAULT_TOPOLOGY, "f", up=False)
    with pytest.raises(AssertionError, match="forced failure"):
        h.up(env={"LVSLAB_FAIL_AFTER": "containers"})
    # the partial state recorded a running VM, containers and namespaces
    assert h.recorded["vms"]["dir1"]["pid"] and len(h.recorded["containers"]) == 2
    assert h.leftovers()["qemu_pids"] and h.leftovers()["netns"]
    h.down()
    assert h.leftovers() == {"netns": [], "qemu_pids": [], "containers": [], "run_dir": False}


def test_bad_topology_creates_nothing(lab_factory, tmp_path):
    topo = tmp_path / "bogus.yml"
    topo.write_text("hosts:\n  - {name: x1, kind: bogus, front: 192.0.2.50/24}\n")
    h = lab_factory(topo, "b", up=False)
    p = h.cli("up", topo, check=False)
    assert p.returncode == 1 and "kind must be one of" in p.stderr
    assert not h.run_dir.exists()
    topo.write_text("hosts:\n  - {name: x1, kind: client, front: 10.1.2.3/24}\n")
    p = h.cli("up", topo, check=False)
    assert p.returncode == 1 and "outside the lab's front ranges" in p.stderr
