# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IPVS table model of lvs.cluster: keys, attributes, a table, and the pure functions over them.

* :func:`parse_save` reads ``ipvsadm -Sn`` output, :func:`merge_thresholds` adds the ``-x``/``-y``
  values that only ``ipvsadm -Ln --thresholds`` shows.
* ``make_*`` validate and normalise user input (module parameters or a service of the service
  model, :func:`service_from_model`); every error names the parameter and the value.
* :func:`diff_tables` compares two tables (O(n), dicts), :func:`render_plan` turns the difference
  into ``ipvsadm -R`` lines in a safe order: edits, then deletions (destinations before services),
  then additions.

Pure Python: no Ansible imports, so the service-model code and the filters can reuse it.
"""

from __future__ import annotations

import ipaddress
import re
from collections import namedtuple

PROTOCOLS = ("tcp", "udp", "sctp")
SCHEDULERS = ("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos")
FORWARDING = ("direct", "tunnel", "masquerade")
TUNNEL_TYPES = ("ipip", "gue", "gre")
TUNNEL_CHECKSUMS = ("nocsum", "csum", "remcsum")
PERSISTENCE_ENGINES = ("sip",)
FLAG_CHOICES = SCHED_FLAG_NAMES = ("sh-fallback", "sh-port", "mh-fallback", "mh-port", "flag-1", "flag-2", "flag-3")

# What ipvsadm 1.31 uses when an option is given without its value, read from the real tool in
# the lab (Debian bookworm, kernel 6.1): "-p" alone gives 360 s (ipvsadm(8) says 300: it is wrong),
# the default netmask is not printed by -Sn. tests/lab/test_ipvs_modules.py re-checks them.
DEFAULT_PERSISTENT_TIMEOUT = 360
DEFAULT_SCHEDULER = "wlc"
DEFAULT_NETMASK_V4 = "255.255.255.255"
DEFAULT_NETMASK_V6 = 128
MAX_WEIGHT = 65535
MAX_THRESHOLD = 65535
MAX_FWMARK = 4294967295

_FWD_FLAG = {"direct": "-g", "tunnel": "-i", "masquerade": "-m"}
_FLAG_FWD = {"-g": "direct", "--gatewaying": "direct", "-i": "tunnel", "--ipip": "tunnel", "-m": "masquerade", "--masquerading": "masquerade"}
_PROTO_FLAG = {"tcp": "-t", "udp": "-u", "sctp": "--sctp-service"}
_FLAG_PROTO = {"-t": "tcp", "--tcp-service": "tcp", "-u": "udp", "--udp-service": "udp", "--sctp-service": "sctp"}
_LIST_PROTO = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp"}
_CSUM_FLAG = {"nocsum": "--tun-nocsum", "csum": "--tun-csum", "remcsum": "--tun-remcsum"}
_FLAG_CSUM = {v: k for k, v in _CSUM_FLAG.items()}
# scheduler flags are three bits in the kernel; sh and mh give the first two a name
_FLAG_BITS = {"flag-1": 1, "flag-2": 2, "flag-3": 4, "sh-fallback": 1, "sh-port": 2, "mh-fallback": 1, "mh-port": 2}


class IPVSError(Exception):
    """Bad input or unparsable tool output; ``param`` and ``value`` name what was wrong."""

    def __init__(self, msg, param=None, value=None):
        super().__init__(msg)
        self.msg = msg
        self.param = param
        self.value = value


def _bad(param, value, why):
    return IPVSError("%s: %r %s" % (param, value, why), param, value)


class ServiceKey(namedtuple("ServiceKey", "protocol address port fwmark family")):
    """Identity of a virtual service. ``protocol`` is ``fwmark`` for firewall-mark services."""

    __slots__ = ()

    def args(self):
        """The service part of an ipvsadm command line, as -Sn prints it."""
        if self.protocol == "fwmark":
            return "-f %d -6" % self.fwmark if self.family == "ipv6" else "-f %d" % self.fwmark
        return "%s %s" % (_PROTO_FLAG[self.protocol], hostport(self.address, self.port, self.family))

    def argv(self):
        return self.args().split()

    def __str__(self):
        if self.protocol == "fwmark":
            return "fwmark/%d%s" % (self.fwmark, "/ipv6" if self.family == "ipv6" else "")
        return "%s/%s" % (self.protocol, hostport(self.address, self.port, self.family))


# netmask: None when not persistent, else a dotted IPv4 mask (str) or an IPv6 prefix length (int)
# sched_flags: the kernel's three bits as an int (1 = flag-1, 2 = flag-2, 4 = flag-3)
ServiceAttrs = namedtuple("ServiceAttrs", "scheduler persistent netmask persistence_engine one_packet sched_flags")
# tunnel_type/port/checksum are None unless forwarding is tunnel (port and checksum: gue/gre only)
DestAttrs = namedtuple("DestAttrs", "forwarding weight upper_threshold lower_threshold tunnel_type tunnel_port tunnel_checksum")


def hostport(address, port, family=None):
    if family == "ipv6" or (family is None and ":" in address):
        return "[%s]:%d" % (address, port)
    return "%s:%d" % (address, port)


def split_hostport(text):
    """'192.0.2.1:80' or '[2001:db8::1]:80' -> (address, port, family), as ipvsadm prints them;
    port is None when absent ('192.0.2.1', '2001:db8::1', '[2001:db8::1]')."""
    if text.startswith("["):
        host, _sep, port = text[1:].partition("]")
        return host, int(port[1:]) if port else None, "ipv6"
    host, sep, port = text.rpartition(":")
    if ":" in host:
        return text, None, "ipv6"
    if not sep:
        return text, None, "ipv4"
    return host, int(port), "ipv4"


class Table:
    """An IPVS table: ``services`` maps ServiceKey -> ServiceAttrs and ``dests`` maps
    ServiceKey -> {(address, port): DestAttrs}."""

    __slots__ = ("dests", "services")

    def __init__(self):
        self.services = {}
        self.dests = {}

    def add_service(self, key, attrs):
        self.services[key] = attrs
        self.dests.setdefault(key, {})

    def __eq__(self, other):
        return isinstance(other, Table) and self.services == other.services and self.dests == other.dests

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __len__(self):
        return len(self.services)

    def copy(self):
        new = Table()
        new.services = dict(self.services)
        new.dests = {k: dict(v) for k, v in self.dests.items()}
        return new

    def to_list(self):
        """The table as plain data (sorted): what modules return and diff mode shows."""
        return [service_to_dict(key, self.services[key], self.dests.get(key, {})) for key in sorted(self.services, key=_sort_key)]


def _sort_key(key):
    return (key.protocol, key.family, key.address, key.port, key.fwmark)


def sched_flag_names(bits, scheduler):
    """Kernel flag bits -> the names ipvsadm uses for this scheduler (sh-*/mh-* or flag-N)."""
    names = []
    for bit, generic in ((1, "flag-1"), (2, "flag-2"), (4, "flag-3")):
        if bits & bit:
            if scheduler in ("sh", "mh") and bit != 4:
                names.append("%s-%s" % (scheduler, "fallback" if bit == 1 else "port"))
            else:
                names.append(generic)
    return names


def service_to_dict(key, attrs, dests=None):
    data = {"service": str(key), "protocol": key.protocol if key.protocol != "fwmark" else None, "family": key.family}
    if key.protocol == "fwmark":
        data["fwmark"] = key.fwmark
    else:
        data["address"] = key.address
        data["port"] = key.port
    data.update(
        scheduler=attrs.scheduler,
        persistent=attrs.persistent,
        netmask=attrs.netmask,
        persistence_engine=attrs.persistence_engine,
        one_packet=attrs.one_packet,
        sched_flags=sched_flag_names(attrs.sched_flags, attrs.scheduler),
    )
    if dests is not None:
        data["real_servers"] = [dest_to_dict(dkey, dests[dkey], key.family) for dkey in sorted(dests)]
    return data


def dest_to_dict(dkey, attrs, family=None):
    data = {"server": hostport(dkey[0], dkey[1], family), "address": dkey[0], "port": dkey[1]}
    data.update(attrs._asdict())
    return data


# --------------------------------------------------------------------------------------- parsing


def _parse_error(where, msg):
    """Unparsable ipvsadm output at ``where``; None when the caller names the place (parse_save: the line)."""
    return IPVSError(msg if where is None else "%s: %s" % (where, msg))


def _svc_key_from_tokens(tok, i, where=None):
    """Parse the service part of an ipvsadm command starting at tok[i]; returns (key, next index)."""
    flag = tok[i]
    if flag in ("-f", "--fwmark-service"):
        fwmark = int(tok[i + 1])
        i += 2
        family = "ipv4"
        if i < len(tok) and tok[i] in ("-6", "--ipv6"):
            family = "ipv6"
            i += 1
        return ServiceKey("fwmark", "", 0, fwmark, family), i
    proto = _FLAG_PROTO.get(flag)
    if proto is None:
        raise _parse_error(where, "expected a service option (-t, -u, --sctp-service, -f), got %r" % (flag,))
    addr, port, family = split_hostport(tok[i + 1])
    return ServiceKey(proto, addr, port, 0, family), i + 2


def _service_attrs_from_tokens(tok, i, key, where=None):
    scheduler = DEFAULT_SCHEDULER
    persistent = 0
    netmask = None
    pe = None
    ops = False
    flags = 0
    n = len(tok)
    while i < n:
        opt = tok[i]
        i += 1
        if opt in ("-s", "--scheduler"):
            scheduler = tok[i]
            i += 1
        elif opt in ("-p", "--persistent"):
            if i < n and tok[i].isdigit():
                persistent = int(tok[i])
                i += 1
            else:
                persistent = DEFAULT_PERSISTENT_TIMEOUT
        elif opt in ("-M", "--netmask"):
            netmask = tok[i]
            i += 1
        elif opt == "--pe":
            pe = tok[i]
            i += 1
        elif opt in ("-o", "--ops", "ops"):
            ops = True
        elif opt in ("-b", "--sched-flags"):
            for name in tok[i].split(","):
                flags |= _FLAG_BITS[name]
            i += 1
        elif opt in ("-6", "--ipv6"):
            pass
        else:
            raise _parse_error(where, "unknown service option %r" % (opt,))
    if persistent:
        if netmask is None:
            netmask = DEFAULT_NETMASK_V6 if key.family == "ipv6" else DEFAULT_NETMASK_V4
        elif key.family == "ipv6":
            netmask = int(netmask)
    else:
        netmask = None
    return ServiceAttrs(scheduler, persistent, netmask, pe, ops, flags)


def _dest_from_tokens(tok, i, key, where=None):
    addr = port = None
    fwd = "direct"
    weight = 1
    upper = lower = 0
    tun_type = tun_port = csum = None
    n = len(tok)
    while i < n:
        opt = tok[i]
        i += 1
        if opt in ("-r", "--real-server"):
            addr, port, _family = split_hostport(tok[i])
            i += 1
        elif opt in _FLAG_FWD:
            fwd = _FLAG_FWD[opt]
        elif opt in ("-w", "--weight"):
            weight = int(tok[i])
            i += 1
        elif opt in ("-x", "--u-threshold"):
            upper = int(tok[i])
            i += 1
        elif opt in ("-y", "--l-threshold"):
            lower = int(tok[i])
            i += 1
        elif opt == "--tun-type":
            tun_type = tok[i]
            i += 1
        elif opt == "--tun-port":
            tun_port = int(tok[i])
            i += 1
        elif opt in _FLAG_CSUM:
            csum = _FLAG_CSUM[opt]
        else:
            raise _parse_error(where, "unknown destination option %r" % (opt,))
    if addr is None:
        raise _parse_error(where, "destination without -r")
    if port is None or fwd != "masquerade":
        port = key.port  # what ipvsadm does: only NAT keeps a real port of its own
    if fwd == "tunnel":
        tun_type = tun_type or "ipip"
        if tun_type == "ipip":
            tun_port = csum = None
        else:
            csum = csum or "nocsum"
            if tun_type != "gue":
                tun_port = None
    else:
        tun_type = tun_port = csum = None
    return (addr, port), DestAttrs(fwd, weight, upper, lower, tun_type, tun_port, csum)


def _where(lineno, line):
    return "line %d (%s)" % (lineno, line.strip())


def parse_save(text):
    """Parse ``ipvsadm -Sn`` output (or ``ipvsadm -R`` input made of -A/-a lines) into a Table."""
    table = Table()
    services = table.services
    dests = table.dests
    keys = {}  # "-t 192.0.2.1:80" -> (ServiceKey, next token): every -a line repeats its service
    for lineno, line in enumerate(text.splitlines(), 1):
        tok = line.split()
        if not tok or tok[0].startswith("#"):
            continue
        # errors name the line; formatted only when one is raised
        try:
            cmd = tok[0]
            if len(tok) > 3 and tok[1] in ("-t", "-u"):
                cached = keys.get((tok[1], tok[2]))
                if cached is None:
                    cached = keys[(tok[1], tok[2])] = _svc_key_from_tokens(tok, 1)
                key, i = cached
            else:
                key, i = _svc_key_from_tokens(tok, 1)
            if cmd in ("-a", "--add-server"):  # four in five lines of a typical table
                dkey, dattrs = _dest_from_tokens(tok, i, key)
                if key not in services:
                    raise IPVSError("destination of an unknown service %s" % (key,))
                dests[key][dkey] = dattrs
            elif cmd in ("-A", "--add-service"):
                services[key] = _service_attrs_from_tokens(tok, i, key)
                dests.setdefault(key, {})
            else:
                raise IPVSError("expected -A or -a")
        except IPVSError as exc:
            raise IPVSError("%s: %s" % (_where(lineno, line), exc.msg)) from None
        except (IndexError, ValueError, KeyError) as exc:
            raise IPVSError("cannot parse ipvsadm output at %s: %s" % (_where(lineno, line), exc)) from exc
    return table


def parse_list(text):
    """Parse ``ipvsadm -Ln`` style listings (--thresholds, --stats, --rate, --persistent-conn,
    --tun-info, plain). Returns (service_columns, dest_columns, {key: {"fields": [...],
    "dests": {(addr, port): [...]}}}) with the remaining whitespace-separated fields of each line."""
    svc_cols = []
    dest_cols = []
    result = {}
    current = None
    for line in text.splitlines():
        tok = line.split()
        if not tok:
            continue
        head = tok[0]
        if head == "->":
            if tok[1].startswith("RemoteAddress"):
                dest_cols = tok[2:]
                continue
            if current is None:
                continue
            addr, port, _family = split_hostport(tok[1])
            current["dests"][(addr, port)] = tok[2:]
        elif head in _LIST_PROTO:
            addr, port, family = split_hostport(tok[1])
            current = result[ServiceKey(_LIST_PROTO[head], addr, port, 0, family)] = {"fields": tok[2:], "dests": {}}
        elif head == "FWM":
            rest = tok[2:]
            family = "ipv4"
            if rest and rest[0] == "IPv6":
                family = "ipv6"
                rest = rest[1:]
            current = result[ServiceKey("fwmark", "", 0, int(tok[1]), family)] = {"fields": rest, "dests": {}}
        elif head == "Prot":
            svc_cols = tok[2:]
    # --thresholds/--stats/--rate put every column on the "Prot" header line
    return svc_cols, dest_cols or svc_cols, result


def merge_thresholds(table, text):
    """Set the destinations' upper/lower thresholds from ``ipvsadm -Ln --thresholds`` output."""
    _svc_cols, cols, listing = parse_list(text)
    try:
        iu, il = cols.index("Uthreshold"), cols.index("Lthreshold")
    except ValueError as exc:
        raise IPVSError("unexpected ipvsadm --thresholds output: no Uthreshold/Lthreshold columns") from exc
    for key, entry in listing.items():
        dests = table.dests.get(key)
        if not dests:
            continue
        for dkey, fields in entry["dests"].items():
            attrs = dests.get(dkey)
            if attrs is not None:
                upper, lower = int(fields[iu]), int(fields[il])
                if upper != attrs.upper_threshold or lower != attrs.lower_threshold:
                    dests[dkey] = attrs._replace(upper_threshold=upper, lower_threshold=lower)
    return table


def connection_counts(text):
    """{ServiceKey: {(addr, port): (active, inactive)}} from ``ipvsadm -Ln`` or ``-Ln --thresholds``."""
    _svc_cols, cols, listing = parse_list(text)
    ia, ii = cols.index("ActiveConn"), cols.index("InActConn")
    return {key: {d: (int(f[ia]), int(f[ii])) for d, f in entry["dests"].items()} for key, entry in listing.items()}


# ------------------------------------------------------------------------------ input validation


def _int(param, value, low, high, what=None):
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:  # the common case, 180,000 times for a 10,000-service table
        return value
    if isinstance(value, bool):
        raise _bad(param, value, "is not an integer")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _bad(param, value, "is not an integer") from None
    if str(number) != str(value).strip() and not isinstance(value, int):
        raise _bad(param, value, "is not an integer")
    if number < low or number > high:
        raise _bad(param, value, what or "is out of range (%d-%d)" % (low, high))
    return number


# text as given -> (canonical text, family) of the unicast addresses seen so far: a big table names
# the same VIPs and real servers many times, and ipaddress parsing dominated table_from_model
_ADDRESS_CACHE = {}
_ADDRESS_CACHE_MAX = 65536
# an IPv4 address written as ipaddress writes it (four decimal octets 0-255, no leading zeros) is
# recognised without ipaddress, which takes a few microseconds per address: tables of distinct
# addresses (a VIP per service, real servers of their own) have tens of thousands
_CANONICAL_IPV4 = re.compile(r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}")


def normalise_address(param, value, family=None):
    """An IP address in its canonical text form, and its family. Rejects networks and names."""
    found = _ADDRESS_CACHE.get(value) if isinstance(value, str) else None
    if found is None:
        found = _parse_address(param, value)
        if isinstance(value, str) and len(_ADDRESS_CACHE) < _ADDRESS_CACHE_MAX:
            _ADDRESS_CACHE[value] = found
    fam = found[1]
    if family and family != fam:
        raise _bad(param, value, "is an %s address but the service family is %s" % (fam.replace("ip", "IP"), family))
    return found


def _parse_address(param, value):
    if isinstance(value, str) and _CANONICAL_IPV4.fullmatch(value):
        # already canonical: what ipaddress would say, without it
        if value == "0.0.0.0" or 224 <= int(value[: value.index(".")]) <= 239:  # unspecified, multicast (224.0.0.0/4)
            raise _bad(param, value, "is not a unicast address")
        return str(value), "ipv4"
    text = str(value).strip() if value is not None else ""
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        raise _bad(param, value, "is not an IPv4 or IPv6 address") from None
    if ip.is_multicast or ip.is_unspecified:
        raise _bad(param, value, "is not a unicast address")
    return ip.compressed, "ipv6" if ip.version == 6 else "ipv4"


def _renamed(exc, prefix, names=None):
    """``exc`` with its parameter as the caller knows it: ``prefix`` + the field, or ``names[field]``.

    The ``make_*`` functions and :func:`service_from_model` raise errors that name the bare field
    (``weight: -1 is out of range (0-65535)``); the prefix (``services[3] (web).real_servers[1].``)
    is added here, only when an error is raised: building those names for every value of a big
    table cost more than the checks themselves."""
    field = exc.param
    if not (prefix or names) or not isinstance(field, str) or not exc.msg.startswith(field):
        return exc
    param = prefix + (names or {}).get(field, field)
    return IPVSError(param + exc.msg[len(field) :], param, exc.value)


def make_service_key(*, protocol="tcp", address=None, port=None, fwmark=None, family=None, persistent=0, prefix=""):
    """Validate and normalise a service identity given as protocol+address+port or fwmark(+family);
    ``prefix`` goes before the parameter names in messages."""
    try:
        if fwmark is not None:
            if address is not None or port is not None:
                raise _bad("fwmark", fwmark, "cannot be combined with address/port (a service is either address:port or fwmark)")
            mark = _int("fwmark", fwmark, 1, MAX_FWMARK, "must be an integer from 1 to %d" % MAX_FWMARK)
            fam = family or "ipv4"
            if fam not in ("ipv4", "ipv6"):
                raise _bad("family", family, "must be ipv4 or ipv6")
            return ServiceKey("fwmark", "", 0, mark, fam)
        if address is None:
            raise IPVSError("address: a service needs an address and port, or a fwmark", "address", None)
        if protocol not in PROTOCOLS:
            raise _bad("protocol", protocol, "must be one of %s" % ", ".join(PROTOCOLS))
        if family is not None and family not in ("ipv4", "ipv6"):
            raise _bad("family", family, "must be ipv4 or ipv6")
        addr, fam = normalise_address("address", address, family)
        if port is None:
            raise IPVSError("port: required with address %s" % addr, "port", None)
        low = 0 if persistent else 1
        number = _int("port", port, low, 65535, "must be 1-65535 (0, all ports, only for a persistent service)" if not persistent else None)
        return ServiceKey(protocol, addr, number, 0, fam)
    except IPVSError as exc:
        raise _renamed(exc, prefix) from None


def normalise_netmask(param, value, family):
    if family == "ipv6":
        if isinstance(value, str) and not value.strip().isdigit():
            raise _bad(param, value, "must be an IPv6 prefix length 1-128 for an IPv6 service")
        return _int(param, value, 1, 128, "must be an IPv6 prefix length 1-128")
    text = str(value).strip()
    if text.isdigit():
        length = _int(param, value, 1, 32, "must be a dotted IPv4 netmask or a prefix length 1-32 for an IPv4 service")
        return str(ipaddress.IPv4Network("0.0.0.0/%d" % length).netmask)
    try:
        return str(ipaddress.IPv4Network("0.0.0.0/%s" % text).netmask)
    except ValueError:
        raise _bad(param, value, "is not an IPv4 netmask (e.g. 255.255.255.0) or prefix length 1-32") from None


def make_service_attrs(key, *, scheduler=None, persistent=0, netmask=None, persistence_engine=None, one_packet=False, sched_flags=None, prefix="", names=None):
    """Validate and normalise a service's attributes; ``prefix`` and ``names`` (e.g. persistent ->
    persistence.timeout) name the parameters in messages."""
    try:
        scheduler = scheduler or DEFAULT_SCHEDULER
        if scheduler not in SCHEDULERS:
            raise _bad("scheduler", scheduler, "is not an IPVS scheduler (%s)" % " ".join(SCHEDULERS))
        persistent = _int("persistent", persistent or 0, 0, 2**31 - 1)
        if key.port == 0 and key.protocol != "fwmark" and not persistent:
            raise _bad("port", 0, "(all ports) needs a persistent service")
        if netmask is not None and not persistent:
            raise _bad("netmask", netmask, "needs a persistent service (persistence timeout > 0)")
        if persistent:
            default = DEFAULT_NETMASK_V6 if key.family == "ipv6" else DEFAULT_NETMASK_V4
            netmask = default if netmask is None else normalise_netmask("netmask", netmask, key.family)
        if persistence_engine is not None and persistence_engine not in PERSISTENCE_ENGINES:
            raise _bad("persistence_engine", persistence_engine, "must be one of %s" % ", ".join(PERSISTENCE_ENGINES))
        if one_packet and key.protocol not in ("udp", "fwmark"):
            raise _bad("one_packet", one_packet, "is for UDP (or fwmark) services only, not %s" % (key,))
        bits = 0
        for name in sched_flags or ():
            if name not in _FLAG_BITS:
                raise _bad("sched_flags", name, "is not a scheduler flag (%s)" % ", ".join(SCHED_FLAG_NAMES))
            owner = name.split("-")[0]
            if owner in ("sh", "mh") and owner != scheduler:
                raise _bad("sched_flags", name, "is a flag of the %s scheduler, not of %s" % (owner, scheduler))
            bits |= _FLAG_BITS[name]
        return ServiceAttrs(scheduler, persistent, netmask, persistence_engine or None, bool(one_packet), bits)
    except IPVSError as exc:
        raise _renamed(exc, prefix, names) from None


def make_dest(
    key,
    address,
    *,
    port=None,
    forwarding=None,
    weight=None,
    upper_threshold=None,
    lower_threshold=None,
    tunnel_type=None,
    tunnel_port=None,
    tunnel_checksum=None,
    prefix="",
    names=None,
):
    """Validate and normalise a destination of the service ``key``; returns ((address, port), DestAttrs).
    ``prefix`` and ``names`` (e.g. address -> server_address) name the parameters in messages."""
    try:
        forwarding = forwarding or "direct"
        if forwarding not in FORWARDING:
            raise _bad("forwarding", forwarding, "must be one of %s" % ", ".join(FORWARDING))
        addr, _fam = normalise_address("address", address, key.family)
        dport = key.port if port is None else _int("port", port, 0 if key.port == 0 else 1, 65535)
        if forwarding != "masquerade":
            if key.protocol == "fwmark":
                dport = 0  # ipvsadm: only NAT keeps a real port; DR/TUN use the (absent) service port
            elif dport != key.port:
                raise _bad("port", port, "differs from the service port %d: only forwarding=masquerade can map ports" % key.port)
        weight = _int("weight", 1 if weight is None else weight, 0, MAX_WEIGHT)
        # no threshold (None, 0) is the common case: 0 needs no check
        upper = _int("upper_threshold", upper_threshold, 0, MAX_THRESHOLD) if upper_threshold else 0
        lower = _int("lower_threshold", lower_threshold, 0, MAX_THRESHOLD) if lower_threshold else 0
        if upper and lower > upper:
            raise _bad("lower_threshold", lower, "is greater than upper_threshold %d" % upper)
        if forwarding != "tunnel":
            if tunnel_type is not None or tunnel_port is not None or tunnel_checksum is not None:
                for name, value in (("tunnel_type", tunnel_type), ("tunnel_port", tunnel_port), ("tunnel_checksum", tunnel_checksum)):
                    if value is not None:
                        raise _bad(name, value, "needs forwarding=tunnel (forwarding is %s)" % forwarding)
            return (addr, dport), DestAttrs(forwarding, weight, upper, lower, None, None, None)
        tunnel_type, tunnel_port, tunnel_checksum = _tunnel_options(tunnel_type, tunnel_port, tunnel_checksum)
        return (addr, dport), DestAttrs(forwarding, weight, upper, lower, tunnel_type, tunnel_port, tunnel_checksum)
    except IPVSError as exc:
        raise _renamed(exc, prefix, names) from None


def _tunnel_options(tunnel_type, tunnel_port, tunnel_checksum):
    """(type, port, checksum) of a tunnel destination, defaults filled in."""
    tunnel_type = tunnel_type or "ipip"
    if tunnel_type not in TUNNEL_TYPES:
        raise _bad("tunnel_type", tunnel_type, "must be one of %s" % ", ".join(TUNNEL_TYPES))
    if tunnel_type == "gue":
        if tunnel_port is None:
            raise IPVSError("tunnel_port: required with tunnel_type=gue", "tunnel_port", None)
        tunnel_port = _int("tunnel_port", tunnel_port, 1, 65535)
    elif tunnel_port is not None:
        raise _bad("tunnel_port", tunnel_port, "is only for tunnel_type=gue (tunnel_type is %s)" % tunnel_type)
    if tunnel_type == "ipip":
        if tunnel_checksum is not None:
            raise _bad("tunnel_checksum", tunnel_checksum, "is only for tunnel_type gue or gre (tunnel_type is ipip)")
    else:
        tunnel_checksum = tunnel_checksum or "nocsum"
        if tunnel_checksum not in TUNNEL_CHECKSUMS:
            raise _bad("tunnel_checksum", tunnel_checksum, "must be one of %s" % ", ".join(TUNNEL_CHECKSUMS))
        if tunnel_checksum == "remcsum" and tunnel_type != "gue":
            raise _bad("tunnel_checksum", tunnel_checksum, "(remote checksum offload) is only for tunnel_type=gue")
    return tunnel_type, tunnel_port, tunnel_checksum


# keys of the service model that only keepalived/roles read; ipvs_table accepts and ignores them
MODEL_IGNORED_KEYS = frozenset(
    ("name", "check", "delay_loop", "sorry_server", "quorum", "inhibit_on_failure", "alpha", "omega", "virtualhost", "real_servers", "ha_suspend")
)
MODEL_SERVICE_KEYS = frozenset(
    ("address", "port", "fwmark", "family", "protocol", "scheduler", "sched_flags", "forwarding", "persistence", "one_packet", "persistence_engine", "tunnel")
)
MODEL_REAL_SERVER_KEYS = frozenset(("host", "address", "port", "weight", "forwarding", "upper_threshold", "lower_threshold", "check", "name"))
_MODEL_PERSISTENCE_NAMES = {"persistent": "persistence.timeout", "netmask": "persistence.netmask"}


def service_from_model(svc, where="services[0]"):
    """One service of the service model (docs/service-model.md), real servers given by ``address``
    -> (ServiceKey, ServiceAttrs, {(addr, port): DestAttrs}). Validates the IPVS parts; the
    keepalived-only parts are left to the director code."""
    if not isinstance(svc, dict):
        raise _bad(where, svc, "must be a dict (a service of the service model)")
    try:
        return _service_from_model(svc)
    except IPVSError as exc:
        label = "%s (%s)" % (where, svc["name"]) if svc.get("name") else where
        raise _renamed(exc, label + ".") from None


def _service_from_model(svc):
    """:func:`service_from_model` with errors named within the service (``real_servers[1].weight``)."""
    if not MODEL_SERVICE_KEYS.issuperset(svc):
        unknown = sorted(set(svc) - MODEL_SERVICE_KEYS - MODEL_IGNORED_KEYS)
        if unknown:
            raise _bad(unknown[0], svc[unknown[0]], "is not a field of the service model")
    persistence = svc.get("persistence") or {}
    if not isinstance(persistence, dict):
        raise _bad("persistence", persistence, "must be a dict with timeout, netmask")
    timeout = persistence.get("timeout")
    if persistence and timeout is None:
        timeout = DEFAULT_PERSISTENT_TIMEOUT
    netmask = persistence.get("netmask", persistence.get("granularity"))
    key = make_service_key(
        protocol=svc.get("protocol") or "tcp",
        address=svc.get("address"),
        port=svc.get("port"),
        fwmark=svc.get("fwmark"),
        family=svc.get("family"),
        persistent=timeout or 0,
    )
    attrs = make_service_attrs(
        key,
        scheduler=svc.get("scheduler"),
        persistent=timeout or 0,
        netmask=netmask,
        persistence_engine=svc.get("persistence_engine"),
        one_packet=svc.get("one_packet", False),
        sched_flags=svc.get("sched_flags"),
        names=_MODEL_PERSISTENCE_NAMES,
    )
    tunnel = svc.get("tunnel") or {}
    if not isinstance(tunnel, dict):
        raise _bad("tunnel", tunnel, "must be a dict with type, port, checksum")
    default_fwd = svc.get("forwarding") or "direct"
    if default_fwd not in FORWARDING:
        raise _bad("forwarding", default_fwd, "must be one of %s" % ", ".join(FORWARDING))
    real_servers = svc.get("real_servers")
    if real_servers is None:
        real_servers = []
    if not isinstance(real_servers, list):
        raise _bad("real_servers", real_servers, "must be a list")
    dests = {}
    for index, rs in enumerate(real_servers):
        if not isinstance(rs, dict):
            raise _bad("real_servers[%d]" % index, rs, "must be a dict")
        if not MODEL_REAL_SERVER_KEYS.issuperset(rs):
            bad = sorted(set(rs) - MODEL_REAL_SERVER_KEYS)
            raise _bad("real_servers[%d]." % index + bad[0], rs[bad[0]], "is not a field of a real server")
        address = rs.get("address")
        if address is None:
            raise IPVSError(
                "real_servers[%d].address: required (host %r must be resolved to an address first, e.g. with lvs.cluster.lvs_services)"
                % (index, rs.get("host")),
                "real_servers[%d].address" % index,
                None,
            )
        fwd = rs.get("forwarding") or default_fwd
        tun = tunnel if fwd == "tunnel" else {}
        try:
            dkey, dattrs = make_dest(
                key,
                address,
                port=rs.get("port"),
                forwarding=fwd,
                weight=rs.get("weight"),
                upper_threshold=rs.get("upper_threshold"),
                lower_threshold=rs.get("lower_threshold"),
                tunnel_type=tun.get("type"),
                tunnel_port=tun.get("port"),
                tunnel_checksum=tun.get("checksum"),
            )
        except IPVSError as exc:
            raise _renamed(exc, "real_servers[%d]." % index) from None
        if dkey in dests:
            raise _bad("real_servers[%d].address" % index, address, "is listed twice for this service (%s)" % hostport(dkey[0], dkey[1], key.family))
        dests[dkey] = dattrs
    if tunnel and default_fwd != "tunnel" and not any(d.forwarding == "tunnel" for d in dests.values()):
        raise _bad("tunnel", tunnel, "needs forwarding=tunnel")
    return key, attrs, dests


def table_from_model(services, where="services"):
    """A list of service-model services -> Table (and {key: name}); duplicates are rejected."""
    table = Table()
    names = {}
    if not isinstance(services, list):
        raise _bad(where, services, "must be a list of services")
    for index, svc in enumerate(services):
        key, attrs, dests = service_from_model(svc, "%s[%d]" % (where, index))
        if key in table.services:
            raise _bad("%s[%d]" % (where, index), svc.get("name") or str(key), "repeats the service %s" % (key,))
        table.services[key] = attrs
        table.dests[key] = dests
        names[key] = svc.get("name")
    return table, names


# ---------------------------------------------------------------------------------- diff & render


class Plan:
    """The difference between two tables, as the operations that turn ``current`` into ``desired``."""

    __slots__ = ("add_dests", "add_services", "del_dests", "del_services", "edit_dests", "edit_services")

    def __init__(self):
        self.edit_services = []  # (key, before, after)
        self.edit_dests = []  # (key, dkey, before, after)
        self.del_dests = []  # (key, dkey, before)
        self.del_services = []  # (key, before)
        self.add_services = []  # (key, after)
        self.add_dests = []  # (key, dkey, after)

    def __bool__(self):
        return bool(self.edit_services or self.edit_dests or self.del_dests or self.del_services or self.add_services or self.add_dests)

    def __len__(self):
        return len(self.edit_services) + len(self.edit_dests) + len(self.del_dests) + len(self.del_services) + len(self.add_services) + len(self.add_dests)


def diff_tables(current, desired, purge_services=(), purge_dests=False):
    """Operations turning ``current`` into ``desired``.

    Services and destinations in ``desired`` are added or edited. Services of ``current`` that
    are in ``purge_services`` (a set of keys, or a callable key -> bool) but not in ``desired``
    are deleted; with ``purge_dests`` the destinations of desired services that are not listed
    are deleted too."""
    plan = Plan()
    cur_services = current.services
    cur_dests = current.dests
    for key, attrs in desired.services.items():
        want = desired.dests.get(key, {})
        before = cur_services.get(key)
        if before is None:
            plan.add_services.append((key, attrs))
            plan.add_dests.extend((key, dkey, dattrs) for dkey, dattrs in want.items())
            continue
        if before != attrs:
            plan.edit_services.append((key, before, attrs))
        have = cur_dests.get(key, {})
        if have == want:
            continue  # nothing to add, edit or delete: the common case of a re-run, one comparison in C
        for dkey, dattrs in want.items():
            old = have.get(dkey)
            if old is None:
                plan.add_dests.append((key, dkey, dattrs))
            elif old != dattrs:
                plan.edit_dests.append((key, dkey, old, dattrs))
        if purge_dests:
            plan.del_dests.extend((key, dkey, old) for dkey, old in have.items() if dkey not in want)
    if purge_services:
        owned = purge_services if callable(purge_services) else purge_services.__contains__
        plan.del_services.extend((key, attrs) for key, attrs in cur_services.items() if key not in desired.services and owned(key))
    return plan


def service_args(key, attrs):
    parts = [key.args(), "-s", attrs.scheduler]
    if attrs.persistent:
        parts.append("-p %d" % attrs.persistent)
        if attrs.netmask not in (DEFAULT_NETMASK_V4, DEFAULT_NETMASK_V6):
            parts.append("-M %s" % attrs.netmask)
    if attrs.persistence_engine:
        parts.append("--pe %s" % attrs.persistence_engine)
    if attrs.one_packet:
        parts.append("-o")
    if attrs.sched_flags:
        parts.append("-b %s" % ",".join(sched_flag_names(attrs.sched_flags, attrs.scheduler)))
    return " ".join(parts)


def dest_args(key, dkey, attrs, service=None):
    """The destination part of an ipvsadm command line; ``service`` is ``key.args()`` when the
    caller has it already (a service's destinations come one after the other)."""
    line = "%s -r %s %s -w %d -x %d -y %d" % (
        service or key.args(),
        hostport(dkey[0], dkey[1], key.family),
        _FWD_FLAG[attrs.forwarding],
        attrs.weight,
        attrs.upper_threshold,
        attrs.lower_threshold,
    )
    if attrs.tunnel_type:
        line += " --tun-type %s" % attrs.tunnel_type
        if attrs.tunnel_port:
            line += " --tun-port %d" % attrs.tunnel_port
        if attrs.tunnel_checksum:
            line += " " + _CSUM_FLAG[attrs.tunnel_checksum]
    return line


def render_plan(plan):
    """The plan as ``ipvsadm -R`` lines, in a safe order: service and destination edits first,
    then destination deletions, service deletions (which take their destinations with them),
    and additions last (services before their destinations)."""
    lines = []
    add = lines.append
    for key, _before, after in plan.edit_services:
        add("-E " + service_args(key, after))
    for key, dkey, _before, after in plan.edit_dests:
        add("-e " + dest_args(key, dkey, after))
    deleted = {key for key, _before in plan.del_services}
    for key, dkey, _before in plan.del_dests:
        if key not in deleted:
            add("-d %s -r %s" % (key.args(), hostport(dkey[0], dkey[1], key.family)))
    for key, _before in plan.del_services:
        add("-D " + key.args())
    for key, after in plan.add_services:
        add("-A " + service_args(key, after))
    service = args = None
    for key, dkey, after in plan.add_dests:
        if key is not service:
            service, args = key, key.args()
        add("-a " + dest_args(key, dkey, after, args))
    return lines


def render_table(table):
    """The whole table as ``ipvsadm -R`` lines (-A then its -a lines)."""
    lines = []
    for key, attrs in table.services.items():
        lines.append("-A " + service_args(key, attrs))
        args = key.args()
        lines.extend("-a " + dest_args(key, dkey, dattrs, args) for dkey, dattrs in table.dests.get(key, {}).items())
    return lines


def apply_plan(table, plan):
    """The table ``plan`` would produce from ``table`` (a new Table; used for diff mode's after)."""
    new = table.copy()
    for key, _before, after in plan.edit_services:
        new.services[key] = after
    for key, dkey, _before, after in plan.edit_dests:
        new.dests[key][dkey] = after
    for key, dkey, _before in plan.del_dests:
        new.dests.get(key, {}).pop(dkey, None)
    for key, _before in plan.del_services:
        new.services.pop(key, None)
        new.dests.pop(key, None)
    for key, after in plan.add_services:
        new.add_service(key, after)
    for key, dkey, after in plan.add_dests:
        new.dests.setdefault(key, {})[dkey] = after
    return new


def _changes(before, after):
    return {field: [b, a] for field, b, a in zip(before._fields, before, after) if b != a}


def plan_report(plan, names=None, limit=None):
    """``added``, ``modified``, ``removed``: lists of {service, name?, destination?, changes?}
    (not ``changed``: Ansible reserves that key for its boolean), each cut to ``limit`` entries
    when given (only those are built)."""
    names = names or {}
    if limit is not None:
        cut = Plan()
        for attr in Plan.__slots__:
            setattr(cut, attr, getattr(plan, attr)[:limit])
        plan = _cut_report(cut, limit)

    def entry(key, dkey=None, before=None, after=None):
        item = {"service": str(key)}
        if names.get(key):
            item["name"] = names[key]
        if dkey is not None:
            item["destination"] = hostport(dkey[0], dkey[1], key.family)
        if before is not None and after is not None:
            changes = _changes(before, after)
            if "sched_flags" in changes:
                changes["sched_flags"] = [sched_flag_names(before.sched_flags, before.scheduler), sched_flag_names(after.sched_flags, after.scheduler)]
            item["changes"] = changes
        return item

    added = [entry(k) for k, _a in plan.add_services] + [entry(k, d) for k, d, _a in plan.add_dests]
    changed = [entry(k, None, b, a) for k, b, a in plan.edit_services] + [entry(k, d, b, a) for k, d, b, a in plan.edit_dests]
    removed = [entry(k, d) for k, d, _b in plan.del_dests] + [entry(k) for k, _b in plan.del_services]
    return {"added": added, "modified": changed, "removed": removed}


def _cut_report(plan, limit):
    """``plan`` with at most ``limit`` entries per report list (added = services + destinations ...)."""
    for first, second in (("add_services", "add_dests"), ("edit_services", "edit_dests"), ("del_dests", "del_services")):
        head = getattr(plan, first)[:limit]
        setattr(plan, first, head)
        setattr(plan, second, getattr(plan, second)[: limit - len(head)])
    return plan


def split_applied(plan, table):
    """After a failed ``ipvsadm -R``: which operations of ``plan`` are visible in the re-read
    ``table`` (applied) and which are not. Returns (applied_report, pending_report)."""
    done, pending = Plan(), Plan()
    for item in plan.edit_services:
        (done if table.services.get(item[0]) == item[2] else pending).edit_services.append(item)
    for item in plan.edit_dests:
        (done if table.dests.get(item[0], {}).get(item[1]) == item[3] else pending).edit_dests.append(item)
    for item in plan.del_dests:
        (done if item[1] not in table.dests.get(item[0], {}) else pending).del_dests.append(item)
    for item in plan.del_services:
        (done if item[0] not in table.services else pending).del_services.append(item)
    for item in plan.add_services:
        (done if table.services.get(item[0]) == item[1] else pending).add_services.append(item)
    for item in plan.add_dests:
        (done if table.dests.get(item[0], {}).get(item[1]) == item[2] else pending).add_dests.append(item)
    return plan_report(done), plan_report(pending)


def in_scope(key, scope):
    """Is ``key`` owned by ``scope`` (a list of VIPs and ``fwmark:N``)? Parsed with :func:`parse_scope`."""
    if key.protocol == "fwmark":
        return key.fwmark in scope[1]
    return key.address in scope[0]


def parse_scope(items, param="scope"):
    addresses, marks = set(), set()
    for item in items or ():
        text = str(item).strip()
        if text.startswith("fwmark:"):
            marks.add(_fwmark_item(param, item))
        else:
            addresses.add(normalise_address(param, item)[0])
    return addresses, marks


def _fwmark_item(param, item):
    text = str(item).strip()[len("fwmark:") :]
    if not text.isdigit() or not 1 <= int(text) <= MAX_FWMARK:
        raise _bad(param, item, "must be an address or fwmark:N with N from 1 to %d" % MAX_FWMARK)
    return int(text)
