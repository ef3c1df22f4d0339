"""Packaging checks: the built tarball as a user gets it (``ansible-galaxy collection build`` from
a fresh copy of this checkout), installed into an empty collections path; the execution
environment definition (``ansible-builder create``); galaxy-importer over the tarball.

The tools that are not the controller's own (galaxy-importer, ansible-builder) live in their own
venv, ``.venv-packaging`` (``make packaging-test`` creates it; override with PACKAGING_VENV).
Every tool missing is a failure, never a skip."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent  # the controller's ansible-galaxy, ansible-doc, ansible-playbook
PACKAGING_BIN = Path(os.environ.get("PACKAGING_VENV", ROOT / ".venv-packaging")) / "bin"
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())


def clean_env(**extra) -> dict:
    """The environment without any ANSIBLE_* setting of the caller (no config, no collections path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update({"ANSIBLE_NOCOLOR": "1", "ANSIBLE_DEPRECATION_WARNINGS": "False", **extra})
    return env


def run(argv, check=True, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=900, check=False, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, argv))} -> {p.returncode}\n{p.stdout[-5000:]}\n{p.stderr[-5000:]}")
    return p


@pytest.fixture(scope="session")
def packaging_bin() -> Path:
    for tool in ("python", "ansible-builder", "flake8", "ansible-lint"):
        assert (PACKAGING_BIN / tool).exists(), f"{PACKAGING_BIN / tool} missing: run make packaging-test"
    return PACKAGING_BIN


@pytest.fixture(scope="session")
def tarball(tmp_path_factory) -> Path:
    """lvs-cluster-<version>.tar.gz built from a fresh copy of the files git tracks or would track."""
    base = tmp_path_factory.mktemp("build")
    src = base / "ansible_collections" / "lvs" / "cluster"
    run(["bash", ROOT / "tests" / "collection-tree.sh", src])
    out = base / "dist"
    run([VENV_BIN / "ansible-galaxy", "collection", "build", "--output-path", out], cwd=src, env=clean_env())
    path = out / f"lvs-cluster-{GALAXY['version']}.tar.gz"
    assert path.is_file(), list(out.iterdir())
    return path


@pytest.fixture(scope="session")
def installed(tarball, tmp_path_factory) -> Path:
    """The tarball installed into an empty collections path, as the README says (offline here: the
    dependencies ansible.posix and ansible.windows are already installed with the `ansible` package)."""
    path = tmp_path_factory.mktemp("collections")
    run([VENV_BIN / "ansible-galaxy", "collection", "install", "--offline", "-p", path, tarball],
        env=clean_env(ANSIBLE_COLLECTIONS_PATH=str(path)))
    assert (path / "ansible_collections" / "lvs" / "cluster" / "MANIFEST.json").is_file()
    return path
