"""Lab fixtures for the suites under tests/lab (and any other suite that needs VMs/containers).

The lab is brought up through the project's own CLI (``bin/lvslab``), so tests exercise exactly
what developers and molecule use. Every lab a test session starts gets a name unique to the run
(``t<pid>`` + a suffix; override the base with ``LVSLAB_TEST_NAME``) and is torn down in a
finalizer, on failures and on Ctrl-C/SIGTERM too (plus an ``atexit`` safety net).

Fixtures
--------
``lab``
    Session-scoped :class:`LabHandle` for the topology in ``LVSLAB_TOPOLOGY`` (default
    ``lab/topologies/smoke.yml``), booted once on first use. Other suites build on this one.
``lab_factory``
    Module-scoped ``factory(topology, suffix) -> LabHandle``: boots further labs (``suffix`` is
    one letter/digit appended to the run name), torn down when the test file is done. ``up=False`` returns
    a handle without booting (to test failing ``up`` yourself).

LabHandle helpers
-----------------
``exec(host, cmd, check=True)``       run on a VM (ssh), container (podman exec) or client
                                       (ip netns exec); ``cmd`` is a shell string or an argv list.
``client_exec(client, cmd)``           same, for clients only (asserts the kind).
``inventory_path`` / ``ansible_cfg``   the generated inventory / ansible.cfg.
``hostvars(host)``                     that host's variables from the inventory.
``run_playbook(pb, inventories=(), extra_vars=None, args=(), check=True)``
                                       ansible-playbook from the venv with the lab inventory first,
                                       then ``inventories`` (e.g. ``playbooks/inventories/x``).
``ansible(pattern, module, args="")``  ad-hoc module run.
``down()`` / ``leftovers()``           teardown and the recorded resources still present.

Every test here is marked ``lab``. Without root the tests are skipped with that reason; with root,
a missing qemu/podman/debootstrap is a failure, never a skip (CI runs as root).

Example::

    @pytest.mark.lab
    def test_ipvs(lab):
        lab.exec("dir1", "modprobe ip_vs && ipvsadm -Ln")
        lab.run_playbook("playbooks/site.yml", inventories=["playbooks/inventories/lab"])
"""
import atexit
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LVSLAB = ROOT / "bin" / "lvslab"
VENV_BIN = ROOT / ".venv" / "bin"
DEFAULT_TOPOLOGY = ROOT / "lab" / "topologies" / "smoke.yml"
REQUIRED_TOOLS = ("qemu-system-x86_64", "qemu-img", "podman", "runc", "debootstrap", "nc", "ip", "cpio", "ssh")

sys.path.insert(0, str(ROOT / "lab"))
from lvslab import podman as _podman  # noqa: E402
from lvslab.util import lab_dir as _lab_dir  # noqa: E402


def run_name(suffix: str = "") -> str:
    return os.environ.get("LVSLAB_TEST_NAME", f"t{os.getpid()}") + suffix


class LabError(AssertionError):
    pass


class LabHandle:
    """One named lab instance, driven through bin/lvslab."""

    def __init__(self, name: str, topology):
        self.name = name
        self.topology = Path(topology)
        self.run_dir = _lab_dir() / "run" / name
        self.recorded: dict = {}  # state.json as last seen (kept after down for leftover checks)
        self.is_up = False

    # -- CLI
    def cli(self, *args, check=True, env=None, timeout=900) -> subprocess.CompletedProcess:
        p = subprocess.run([str(LVSLAB), "--name", self.name, *map(str, args)], capture_output=True, text=True,
                           env={**os.environ, **(env or {})}, timeout=timeout, check=False)
        if check and p.returncode != 0:
            raise LabError(f"lvslab {' '.join(map(str, args))} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p

    def _snapshot(self) -> None:
        state = self.run_dir / "state.json"
        if state.exists():
            self.recorded = json.loads(state.read_text())

    def up(self, env=None) -> subprocess.CompletedProcess:
        try:
            p = self.cli("up", self.topology, env=env)
        finally:
            self._snapshot()
        self.is_up = True
        sys.stdout.write(p.stdout)
        return p

    def down(self) -> subprocess.CompletedProcess:
        self._snapshot()
        p = self.cli("down")
        self.is_up = False
        return p

    # -- access
    @property
    def inventory_path(self) -> Path:
        return self.run_dir / "inventory.yml"

    @property
    def ansible_cfg(self) -> Path:
        return self.run_dir / "ansible.cfg"

    def inventory(self) -> dict:
        return yaml.safe_load(self.inventory_path.read_text())

    def hostvars(self, host: str) -> dict:
        for group in self.inventory()["all"]["children"].values():
            if host in (group.get("hosts") or {}):
                return group["hosts"][host]
        raise KeyError(host)

    def exec(self, host: str, cmd, check=True, timeout=300) -> subprocess.CompletedProcess:
        argv = ["sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)
        p = subprocess.run([str(LVSLAB), "--name", self.name, "exec", host, "--", *argv], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout, check=False)
        if check and p.returncode != 0:
            raise LabError(f"{host}: {shlex.join(argv)} -> {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def client_exec(self, client: str, cmd, check=True, timeout=300) -> subprocess.CompletedProcess:
        assert self.hostvars(client)["lab_kind"] == "client", f"{client} is not a client"
        return self.exec(client, cmd, check=check, timeout=timeout)

    def _ansible_env(self) -> dict:
        env = {**os.environ, "ANSIBLE_CONFIG": str(self.ansible_cfg), "ANSIBLE_NOCOLOR": "1",
               "ANSIBLE_DEPRECATION_WARNINGS": "False", "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}"}
        coll = ROOT / ".tmp" / "collections"
        if "ANSIBLE_COLLECTIONS_PATH" not in env and coll.is_dir():
            env["ANSIBLE_COLLECTIONS_PATH"] = str(coll)
        return env

    def run_playbook(self, playbook, *, inventories=(), extra_vars=None, args=(), check=True, timeout=1800):
        argv = [str(VENV_BIN / "ansible-playbook"), "-i", str(self.inventory_path)]
        for inv in inventories:
            argv += ["-i", str(inv)]
        if extra_vars:
            argv += ["-e", json.dumps(extra_vars)]
        argv += [*map(str, args), str(playbook)]
        p = subprocess.run(argv, capture_output=True, text=True, env=self._ansible_env(), cwd=ROOT,
                           timeout=timeout, check=False)
        if check and p.returncode != 0:
            raise LabError(f"ansible-playbook {playbook} -> {p.returncode}\n{p.stdout[-6000:]}\n{p.stderr[-3000:]}")
        return p

    def playbook_results(self, playbook, host: str, timeout=1800):
        """Run the playbook with the json callback: (the process, {task name: host's result}); a
        loop's result holds the list of its items' results. Task names must be unique."""
        env = self._ansible_env()
        env.update({"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
        argv = [str(VENV_BIN / "ansible-playbook"), "-i", str(self.inventory_path), str(playbook)]
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout, check=False)
        if "{" not in proc.stdout:
            raise LabError(f"ansible-playbook {playbook} -> {proc.returncode}, no json output\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        data = json.loads(proc.stdout[proc.stdout.index("{"):])
        results = {}
        for play in data["plays"]:
            for task in play["tasks"]:
                if host in task["hosts"]:
                    name = task["task"]["name"]
                    assert name not in results, f"task names must be unique: {name}"
                    results[name] = task["hosts"][host]
        return proc, results

    def ansible(self, pattern: str, module: str, args: str = "", check=True, timeout=600):
        argv = [str(VENV_BIN / "ansible"), "-i", str(self.inventory_path), pattern, "-m", module]
        if args:
            argv += ["-a", args]
        p = subprocess.run(argv, capture_output=True, text=True, env=self._ansible_env(), cwd=ROOT,
                           timeout=timeout, check=False)
        if check and p.returncode != 0:
            raise LabError(f"ansible {pattern} -m {module} -> {p.returncode}\n{p.stdout[-6000:]}\n{p.stderr[-3000:]}")
        return p

    # -- teardown checks (independent of lvslab's own bookkeeping code)
    def leftovers(self) -> dict:
        st = self.recorded
        netns_now = set(Path("/run/netns").iterdir()) if Path("/run/netns").is_dir() else set()
        netns_now = {p.name for p in netns_now}
        qemu = []
        for vm in st.get("vms", {}).values():
            pid = vm.get("pid")
            if pid and Path(f"/proc/{pid}").exists():
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                if vm.get("starttime") in (None, stat[19]):
                    qemu.append(pid)
        containers = []
        if st.get("containers"):
            p = subprocess.run(["podman", *_podman.global_args(), "ps", "-a", "--format", "{{.Names}}"],
                               capture_output=True, text=True, check=True)
            containers = sorted(set(st["containers"]) & set(p.stdout.split()))
        return {"netns": sorted(set(st.get("netns", [])) & netns_now), "qemu_pids": qemu,
                "containers": containers, "run_dir": self.run_dir.exists()}


def _check_host() -> None:
    if os.geteuid() != 0:
        pytest.skip("lab tests need root (network namespaces, taps, podman)")
    missing = [t for t in REQUIRED_TOOLS if not shutil.which(t)]
    if missing:
        pytest.fail(f"lab tools missing: {', '.join(missing)} (run `make deps`)", pytrace=False)


def pytest_report_header(config):
    release = os.environ.get("LVSLAB_RELEASE") or "bookworm"
    return f"lab release: {release} (Debian {dict(bookworm=12, trixie=13).get(release, '?')}; LVSLAB_RELEASE)"


def pytest_configure(config):
    config.addinivalue_line("markers", "lab: needs the VM/container lab (root, qemu, podman)")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.lab)
            if os.geteuid() != 0:
                item.add_marker(pytest.mark.skip(reason="lab tests need root (network namespaces, taps, podman)"))


def _factory_scope():
    """Yield ``factory(topology, suffix, up=True) -> LabHandle``; every lab it started is torn down
    when the scope ends (also on failures, Ctrl-C/SIGTERM and at interpreter exit)."""
    _check_host()
    started: list[LabHandle] = []

    def teardown():
        errors = []
        for h in reversed(started):
            try:
                if h.run_dir.exists():
                    h.down()
            except Exception as e:  # keep tearing down the others
                errors.append(f"{h.name}: {e}")
        started.clear()
        return errors

    atexit.register(teardown)
    prev = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    if prev in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, on_term)

    def factory(topology=DEFAULT_TOPOLOGY, suffix: str = "", up: bool = True) -> LabHandle:
        h = LabHandle(run_name(suffix), topology)
        started.append(h)
        if up:
            h.up()
        return h

    try:
        yield factory
    finally:
        errors = teardown()
        if prev in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if errors:
            pytest.fail("lab teardown failed: " + "; ".join(errors), pytrace=False)


@pytest.fixture(scope="module")
def lab_factory():
    """Labs for one test file: they come down when the file's last test has run, so a worker
    running several files one after the other never keeps idle VMs of earlier files."""
    yield from _factory_scope()


@pytest.fixture(scope="session")
def _session_lab_factory():
    yield from _factory_scope()


@pytest.fixture(scope="session")
def lab(_session_lab_factory) -> LabHandle:
    return _session_lab_factory(os.environ.get("LVSLAB_TOPOLOGY", DEFAULT_TOPOLOGY), "")
