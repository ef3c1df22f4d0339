# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lo_vip: runtime VIPs (``ip``) and their persistence through the host's own network configuration.

Every backend owns only files it created (recognised by :data:`MARKER`) and works on the set of VIPs of
one interface: ``read`` -> set of :class:`Vip`, ``render(set)`` -> ``{path: text or None}``; the caller
diffs the texts, writes them atomically and calls ``activate`` (systemctl, nmcli) outside check mode.
"""

from __future__ import annotations

import fnmatch
import glob
import ipaddress
import os
import re
import uuid

from ansible_collections.lvs.cluster.plugins.module_utils._fileutil import read_text, remove_file, write_text_atomic
from ansible_collections.lvs.cluster.plugins.module_utils._ipaddr import IpAddr, check_label, parse_vip
from ansible_collections.lvs.cluster.plugins.module_utils._runner import ModuleError

MARKER = "# Managed by lvs.cluster.lo_vip"
HEADER = MARKER + ": VIPs of %s. Local edits are overwritten.\n"

NETWORKD_DIRS = ("/etc/systemd/network", "/run/systemd/network", "/usr/local/lib/systemd/network", "/usr/lib/systemd/network", "/lib/systemd/network")
UNIT_NAME = "lvs-cluster-vips.service"
ROOT = ""  # prefix of every path (unit tests point it at a temporary directory)
NM_MIN_VERSION = (1, 41)

_IP_CMD = re.compile(r"^(?:\S*/)?ip address (?:replace|add) (?P<cidr>\S+) dev (?P<dev>\S+)(?: label (?P<label>\S+))?$")


def _vip_from_cidr(cidr, interface, label=None):
    address, _sep, prefix = cidr.partition("/")
    return parse_vip(address + "/" + (prefix or ("32" if ":" not in address else "128")), interface, label, force_prefix=True)


class Backend:
    name = ""

    def __init__(self, module, runner, root=""):
        self.module = module
        self.runner = runner
        self.root = root  # tests point this at a temporary directory

    def path(self, path):
        return self.root + path

    @staticmethod
    def read_owned(path):
        """The text of ``path`` (None when missing); a file lo_vip did not write is an error, never overwritten."""
        text = read_text(path)
        if text is not None and not text.startswith(MARKER):
            raise ModuleError("%s exists but was not written by lvs.cluster.lo_vip; refusing to overwrite it" % path)
        return text

    def read(self, interface):
        """(files {path: text or None}, set of Vip) currently persisted for ``interface``."""
        raise NotImplementedError

    def render(self, interface, vips):
        """{path: text or None} that persists exactly ``vips``."""
        raise NotImplementedError

    def prepare(self, files_after):
        """Before files are written or removed (e.g. disable a unit that goes away). Not in check mode."""

    def activate(self, interface, vips, changed_files):
        """Make the written files effective at boot (enable units, load connections). Not in check mode."""

    def needs_activation(self, interface, vips):
        return False


class SystemdBackend(Backend):
    """Fallback: a oneshot unit that adds the VIPs at boot, after sysctls and before the network."""

    name = "systemd"

    def unit_path(self):
        return self.path("/etc/systemd/system/" + UNIT_NAME)

    def _parse(self, text):
        vips = set()
        for line in (text or "").splitlines():
            if line.startswith("ExecStart="):
                match = _IP_CMD.match(line[len("ExecStart="):].lstrip("-"))
                if match:
                    vips.add(_vip_from_cidr(match.group("cidr"), match.group("dev"), match.group("label")))
        return vips

    def read(self, interface):
        text = self.read_owned(self.unit_path())
        return {self.unit_path(): text}, {v for v in self._parse(text) if v.interface == interface}

    def render(self, interface, vips):
        # the unit carries every interface's VIPs: keep the others
        others = {v for v in self._parse(read_text(self.unit_path())) if v.interface != interface}
        allvips = sorted(others | set(vips))
        if not allvips:
            return {self.unit_path(): None}
        ip_bin = self.runner.bin_path("ip")
        interfaces = sorted({v.interface for v in allvips})
        devices = ["sys-subsystem-net-devices-%s.device" % i for i in interfaces if i != "lo"]
        lines = [
            HEADER % ", ".join(interfaces),
            "[Unit]",
            "Description=lvs.cluster VIPs (%s)" % ", ".join(interfaces),
            "DefaultDependencies=no",
            "After=systemd-sysctl.service%s" % "".join(" " + d for d in devices),
            "Before=network-pre.target",
            "Wants=network-pre.target%s" % "".join(" " + d for d in devices),
            "",
            "[Service]",
            "Type=oneshot",
            "RemainAfterExit=yes",
        ]
        if "lo" in interfaces:
            lines.append("ExecStart=%s link set dev lo up" % ip_bin)
        for vip in allvips:
            label = (" label %s" % vip.label) if vip.label else ""
            lines.append("ExecStart=%s address replace %s dev %s%s" % (ip_bin, vip.cidr, vip.interface, label))
        for vip in allvips:
            lines.append("ExecStop=-%s address del %s dev %s" % (ip_bin, vip.cidr, vip.interface))
        lines += ["", "[Install]", "WantedBy=multi-user.target", ""]
        return {self.unit_path(): lines[0] + "\n".join(lines[1:])}

    def _enabled(self):
        res = self.runner.run("systemctl", ["is-enabled", UNIT_NAME], ok_rc=None)
        return res.stdout.strip() == "enabled"

    def needs_activation(self, interface, vips):
        rendered = self.render(interface, vips)[self.unit_path()]
        return rendered is not None and not self._enabled()

    def prepare(self, files_after):
        if files_after.get(self.unit_path(), "") is None and os.path.exists(self.unit_path()):
            self.runner.run("systemctl", ["disable", UNIT_NAME])

    def activate(self, interface, vips, changed_files):
        if changed_files:
            self.runner.run("systemctl", ["daemon-reload"])
        if os.path.exists(self.unit_path()):
            self.runner.run("systemctl", ["enable", UNIT_NAME])


class NetworkdBackend(Backend):
    """systemd-networkd: our own ``.network`` for lo, or a drop-in for the file that already matches the link."""

    name = "networkd"
    DROPIN = "50-lvs-cluster-vips.conf"

    def own_path(self, interface):
        return self.path("/etc/systemd/network/40-lvs-cluster-%s.network" % interface)

    def matching_network_file(self, interface):
        """Name of the .network file networkd applies to ``interface`` (first in lexical order), ours excluded."""
        files = {}
        for directory in NETWORKD_DIRS:
            for path in glob.glob(os.path.join(self.path(directory), "*.network")):
                files.setdefault(os.path.basename(path), path)
        for name in sorted(files):
            if files[name] == self.own_path(interface):
                continue
            text = read_text(files[name]) or ""
            if self._matches(text, interface):
                return name
        return None

    @staticmethod
    def _matches(text, interface):
        section, names, other_keys = None, [], False
        for raw in text.splitlines():
            line = raw.strip()
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
            elif section == "Match" and "=" in line and not line.startswith(("#", ";")):
                key, _sep, value = line.partition("=")
                if key.strip() == "Name":
                    names += value.split()
                elif key.strip() in ("Type", "MACAddress", "Driver", "Path", "PermanentMACAddress", "Kind"):
                    other_keys = True
        if other_keys and not names:
            return False
        positive = [n for n in names if not n.startswith("!")]
        negative = [n[1:] for n in names if n.startswith("!")]
        if any(fnmatch.fnmatchcase(interface, n) for n in negative):
            return False
        return any(fnmatch.fnmatchcase(interface, n) for n in positive)

    def target(self, interface):
        existing = self.matching_network_file(interface)
        if existing is None:
            if interface != "lo":
                raise ModuleError(
                    "persistence=networkd: no .network file of systemd-networkd matches interface %r; "
                    "configure the link in networkd first or use persistence=systemd" % interface
                )
            return self.own_path(interface), True
        own = self.own_path(interface)
        if os.path.basename(own) < existing:
            return own, True
        return self.path("/etc/systemd/network/%s.d/%s" % (existing, self.DROPIN)), False

    @staticmethod
    def _parse(text, interface):
        vips, section = set(), None
        blocks = []
        for raw in (text or "").splitlines():
            line = raw.strip()
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                if section == "Address":
                    blocks.append({})
            elif section == "Address" and "=" in line and not line.startswith(("#", ";")):
                key, _sep, value = line.partition("=")
                blocks[-1][key.strip()] = value.strip()
        for block in blocks:
            if "Address" in block:
                vips.add(_vip_from_cidr(block["Address"], interface, block.get("Label")))
        return vips

    def read(self, interface):
        files, vips = {}, set()
        candidates = {self.own_path(interface)} | set(glob.glob(self.path("/etc/systemd/network/*.network.d/" + self.DROPIN)))
        for path in sorted(candidates):
            text = self.read_owned(path)
            if text is None:
                continue
            if path == self.own_path(interface) or self._for_interface(text) == interface:
                files[path] = text
                vips |= self._parse(text, interface)
        return files, vips

    @staticmethod
    def _for_interface(text):
        first = text.splitlines()[0] if text else ""
        match = re.search(r"VIPs of (\S+)\.", first)
        return match.group(1) if match else None

    def render(self, interface, vips):
        path, own = self.target(interface)
        files = {p: None for p in self.read(interface)[0]}
        if not vips:
            return files
        lines = [HEADER % interface]
        if own:
            lines += ["[Match]\n", "Name=%s\n" % interface, "\n", "[Link]\n", "RequiredForOnline=no\n", "\n", "[Network]\n"]
            lines += ["# keep 127.0.0.1, ::1 and addresses of other tools\n", "KeepConfiguration=yes\n", "\n"]
        for vip in sorted(vips):
            lines += ["[Address]\n", "Address=%s\n" % vip.cidr]
            if vip.label:
                lines.append("Label=%s\n" % vip.label)
            lines.append("\n")
        files[path] = "".join(lines).rstrip("\n") + "\n"
        return files


class IfupdownBackend(Backend):
    """ifupdown: an ``iface`` stanza in /etc/network/interfaces.d/ whose up/down hooks add/remove the VIPs."""

    name = "ifupdown"

    def file_path(self, interface):
        return self.path("/etc/network/interfaces.d/lvs-cluster-vips-%s" % interface)

    def check_sourced(self):
        main = read_text(self.path("/etc/network/interfaces"))
        if main is None:
            raise ModuleError("persistence=ifupdown: /etc/network/interfaces does not exist")
        for line in main.splitlines():
            words = line.split()
            if len(words) == 2 and words[0] == "source" and words[1].startswith("/etc/network/interfaces.d/"):
                return
            if len(words) == 2 and words[0] == "source-directory" and words[1].rstrip("/") in ("/etc/network/interfaces.d", "interfaces.d"):
                return
        raise ModuleError("persistence=ifupdown: /etc/network/interfaces does not source /etc/network/interfaces.d/ (add 'source /etc/network/interfaces.d/*')")

    def read(self, interface):
        path = self.file_path(interface)
        text = self.read_owned(path)
        vips = set()
        for line in (text or "").splitlines():
            words = line.strip()
            if words.startswith("up "):
                match = _IP_CMD.match(words[3:])
                if match:
                    vips.add(_vip_from_cidr(match.group("cidr"), match.group("dev"), match.group("label")))
        return {path: text}, vips

    def render(self, interface, vips):
        self.check_sourced()
        if not vips:
            return {self.file_path(interface): None}
        ip_bin = self.runner.bin_path("ip")
        method = "loopback" if interface == "lo" else "manual"
        lines = [HEADER % interface, "iface %s inet %s\n" % (interface, method)]
        for vip in sorted(vips):
            label = (" label %s" % vip.label) if vip.label else ""
            lines.append("    up %s address replace %s dev %s%s\n" % (ip_bin, vip.cidr, vip.interface, label))
        for vip in sorted(vips):
            lines.append("    down %s address del %s dev %s\n" % (ip_bin, vip.cidr, vip.interface))
        return {self.file_path(interface): "".join(lines)}


class NetworkManagerBackend(Backend):
    """NetworkManager >= 1.41 manages lo as a ``loopback`` connection: our keyfile carries the VIPs."""

    name = "networkmanager"

    def file_path(self, interface):
        return self.path("/etc/NetworkManager/system-connections/lvs-cluster-%s.nmconnection" % interface)

    def check(self, interface):
        if interface != "lo":
            raise ModuleError("persistence=networkmanager handles VIPs on lo only (got interface=%r); use persistence=systemd" % interface)
        version = nm_version(self.runner)
        if version is None or version < NM_MIN_VERSION:
            raise ModuleError(
                "persistence=networkmanager needs NetworkManager >= 1.41 to manage lo (found %s)" % (".".join(map(str, version)) if version else "none")
            )

    def read(self, interface):
        path = self.file_path(interface)
        text = self.read_owned(path)
        vips = set()
        for line in (text or "").splitlines():
            match = re.match(r"^address\d+=(\S+?)(?:,.*)?$", line.strip())
            if match:
                vips.add(_vip_from_cidr(match.group(1), interface))
        return {path: text}, vips

    def render(self, interface, vips):
        self.check(interface)
        if not vips:
            return {self.file_path(interface): None}
        name = "lvs-cluster-%s" % interface
        lines = [
            HEADER % interface,
            "[connection]\n",
            "id=%s\n" % name,
            "uuid=%s\n" % uuid.uuid5(uuid.NAMESPACE_URL, "lvs.cluster/lo_vip/" + interface),
            "type=loopback\n",
            "interface-name=%s\n" % interface,
            "autoconnect-priority=100\n",
        ]
        for family in (4, 6):
            chosen = [v for v in sorted(vips) if v.ip.version == family]
            lines += ["\n", "[ipv%d]\n" % family, "method=manual\n"]
            lines += ["address%d=%s\n" % (i, v.cidr) for i, v in enumerate(chosen, 1)]
        return {self.file_path(interface): "".join(lines)}

    def activate(self, interface, vips, changed_files):
        path = self.file_path(interface)
        if os.path.exists(path):
            os.chmod(path, 0o600)
            self.runner.run("nmcli", ["connection", "load", path])
        else:
            self.runner.run("nmcli", ["connection", "reload"])


class IfcfgBackend(Backend):
    """RHEL network-scripts: one ``ifcfg-<iface>:<N>`` alias file per IPv4 VIP (aliases carry no IPv6)."""

    name = "ifcfg"
    DIR = "/etc/sysconfig/network-scripts"

    def read(self, interface):
        files, vips = {}, set()
        for path in sorted(glob.glob(self.path("%s/ifcfg-%s:*" % (self.DIR, interface)))):
            text = read_text(path) or ""
            if not text.startswith(MARKER):
                continue  # an alias someone else owns: never touched
            files[path] = text
            values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
            values = {k: v.strip('"') for k, v in values.items()}
            prefix = values.get("PREFIX") or "32"
            device = values.get("DEVICE", "")
            vips.add(_vip_from_cidr("%s/%s" % (values.get("IPADDR", ""), prefix), interface, device or None))
        return files, vips

    def render(self, interface, vips):
        files = {p: None for p in self.read(interface)[0]}
        foreign = {os.path.basename(p) for p in glob.glob(self.path("%s/ifcfg-%s:*" % (self.DIR, interface)))} - {os.path.basename(p) for p in files}
        used = set()
        for vip in vips:
            if vip.ip.version != 4:
                raise ModuleError("persistence=ifcfg: %s is IPv6; ifcfg aliases carry IPv4 only, use persistence=systemd for IPv6 VIPs" % vip.cidr)
            if vip.label:
                if vip.label == interface or vip.label in used:
                    raise ModuleError("persistence=ifcfg: label %r must be an alias name (%s:NAME) used by one address only" % (vip.label, interface))
                used.add(vip.label)
        index = 0
        for vip in sorted(vips):
            device = vip.label
            if not device:
                while "%s:%d" % (interface, index) in used or "ifcfg-%s:%d" % (interface, index) in foreign:
                    index += 1
                device = "%s:%d" % (interface, index)
                used.add(device)
            path = self.path("%s/ifcfg-%s" % (self.DIR, device))
            if os.path.basename(path) in foreign:
                raise ModuleError("persistence=ifcfg: %s exists and is not managed by lvs.cluster.lo_vip" % path)
            files[path] = "".join(
                [
                    HEADER % interface,
                    "DEVICE=%s\n" % device,
                    "IPADDR=%s\n" % vip.ip,
                    "PREFIX=%d\n" % vip.prefix,
                    "ONBOOT=yes\n",
                    "NM_CONTROLLED=no\n",
                ]
            )
        return files


BACKENDS = {b.name: b for b in (NetworkdBackend, IfupdownBackend, NetworkManagerBackend, IfcfgBackend, SystemdBackend)}


def nm_version(runner):
    if not runner.has("nmcli"):
        return None
    res = runner.run("nmcli", ["--version"], ok_rc=None)
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", res.stdout or "")
    return tuple(int(x) for x in match.groups() if x is not None) if match else None


def _systemctl(runner, verb, unit):
    if not runner.has("systemctl"):
        return ""
    return (runner.run("systemctl", [verb, unit], ok_rc=None).stdout or "").strip()


def detect(runner, interface, root=""):
    """The host's own network configuration, in order: networkd (active), NetworkManager (active, >= 1.41, lo only),
    ifupdown (networking.service enabled), RHEL network-scripts (network.service enabled), else the systemd unit."""
    if _systemctl(runner, "is-active", "systemd-networkd.service") == "active":
        return "networkd"
    if interface == "lo" and _systemctl(runner, "is-active", "NetworkManager.service") == "active":
        version = nm_version(runner)
        if version and version >= NM_MIN_VERSION:
            return "networkmanager"
    if os.path.exists(root + "/etc/network/interfaces") and _systemctl(runner, "is-enabled", "networking.service") == "enabled":
        return "ifupdown"
    if os.path.isdir(root + IfcfgBackend.DIR) and _systemctl(runner, "is-enabled", "network.service") == "enabled":
        return "ifcfg"
    return "systemd"


def _same(runtime, wanted):
    """Does a runtime address satisfy a wanted VIP? (label None = any label)."""
    return runtime.ip == wanted.ip and runtime.prefix == wanted.prefix and (wanted.label is None or runtime.label == wanted.label)


def _files_text(files):
    parts = []
    for path in sorted(files):
        parts.append("# %s\n%s" % (path, files[path] if files[path] is not None else "(absent)\n"))
    return "".join(parts)


def _networks(option, items):
    """``scope``/``keep`` items (address or network) -> list of ip_network (ModuleError names the bad item)."""
    result = []
    for item in items or ():
        try:
            result.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError:
            raise ModuleError("%s: %r is not an IPv4 or IPv6 address or network" % (option, item)) from None
    return result


def _inside(ip, networks):
    return any(ip.version == net.version and ip in net for net in networks)


class Ownership:
    """What a call owns on its interface, for ``purge``: the addresses its backend persisted, the IPv4
    addresses carrying its alias label (a label other than the bare interface name) and those inside
    ``scope``. Loopback, link-local and ``keep`` are never owned."""

    def __init__(self, interface, label, scope, keep, persisted):
        self.label = label if label and label != interface else None
        self.scope = scope
        self.keep = keep
        self.persisted = {v.ip for v in persisted}

    def protected(self, vip):
        return vip.ip.is_loopback or vip.ip.is_link_local or _inside(vip.ip, self.keep)

    def owns(self, vip):
        if self.protected(vip):
            return False
        return vip.ip in self.persisted or (self.label is not None and vip.label == self.label) or _inside(vip.ip, self.scope)


def run(module, runner, root=None):
    root = ROOT if root is None else root
    params = module.params
    interface = params["interface"]
    label = params["label"]
    check_label(label, interface)
    purge = params.get("purge", False)
    if purge and params["state"] != "present":
        raise ModuleError("purge=true needs state=present: it keeps exactly the listed addresses (list none to remove every owned one)")
    scope = _networks("scope", params.get("scope"))
    keep = _networks("keep", params.get("keep"))
    wanted = []
    for item in params["addresses"]:
        vip = parse_vip(item, interface, label, params["force_prefix"])
        if vip not in wanted:
            wanted.append(vip)
    ipaddr = IpAddr(runner)
    # read
    current = ipaddr.read(interface)
    backend = None
    if params["persistent"]:
        name = params["persistence"]
        if name == "auto":
            name = detect(runner, interface, root)
        backend = BACKENDS[name](module, runner, root)
        files_before, persisted = backend.read(interface)
    else:
        persisted = set()
    owner = Ownership(interface, label, scope, keep, persisted)
    wanted_ips = {w.ip for w in wanted}
    # decide (runtime)
    to_add, to_remove = [], []
    purged = set()
    if purge:
        for vip in current:
            if vip.ip not in wanted_ips and owner.owns(vip):
                to_remove.append(vip)
                purged.add(vip)
    for vip in wanted:
        matches = [c for c in current if c.ip == vip.ip]
        if params["state"] == "present":
            if not any(_same(c, vip) for c in matches):
                to_remove += matches  # same IP, wrong prefix or label: replaced
                to_add.append(vip)
        else:
            to_remove += matches
    # decide (persistent)
    files_after, activate = {}, False
    if backend is not None:
        persisted_ips = {v.ip: v for v in persisted}
        target = {v for v in persisted if v.ip not in wanted_ips}
        if purge:
            purged |= {v for v in target if owner.owns(v)}
            target = {v for v in target if not owner.owns(v)}
        if params["state"] == "present":
            target |= set(wanted)
            for vip in wanted:  # label None = keep what is persisted when the IP/prefix match
                old = persisted_ips.get(vip.ip)
                if vip.label is None and old is not None and old.prefix == vip.prefix:
                    target.discard(vip)
                    target.add(old)
        files_after = backend.render(interface, target)
        files_before = {p: files_before.get(p, read_text(p)) for p in files_after}
        activate = backend.needs_activation(interface, target)
    changed_files = [p for p in files_after if files_after[p] != files_before.get(p)]
    changed = bool(to_add or to_remove or changed_files or activate)
    # apply
    if changed and not module.check_mode:
        for vip in to_remove:
            ipaddr.delete(vip)
        for vip in to_add:
            ipaddr.add(vip)
        if backend is not None and changed_files:
            backend.prepare(files_after)
        for path in changed_files:
            if files_after[path] is None:
                remove_file(path)
            else:
                write_text_atomic(module, path, files_after[path], mode=0o600 if path.endswith(".nmconnection") else 0o644)
        if backend is not None and (changed_files or activate):
            backend.activate(interface, target, changed_files)
    after = [c for c in current if c not in to_remove] + to_add
    return {
        "changed": changed,
        "added": [v.cidr for v in to_add],
        "removed": [v.cidr for v in to_remove],
        "purged": list(dict.fromkeys(v.cidr for v in sorted(purged))),
        "persistence": backend.name if backend else None,
        "files": changed_files,
        "diff": {
            "before": _runtime_text(interface, current) + (_files_text(files_before) if backend else ""),
            "after": _runtime_text(interface, after) + (_files_text(files_after) if backend else ""),
        },
    }


def _runtime_text(interface, vips):
    lines = ["# runtime: ip address show dev %s" % interface] + [v.describe() for v in sorted(vips)]
    return "\n".join(lines) + "\n"
