# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IPVS model over outputs recorded on the lab VM (Debian bookworm, kernel 6.1, ipvsadm 1.31).

fixtures/ipvsadm/all-options.rules was fed to ``ipvsadm -R`` there; .save is the ``ipvsadm -Sn``
that followed, .thresholds ``-Ln --thresholds``, .stats/.rate/.list the other listings.
"""

from __future__ import annotations

import os
import re

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs import DestAttrs, IPVSError, ServiceAttrs, ServiceKey

V4 = ServiceKey("tcp", "192.0.2.10", 80, 0, "ipv4")
V6 = ServiceKey("tcp", "2001:db8::10", 80, 0, "ipv6")

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "ipvsadm")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


@pytest.fixture(scope="module")
def kernel_table():
    table = _ipvs.parse_save(fixture("all-options.save"))
    _ipvs.merge_thresholds(table, fixture("all-options.thresholds"))
    return table


def K(proto, addr, port, family="ipv4"):
    return ServiceKey(proto, addr, port, 0, family)


def F(mark, family="ipv4"):
    return ServiceKey("fwmark", "", 0, mark, family)


def test_parse_every_option(kernel_table):
    s, d = kernel_table.services, kernel_table.dests
    assert len(s) == 15 and sum(len(v) for v in d.values()) == 18
    assert s[K("tcp", "192.0.2.10", 80)] == ServiceAttrs("wlc", 0, None, None, False, 0)
    # -p without a value: the kernel stored 360 (ipvsadm 1.31), and the default mask
    assert s[K("tcp", "192.0.2.20", 443)] == ServiceAttrs("wrr", 360, "255.255.255.255", None, False, 0)
    assert s[K("tcp", "192.0.2.21", 0)] == ServiceAttrs("lc", 600, "255.255.255.0", None, False, 0)
    assert s[K("udp", "192.0.2.10", 53)].one_packet is True
    assert s[K("udp", "192.0.2.22", 5060)].persistence_engine == "sip"
    assert s[K("sctp", "192.0.2.23", 3868)].sched_flags == 3
    assert s[K("tcp", "192.0.2.24", 80)].sched_flags == 2
    assert s[K("tcp", "192.0.2.25", 80)].sched_flags == 4
    assert s[K("tcp", "2001:db8:1::20", 443, "ipv6")].netmask == 48
    assert s[K("udp", "2001:db8:1::10", 53, "ipv6")] == ServiceAttrs("fo", 360, 128, None, False, 0)
    assert s[F(6, "ipv6")] == ServiceAttrs("sed", 30, 64, None, False, 0)
    assert s[F(5)].scheduler == "dh"
    # destinations: thresholds come from --thresholds, tunnels from -Sn
    web = d[K("tcp", "192.0.2.10", 80)]
    assert web[("192.0.2.12", 80)] == DestAttrs("direct", 2, 100, 50, None, None, None)
    assert d[K("tcp", "192.0.2.20", 443)][("198.51.100.11", 8443)] == DestAttrs("masquerade", 1, 10, 0, None, None, None)
    tun = d[K("tcp", "192.0.2.24", 80)]
    assert tun[("192.0.2.11", 80)] == DestAttrs("tunnel", 5, 0, 0, "gue", 6080, "csum")
    assert tun[("192.0.2.12", 80)] == DestAttrs("tunnel", 6, 0, 0, "gre", None, "nocsum")
    assert d[K("tcp", "192.0.2.25", 80)][("192.0.2.11", 80)].tunnel_checksum == "remcsum"
    assert d[K("sctp", "192.0.2.23", 3868)][("192.0.2.12", 3868)].tunnel_type == "ipip"
    assert d[F(5)][("192.0.2.11", 0)].forwarding == "direct"
    assert d[F(5)][("198.51.100.12", 8080)].forwarding == "masquerade"
    assert d[F(6, "ipv6")][("2001:db8:1::11", 0)].weight == 1
    assert d[K("tcp", "2001:db8:1::10", 80, "ipv6")][("2001:db8:1::11", 80)][2:4] == (5, 2)


def test_hand_written_rules_normalise_to_what_the_kernel_stored(kernel_table):
    """-p without value, default -M, unordered -b, missing/ignored DR ports, no --tun-type."""
    assert _ipvs.parse_save(fixture("all-options.rules")) == kernel_table


def test_round_trip_render_parse(kernel_table):
    lines = _ipvs.render_table(kernel_table)
    assert _ipvs.parse_save("\n".join(lines)) == kernel_table
    # the renderer writes exactly what -Sn prints, plus the -x/-y that -Sn leaves out
    saved = [line for line in fixture("all-options.save").splitlines() if line]
    assert sorted(re.sub(r" -x \d+ -y \d+", "", line) for line in lines) == sorted(saved)


def test_listing_parsers():
    cols, dcols, data = _ipvs.parse_list(fixture("all-options.stats"))
    assert cols == ["Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"] and dcols == cols
    assert len(data) == 15 and F(6, "ipv6") in data and data[F(5)]["dests"][("198.51.100.12", 8080)] == ["0"] * 5
    counts = _ipvs.connection_counts(fixture("all-options.list"))
    assert counts[K("tcp", "192.0.2.10", 80)] == {("192.0.2.11", 80): (0, 0), ("192.0.2.12", 80): (0, 0)}
    _cols, _dcols, rate = _ipvs.parse_list(fixture("all-options.rate"))
    assert set(rate) == set(data)


def test_diff_and_safe_order(kernel_table):
    desired = kernel_table.copy()
    web = K("tcp", "192.0.2.10", 80)
    desired.services[web] = desired.services[web]._replace(scheduler="rr")
    desired.dests[web][("192.0.2.12", 80)] = desired.dests[web][("192.0.2.12", 80)]._replace(weight=9)
    del desired.dests[web][("192.0.2.11", 80)]
    gone = K("tcp", "192.0.2.26", 80)
    del desired.services[gone]
    del desired.dests[gone]
    new = K("udp", "192.0.2.99", 53)
    desired.add_service(new, ServiceAttrs("rr", 0, None, None, False, 0))
    desired.dests[new][("192.0.2.11", 53)] = DestAttrs("direct", 1, 0, 0, None, None, None)
    plan = _ipvs.diff_tables(kernel_table, desired, purge_services=set(kernel_table.services), purge_dests=True)
    lines = _ipvs.render_plan(plan)
    assert lines == [
        "-E -t 192.0.2.10:80 -s rr",
        "-e -t 192.0.2.10:80 -r 192.0.2.12:80 -g -w 9 -x 100 -y 50",
        "-d -t 192.0.2.10:80 -r 192.0.2.11:80",
        "-D -t 192.0.2.26:80",
        "-A -u 192.0.2.99:53 -s rr",
        "-a -u 192.0.2.99:53 -r 192.0.2.11:53 -g -w 1 -x 0 -y 0",
    ]
    assert _ipvs.apply_plan(kernel_table, plan) == desired
    report = _ipvs.plan_report(plan, {web: "web"})
    assert report["modified"][0] == {"service": "tcp/192.0.2.10:80", "name": "web", "changes": {"scheduler": ["wlc", "rr"]}}
    assert report["removed"] == [{"service": "tcp/192.0.2.10:80", "name": "web", "destination": "192.0.2.11:80"}, {"service": "tcp/192.0.2.26:80"}]
    # without purge nothing unlisted goes, and an identical table is a no-op
    assert not _ipvs.diff_tables(kernel_table, kernel_table.copy(), purge_services=set(kernel_table.services), purge_dests=True)
    assert _ipvs.diff_tables(kernel_table, _ipvs.Table()).__len__() == 0


def test_deleting_a_service_does_not_delete_its_destinations_one_by_one(kernel_table):
    plan = _ipvs.diff_tables(kernel_table, _ipvs.Table(), purge_services=lambda key: key.protocol == "fwmark")
    assert _ipvs.render_plan(plan) == ["-D -f 5", "-D -f 6 -6"]


def test_split_applied_after_partial_failure(kernel_table):
    desired = kernel_table.copy()
    a, b = K("tcp", "192.0.2.97", 80), K("tcp", "192.0.2.98", 80)
    for key in (a, b):
        desired.add_service(key, ServiceAttrs("rr", 0, None, None, False, 0))
    plan = _ipvs.diff_tables(kernel_table, desired)
    half = kernel_table.copy()
    half.add_service(a, ServiceAttrs("rr", 0, None, None, False, 0))
    applied, pending = _ipvs.split_applied(plan, half)
    assert applied["added"] == [{"service": "tcp/192.0.2.97:80"}] and pending["added"] == [{"service": "tcp/192.0.2.98:80"}]


def test_scope():
    scope = _ipvs.parse_scope(["192.0.2.10", "2001:DB8::10", "fwmark:5"])
    assert _ipvs.in_scope(V4, scope) and _ipvs.in_scope(V6, scope) and _ipvs.in_scope(F(5), scope) and not _ipvs.in_scope(F(6), scope)
    for bad in ("fwmark:0", "fwmark:x", "192.0.2.0/24"):
        with pytest.raises(IPVSError) as err:
            _ipvs.parse_scope([bad])
        assert "scope" in err.value.msg and bad in err.value.msg


def test_unparsable_output_is_reported():
    with pytest.raises(IPVSError, match="line 1"):
        _ipvs.parse_save("-A -t 192.0.2.1:80 -s wlc --bogus\n")
    with pytest.raises(IPVSError, match="unknown service"):
        _ipvs.parse_save("-a -t 192.0.2.1:80 -r 192.0.2.2:80 -g -w 1\n")
