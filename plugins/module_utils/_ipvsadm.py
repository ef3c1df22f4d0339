# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ipvsadm backend of the IPVS modules, and the modules' read -> decide -> apply logic.

:class:`IPVSAdm` is the only place that runs ipvsadm (through the one
:class:`~ansible_collections.lvs.cluster.plugins.module_utils._runner.CommandRunner`): one
``ipvsadm -Sn`` (+ ``-Ln --thresholds``) read, one ``ipvsadm -R`` write. The ``run_*``
functions are the bodies of the four modules; every write is behind ``not module.check_mode``
in :meth:`IPVSAdm.apply`.
"""

from __future__ import annotations

import base64
import gc
import os
import time
import zlib
from contextlib import contextmanager

from ansible.module_utils.common.validation import check_type_list

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs
from ansible_collections.lvs.cluster.plugins.module_utils import _schema as S
from ansible_collections.lvs.cluster.plugins.module_utils._runner import CommandRunner, ModuleError
from ansible_collections.lvs.cluster.plugins.module_utils._service_model import normalise_service, normalise_services

PROC_IP_VS = "/proc/net/ip_vs"
SCHEDULER_MODULE_PREFIX = "ip_vs_"
PREFIX_LEN = len(SCHEDULER_MODULE_PREFIX)
# Exists while some destination may have a threshold that lvs.cluster set: written when a module
# applies a non-zero -x/-y, removed when a full read finds none. Under /run it lives exactly as
# long as the kernel's IPVS table (both are gone after a reboot).
THRESHOLDS_MARKER = "/run/lvs-cluster/ipvs-thresholds"
DEFAULT_REPORT_LIMIT = 1000


def _input_error(exc):
    return ModuleError(exc.msg, param=exc.param, value=exc.value) if exc.param else ModuleError(exc.msg)


class IPVSAdm:
    """Reads and writes the kernel's IPVS table with ipvsadm."""

    def __init__(self, module, runner=None, *, proc_ip_vs=None, modules_dir="/lib/modules", sys_module="/sys/module", thresholds_marker=None):
        self.module = module
        self.runner = runner or CommandRunner(module)
        self.proc_ip_vs = proc_ip_vs or PROC_IP_VS
        self.modules_dir = modules_dir
        self.sys_module = sys_module
        self.thresholds_marker = thresholds_marker or THRESHOLDS_MARKER
        self.loaded_module = False

    # -------------------------------------------------------------------------------- kernel
    def kernel_loaded(self):
        return os.path.exists(self.proc_ip_vs)

    def ensure_kernel(self, load_module):
        """True when the IPVS table can be read. Loads ip_vs when allowed (not in check mode:
        there the table is treated as empty and the load is reported as part of the change)."""
        if self.kernel_loaded():
            return True
        if not load_module:
            raise ModuleError(
                "the ip_vs kernel module is not loaded (%s does not exist): run 'modprobe ip_vs' or set load_module=true" % self.proc_ip_vs,
            )
        if self.module.check_mode:
            self.loaded_module = True
            return False
        self.runner.run("modprobe", ["ip_vs"])
        self.loaded_module = True
        if not self.kernel_loaded():
            raise ModuleError("modprobe ip_vs succeeded but %s does not exist: this kernel has no IPVS" % self.proc_ip_vs)
        return True

    def kernel_schedulers(self):
        """Scheduler names this kernel offers (built in, loaded or installed as modules), or None
        when that cannot be told (no modules directory, e.g. in a container)."""
        found = set()
        known = False
        release = os.uname()[2]
        for name in ("modules.dep", "modules.builtin"):
            path = os.path.join(self.modules_dir, release, name)
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except OSError:
                continue
            known = True
            for line in text.splitlines():
                base = os.path.basename(line.split(":", 1)[0])
                if base.startswith(SCHEDULER_MODULE_PREFIX):
                    found.add(base[PREFIX_LEN:].split(".", 1)[0])
        try:
            loaded = os.listdir(self.sys_module)
        except OSError:
            loaded = []
        for name in loaded:
            if name.startswith(SCHEDULER_MODULE_PREFIX):
                found.add(name[PREFIX_LEN:])
        if not known:
            return None
        return {name for name in found if name in _ipvs.SCHEDULERS}

    def check_schedulers(self, used):
        """Fail naming the scheduler when the kernel does not offer it (before any change).
        Schedulers already loaded are fine without reading modules.dep (a big file)."""
        used = set(used)
        if all(os.path.isdir(os.path.join(self.sys_module, SCHEDULER_MODULE_PREFIX + name)) for name in used):
            return
        available = self.kernel_schedulers()
        if available is None:
            return
        missing = sorted(set(used) - available)
        if missing:
            raise ModuleError(
                "scheduler: %r is not offered by this kernel (%s); available: %s" % (missing[0], os.uname()[2], " ".join(sorted(available))),
                param="scheduler",
                value=missing[0],
            )

    # --------------------------------------------------------------------------------- read
    def save(self):
        return self.runner.run("ipvsadm", ["-Sn"]).stdout

    def listing(self, *options, service=None):
        args = ["-Ln", *options]
        if service is not None:
            args.extend(service.argv())
        return self.runner.run("ipvsadm", args).stdout

    def read(self, thresholds=True, loaded=True):
        """The current table (an empty one when ip_vs is not loaded)."""
        if not loaded:
            return _ipvs.Table()
        try:
            table = _ipvs.parse_save(self.save())
            if thresholds and any(table.dests.values()):
                _ipvs.merge_thresholds(table, self.listing("--thresholds"))
        except _ipvs.IPVSError as exc:
            raise ModuleError("cannot parse the output of ipvsadm: %s" % exc.msg) from exc
        return table

    def thresholds_marked(self):
        return os.path.exists(self.thresholds_marker)

    def mark_thresholds(self, present):
        """Record (or forget) that destinations may carry thresholds set by lvs.cluster."""
        if self.module.check_mode or present == self.thresholds_marked():
            return
        try:
            if present:
                os.makedirs(os.path.dirname(self.thresholds_marker), exist_ok=True)
                with open(self.thresholds_marker, "w", encoding="utf-8") as handle:
                    handle.write("IPVS destinations with -x/-y thresholds set by lvs.cluster (see ipvs_table read_thresholds)\n")
            else:
                os.unlink(self.thresholds_marker)
        except OSError as exc:
            self.module.warn("cannot update %s (%s): a later ipvs_table run with read_thresholds=auto may miss thresholds" % (self.thresholds_marker, exc))

    def connections(self, service=None):
        return _ipvs.connection_counts(self.listing(service=service))

    # -------------------------------------------------------------------------------- write
    def restore(self, lines):
        """Feed ``lines`` to ``ipvsadm -R``; the CommandResult (rc not checked)."""
        return self.runner.run("ipvsadm", ["-R"], data="\n".join(lines) + "\n", ok_rc=None)

    def apply(self, plan, names=None):
        """The one write: render ``plan`` and run it with one ``ipvsadm -R`` (not in check
        mode). On failure re-read and say what was applied and what was not."""
        lines = _ipvs.render_plan(plan)
        if not lines or self.module.check_mode:
            return lines
        if _sets_thresholds(plan):
            self.mark_thresholds(True)  # before the write: a half-applied -R may have set some
        result = self.restore(lines)
        # ipvsadm -R goes on after a failing line and returns the status of the last one only
        if result.rc != 0 or (result.stderr or "").strip():
            table = self.read()
            applied, pending = _ipvs.split_applied(plan, table)
            done = _count(applied)
            raise ModuleError(
                "ipvsadm -R failed (rc=%s) after applying %d of %d changes: %s"
                % (result.rc, done, len(plan), (result.stderr or result.stdout or "").strip()),
                changed=done > 0,
                rc=result.rc,
                stdout=result.stdout,
                stderr=result.stderr,
                commands=lines,
                applied=applied,
                not_applied=pending,
            )
        return lines


def _count(report):
    return sum(len(v) for v in report.values())


def _has_thresholds(attrs):
    return bool(attrs.upper_threshold or attrs.lower_threshold)


def _sets_thresholds(plan):
    return any(_has_thresholds(item[-1]) for item in plan.add_dests) or any(_has_thresholds(item[-1]) for item in plan.edit_dests)


def _kept_thresholds(current, desired, plan):
    """Do destinations that ``desired`` does not list keep a threshold after ``plan``?"""
    deleted = {(item[0], item[1]) for item in plan.del_dests}
    gone = {item[0] for item in plan.del_services}
    for key, dests in current.dests.items():
        if key in gone:
            continue
        listed = desired.dests.get(key, {})
        for dkey, attrs in dests.items():
            if dkey not in listed and (key, dkey) not in deleted and _has_thresholds(attrs):
                return True
    return False


def _table_has_thresholds(table):
    # _has_thresholds inlined: 40,000 calls for a 10,000-service table
    return any(attrs.upper_threshold or attrs.lower_threshold for dests in table.dests.values() for attrs in dests.values())


@contextmanager
def _gc_paused():
    """Python's cyclic garbage collector paused for the block. Building and comparing big tables
    allocates hundreds of thousands of objects, and each full collection that this triggers walks
    every live object, the module's arguments included: with 10,000 services x 4 real servers,
    pausing it took a fifth off an ipvs_table no-op run (two full collections fewer). Tables hold
    no reference cycles, so nothing is left behind; the collector is back (if it was on) when the
    block ends."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# ------------------------------------------------------------------------------------ modules


def _touched(plan):
    keys = []
    seen = set()
    for group in (plan.edit_services, plan.edit_dests, plan.del_dests, plan.del_services, plan.add_services, plan.add_dests):
        for item in group:
            if item[0] not in seen:
                seen.add(item[0])
                keys.append(item[0])
    return keys


def _view(table, keys, dests=True):
    """The services ``keys`` of ``table`` as their ``ipvsadm -Sn`` lines (destinations with a
    threshold get ``-x``/``-y``), one text: what diff mode shows (the callbacks print text
    before/after as a unified diff; lists would break them)."""
    lines = []
    for key in keys:
        if key in table.services:
            lines.append(_ipvs.save_service_line(key, table.services[key]))
            if dests:
                service = key.args()
                for dkey, attrs in table.dests.get(key, {}).items():
                    line = _ipvs.save_dest_line(service, dkey, attrs)
                    if attrs.upper_threshold or attrs.lower_threshold:
                        line += " -x %d -y %d" % (attrs.upper_threshold, attrs.lower_threshold)
                    lines.append(line)
    return "".join(line + "\n" for line in lines)


def _diff(before, after, what):
    return {"before": before, "after": after, "before_header": "%s (before)" % what, "after_header": "%s (after)" % what}


def _finish(module, backend, current, plan, *, names=None, extra=None, report_limit=None, dests=True):
    """The module result. With ``report_limit`` (ipvs_table) the ``added``/``modified``/``removed``/
    ``commands`` lists hold at most that many entries each, ``counts`` has the totals and
    ``truncated`` says whether anything was cut (0: no limit)."""
    commands = backend.apply(plan, names)
    report = _ipvs.plan_report(plan, names, limit=report_limit or None)
    result = {"changed": bool(plan) or backend.loaded_module, "commands": commands}
    if report_limit is not None:
        counts = {name: len(getattr(plan, attr)) + len(getattr(plan, attr2)) for name, attr, attr2 in _REPORT_GROUPS}
        counts["added"] += len(plan.add_lines)
        counts["commands"] = len(commands)
        result["counts"] = counts
        result["truncated"] = bool(report_limit) and any(n > report_limit for n in counts.values())
        if report_limit:
            result["commands"] = commands[:report_limit]
    result.update(report)
    if backend.loaded_module:
        result["loaded_module"] = "ip_vs"
    if module._diff:
        keys = _touched(plan)
        after = _ipvs.apply_plan(current, plan)
        new = "".join(line + "\n" for line in plan.add_lines)  # canonical already
        result["diff"] = _diff(_view(current, keys, dests), _view(after, keys, dests) + new, "IPVS services that change")
    if extra:
        result.update(extra)
    return result


_REPORT_GROUPS = (("added", "add_services", "add_dests"), ("modified", "edit_services", "edit_dests"), ("removed", "del_dests", "del_services"))


SERVICE_KEY_SPEC = {
    "protocol": {"type": "str", "default": "tcp", "choices": list(S.PROTOCOLS)},
    "address": {"type": "str"},
    "port": {"type": "int"},
    "fwmark": {"type": "int"},
    "family": {"type": "str", "choices": list(S.FAMILIES)},
}
SERVICE_KEY_RULES = {
    "mutually_exclusive": [["fwmark", "address"], ["fwmark", "port"]],
    "required_one_of": [["address", "fwmark"]],
    "required_together": [["address", "port"]],
}


def _param_error(exc, names):
    """A model error from a module's own parameters, named by the parameter: ``names`` maps
    the model's field paths (``persistence.timeout``) to the module's (``persistent``)."""
    path = exc.path.lstrip(".")
    for field, param in names:
        if path == field or path.startswith(field + "."):
            rest = len(field)
            path = param + path[rest:]
            break
    return ModuleError("%s: %s" % (path, exc.reason), param=path, value=exc.value)


_SERVICE_PARAMS = (("persistence.timeout", "persistent"), ("persistence.netmask", "netmask"), ("persistence", "persistent"))
_DEST_PARAMS = (
    ("real_servers[0].address", "server_address"),
    ("real_servers[0].port", "server_port"),
    ("real_servers[0].tunnel.type", "tunnel_type"),
    ("real_servers[0].tunnel.port", "tunnel_port"),
    ("real_servers[0].tunnel.checksum", "tunnel_checksum"),
    ("real_servers[0].tunnel", "tunnel_type"),
    ("real_servers[0]", ""),
    ("persistence", "port"),
)


def unbracket(value):
    """A module parameter's ``[2001:db8::1]`` as the address inside (the modules take IPv6 with or
    without brackets, as ipvsadm writes it); anything else, ``[192.0.2.1]`` included, unchanged for
    the validator to judge and name."""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] == "[" and text[-1:] == "]":
            try:
                if S.canonical_address(text[1:-1])[1] == "ipv6":
                    return text[1:-1]
            except S.SchemaError:
                pass
    return value


def _model_service(p, persistent, real_servers=(), names=_SERVICE_PARAMS, **fields):
    """One service of the model from a module's parameters, through the one validator; its
    kernel key, attributes and destinations."""
    svc = {key: p[key] for key in ("protocol", "address", "port", "fwmark", "family") if p.get(key) is not None}
    if "address" in svc:
        svc["address"] = unbracket(svc["address"])
    svc.update((k, v) for k, v in fields.items() if v is not None)
    if persistent:
        svc["persistence"] = {"timeout": persistent, "netmask": p.get("netmask")}
    elif p.get("netmask") is not None:
        raise ModuleError("netmask: %r needs a persistent service (persistent > 0)" % (p["netmask"],), param="netmask", value=p["netmask"])
    svc.update(name=fields.get("name") or "service", check={"type": "none"}, real_servers=list(real_servers))
    try:
        normalised = normalise_service(svc, path="")
    except S.SchemaError as exc:
        raise _param_error(exc, names) from None
    table, _names = _ipvs.table_from_services([normalised])
    key = next(iter(table.services))  # one service: no group in a module's parameters
    return key, table.services[key], table.dests[key]


def run_service(module):
    """lvs.cluster.ipvs_service: one virtual service, edited in place (-E)."""
    p = module.params
    backend = IPVSAdm(module)
    key, attrs, _dests = _model_service(
        p,
        p["persistent"],
        scheduler=p["scheduler"],
        sched_flags=p["sched_flags"],
        persistence_engine=p["persistence_engine"],
        one_packet=p["one_packet"],
    )
    if p["state"] == "absent":
        attrs = None
    if attrs is not None:
        backend.check_schedulers([attrs.scheduler])
        loaded = backend.ensure_kernel(p["load_module"])
    else:
        loaded = backend.kernel_loaded()
    current = backend.read(thresholds=False, loaded=loaded)
    plan = _ipvs.Plan()
    before = current.services.get(key)
    if attrs is None:
        if before is not None:
            plan.del_services.append((key, before))
    elif before is None:
        plan.add_services.append((key, attrs))
    elif before != attrs:
        plan.edit_services.append((key, before, attrs))
    result = _finish(module, backend, current, plan, dests=False)  # one service: diff without its destinations
    result["service"] = _ipvs.service_to_dict(key, attrs, None) if attrs is not None else None
    return result


def run_real_server(module):
    """lvs.cluster.ipvs_real_server: one destination of one service; drained; drain before absent."""
    p = module.params
    backend = IPVSAdm(module)
    state = p["state"]
    if state == "drained" and p["weight"] not in (None, 0):
        raise ModuleError("weight: %r cannot be combined with state=drained (drained means weight 0)" % p["weight"], param="weight", value=p["weight"])
    tunnel = {"type": p["tunnel_type"], "port": p["tunnel_port"], "checksum": p["tunnel_checksum"]}
    rs = {
        "address": unbracket(p["server_address"]),
        "port": p["server_port"],
        "forwarding": p["forwarding"],
        "weight": 0 if state == "drained" else p["weight"],
        "upper_threshold": p["upper_threshold"],
        "lower_threshold": p["lower_threshold"],
        "tunnel": {k: v for k, v in tunnel.items() if v is not None} or None,
    }
    # the service's own attributes are not this module's: persistence only lets port 0 through
    key, _attrs, dests = _model_service(p, S.MAX_PERSISTENCE_TIMEOUT, [{k: v for k, v in rs.items() if v is not None}], names=_DEST_PARAMS)
    ((dkey, attrs),) = dests.items()
    loaded = backend.kernel_loaded()
    if not loaded:
        raise ModuleError("the ip_vs kernel module is not loaded (%s does not exist): create the service with lvs.cluster.ipvs_service first" % PROC_IP_VS)
    current = backend.read(thresholds=False)
    if key not in current.services:
        if state == "absent":
            return _finish(module, backend, current, _ipvs.Plan())
        raise ModuleError("service %s does not exist: create it with lvs.cluster.ipvs_service first" % (key,), service=str(key))
    if current.dests[key]:
        # thresholds of this one service only
        _ipvs.merge_thresholds(current, backend.listing("--thresholds", service=key))
    before = current.dests[key].get(dkey)
    plan = _ipvs.Plan()
    extra = {}
    if state == "absent":
        if before is not None:
            if p["drain"] and not module.check_mode:
                extra["drain"] = _drain(module, backend, key, dkey, before, timeout=p["drain_timeout"])
            plan.del_dests.append((key, dkey, before))
    elif before is None:
        plan.add_dests.append((key, dkey, attrs))
    elif before != attrs:
        plan.edit_dests.append((key, dkey, before, attrs))
    result = _finish(module, backend, current, plan, extra=extra)
    if module._diff:
        result["diff"] = {
            "before": _ipvs.dest_to_dict(dkey, before, key.family) if before is not None else {},
            "after": _ipvs.dest_to_dict(dkey, attrs, key.family) if state != "absent" else {},
        }
    return result


def _drain(module, backend, key, dkey, before, *, timeout, interval=1.0):
    """Weight 0 now, then wait until the destination has no active connections (UDP: no
    connection entries at all) or ``timeout`` seconds passed (kube-proxy's graceful termination)."""
    if before.weight != 0:
        plan = _ipvs.Plan()
        plan.edit_dests.append((key, dkey, before, before._replace(weight=0)))
        backend.apply(plan)
    started = time.monotonic()
    while True:
        counts = backend.connections(service=key).get(key, {}).get(dkey, (0, 0))
        active = counts[0] + (counts[1] if key.protocol == "udp" else 0)
        waited = time.monotonic() - started
        if active == 0 or waited >= timeout:
            break
        time.sleep(min(interval, max(timeout - waited, 0.05)))
    info = {"waited": round(waited, 1), "active_connections": counts[0], "inactive_connections": counts[1], "timed_out": active != 0}
    if active:
        server = _ipvs.hostport(dkey[0], dkey[1], key.family)
        module.warn("drain of %s in %s timed out after %ss with %d connections left; removing it anyway" % (server, key, timeout, active))
    return info


def run_table(module):
    """lvs.cluster.ipvs_table: the desired table (or the part under ``scope``) in one read and one write."""
    with _gc_paused():
        return _run_table(module)


def scope_of(scope):
    """``ipvs_table``'s ``scope`` as the module's argument spec reads it (a list, or a string of
    comma-separated items: Ansible's own list rule), parsed; a bad item is a ModuleError naming
    scope and the item. The action plugin gets the raw task argument, the module the converted one:
    both come here."""
    try:
        items = check_type_list(scope)
    except TypeError:
        raise ModuleError("scope: %r is not a list of addresses and fwmark:N" % (scope,), param="scope", value=scope) from None
    try:
        return _ipvs.parse_scope(items)
    except _ipvs.IPVSError as exc:
        raise _input_error(exc) from None


def desired_table(services, hostvars=None, scope=None, root="services"):
    """The desired table of ``ipvs_table`` from model services, through the one validator:
    (canonical -Sn lines, threshold lines, {service part: name}, schedulers). Used by the action
    plugin on the controller and by the module when it gets ``services`` itself."""
    normalised = normalise_services(services, hostvars, root=root)
    table, names = _ipvs.table_from_services(normalised)
    if scope is not None:
        owned = scope_of(scope)
        for key in table.services:
            if not _ipvs.in_scope(key, owned):
                raise ModuleError("services: %s (%s) is outside scope %s" % (key, names.get(key) or "", scope), param="scope", value=scope)
    return (
        _ipvs.save_lines(table),
        _ipvs.threshold_lines(table),
        {str(key): name for key, name in names.items()},
        sorted({attrs.scheduler for attrs in table.services.values()}),
    )


# The first line of the text the action plugin sends (the module skips it). The text is a no_log
# parameter: AnsibleModule would otherwise log megabytes to the journal at every run; with the
# header, no output of the module can equal it, so no_log never masks one (a diff of an
# all-new table, say). Below the header: the lines, zlib-compressed and base64-encoded. AnsiballZ
# carries module arguments uncompressed, as a string literal in the wrapper's source, which the
# managed node's Python must transfer, compile and decode as JSON: for 10,000 services x 4 that
# was 2.3 MB; compressed it is about a tenth (bench/ipvs_table_bench.py measures the no-op).
DESIRED_HEADER = "# lvs.cluster.ipvs_table: desired table, canonical ipvsadm -Sn lines, zlib + base64"


def wire_text(lines):
    """``lines`` as the module's ``_desired``/``_thresholds`` text."""
    body = "".join(line + "\n" for line in lines).encode()
    return DESIRED_HEADER + "\n" + base64.b64encode(zlib.compress(body, 6)).decode("ascii")


def _from_wire(text):
    if not text:
        return []
    header, _sep, body = text.partition("\n")
    if header != DESIRED_HEADER:
        raise ModuleError("_desired/_thresholds: not the action plugin's text (internal parameters: do not set them)")
    try:
        return zlib.decompress(base64.b64decode(body, validate=True)).decode().splitlines()
    except (ValueError, zlib.error) as exc:
        raise ModuleError("_desired/_thresholds: not the action plugin's text (%s)" % exc) from None


_NAMED = ("added", "modified", "removed")


def name_reports(result, names):
    """Add the service names (``names``: {"tcp/192.0.2.10:80": "web"}) to the entries of the
    result's reports, where the module left them out (it gets no names: the action plugin keeps
    them on the controller, which has them)."""
    reports = [result] + [result[k] for k in ("applied", "not_applied") if isinstance(result.get(k), dict)]
    for report in reports:
        for key in _NAMED:
            entries = report.get(key)
            if not isinstance(entries, list):
                continue
            for i, entry in enumerate(entries):
                name = names.get(entry.get("service")) if isinstance(entry, dict) else None
                if name and "name" not in entry:
                    entries[i] = dict(service=entry["service"], name=name, **{k: v for k, v in entry.items() if k != "service"})
    return result


def _purge_owner(purge, scope):
    """diff_tables' purge_services: the services under ``scope``, when purging with one."""
    if not purge or scope is None:
        return None
    return lambda key: _ipvs.in_scope(key, scope)


def service_id(line):
    """The service part of an ipvsadm ``-A``/``-a`` line: ``-t 192.0.2.10:80``, ``-f 5 -6``."""
    rest = line[3:]
    end = rest.find(" ", rest.find(" ") + 1)
    if end < 0:
        return rest
    if rest.startswith("-f ") and rest.startswith(" -6", end):
        end += 3
    return rest[:end]


def _key_of(sid):
    return _ipvs._svc_key_from_tokens(sid.split(), 0)[0]


def _lines_of(lines, sids):
    """The lines of ``lines`` whose service part is in ``sids``."""
    if len(sids) <= 64:
        prefixes = tuple("%s %s " % (verb, sid) for sid in sids for verb in ("-A", "-a"))
        return [line for line in lines if line.startswith(prefixes) and service_id(line) in sids]
    return [line for line in lines if service_id(line) in sids]


def line_plan(current_lines, desired_lines, *, purge=False, scope=None):
    """The plan that turns the kernel's ``-Sn`` lines into the desired canonical lines.

    The common case, a re-run, is two set operations in C: every desired line is in the
    kernel's output (and, with purge, no extra line belongs to a desired service or the scope).
    Otherwise only the services whose lines differ are parsed and diffed; services that are not
    in the kernel at all are added with their canonical lines as they are (``Plan.add_lines``)."""
    current = set(current_lines)
    desired = set(desired_lines)
    involved = {service_id(line) for line in desired.difference(current)}
    if purge:
        extra = current.difference(desired)
        if extra:
            wanted = {service_id(line) for line in desired_lines if line[1] == "A"}
            for line in extra:
                sid = service_id(line)
                if sid in wanted or (scope is not None and _ipvs.in_scope(_key_of(sid), scope)):
                    involved.add(sid)
    plan = _ipvs.Plan()
    if not involved:
        return plan, _ipvs.Table()
    existing = {service_id(line) for line in current_lines if line[1] == "A"} & involved
    new = involved - existing
    if new:
        plan.add_lines = desired_lines if not current_lines else [line for line in desired_lines if service_id(line) in new]
    if not existing:
        return plan, _ipvs.Table()
    have = _ipvs.parse_save("\n".join(_lines_of(current_lines, existing)))
    want = _ipvs.parse_save("\n".join(_lines_of(desired_lines, existing)))
    diff = _ipvs.diff_tables(have, want, purge_services=_purge_owner(purge, scope), purge_dests=purge)
    diff.add_lines = plan.add_lines
    return diff, have


def _run_table(module):
    p = module.params
    backend = IPVSAdm(module)
    clock = _Clock()
    names = None
    if p["_desired"] is not None:  # from the action plugin: validated and rendered on the controller, which names the reports
        desired_lines = _from_wire(p["_desired"])
        threshold_lines = _from_wire(p["_thresholds"])
        schedulers = p["_schedulers"] or []
    else:
        try:
            desired_lines, threshold_lines, names, schedulers = desired_table(p["services"] or [], scope=p["scope"])
        except S.SchemaError as exc:
            raise ModuleError(str(exc), param=exc.path, value=exc.value) from None
    scope = scope_of(p["scope"]) if p["scope"] is not None else None
    backend.check_schedulers(schedulers)
    loaded = backend.ensure_kernel(p["load_module"])
    # ipvsadm -Sn does not show thresholds; the -Ln --thresholds listing costs as much as -Sn again.
    # auto: read it only when the desired table sets a threshold or lvs.cluster set one earlier
    # (the marker); thresholds set by other tools are then not seen (read_thresholds=always).
    wants_thresholds = bool(threshold_lines)
    full_read = p["read_thresholds"] == "always" or wants_thresholds or (loaded and backend.thresholds_marked())
    clock.lap("start")
    current_lines = backend.save().splitlines() if loaded else []
    clock.lap("read")
    if full_read:
        # thresholds are not in the lines: compare whole tables (the slow path, as before lines)
        current = _ipvs.parse_save("\n".join(current_lines))
        if any(current.dests.values()):
            _ipvs.merge_thresholds(current, backend.listing("--thresholds"))
        desired = _ipvs.parse_save("\n".join(desired_lines))
        _ipvs.merge_thresholds_lines(desired, threshold_lines)
        plan = _ipvs.diff_tables(current, desired, purge_services=_purge_owner(p["purge"], scope), purge_dests=p["purge"])
    else:
        plan, current = line_plan(current_lines, desired_lines, purge=p["purge"], scope=scope)
    clock.lap("compare")
    try:
        result = _finish(module, backend, current, plan, report_limit=p["report_limit"])
    except ModuleError as exc:
        if names:
            name_reports(exc.extra, names)
        raise
    if full_read and not module.check_mode:
        backend.mark_thresholds(wants_thresholds or _kept_thresholds(current, desired, plan))
    result["thresholds_read"] = full_read
    if names:
        name_reports(result, names)
    # never echo the table (megabytes for a big one) back to the controller
    result["invocation"] = {"module_args": {k: v for k, v in p.items() if not k.startswith("_") and k != "services"}}
    if names is not None:
        result["invocation"]["services_count"] = len(names)
    clock.lap("apply and report")
    if clock.laps:
        result["profile"] = clock.laps
    return result


class _Clock:
    """Seconds per step of a run, returned as ``profile`` when the module's environment has
    LVS_CLUSTER_PROFILE=1 (bench/ipvs_table_bench.py sets it; nothing else should)."""

    def __init__(self):
        self.on = os.environ.get("LVS_CLUSTER_PROFILE") == "1"
        self.laps = {}
        self.last = time.monotonic()

    def lap(self, name):
        if self.on:
            now = time.monotonic()
            self.laps[name] = round(now - self.last, 3)
            self.last = now


GATHER = ("services", "stats", "rates", "timeouts", "daemon", "connections")


def _numbers(cols, fields):
    out = {}
    for col, value in zip(cols, fields):
        try:
            out[col.lower()] = int(value)
        except ValueError:
            out[col.lower()] = value
    return out


def run_info(module):
    """lvs.cluster.ipvs_info: read-only view of the table and its counters."""
    gather = set(module.params["gather"])
    backend = IPVSAdm(module)
    result = {"changed": False, "ip_vs_loaded": backend.kernel_loaded()}
    if not result["ip_vs_loaded"]:
        module.warn("the ip_vs kernel module is not loaded (%s does not exist): the IPVS table is empty" % PROC_IP_VS)
        for name in gather:
            result[name] = {} if name in ("timeouts",) else []
        return result
    if gather & {"services", "stats", "rates", "connections"}:
        table = backend.read(thresholds=False)
        listing = backend.listing("--thresholds") if any(table.dests.values()) else ""
        if listing:
            _ipvs.merge_thresholds(table, listing)
        services = table.to_list()
        index = {}
        for key, item in zip(sorted(table.services, key=_ipvs._sort_key), services):
            index[key] = (item, {(d["address"], d["port"]): d for d in item["real_servers"]})
        if "connections" in gather:
            counts = _ipvs.connection_counts(listing) if listing else {}
            for key, (item, dests) in index.items():
                total = [0, 0]
                for dkey, dest in dests.items():
                    active, inactive = counts.get(key, {}).get(dkey, (0, 0))
                    dest["connections"] = {"active": active, "inactive": inactive}
                    total[0] += active
                    total[1] += inactive
                item["connections"] = {"active": total[0], "inactive": total[1]}
        for name, option in (("stats", "--stats"), ("rates", "--rate")):
            if name not in gather:
                continue
            svc_cols, dest_cols, data = _ipvs.parse_list(backend.listing(option, "--exact"))
            for key, entry in data.items():
                if key not in index:
                    continue
                item, dests = index[key]
                item[name] = _numbers(svc_cols, entry["fields"])
                for dkey, fields in entry["dests"].items():
                    if dkey in dests:
                        dests[dkey][name] = _numbers(dest_cols, fields)
        result["services"] = services
    if "timeouts" in gather:
        result["timeouts"] = parse_timeouts(backend.listing("--timeout"))
    if "daemon" in gather:
        result["daemon"] = parse_daemon(backend.listing("--daemon"))
    return result


def parse_timeouts(text):
    """'Timeout (tcp tcpfin udp): 900 120 300' -> {'tcp': 900, 'tcpfin': 120, 'udp': 300}."""
    for line in text.splitlines():
        if line.startswith("Timeout ("):
            names = line.split("(", 1)[1].split(")", 1)[0].split()
            values = line.split(":", 1)[1].split()
            return dict(zip(names, (int(v) for v in values)))
    raise ModuleError("unexpected output of ipvsadm -Ln --timeout: %r" % text)


def parse_daemon(text):
    """'master sync daemon (mcast=eth0, syncid=1, ...)' lines -> list of dicts."""
    daemons = []
    for raw in text.splitlines():
        line = raw.strip()
        if " sync daemon (" not in line:
            continue
        state, rest = line.split(" sync daemon (", 1)
        entry = {"state": state}
        for part in rest.rstrip(")").split(","):
            name, _sep, value = part.strip().partition("=")
            name = {"mcast": "mcast_interface", "group": "mcast_group", "port": "mcast_port", "ttl": "mcast_ttl", "maxlen": "sync_maxlen"}.get(name, name)
            entry[name] = int(value) if value.isdigit() else value
        daemons.append(entry)
    return daemons
