"""Run the lab suites as independent jobs, N at a time (CI's 2 cores hold two labs well).

Every job boots the lab(s) it needs and tears them down: a pytest run of one tests/lab file on
one Debian release, the docs' lab examples, or one molecule scenario on one release. Jobs start
longest first (the durations recorded in tests/lab-durations.json; an unknown job counts as the
longest), two molecule runs of the same scenario never overlap (molecule's ephemeral directory is
per scenario). Each job's output goes to .tmp/lab-logs/<job>.log and is printed whole when the job
fails; the end prints every job's release, wall time and result, and the exit code is 1 if any
job failed.

    .venv/bin/python tests/lab_jobs.py [--jobs N] [--slots-file F] [--list] [--record] [GROUP|JOB ...]

GROUP is lab (tests/lab on bookworm, LAB_TRIXIE on trixie, the docs' lab examples) or molecule
(MOLECULE_SCENARIOS on MOLECULE_RELEASES); with no argument, both. --record writes the measured
durations of passing jobs back to tests/lab-durations.json. --slots-file F (or LAB_SLOTS_FILE): the
number of jobs at a time is read from F before each start, a number in the file (--jobs while F
is missing or holds no number): make test starts the lab suites with one slot while the host-side
stages still run, and gives them two once those are done (tests/stages.sh).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DURATIONS = ROOT / "tests" / "lab-durations.json"
LOGS = ROOT / ".tmp" / "lab-logs"
PY = sys.executable
RELEASE_NUMBER = {"bookworm": 12, "trixie": 13}
PYTEST = [PY, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "--durations=0"]


@dataclass
class Job:
    name: str
    release: str
    argv: list
    env: dict = field(default_factory=dict)
    lock: str = ""
    estimate: float = 0.0
    took: float = 0.0
    rc: int | None = None
    tail: str = ""


def _split(value: str) -> list:
    return [v for v in value.split() if v]


def lab_jobs() -> list:
    """One job per tests/lab file on bookworm, except the LAB_SMOKE files: they use the session's
    smoke lab and run in one job (one boot); the LAB_TRIXIE files in one job on trixie."""
    jobs = []
    smoke = _split(os.environ.get("LAB_SMOKE", ""))
    trixie = _split(os.environ.get("LAB_TRIXIE", ""))
    for rel in smoke + trixie:
        if not (ROOT / rel).is_file():
            sys.exit(f"lab_jobs: {rel} (LAB_SMOKE/LAB_TRIXIE) is not a file")
    if smoke:
        jobs.append(Job("smoke-suites@bookworm", "bookworm", PYTEST + smoke, {"LVSLAB_RELEASE": "bookworm"}))
    for path in sorted((ROOT / "tests" / "lab").glob("test_*.py")):
        rel = str(path.relative_to(ROOT))
        if rel not in smoke:
            jobs.append(Job(f"{path.stem}@bookworm", "bookworm", [*PYTEST, rel], {"LVSLAB_RELEASE": "bookworm"}))
    if trixie:
        jobs.append(Job("smoke-suites@trixie", "trixie", PYTEST + trixie, {"LVSLAB_RELEASE": "trixie"}))
    jobs.append(Job("doc_examples_lab@bookworm", "bookworm", [*PYTEST, "tests/docs/test_doc_examples_lab.py"], {"LVSLAB_RELEASE": "bookworm"}))
    return jobs


def molecule_jobs() -> list:
    jobs = []
    every = _split(os.environ.get("MOLECULE_ALL", ""))
    scenarios = _split(os.environ.get("MOLECULE_SCENARIOS", ""))
    if scenarios == ["all"]:
        scenarios = every
    molecule = str(Path(PY).parent / "molecule")
    for release in _split(os.environ.get("MOLECULE_RELEASES", "")):
        if release not in RELEASE_NUMBER:
            sys.exit(f"lab_jobs: unknown release {release!r} in MOLECULE_RELEASES (known: {', '.join(RELEASE_NUMBER)})")
        for scenario in scenarios:
            lab = ("m" + scenario.replace("_", ""))[:10] + str(RELEASE_NUMBER[release])
            jobs.append(Job(f"molecule-{scenario}@{release}", release, [molecule, "test", "-s", scenario],
                            {"LVSLAB_RELEASE": release, "MOLECULE_LAB_NAME": lab}, lock="molecule-" + scenario))
    return jobs


def select(args: list) -> list:
    groups = {"lab": lab_jobs, "molecule": molecule_jobs}
    wanted = args or list(groups)
    jobs, names = [], set()
    for word in wanted:
        found = groups[word]() if word in groups else [j for j in lab_jobs() + molecule_jobs() if j.name == word]
        if not found and word in groups:
            sys.exit(f"lab_jobs: group {word!r} has no jobs (set LAB_SMOKE/LAB_TRIXIE or MOLECULE_SCENARIOS/MOLECULE_RELEASES, as the Makefile does)")
        if not found:
            sys.exit(f"lab_jobs: no group or job named {word!r} (groups: {', '.join(groups)}; --list shows the jobs)")
        for job in found:
            if job.name not in names:
                names.add(job.name)
                jobs.append(job)
    recorded = json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}
    longest = max(recorded.values(), default=600.0)
    for job in jobs:
        job.estimate = float(recorded.get(job.name, longest + 1))
    return sorted(jobs, key=lambda j: -j.estimate)


def slots(default: int, path: str) -> int:
    """Jobs at a time: the number in ``path`` when it holds one, else ``default``."""
    if path:
        try:
            return max(1, int(Path(path).read_text().strip()))
        except (OSError, ValueError):
            pass
    return default


def run(jobs: list, parallel: int, slots_file: str = "") -> None:
    LOGS.mkdir(parents=True, exist_ok=True)
    pending = list(jobs)
    running: dict = {}
    t0 = time.monotonic()

    def start(job: Job) -> None:
        log = (LOGS / f"{job.name}.log").open("w")
        env = {**os.environ, **job.env}
        print(f"== job {job.name} (Debian {RELEASE_NUMBER[job.release]} {job.release}) started at "
              f"{int(time.monotonic() - t0)} s: {' '.join(Path(a).name if a == PY else a for a in job.argv)}", flush=True)
        proc = subprocess.Popen(job.argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        running[job.name] = (job, proc, time.monotonic(), log)

    def stop(signum, _frame):
        # a job's pytest tears its labs down on SIGTERM (tests/lab/conftest.py), molecule runs destroy.yml
        # only on its own; either way the children get the signal and are waited for, then we exit
        for job, proc, _began, _log in running.values():
            print(f"== job {job.name}: stopping (signal {signum})", flush=True)
            proc.send_signal(signal.SIGTERM)
        for _job, proc, _began, _log in running.values():
            try:
                proc.wait(timeout=300)
            except subprocess.TimeoutExpired:
                proc.kill()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while pending or running:
        busy = {entry[0].lock for entry in running.values() if entry[0].lock}
        while len(running) < slots(parallel, slots_file):
            nxt = next((j for j in pending if not j.lock or j.lock not in busy), None)
            if nxt is None:
                break
            pending.remove(nxt)
            busy.add(nxt.lock)
            start(nxt)
        time.sleep(1)
        for name, (job, proc, began, log) in list(running.items()):
            if proc.poll() is None:
                continue
            log.close()
            del running[name]
            job.rc, job.took = proc.returncode, time.monotonic() - began
            text = (LOGS / f"{job.name}.log").read_text(errors="replace")
            lines = [ln for ln in text.splitlines() if ln.strip()]
            job.tail = lines[-1].strip("= ") if lines else ""
            state = "passed" if job.rc == 0 else f"FAILED (exit {job.rc})"
            print(f"== job {job.name} (Debian {RELEASE_NUMBER[job.release]}): {state} in {int(job.took)} s: {job.tail}", flush=True)
            if job.rc != 0:
                print(f"---- output of {job.name} ({LOGS / (job.name + '.log')})\n{text}\n---- end of {job.name}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("LAB_JOBS", "2")))
    parser.add_argument("--slots-file", default=os.environ.get("LAB_SLOTS_FILE", ""),
                        help="read the number of jobs at a time from this file before each start")
    parser.add_argument("--list", action="store_true", help="print the jobs in start order and exit")
    parser.add_argument("--record", action="store_true", help="write the durations of passing jobs to tests/lab-durations.json")
    parser.add_argument("what", nargs="*")
    opts = parser.parse_args()
    jobs = select(opts.what)
    if opts.list:
        for job in jobs:
            print(f"{job.name:40} {int(job.estimate):6d} s  {' '.join(job.argv[len(PYTEST):] if job.argv[:len(PYTEST)] == PYTEST else job.argv[1:])}")
        return 0
    t0 = time.monotonic()
    run(jobs, max(1, opts.jobs), opts.slots_file)
    wall = time.monotonic() - t0
    at_a_time = f"up to {slots(opts.jobs, opts.slots_file)}, from {opts.slots_file}" if opts.slots_file else str(opts.jobs)
    print(f"== lab jobs: wall time per job ({at_a_time} at a time)")
    for job in sorted(jobs, key=lambda j: j.name):
        state = "ok" if job.rc == 0 else f"FAILED (exit {job.rc})"
        print(f"  {job.name:40} Debian {RELEASE_NUMBER[job.release]:<3} {int(job.took):6d} s  {state}  {job.tail}")
    print(f"== lab jobs: {len(jobs)} jobs, {int(sum(j.took for j in jobs))} s of job time in {int(wall)} s wall")
    if opts.record:
        recorded = json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}
        recorded.update({j.name: round(j.took) for j in jobs if j.rc == 0})
        DURATIONS.write_text(json.dumps(dict(sorted(recorded.items())), indent=1) + "\n")
    return 0 if all(j.rc == 0 for j in jobs) else 1


if __name__ == "__main__":
    sys.exit(main())
