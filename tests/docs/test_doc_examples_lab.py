"""Lab examples of the docs (``<!-- example: lab -->``) run for real: the pair topology is booted,
the collection rolled out with playbooks/site.yml and the lab inventory, then each example runs.
Uses the lab fixtures of tests/lab/conftest.py (root, qemu, podman; skipped without root there)."""
from __future__ import annotations

import importlib.util

import pytest
import yaml
from conftest import ROOT
from docexamples import all_examples

_spec = importlib.util.spec_from_file_location("lab_conftest", ROOT / "tests" / "lab" / "conftest.py")
_lab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_lab)
lab_factory = _lab.lab_factory  # the session fixture (root/tool check, guaranteed teardown), used here

LAB_EXAMPLES = [ex for ex in all_examples() if ex.kind == "lab"]
SITE = ROOT / "playbooks" / "site.yml"
LAB_INVENTORY = ROOT / "playbooks" / "inventories" / "lab-mixed"


@pytest.fixture(scope="module")
def pair_lab(lab_factory):
    if not SITE.exists() or not LAB_INVENTORY.exists():
        pytest.fail(f"the docs' lab examples need {SITE.relative_to(ROOT)} and {LAB_INVENTORY.relative_to(ROOT)}")
    handle = lab_factory(ROOT / "lab" / "topologies" / "pair.yml", "d")
    handle.run_playbook(SITE, inventories=[LAB_INVENTORY])
    return handle


@pytest.mark.lab
@pytest.mark.parametrize("ex", LAB_EXAMPLES, ids=lambda ex: ex.id)
def test_lab_example(ex, pair_lab, tmp_path):
    pb = tmp_path / "example.yml"
    pb.write_text(yaml.safe_dump(ex.data, sort_keys=False))
    pair_lab.run_playbook(pb, inventories=[LAB_INVENTORY])
