"""Small helpers shared by the lab modules: paths, running commands, logging, timings."""
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path


class LabError(Exception):
    """A failure with a message meant for the user (no traceback)."""


def lab_dir() -> Path:
    return Path(os.environ.get("LVSLAB_DIR", "/var/tmp/lvs-lab"))


class Log:
    """Concise progress on stdout; every command and its output in a log file."""

    def __init__(self, path: Path | None = None, quiet: bool = False):
        self.path = path
        self.quiet = quiet
        self._fh = None
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(path, "a", buffering=1)  # noqa: SIM115 - lives as long as the Log

    def say(self, msg: str) -> None:
        if not self.quiet:
            print(msg, flush=True)
        self.write(msg)

    def write(self, msg: str) -> None:
        if self._fh:
            self._fh.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")

    def run(self, argv, *, check=True, capture=False, input=None, env=None, timeout=None, quiet_fail=False):
        """Run argv; output goes to the log file (or is returned when capture=True)."""
        argv = [str(a) for a in argv]
        self.write("$ " + shlex.join(argv))
        out = subprocess.PIPE if (capture or self._fh is None) else self._fh
        err = subprocess.PIPE if (capture or self._fh is None) else self._fh
        p = subprocess.run(argv, stdout=out, stderr=err, text=True, input=input, env=env, timeout=timeout, check=False)
        if capture and self._fh:
            if p.stdout:
                self._fh.write(p.stdout if p.stdout.endswith("\n") else p.stdout + "\n")
            if p.stderr:
                self._fh.write(p.stderr if p.stderr.endswith("\n") else p.stderr + "\n")
        if check and p.returncode != 0:
            detail = (p.stderr or "").strip() if capture else f"see {self.path}"
            if not quiet_fail:
                self.write(f"exit {p.returncode}")
            raise LabError(f"command failed ({p.returncode}): {shlex.join(argv)}\n{detail}")
        return p


class Timer:
    """Per-stage wall-clock seconds, printed as each stage ends."""

    def __init__(self, log: Log, what: str):
        self.log = log
        self.what = what
        self.t0 = self.last = time.monotonic()
        self.stages: dict[str, float] = {}

    def stage(self, name: str) -> float:
        now = time.monotonic()
        dt = now - self.last
        self.last = now
        self.stages[name] = round(dt, 1)
        self.log.say(f"  {name:<28} {dt:6.1f} s")
        return dt

    def total(self) -> float:
        dt = time.monotonic() - self.t0
        self.stages["total"] = round(dt, 1)
        self.log.say(f"{self.what} total {dt:.1f} s")
        return dt


def need_root() -> None:
    if os.geteuid() != 0:
        raise LabError("lvslab needs root (network namespaces, taps, podman)")


def eprint(*a) -> None:
    print(*a, file=sys.stderr, flush=True)
