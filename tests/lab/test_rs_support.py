"""Helpers shared by the real-server role suites (test_rs_*.py), with tests of their own parsing.

The lab's containers keep their network namespace across `podman restart` (the lab owns the
netns), so a restart alone would not show that anything persists: ``reboot_container`` first
wipes the runtime state the roles created (addresses on lo, ARP sysctls, arptables, routes),
then restarts the container; whatever comes back came from the persistent configuration.
"""
import re
import time
from collections import Counter

RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def recap(output: str) -> dict:
    """{host: {ok, changed, unreachable, failed}} from an ansible-playbook PLAY RECAP."""
    return {m[1]: {"ok": int(m[2]), "changed": int(m[3]), "unreachable": int(m[4]), "failed": int(m[5])}
            for m in RECAP.finditer(output)}


def assert_idempotent(output: str, hosts) -> None:
    rc = recap(output)
    for host in hosts:
        assert host in rc, f"{host} not in the recap:\n{output[-3000:]}"
        assert rc[host]["changed"] == 0 and rc[host]["failed"] == 0, f"{host} not idempotent: {rc[host]}\n{output[-6000:]}"


def changed_tasks(output: str) -> list:
    """Names of tasks that reported changed (for failure messages)."""
    tasks, current = [], None
    for line in output.splitlines():
        if line.startswith("TASK ["):
            current = line[6:].split("]")[0]
        elif line.startswith("changed:") and current:
            tasks.append(current)
    return tasks


def fetch_split(lab, client: str, url: str, n: int = 20) -> Counter:
    """GET url n times from the client (new connection each time); Counter of the page bodies."""
    cmd = f"for i in $(seq {n}); do curl -s --max-time 3 {url} || echo FAIL; done"
    out = lab.client_exec(client, cmd).stdout
    return Counter(line.strip() for line in out.splitlines() if line.strip())


def wait_for(predicate, timeout: float = 120, step: float = 2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except AssertionError as exc:  # a lab exec that failed: try again
            last = exc
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def container_name(lab, host: str) -> str:
    return lab.hostvars(host)["ansible_host"]


def reboot_container(lab, host: str, wipe: str) -> None:
    """Wipe the runtime state (shell snippet ``wipe``), then `lvslab reboot` the container (podman
    restart; it waits until systemd is up again)."""
    lab.exec(host, wipe)
    lab.cli("reboot", host, timeout=300)
    assert lab.exec(host, "systemctl is-system-running", check=False).stdout.strip() in ("running", "degraded")


def reboot_vm(lab, host: str, timeout: float = 300) -> None:
    """`lvslab reboot` a lab VM (systemctl reboot inside; the CLI waits for a new boot_id and systemd up)."""
    boot_id = lab.exec(host, "cat /proc/sys/kernel/random/boot_id").stdout
    lab.cli("reboot", host, timeout=timeout + 60)
    assert lab.exec(host, "cat /proc/sys/kernel/random/boot_id").stdout not in ("", boot_id)


def test_recap_parser():
    out = ("PLAY RECAP *********\n"
           "rs1                        : ok=12   changed=0    unreachable=0    failed=0    skipped=9\n"
           "rs2                        : ok=13   changed=2    unreachable=0    failed=1    skipped=8\n")
    assert recap(out) == {"rs1": {"ok": 12, "changed": 0, "unreachable": 0, "failed": 0},
                          "rs2": {"ok": 13, "changed": 2, "unreachable": 0, "failed": 1}}
    assert_idempotent(out, ["rs1"])
    try:
        assert_idempotent(out, ["rs2"])
    except AssertionError:
        pass
    else:
        raise AssertionError("a changed host passed as idempotent")


def test_changed_tasks():
    out = "TASK [a : Put VIPs] ***\nchanged: [rs1]\nTASK [a : ok one] ***\nok: [rs1]\n"
    assert changed_tasks(out) == ["a : Put VIPs"]
