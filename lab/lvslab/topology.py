"""Topology files: which hosts, what kind, which addresses.

    name: smoke                       # informative
    release: bookworm                 # optional: Debian release of every host (bookworm | trixie)
    hosts:
      - name: dir1
        kind: vm                      # vm | container | client
        memory: 384                   # MiB, VMs only (default 384)
        front: [192.0.2.2/24, 2001:db8:1::2/64]   # a string or a list
        back: 198.51.100.2/24
        gateway: 192.0.2.1            # optional default route (gateway6 for IPv6)
        release: trixie               # optional, per host (VMs and containers): overrides the file's
        routes:                       # optional static routes (e.g. a client's way to a VIP outside
          - {to: 2001:db8:5::/64, via: 2001:db8:1::2}   # the front prefix); `via` on one of its nets
      - {name: rs1, kind: container, front: [192.0.2.11/24, 2001:db8:1::11/64]}
      - {name: cl, kind: client, front: 192.0.2.100/24}

VMs always get eth0 on mgmt (203.0.113.N, N from 2 in file order, or `mgmt:`), eth1 on front,
eth2 on back. Containers and clients get eth0, eth1 for the networks they list (front first).
Only the lab's documentation ranges are accepted (`routes: to` may be any documentation prefix:
192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32). `real_server_address` and
`real_server_address6` override the inventory's lvs_real_server_address(6) (default: the host's
first front, else back, address of that family). A host's release is its own `release:`, else the
file's, else LVSLAB_RELEASE, else bookworm (clients are network namespaces: no release).
"""
import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lvslab import image
from lvslab.util import LabError

KINDS = ("vm", "container", "client")
NETS = {
    "mgmt": [ipaddress.ip_network("203.0.113.0/24")],
    "front": [ipaddress.ip_network("192.0.2.0/24"), ipaddress.ip_network("2001:db8:1::/64")],
    "back": [ipaddress.ip_network("198.51.100.0/24"), ipaddress.ip_network("2001:db8:2::/64")],
}
NET_INDEX = {"mgmt": 0, "front": 1, "back": 2}
MGMT_CONTROLLER = "203.0.113.1/24"
DOC_RANGES = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]
NAME_RE = re.compile(r"^[a-z][a-z0-9]{0,11}$")
DEFAULT_MEMORY = 384


@dataclass
class Host:
    name: str
    kind: str
    index: int  # 1-based position in the file: MACs and lab-side link names
    memory: int = DEFAULT_MEMORY
    nets: dict = field(default_factory=dict)  # net -> [ip_interface]
    gateway: str | None = None
    gateway6: str | None = None
    real_server_address: str | None = None
    real_server_address6: str | None = None
    routes: list = field(default_factory=list)  # [(ip_network to, ip_address via, net)]
    release: str | None = None  # Debian release of a VM or container (None for clients)

    @property
    def interfaces(self) -> dict:
        if self.kind == "vm":
            return {"mgmt": "eth0", "front": "eth1", "back": "eth2"}
        return {net: f"eth{i}" for i, net in enumerate(n for n in ("front", "back") if n in self.nets)}

    def mac(self, net: str) -> str:
        return f"52:54:00:{self.index:02x}:00:{NET_INDEX[net]:02x}"

    def address(self, net: str, version: int = 4) -> str | None:
        for a in self.nets.get(net, []):
            if a.version == version:
                return str(a.ip)
        return None

    @property
    def mgmt_address(self) -> str | None:
        return self.address("mgmt")

    def lab_link(self, net: str) -> str:
        """Name of this host's port on the lab netns bridge (tap for VMs, veth peer otherwise)."""
        return f"{'t' if self.kind == 'vm' else 'v'}{self.index}-{net}"


@dataclass
class Topology:
    name: str
    path: Path
    hosts: list

    def by_kind(self, kind: str) -> list:
        return [h for h in self.hosts if h.kind == kind]

    def host(self, name: str) -> Host:
        for h in self.hosts:
            if h.name == name:
                return h
        raise LabError(f"no host {name!r} in this lab (hosts: {', '.join(h.name for h in self.hosts)})")


def _addresses(host: str, net: str, value) -> list:
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        try:
            a = ipaddress.ip_interface(str(v))
        except ValueError as e:
            raise LabError(f"{host}: {net}: {e}") from None
        if "/" not in str(v):
            raise LabError(f"{host}: {net}: give a prefix length ({v}/24, {v}/64)")
        if not any(a.ip in n for n in NETS[net]):
            allowed = ", ".join(str(n) for n in NETS[net])
            raise LabError(f"{host}: {net} address {v} is outside the lab's {net} ranges ({allowed})")
        out.append(a)
    return out


HOST_KEYS = {"name", "kind", "memory", "front", "back", "mgmt", "gateway", "gateway6", "real_server_address",
             "real_server_address6", "release", "routes"}


def _routes(host: Host, value) -> list:
    """`routes: [{to: PREFIX, via: ADDRESS}]`: `to` inside the documentation ranges, `via` an address
    on one of the host's own networks (the route goes out of that interface)."""
    if not isinstance(value, list):
        raise LabError(f"{host.name}: routes: expected a list of {{to, via}}")
    out = []
    for r in value:
        if not isinstance(r, dict) or set(r) != {"to", "via"}:
            raise LabError(f"{host.name}: routes: each route is {{to: PREFIX, via: ADDRESS}} (got {r!r})")
        try:
            to = ipaddress.ip_network(str(r["to"]))
            via = ipaddress.ip_address(str(r["via"]))
        except ValueError as e:
            raise LabError(f"{host.name}: routes: {e}") from None
        if not any(to.version == n.version and to.subnet_of(n) for n in DOC_RANGES):
            raise LabError(f"{host.name}: routes: {to} is outside the documentation ranges")
        nets = [net for net, addrs in host.nets.items() if any(via in a.network for a in addrs)]
        if not nets:
            raise LabError(f"{host.name}: routes: via {via} is on none of this host's networks")
        out.append((to, via, nets[0]))
    return out


def load(path, default_release: str | None = None) -> Topology:
    """Read a topology; hosts that name no release (nor does the file) get default_release, else
    LVSLAB_RELEASE, else bookworm."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise LabError(f"cannot read topology {path}: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("hosts"), list) or not data["hosts"]:
        raise LabError(f"{path}: expected a mapping with a non-empty `hosts` list")
    unknown = set(data) - {"name", "hosts", "release"}
    if unknown:
        raise LabError(f"{path}: unknown top-level keys {sorted(unknown)}")
    if data.get("release") is not None:
        file_release = image.check_release(str(data["release"]), str(path))
    else:
        file_release = image.check_release(default_release, "recorded release") if default_release \
            else image.default_release()
    hosts, seen, used = [], set(), set()
    vm_n = 1
    for i, h in enumerate(data["hosts"], start=1):
        if not isinstance(h, dict):
            raise LabError(f"{path}: host #{i} is not a mapping")
        name, kind = str(h.get("name", "")), h.get("kind")
        if not NAME_RE.match(name):
            raise LabError(f"{path}: host name {name!r}: use 1-12 lowercase letters/digits, starting with a letter")
        if name in seen:
            raise LabError(f"{path}: duplicate host {name}")
        seen.add(name)
        if kind not in KINDS:
            raise LabError(f"{path}: {name}: kind must be one of {', '.join(KINDS)} (got {kind!r})")
        unknown = set(h) - HOST_KEYS
        if unknown:
            raise LabError(f"{path}: {name}: unknown keys {sorted(unknown)}")
        host = Host(name=name, kind=kind, index=i, memory=int(h.get("memory", DEFAULT_MEMORY)),
                    gateway=h.get("gateway"), gateway6=h.get("gateway6"),
                    real_server_address=h.get("real_server_address"),
                    real_server_address6=h.get("real_server_address6"))
        if kind == "client":
            if "release" in h:
                raise LabError(f"{path}: {name}: a client is a network namespace of the controller: no release")
        else:
            host.release = image.check_release(str(h["release"]), f"{path}: {name}") if "release" in h else file_release
        for net in ("front", "back"):
            if h.get(net):
                host.nets[net] = _addresses(name, net, h[net])
        if kind == "vm":
            vm_n += 1
            host.nets["mgmt"] = _addresses(name, "mgmt", h.get("mgmt", f"203.0.113.{vm_n}/24"))
        elif "mgmt" in h:
            raise LabError(f"{path}: {name}: only VMs are on mgmt")
        elif not host.nets:
            raise LabError(f"{path}: {name}: a {kind} needs a front or back address")
        host.routes = _routes(host, h["routes"]) if "routes" in h else []
        for addrs in host.nets.values():
            for a in addrs:
                if a.ip in used or str(a.ip) == MGMT_CONTROLLER.split("/", 1)[0]:
                    raise LabError(f"{path}: {name}: address {a.ip} is used twice")
                used.add(a.ip)
        for gw in (host.gateway, host.gateway6):
            if gw and not any(ipaddress.ip_address(gw) in n for nets in NETS.values() for n in nets):
                raise LabError(f"{path}: {name}: gateway {gw} is outside the lab's ranges")
        hosts.append(host)
    if len(hosts) > 200:
        raise LabError(f"{path}: at most 200 hosts")
    return Topology(name=str(data.get("name", path.stem)), path=path.resolve(), hosts=hosts)
