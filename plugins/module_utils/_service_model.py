# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one service schema of lvs.cluster: validate and normalise ``lvs_virtual_services``.

Pure Python (standard library only), so that it runs on the controller (filter plugins, roles'
checks) and on managed nodes (``ipvs_table``). ``docs/service-model.md`` is the reference for
every field; keep the two in step.

Entry points:

* :func:`normalise_services` - the whole list, ``host:`` resolved through ``hostvars``;
* :func:`host_services` / :func:`host_vips` - the view of one real server;
* :func:`service_vips` / :func:`director_vips` - the addresses a director holds.

Every error is a :class:`ServiceModelError` whose message names the service (by name, else by
index), the field and the offending value.
"""

from __future__ import annotations

import ipaddress

SCHEDULERS = ("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos")
SCHED_FLAGS = ("sh-fallback", "sh-port", "mh-fallback", "mh-port", "flag-1", "flag-2", "flag-3")
PROTOCOLS = ("tcp", "udp", "sctp")
FAMILIES = ("ipv4", "ipv6")
FORWARDING = ("direct", "masquerade", "tunnel")
# accepted spellings -> canonical forwarding (ipvsadm / keepalived vocabulary)
FORWARDING_ALIASES = {
    "direct": "direct", "dr": "direct", "gatewaying": "direct", "route": "direct",
    "masquerade": "masquerade", "nat": "masquerade", "masquerading": "masquerade",
    "tunnel": "tunnel", "tun": "tunnel", "ipip": "tunnel",
}
KEEPALIVED_METHOD = {"direct": "DR", "masquerade": "NAT", "tunnel": "TUN"}
TUNNEL_TYPES = ("ipip", "gue", "gre")
TUNNEL_CHECKSUMS = ("nocsum", "csum", "remcsum")
CHECK_TYPES = ("tcp", "http", "https", "misc", "dns", "smtp", "udp", "ping", "none")
KEEPALIVED_CHECKER = {
    "tcp": "TCP_CHECK", "http": "HTTP_GET", "https": "SSL_GET", "misc": "MISC_CHECK", "dns": "DNS_CHECK",
    "smtp": "SMTP_CHECK", "udp": "UDP_CHECK", "ping": "PING_CHECK", "none": None,
}
DNS_QUERY_TYPES = ("A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA")

_COMMON_CHECK_KEYS = ("type", "connect_timeout", "retry", "delay_before_retry", "connect_port", "connect_ip", "bind_to", "warmup")
CHECK_KEYS = {
    "tcp": _COMMON_CHECK_KEYS,
    "http": (*_COMMON_CHECK_KEYS, "path", "status", "digest", "virtualhost"),
    "https": (*_COMMON_CHECK_KEYS, "path", "status", "digest", "virtualhost"),
    "misc": ("type", "path", "timeout", "dynamic", "user", "retry", "delay_before_retry", "warmup"),
    "dns": (*_COMMON_CHECK_KEYS, "name", "query_type"),
    "smtp": (*_COMMON_CHECK_KEYS, "helo_name"),
    "udp": (*_COMMON_CHECK_KEYS, "payload", "require_reply", "min_reply_length", "max_reply_length"),
    "ping": ("type", "connect_timeout", "retry", "delay_before_retry", "connect_ip", "bind_to", "warmup"),
    "none": ("type",),
}
# checkers that connect to a port: a real server without a port needs check.connect_port
_PORT_CHECKS = ("tcp", "http", "https", "dns", "smtp", "udp")

SERVICE_KEYS = (
    "name", "address", "port", "fwmark", "family", "protocol", "scheduler", "sched_flags", "forwarding",
    "persistence", "one_packet", "persistence_engine", "check", "delay_loop", "sorry_server", "quorum",
    "inhibit_on_failure", "alpha", "omega", "virtualhost", "tunnel", "group", "vips", "real_servers",
    "method", "virtual_servers",  # derived: present in normalised output, recomputed on input
)
REAL_SERVER_KEYS = (
    "host", "address", "port", "weight", "forwarding", "upper_threshold", "lower_threshold", "check", "tunnel",
    "family", "method",  # derived
)
PERSISTENCE_KEYS = ("timeout", "netmask", "granularity")
SORRY_KEYS = ("address", "port", "inhibit", "forwarding", "method")
QUORUM_KEYS = ("quorum", "hysteresis", "up", "down")
TUNNEL_KEYS = ("type", "port", "checksum")
GROUP_MEMBER_KEYS = ("address", "port", "fwmark", "family", "protocol")  # family/protocol: derived

DEFAULTS = {
    "protocol": "tcp", "scheduler": "wlc", "forwarding": "direct", "delay_loop": 6, "check": {"type": "tcp"},
}

MAX_U32 = 4294967295


class ServiceModelError(ValueError):
    """Invalid service model; the message names the service, the field and the value."""


class _Where:
    """Builds 'service web (#0): real_servers[1].port' style prefixes for messages."""

    def __init__(self, index, name=None):
        self.index = index
        self.name = name

    def __call__(self, field, msg):
        who = "service %r (#%d)" % (self.name, self.index) if self.name else "service #%d" % self.index
        return ServiceModelError("%s: %s: %s" % (who, field, msg))


# ---------------------------------------------------------------- scalar helpers

def _is_bool(value):
    return isinstance(value, bool)


def _bool(where, field, value, default=False):
    if value is None:
        return default
    if _is_bool(value):
        return value
    if isinstance(value, str) and value.lower() in ("yes", "true", "no", "false"):
        return value.lower() in ("yes", "true")
    raise where(field, "expected a boolean, got %r" % (value,))


def _int(where, field, value, low, high, *, default=None):
    if value is None:
        return default
    if _is_bool(value):
        raise where(field, "expected an integer %d-%d, got %r" % (low, high, value))
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise where(field, "expected an integer %d-%d, got %r" % (low, high, value))
    if not low <= value <= high:
        raise where(field, "%r is out of range %d-%d" % (value, low, high))
    return value


def _str(where, field, value, default=None, choices=None):
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise where(field, "expected a non-empty string, got %r" % (value,))
    if choices is not None and value not in choices:
        raise where(field, "%r is not one of %s" % (value, ", ".join(choices)))
    return value


def _dict(where, field, value, allowed):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise where(field, "expected a mapping, got %r" % (value,))
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise where(field, "unknown key(s) %s; allowed: %s" % (", ".join(unknown), ", ".join(allowed)))
    return value


def parse_ip(value):
    """An ``ipaddress`` object for an address string (no prefix), or None."""
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _ip(where, field, value):
    addr = parse_ip(value)
    if addr is None:
        raise where(field, "%r is not an IPv4 or IPv6 address" % (value,))
    return addr


def family_of(addr):
    return "ipv6" if addr.version == 6 else "ipv4"


def _forwarding(where, field, value, default):
    if value is None:
        return default
    canon = FORWARDING_ALIASES.get(str(value).lower()) if isinstance(value, str) else None
    if canon is None:
        raise where(field, "%r is not one of %s (or dr, nat, tun)" % (value, ", ".join(FORWARDING)))
    return canon


# ---------------------------------------------------------------- sub-structures

def _persistence(where, value, family):
    """``timeout`` (s, default 300) and ``netmask`` (alias ``granularity``, keepalived's
    persistence_granularity): an IPv4 mask, or an IPv6 prefix length."""
    data = _dict(where, "persistence", value, PERSISTENCE_KEYS)
    if data is None:
        return None
    timeout = _int(where, "persistence.timeout", data.get("timeout"), 1, 2147483647, default=300)
    field = "persistence.netmask"
    netmask = data.get("netmask")
    if data.get("granularity") is not None:
        if netmask is not None and str(data["granularity"]) != str(netmask):
            raise where("persistence.granularity", "%r conflicts with persistence.netmask %r (they are one setting)" % (data["granularity"], netmask))
        field, netmask = "persistence.granularity", data["granularity"]
    if netmask is not None:
        if family == "ipv6":
            netmask = _int(where, field, netmask, 1, 128)
        else:
            try:
                netmask = str(ipaddress.IPv4Network("0.0.0.0/%s" % netmask).netmask)
            except (ValueError, TypeError):
                raise where(field, "%r is not an IPv4 netmask" % (netmask,)) from None
    return {"timeout": timeout, "netmask": netmask}


def _tunnel(where, field, value):
    data = _dict(where, field, value, TUNNEL_KEYS)
    if data is None:
        return None
    ttype = _str(where, field + ".type", data.get("type"), default="ipip", choices=TUNNEL_TYPES)
    port = data.get("port")
    if ttype == "gue":
        port = _int(where, field + ".port", port, 1, 65535)
        if port is None:
            raise where(field + ".port", "a GUE tunnel needs a port")
    elif port is not None:
        raise where(field + ".port", "only a gue tunnel takes a port (type is %r)" % ttype)
    checksum = _str(where, field + ".checksum", data.get("checksum"), choices=TUNNEL_CHECKSUMS)
    if checksum is not None and ttype == "ipip":
        raise where(field + ".checksum", "checksum options apply to gue and gre tunnels, not ipip")
    return {"type": ttype, "port": port, "checksum": checksum}


def _check(where, field, value, inherited=None):
    """Normalise a check dict. ``inherited``: the service's check, for per-real-server overrides."""
    if value is None:
        return dict(inherited) if inherited is not None else _check(where, field, DEFAULTS["check"])
    if not isinstance(value, dict):
        raise where(field, "expected a mapping with a type, got %r" % (value,))
    ctype = value.get("type")
    if ctype is None and inherited is not None:
        ctype = inherited["type"]
        merged = {k: v for k, v in inherited.items() if v is not None}
        merged.update(value)
        value = merged
    ctype = ctype or "tcp"
    if ctype not in CHECK_TYPES:
        raise where(field + ".type", "%r is not one of %s" % (ctype, ", ".join(CHECK_TYPES)))
    _dict(where, field, value, (*CHECK_KEYS[ctype], "checker"))
    out = {"type": ctype, "checker": KEEPALIVED_CHECKER[ctype]}
    if ctype == "none":
        return out
    for key in ("connect_timeout", "delay_before_retry", "warmup", "timeout"):
        if key in CHECK_KEYS[ctype]:
            out[key] = _int(where, "%s.%s" % (field, key), value.get(key), 1, 86400)
    if "retry" in CHECK_KEYS[ctype]:
        out["retry"] = _int(where, field + ".retry", value.get("retry"), 0, 1000)
    if "connect_port" in CHECK_KEYS[ctype]:
        out["connect_port"] = _int(where, field + ".connect_port", value.get("connect_port"), 1, 65535)
    for key in ("connect_ip", "bind_to"):
        if key in CHECK_KEYS[ctype]:
            raw = value.get(key)
            out[key] = str(_ip(where, "%s.%s" % (field, key), raw)) if raw is not None else None
    if ctype in ("http", "https"):
        path = _str(where, field + ".path", value.get("path"), default="/")
        if not path.startswith("/"):
            raise where(field + ".path", "%r must start with /" % path)
        status = value.get("status", 200)
        statuses = status if isinstance(status, list) else [status]
        out["status"] = [_int(where, field + ".status", s, 100, 599) for s in statuses]
        digest = _str(where, field + ".digest", value.get("digest"))
        if digest is not None and (len(digest) != 32 or any(c not in "0123456789abcdefABCDEF" for c in digest)):
            raise where(field + ".digest", "%r is not an MD5 hex digest (32 hex digits)" % digest)
        out.update(path=path, digest=digest.lower() if digest else None,
                   virtualhost=_str(where, field + ".virtualhost", value.get("virtualhost")))
    elif ctype == "misc":
        path = _str(where, field + ".path", value.get("path"))
        if path is None:
            raise where(field + ".path", "a misc check needs the script to run (path)")
        out.update(path=path, dynamic=_bool(where, field + ".dynamic", value.get("dynamic")),
                   user=_str(where, field + ".user", value.get("user")))
    elif ctype == "dns":
        out.update(name=_str(where, field + ".name", value.get("name"), default="."),
                   query_type=_str(where, field + ".query_type", value.get("query_type"), default="SOA", choices=DNS_QUERY_TYPES))
    elif ctype == "smtp":
        out["helo_name"] = _str(where, field + ".helo_name", value.get("helo_name"))
    elif ctype == "udp":
        payload = value.get("payload")
        if payload is not None and (not isinstance(payload, str) or any(c not in "0123456789abcdefABCDEF" for c in payload) or len(payload) % 2):
            raise where(field + ".payload", "%r must be hex digits (an even number)" % (payload,))
        out.update(payload=payload, require_reply=_bool(where, field + ".require_reply", value.get("require_reply")),
                   min_reply_length=_int(where, field + ".min_reply_length", value.get("min_reply_length"), 0, 65535),
                   max_reply_length=_int(where, field + ".max_reply_length", value.get("max_reply_length"), 0, 65535))
    return out


def _resolve_host(where, field, host, hostvars, family):
    """Address of inventory host ``host``: lvs_real_server_address6 (IPv6 services),
    lvs_real_server_address, ansible_host, the name itself."""
    if hostvars is None:
        raise where(field, "host %r given but no inventory (hostvars) to resolve it; give address instead" % host)
    if host not in hostvars:
        raise where(field, "host %r is not in the inventory" % host)
    hv = hostvars[host]
    keys = (["lvs_real_server_address6"] if family == "ipv6" else []) + ["lvs_real_server_address", "ansible_host"]
    for key in keys:
        try:
            val = hv.get(key) if hasattr(hv, "get") else None
        except Exception:  # an undefined or failing template counts as "not set"
            val = None
        if val:
            if parse_ip(str(val)) is None:
                raise where(field, "host %r: %s=%r is not an IP address; set lvs_real_server_address" % (host, key, val))
            return parse_ip(str(val))
    addr = parse_ip(host)
    if addr is None:
        raise where(field, "host %r has neither lvs_real_server_address nor ansible_host set to an IP address" % host)
    return addr


# ---------------------------------------------------------------- one service

def _virtual_servers(where, svc):
    """The kernel virtual services of one model service: [{address, port, fwmark, family, protocol}]."""
    protocol = _str(where, "protocol", svc.get("protocol"), default=DEFAULTS["protocol"], choices=PROTOCOLS)
    family_raw = _str(where, "family", svc.get("family"), choices=FAMILIES)
    group = svc.get("group")
    persistent = svc.get("persistence") is not None
    members = []
    if group is not None:
        if svc.get("address") is not None or svc.get("fwmark") is not None:
            raise where("group", "a service gives either group or address/fwmark, not both")
        if not isinstance(group, list) or not group:
            raise where("group", "expected a non-empty list of {address, port} or {fwmark} members, got %r" % (group,))
        raw_members = group
    else:
        raw_members = [{"address": svc.get("address"), "port": svc.get("port"), "fwmark": svc.get("fwmark")}]
    for i, raw_member in enumerate(raw_members):
        field = "group[%d]" % i if group is not None else None
        member = raw_member
        if group is not None:
            _dict(where, field, raw_member, GROUP_MEMBER_KEYS)
            if raw_member.get("port") is None and raw_member.get("address") is not None:
                member = dict(raw_member, port=svc.get("port"))
        f_addr = field + ".address" if field else "address"
        f_port = field + ".port" if field else "port"
        f_mark = field + ".fwmark" if field else "fwmark"
        if member.get("fwmark") is not None:
            if member.get("address") is not None:
                raise where(f_mark, "give either fwmark or address, not both")
            if member.get("port") is not None and group is None:
                raise where("port", "a fwmark service has no port (got %r); real servers may give one" % (member.get("port"),))
            mark = _int(where, f_mark, member.get("fwmark"), 1, MAX_U32)
            members.append({"address": None, "port": None, "fwmark": mark, "family": family_raw or "ipv4", "protocol": protocol})
            continue
        if member.get("address") is None:
            raise where(f_addr, "required (or fwmark, or group)")
        addr = _ip(where, f_addr, member.get("address"))
        fam = family_of(addr)
        if family_raw is not None and family_raw != fam:
            raise where("family", "%r does not match address %s" % (family_raw, addr))
        if member.get("port") is None:
            raise where(f_port, "required with address (0 = all ports, with persistence)")
        port = _int(where, f_port, member.get("port"), 0, 65535)
        if port == 0 and not persistent:
            raise where(f_port, "0 (all ports) needs persistence")
        members.append({"address": str(addr), "port": port, "fwmark": None, "family": fam, "protocol": protocol})
    families = {m["family"] for m in members}
    if len(families) > 1:
        raise where("group", "mixes address families %s" % ", ".join(sorted(families)))
    return members


def _real_server(where, idx, raw, svc, hostvars):
    field = "real_servers[%d]" % idx
    _dict(where, field, raw, REAL_SERVER_KEYS)
    host = _str(where, field + ".host", raw.get("host"))
    if host is None and raw.get("address") is None:
        raise where(field, "needs host (an inventory hostname) or address")
    if raw.get("address") is not None:
        addr = _ip(where, field + ".address", raw.get("address"))
    else:
        addr = _resolve_host(where, field + ".host", host, hostvars, svc["family"])
    forwarding = _forwarding(where, field + ".forwarding", raw.get("forwarding"), svc["forwarding"])
    if family_of(addr) != svc["family"] and forwarding != "tunnel":
        raise where(field + ".address", "%s is %s but the service is %s (mixed families only with tunnel)" % (addr, family_of(addr), svc["family"]))
    svc_port = svc["port"]
    port = _int(where, field + ".port", raw.get("port"), 0, 65535)
    if forwarding == "masquerade":
        if port is None:
            if not svc_port:
                raise where(field + ".port", "a NAT real server of a service without a port (fwmark, group or port 0) needs an explicit port")
            port = svc_port
    elif port is None or port == 0:
        port = svc_port or None
    elif svc_port and port != svc_port:
        raise where(field + ".port", "%d differs from the service port %d: %s forwarding cannot map ports (use masquerade)"
                    % (port, svc_port, forwarding))
    elif not svc_port:
        raise where(field + ".port", "%d given but %s forwarding of a fwmark/all-ports service keeps the client's port" % (port, forwarding))
    if forwarding != "masquerade" and svc["group"] is not None and any(m["port"] not in (None, 0, port) for m in svc["group"]):
        raise where(field + ".port", "%s forwarding cannot map ports: group members use port(s) %s, the real server %s"
                    % (forwarding, ", ".join(str(m["port"]) for m in svc["group"] if m["port"]), port))
    check = _check(where, field + ".check", raw.get("check"), inherited=svc["check"]) if raw.get("check") is not None else dict(svc["check"])
    if check["type"] in _PORT_CHECKS and not port and not check.get("connect_port"):
        raise where(field + ".check.connect_port", "a %s check of a real server without a port needs connect_port" % check["type"])
    tunnel = _tunnel(where, field + ".tunnel", raw.get("tunnel")) if raw.get("tunnel") is not None else svc["tunnel"]
    if raw.get("tunnel") is not None and forwarding != "tunnel":
        raise where(field + ".tunnel", "tunnel options given but forwarding is %r" % forwarding)
    upper = _int(where, field + ".upper_threshold", raw.get("upper_threshold"), 0, MAX_U32, default=0)
    lower = _int(where, field + ".lower_threshold", raw.get("lower_threshold"), 0, MAX_U32, default=0)
    if upper and lower > upper:
        raise where(field + ".lower_threshold", "%d is above upper_threshold %d" % (lower, upper))
    return {
        "host": host,
        "address": str(addr),
        "family": family_of(addr),
        "port": port,
        "weight": _int(where, field + ".weight", raw.get("weight"), 0, 65535, default=1),
        "forwarding": forwarding,
        "method": KEEPALIVED_METHOD[forwarding],
        "upper_threshold": upper,
        "lower_threshold": lower,
        "check": check,
        "tunnel": tunnel if forwarding == "tunnel" else None,
    }


def normalise_service(raw, index=0, hostvars=None):
    """Validate and normalise one service (see module docstring)."""
    if not isinstance(raw, dict):
        raise ServiceModelError("service #%d: expected a mapping, got %r" % (index, raw))
    name = raw.get("name")
    where = _Where(index, name if isinstance(name, str) else None)
    _dict(where, "service", raw, SERVICE_KEYS)
    name = _str(where, "name", name)
    if name is None:
        raise where("name", "required (a unique name for the service)")
    members = _virtual_servers(where, raw)
    first = members[0]
    family = first["family"]
    svc = {
        "name": name,
        "address": first["address"] if raw.get("group") is None else None,
        "port": _int(where, "port", raw.get("port"), 0, 65535) if raw.get("fwmark") is None else None,
        "fwmark": first["fwmark"] if raw.get("group") is None else None,
        "family": family,
        "protocol": first["protocol"],
        "group": members if raw.get("group") is not None else None,
        "virtual_servers": members,
    }
    scheduler = _str(where, "scheduler", raw.get("scheduler"), default=DEFAULTS["scheduler"])
    if scheduler not in SCHEDULERS:
        raise where("scheduler", "%r is not an IPVS scheduler (%s)" % (scheduler, " ".join(SCHEDULERS)))
    flags = raw.get("sched_flags") or []
    if not isinstance(flags, list):
        raise where("sched_flags", "expected a list, got %r" % (flags,))
    for flag in flags:
        if flag not in SCHED_FLAGS:
            raise where("sched_flags", "%r is not one of %s" % (flag, ", ".join(SCHED_FLAGS)))
        if flag.startswith(("sh-", "mh-")) and not flag.startswith(scheduler + "-"):
            raise where("sched_flags", "%r applies to the %s scheduler, not %r" % (flag, flag[:2], scheduler))
    persistence = _persistence(where, raw.get("persistence"), family)
    one_packet = _bool(where, "one_packet", raw.get("one_packet"))
    if one_packet and svc["protocol"] != "udp" and svc["fwmark"] is None:
        raise where("one_packet", "one-packet scheduling applies to UDP services (protocol is %r)" % svc["protocol"])
    engine = _str(where, "persistence_engine", raw.get("persistence_engine"))
    if engine is not None and persistence is None:
        raise where("persistence_engine", "%r needs persistence" % engine)
    check = _check(where, "check", raw.get("check"))
    svc.update(
        scheduler=scheduler,
        sched_flags=list(flags),
        forwarding=_forwarding(where, "forwarding", raw.get("forwarding"), DEFAULTS["forwarding"]),
        persistence=persistence,
        one_packet=one_packet,
        persistence_engine=engine,
        check=check,
        delay_loop=_int(where, "delay_loop", raw.get("delay_loop"), 1, 86400, default=DEFAULTS["delay_loop"]),
        inhibit_on_failure=_bool(where, "inhibit_on_failure", raw.get("inhibit_on_failure")),
        alpha=_bool(where, "alpha", raw.get("alpha")),
        omega=_bool(where, "omega", raw.get("omega")),
        virtualhost=_str(where, "virtualhost", raw.get("virtualhost")),
        tunnel=_tunnel(where, "tunnel", raw.get("tunnel")),
    )
    svc["method"] = KEEPALIVED_METHOD[svc["forwarding"]]
    if svc["tunnel"] is not None and svc["forwarding"] != "tunnel":
        raise where("tunnel", "tunnel options given but forwarding is %r" % svc["forwarding"])
    sorry = _dict(where, "sorry_server", raw.get("sorry_server"), SORRY_KEYS)
    if sorry is not None:
        saddr = _ip(where, "sorry_server.address", sorry.get("address"))
        sorry = {
            "address": str(saddr),
            "port": _int(where, "sorry_server.port", sorry.get("port"), 0, 65535, default=svc["port"]),
            "inhibit": _bool(where, "sorry_server.inhibit", sorry.get("inhibit")),
            "forwarding": _forwarding(where, "sorry_server.forwarding", sorry.get("forwarding"), svc["forwarding"]),
        }
        sorry["method"] = KEEPALIVED_METHOD[sorry["forwarding"]]
    svc["sorry_server"] = sorry
    quorum = _dict(where, "quorum", raw.get("quorum"), QUORUM_KEYS)
    if quorum is not None:
        quorum = {
            "quorum": _int(where, "quorum.quorum", quorum.get("quorum"), 1, MAX_U32, default=1),
            "hysteresis": _int(where, "quorum.hysteresis", quorum.get("hysteresis"), 0, MAX_U32, default=0),
            "up": _str(where, "quorum.up", quorum.get("up")),
            "down": _str(where, "quorum.down", quorum.get("down")),
        }
    svc["quorum"] = quorum
    vips = raw.get("vips") or []
    if not isinstance(vips, list):
        raise where("vips", "expected a list of addresses, got %r" % (vips,))
    own = [m["address"] for m in members if m["address"]]
    if not any(m["fwmark"] is not None for m in members):
        stray = [v for v in vips if str(parse_ip(v) if parse_ip(v) else v) not in own]
        if stray:
            raise where("vips", "%s: only fwmark services list vips (an address service's VIP is its address)" % ", ".join(map(str, stray)))
    extra = []
    for i, vip in enumerate(vips):
        addr = _ip(where, "vips[%d]" % i, vip)
        if family_of(addr) != family:
            raise where("vips[%d]" % i, "%s is not %s like the service" % (addr, family))
        extra.append(str(addr))
    svc["vips"] = _unique(own + extra)
    servers = raw.get("real_servers")
    if not isinstance(servers, list):
        raise where("real_servers", "required: a list of real servers (may be empty), got %r" % (servers,))
    normalised = [_real_server(where, i, rs, svc, hostvars) for i, rs in enumerate(servers)]
    seen = {}
    for i, rs in enumerate(normalised):
        key = (rs["address"], rs["port"])
        if key in seen:
            raise where("real_servers[%d]" % i, "%s port %s is already real_servers[%d]" % (rs["address"], rs["port"], seen[key]))
        seen[key] = i
    svc["real_servers"] = normalised
    return svc


def _unique(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def virtual_server_key(member):
    """A stable text key of one kernel virtual service: ``tcp 192.0.2.10:80``, ``fwmark 5 ipv6``."""
    if member["fwmark"] is not None:
        return "fwmark %d %s" % (member["fwmark"], member["family"])
    addr = member["address"]
    if member["family"] == "ipv6":
        addr = "[%s]" % addr
    return "%s %s:%d" % (member["protocol"], addr, member["port"])


def normalise_services(services, hostvars=None):
    """Validate + normalise the whole list; rejects duplicate names and duplicate VIP:port/fwmark."""
    if services is None:
        return []
    if not isinstance(services, list):
        raise ServiceModelError("lvs_virtual_services: expected a list of services, got %r" % (services,))
    out = []
    names = {}
    keys = {}
    for index, raw in enumerate(services):
        svc = normalise_service(raw, index, hostvars)
        where = _Where(index, svc["name"])
        if svc["name"] in names:
            raise where("name", "%r is already used by service #%d" % (svc["name"], names[svc["name"]]))
        names[svc["name"]] = index
        for member in svc["virtual_servers"]:
            key = virtual_server_key(member)
            if key in keys:
                raise where("address" if member["fwmark"] is None else "fwmark",
                            "duplicate virtual service %s (already in service %r)" % (key, keys[key]))
            keys[key] = svc["name"]
        out.append(svc)
    return out


# ---------------------------------------------------------------- views

def host_services(services, hostname):
    """Services that list ``hostname`` as a real server, each with ``real_server`` (this host's
    first entry) and ``real_server_entries`` (all its entries, e.g. several ports)."""
    out = []
    for svc in services:
        entries = [rs for rs in svc["real_servers"] if rs.get("host") == hostname]
        if entries:
            view = dict(svc)
            view["real_server"] = entries[0]
            view["real_server_entries"] = entries
            out.append(view)
    return out


def host_vips(services, hostname, forwarding=None):
    """VIP addresses (no prefix) that real server ``hostname`` serves, optionally only for one
    forwarding method (``direct``/``dr``, ``masquerade``/``nat``, ``tunnel``/``tun``)."""
    want = None
    if forwarding is not None:
        want = FORWARDING_ALIASES.get(str(forwarding).lower())
        if want is None:
            raise ServiceModelError("forwarding: %r is not one of %s" % (forwarding, ", ".join(FORWARDING)))
    vips = []
    for svc in host_services(services, hostname):
        if want is None or any(rs["forwarding"] == want for rs in svc["real_server_entries"]):
            vips.extend(svc["vips"])
    return _unique(vips)


def service_vips(services):
    """Every VIP address of the list, in order, once each (what a director holds)."""
    vips = []
    for svc in services:
        vips.extend(svc["vips"])
    return _unique(vips)


def schedulers_in_use(services):
    return _unique([svc["scheduler"] for svc in services])


def has_forwarding(services, forwarding):
    want = FORWARDING_ALIASES[forwarding]
    return any(rs["forwarding"] == want for svc in services for rs in svc["real_servers"]) or any(
        svc["forwarding"] == want for svc in services)


_IPVS_RS_KEYS = ("address", "port", "weight", "forwarding", "upper_threshold", "lower_threshold")


def ipvs_services(services):
    """Normalised services -> the input of ``ipvs_table`` (one entry per kernel virtual service:
    groups expanded, keepalived-only keys dropped, real servers by address)."""
    out = []
    for svc in services:
        tunnels = _unique([rs["tunnel"] for rs in svc["real_servers"] if rs["tunnel"] is not None])
        if len(tunnels) > 1:
            raise ServiceModelError("service %r: tunnel: ipvs_table takes one tunnel setting per service, the real servers give %d"
                                    % (svc["name"], len(tunnels)))
        tunnel = tunnels[0] if tunnels else svc["tunnel"]
        for i, member in enumerate(svc["virtual_servers"]):
            entry = {
                "name": svc["name"] if len(svc["virtual_servers"]) == 1 else "%s/%d" % (svc["name"], i),
                "protocol": member["protocol"],
                "family": member["family"],
                "scheduler": svc["scheduler"],
                "sched_flags": list(svc["sched_flags"]),
                "forwarding": svc["forwarding"],
                "one_packet": svc["one_packet"],
                "real_servers": [{k: rs[k] for k in _IPVS_RS_KEYS if rs[k] is not None} for rs in svc["real_servers"]],
            }
            if member["fwmark"] is not None:
                entry["fwmark"] = member["fwmark"]
            else:
                entry.update(address=member["address"], port=member["port"])
            if svc["persistence"]:
                entry["persistence"] = {k: v for k, v in svc["persistence"].items() if v is not None}
            if svc["persistence_engine"]:
                entry["persistence_engine"] = svc["persistence_engine"]
            if tunnel:
                entry["tunnel"] = {k: v for k, v in tunnel.items() if v is not None}
            out.append(entry)
    return out
