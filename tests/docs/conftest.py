"""Fixtures for the documentation tests: an installed copy of the collection and an Ansible
environment that uses it (offline, everything under pytest's tmp directory)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(Path(__file__).parent))


def tool(name: str) -> str:
    p = VENV_BIN / name
    return str(p) if p.exists() else name


@pytest.fixture(scope="session")
def ansible_env(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("docs-ansible")
    coll = base / "collections" / "ansible_collections" / "lvs" / "cluster"
    subprocess.run(["bash", str(ROOT / "tests" / "collection-tree.sh"), str(coll)], check=True, capture_output=True)
    return {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(base / "collections"),
        "ANSIBLE_HOME": str(base / "home"),
        "ANSIBLE_LOCAL_TEMP": str(base / "tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
    }


def run(argv, env, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
