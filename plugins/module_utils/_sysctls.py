# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several kernel parameters at once: read /proc/sys, decide, write /proc/sys and one owned sysctl.d file
(lvs.cluster.sysctls). One module run for a whole set instead of one per key."""

from __future__ import annotations

import os
import re

from ansible_collections.lvs.cluster.plugins.module_utils._fileutil import read_text, remove_file, write_text_atomic
from ansible_collections.lvs.cluster.plugins.module_utils._runner import ModuleError

PROC_SYS = "/proc/sys"
HEADER = "# Managed by lvs.cluster.sysctls. Local edits are overwritten.\n"
# sysctl(8) names: dot-separated components; a component may hold a slash that stands for a dot
# of an interface name (net.ipv4.conf.eth0/100.rp_filter)
_NAME = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_/:@+-]+)+$")
_VALUE = re.compile(r"^[-0-9A-Za-z_.:/ \t]+$")


def proc_path(name, proc_root=PROC_SYS):
    """sysctl name -> /proc/sys path: dots separate directories, a slash in a component is a dot."""
    parts = [part.replace("/", ".") for part in name.split(".")]
    return os.path.join(proc_root, *parts)


def canonical_value(value):
    """The text sysctl compares: fields separated by one space (net.ipv4.tcp_rmem = 4096 131072 6291456)."""
    return " ".join(str(value).split())


def check_settings(settings):
    """{name: value} -> {name: canonical text}; ModuleError names the parameter, the key and the value."""
    out = {}
    for name, raw in settings.items():
        if not isinstance(name, str) or not _NAME.match(name) or ".." in name:
            raise ModuleError("settings: %r is not a sysctl name (dot-separated, like net.ipv4.ip_forward)" % (name,))
        value = int(raw) if isinstance(raw, bool) else raw
        if value is None or isinstance(value, (dict, list)):
            raise ModuleError("settings.%s: %r is not a sysctl value (a number or text)" % (name, value))
        text = canonical_value(value)
        if not text or not _VALUE.match(text):
            raise ModuleError("settings.%s: %r is not a sysctl value (a number or text)" % (name, value))
        out[name] = text
    return out


def read_runtime(names, proc_root=PROC_SYS):
    """{name: canonical runtime text or None when the kernel has no such parameter (now)}."""
    values = {}
    for name in names:
        text = read_text(proc_path(name, proc_root))
        values[name] = None if text is None else canonical_value(text)
    return values


def assignments(text):
    """The lines of a sysctl.d file that are not blank or comments: (line number, raw line, name, "=" or "",
    value), name and value stripped (what sysctl.d(5) reads; the callers decide what they accept)."""
    for lineno, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        name, sep, value = line.partition("=")
        yield lineno, raw, name.strip(), sep, value.strip()


def parse_file(path, text):
    """{name: value} of the owned file; a line that is not `name = value` is an error naming the line."""
    values = {}
    for lineno, raw, written, sep, value in assignments(text):
        name = written.lstrip("-")  # a leading "-": sysctl.d's "ignore a failure to set"
        if not sep or not _NAME.match(name):
            raise ModuleError("sysctl_file: %s line %d is not `name = value`: %r" % (path, lineno, raw))
        values[name] = canonical_value(value)
    return values


def render_file(settings):
    if not settings:
        return None
    return HEADER + "".join("%s = %s\n" % (name, settings[name]) for name in sorted(settings))


def run(module, proc_root=None):
    params = module.params
    proc_root = proc_root or PROC_SYS
    path = params["sysctl_file"]
    wanted = check_settings(params["settings"])
    # read
    runtime = read_runtime(wanted, proc_root)
    file_text = read_text(path) if params["persistent"] else None
    file_values = parse_file(path, file_text) if params["persistent"] else {}
    missing = sorted(name for name, value in runtime.items() if value is None)
    if missing and not module.check_mode:
        raise ModuleError(
            "settings: no such kernel parameter on this host: %s (%s; is the kernel module that provides it loaded?)"
            % (", ".join(missing), ", ".join(proc_path(n, proc_root) for n in missing))
        )
    # decide
    changes = {name: value for name, value in wanted.items() if runtime[name] != value}
    new_text = render_file(wanted) if params["persistent"] else file_text
    file_changed = params["persistent"] and new_text != file_text
    dropped = sorted(set(file_values) - set(wanted))
    changed = bool(changes) or bool(file_changed)
    after = dict(runtime, **changes)
    # apply
    if changed and not module.check_mode:
        applied = {}
        for name, value in changes.items():
            try:
                with open(proc_path(name, proc_root), "w", encoding="ascii") as handle:
                    handle.write(value + "\n")
            except OSError as exc:
                # an honest partial result: what was written stays written, the file is not touched
                raise ModuleError(
                    "settings.%s: the kernel refused %r: %s" % (name, value, exc.strerror or exc),
                    changed=bool(applied), applied=applied, not_applied=sorted(set(changes) - set(applied)),
                ) from None
            applied[name] = value
        if file_changed:
            if new_text is None:
                remove_file(path)
            else:
                write_text_atomic(module, path, new_text)
    return {
        "changed": changed,
        "runtime_values": {"before": runtime, "after": after},
        "runtime_changes": changes,
        "dropped": dropped,
        "sysctl_file": path,
        "diff": {
            "before": _diff_text(runtime, path, file_text, params["persistent"]),
            "after": _diff_text(after, path, new_text, params["persistent"]),
        },
    }


def _diff_text(runtime, path, text, persistent):
    lines = ["# runtime (/proc/sys)"] + ["%s = %s" % (k, "(missing)" if v is None else v) for k, v in sorted(runtime.items())]
    if persistent:
        lines.append("# %s" % path)
        lines.append((text or "(absent)\n").rstrip("\n"))
    return "\n".join(lines) + "\n"
