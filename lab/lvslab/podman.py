"""Podman with private storage under the lab dir, configured for this host.

runc + cgroupfs (crun refuses hybrid cgroups here), file events logger, ulimits below the hard
limits. Everything is passed as global flags so that the same argument list works for the lab and
for Ansible's containers.podman.podman connection (ansible_podman_extra_args) without env vars.
"""
from pathlib import Path

from lvslab.util import lab_dir

ULIMITS = ["nofile=1024:1024", "nproc=4096:4096"]


def podman_root() -> Path:
    return lab_dir() / "podman"


def global_args() -> list[str]:
    r = podman_root()
    return [
        "--root", str(r / "root"),
        "--runroot", str(r / "run"),
        "--tmpdir", str(r / "tmp"),
        "--storage-driver", "overlay",
        "--runtime", "runc",
        "--cgroup-manager", "cgroupfs",
        "--events-backend", "file",
    ]


def podman(*args) -> list[str]:
    return ["podman", *global_args(), *[str(a) for a in args]]


def image_ref(recipe_hash: str) -> str:
    return f"localhost/lvslab-base:{recipe_hash}"
