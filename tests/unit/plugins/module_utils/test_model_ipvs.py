# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service model against what the kernel printed: fixtures/ipvsadm/everything.rules built a
table of one of everything on the lab director (Debian 12, kernel 6.1, ipvsadm 1.31),
sn-everything.txt is its ``ipvsadm -Sn`` and ln-thresholds.txt its ``-Ln --thresholds``. The same
table written as the model must render to exactly those lines (so that a second run is a no-op by
construction), and the lines must parse back to the same table."""

from __future__ import annotations

import os

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs, _ipvsadm
from ansible_collections.lvs.cluster.plugins.module_utils._service_model import normalise_services

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "ipvsadm")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


def rs(address, **over):
    return dict({"address": address}, **over)


# everything.rules, line by line, as the model
EVERYTHING = [
    {"name": "web", "address": "192.0.2.10", "port": 80,
     "real_servers": [rs("192.0.2.11"), rs("192.0.2.12", weight=2, upper_threshold=100, lower_threshold=50), rs("192.0.2.13", weight=0)]},
    {"name": "alt", "address": "192.0.2.10", "port": 8080, "scheduler": "dh", "persistence": {"timeout": 360}, "forwarding": "nat",
     "real_servers": [rs("198.51.100.11", port=80)]},
    {"name": "tls", "address": "192.0.2.20", "port": 443, "scheduler": "wrr", "persistence": {"timeout": 3600}, "forwarding": "masquerade",
     "real_servers": [rs("198.51.100.11", port=8443, upper_threshold=10), rs("198.51.100.12", port=8443, weight=65535)]},
    {"name": "all-ports", "address": "192.0.2.21", "port": 0, "scheduler": "lc", "persistence": {"timeout": 600, "netmask": 24}, "check": {"type": "none"},
     "real_servers": [rs("192.0.2.11")]},
    {"name": "dns", "address": "192.0.2.10", "port": 53, "protocol": "udp", "scheduler": "rr", "one_packet": True, "forwarding": "nat",
     "real_servers": [rs("198.51.100.11", port=5353, weight=3)]},
    {"name": "sip", "address": "192.0.2.22", "port": 5060, "protocol": "udp", "scheduler": "sh",
     "persistence": {"timeout": 120, "granularity": "255.255.255.0"},
     "persistence_engine": "sip", "one_packet": "yes", "sched_flags": ["sh-fallback", "sh-port"], "real_servers": [rs("192.0.2.11")]},
    {"name": "diameter", "address": "192.0.2.23", "port": 3868, "protocol": "sctp", "scheduler": "sh", "sched_flags": ["sh-port"],
     "forwarding": "tun", "real_servers": [rs("192.0.2.12")]},
    {"name": "tunnels", "address": "192.0.2.24", "port": 80, "scheduler": "mh", "sched_flags": ["flag-1", "mh-port"], "forwarding": "tunnel",
     "real_servers": [rs("192.0.2.11", weight=5, tunnel={"type": "gue", "port": 6080, "checksum": "csum"}),
                      rs("192.0.2.12", weight=6, tunnel={"type": "gre"}),
                      rs("192.0.2.13", tunnel={"type": "gue", "port": 6081, "checksum": "remcsum"}),
                      rs("192.0.2.14", weight=0, tunnel={"type": "gre", "checksum": "csum"}),
                      rs("192.0.2.15", tunnel={"type": "gue", "port": 6082})]},
    {"name": "flag3", "address": "192.0.2.25", "port": 80, "scheduler": "rr", "sched_flags": ["flag-3"], "forwarding": "tunnel",
     "tunnel": {"type": "ipip"}, "real_servers": [rs("192.0.2.11")]},
    {"name": "empty", "address": "192.0.2.26", "port": 80, "scheduler": "lblcr", "real_servers": []},
    {"name": "v4-over-v6", "address": "192.0.2.27", "port": 80, "scheduler": "rr", "forwarding": "tunnel", "tunnel": {"type": "gue", "port": 6080},
     "real_servers": [rs("2001:db8:2::11")]},
    {"name": "web6", "address": "2001:DB8:1:0::10", "port": 80, "scheduler": "nq",
     "real_servers": [rs("2001:db8:1::11", upper_threshold=5, lower_threshold=2), rs("2001:0db8:2::11", port=8080, weight=4, forwarding="nat")]},
    {"name": "tls6", "address": "2001:db8:1::20", "port": 443, "scheduler": "ovf", "persistence": {"timeout": 300, "netmask": 48},
     "real_servers": [rs("2001:db8:1::12", weight=7)]},
    {"name": "dns6", "address": "2001:db8:1::10", "port": 53, "protocol": "udp", "scheduler": "fo", "persistence": {"timeout": 360}, "forwarding": "tunnel",
     "real_servers": [rs("2001:db8:1::12"), rs("2001:db8:1::13", tunnel={"type": "gue", "port": 6080, "checksum": "nocsum"})]},
    {"name": "diameter6", "address": "2001:db8:1::30", "port": 3868, "protocol": "sctp", "scheduler": "sed", "forwarding": "tunnel",
     "real_servers": [rs("192.0.2.11", weight=2, tunnel={"type": "gre", "checksum": "csum"})]},
    {"name": "mark5", "fwmark": 5, "scheduler": "dh", "check": {"type": "none"},
     "real_servers": [rs("192.0.2.11"), rs("198.51.100.12", port=8080, forwarding="nat")]},
    {"name": "mark6", "fwmark": 6, "family": "ipv6", "scheduler": "sed", "persistence": {"timeout": 30, "netmask": 64}, "check": {"type": "none"},
     "real_servers": [rs("2001:db8:1::11")]},
    {"name": "mark7", "fwmark": 7, "scheduler": "lblc", "persistence": {"timeout": 60}, "persistence_engine": "sip", "one_packet": True,
     "forwarding": "tunnel", "check": {"type": "none"}, "real_servers": [rs("2001:db8:2::12", weight=2, tunnel={"type": "gre", "checksum": "csum"})]},
]


def lines_of(text):
    return [line for line in text.splitlines() if line.strip()]


def desired():
    return _ipvsadm.desired_table(EVERYTHING)


def test_the_model_renders_what_the_kernel_prints():
    lines, _thresholds, names, schedulers = desired()
    kernel = lines_of(fixture("sn-everything.txt"))
    assert sorted(lines) == sorted(kernel)
    assert len(names) == len(EVERYTHING) and names["tcp/[2001:db8:1::10]:80"] == "web6"
    assert schedulers == sorted({svc.get("scheduler", "wlc") for svc in EVERYTHING})


def test_thresholds_are_what_the_kernel_lists():
    lines, thresholds, _names, _schedulers = desired()
    table = _ipvs.parse_save("\n".join(lines))
    _ipvs.merge_thresholds_lines(table, thresholds)
    kernel = _ipvs.parse_save(fixture("sn-everything.txt"))
    _ipvs.merge_thresholds(kernel, fixture("ln-thresholds.txt"))
    assert table == kernel
    assert thresholds == [
        "-a -t 192.0.2.10:80 -r 192.0.2.12:80 -g -x 100 -y 50",
        "-a -t 192.0.2.20:443 -r 198.51.100.11:8443 -m -x 10 -y 0",
        "-a -t [2001:db8:1::10]:80 -r [2001:db8:1::11]:80 -g -x 5 -y 2",
    ]


def test_a_second_run_is_a_no_op_by_construction():
    lines, _thresholds, _names, _schedulers = desired()
    kernel = lines_of(fixture("sn-everything.txt"))
    plan, _current = _ipvsadm.line_plan(kernel, lines, purge=True, scope=_ipvs.parse_scope(["192.0.2.10"]))
    assert not plan and len(plan) == 0


def test_the_lines_parse_back_to_the_table_they_came_from():
    services = normalise_services(EVERYTHING)
    table, _names = _ipvs.table_from_services(services)
    # -R lines carry the thresholds
    assert _ipvs.parse_save("\n".join(_ipvs.render_table(table))) == table
    # -Sn lines do not: with the threshold lines merged back, the same table
    saved = _ipvs.parse_save("\n".join(_ipvs.save_lines(table)))
    assert saved != table
    assert _ipvs.merge_thresholds_lines(saved, _ipvs.threshold_lines(table)) == table


def test_only_the_differing_services_are_parsed():
    lines, _thresholds, _names, _schedulers = desired()
    kernel = lines_of(fixture("sn-everything.txt"))
    changed = [line.replace("-w 65535", "-w 3") for line in lines]
    plan, current = _ipvsadm.line_plan(kernel, changed)
    assert [str(key) for key in current.services] == ["tcp/192.0.2.20:443"]  # the one service read from the kernel lines
    assert _ipvs.render_plan(plan) == ["-e -t 192.0.2.20:443 -r 198.51.100.12:8443 -m -w 3 -x 0 -y 0"]


def test_new_services_are_added_as_their_canonical_lines():
    lines, _thresholds, _names, _schedulers = desired()
    plan, current = _ipvsadm.line_plan([], lines)
    assert plan.add_lines == lines and not current.services
    assert _ipvs.render_plan(plan) == lines
    report = _ipvs.plan_report(plan, limit=3)
    assert report["added"] == [{"service": "tcp/192.0.2.10:80"}, {"service": "tcp/192.0.2.10:80", "destination": "192.0.2.11:80"},
                               {"service": "tcp/192.0.2.10:80", "destination": "192.0.2.12:80"}]


def test_purge_in_scope_only():
    lines, _thresholds, _names, _schedulers = desired()
    kernel = lines_of(fixture("sn-everything.txt"))
    keep = [line for line in lines if "192.0.2.26:80" not in line and not line.startswith("-a -t 192.0.2.10:80 -r 192.0.2.13:80 ")]
    # without purge, what is not listed stays
    assert not _ipvsadm.line_plan(kernel, keep)[0]
    plan, _current = _ipvsadm.line_plan(kernel, keep, purge=True, scope=_ipvs.parse_scope(["192.0.2.10", "192.0.2.26"]))
    assert _ipvs.render_plan(plan) == ["-d -t 192.0.2.10:80 -r 192.0.2.13:80", "-D -t 192.0.2.26:80"]
    # a destination of a listed service goes with purge even outside the scope; a service outside it stays
    plan, _current = _ipvsadm.line_plan(kernel, keep, purge=True, scope=_ipvs.parse_scope(["192.0.2.99"]))
    assert _ipvs.render_plan(plan) == ["-d -t 192.0.2.10:80 -r 192.0.2.13:80"]
