"""lvslab command line. Run as root: bin/lvslab [--name NAME] COMMAND ..."""
import argparse
import os
import shlex
import sys

from lvslab import image
from lvslab import podman as pm
from lvslab.lab import Lab
from lvslab.util import LabError, Log, eprint, lab_dir, need_root


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="lvslab", description="lvs.cluster lab: QEMU/TCG VMs, podman containers, netns clients")
    ap.add_argument("--name", default=os.environ.get("LVSLAB_NAME", "lab"), help="lab instance (env LVSLAB_NAME, default lab)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("image", help="build a release's image, or reuse the cached one")
    p.add_argument("--force", action="store_true", help="rebuild even when cached")
    p.add_argument("--release", choices=[*image.RELEASES, "all"],
                   help="Debian release (default: LVSLAB_RELEASE, else bookworm); all: every release")
    p = sub.add_parser("up", help="bring a topology up")
    p.add_argument("topology")
    sub.add_parser("down", help="tear down everything this lab recorded (idempotent)")
    sub.add_parser("status", help="hosts, addresses, processes")
    p = sub.add_parser("ssh", help="log in to a host (VM: ssh; container: podman exec; client: shell in its netns)")
    p.add_argument("host")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p = sub.add_parser("exec", help="run a command on a host: exec HOST -- CMD...")
    p.add_argument("host")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p = sub.add_parser("reboot", help="reboot a VM or container from inside and wait until it is up again")
    p.add_argument("host")
    p = sub.add_parser("restart", help="power-cycle a VM (QEMU killed, started again) or container (kill + start); waits")
    p.add_argument("host")
    p = sub.add_parser("podman", help="run podman on the lab's private storage: podman [ARGS...] (e.g. ps -a)")
    p.add_argument("args", nargs=argparse.REMAINDER)
    sub.add_parser("inventory", help="print the path of the generated Ansible inventory")
    sub.add_parser("env", help="print shell exports for using the lab: ANSIBLE_CONFIG, ANSIBLE_COLLECTIONS_PATH, "
                   "LVSLAB_NAME, PATH with the venv")
    a = ap.parse_args(argv)
    try:
        need_root()
        lab = Lab(a.name)
        if a.cmd == "image":
            log = Log(lab_dir() / "logs" / "image.log")
            releases = image.RELEASES if a.release == "all" else [a.release or image.default_release()]
            for r in releases:
                d = image.image_dir(r)
                if image.cached(d) and not a.force:
                    print(f"image {d} ({r}, cached)")
                image.ensure_image(log, r, force=a.force)
                print(d)
        elif a.cmd == "up":
            lab.up(a.topology)
        elif a.cmd == "down":
            lab.down()
        elif a.cmd == "status":
            print(lab.status())
        elif a.cmd in ("ssh", "exec"):
            return _run(lab, a.host, list(a.args), interactive=a.cmd == "ssh")
        elif a.cmd == "podman":
            argv = pm.podman(*(a.args[1:] if a.args[:1] == ["--"] else a.args))
            sys.stdout.flush()
            os.execvp(argv[0], argv)
        elif a.cmd in ("reboot", "restart"):
            lab.reboot(a.host, hard=a.cmd == "restart")
        elif a.cmd == "inventory":
            lab.topology()
            print(lab.inventory_path)
        elif a.cmd == "env":
            for k, v in lab.env().items():
                print(f"export {k}={shlex.quote(v)}")
        return 0
    except LabError as e:
        eprint(f"lvslab: {e}")
        return 1
    except KeyboardInterrupt:
        eprint(f"lvslab: interrupted; `lvslab --name {a.name} down` removes what was started")
        return 130


def _run(lab: Lab, host: str, cmd: list, interactive: bool) -> int:
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    argv = lab.command(host, cmd, interactive=interactive)
    sys.stdout.flush()
    os.execvp(argv[0], argv)
    return 127
