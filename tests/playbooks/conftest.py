"""Host-side checks of playbooks/ (no lab): the collection is copied once per session to a
temporary ``ansible_collections/lvs/cluster`` so that ``lvs.cluster.*`` roles and filters resolve."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent  # .venv, or a .venv-core* venv (make core-test)
PLAYBOOKS = ROOT / "playbooks"
EXAMPLES = {
    # name: inventories (in order); the lab example needs the lab's addresses (a stand-in here)
    "dr": [PLAYBOOKS / "inventories" / "dr"],
    "nat": [PLAYBOOKS / "inventories" / "nat"],
    "mixed-pair": [PLAYBOOKS / "inventories" / "mixed-pair"],
    "fwmark-persistence": [PLAYBOOKS / "inventories" / "fwmark-persistence"],
    "ipv6": [PLAYBOOKS / "inventories" / "ipv6"],
    "lab-mixed": [Path(__file__).parent / "inventory" / "lab-addresses.yml", PLAYBOOKS / "inventories" / "lab-mixed"],
}


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory):
    base = tmp_path_factory.mktemp("coll")
    subprocess.run(["bash", str(ROOT / "tests" / "collection-tree.sh"), str(base / "ansible_collections" / "lvs" / "cluster")],
                   check=True, capture_output=True)
    return base


@pytest.fixture(scope="session")
def ansible_playbook(collections_path):
    def run(playbook, inventories, *args, extra_vars=None, check=True):
        argv = [str(VENV_BIN / "ansible-playbook")]
        for inv in inventories:
            argv += ["-i", str(inv)]
        # placeholders for the vaulted secrets the examples reference
        argv += ["-e", json.dumps({"vault_director_vrrp_auth_pass": "example", **(extra_vars or {})})]
        argv += [*map(str, args), str(playbook)]
        env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(collections_path), "ANSIBLE_NOCOLOR": "1",
               "ANSIBLE_DEPRECATION_WARNINGS": "False", "ANSIBLE_LOCALHOST_WARNING": "False",
               "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False", "ANSIBLE_CONFIG": str(PLAYBOOKS / "ansible.cfg")}
        p = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600, check=False)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} -> {p.returncode}\n{p.stdout[-5000:]}\n{p.stderr[-3000:]}")
        return p
    return run
