# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one validator and normaliser of the lvs.cluster service model, and its views.

The fields, types, ranges and constants are declared in :mod:`._schema`; this module walks a
model through that declaration and then applies the rules between fields (a service is an
address and port, a fwmark or a group; DR cannot map ports; persistence netmasks follow the
family; ...). It is the only reader of ``lvs_virtual_services``: the filters, the
``service_model`` and ``ipvs_table`` action plugins, the IPVS modules and the roles all come
through :func:`normalise_services` (or :func:`normalise_service` for one service).

Views of the normalised model:

* :func:`host_view` - what one real server needs (VIPs per forwarding method, ARP rules, NAT
  ports, tunnels), as data;
* :func:`host_services` / :func:`host_vips` - the services and VIPs of one real server;
* :func:`service_vips` - the addresses a director holds;
* :func:`ipvs_services` - one entry per kernel virtual service (what ``ipvs_table`` reads).

Every error is a :class:`ServiceModelError` (:class:`._schema.SchemaError`) whose message starts
with the full path of the field (``lvs_virtual_services[2].persistence.timout``) and names the
value; the service's name follows when it has one.
"""

from __future__ import annotations

import re

from ansible_collections.lvs.cluster.plugins.module_utils import _schema as S
from ansible_collections.lvs.cluster.plugins.module_utils._schema import SchemaError as ServiceModelError

ROOT = "lvs_virtual_services"
DEFAULTS = {"protocol": "tcp", "scheduler": S.DEFAULT_SCHEDULER, "forwarding": "direct", "delay_loop": 6, "check": {"type": "tcp"}}


# ------------------------------------------------------------------------------------- addresses


def _error(path, value, reason, name=None):
    return ServiceModelError(path, value, reason, " (service %r)" % name if name else "")


def _first_word(text):
    """The first 16 bits of a canonical IPv6 text (``ff::1`` is 0x00ff, not multicast)."""
    return 0 if text.startswith("::") else int(text.split(":", 1)[0], 16)


def _vip_check(path, value, text, family, name=None):
    """A VIP: the kernel takes any literal, but a service on 0.0.0.0, a broadcast or a
    multicast address (or ::, ff00::/8) cannot be reached as a VIP."""
    if family == "ipv4":
        first = int(text.split(".", 1)[0])
        if text in ("0.0.0.0", "255.255.255.255") or 224 <= first <= 239:
            raise _error(path, value, "%r cannot be a VIP (unspecified, broadcast or multicast)" % (value,), name)
    elif text == "::" or _first_word(text) >> 8 == 0xFF:
        raise _error(path, value, "%r cannot be a VIP (unspecified or multicast)" % (value,), name)


def _dest_check(path, value, text, family, name=None):
    """What the kernel refuses as a real server (measured): 0.0.0.0, 255.255.255.255, 224/4;
    ::, IPv4-mapped ::ffff:0:0/96, ff00::/8 and link-local fe80::/10 (the director's own
    link-local address aside, which no model should name). Class E and loopback are taken."""
    if family == "ipv4":
        first = int(text.split(".", 1)[0])
        if text in ("0.0.0.0", "255.255.255.255") or 224 <= first <= 239:
            raise _error(path, value, "%r is refused by the kernel as a real server (unspecified, broadcast or multicast)" % (value,), name)
        return
    word = _first_word(text)
    if text == "::" or word >> 8 == 0xFF:
        raise _error(path, value, "%r is refused by the kernel as a real server (unspecified or multicast)" % (value,), name)
    if text.startswith("::ffff:") and "." in text:
        raise _error(path, value, "%r is IPv4-mapped: the kernel refuses it as a real server (give the IPv4 address)" % (value,), name)
    if word & 0xFFC0 == 0xFE80:  # fe80::/10
        raise _error(path, value, "%r is link-local: the kernel refuses link-local IPv6 real servers" % (value,), name)


def _address(path, value, what, name=None):
    try:
        text, family = S.canonical_address(value, path)
    except ServiceModelError as exc:
        raise exc.renamed(path, " (service %r)" % name if name else "") from None
    if what == "vip":
        _vip_check(path, value, text, family, name)
    elif what == "dest":
        _dest_check(path, value, text, family, name)
    return text, family


def _dest_address(path, value, name=None):
    return _address(path, value, "dest", name)


# ---------------------------------------------------------------------------------- sub-structures


def _netmask(path, value, family, name):
    if family == "ipv6":
        if isinstance(value, str) and not value.strip().isdigit():
            raise _error(path, value, "%r is not an IPv6 prefix length 1-128 (an IPv6 service takes a prefix length)" % (value,), name)
        return _int(path, value, 1, 128, name)
    text = str(value).strip()
    if text.isdigit():
        bits = _int(path, value, 1, 32, name)
        mask = (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF
    else:
        parts = text.split(".")
        if len(parts) != 4 or not all(p.isdigit() and int(p) <= 255 for p in parts):
            raise _error(path, value, "%r is not an IPv4 netmask (255.255.255.0) or prefix length 1-32" % (value,), name)
        mask = 0
        for part in parts:
            mask = mask << 8 | int(part)
        inverted = ~mask & 0xFFFFFFFF
        if mask == 0 or inverted & (inverted + 1):
            raise _error(path, value, "%r is not a contiguous IPv4 netmask (255.255.255.0 style, not 0.0.0.0)" % (value,), name)
    return "%d.%d.%d.%d" % (mask >> 24, mask >> 16 & 255, mask >> 8 & 255, mask & 255)


def _int(path, value, low, high, name):
    try:
        return S.to_int(value, path, low, high)
    except ServiceModelError as exc:
        raise exc.renamed(path, " (service %r)" % name if name else "") from None


def _persistence(path, data, family, name):
    if data is None:
        return None
    timeout = data["timeout"] if data["timeout"] is not None else S.DEFAULT_PERSISTENCE_TIMEOUT
    netmask, granularity = data["netmask"], data["granularity"]
    if netmask is not None:
        netmask = _netmask(path + ".netmask", netmask, family, name)
    if granularity is not None:
        # one setting under two names: compared as masks (24 and 255.255.255.0 agree)
        mask = _netmask(path + ".granularity", granularity, family, name)
        if netmask is not None and mask != netmask:
            raise _error(path + ".granularity", granularity,
                         "%r conflicts with persistence.netmask %r (they are one setting)" % (granularity, data["netmask"]), name)
        netmask = mask
    return {"timeout": timeout, "netmask": netmask}


def _given(walked):
    """The keys of a walked mapping that were given (what the user wrote, for messages)."""
    return {k: v for k, v in walked.items() if v is not None}


def _tunnel(path, data, name):
    if data is None:
        return None
    ttype = data["type"] or "ipip"
    port = data["port"]
    if ttype == "gue":
        if port is None:
            raise _error(path + ".port", None, "required: a GUE tunnel needs the port its real servers receive on", name)
    elif port is not None:
        raise _error(path + ".port", port, "%r: only a gue tunnel takes a port (type is %r)" % (port, ttype), name)
    checksum = data["checksum"]
    if ttype == "ipip":
        if checksum is not None:
            raise _error(path + ".checksum", checksum, "%r: checksum options apply to gue and gre tunnels, not ipip" % (checksum,), name)
    else:
        checksum = checksum or "nocsum"
        if checksum == "remcsum" and ttype != "gue":
            raise _error(path + ".checksum", checksum, "%r (remote checksum offload) applies to gue tunnels only, not %s" % (checksum, ttype), name)
    return {"type": ttype, "port": port, "checksum": checksum}


_CHECK_KEYS = {ctype: ("type", *(f for f, sub in S.CHECK.fields.items() if sub.check_types and ctype in sub.check_types)) for ctype in S.CHECK_TYPES}
# the keys of one URL, given on the check itself when it checks one URL
_URL_KEYS = tuple(S.URL.fields)
_CHECK_URL_KEYS = ("path", "status", "digest", "regex", "regex_no_match")
_HEX = frozenset("0123456789abcdefABCDEF")


def _quoted(path, value, name):
    """A value keepalived.conf carries in double quotes: no quote, newline or NUL inside."""
    if value is not None and any(c in value for c in '"\n\r\0'):
        raise _error(path, value, "%r: a double quote or a line break cannot be written into keepalived.conf" % (value,), name)
    return value


def _url(path, raw, name):
    out = {key: raw.get(key) for key in _URL_KEYS}
    out["path"] = out["path"] or "/"
    if not out["path"].startswith("/"):
        raise _error(path + ".path", out["path"], "%r must start with /" % out["path"], name)
    out["status"] = out["status"] or [200]
    digest = out["digest"]
    if digest is not None:
        if len(digest) != 32 or any(c not in _HEX for c in digest):
            raise _error(path + ".digest", digest, "%r is not an MD5 hex digest (32 hex digits)" % digest, name)
        out["digest"] = digest.lower()
    regex = _quoted(path + ".regex", out["regex"], name)
    if regex is not None:
        try:
            re.compile(regex)
        except re.error as exc:
            raise _error(path + ".regex", regex, "%r is not a regular expression (%s)" % (regex, exc), name) from None
    out["regex_no_match"] = bool(out["regex_no_match"])
    if out["regex_no_match"] and regex is None:
        raise _error(path + ".regex_no_match", True, "True needs regex (the pattern the body must not match)", name)
    return out


def _lift(inherited, raw):
    """An inherited http(s) check with one URL, its URL keys back on the check, so that a real
    server's ``path`` (or ``status``...) replaces the service's; several URLs stay as they are."""
    merged = dict(inherited)
    urls = merged.get("urls")
    if urls and len(urls) == 1 and raw.get("urls") is None and any(raw.get(k) is not None for k in _CHECK_URL_KEYS):
        merged.update((k, urls[0][k]) for k in _CHECK_URL_KEYS)
        merged["urls"] = None
    return merged


def _check(path, raw, name, inherited=None):
    """One normalised checker from the walked ``raw`` (merged into ``inherited`` when it has no type)."""
    ctype = raw.get("type")
    if ctype is None and inherited is not None:
        merged = _lift(inherited, raw)
        merged.update((k, v) for k, v in raw.items() if v is not None and k != "checker")
        raw, ctype = merged, inherited["type"]
    ctype = ctype or "tcp"
    given = {k: v for k, v in raw.items() if v is not None and k not in ("type", "checker")}
    keys = _CHECK_KEYS[ctype]
    for key, value in given.items():
        if key not in keys:
            raise _error("%s.%s" % (path, key), value, "%r: does not apply to a %s check (its keys: %s)" % (value, ctype, ", ".join(keys)), name)
    out = {key: raw.get(key) for key in keys}
    out["type"] = ctype
    out["checker"] = S.KEEPALIVED_CHECKER[ctype]
    if ctype in ("http", "https"):
        if out["urls"] is not None:
            for key in _CHECK_URL_KEYS:
                if out[key] not in (None, False):
                    raise _error("%s.%s" % (path, key), out[key], "%r: with urls, give %s inside each URL" % (out[key], key), name)
            if not out["urls"]:
                raise _error(path + ".urls", [], "[]: an http(s) check needs at least one URL", name)
            out["urls"] = [_url("%s.urls[%d]" % (path, i), url, name) for i, url in enumerate(out["urls"])]
        else:
            out["urls"] = [_url(path, {k: out[k] for k in _CHECK_URL_KEYS}, name)]
        for key in _CHECK_URL_KEYS:  # the normalised check says them once, in urls
            out[key] = None
        if ctype == "https":
            out["enable_sni"] = bool(out["enable_sni"])
    elif ctype == "misc":
        if out["path"] is None:
            raise _error(path + ".path", None, "required: a misc check needs the command to run", name)
        _quoted(path + ".path", out["path"], name)
        out["dynamic"] = bool(out["dynamic"])
    elif ctype == "dns":
        out["name"] = out["name"] or "."
        out["query_type"] = out["query_type"] or "SOA"
    elif ctype == "udp":
        payload = out["payload"]
        if payload is not None and (any(c not in _HEX for c in payload) or len(payload) % 2):
            raise _error(path + ".payload", payload, "%r must be hex digits (an even number of them)" % payload, name)
        out["require_reply"] = bool(out["require_reply"])
        low, high = out["min_reply_length"], out["max_reply_length"]
        if low is not None and high is not None and low > high:
            raise _error(path + ".min_reply_length", low, "%d is above max_reply_length %d" % (low, high), name)
    elif ctype == "file":
        file = out["file"]
        if file is None:
            raise _error(path + ".file", None, "required: a file check needs the path of the file on the directors", name)
        if not file.startswith("/") or any(c.isspace() for c in file) or any(c in file for c in '"#!'):
            raise _error(path + ".file", file, "%r is not an absolute path without blanks, quotes, # or !" % (file,), name)
        out["weight"] = out["weight"] or 0
        out["reverse"] = bool(out["reverse"])
    if "log_all_failures" in keys:
        out["log_all_failures"] = bool(out["log_all_failures"])
    if out.get("bind_if") is not None and any(c.isspace() for c in out["bind_if"]):
        raise _error(path + ".bind_if", out["bind_if"], "%r is not an interface name" % (out["bind_if"],), name)
    for key in ("connect_ip", "bind_to"):
        if out.get(key) is not None:
            out[key] = _address("%s.%s" % (path, key), out[key], "check", name)[0]
    return out


def _checks(path, raw, name, inherited=None):
    """The normalised checkers, always a list, from the walked ``raw``: one mapping (errors name
    ``path.key``), a list of them (``path[i].key``), or None (``inherited``, else one tcp check).
    A checker without ``type`` on a real server merges into the service's one checker."""
    if raw is None:
        return inherited if inherited is not None else [_check(path, {"type": "tcp"}, name)]
    items = [(path, raw)] if isinstance(raw, dict) else [("%s[%d]" % (path, i), item) for i, item in enumerate(raw)]
    out = []
    for where, item in items:
        base = None
        if inherited is not None and item.get("type") is None:
            if len(inherited) != 1:
                raise _error(where + ".type", None, "required: the service has %d checkers, a real-server check without type merges "
                             "into one only" % len(inherited), name)
            base = inherited[0]
        out.append(_check(where, item, name, base))
    if len(out) > 1 and any(c["type"] == "none" for c in out):
        raise _error(path, raw, "type none (no checker) in a list of checkers; use an empty list for none", name)
    return [c for c in out if c["type"] != "none"] if len(out) > 1 else out


def _forwarding(path, value, default, name):
    if value is None:
        return default
    canon = S.FORWARDING_ALIASES.get(value)
    if canon is None:  # the walker checked the choices; kept for values from other entry points
        raise _error(path, value, "%r is not one of %s (or dr, nat, tun)" % (value, ", ".join(S.FORWARDING)), name)
    return canon


def _resolve_host(path, host, hostvars, family, name):
    """Address of inventory host ``host``: lvs_real_server_address6 (IPv6 services),
    lvs_real_server_address, ansible_host, the name itself."""
    if hostvars is None:
        raise _error(path, host, "host %r given but no inventory (hostvars) to resolve it; give address instead" % host, name)
    try:
        known = host in hostvars
    except TypeError:
        known = False
    if not known:
        raise _error(path, host, "host %r is not in the inventory" % host, name)
    hv = hostvars[host]
    keys = (("lvs_real_server_address6",) if family == "ipv6" else ()) + ("lvs_real_server_address", "ansible_host")
    for key in keys:
        try:
            val = hv.get(key) if hasattr(hv, "get") else None
        except Exception:  # an undefined or failing template counts as "not set"
            val = None
        if val:
            try:
                return S.canonical_address(str(val), path)
            except ServiceModelError:
                raise _error(path, host, "host %r: %s=%r is not an IP address; set lvs_real_server_address" % (host, key, val), name) from None
    try:
        return S.canonical_address(host, path)
    except ServiceModelError:
        raise _error(path, host, "host %r has neither lvs_real_server_address nor ansible_host set to an IP address" % host, name) from None


# ------------------------------------------------------------------------------------ one service


def _virtual_servers(path, svc, name):
    """The kernel virtual services of one walked service: [{address, port, fwmark, family, protocol}]."""
    protocol = svc["protocol"]
    family_raw = svc["family"]
    persistent = svc["persistence"] is not None
    group = svc["group"]
    if group is not None:
        if svc["address"] is not None or svc["fwmark"] is not None:
            raise _error(path + ".group", "group", "a service gives either group or address/fwmark, not both", name)
        if not group:
            raise _error(path + ".group", [], "expected a non-empty list of {address, port} or {fwmark} members", name)
        raw_members = [(path + ".group[%d]" % i, m) for i, m in enumerate(group)]
    else:
        raw_members = [(path, svc)]
    members = []
    for where, member in raw_members:
        fwmark, address, port = member["fwmark"], member["address"], member["port"]
        if group is not None and port is None and address is not None:
            port = svc["port"]
        if fwmark is not None:
            if address is not None:
                raise _error(where + ".fwmark", fwmark, "%r given with address %r: give either fwmark or address, not both" % (fwmark, address), name)
            if member["port"] is not None:
                raise _error(where + ".port", member["port"], "%r: a fwmark service has no port (real servers may give one)" % (member["port"],), name)
            members.append({"address": None, "port": None, "fwmark": fwmark, "family": family_raw or "ipv4", "protocol": protocol})
            continue
        if address is None:
            raise _error(where + ".address", None, "required (or fwmark, or group)", name)
        text, family = _address(where + ".address", address, "vip", name)
        if family_raw is not None and family_raw != family:
            raise _error(path + ".family", family_raw, "%r does not match address %s" % (family_raw, text), name)
        if port is None:
            raise _error(where + ".port", None, "required with address (0 = all ports, with persistence)", name)
        if port == 0 and not persistent:
            raise _error(where + ".port", 0, "0 (all ports) needs persistence", name)
        members.append({"address": text, "port": port, "fwmark": None, "family": family, "protocol": protocol})
    families = {m["family"] for m in members}
    if len(families) > 1:
        raise _error(path + ".group", "group", "mixes address families %s" % ", ".join(sorted(families)), name)
    return members


def _real_server(where, rs, svc, hostvars, name):
    host, address = rs["host"], rs["address"]
    if host is None and address is None:
        raise _error(where, rs, "needs host (an inventory hostname) or address", name)
    forwarding = _forwarding(where + ".forwarding", rs["forwarding"], svc["forwarding"], name)
    if address is not None:
        addr, family = _dest_address(where + ".address", address, name)
    else:
        addr, family = _resolve_host(where + ".host", host, hostvars, svc["family"], name)
        _dest_check(where + ".host", host, addr, family, name)
    if family != svc["family"] and forwarding != "tunnel":
        raise _error(where + ".address", address or host,
                     "%r is %s but the service is %s (mixed families only with tunnel forwarding)" % (address or host, family, svc["family"]), name)
    svc_port = svc["port"]
    port = rs["port"]
    if forwarding == "masquerade":
        if port is None:
            if not svc_port:
                raise _error(where + ".port", None,
                             "required: a NAT real server of a service without a port (fwmark, group or port 0) needs its port", name)
            port = svc_port
    elif port is None or port == 0:
        port = svc_port or None
    elif svc_port and port != svc_port:
        raise _error(where + ".port", port, "%d differs from the service port %d: %s forwarding cannot map ports (use masquerade)"
                     % (port, svc_port, forwarding), name)
    elif not svc_port:
        raise _error(where + ".port", port, "%d given but %s forwarding of a fwmark/all-ports service keeps the client's port"
                     % (port, forwarding), name)
    if forwarding != "masquerade" and svc["group"] is not None and any(m["port"] not in (None, 0, port) for m in svc["group"]):
        raise _error(where + ".port", port, "%s forwarding cannot map ports: group members use port(s) %s, the real server %s"
                     % (forwarding, ", ".join(str(m["port"]) for m in svc["group"] if m["port"]), port), name)
    checks = _checks(where + ".check", rs["check"], name, inherited=svc["check"])
    for i, check in enumerate(checks):
        if check["type"] in S.PORT_CHECKS and not port and not check.get("connect_port"):
            at = where + (".check[%d]" % i if isinstance(rs["check"], list) else ".check")
            raise _error(at + ".connect_port", None, "required: a %s check of a real server without a port needs connect_port"
                         % check["type"], name)
    for key in ("notify_up", "notify_down"):
        _quoted("%s.%s" % (where, key), rs[key], name)
    if rs["tunnel"] is not None:
        if forwarding != "tunnel":
            given = _given(rs["tunnel"])
            raise _error(where + ".tunnel", given, "%r: tunnel options given but forwarding is %r" % (given, forwarding), name)
        tunnel = _tunnel(where + ".tunnel", rs["tunnel"], name)
    else:
        tunnel = svc["tunnel"] if forwarding == "tunnel" else None
    upper, lower = rs["upper_threshold"], rs["lower_threshold"]
    if lower > upper:  # the kernel counts 0 as a number here: -x 0 -y 5 is refused
        raise _error(where + ".lower_threshold", lower, "%d is above upper_threshold %d (the kernel refuses a lower threshold above the upper one, "
                     "0 included)" % (lower, upper), name)
    return {
        "host": host,
        "address": addr,
        "family": family,
        "port": port,
        "weight": rs["weight"],
        "forwarding": forwarding,
        "method": S.KEEPALIVED_METHOD[forwarding],
        "upper_threshold": upper,
        "lower_threshold": lower,
        "check": checks,
        "notify_up": rs["notify_up"],
        "notify_down": rs["notify_down"],
        "tunnel": tunnel,
    }


def normalise_service(raw, index=0, hostvars=None, root=ROOT, path=None):
    """Validate and normalise one service; errors name ``root[index].field`` (or ``path.field``)."""
    if path is None:
        path = "%s[%d]" % (root, index)
    name = raw.get("name") if isinstance(raw, dict) and isinstance(raw.get("name"), str) else None
    try:
        svc = S.walk_dict(S.SERVICE, raw, path)
    except ServiceModelError as exc:
        raise exc.renamed(exc.path, " (service %r)" % name if name else "") from None
    members = _virtual_servers(path, svc, name)
    first = members[0]
    family = first["family"]
    is_group = svc["group"] is not None
    out = {
        "name": name,
        "address": first["address"] if not is_group else None,
        "port": svc["port"] if svc["fwmark"] is None else None,
        "fwmark": first["fwmark"] if not is_group else None,
        "family": family,
        "protocol": svc["protocol"],
        "group": members if is_group else None,
        "virtual_servers": members,
    }
    scheduler = svc["scheduler"]
    flags = svc["sched_flags"] or []
    for i, flag in enumerate(flags):
        owner = flag.split("-", 1)[0]
        if owner in ("sh", "mh") and owner != scheduler:
            raise _error("%s.sched_flags[%d]" % (path, i), flag, "%r is a flag of the %s scheduler, not of %r" % (flag, owner, scheduler), name)
        if flag == "flag-3" and scheduler in ("sh", "mh"):
            raise _error("%s.sched_flags[%d]" % (path, i), flag, "%r cannot be used with the %s scheduler (ipvsadm -S cannot print it, "
                         "so the table could not be saved and restored)" % (flag, scheduler), name)
    persistence = _persistence(path + ".persistence", svc["persistence"], family, name)
    fwmark_service = any(m["fwmark"] is not None for m in members)
    if svc["one_packet"] and out["protocol"] != "udp":
        # every kernel service of the entry gets -o: in a group, each member must be fwmark
        for i, member in enumerate(members):
            if member["fwmark"] is None:
                where = " (group[%d] is %s)" % (i, virtual_server_key(member)) if is_group else ""
                raise _error(path + ".one_packet", svc["one_packet"], "%r: one-packet scheduling applies to UDP and fwmark services, not to "
                             "protocol %r%s" % (svc["one_packet"], out["protocol"], where), name)
    if svc["persistence_engine"] is not None and persistence is None:
        raise _error(path + ".persistence_engine", svc["persistence_engine"], "%r needs persistence" % svc["persistence_engine"], name)
    forwarding = _forwarding(path + ".forwarding", svc["forwarding"], DEFAULTS["forwarding"], name)
    out.update(
        scheduler=scheduler,
        sched_flags=list(flags),
        forwarding=forwarding,
        method=S.KEEPALIVED_METHOD[forwarding],
        persistence=persistence,
        one_packet=svc["one_packet"],
        persistence_engine=svc["persistence_engine"],
        check=_checks(path + ".check", svc["check"], name),
        ha_suspend=svc["ha_suspend"],
        delay_loop=svc["delay_loop"],
        inhibit_on_failure=svc["inhibit_on_failure"],
        alpha=svc["alpha"],
        omega=svc["omega"],
        virtualhost=svc["virtualhost"],
        tunnel=_tunnel(path + ".tunnel", svc["tunnel"], name),
    )
    sorry = svc["sorry_server"]
    if sorry is not None:
        sorry_fwd = _forwarding(path + ".sorry_server.forwarding", sorry["forwarding"], forwarding, name)
        sorry = {
            "address": _dest_address(path + ".sorry_server.address", sorry["address"], name)[0],
            "port": sorry["port"] if sorry["port"] is not None else out["port"],
            "inhibit": bool(sorry["inhibit"]),
            "forwarding": sorry_fwd,
            "method": S.KEEPALIVED_METHOD[sorry_fwd],
        }
    out["sorry_server"] = sorry
    quorum = svc["quorum"]
    if quorum is not None:
        quorum = {
            "quorum": quorum["quorum"] if quorum["quorum"] is not None else 1,
            "hysteresis": quorum["hysteresis"] or 0,
            "up": quorum["up"],
            "down": quorum["down"],
        }
    out["quorum"] = quorum
    own = [m["address"] for m in members if m["address"]]
    vips = list(own)
    for i, vip in enumerate(svc["vips"] or ()):
        text, vfamily = _address("%s.vips[%d]" % (path, i), vip, "vip", name)
        if not fwmark_service and text not in own:
            raise _error("%s.vips[%d]" % (path, i), vip, "%r: only fwmark services list vips (an address service's VIP is its address)" % (vip,), name)
        if vfamily != family:
            raise _error("%s.vips[%d]" % (path, i), vip, "%r is not %s like the service" % (vip, family), name)
        if text not in vips:
            vips.append(text)
    out["vips"] = vips
    servers = [_real_server("%s.real_servers[%d]" % (path, i), rs, out, hostvars, name) for i, rs in enumerate(svc["real_servers"])]
    if out["tunnel"] is not None and forwarding != "tunnel" and not any(rs["forwarding"] == "tunnel" for rs in servers):
        given = _given(svc["tunnel"])
        raise _error(path + ".tunnel", given, "%r: tunnel options given but forwarding is %r" % (given, forwarding), name)
    seen = {}
    for i, rs in enumerate(servers):
        key = (rs["address"], rs["port"])
        if key in seen:
            raise _error("%s.real_servers[%d]" % (path, i), rs["host"] or rs["address"],
                         "%r port %s is already real_servers[%d]" % (rs["host"] or rs["address"], rs["port"], seen[key]), name)
        seen[key] = i
    out["real_servers"] = servers
    return out


def virtual_server_key(member):
    """A stable text key of one kernel virtual service: ``tcp 192.0.2.10:80``, ``fwmark 5 ipv6``."""
    if member["fwmark"] is not None:
        return "fwmark %d %s" % (member["fwmark"], member["family"])
    addr = member["address"]
    if member["family"] == "ipv6":
        addr = "[%s]" % addr
    return "%s %s:%d" % (member["protocol"], addr, member["port"])


def normalise_services(services, hostvars=None, root=ROOT, keepalived=False):
    """Validate and normalise the whole list; rejects duplicate names and duplicate VIP:port/fwmark.
    ``keepalived``: the list is for a director running keepalived, which also refuses what
    keepalived cannot express (a port-0 "all ports" service)."""
    if services is None:
        return []
    if not isinstance(services, list):
        raise ServiceModelError(root, services, "expected a list of services, got %r" % (services,))
    out = []
    names = {}
    keys = {}
    for index, raw in enumerate(services):
        svc = normalise_service(raw, index, hostvars, root)
        path = "%s[%d]" % (root, index)
        if svc["name"] in names:
            raise _error(path + ".name", svc["name"], "%r is already the name of %s[%d]" % (svc["name"], root, names[svc["name"]]))
        names[svc["name"]] = index
        for i, member in enumerate(svc["virtual_servers"]):
            if keepalived and member["fwmark"] is None and member["port"] < S.KEEPALIVED_MIN_PORT:
                field = ".group[%d].port" % i if svc["group"] is not None else ".port"
                raise _error(path + field, member["port"], "0 (all ports) is an IPVS service keepalived cannot express (its ports are 1-65535): "
                             "use a fwmark service, or a static director", svc["name"])
            key = virtual_server_key(member)
            if key in keys:
                field = ".address" if member["fwmark"] is None else ".fwmark"
                raise _error(path + field, member["address"] or member["fwmark"],
                             "duplicate virtual service %s (already in service %r)" % (key, keys[key]), svc["name"])
            keys[key] = svc["name"]
        out.append(svc)
    return out


# -------------------------------------------------------------------------------------------- views


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


def _forwarding_filter(forwarding):
    if forwarding is None:
        return None
    want = S.FORWARDING_ALIASES.get(str(forwarding).lower())
    if want is None:
        raise ServiceModelError("forwarding", forwarding, "%r is not one of %s" % (forwarding, ", ".join(S.FORWARDING)))
    return want


def host_vips(services, hostname, forwarding=None):
    """VIP addresses (no prefix) that real server ``hostname`` serves, optionally only for one
    forwarding method (a name of :data:`._schema.FORWARDING_ALIASES`)."""
    want = _forwarding_filter(forwarding)
    vips = []
    for svc in services:
        for rs in svc["real_servers"]:
            if rs.get("host") == hostname and (want is None or rs["forwarding"] == want):
                vips.extend(v for v in svc["vips"] if v not in vips)
                break
    return vips


def host_view(services, hostname):
    """What real server ``hostname`` needs, as data (read by the real-server roles):

    ``vips``: per forwarding method (:data:`._schema.FORWARDING`), the VIPs it serves;
    ``addresses``: its own addresses as the directors know them (per family);
    ``listen``: per service and forwarding method, ``{service, protocol, forwarding, vips, ports}``
    (the real ports it must answer on; none for fwmark/all-ports direct entries);
    ``nat``: [{protocol, port}] of its masquerade entries (the reply traffic to route back);
    ``tunnels``: [{type, port}] of its tunnel entries (the decapsulation it needs);
    ``services``: the names of the services that list it."""
    vips = {fwd: [] for fwd in S.FORWARDING}
    addresses = {"ipv4": None, "ipv6": None}
    listen, nat, tunnels, names = [], [], [], []
    for svc in services:
        entries = [rs for rs in svc["real_servers"] if rs.get("host") == hostname]
        if not entries:
            continue
        names.append(svc["name"])
        groups = {}
        for rs in entries:
            forwarding = rs["forwarding"]
            bucket = vips[forwarding]
            bucket.extend(v for v in svc["vips"] if v not in bucket)
            addresses[rs["family"]] = addresses[rs["family"]] or rs["address"]
            item = groups.get(forwarding)
            if item is None:
                item = groups[forwarding] = {"service": svc["name"], "protocol": svc["protocol"], "forwarding": forwarding,
                                             "vips": list(svc["vips"]), "ports": []}
                listen.append(item)
            if rs["port"] and rs["port"] not in item["ports"]:
                item["ports"].append(rs["port"])
            if forwarding == "masquerade":
                pair = {"protocol": svc["protocol"], "port": rs["port"]}
                if pair not in nat:
                    nat.append(pair)
            elif forwarding == "tunnel":
                tunnel = rs["tunnel"] or {"type": "ipip", "port": None}
                pair = {"type": tunnel["type"], "port": tunnel["port"]}
                if pair not in tunnels:
                    tunnels.append(pair)
    return {"vips": vips, "addresses": addresses, "listen": listen, "nat": nat, "tunnels": tunnels, "services": names}


def service_vips(services):
    """Every VIP address of the list, in order, once each (what a director holds)."""
    vips = []
    seen = set()
    for svc in services:
        for vip in svc["vips"]:
            if vip not in seen:
                seen.add(vip)
                vips.append(vip)
    return vips


def ipvs_scope(services):
    """The part of the IPVS table the model owns, as ``ipvs_table``'s ``scope``: its VIPs and
    ``fwmark:N`` for its fwmark services."""
    scope = service_vips(services)
    for svc in services:
        for member in svc["virtual_servers"]:
            mark = member["fwmark"]
            if mark is not None and "fwmark:%d" % mark not in scope:
                scope.append("fwmark:%d" % mark)
    return scope


def schedulers_in_use(services):
    out = []
    for svc in services:
        if svc["scheduler"] not in out:
            out.append(svc["scheduler"])
    return out


def forwarding_in_use(services):
    """{forwarding method: [families]} of the real servers (what a director must route)."""
    used = {}
    for svc in services:
        for rs in svc["real_servers"]:
            families = used.setdefault(rs["forwarding"], [])
            if svc["family"] not in families:
                families.append(svc["family"])
    return used


def track_files(services):
    """The files of the model's file checks (check type file), sorted, each once: a director has
    one keepalived track_file per file, and the file must exist before keepalived -t reads the
    config (keepalived 2.3 refuses a missing one, init_file or not)."""
    files = {chk["file"] for svc in services for rs in svc["real_servers"] for chk in rs["check"] if chk["type"] == "file"}
    return sorted(files)


def has_forwarding(services, forwarding):
    want = S.FORWARDING_ALIASES[forwarding]
    return any(svc["forwarding"] == want or any(rs["forwarding"] == want for rs in svc["real_servers"]) for svc in services)


_IPVS_RS_KEYS = ("address", "port", "weight", "forwarding", "upper_threshold", "lower_threshold", "tunnel")


def ipvs_services(services):
    """Normalised services -> one entry per kernel virtual service (groups expanded,
    keepalived-only keys dropped, real servers by address): the IPVS view of the model."""
    out = []
    for svc in services:
        many = len(svc["virtual_servers"]) > 1
        servers = [{k: rs[k] for k in _IPVS_RS_KEYS if rs[k] is not None} for rs in svc["real_servers"]]
        for i, member in enumerate(svc["virtual_servers"]):
            entry = {
                "name": "%s/%d" % (svc["name"], i) if many else svc["name"],
                "protocol": member["protocol"],
                "family": member["family"],
                "scheduler": svc["scheduler"],
                "sched_flags": list(svc["sched_flags"]),
                "forwarding": svc["forwarding"],
                "one_packet": svc["one_packet"],
                # no health check: IPVS runs none, and without this the default (tcp) would come back
                # when ipvs_table reads the entry, refusing a port-less (fwmark DR/TUN) real server
                # for want of check.connect_port
                "check": {"type": "none"},
                "real_servers": servers,
            }
            if member["fwmark"] is not None:
                entry["fwmark"] = member["fwmark"]
            else:
                entry.update(address=member["address"], port=member["port"])
            if svc["persistence"]:
                entry["persistence"] = dict(svc["persistence"])
            if svc["persistence_engine"]:
                entry["persistence_engine"] = svc["persistence_engine"]
            if svc["tunnel"]:
                entry["tunnel"] = svc["tunnel"]
            out.append(entry)
    return out
