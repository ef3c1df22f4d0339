# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host addresses for lo_vip: parse and validate VIPs, read and change them with `ip` over the runner."""

from __future__ import annotations

import ipaddress
import json

from ansible_collections.lvs.cluster.plugins.module_utils._runner import ModuleError

IFNAMSIZ = 15


class Vip:
    """One address on one interface: ``192.0.2.10/32 dev lo label lo:vip``."""

    __slots__ = ("interface", "ip", "label", "prefix")

    def __init__(self, ip, prefix, interface, label=None):
        self.ip = ipaddress.ip_address(ip)
        self.prefix = int(prefix)
        self.interface = interface
        self.label = label if self.ip.version == 4 else None

    @property
    def family(self):
        return "inet" if self.ip.version == 4 else "inet6"

    @property
    def cidr(self):
        return "%s/%d" % (self.ip, self.prefix)

    @property
    def host_prefix(self):
        return 32 if self.ip.version == 4 else 128

    def key(self):
        return (self.interface, self.ip.version, self.ip.packed, self.prefix, self.label or "")

    def __eq__(self, other):
        return isinstance(other, Vip) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def __lt__(self, other):
        return self.key() < other.key()

    def __repr__(self):
        return "Vip(%s)" % self.describe()

    def describe(self):
        return "%s dev %s%s" % (self.cidr, self.interface, (" label %s" % self.label) if self.label else "")


def parse_vip(text, interface, label=None, force_prefix=False):
    """Validate one item of ``addresses`` (ModuleError names the value)."""
    raw = str(text).strip()
    address, _sep, prefix = raw.partition("/")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise ModuleError("addresses: %r is not an IPv4 or IPv6 address" % (text,)) from None
    host_prefix = 32 if ip.version == 4 else 128
    if prefix:
        if not prefix.isdigit() or not 0 <= int(prefix) <= host_prefix:
            raise ModuleError("addresses: %r has an invalid prefix length %r" % (text, prefix))
        prefix = int(prefix)
    else:
        prefix = host_prefix
    if prefix != host_prefix and not force_prefix:
        raise ModuleError(
            "addresses: %r has prefix /%d; a VIP on %s must be /%d (a wider prefix makes the kernel treat the whole "
            "network as local and blackholes it); set force_prefix=true if you really mean it" % (text, prefix, interface, host_prefix)
        )
    if ip.is_loopback or ip.is_unspecified or ip.is_multicast or (ip.version == 6 and ip.is_link_local):
        raise ModuleError("addresses: %r is a loopback, unspecified, multicast or link-local address, not a VIP" % (text,))
    return Vip(ip, prefix, interface, label)


def check_label(label, interface):
    if label is None:
        return
    if not (label == interface or label.startswith(interface + ":")) or len(label) > IFNAMSIZ:
        raise ModuleError("label: %r must be %r or start with %r and be at most %d characters" % (label, interface, interface + ":", IFNAMSIZ))


def parse_ip_json(text, interface):
    """``ip -j addr show dev IFACE`` output -> list of Vip (every address, including ones we do not own)."""
    result = []
    for link in json.loads(text or "[]"):
        for info in link.get("addr_info", []):
            if info.get("family") not in ("inet", "inet6") or "local" not in info:
                continue
            label = info.get("label") if info.get("family") == "inet" else None
            result.append(Vip(info["local"], info["prefixlen"], interface, label))
    return result


class IpAddr:
    """Runtime addresses of one interface through ``ip`` (the one runner)."""

    def __init__(self, runner):
        self.runner = runner

    def read(self, interface):
        res = self.runner.run("ip", ["-j", "address", "show", "dev", interface], ok_rc=None)
        if res.rc != 0:
            if "does not exist" in (res.stderr or "") or "Cannot find device" in (res.stderr or ""):
                raise ModuleError("interface: %r does not exist on this host" % interface)
            raise ModuleError("ip address show dev %s failed (rc=%s): %s" % (interface, res.rc, (res.stderr or "").strip()), rc=res.rc, stderr=res.stderr)
        return parse_ip_json(res.stdout, interface)

    @staticmethod
    def add_argv(vip):
        argv = ["address", "add", vip.cidr, "dev", vip.interface]
        if vip.label:
            argv += ["label", vip.label]
        return argv

    @staticmethod
    def del_argv(vip):
        return ["address", "del", vip.cidr, "dev", vip.interface]

    def add(self, vip):
        self.runner.run("ip", self.add_argv(vip))

    def delete(self, vip):
        self.runner.run("ip", self.del_argv(vip))
