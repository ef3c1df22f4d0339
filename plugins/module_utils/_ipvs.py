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

from collections import namedtuple

from ansible_collections.lvs.cluster.plugins.module_utils import _schema as S

SCHEDULERS = S.SCHEDULERS
# what ipvsadm 1.31 takes for a bare "-p" in ipvsadm -R input (its manual page says 300; measured
# in the lab: 360); -Sn always prints the value
IPVSADM_BARE_P_TIMEOUT = 360

_FWD_FLAG = {"direct": "-g", "tunnel": "-i", "masquerade": "-m"}
_FLAG_FWD = {"-g": "direct", "--gatewaying": "direct", "-i": "tunnel", "--ipip": "tunnel", "-m": "masquerade", "--masquerading": "masquerade"}
_PROTO_FLAG = {"tcp": "-t", "udp": "-u", "sctp": "--sctp-service"}
_FLAG_PROTO = {"-t": "tcp", "--tcp-service": "tcp", "-u": "udp", "--udp-service": "udp", "--sctp-service": "sctp"}
_LIST_PROTO = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp"}
_CSUM_FLAG = {"nocsum": "--tun-nocsum", "csum": "--tun-csum", "remcsum": "--tun-remcsum"}
_FLAG_CSUM = {v: k for k, v in _CSUM_FLAG.items()}
# scheduler flags are three bits in the kernel; sh and mh give the first two a name


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
    """``192.0.2.1:80`` or ``[2001:db8::1]:80``; the brackets follow the address itself (a tunnel
    destination may be IPv4 in an IPv6 service), ``family`` only decides for an empty address."""
    if ":" in address or (family == "ipv6" and not address):
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
    scheduler = S.DEFAULT_SCHEDULER
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
                persistent = IPVSADM_BARE_P_TIMEOUT
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
                flags |= S.SCHED_FLAG_BITS[name]
            i += 1
        elif opt in ("-6", "--ipv6"):
            pass
        else:
            raise _parse_error(where, "unknown service option %r" % (opt,))
    if persistent:
        if netmask is None:
            netmask = S.DEFAULT_NETMASK_V6 if key.family == "ipv6" else S.DEFAULT_NETMASK_V4
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
    if port is None or (fwd != "masquerade" and key.protocol != "fwmark"):
        port = key.port  # what ipvsadm does: only NAT (and any fwmark destination) keeps a port of its own
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


def merge_thresholds_lines(table, lines):
    """Set thresholds from :func:`threshold_lines` output (``-a SERVICE -r DEST -x U -y L``)."""
    for line in lines:
        tok = line.split()
        key, i = _svc_key_from_tokens(tok, 1)
        dkey, attrs = _dest_from_tokens(tok, i, key)
        dests = table.dests.get(key)
        if dests is None or dkey not in dests:
            raise IPVSError("thresholds for %s %s, which the table does not have" % (key, hostport(dkey[0], dkey[1])))
        dests[dkey] = dests[dkey]._replace(upper_threshold=attrs.upper_threshold, lower_threshold=attrs.lower_threshold)
    return table


def connection_counts(text):
    """{ServiceKey: {(addr, port): (active, inactive)}} from ``ipvsadm -Ln`` or ``-Ln --thresholds``."""
    _svc_cols, cols, listing = parse_list(text)
    ia, ii = cols.index("ActiveConn"), cols.index("InActConn")
    return {key: {d: (int(f[ia]), int(f[ii])) for d, f in entry["dests"].items()} for key, entry in listing.items()}


# -------------------------------------------------------------------------- from the service model


def _service_attrs(svc, family):
    persistence = svc["persistence"]
    bits = 0
    for name in svc["sched_flags"]:
        bits |= S.SCHED_FLAG_BITS[name]
    if persistence:
        netmask = persistence["netmask"]
        if netmask is None:
            netmask = S.DEFAULT_NETMASK_V6 if family == "ipv6" else S.DEFAULT_NETMASK_V4
        return ServiceAttrs(svc["scheduler"], persistence["timeout"], netmask, svc["persistence_engine"], bool(svc["one_packet"]), bits)
    return ServiceAttrs(svc["scheduler"], 0, None, None, bool(svc["one_packet"]), bits)


def service_key(member):
    """The ServiceKey of one ``virtual_servers`` member of a normalised service."""
    if member["fwmark"] is not None:
        return ServiceKey("fwmark", "", 0, member["fwmark"], member["family"])
    return ServiceKey(member["protocol"], member["address"], member["port"], 0, member["family"])


def dest_entry(key, rs):
    """((address, port), DestAttrs) of a normalised real server of the service ``key``: only NAT
    keeps a port of its own (what ipvsadm and the kernel do)."""
    forwarding = rs["forwarding"]
    port = rs["port"] if forwarding == "masquerade" else key.port
    tunnel = rs["tunnel"] if forwarding == "tunnel" else None
    if tunnel:
        return (rs["address"], port), DestAttrs(
            forwarding, rs["weight"], rs["upper_threshold"], rs["lower_threshold"], tunnel["type"], tunnel["port"], tunnel["checksum"]
        )
    if forwarding == "tunnel":
        return (rs["address"], port), DestAttrs(forwarding, rs["weight"], rs["upper_threshold"], rs["lower_threshold"], "ipip", None, None)
    return (rs["address"], port), DestAttrs(forwarding, rs["weight"], rs["upper_threshold"], rs["lower_threshold"], None, None, None)


def table_from_services(services):
    """Normalised services (:func:`._service_model.normalise_services`) -> (Table, {key: name}):
    one kernel service per ``virtual_servers`` member, every real server on each. No validation
    here: the model was validated once, by the one validator."""
    table = Table()
    names = {}
    for svc in services:
        members = svc["virtual_servers"]
        for i, member in enumerate(members):
            key = service_key(member)
            table.services[key] = _service_attrs(svc, member["family"])
            table.dests[key] = dict(dest_entry(key, rs) for rs in svc["real_servers"])
            names[key] = svc["name"] if len(members) == 1 else "%s/%d" % (svc["name"], i)
    return table, names


# ---------------------------------------------------------------------------------- diff & render


class Plan:
    """The difference between two tables, as the operations that turn ``current`` into ``desired``.

    ``add_lines`` are the canonical lines (:func:`save_lines`) of services that are wholly new
    (not in the kernel at all): valid ``ipvsadm -R`` input as they are, so they are applied
    without being parsed; :meth:`added_table` parses them when a report or a diff needs them."""

    __slots__ = ("_added", "add_dests", "add_lines", "add_services", "del_dests", "del_services", "edit_dests", "edit_services")

    def __init__(self):
        self.edit_services = []  # (key, before, after)
        self.edit_dests = []  # (key, dkey, before, after)
        self.del_dests = []  # (key, dkey, before)
        self.del_services = []  # (key, before)
        self.add_services = []  # (key, after)
        self.add_dests = []  # (key, dkey, after)
        self.add_lines = []  # canonical -A/-a lines of new services
        self._added = None

    def __bool__(self):
        return bool(
            self.edit_services or self.edit_dests or self.del_dests or self.del_services or self.add_services or self.add_dests or self.add_lines
        )

    def __len__(self):
        return sum(len(part) for part in (self.edit_services, self.edit_dests, self.del_dests, self.del_services,
                                          self.add_services, self.add_dests, self.add_lines))

    def added_table(self):
        """The services of ``add_lines`` as a Table (parsed once, when asked)."""
        if self._added is None:
            self._added = parse_save("\n".join(self.add_lines))
        return self._added

    def expanded(self):
        """This plan with ``add_lines`` turned into add_services/add_dests entries."""
        if not self.add_lines:
            return self
        plan = Plan()
        for attr in ("edit_services", "edit_dests", "del_dests", "del_services", "add_services", "add_dests"):
            setattr(plan, attr, list(getattr(self, attr)))
        added = self.added_table()
        for key, attrs in added.services.items():
            plan.add_services.append((key, attrs))
            plan.add_dests.extend((key, dkey, dattrs) for dkey, dattrs in added.dests[key].items())
        return plan


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
        if attrs.netmask not in (S.DEFAULT_NETMASK_V4, S.DEFAULT_NETMASK_V6):
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
    lines.extend(plan.add_lines)
    return lines


def render_table(table):
    """The whole table as ``ipvsadm -R`` lines (-A then its -a lines)."""
    lines = []
    for key, attrs in table.services.items():
        lines.append("-A " + service_args(key, attrs))
        args = key.args()
        lines.extend("-a " + dest_args(key, dkey, dattrs, args) for dkey, dattrs in table.dests.get(key, {}).items())
    return lines


def save_service_line(key, attrs):
    """A service as ``ipvsadm -Sn`` prints it (the canonical form the modules compare)."""
    line = "-A %s -s %s" % (key.args(), attrs.scheduler)
    if attrs.persistent:
        line += " -p %d" % attrs.persistent
        if attrs.netmask not in (S.DEFAULT_NETMASK_V4, S.DEFAULT_NETMASK_V6):
            line += " -M %s" % attrs.netmask
    if attrs.persistence_engine:
        line += " --pe %s" % attrs.persistence_engine
    if attrs.one_packet:
        line += " -o"
    if attrs.sched_flags:
        line += " -b " + ",".join(sched_flag_names(attrs.sched_flags, attrs.scheduler))
    return line


def save_dest_line(service, dkey, attrs):
    """A destination as ``ipvsadm -Sn`` prints it (no thresholds: -Sn has none); ``service`` is
    the service part (``key.args()``)."""
    line = "-a %s -r %s %s -w %d" % (service, hostport(dkey[0], dkey[1]), _FWD_FLAG[attrs.forwarding], attrs.weight)
    if attrs.tunnel_type:
        line += " --tun-type " + attrs.tunnel_type
        if attrs.tunnel_port:
            line += " --tun-port %d" % attrs.tunnel_port
        if attrs.tunnel_checksum:
            line += " " + _CSUM_FLAG[attrs.tunnel_checksum]
    return line


def save_lines(table):
    """The whole table as the lines ``ipvsadm -Sn`` prints for it (in the table's order)."""
    lines = []
    add = lines.append
    for key, attrs in table.services.items():
        add(save_service_line(key, attrs))
        service = key.args()
        for dkey, dattrs in table.dests.get(key, {}).items():
            add(save_dest_line(service, dkey, dattrs))
    return lines


def threshold_lines(table):
    """``-a SERVICE -r DEST -g|-m|-i -x U -y L`` for every destination with a threshold (what -Sn lacks)."""
    lines = []
    for key, dests in table.dests.items():
        service = None
        for dkey, attrs in dests.items():
            if attrs.upper_threshold or attrs.lower_threshold:
                service = service or key.args()
                lines.append("-a %s -r %s %s -x %d -y %d" % (service, hostport(dkey[0], dkey[1]), _FWD_FLAG[attrs.forwarding],
                                                             attrs.upper_threshold, attrs.lower_threshold))
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
    if plan.add_lines:
        added = plan.added_table()
        new.services.update(added.services)
        new.dests.update(added.dests)
    return new


def _changes(before, after):
    return {field: [b, a] for field, b, a in zip(before._fields, before, after) if b != a}


def plan_report(plan, names=None, limit=None):
    """``added``, ``modified``, ``removed``: lists of {service, name?, destination?, changes?}
    (not ``changed``: Ansible reserves that key for its boolean), each cut to ``limit`` entries
    when given (only those are built)."""
    names = names or {}
    if plan.add_lines:
        # the lines of new services are parsed for the report only as far as it goes
        part = Plan()
        for attr in ("edit_services", "edit_dests", "del_dests", "del_services", "add_services", "add_dests"):
            setattr(part, attr, getattr(plan, attr))
        part.add_lines = plan.add_lines if limit is None else plan.add_lines[:limit]
        plan = part.expanded()
    if limit is not None:
        cut = Plan()
        for attr in ("edit_services", "edit_dests", "del_dests", "del_services", "add_services", "add_dests"):
            setattr(cut, attr, getattr(plan, attr)[:limit])
        plan = _cut_report(cut, limit)

    def entry(key, dkey=None, before=None, after=None):
        item = {"service": str(key)}
        name = names.get(key)
        if name:
            item["name"] = name
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
    plan = plan.expanded()
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
            addresses.add(_scope_address(param, item))
    return addresses, marks


def _fwmark_item(param, item):
    text = str(item).strip()[7:]  # after "fwmark:"
    if not text.isdigit() or not 1 <= int(text) <= S.MAX_FWMARK:
        raise _bad(param, item, "must be an address or fwmark:N with N from 1 to %d" % S.MAX_FWMARK)
    return int(text)


def _scope_address(param, item):
    try:
        return S.canonical_address(str(item).strip(), param)[0]
    except S.SchemaError:
        raise _bad(param, item, "must be an address or fwmark:N") from None
