"""Every example inventory under playbooks/inventories/ is exercised: the playbooks parse with it,
its service model normalises and its groups match (site.yml's first play, controller only), the
verify plan derives a target per probe-able service, and the rolling plan accepts serial 1."""
import re

import pytest

from conftest import EXAMPLES, PLAYBOOKS

PLAYS = ["site.yml", "rolling.yml", "verify.yml", "status.yml", "lab-backends.yml"]


def test_every_example_inventory_is_listed_here():
    on_disk = {p.name for p in (PLAYBOOKS / "inventories").iterdir() if p.is_dir()}
    assert on_disk == set(EXAMPLES), "add the new example to tests/playbooks/conftest.py EXAMPLES"


@pytest.mark.parametrize("example", sorted(EXAMPLES))
@pytest.mark.parametrize("playbook", PLAYS)
def test_syntax(ansible_playbook, example, playbook):
    ansible_playbook(PLAYBOOKS / playbook, EXAMPLES[example], "--syntax-check")


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_model_and_groups(ansible_playbook, example):
    p = ansible_playbook(PLAYBOOKS / "site.yml", EXAMPLES[example], "--tags", "site_model")
    assert "virtual service(s) for" in p.stdout
    assert "failed=0" in p.stdout and "failed=1" not in p.stdout


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_verify_plan(ansible_playbook, example):
    p = ansible_playbook(PLAYBOOKS / "verify.yml", EXAMPLES[example], "--tags", "verify_plan")
    out = " ".join(p.stdout.split())  # the yaml callback folds long messages
    assert "not probed (give verify_targets): none" in out, p.stdout


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_rolling_plan(ansible_playbook, example):
    p = ansible_playbook(PLAYBOOKS / "rolling.yml", EXAMPLES[example], "--tags", "rolling_plan",
                         extra_vars={"rolling_tasks": "/nonexistent/only-the-plan-runs.yml"})
    assert "Check that every pool keeps a serving real server" in p.stdout


def test_rolling_refuses_a_batch_that_empties_a_pool(ansible_playbook):
    p = ansible_playbook(PLAYBOOKS / "rolling.yml", EXAMPLES["lab-mixed"], "--tags", "rolling_plan",
                         extra_vars={"rolling_tasks": "/x.yml", "rolling_serial": 2}, check=False)
    assert p.returncode != 0
    assert "would leave web-dr without a real server of weight > 0" in " ".join(p.stdout.split())


def test_rolling_needs_a_change(ansible_playbook):
    p = ansible_playbook(PLAYBOOKS / "rolling.yml", EXAMPLES["lab-mixed"], "--tags", "rolling_plan", check=False)
    assert p.returncode != 0 and "rolling.yml needs the change" in " ".join(p.stdout.split())


def test_site_refuses_a_host_outside_its_group(ansible_playbook, tmp_path):
    (tmp_path / "hosts.yml").write_text(
        "all:\n  children:\n    lvs_directors:\n      hosts:\n        lb1: {ansible_host: 203.0.113.2}\n"
        "    lvs_nat_real_servers:\n      hosts:\n        web1: {lvs_real_server_address: 192.0.2.11}\n"
        "  vars:\n    lvs_virtual_services:\n      - {name: web, address: 192.0.2.10, port: 80, forwarding: direct,"
        " real_servers: [{host: web1}]}\n")
    p = ansible_playbook(PLAYBOOKS / "site.yml", [tmp_path / "hosts.yml"], "--tags", "site_model", check=False)
    assert p.returncode != 0
    assert "web: web1 (direct) is in none of lvs_dr_real_servers, lvs_windows_real_servers" in " ".join(p.stdout.split())


def test_site_orders_real_servers_before_directors(ansible_playbook):
    p = ansible_playbook(PLAYBOOKS / "site.yml", EXAMPLES["lab-mixed"], "--list-hosts")
    plays = [line for line in p.stdout.splitlines() if line.strip().startswith("play #")]
    names = [line.split("): ", 1)[1] for line in plays]
    rs = [i for i, n in enumerate(names) if "real servers" in n]
    director = [i for i, n in enumerate(names) if n.startswith("Directors")]
    assert rs and director and max(rs) < min(director), names


BAD_MODEL = ("all:\n  children:\n    lvs_directors:\n      hosts:\n        lb1: {ansible_host: 203.0.113.2}\n"
             "    lvs_dr_real_servers:\n      hosts:\n        web1: {lvs_real_server_address: 192.0.2.11}\n"
             "  vars:\n    lvs_virtual_services:\n      - {name: web, address: 192.0.2.10, port: 80, persistence: {timout: 60},"
             " real_servers: [{host: web1}]}\n")


def test_a_model_error_is_the_first_line_from_the_controller(ansible_playbook, tmp_path):
    (tmp_path / "hosts.yml").write_text(BAD_MODEL)
    p = ansible_playbook(PLAYBOOKS / "site.yml", [tmp_path / "hosts.yml"], check=False)
    assert p.returncode != 0
    out = p.stdout + p.stderr
    fatal = [line for line in out.splitlines() if "FAILED!" in line]
    assert fatal == ["fatal: [localhost]: FAILED! => "], out[-3000:]
    # the error line: ansible-core's "Task failed: Action failed:" and then the field's path, no finalization prefix
    errors = [line for line in out.splitlines() if line.startswith("[ERROR]")]
    assert errors[0].startswith("[ERROR]: Task failed: Action failed: lvs_virtual_services[0].persistence.timout: unknown key 'timout'"), errors
    assert "Finalization of task args" not in out and "lb1" not in errors[0]
    assert "Could not match supplied host pattern" not in out
    # nothing ran on any host: the plays after the check never started
    assert "PLAY [DR real servers" not in p.stdout


def test_groups_the_inventory_lacks_give_no_warning(ansible_playbook):
    # the dr example has no NAT, TUN or Windows real servers
    p = ansible_playbook(PLAYBOOKS / "site.yml", EXAMPLES["dr"], "--list-hosts")
    assert "Could not match supplied host pattern" not in p.stdout + p.stderr, p.stderr
    assert "lvs_tun_real_servers" not in p.stdout + p.stderr


def test_verify_names_persistence_as_the_reason_a_service_sticks(ansible_playbook, tmp_path):
    """A persistent service (scheduler wlc) is shown, not judged, because of its persistence: the note
    names persistence and its timeout, never the scheduler; a hashing scheduler names the scheduler."""
    (tmp_path / "hosts.yml").write_text(
        "all:\n  children:\n    lvs_directors:\n      hosts:\n        lb1: {ansible_host: 203.0.113.2}\n"
        "    lvs_dr_real_servers:\n      hosts:\n        web1: {lvs_real_server_address: 192.0.2.11}\n"
        "  vars:\n    lvs_virtual_services:\n"
        "      - {name: sticky, address: 192.0.2.10, port: 80, scheduler: wlc, forwarding: direct,"
        " persistence: {timeout: 1800}, real_servers: [{host: web1}]}\n"
        "      - {name: hashed, address: 192.0.2.20, port: 80, scheduler: sh, forwarding: direct,"
        " real_servers: [{host: web1}]}\n"
        "      - {name: plain, address: 192.0.2.30, port: 80, scheduler: wlc, forwarding: direct,"
        " real_servers: [{host: web1}]}\n")
    p = ansible_playbook(PLAYBOOKS / "verify.yml", [tmp_path / "hosts.yml"], "--tags", "verify_plan", "-v")
    out = " ".join(p.stdout.split())
    notes = dict(re.findall(r"name: (sticky|hashed|plain) note: '?([^']*?)'? url:", out))
    assert notes == {"sticky": "persistence (timeout 1800 s): one client sticks to one real server, distribution not judged",
                     "hashed": "scheduler sh (hashing/locality): one client sticks to one real server, distribution not judged",
                     "plain": ""}, out[-4000:]
