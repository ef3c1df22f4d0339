# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The director's VRRP tracking and tuning variables: validated and normalised on the controller.

One table per kind of entry (vrrp_script, vrrp_track_process, track_file) and one for the
gratuitous ARP/NA tuning. The limits are keepalived's own, measured with ``keepalived -t``
(2.2.7, Debian 12, the lab's director): a value keepalived would ignore or clamp ("Ignoring...",
"setting to 1") is refused here, with the variable's full path and the value.
"""

from __future__ import annotations

import ipaddress
import re

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_USER = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}(?: [a-z_][a-z0-9_.-]{0,31})?$")
_PATH = re.compile(r"^/[^\s\"'{}#!;]*$")
# a command line keepalived takes as one unquoted/quoted string: no double quote, no newline
_COMMAND = re.compile(r'^[^"\n\r{}#]+$')
# vrrp_track_process: the process name (/proc/PID/comm, or the full command line with full_command)
_PROCESS = re.compile(r'^[^"\s{}#]+$')
_PARAMETER = re.compile(r'^[^"\n\r{}#]+$')
UINT = 4294967295


class VrrpError(ValueError):
    """Every problem found, one message each."""

    def __init__(self, errors):
        super().__init__("; ".join(errors))
        self.errors = errors


def _int(lo, hi):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int):
            return "is not an integer"
        if not lo <= value <= hi:
            return "is out of range %d-%d" % (lo, hi)
        return None
    return check


def _seconds(lo, hi):
    """keepalived's decimal seconds (resolution microseconds); rendered with decimal()."""
    def seconds(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "is not a number"
        if not lo <= value <= hi:
            return "is out of range %s-%s" % (decimal(lo), decimal(hi))
        if abs(round(value * 1e6) - value * 1e6) > 1e-3:
            return "has more than 6 decimal places (keepalived's resolution is a microsecond)"
        return None
    seconds.rendered = decimal
    return seconds


def decimal(value):
    """Seconds as keepalived reads them: 0.000001, never 1e-06."""
    return ("%.6f" % value).rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _bool(value):
    return None if isinstance(value, bool) else "is not a boolean"


def _match(pattern, what):
    def check(value):
        if not isinstance(value, str) or not pattern.match(value):
            return "is not %s" % what
        return None
    return check


def _choice(*choices):
    def check(value):
        return None if value in choices else "is not one of %s" % ", ".join(choices)
    return check


def _strings(pattern, what):
    def check(value):
        if not isinstance(value, list) or not all(isinstance(v, str) and pattern.match(v) for v in value):
            return "is not a list of %s" % what
        return None
    return check


# key: (check, default); a default of None leaves the keyword out (keepalived's own default)
SCRIPT = {
    "name": (_match(_NAME, "a name of 1-64 letters, digits, _ . -"), ...),
    "script": (_match(_COMMAND, "a command line without double quotes, braces or #"), ...),
    "interval": (_int(1, 4294), 2),
    "timeout": (_int(1, 4294), None),
    "weight": (_int(-253, 253), None),
    "reverse": (_bool, False),
    "fall": (_int(1, 2147483647), None),
    "rise": (_int(1, 2147483647), None),
    "user": (_match(_USER, "a user name, optionally followed by a space and a group name"), None),
    "init_fail": (_bool, False),
}
PROCESS = {
    "name": (_match(_NAME, "a name of 1-64 letters, digits, _ . -"), ...),
    "process": (_match(_PROCESS, "a process name without spaces, double quotes, braces or #"), ...),
    "parameters": (_strings(_PARAMETER, "parameters without double quotes, braces or #"), []),
    "param_match": (_choice("exact", "initial", "partial"), "exact"),
    "weight": (_int(-254, 254), 0),
    "reverse": (_bool, False),
    "quorum": (_int(1, 65535), 1),
    "quorum_max": (_int(0, 65535), None),
    "delay": (_seconds(0.000001, 3600), None),
    "fork_delay": (_seconds(0.000001, 3600), None),
    "terminate_delay": (_seconds(0.000001, 3600), None),
    "full_command": (_bool, False),
}
FILE = {
    "name": (_match(_NAME, "a name of 1-64 letters, digits, _ . -"), ...),
    "file": (_match(_PATH, "an absolute path without spaces, quotes, braces, # ! or ;"), ...),
    "weight": (_int(-254, 254), 0),
    "reverse": (_bool, False),
    "init": (_int(-2147483647, 2147483647), 0),
}
# global_defs vrrp_garp_<key> (gna_interval: vrrp_gna_interval)
GARP = {
    "master_delay": (_int(0, 4294), None),
    "master_repeat": (_int(1, UINT), None),
    "master_refresh": (_int(0, UINT), None),
    "master_refresh_repeat": (_int(1, UINT), None),
    "lower_prio_delay": (_int(0, 4294), None),
    "lower_prio_repeat": (_int(0, UINT), None),
    "interval": (_seconds(0.000001, 4294.967295), None),
    "gna_interval": (_seconds(0.000001, 4294.967295), None),
}
GARP_KEYWORDS = {key: ("vrrp_gna_interval" if key == "gna_interval" else "vrrp_garp_" + key) for key in GARP}
# global_defs lvs_sync_daemon <interface> <instance> id <id> [maxlen] [port] [ttl] [group]
SYNC_DAEMON = {
    "director_lvs_sync_daemon_maxlen": ("maxlen", _int(1, 65507)),
    "director_lvs_sync_daemon_port": ("port", _int(1, 65535)),
    "director_lvs_sync_daemon_ttl": ("ttl", _int(1, 255)),
}
# the names of the file checks' track_file blocks (roles/director/templates/keepalived.conf.j2)
RESERVED_FILE_PREFIX = "lvs_file_"


def _shown(value):
    return repr(value) if isinstance(value, str) else str(value)


def _entry(path, entry, table, errors):
    if not isinstance(entry, dict):
        errors.append("%s: %s is not a dict" % (path, _shown(entry)))
        return None
    out = {}
    for key in sorted(set(entry) - set(table), key=str):
        errors.append("%s.%s: unknown key (known: %s)" % (path, key, ", ".join(table)))
    for key, (check, default) in table.items():
        if key not in entry or entry[key] is None:
            if default is ...:
                errors.append("%s.%s: required" % (path, key))
            out[key] = default if default is not ... else None
            continue
        problem = check(entry[key])
        if problem:
            errors.append("%s.%s: %s %s" % (path, key, _shown(entry[key]), problem))
        render = getattr(check, "rendered", None)
        out[key] = render(entry[key]) if render and not problem else entry[key]
    return out


def _entries(root, value, table, errors):
    if not isinstance(value, list):
        errors.append("%s: %s is not a list" % (root, _shown(value)))
        return []
    out, seen = [], {}
    for index, entry in enumerate(value):
        path = "%s[%d]" % (root, index)
        item = _entry(path, entry, table, errors)
        if item is None:
            continue
        name = item.get("name")
        if isinstance(name, str):
            if name in seen:
                errors.append("%s.name: %r is already the name of %s[%d]" % (path, name, root, seen[name]))
            seen.setdefault(name, index)
        out.append(item)
    return out


def vrrp_tracking(settings):
    """Normalise the tracking and tuning variables or raise VrrpError naming every bad one.

    ``settings`` maps the role's variable names (director_vrrp_track_scripts, ..._track_processes,
    ..._track_files, ..._garp, ..._version, director_notify_fifo, director_notify_fifo_script) to
    their values, and ``authentication`` to whether a VRRP password is set (never the password).
    Returns scripts, processes, files (entries with every key, defaults filled in), garp (a list of [keyword, value]), version, notify_fifo,
    notify_fifo_script.
    """
    errors = []
    scripts = _entries("director_vrrp_track_scripts", settings.get("director_vrrp_track_scripts", []), SCRIPT, errors)
    processes = _entries("director_vrrp_track_processes", settings.get("director_vrrp_track_processes", []), PROCESS, errors)
    files = _entries("director_vrrp_track_files", settings.get("director_vrrp_track_files", []), FILE, errors)
    for index, item in enumerate(processes):
        path = "director_vrrp_track_processes[%d]" % index
        quorum, quorum_max = item["quorum"], item["quorum_max"]
        if isinstance(quorum, int) and isinstance(quorum_max, int) and 0 < quorum_max < quorum:
            errors.append("%s.quorum_max: %d is less than quorum %d (0 means: fail while the process runs)" % (path, quorum_max, quorum))
        if item["param_match"] != "exact" and not item["parameters"]:
            errors.append("%s.param_match: %r needs parameters" % (path, item["param_match"]))
        if item["delay"] is not None and (item["fork_delay"] is not None or item["terminate_delay"] is not None):
            errors.append("%s.delay: sets both fork_delay and terminate_delay; give delay or those two" % path)
    for index, item in enumerate(files):
        if isinstance(item.get("name"), str) and item["name"].startswith(RESERVED_FILE_PREFIX):
            errors.append("director_vrrp_track_files[%d].name: %r starts with %s, which the file checks of the service model use"
                          % (index, item["name"], RESERVED_FILE_PREFIX))
    paths = {}
    for index, item in enumerate(files):
        if isinstance(item.get("file"), str):
            if item["file"] in paths:
                errors.append("director_vrrp_track_files[%d].file: %r is already tracked by director_vrrp_track_files[%d]"
                              % (index, item["file"], paths[item["file"]]))
            paths.setdefault(item["file"], index)

    garp_in = settings.get("director_vrrp_garp", {})
    garp = []
    if not isinstance(garp_in, dict):
        errors.append("director_vrrp_garp: %s is not a dict" % _shown(garp_in))
    else:
        normal = _entry("director_vrrp_garp", garp_in, GARP, errors) or {}
        garp = [[GARP_KEYWORDS[key], normal[key]] for key in GARP if normal.get(key) is not None]

    version = settings.get("director_vrrp_version", 2)
    if version not in (2, 3) or isinstance(version, bool):
        errors.append("director_vrrp_version: %s is not 2 or 3" % _shown(version))
    elif version == 3 and settings.get("authentication"):
        errors.append("director_vrrp_auth_pass: VRRP version 3 has no authentication (RFC 5798); "
                      "leave it empty with director_vrrp_version 3 (the value is not shown)")

    fifo = settings.get("director_notify_fifo", "")
    if fifo and (not isinstance(fifo, str) or not _PATH.match(fifo)):
        errors.append("director_notify_fifo: %s is not an absolute path without spaces, quotes, braces, # ! or ;" % _shown(fifo))
    fifo_script = settings.get("director_notify_fifo_script", "")
    if fifo_script and (not isinstance(fifo_script, str) or not _COMMAND.match(fifo_script)):
        errors.append("director_notify_fifo_script: %s is not a command line without double quotes, braces or #" % _shown(fifo_script))
    if fifo_script and not fifo:
        errors.append("director_notify_fifo_script: %r reads the FIFO director_notify_fifo, which is empty" % fifo_script)

    sync_options = _sync_daemon(settings, errors)

    if errors:
        raise VrrpError(errors)
    return {
        "scripts": scripts,
        "processes": processes,
        "files": files,
        "garp": garp,
        "version": version,
        "notify_fifo": fifo or "",
        "notify_fifo_script": fifo_script or "",
        "sync_daemon": sync_options,
    }


def _sync_daemon(settings, errors):
    """The options of lvs_sync_daemon after its id, in keepalived's order (a string, empty for none)."""
    words = []
    instance = settings.get("director_lvs_sync_daemon_instance") or ""
    instances = settings.get("instances") or []
    if instance and instance not in instances:
        errors.append("director_lvs_sync_daemon_instance: %s is not one of the VRRP instances (%s)" % (_shown(instance), ", ".join(instances)))
    for name, (word, check) in SYNC_DAEMON.items():
        value = settings.get(name)
        if value is None:
            continue
        problem = check(value)
        if problem:
            errors.append("%s: %s %s" % (name, _shown(value), problem))
        else:
            words.append("%s %d" % (word, value))
    group = settings.get("director_lvs_sync_daemon_group") or ""
    if group:
        try:
            multicast = ipaddress.ip_address(group).is_multicast
        except ValueError:
            multicast = False
        if not multicast:
            errors.append("director_lvs_sync_daemon_group: %s is not a multicast address (the default is 224.0.0.81)" % _shown(group))
        else:
            words.append("group %s" % group)
    return " ".join(words)
