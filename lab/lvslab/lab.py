"""One lab instance: up, down, status, exec. All resources are recorded in state.json as they are
created, and `down` removes exactly what is recorded (never anything found by name patterns)."""
import fcntl
import ipaddress
import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import yaml

from lvslab import image
from lvslab import podman as pm
from lvslab import topology as topo
from lvslab.util import LabError, Log, Timer, lab_dir

BRIDGES = {"mgmt": "br-mgmt", "front": "br-front", "back": "br-back"}
CHECKOUT = Path(__file__).resolve().parents[2]  # the lvs.cluster checkout this lab CLI belongs to
SSH_TIMEOUT = int(os.environ.get("LVSLAB_SSH_TIMEOUT", "300"))
TB_SIZE = os.environ.get("LVSLAB_TB_SIZE", "256")


class Lab:
    def __init__(self, name: str):
        if not topo.NAME_RE.match(name):
            raise LabError(f"lab name {name!r}: use 1-12 lowercase letters/digits, starting with a letter")
        self.name = name
        self.run = lab_dir() / "run" / name
        self.state_path = self.run / "state.json"
        self.netns = f"lvslab-{name}"
        self.state: dict = {}
        self.log = Log(lab_dir() / "logs" / f"{name}.log")

    # ---------------------------------------------------------------- state
    def load(self) -> dict:
        if self.state_path.exists():
            self.state = json.loads(self.state_path.read_text())
        return self.state

    def save(self) -> None:
        self.run.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=1, sort_keys=True))
        tmp.replace(self.state_path)

    def record(self, key: str, value) -> None:
        """Append to a recorded list *before* the resource is created (down tolerates absent ones)."""
        self.state.setdefault(key, [])
        if value not in self.state[key]:
            self.state[key].append(value)
        self.save()

    @contextmanager
    def locked(self):
        lab_dir().joinpath("run").mkdir(parents=True, exist_ok=True)
        with open(lab_dir() / "run" / f".{self.name}.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield

    @property
    def inventory_path(self) -> Path:
        return self.run / "inventory.yml"

    @property
    def ssh_config(self) -> Path:
        return self.run / "ssh_config"

    @property
    def collections_path(self) -> Path:
        """A collections path whose lvs.cluster is this checkout (a symlink: edits take effect)."""
        return self.run / "collections"

    def ensure_collections_path(self) -> Path:
        link = self.collections_path / "ansible_collections" / "lvs" / "cluster"
        link.parent.mkdir(parents=True, exist_ok=True)
        if not (link.is_symlink() and link.resolve() == CHECKOUT):
            if link.is_symlink():
                link.unlink()
            link.symlink_to(CHECKOUT, target_is_directory=True)
        return self.collections_path

    def env(self) -> dict:
        """What `lvslab env` exports: the lab's ansible.cfg, this checkout as lvs.cluster, the venv."""
        self.topology()
        out = {"LVSLAB_NAME": self.name, "ANSIBLE_CONFIG": str(self.run / "ansible.cfg"),
               "ANSIBLE_COLLECTIONS_PATH": str(self.ensure_collections_path())}
        venv = CHECKOUT / ".venv" / "bin"
        if venv.is_dir():
            out["PATH"] = f"{venv}:{os.environ.get('PATH', '')}"
        return out

    def topology(self) -> topo.Topology:
        if not self.load():
            raise LabError(f"lab {self.name!r} is not up (no {self.state_path})")
        return topo.load(self.state["topology"], default_release=self.state.get("default_release"))

    # ---------------------------------------------------------------- up
    def up(self, topology_file) -> dict:
        t = topo.load(topology_file)
        with self.locked():
            if self.load():
                raise LabError(f"lab {self.name!r} already has state in {self.run}: run `lvslab --name {self.name} down` first")
            self.run.mkdir(parents=True, exist_ok=True)
            (self.run / "cp").mkdir(mode=0o700, exist_ok=True)
            self.state = {"name": self.name, "topology": str(t.path), "phase": "starting", "netns": [], "links": [],
                          "vms": {}, "containers": [], "files": [], "created": time.time(),
                          "default_release": image.default_release(),
                          "releases": {h.name: h.release for h in t.hosts if h.release}}
            self.save()
            self.log.write(f"==== up {t.path}")
            timer = Timer(self.log, f"lab {self.name} up ({t.name}: {len(t.by_kind('vm'))} VM, "
                                    f"{len(t.by_kind('container'))} containers, {len(t.by_kind('client'))} clients)")
            print(f"lab {self.name}: up {t.path.name} (log: {self.log.path})", flush=True)
            imgs = {r: image.ensure_image(self.log, r) for r in sorted({h.release for h in t.hosts if h.release})}
            self.state["images"] = {r: str(d) for r, d in imgs.items()}
            self.save()
            timer.stage(f"images {'+'.join(imgs)} (cached or built)")
            self._net(t)
            self._hosts_netns(t)
            timer.stage("network")
            self._fail_point("network")
            self._write_access_files(t, imgs)
            self._start_vms(t, imgs)
            timer.stage("start VMs")
            self._fail_point("vms")
            self._start_containers(t, imgs)
            timer.stage("start containers")
            self._fail_point("containers")
            self._wait_containers(t)
            timer.stage("containers: systemd up")
            self._wait_vms(t)
            timer.stage("VMs: ssh up")
            self.state["phase"] = "up"
            self.state["timings"] = timer.stages
            self.save()
            timer.total()
            print(f"inventory: {self.inventory_path}", flush=True)
            return timer.stages

    def _fail_point(self, stage: str) -> None:
        """Tests force a failure mid-way with LVSLAB_FAIL_AFTER=<stage> (network|vms|containers)."""
        if os.environ.get("LVSLAB_FAIL_AFTER") == stage:
            raise LabError(f"forced failure after stage {stage!r} (LVSLAB_FAIL_AFTER)")

    def _ip(self, *args, check=True):
        return self.log.run(["ip", *args], check=check, capture=True)

    def _net(self, t: topo.Topology) -> None:
        self.record("netns", self.netns)
        self._ip("netns", "add", self.netns)
        self._ip("-n", self.netns, "link", "set", "lo", "up")
        for br in BRIDGES.values():
            self.record("links", [self.netns, br])
            self._ip("-n", self.netns, "link", "add", br, "type", "bridge", "stp_state", "0", "forward_delay", "0")
            # bridges carry no addresses of their own except the controller's mgmt address
            self._sysctl(self.netns, f"net.ipv6.conf.{br}.disable_ipv6", "1")
            self._ip("-n", self.netns, "link", "set", br, "up")
        self._ip("-n", self.netns, "addr", "add", topo.MGMT_CONTROLLER, "dev", BRIDGES["mgmt"])

    def _sysctl(self, ns: str, key: str, value: str) -> None:
        self.log.run(["ip", "netns", "exec", ns, "sysctl", "-qw", f"{key}={value}"], check=False)

    def host_netns(self, h: topo.Host) -> str:
        return f"lvslab-{self.name}-{h.name}"

    def container_name(self, h: topo.Host) -> str:
        return f"{self.name}-{h.name}"

    def _hosts_netns(self, t: topo.Topology) -> None:
        """Containers and clients: a netns each, one veth per network into the lab's bridge."""
        for h in t.hosts:
            if h.kind == "vm":
                continue
            ns = self.host_netns(h)
            self.record("netns", ns)
            self._ip("netns", "add", ns)
            self._ip("-n", ns, "link", "set", "lo", "up")
            self._sysctl(ns, "net.ipv6.conf.all.accept_dad", "0")
            self._sysctl(ns, "net.ipv6.conf.default.accept_dad", "0")
            for net, ifname in h.interfaces.items():
                port = h.lab_link(net)
                self.record("links", [self.netns, port])
                self._ip("-n", self.netns, "link", "add", port, "type", "veth",
                         "peer", "name", ifname, "address", h.mac(net), "netns", ns)
                self._ip("-n", self.netns, "link", "set", port, "master", BRIDGES[net], "up")
                for a in h.nets[net]:
                    extra = ["nodad"] if a.version == 6 else []
                    self._ip("-n", ns, "addr", "add", str(a), "dev", ifname, *extra)
                self._ip("-n", ns, "link", "set", ifname, "up")
            if h.gateway:
                self._ip("-n", ns, "route", "add", "default", "via", h.gateway)
            if h.gateway6:
                self._ip("-n", ns, "-6", "route", "add", "default", "via", h.gateway6)
            for to, via, _net in h.routes:
                self._ip("-n", ns, "route", "add", str(to), "via", str(via))

    # ---------------------------------------------------------------- VMs
    def _vm_files(self, h: topo.Host) -> dict:
        """Files the initramfs copies into the VM's root (persistent in its overlay)."""
        files = {
            "etc/hostname": f"{h.name}\n",
            "etc/hosts": f"127.0.0.1 localhost\n127.0.1.1 {h.name}\n::1 localhost ip6-localhost\n",
        }
        for net, ifname in h.interfaces.items():
            lines = ["# written by lvslab at boot (lab network)", "[Match]", f"Name={ifname}", "",
                     "[Link]", "RequiredForOnline=no", "", "[Network]", "ConfigureWithoutCarrier=yes",
                     "IPv6AcceptRA=no", "LinkLocalAddressing=" + ("no" if net == "mgmt" else "ipv6")]
            lines += [f"Address={a}" for a in h.nets.get(net, [])]
            for gw in (h.gateway, h.gateway6):
                if gw and any(ipaddress.ip_address(gw) in a.network for a in h.nets.get(net, [])):
                    lines.append(f"Gateway={gw}")
            for to, via, rnet in h.routes:
                if rnet == net:
                    lines += ["", "[Route]", f"Destination={to}", f"Gateway={via}"]
            files[f"etc/systemd/network/10-lvslab-{ifname}.network"] = "\n".join(lines) + "\n"
        return files

    def _vm_initrd(self, h: topo.Host, img: Path) -> Path:
        d = Path(tempfile.mkdtemp(prefix=f"initrd-{h.name}-", dir=self.run))
        try:
            for rel, text in self._vm_files(h).items():
                p = d / "lab/root" / rel
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text)
            extra = self.run / f"{h.name}.initrd-extra"
            image.cpio_gz(d, extra)
        finally:
            shutil.rmtree(d)
        out = self.run / f"{h.name}.initrd"
        with open(out, "wb") as fh:
            for part in (img / "initrd.img", extra):
                fh.write(part.read_bytes())
        extra.unlink()
        return out

    def _start_vms(self, t: topo.Topology, imgs: dict) -> None:
        for h in t.by_kind("vm"):
            img = imgs[h.release]
            overlay = self.run / f"{h.name}.qcow2"
            pidfile = self.run / f"{h.name}.pid"
            vm = {"overlay": str(overlay), "pidfile": str(pidfile), "pid": None, "taps": []}
            self.state["vms"][h.name] = vm
            self.save()
            self.log.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", img / "base.qcow2", overlay])
            initrd = self._vm_initrd(h, img)
            nics = []
            for net, ifname in h.interfaces.items():
                tap = h.lab_link(net)
                self.record("links", [self.netns, tap])
                self._ip("-n", self.netns, "tuntap", "add", tap, "mode", "tap")
                self._ip("-n", self.netns, "link", "set", tap, "master", BRIDGES[net], "up")
                nid = ifname
                nics += ["-netdev", f"tap,id={nid},ifname={tap},script=no,downscript=no",
                         "-device", f"virtio-net-pci,netdev={nid},mac={h.mac(net)}"]
            append = ("root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet systemd.show_status=0 "
                      f"systemd.hostname={h.name} panic=10")
            argv = ["ip", "netns", "exec", self.netns, "qemu-system-x86_64", "-name", f"lvslab-{self.name}-{h.name}",
                    "-nodefaults", "-accel", f"tcg,tb-size={TB_SIZE}", "-cpu", "max", "-smp", "1", "-m", str(h.memory),
                    "-display", "none", "-serial", f"file:{self.run / (h.name + '.console')}", "-monitor", "none",
                    "-kernel", img / "vmlinuz", "-initrd", initrd, "-append", append,
                    "-drive", f"file={overlay},if=virtio,format=qcow2,cache=unsafe,discard=unmap",
                    "-object", "rng-random,filename=/dev/urandom,id=rng0", "-device", "virtio-rng-pci,rng=rng0",
                    *nics, "-daemonize", "-pidfile", pidfile]
            vm["argv"] = [str(a) for a in argv]  # `lvslab restart` starts the same machine again
            self._launch_vm(vm)
            self.log.say(f"  {h.name}: qemu pid {vm['pid']}, {h.release}, mgmt {h.mgmt_address}, {h.memory} MiB")

    def _launch_vm(self, vm: dict) -> None:
        self.log.run(vm["argv"])
        vm["pid"] = int(Path(vm["pidfile"]).read_text().strip())
        vm["starttime"] = _starttime(vm["pid"])
        self.save()

    # ---------------------------------------------------------------- reboot / restart
    def reboot(self, host: str, hard: bool = False, timeout: float = SSH_TIMEOUT) -> float:
        """Reboot one VM or container and wait until it runs again; seconds it took.
        reboot (hard=False): from inside (VM: systemctl reboot, QEMU keeps running; container: podman
        restart, init gets SIGTERM). restart (hard=True): power cycle (VM: QEMU killed and started
        again on the same overlay; container: podman kill + start). Either way the lab's network
        namespaces, links and addresses set from outside stay."""
        t = self.topology()
        h = t.host(host)
        if h.kind == "client":
            raise LabError(f"{host} is a client (a network namespace of the controller): nothing to reboot")
        t0 = time.monotonic()
        with self.locked():
            self.load()
            if h.kind == "vm":
                vm = self.state["vms"][h.name]
                if hard:
                    self._close_masters()
                    pid = vm.get("pid")
                    if pid and _alive(pid, vm.get("starttime")) and _is_qemu(pid):
                        os.kill(pid, signal.SIGKILL)
                        while _exists(pid):
                            time.sleep(0.05)
                    self._launch_vm(vm)
                else:
                    old = self._boot_id(h)
                    with suppress(subprocess.TimeoutExpired):  # the connection may drop before ssh returns
                        self.log.run(self.command(host, ["systemctl", "reboot"]), check=False, timeout=30)
                    self._close_masters()
                    self._wait(lambda: self._boot_id(h) not in (None, old), timeout, f"{host}: a new boot")
                self._wait(lambda: self._system_state(h) in ("running", "degraded"), timeout, f"{host}: systemd up")
            else:
                cname = self.container_name(h)
                if hard:
                    self.log.run(pm.podman("kill", cname), check=False)
                    self.log.run(pm.podman("start", cname))
                else:
                    self.log.run(pm.podman("restart", "-t", "5", cname))
                self._wait_containers(t, only=[h.name])
        dt = time.monotonic() - t0
        self.log.say(f"{host}: {'restarted' if hard else 'rebooted'}, up again after {dt:.1f} s")
        return dt

    def _boot_id(self, h: topo.Host):
        p = subprocess.run([*self._ssh_base(), "-o", "ConnectTimeout=3", "-o", "BatchMode=yes", h.name,
                            "cat /proc/sys/kernel/random/boot_id"], capture_output=True, text=True, timeout=60, check=False)
        return p.stdout.strip() if p.returncode == 0 and p.stdout.strip() else None

    def _system_state(self, h: topo.Host):
        p = subprocess.run([*self._ssh_base(), "-o", "ConnectTimeout=3", "-o", "BatchMode=yes", h.name,
                            "systemctl is-system-running"], capture_output=True, text=True, timeout=60, check=False)
        return p.stdout.strip()

    def _wait(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise LabError(f"timed out after {timeout:.0f} s waiting for {what} (log: {self.log.path})")
            time.sleep(1)

    def _ssh_base(self) -> list:
        return ["ssh", "-F", str(self.ssh_config)]

    def _wait_vms(self, t: topo.Topology) -> None:
        vms = t.by_kind("vm")
        errors, ready = {}, {}
        t0 = time.monotonic()

        def wait(h):
            pid = self.state["vms"][h.name]["pid"]
            while True:
                if not _alive(pid, self.state["vms"][h.name].get("starttime")):
                    errors[h.name] = "qemu exited"
                    return
                p = subprocess.run([*self._ssh_base(), "-o", "ConnectTimeout=3", "-o", "BatchMode=yes", h.name, "true"],
                                   capture_output=True, text=True, timeout=60, check=False)
                if p.returncode == 0:
                    ready[h.name] = time.monotonic() - t0
                    return
                if time.monotonic() - t0 > SSH_TIMEOUT:
                    errors[h.name] = f"no ssh after {SSH_TIMEOUT} s ({p.stderr.strip()[-200:]})"
                    return
                time.sleep(1)

        threads = [threading.Thread(target=wait, args=(h,), daemon=True) for h in vms]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        for name, sec in sorted(ready.items()):
            self.log.say(f"  {name}: ssh ready after {sec:.1f} s")
        if errors:
            tails = []
            for name, why in errors.items():
                con = self.run / f"{name}.console"
                tail = con.read_text(errors="replace")[-1500:] if con.exists() else ""
                tails.append(f"{name}: {why}\n--- console tail ({con}):\n{tail}")
            raise LabError("VM(s) did not come up:\n" + "\n".join(tails))

    # ---------------------------------------------------------------- containers
    def _start_containers(self, t: topo.Topology, imgs: dict) -> None:
        for h in t.by_kind("container"):
            ref = pm.image_ref(imgs[h.release].name)
            cname = self.container_name(h)
            self.record("containers", cname)
            argv = pm.podman("run", "-d", "-q", "--name", cname, "--hostname", h.name, "--systemd=always",
                             "--network", f"ns:/run/netns/{self.host_netns(h)}",
                             *[x for c in pm.CONTAINER_CAPS[h.release] for x in ("--cap-add", c)],
                             "--security-opt", "unmask=/proc/sys",
                             *[x for u in pm.ULIMITS for x in ("--ulimit", u)],
                             "--label", f"lvslab={self.name}", ref, "/sbin/init")
            self.log.run(argv)

    def _wait_containers(self, t: topo.Topology, timeout: int = 90, only=None) -> None:
        deadline = time.monotonic() + timeout
        for h in t.by_kind("container"):
            if only is not None and h.name not in only:
                continue
            cname = self.container_name(h)
            while True:
                left = max(1, int(deadline - time.monotonic()))
                p = self.log.run(pm.podman("exec", cname, "timeout", str(left), "systemctl", "is-system-running", "--wait"),
                                 check=False, capture=True)
                state = p.stdout.strip()
                # right after start, systemctl may run before the container's D-Bus socket exists
                # (bookworm: "Failed to connect to bus", trixie: "Failed to connect to system scope
                # bus via local transport"): that is "not up yet", not a failure
                no_bus = "Failed to connect to" in p.stderr and " bus" in p.stderr
                if state or not no_bus or time.monotonic() >= deadline:
                    break
                time.sleep(0.3)
            if state not in ("running", "degraded"):
                raise LabError(f"container {cname}: systemd state {state!r} {p.stderr.strip()}")
            if state == "degraded":
                failed = self.log.run(pm.podman("exec", cname, "systemctl", "--failed", "--no-legend", "--plain"),
                                      check=False, capture=True).stdout.strip()
                self.log.say(f"  {h.name}: systemd degraded: {failed}")

    # ---------------------------------------------------------------- access files
    def _write_access_files(self, t: topo.Topology, imgs: dict) -> None:
        cp = self.run / "cp"
        proxy = f"ip netns exec {self.netns} nc %h %p"
        # each release's image has its own key: per-host blocks first (ssh takes the first value)
        lines = ["# lvslab: ssh -F THIS_FILE HOST", ""]
        for h in t.by_kind("vm"):
            lines += [f"Host {h.name}", f"  HostName {h.mgmt_address}", f"  IdentityFile {imgs[h.release] / 'id_lab'}", ""]
        lines += ["Host *", "  User root",
                  "  IdentitiesOnly yes", "  StrictHostKeyChecking no", "  UserKnownHostsFile /dev/null",
                  "  LogLevel ERROR", f"  ProxyCommand {proxy}", "  ControlMaster auto",
                  f"  ControlPath {cp}/%r@%h", "  ControlPersist 600", "  ServerAliveInterval 10", ""]
        self.ssh_config.write_text("\n".join(lines))

        common_args = (f"-o ProxyCommand=\"{proxy}\" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                       "-o IdentitiesOnly=yes -o ServerAliveInterval=10")
        groups = {"lab_vms": {}, "lab_containers": {}, "lab_clients": {}}
        for h in t.hosts:
            v = {"lab_kind": h.kind, "lab_interfaces": h.interfaces,
                 "lab_macs": {net: h.mac(net) for net in h.interfaces}}
            if h.release:
                v["lab_release"] = h.release
            for net in ("front", "back"):
                v[f"lab_{net}_address"] = h.address(net)
                v[f"lab_{net}_address6"] = h.address(net, 6)
                v[f"lab_{net}_interface"] = h.interfaces.get(net)
            v["lvs_real_server_address"] = h.real_server_address or h.address("front") or h.address("back")
            address6 = h.real_server_address6 or h.address("front", 6) or h.address("back", 6)
            if address6:
                v["lvs_real_server_address6"] = address6
            if h.routes:
                v["lab_routes"] = [{"to": str(to), "via": str(via)} for to, via, _net in h.routes]
            if h.kind == "vm":
                v.update({"ansible_host": h.mgmt_address, "ansible_user": "root", "ansible_port": 22,
                          "ansible_ssh_private_key_file": str(imgs[h.release] / "id_lab"),
                          "ansible_ssh_common_args": common_args,
                          "ansible_control_path_dir": str(cp), "ansible_host_key_checking": False,
                          "ansible_ssh_pipelining": True, "ansible_python_interpreter": "/usr/bin/python3",
                          "lab_mgmt_address": h.mgmt_address})
                groups["lab_vms"][h.name] = v
            elif h.kind == "container":
                # ssh to the container's own sshd on its loopback, through its network namespace: with
                # pipelining and a control master a task costs one ssh session (measured on a smoke lab:
                # 10 small tasks in 4.5-5.6 s; through the podman connection, several podman calls per
                # task, 20-30 s). ansible_host stays the container's name (unique: it names the control
                # socket; the tests restart containers by it).
                inside = f"ip netns exec {self.host_netns(h)} nc 127.0.0.1 22"
                v.update({"ansible_host": self.container_name(h), "ansible_user": "root", "ansible_port": 22,
                          "ansible_ssh_private_key_file": str(imgs[h.release] / "id_lab"),
                          "ansible_ssh_common_args": (f"-o ProxyCommand=\"{inside}\" -o StrictHostKeyChecking=no "
                                                      "-o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o ServerAliveInterval=10"),
                          "ansible_control_path_dir": str(cp), "ansible_host_key_checking": False,
                          "ansible_ssh_pipelining": True, "ansible_python_interpreter": "/usr/bin/python3",
                          "lab_netns": self.host_netns(h), "lab_container": self.container_name(h)})
                groups["lab_containers"][h.name] = v
            else:
                # no connection variables: a client is not an Ansible target; run its commands on the
                # controller with `ip netns exec {{ lab_netns }} ...` (or `lvslab exec CLIENT -- ...`)
                v.update({"lab_netns": self.host_netns(h)})
                groups["lab_clients"][h.name] = v
        inv = {"all": {"vars": {"lab_name": self.name, "lab_bridge_netns": self.netns, "lab_run_dir": str(self.run),
                                "lab_ssh_config": str(self.ssh_config)},
                       "children": {g: {"hosts": hs} for g, hs in groups.items()}}}
        self.inventory_path.write_text("# generated by lvslab; regenerated on every `up`\n"
                                       + yaml.safe_dump(inv, sort_keys=False, default_flow_style=False, width=1000))
        (self.run / "ansible.cfg").write_text(
            "# generated by lvslab\n[defaults]\n"
            f"inventory = {self.inventory_path}\nhost_key_checking = False\nforks = 8\n"
            f"collections_path = {self.ensure_collections_path()}\n"
            "interpreter_python = /usr/bin/python3\n\n[ssh_connection]\npipelining = True\n"
            f"control_path_dir = {cp}\nssh_args = -o ControlMaster=auto -o ControlPersist=60s\n")

    # ---------------------------------------------------------------- down
    def down(self) -> dict:
        with self.locked():
            if not self.load():
                if self.run.exists():
                    shutil.rmtree(self.run, ignore_errors=True)
                print(f"lab {self.name}: nothing recorded, nothing to do", flush=True)
                return {}
            self.log.write("==== down")
            timer = Timer(self.log, f"lab {self.name} down")
            print(f"lab {self.name}: down", flush=True)
            self.state["phase"] = "stopping"
            self.save()
            self._close_masters()
            timer.stage("ssh masters closed")
            self._kill_vms()
            timer.stage("VMs stopped")
            self._remove_containers()
            timer.stage("containers removed")
            for ns, link in reversed(self.state.get("links", [])):
                if _netns_exists(ns):
                    self.log.run(["ip", "-n", ns, "link", "del", link], check=False, capture=True)
            for ns in reversed(self.state.get("netns", [])):
                if _netns_exists(ns):
                    self.log.run(["ip", "netns", "del", ns], check=False)
            timer.stage("links + netns deleted")
            left = self.leftovers()
            if any(left.values()):
                self.save()
                raise LabError(f"lab {self.name}: could not remove {left}; state kept in {self.state_path}")
            shutil.rmtree(self.run, ignore_errors=True)
            timer.total()
            return timer.stages

    def _remove_containers(self) -> None:
        """podman rm -f the recorded containers; retried: a container that stops on its own between
        podman's stop and kill makes `rm -f` fail ("container state improper")."""
        for _attempt in range(4):
            left = self.leftovers()["containers"] if self.state.get("containers") else []
            if not left:
                return
            self.log.run(pm.podman("rm", "-f", "-i", "-t", "0", *left), check=False)
            time.sleep(0.5)

    def _close_masters(self) -> None:
        cp = self.run / "cp"
        if not cp.is_dir():
            return
        for sock in cp.iterdir():
            if sock.is_socket():
                self.log.run(["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "lvslab"], check=False, capture=True, timeout=10)

    def _kill_vms(self) -> None:
        procs = []
        for _name, vm in self.state.get("vms", {}).items():
            pid = vm.get("pid")
            if pid is None and vm.get("pidfile") and Path(vm["pidfile"]).exists():
                try:
                    pid = int(Path(vm["pidfile"]).read_text().strip())
                except ValueError:
                    pid = None
            if pid and _alive(pid, vm.get("starttime")) and _is_qemu(pid):
                procs.append(pid)
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while procs and time.monotonic() < deadline:
            procs = [p for p in procs if _exists(p)]
            time.sleep(0.1)
        for p in procs:
            os.kill(p, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while procs and time.monotonic() < deadline:
            procs = [p for p in procs if _exists(p)]
            time.sleep(0.1)

    def leftovers(self) -> dict:
        """What of the recorded resources still exists (all empty after a clean down)."""
        st = self.state or self.load()
        qemu = [vm["pid"] for vm in st.get("vms", {}).values()
                if vm.get("pid") and _alive(vm["pid"], vm.get("starttime"))]
        netns = [ns for ns in st.get("netns", []) if _netns_exists(ns)]
        containers = []
        if st.get("containers"):
            p = subprocess.run(pm.podman("ps", "-a", "--format", "{{.Names}}"), capture_output=True, text=True, check=False)
            containers = [c for c in st["containers"] if c in p.stdout.split()]
        return {"qemu_pids": qemu, "netns": netns, "containers": containers}

    # ---------------------------------------------------------------- status / exec
    def status(self) -> str:
        t = self.topology()
        out = [f"lab {self.name}: {self.state.get('phase')}  topology {t.path}", f"  inventory {self.inventory_path}"]
        names = set()
        if t.by_kind("container"):
            p = subprocess.run(pm.podman("ps", "-a", "--format", "{{.Names}} {{.Status}}"), capture_output=True, text=True, check=False)
            names = dict(line.split(" ", 1) for line in p.stdout.splitlines() if " " in line)
        for h in t.hosts:
            addrs = " ".join(str(a) for net in ("mgmt", "front", "back") for a in h.nets.get(net, []))
            rel = f"{h.release:<9}" if h.release else " " * 9
            if h.kind == "vm":
                vm = self.state.get("vms", {}).get(h.name, {})
                pid = vm.get("pid")
                alive = bool(pid) and _alive(pid, vm.get("starttime"))
                rss = _rss_kb(pid) if alive else 0
                st = f"qemu pid {pid} {'running' if alive else 'NOT running'} rss {rss // 1024} MiB"
            elif h.kind == "container":
                st = f"container {self.container_name(h)}: {names.get(self.container_name(h), 'absent')}"
            else:
                st = f"netns {self.host_netns(h)}: {'present' if _netns_exists(self.host_netns(h)) else 'absent'}"
            out.append(f"  {h.name:<10} {h.kind:<9} {rel} {addrs:<48} {st}")
        return "\n".join(out)

    def command(self, host: str, cmd: list, interactive: bool = False) -> list:
        """argv that runs cmd (a list; empty = login shell) on host from the controller."""
        h = self.topology().host(host)
        if h.kind == "vm":
            return [*self._ssh_base(), *(["-t"] if interactive and not cmd else []), h.name,
                    *([shlex.join(cmd)] if cmd else [])]
        if h.kind == "container":
            return pm.podman("exec", *(["-it"] if interactive and not cmd else ["-i"]), self.container_name(h),
                             *(cmd or ["/bin/bash", "-l"]))
        return ["ip", "netns", "exec", self.host_netns(h), *(cmd or [os.environ.get("SHELL", "/bin/bash")])]


def _starttime(pid: int):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _exists(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def _alive(pid: int, starttime) -> bool:
    """The recorded process still runs (same PID *and* same start time: no PID reuse)."""
    st = _starttime(pid)
    return st is not None and (starttime is None or st == starttime)


def _is_qemu(pid: int) -> bool:
    try:
        return b"qemu-system" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _netns_exists(ns: str) -> bool:
    return Path("/run/netns", ns).exists()
