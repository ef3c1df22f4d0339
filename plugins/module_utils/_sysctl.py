# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ARP sysctls of a DR/TUN real server: read /proc/sys, decide, write /proc/sys and one owned sysctl.d file."""

from __future__ import annotations

import os

from ansible_collections.lvs.cluster.plugins.module_utils._fileutil import read_text, remove_file, write_text_atomic
from ansible_collections.lvs.cluster.plugins.module_utils._runner import ModuleError
from ansible_collections.lvs.cluster.plugins.module_utils._sysctls import assignments

PROC_ROOT = "/proc/sys/net/ipv4/conf"

# key -> allowed values (kernel Documentation/networking/ip-sysctl.rst)
KEYS = {
    "arp_ignore": (0, 1, 2, 3, 4, 5, 6, 7, 8),
    "arp_announce": (0, 1, 2),
    "arp_filter": (0, 1),
    "rp_filter": (0, 1, 2),
    "accept_local": (0, 1),
}
KEY_ORDER = ("arp_ignore", "arp_announce", "arp_filter", "rp_filter", "accept_local")

PROFILES = {
    "dr": {"arp_ignore": 1, "arp_announce": 2},
    "tun": {"arp_ignore": 1, "arp_announce": 2, "rp_filter": 0},
    "custom": {},
}

# what state=absent puts back at runtime: the kernel defaults. rp_filter is left alone: its
# default is the distribution's (systemd sets 2, RHEL 1), restored by `sysctl --system`.
KERNEL_DEFAULTS = {"arp_ignore": 0, "arp_announce": 0, "arp_filter": 0, "accept_local": 0}

HEADER = "# Managed by lvs.cluster.sysctl_arp: ARP behaviour of LVS real servers. Local edits are overwritten.\n"

HIDDEN_MSG = (
    "hidden=%r: the 'hidden' sysctl only existed in patched 2.4-era kernels and is not supported; "
    "use arp_ignore=1 and arp_announce=2 (profile: dr) on the interfaces that hold the VIP and on 'all'"
)


def sysctl_name(interface, key):
    """The sysctl.d name; dots in interface names (VLANs like eth0.100) become slashes."""
    return "net.ipv4.conf.%s.%s" % (interface.replace(".", "/"), key)


def parse_sysctl_name(name):
    parts = name.split(".")
    if len(parts) < 5 or parts[:3] != ["net", "ipv4", "conf"]:
        return None
    return ".".join(parts[3:-1]).replace("/", "."), parts[-1]


def desired_values(profile, overrides):
    """Profile values updated by explicit overrides; validates ranges (ModuleError names key and value)."""
    values = dict(PROFILES[profile])
    for key in KEY_ORDER:
        value = overrides.get(key)
        if value is None:
            continue
        if value not in KEYS[key]:
            raise ModuleError("%s=%r is out of range: allowed values are %s" % (key, value, ", ".join(str(v) for v in KEYS[key])))
        values[key] = value
    if not values:
        raise ModuleError("profile=custom needs at least one of %s" % ", ".join(KEY_ORDER))
    return values


class SysctlArp:
    """Reads and writes net.ipv4.conf.<iface>.<key> at runtime and in one sysctl.d file."""

    def __init__(self, module, path, proc_root=PROC_ROOT):
        self.module = module
        self.path = path
        self.proc_root = proc_root

    def _proc(self, interface, key):
        return os.path.join(self.proc_root, interface, key)

    def check_interfaces(self, interfaces):
        for interface in interfaces:
            if not interface or "/" in interface or interface in (".", ".."):
                raise ModuleError("interfaces: %r is not a valid interface name" % interface)
            if not os.path.isdir(os.path.join(self.proc_root, interface)):
                raise ModuleError("interfaces: %r does not exist on this host (no %s)" % (interface, os.path.join(self.proc_root, interface)))

    def read_runtime(self, interfaces, keys):
        values = {}
        for interface in interfaces:
            for key in keys:
                text = read_text(self._proc(interface, key))
                values[sysctl_name(interface, key)] = None if text is None else int(text.strip())
        return values

    def read_one(self, interface, key):
        """Runtime value, or None when the interface (or key) is gone."""
        text = read_text(self._proc(interface, key))
        return None if text is None else int(text.strip())

    def write_runtime(self, changes):
        for name, value in changes.items():
            interface, key = parse_sysctl_name(name)
            with open(self._proc(interface, key), "w", encoding="ascii") as handle:
                handle.write("%d\n" % value)

    def read_file(self):
        """(text, {name: value}) of the owned file; unknown lines are dropped when it is rewritten."""
        text = read_text(self.path)
        values = {}
        for lineno, raw, name, sep, value in assignments(text):
            if not sep or parse_sysctl_name(name) is None:
                raise ModuleError("%s line %d is not a net.ipv4.conf sysctl this module owns: %r" % (self.path, lineno, raw))
            try:
                values[name] = int(value)
            except ValueError:
                raise ModuleError("%s line %d has a non-integer value: %r" % (self.path, lineno, raw)) from None
        return text, values

    @staticmethod
    def render_file(values):
        if not values:
            return None
        order = {k: i for i, k in enumerate(KEY_ORDER)}

        def sort_key(name):
            interface, key = parse_sysctl_name(name)
            rank = {"all": 0, "default": 1}.get(interface, 2)
            return (rank, interface, order.get(key, 99), key)

        return HEADER + "".join("%s = %d\n" % (name, values[name]) for name in sorted(values, key=sort_key))

    def write_file(self, text):
        if text is None:
            remove_file(self.path)
        else:
            write_text_atomic(self.module, self.path, text)


def plan(state, interfaces, values, runtime, file_values):
    """Decide: (runtime changes {name: value}, new file values)."""
    runtime_changes = {}
    new_file = dict(file_values)
    for interface in interfaces:
        for key, value in values.items():
            name = sysctl_name(interface, key)
            if state == "present":
                if runtime.get(name) != value:
                    runtime_changes[name] = value
                new_file[name] = value
            else:
                default = KERNEL_DEFAULTS.get(key)
                if default is not None and runtime.get(name) not in (None, default):
                    runtime_changes[name] = default
                new_file.pop(name, None)
    return runtime_changes, new_file


def plan_purge(wanted_names, file_values, read_one):
    """Keys of the owned file that this call no longer wants: dropped from the file; at runtime put back to the
    kernel default only while the value is still the one the file set (rp_filter is left alone).
    -> (purged names, runtime changes {name: value})."""
    purged, runtime_changes = [], {}
    for name, value in file_values.items():
        if name in wanted_names:
            continue
        purged.append(name)
        interface, key = parse_sysctl_name(name)
        default = KERNEL_DEFAULTS.get(key)
        if default is not None and value != default and read_one(interface, key) == value:
            runtime_changes[name] = default
    return purged, runtime_changes


def run(module, proc_root=None):
    params = module.params
    if params.get("hidden") is not None:
        raise ModuleError(HIDDEN_MSG % (params["hidden"],))
    purge = params.get("purge", False)
    if purge and (params["state"] != "present" or not params["persistent"]):
        raise ModuleError("purge=true needs state=present and persistent=true: it purges the keys of sysctl_file this call no longer sets")
    interfaces = list(dict.fromkeys(params["interfaces"]))
    values = desired_values(params["profile"], params)
    store = SysctlArp(module, params["sysctl_file"], proc_root=proc_root or PROC_ROOT)
    store.check_interfaces(interfaces)
    # read
    runtime = store.read_runtime(interfaces, list(values))
    file_text, file_values = store.read_file() if params["persistent"] else (None, {})
    # decide
    runtime_changes, new_file_values = plan(params["state"], interfaces, values, runtime, file_values)
    purged = []
    if purge:
        wanted_names = {sysctl_name(i, k) for i in interfaces for k in values}
        purged, purge_changes = plan_purge(wanted_names, file_values, store.read_one)
        for name in purged:
            new_file_values.pop(name, None)
            if name in purge_changes:
                runtime[name] = store.read_one(*parse_sysctl_name(name))
        runtime_changes.update(purge_changes)
    new_text = store.render_file(new_file_values) if params["persistent"] else file_text
    file_changed = params["persistent"] and new_text != file_text
    changed = bool(runtime_changes) or file_changed
    after_runtime = dict(runtime, **runtime_changes)
    # apply
    if changed and not module.check_mode:
        store.write_runtime(runtime_changes)
        if file_changed:
            store.write_file(new_text)
    result = {
        "changed": changed,
        "runtime_values": {"before": runtime, "after": after_runtime},
        # the former name of runtime_values, kept until 1.0.0 (undocumented: a key named
        # `values` cannot be read with dot notation in Jinja, ansible-core 2.21 rejects it in docs)
        "values": {"before": runtime, "after": after_runtime},
        "runtime_changes": runtime_changes,
        "purged": sorted(purged),
        "sysctl_file": params["sysctl_file"],
        "diff": {
            "before": _diff_text(runtime, params["sysctl_file"], file_text if params["persistent"] else None),
            "after": _diff_text(after_runtime, params["sysctl_file"], new_text if params["persistent"] else None),
        },
    }
    return result


def _diff_text(runtime, path, text):
    lines = ["# runtime (/proc/sys)"] + ["%s = %s" % (k, "(missing)" if v is None else v) for k, v in runtime.items()]
    lines.append("# %s" % path)
    lines.append((text or "(absent)\n").rstrip("\n"))
    return "\n".join(lines) + "\n"
