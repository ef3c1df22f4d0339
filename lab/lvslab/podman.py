"""Podman with private storage under the lab dir, configured for this host.

runc + cgroupfs (crun refuses hybrid cgroups here), file events logger, ulimits below the hard
limits. Everything is passed as global flags so that the same argument list works for the lab and
for Ansible's containers.podman.podman connection (ansible_podman_extra_args) without env vars.
"""
from pathlib import Path

from lvslab.util import lab_dir

ULIMITS = ["nofile=1024:1024", "nproc=4096:4096"]
# capabilities a release's containers get beyond podman's defaults. NET_ADMIN: sysctls, lo VIPs,
# arptables. trixie's systemd 257 keeps CAP_SYS_ADMIN across the User= switch of a sandboxed
# service (seccomp filters are applied after it): without it in the container's init,
# systemd-networkd fails at step USER ("Failed to keep CAP_SYS_ADMIN"); bookworm's 252 does not.
CONTAINER_CAPS = {"bookworm": ["NET_ADMIN"], "trixie": ["NET_ADMIN", "SYS_ADMIN"]}


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
