# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one schema of the lvs.cluster service model.

Every field of a virtual service, of a real server and of their parts is declared here once, as
:class:`Field` objects (name, type, choices, default, range, who reads it, description), and so is
every constant of the model (schedulers, protocols, forwarding methods, tunnel types, checkers,
limits). Everything else derives from this module:

* :mod:`._service_model` validates and normalises with :func:`walk` (types, ranges, choices,
  unknown keys, named by their full path such as ``services[2].persistence.timout``) and then
  applies the rules between fields;
* the IPVS modules take their choices and limits from the constants here;
* ``plugins/doc_fragments/service_model.py`` (the ``services`` option of ``ipvs_table``), the
  director role's ``service_model`` argument_specs entry point and the field tables of
  ``docs/service-model.md`` are generated from :data:`SERVICE` by ``tests/schema_gen.py``, and a
  unit test fails when a generated file is stale.

The limits are those of the real tools, measured in the lab (ipvsadm 1.31 on kernel 6.1 and
6.12, keepalived 2.2/2.3; tests/lab/ipvsadm-limits.md); tests/lab/test_model_limits.py checks the
boundaries against ipvsadm again.

Standard library and ansible.module_utils only, so that it runs on the controller (filters,
action plugins) and on managed nodes (modules).
"""

from __future__ import annotations

import ipaddress

from ansible.module_utils.parsing.convert_bool import boolean

# ------------------------------------------------------------------------------------ constants

PROTOCOLS = ("tcp", "udp", "sctp")
FAMILIES = ("ipv4", "ipv6")
SCHEDULERS = ("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos")
DEFAULT_SCHEDULER = "wlc"
# the kernel's three scheduler flag bits; sh and mh name the first two
SCHED_FLAG_BITS = {"sh-fallback": 1, "sh-port": 2, "mh-fallback": 1, "mh-port": 2, "flag-1": 1, "flag-2": 2, "flag-3": 4}
SCHED_FLAGS = tuple(SCHED_FLAG_BITS)
FORWARDING = ("direct", "masquerade", "tunnel")
# accepted spellings -> canonical forwarding (ipvsadm and keepalived vocabulary)
FORWARDING_ALIASES = {
    "direct": "direct", "dr": "direct", "gatewaying": "direct", "route": "direct",
    "masquerade": "masquerade", "nat": "masquerade", "masquerading": "masquerade",
    "tunnel": "tunnel", "tun": "tunnel", "ipip": "tunnel",
}
KEEPALIVED_METHOD = {"direct": "DR", "masquerade": "NAT", "tunnel": "TUN"}
TUNNEL_TYPES = ("ipip", "gue", "gre")
TUNNEL_CHECKSUMS = ("nocsum", "csum", "remcsum")
PERSISTENCE_ENGINES = ("sip",)
CHECK_TYPES = ("tcp", "http", "https", "misc", "dns", "smtp", "udp", "ping", "file", "none")
KEEPALIVED_CHECKER = {
    "tcp": "TCP_CHECK", "http": "HTTP_GET", "https": "SSL_GET", "misc": "MISC_CHECK", "dns": "DNS_CHECK",
    "smtp": "SMTP_CHECK", "udp": "UDP_CHECK", "ping": "PING_CHECK", "file": "FILE_CHECK", "none": None,
}
# checkers that connect to a port: a real server without a port needs check.connect_port
PORT_CHECKS = ("tcp", "http", "https", "dns", "smtp", "udp")
DNS_QUERY_TYPES = ("A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA")

# limits of ipvsadm 1.31 and the kernel, measured in the lab (tests/lab/ipvsadm-limits.md)
MAX_PORT = 65535
# the kernel takes marks up to 2**32-1, but ipvsadm -S prints those from 2**31 as negative numbers
# that ipvsadm -R refuses: a table with one could not be saved and restored
MAX_FWMARK = 2147483647
# upstream ipvsadm 1.31 (RHEL) stops at 65535; Debian's patched ipvsadm and keepalived take 2**31-1
MAX_WEIGHT = 65535
MAX_THRESHOLD = 2147483647
MIN_PERSISTENCE_TIMEOUT = 1
MAX_PERSISTENCE_TIMEOUT = 2678400  # 31 days: ipvsadm's limit, and keepalived's
# keepalived refuses port 0 (IPVS's "all ports" service): a director running keepalived needs 1-65535
KEEPALIVED_MIN_PORT = 1
DEFAULT_PERSISTENCE_TIMEOUT = 300
DEFAULT_NETMASK_V4 = "255.255.255.255"
DEFAULT_NETMASK_V6 = 128
# keepalived's own ranges (keepalived.conf(5), keepalived -t)
MAX_DELAY = 86400
MAX_RETRY = 1000
MAX_QUORUM = 4294967295
MIN_HTTP_STATUS, MAX_HTTP_STATUS = 100, 599  # keepalived 2.2.7 -t: "Invalid HTTP_GET status code '99'" / '600'
MAX_SOCKET_MARK = 4294967295  # a checker's fwmark (SO_MARK): keepalived -t takes 0-2**32-1, 0 = none
MAX_FILE_WEIGHT = 2147483647  # FILE_CHECK weight: keepalived -t "must be in [-2147483647..2147483647]"

# who reads a field: ipvs = the IPVS table (ipvs_table, static directors), keepalived = the
# director's keepalived.conf, real_server = the real-server roles
IPVS, KEEPALIVED, RS_ROLES = "ipvs", "keepalived", "real_server"
EVERYONE = (IPVS, KEEPALIVED, RS_ROLES)


class SchemaError(ValueError):
    """Invalid service model: ``path`` is the field's full path, ``value`` what was given."""

    def __init__(self, path, value, reason, context=""):
        self.path = path
        self.value = value
        self.reason = reason
        self.context = context
        super().__init__("%s: %s%s" % (path, reason, context))

    def renamed(self, path, context=None):
        return SchemaError(path, self.value, self.reason, self.context if context is None else context)

    def under(self, prefix):
        """This error one level down: ``prefix`` + its path."""
        return SchemaError(prefix + self.path, self.value, self.reason, self.context)


_MISSING = object()


class Field:
    """One field of the model. ``kind`` is one of str, int, bool, ip, netmask, ints (an integer
    or a list of them), statuses (HTTP status codes and ranges such as ``200-299``), list (of
    ``elements``), dict (of ``fields``) or dicts (one dict of ``fields`` or a list of them)."""

    __slots__ = (
        "check_types",
        "choices",
        "default",
        "defaults",
        "description",
        "elements",
        "fields",
        "high",
        "kind",
        "low",
        "name",
        "readers",
        "required",
        "required_names",
    )

    def __init__(
        self,
        name,
        kind,
        description,
        *,
        default=None,
        choices=None,
        low=None,
        high=None,
        elements=None,
        fields=(),
        required=False,
        readers=EVERYONE,
        check_types=None,
    ):
        self.name = name
        self.kind = kind
        self.description = description if isinstance(description, (list, tuple)) else [description]
        self.default = default
        self.choices = tuple(choices) if choices is not None else None
        self.low = low
        self.high = high
        self.elements = elements
        self.fields = {f.name: f for f in fields}
        self.defaults = {f.name: f.default for f in fields}  # a walked mapping starts from these
        self.required_names = tuple(f.name for f in fields if f.required)
        self.required = required
        self.readers = tuple(readers)
        self.check_types = tuple(check_types) if check_types is not None else None

    def __repr__(self):
        return "Field(%r, %r)" % (self.name, self.kind)

    def field(self, dotted):
        """The sub-field at ``dotted`` (``real_servers.weight``, ``check.path``)."""
        node = self
        for part in dotted.split("."):
            if node.kind == "list":
                node = node.elements
            node = node.fields[part]
        return node


# --------------------------------------------------------------------------------------- scalars


def span(low, high):
    """A range as the docs and messages print it: ``1-65535``, ``-5 to 5``."""
    return ("%d-%d" if low >= 0 else "%d to %d") % (low, high)


def _reason_range(value, low, high):
    if high is None:
        return "%r is below the minimum %d" % (value, low)
    return "%r is out of range %s" % (value, span(low, high))


def to_bool(value, path):
    """Ansible's boolean rules (yes/no, true/false, on/off, 1/0, y/n, t/f, any case, blanks around
    ignored), nothing else: Ansible's own function, so that the model and the modules' boolean
    parameters (AnsibleModule's type bool) take the same values."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, int, float)):
        try:
            return boolean(value, strict=True)
        except TypeError:
            pass
    raise SchemaError(path, value, "%r is not a boolean (true/false, yes/no, on/off, 1/0)" % (value,))


def to_int(value, path, low=None, high=None):
    """An integer: an int, a string of decimal digits or an integral float; never a boolean."""
    number = None
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if digits.isdigit() and digits.isascii():
            number = int(text)
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if number is None:
        what = "an integer" if low is None else "an integer %d-%s" % (low, high if high is not None else "")
        raise SchemaError(path, value, "%r is not %s" % (value, what))
    if (low is not None and number < low) or (high is not None and number > high):
        raise SchemaError(path, value, _reason_range(value, low, high))
    return number


def to_str(value, path, choices=None):
    if not isinstance(value, str) or not value.strip():
        raise SchemaError(path, value, "expected a non-empty string, got %r" % (value,))
    if choices is not None and value not in choices:
        raise SchemaError(path, value, "%r is not one of %s" % (value, ", ".join(choices)))
    return value


# ------------------------------------------------------------------------------------- addresses

# canonical text -> (canonical text, family); parsing dominates big models, which name the same
# VIPs and real servers many times
_ADDRESS_CACHE = {}
_ADDRESS_CACHE_MAX = 65536


def canonical_address(value, path="address"):
    """(text, family) of an IP address in the one canonical form: what ``ipvsadm -n`` and
    ``ip`` print (glibc ``inet_ntop``): lower case, RFC 5952 compression, and dotted IPv4 for
    IPv4-mapped (``::ffff:192.0.2.80``) and IPv4-compatible (``::192.0.2.1``) addresses.
    Networks, names, bracketed and scoped (``fe80::1%eth0``) forms are refused."""
    found = _ADDRESS_CACHE.get(value) if isinstance(value, str) else None
    if found is not None:
        return found
    found = _parse_address(value, path)
    if len(_ADDRESS_CACHE) < _ADDRESS_CACHE_MAX:
        _ADDRESS_CACHE[value] = found
    return found


def _parse_address(value, path):

    if not isinstance(value, str):
        raise SchemaError(path, value, "%r is not an IPv4 or IPv6 address" % (value,))
    text = value.strip()
    if "%" in text:
        raise SchemaError(path, value, "%r is a scoped IPv6 address: IPVS cannot use a zone (%%interface)" % (value,))
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        raise SchemaError(path, value, "%r is not an IPv4 or IPv6 address" % (value,)) from None
    if ip.version == 4:
        return str(ip), "ipv4"
    return _ntop6(ip.packed), "ipv6"


def _ntop6(packed):
    """glibc's inet_ntop(AF_INET6) in pure Python (the controller may not run glibc)."""
    words = [packed[i] << 8 | packed[i + 1] for i in range(0, 16, 2)]
    best_base, best_len, base, length = -1, 0, -1, 0
    for i, word in enumerate(words):
        if word == 0:
            if base < 0:
                base, length = i, 1
            else:
                length += 1
            if length > best_len:
                best_base, best_len = base, length
        else:
            base = -1
    if best_len < 2:
        best_base = -1
    parts = []
    i = 0
    while i < 8:
        if i == best_base:
            parts.append("" if i else ":")
            i += best_len
            if i == 8:
                parts.append("")
            continue
        if i == 6 and best_base == 0 and (best_len == 6 or (best_len == 5 and words[5] == 0xFFFF)):
            parts.append("%d.%d.%d.%d" % tuple(packed[12:]))
            break
        parts.append("%x" % words[i])
        i += 1
    text = ":".join(parts)
    return text if text != ":::" else "::"


# ------------------------------------------------------------------------------------ the walker


def walk(field, value, path):
    """Check ``value`` against ``field`` and convert it: types, ranges, choices and unknown keys
    at any depth, each error naming the full path. Missing dict fields get their ``default``
    (or None); the rules between fields are the caller's (:mod:`._service_model`).

    Paths are built only when an error is raised (each level adds its part on the way out): a
    model of 10,000 services has half a million values, and formatting a path for each cost more
    than checking them."""
    try:
        return _CONVERT[field.kind](field, value)
    except SchemaError as exc:
        raise exc.under(path) from None


def walk_dict(field, value, path):
    """A mapping of ``field.fields`` (see :func:`walk`)."""
    try:
        return _walk_dict(field, value)
    except SchemaError as exc:
        raise exc.under(path) from None


def _walk_dict(field, value):
    if not isinstance(value, dict):
        raise SchemaError("", value, "expected a mapping, got %r" % (value,))
    fields = field.fields
    out = dict(field.defaults)
    for key, raw in value.items():
        sub = fields.get(key)
        if sub is None:
            first = sorted(str(k) for k in value if k not in fields)[0]  # the same key whatever the order
            raise SchemaError("." + first, value.get(first, first), "unknown key %r; allowed: %s" % (first, ", ".join(fields)))
        if raw is None:
            continue
        try:
            out[key] = _CONVERT[sub.kind](sub, raw)
        except SchemaError as exc:
            raise exc.under("." + key) from None
    for name in field.required_names:
        if value.get(name) is None:
            raise SchemaError("." + name, None, "required")
    return out


def _walk_list(field, value):
    if not isinstance(value, list):
        raise SchemaError("", value, "expected a list, got %r" % (value,))
    return _each(_CONVERT[field.elements.kind], field.elements, value)


def _each(convert, sub, items):
    """``convert(sub, item)`` for each item; an error names its index."""
    out = []
    for i, item in enumerate(items):
        try:
            out.append(convert(sub, item))
        except SchemaError as exc:
            raise exc.under("[%d]" % i) from None
    return out


def _walk_int(field, value):
    # the common case without a call: an int in range
    if isinstance(value, int) and value is not True and value is not False and (field.low is None or value >= field.low) and (
        field.high is None or value <= field.high
    ):
        return value
    return to_int(value, "", field.low, field.high)


def _walk_bool(field, value):
    if value is True or value is False:
        return value
    return to_bool(value, "")


def _walk_str(field, value):
    if isinstance(value, str) and value and (field.choices is None or value in field.choices) and not value.isspace():
        return value
    return to_str(value, "", field.choices)


def _walk_ints(field, value):
    if isinstance(value, list):
        if not value:
            raise SchemaError("", value, "expected an integer or a non-empty list of integers, got []")
        out = []
        for i, item in enumerate(value):
            try:
                out.append(to_int(item, "", field.low, field.high))
            except SchemaError as exc:
                raise exc.under("[%d]" % i) from None
        return out
    return [to_int(value, "", field.low, field.high)]


def _status(item, low, high):
    """One HTTP status: an integer, or a range ``low-high`` (kept as that text, as keepalived takes it)."""
    if isinstance(item, str) and "-" in item.strip()[1:]:
        first, last = item.strip().split("-", 1)
        try:
            a, b = to_int(first, "", low, high), to_int(last, "", low, high)
        except SchemaError:
            raise SchemaError("", item, "%r is not a range of status codes %d-%d (such as 200-299)" % (item, low, high)) from None
        if a > b:
            raise SchemaError("", item, "%r: the range ends below its start" % (item,))
        return "%d-%d" % (a, b)
    return to_int(item, "", low, high)


def _walk_statuses(field, value):
    items = value if isinstance(value, list) else [value]
    if not items:
        raise SchemaError("", value, "expected a status code, a range (200-299) or a non-empty list of them, got []")
    out = []
    for i, item in enumerate(items):
        try:
            out.append(_status(item, field.low, field.high))
        except SchemaError as exc:
            raise (exc.under("[%d]" % i) if isinstance(value, list) else exc) from None
    return out


def _walk_dicts(field, value):
    # one mapping stays one (the rules name its keys without an index and normalise it to a list)
    if isinstance(value, dict):
        return _walk_dict(field, value)
    if not isinstance(value, list):
        raise SchemaError("", value, "expected a mapping or a list of mappings, got %r" % (value,))
    return _each(_walk_dict, field, value)


def _walk_netmask(field, value):
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise SchemaError("", value, "expected a netmask (255.255.255.0) or a prefix length, got %r" % (value,))
    return value


# str and ip are strings here; ip is canonicalised by the rules, which know the family and the role
# of the address
_CONVERT = {
    "dict": _walk_dict,
    "list": _walk_list,
    "int": _walk_int,
    "bool": _walk_bool,
    "str": _walk_str,
    "ip": _walk_str,
    "ints": _walk_ints,
    "statuses": _walk_statuses,
    "dicts": _walk_dicts,
    "netmask": _walk_netmask,
}


# -------------------------------------------------------------------------------------- the model

_K = (KEEPALIVED,)
_KI = (IPVS, KEEPALIVED)
_CONNECTING = ("tcp", "http", "https", "dns", "smtp", "udp")  # checks that connect to a port
_COMMON = ("tcp", "http", "https", "dns", "smtp", "udp", "ping")
_RETRYING = ("tcp", "http", "https", "dns", "smtp", "udp", "ping", "misc")
_HTTP = ("http", "https")

URL = Field(
    "urls",
    "dict",
    "One URL of an C(http)/C(https) check (a keepalived C(url) block); the check passes when every URL does.",
    readers=_K,
    fields=(
        Field("path", "str", "The URL path (default C(/)).", readers=_K),
        Field("status", "statuses", "Expected HTTP status code(s) and ranges such as C(200-299) (default 200).", low=MIN_HTTP_STATUS,
              high=MAX_HTTP_STATUS, readers=_K),
        Field("digest", "str", "MD5 of the expected body (32 hex digits), instead of C(status).", readers=_K),
        Field("regex", "str", "A regular expression (PCRE2) the body must match (keepalived C(regex)).", readers=_K),
        Field("regex_no_match", "bool", "The body must not match C(regex) (keepalived C(regex_no_match)).", readers=_K),
        Field("virtualhost", "str", "Host header for this URL (default: the check's C(virtualhost)).", readers=_K),
    ),
)

CHECK = Field(
    "check",
    "dicts",
    [
        "Health check of the real servers, run by keepalived on the directors (not by static directors or M(lvs.cluster.ipvs_table)).",
        "One checker (a mapping) or several (a list of them: the real server is up while every one passes; an empty list means no "
        "checker). The normalised model always holds a list.",
        "On a real server, a check without C(type) is merged into the service's check (which must then be one checker); one with "
        "C(type) replaces it.",
    ],
    readers=_K,
    fields=(
        Field("type", "str", "The checker: C(tcp) TCP_CHECK, C(http) HTTP_GET, C(https) SSL_GET, C(misc) MISC_CHECK, C(dns) DNS_CHECK, "
              "C(smtp) SMTP_CHECK, C(udp) UDP_CHECK, C(ping) PING_CHECK, C(file) FILE_CHECK (a number in a file on the director), "
              "C(none) no checker (always in the table).",
              choices=CHECK_TYPES, readers=_K),
        Field("connect_timeout", "int", "Seconds to wait for the connection (or the ping reply).", low=1, high=MAX_DELAY, readers=_K,
              check_types=_COMMON),
        Field("retry", "int", "Failed attempts before the real server is taken out (keepalived C(retry)).", low=0, high=MAX_RETRY,
              readers=_K, check_types=_RETRYING),
        Field("delay_before_retry", "int", "Seconds between the attempts.", low=1, high=MAX_DELAY, readers=_K, check_types=_RETRYING),
        Field("warmup", "int", "Random delay (at most this many seconds) before the first check.", low=1, high=MAX_DELAY, readers=_K,
              check_types=_RETRYING),
        Field("delay_loop", "int", "Seconds between this checker's runs (default: the service's C(delay_loop)).", low=1, high=MAX_DELAY,
              readers=_K, check_types=_RETRYING),
        Field("log_all_failures", "bool", "Log every failed attempt, not only the change of state.", readers=_K, check_types=_RETRYING),
        Field("connect_port", "int", "Port to check instead of the real server's; required for a real server without a port (fwmark services).",
              low=1, high=MAX_PORT, readers=_K, check_types=_CONNECTING),
        Field("connect_ip", "ip", "Address to check instead of the real server's.", readers=_K, check_types=_COMMON),
        Field("bind_to", "ip", "Source address of the check (keepalived C(bindto)).", readers=_K, check_types=_COMMON),
        Field("bind_port", "int", "Source port of the check (keepalived C(bind_port)).", low=1, high=MAX_PORT, readers=_K,
              check_types=_CONNECTING),
        Field("bind_if", "str", "Interface the check is sent from (keepalived C(bind_if); needed for an IPv6 link-local C(bind_to)).",
              readers=_K, check_types=_COMMON),
        Field("fwmark", "int", "Firewall mark of the check's packets (keepalived C(fwmark), SO_MARK), for policy routing.", low=1,
              high=MAX_SOCKET_MARK, readers=_K, check_types=_COMMON),
        Field("path", "str", ["C(http)/C(https): the URL path (default C(/)); C(misc): the command to run (required)."], readers=_K,
              check_types=("http", "https", "misc")),
        Field("status", "statuses", "Expected HTTP status code(s) and ranges such as C(200-299) (default 200).", low=MIN_HTTP_STATUS,
              high=MAX_HTTP_STATUS, readers=_K, check_types=_HTTP),
        Field("digest", "str", "MD5 of the expected body (32 hex digits), instead of C(status).", readers=_K, check_types=_HTTP),
        Field("regex", "str", "A regular expression (PCRE2) the body must match (keepalived C(regex)).", readers=_K, check_types=_HTTP),
        Field("regex_no_match", "bool", "The body must not match C(regex).", readers=_K, check_types=_HTTP),
        Field("urls", "list", ["Several URLs, each with its own C(path), C(status), C(digest), C(regex), C(virtualhost); the check passes "
                               "when every one does.", "Instead of the check's own C(path), C(status), C(digest) and C(regex)."],
              elements=URL, readers=_K, check_types=_HTTP),
        Field("virtualhost", "str", "Host header of the check (defaults to the service's C(virtualhost)).", readers=_K, check_types=_HTTP),
        Field("enable_sni", "bool", "C(https): send the C(virtualhost) as TLS SNI (keepalived C(enable_sni)).", readers=_K,
              check_types=("https",)),
        Field("timeout", "int", "Seconds before the C(misc) command is killed (keepalived C(misc_timeout)).", low=1, high=MAX_DELAY,
              readers=_K, check_types=("misc",)),
        Field("dynamic", "bool", "The C(misc) command's exit code minus 2 sets the weight (keepalived C(misc_dynamic)).", readers=_K,
              check_types=("misc",)),
        Field("user", "str", "User that runs the C(misc) command (default: the director's script user).", readers=_K, check_types=("misc",)),
        Field("name", "str", "C(dns): the name to query (default C(.)).", readers=_K, check_types=("dns",)),
        Field("query_type", "str", "C(dns): the record type (default C(SOA)).", choices=DNS_QUERY_TYPES, readers=_K, check_types=("dns",)),
        Field("helo_name", "str", "C(smtp): the HELO name.", readers=_K, check_types=("smtp",)),
        Field("payload", "str", "C(udp): the datagram to send, as hex digits (an even number of them).", readers=_K, check_types=("udp",)),
        Field("require_reply", "bool", "C(udp): the real server must answer.", readers=_K, check_types=("udp",)),
        Field("min_reply_length", "int", "C(udp): shortest acceptable reply.", low=0, high=MAX_PORT, readers=_K, check_types=("udp",)),
        Field("max_reply_length", "int", "C(udp): longest acceptable reply.", low=0, high=MAX_PORT, readers=_K, check_types=("udp",)),
        Field("file", "str", ["C(file), required: absolute path of the file on the directors, holding a number (keepalived C(track_file); "
                              "created holding 0 when missing).", "With C(weight) 0 (the default) any number but 0 takes the real server "
                              "out; otherwise the number times C(weight) is added to its weight."], readers=_K, check_types=("file",)),
        Field("weight", "int", "C(file): the multiplier (default 0: a non-zero number means down).", low=-MAX_FILE_WEIGHT, high=MAX_FILE_WEIGHT,
              readers=_K, check_types=("file",)),
        Field("reverse", "bool", "C(file): the number is subtracted instead (keepalived C(weight ... reverse)).", readers=_K,
              check_types=("file",)),
        Field("checker", "str", "Derived: the keepalived checker keyword (present in the normalised model; recomputed on input).", readers=_K),
    ),
)

TUNNEL = Field(
    "tunnel",
    "dict",
    "TUN options (ipvsadm C(--tun-type), C(--tun-port), C(--tun-*csum); kernel 5.3 and later).",
    readers=(IPVS, KEEPALIVED, RS_ROLES),
    fields=(
        Field("type", "str", "Encapsulation: C(ipip) (default), C(gue) (needs C(port)) or C(gre).", choices=TUNNEL_TYPES),
        Field("port", "int", "GUE only, required: the UDP port the real servers' FOU receive port listens on.", low=1, high=MAX_PORT),
        Field("checksum", "str", "GUE and GRE only: C(nocsum) (default), C(csum), or C(remcsum) (remote checksum offload, GUE only).",
              choices=TUNNEL_CHECKSUMS, readers=_KI),
    ),
)

PERSISTENCE = Field(
    "persistence",
    "dict",
    "Persistence (ipvsadm C(-p)/C(-M), keepalived C(persistence_timeout)/C(persistence_granularity)): one client goes to one real server.",
    readers=_KI,
    fields=(
        Field("timeout", "int", "Seconds a client sticks to its real server (default %d)." % DEFAULT_PERSISTENCE_TIMEOUT,
              low=MIN_PERSISTENCE_TIMEOUT, high=MAX_PERSISTENCE_TIMEOUT, readers=_KI),
        Field("netmask", "netmask", "Clients grouped by this mask: an IPv4 mask (C(255.255.255.0)) or prefix length for IPv4 services, "
              "an IPv6 prefix length for IPv6 services; default one client per address.", readers=_KI),
        Field("granularity", "netmask", "Alias of C(netmask) (keepalived's word).", readers=_KI),
    ),
)

SORRY_SERVER = Field(
    "sorry_server",
    "dict",
    "Where keepalived sends traffic when no real server is up.",
    readers=_K,
    fields=(
        Field("address", "ip", "Its address.", required=True, readers=_K),
        Field("port", "int", "Its port (default: the service port).", low=0, high=MAX_PORT, readers=_K),
        Field("inhibit", "bool", "Keep it in the table at weight 0 while real servers are up (keepalived C(sorry_server_inhibit)).",
              readers=_K),
        Field("forwarding", "str", "Its forwarding method (default: the service's).", choices=tuple(FORWARDING_ALIASES), readers=_K),
        Field("method", "str", "Derived: keepalived's DR/NAT/TUN.", readers=_K),
    ),
)

QUORUM = Field(
    "quorum",
    "dict",
    "keepalived quorum: the sum of the weights of the real servers that are up must reach it.",
    readers=_K,
    fields=(
        Field("quorum", "int", "The quorum (default 1).", low=1, high=MAX_QUORUM, readers=_K),
        Field("hysteresis", "int", "Tolerance around it (default 0).", low=0, high=MAX_QUORUM, readers=_K),
        Field("up", "str", "Command run when the quorum is gained (as the director's script user).", readers=_K),
        Field("down", "str", "Command run when the quorum is lost.", readers=_K),
    ),
)

GROUP_MEMBER = Field(
    "group",
    "dict",
    "A member of a virtual server group: C(address) and C(port), or C(fwmark).",
    readers=_KI,
    fields=(
        Field("address", "ip", "The VIP.", readers=_KI),
        Field("port", "int", "Its port (default: the service's C(port)).", low=0, high=MAX_PORT, readers=_KI),
        Field("fwmark", "int", "A firewall mark instead of address and port.", low=1, high=MAX_FWMARK, readers=_KI),
        Field("family", "str", "Derived: C(ipv4) or C(ipv6).", choices=FAMILIES, readers=_KI),
        Field("protocol", "str", "Derived: the service's protocol.", choices=PROTOCOLS, readers=_KI),
    ),
)

REAL_SERVER = Field(
    "real_servers",
    "dict",
    "One real server.",
    fields=(
        Field("host", "str", ["An inventory host: its address is C(lvs_real_server_address6) (IPv6 services), else C(lvs_real_server_address), "
                              "else C(ansible_host), else the name itself if it is an address.",
                              "The real-server roles configure the hosts listed by C(host)."], readers=(KEEPALIVED, RS_ROLES, IPVS)),
        Field("address", "ip", "Its address (a host outside the inventory, or overriding the one looked up for C(host)).", readers=EVERYONE),
        Field("port", "int", ["Its port (default: the service port).", "Only masquerade (NAT) may map ports; direct and tunnel real servers "
                              "use the service port. A NAT real server of a service without a port (fwmark, group, port 0) must give one."],
              low=0, high=MAX_PORT),
        Field("weight", "int", "Scheduling weight; 0 quiesces it (no new connections).", default=1, low=0, high=MAX_WEIGHT, readers=_KI),
        Field("forwarding", "str", "Its forwarding method (default: the service's C(forwarding)).", choices=tuple(FORWARDING_ALIASES)),
        Field("upper_threshold", "int", "Connection limit (ipvsadm C(-x), keepalived C(uthreshold)); 0 = none.", default=0, low=0,
              high=MAX_THRESHOLD, readers=_KI),
        Field("lower_threshold", "int", "Connections below which it takes new ones again (ipvsadm C(-y)); at most C(upper_threshold).",
              default=0, low=0, high=MAX_THRESHOLD, readers=_KI),
        CHECK,
        Field("notify_up", "str", "Command keepalived runs when this real server's checks pass again (as the director's script user).",
              readers=_K),
        Field("notify_down", "str", "Command keepalived runs when a check takes this real server out.", readers=_K),
        Field("tunnel", "dict", "Its own TUN options (default: the service's C(tunnel)).", fields=tuple(TUNNEL.fields.values())),
        Field("family", "str", "Derived: C(ipv4) or C(ipv6).", choices=FAMILIES),
        Field("method", "str", "Derived: keepalived's DR/NAT/TUN.", readers=_K),
    ),
)

SERVICE = Field(
    "services",
    "dict",
    "One virtual service of the model.",
    fields=(
        Field("name", "str", "Unique name of the service (messages, keepalived comments, reports).", required=True),
        Field("address", "ip", "The VIP, IPv4 or IPv6 (or give C(fwmark) or C(group))."),
        Field("port", "int", ["The virtual port, required with C(address); 0 means all ports and needs C(persistence).",
                              "With C(group): the default port of its members."], low=0, high=MAX_PORT),
        Field("fwmark", "int", "A firewall-mark service instead of C(address) and C(port).", low=1, high=MAX_FWMARK),
        Field("family", "str", "Address family; follows from C(address), needed as C(ipv6) for an IPv6 fwmark service (default C(ipv4)).",
              choices=FAMILIES),
        Field("protocol", "str", "C(tcp), C(udp) or C(sctp); not used by fwmark services.", default="tcp", choices=PROTOCOLS),
        Field("scheduler", "str", "The IPVS scheduler (ipvsadm C(-s), keepalived C(lvs_sched)).", default=DEFAULT_SCHEDULER, choices=SCHEDULERS,
              readers=_KI),
        Field("sched_flags", "list", "Scheduler flags (ipvsadm C(-b)): C(sh-*) with the C(sh) scheduler, C(mh-*) with C(mh), C(flag-1..3) with any.",
              elements=Field("sched_flags", "str", "A flag.", choices=SCHED_FLAGS), readers=_KI),
        Field("forwarding", "str", "Default forwarding of its real servers: C(direct) (DR), C(masquerade) (NAT) or C(tunnel) (TUN); "
              "C(dr), C(nat), C(tun) are accepted.", default="direct", choices=tuple(FORWARDING_ALIASES)),
        PERSISTENCE,
        Field("one_packet", "bool", "One-packet scheduling (ipvsadm C(-o)): UDP and fwmark services only.", default=False, readers=_KI),
        Field("persistence_engine", "str", "Persistence engine (ipvsadm C(--pe)); needs C(persistence).", choices=PERSISTENCE_ENGINES, readers=_KI),
        Field("check", "dicts", CHECK.description, default={"type": "tcp"}, fields=tuple(CHECK.fields.values()), readers=_K),
        Field("ha_suspend", "bool", "keepalived C(ha_suspend): run the checks only while this director holds the service's VIP.",
              default=False, readers=_K),
        Field("delay_loop", "int", "Seconds between health checks.", default=6, low=1, high=MAX_DELAY, readers=_K),
        SORRY_SERVER,
        QUORUM,
        Field("inhibit_on_failure", "bool", "Set a failed real server's weight to 0 instead of removing it.", default=False, readers=_K),
        Field("alpha", "bool", "keepalived C(alpha): real servers start as down until their first check passes.", default=False, readers=_K),
        Field("omega", "bool", "keepalived C(omega): run C(quorum.down) when keepalived stops.", default=False, readers=_K),
        Field("virtualhost", "str", "Host header of the HTTP(S) checks.", readers=_K),
        TUNNEL,
        Field("group", "list", "A keepalived virtual_server_group: members sharing one pool of real servers; replaces C(address)/C(fwmark).",
              elements=GROUP_MEMBER, readers=_KI),
        Field("vips", "list", "fwmark services: the addresses the mark covers; the directors hold them, DR and TUN real servers put them on lo.",
              elements=Field("vips", "ip", "An address.")),
        Field("real_servers", "list", "The real servers (may be empty).", elements=REAL_SERVER, required=True),
        Field("method", "str", "Derived: keepalived's DR/NAT/TUN.", readers=_K),
        Field("virtual_servers", "list", "Derived: the kernel virtual services of the entry, one per C(group) member.", elements=GROUP_MEMBER,
              readers=_KI),
    ),
)

DERIVED = ("method", "virtual_servers", "family", "checker", "protocol")  # derived sub-keys: recomputed on input


def is_derived(field):
    return field.description[0].startswith("Derived:")


def readers_of(path):
    """The readers of the field at dotted ``path`` of a service (docs and tests)."""
    return SERVICE.field(path).readers


# ----------------------------------------------------------------------------- derived interfaces

_ARG_TYPE = {"str": "str", "ip": "str", "int": "int", "bool": "bool", "netmask": "raw", "ints": "raw", "statuses": "raw", "list": "list",
             "dict": "dict", "dicts": "raw"}


def argument_spec(field):
    """The Ansible argument spec of ``field`` (modules' argument_spec; the generated docs use
    :func:`doc_option`, which adds the descriptions to the same dict)."""
    spec = {"type": _ARG_TYPE[field.kind]}
    sub = field
    if field.kind == "list":
        sub = field.elements
        spec["elements"] = _ARG_TYPE[sub.kind]
        if sub.choices is not None:
            spec["choices"] = list(sub.choices)
    elif field.choices is not None:
        spec["choices"] = list(field.choices)
    if sub.kind in ("dict", "dicts"):
        spec["options"] = {name: argument_spec(f) for name, f in sub.fields.items()}
    if field.default is not None:
        spec["default"] = field.default
    if field.required:
        spec["required"] = True
    return spec


_READERS = {IPVS: "the IPVS table", KEEPALIVED: "keepalived", RS_ROLES: "the real-server roles"}


def doc_option(field, options_key="suboptions"):
    """``field`` as an Ansible documentation option (``suboptions`` for module docs,
    ``options`` for role argument specs), derived from :func:`argument_spec`."""
    spec = argument_spec(field)
    doc = {"description": list(field.description)}
    sub = field.elements if field.kind == "list" else field
    if field.low is not None or sub.low is not None:
        low, high = (field.low, field.high) if field.low is not None else (sub.low, sub.high)
        doc["description"].append("Range %s." % span(low, high))
    if tuple(field.readers) != EVERYONE:
        doc["description"].append("Read by %s." % " and ".join(_READERS[r] for r in field.readers))
    for key in ("type", "elements", "choices", "default", "required"):
        if key in spec:
            doc[key] = spec[key]
    if sub.kind in ("dict", "dicts"):
        doc[options_key] = {name: doc_option(f, options_key) for name, f in sub.fields.items()}
    return doc
