# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host-side director tests: render the role's templates with ansible-playbook on the controller
(connection local, nothing on this host changes) and check them with the local keepalived."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCENARIOS = sorted(p.stem for p in (HERE / "scenarios").glob("*.yml"))


def _bin(name):
    venv = Path(sys.executable).parent / name
    return str(venv) if venv.exists() else shutil.which(name)


def interfaces():
    """Two existing non-loopback interfaces (keepalived -t checks that interfaces exist)."""
    names = sorted(n for n in os.listdir("/sys/class/net") if n != "lo")
    if not names:
        pytest.skip("no network interface besides lo")
    front = os.environ.get("DIRECTOR_TEST_FRONT") or ("eth0" if "eth0" in names else names[0])

    def multicast(name):
        try:
            return int(open("/sys/class/net/%s/flags" % name).read(), 16) & 0x1000
        except OSError:
            return False
    inside = os.environ.get("DIRECTOR_TEST_INSIDE") or next((n for n in names if n != front and multicast(n)), front)
    return front, inside


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory):
    """A copy of this checkout at .../ansible_collections/lvs/cluster (tests/collection-tree.sh)."""
    if os.environ.get("DIRECTOR_TEST_COLLECTIONS"):
        return os.environ["DIRECTOR_TEST_COLLECTIONS"]
    base = tmp_path_factory.mktemp("coll")
    subprocess.run(["bash", str(ROOT / "tests" / "collection-tree.sh"), str(base / "ansible_collections" / "lvs" / "cluster")], check=True)
    return str(base)


def run_playbook(collections_path, playbook, extra_vars, workdir, inventory=HERE / "inventory.yml"):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_STDOUT_CALLBACK="default")
    env.pop("ANSIBLE_CONFIG", None)
    cmd = [_bin("ansible-playbook"), "-i", str(inventory), str(playbook), "-e", json.dumps(extra_vars)]
    return subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, check=False)


def render_all(collections_path, out, front, inside):
    """Render every scenario for dir1 and dir2 into ``out`` with one ansible-playbook run.
    {scenario: {host: {"conf", "original", "auth", "path"}}}; "conf" points the auth include at
    the rendered copy, "original" keeps the live path."""
    role = Path(collections_path) / "ansible_collections" / "lvs" / "cluster" / "roles" / "director"
    plays = []
    for name in SCENARIOS:
        plays.append({
            "name": "Render scenario %s" % name,
            "hosts": "lvs_directors",
            "gather_facts": False,
            "vars_files": [str(HERE / "scenarios" / ("%s.yml" % name))],
            "tasks": [
                {"name": "Validate and derive", "ansible.builtin.include_role": {"name": "lvs.cluster.director", "tasks_from": "validate.yml", "public": True}},
                {"name": "Render keepalived.conf", "ansible.builtin.template": {
                    "src": str(role / "templates" / "keepalived.conf.j2"), "dest": "%s/%s-{{ inventory_hostname }}.conf" % (out, name), "mode": "0600"}},
                {"name": "Render the auth include", "ansible.builtin.template": {
                    "src": str(role / "templates" / "vrrp-auth.conf.j2"), "dest": "%s/%s-{{ inventory_hostname }}.auth" % (out, name), "mode": "0600"},
                 "when": "director_vrrp_auth_pass | length > 0", "no_log": True},
            ],
        })
    playbook = Path(out) / "render.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    proc = run_playbook(collections_path, playbook, {"test_front_interface": front, "test_inside_interface": inside}, out)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    result = {}
    for name in SCENARIOS:
        result[name] = {}
        for host in ("dir1", "dir2"):
            conf = Path(out) / ("%s-%s.conf" % (name, host))
            auth = Path(out) / ("%s-%s.auth" % (name, host))
            text = original = conf.read_text()
            if auth.exists():
                # point the include at the rendered copy (the live path does not exist on this host)
                text = text.replace("/etc/keepalived/lvs-cluster/vrrp-auth.conf", str(auth))
                conf.write_text(text)
            result[name][host] = {"conf": text, "original": original, "auth": auth.read_text() if auth.exists() else None, "path": conf}
    return result


@pytest.fixture(scope="session")
def rendered(collections_path, tmp_path_factory):
    """render_all() for this host's interfaces, plus "_interfaces": (front, inside)."""
    front, inside = interfaces()
    result = render_all(collections_path, tmp_path_factory.mktemp("rendered"), front, inside)
    result["_interfaces"] = (front, inside)
    return result
