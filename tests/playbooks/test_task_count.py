"""The number of tasks per host does not grow with the number of services: loops live inside the
modules and roles, never over tasks. Counted with --list-tasks (static: roles, imports) for the
lab-mixed example with 1 and with 50 DR services; the lab suite counts executed tasks too."""
import re

import yaml

from conftest import EXAMPLES, PLAYBOOKS


def services(n):
    return [{"name": f"svc{i}", "address": f"192.0.2.{10 + i}", "port": 80, "forwarding": "direct",
             "real_servers": [{"host": "rs1"}, {"host": "rs2"}]} for i in range(n)]


def count_tasks(ansible_playbook, tmp_path, playbook, n):
    extra = tmp_path / f"svc{n}.yml"
    extra.write_text(yaml.safe_dump({"lvs_virtual_services": services(n)}))
    p = ansible_playbook(PLAYBOOKS / playbook, EXAMPLES["lab-mixed"], "--list-tasks", "-e", f"@{extra}")
    per_play = {}
    play = None
    for line in p.stdout.splitlines():
        m = re.match(r"\s+play #\d+ \(([^)]*)\): (.*?)\tTAGS", line)
        if m:
            play = m.group(2)
            per_play[play] = 0
        elif play and re.match(r"\s{6}\S.*TAGS:", line):
            per_play[play] += 1
    return per_play


def test_site_tasks_do_not_grow_with_services(ansible_playbook, tmp_path):
    one = count_tasks(ansible_playbook, tmp_path, "site.yml", 1)
    fifty = count_tasks(ansible_playbook, tmp_path, "site.yml", 50)
    print("site.yml tasks per play, 1 service:", one)
    print("site.yml tasks per play, 50 services:", fifty)
    assert sum(one.values()) > 20  # the roles' tasks are listed, not just the play headers
    assert one == fifty


def test_rolling_tasks_do_not_grow_with_services(ansible_playbook, tmp_path):
    one = count_tasks(ansible_playbook, tmp_path, "rolling.yml", 1)
    fifty = count_tasks(ansible_playbook, tmp_path, "rolling.yml", 50)
    print("rolling.yml tasks per play, 1 vs 50 services:", one, fifty)
    assert sum(one.values()) > 10
    assert one == fifty
