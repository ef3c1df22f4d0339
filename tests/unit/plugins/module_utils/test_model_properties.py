# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of the one model, over generated models and addresses (hypothesis):

* every address form has one canonical text, the one glibc's inet_ntop prints (what ipvsadm -n
  and ip print): the oracle is this host's own socket.inet_ntop;
* normalising is a fixed point: the normalised model is valid input and normalises to itself;
* parse(render(x)) == x for the canonical -Sn lines (thresholds through their own lines) and for
  the -R lines;
* a second apply is a no-op: the rendered lines against themselves as the kernel's output give
  an empty plan, with and without purge.
"""

from __future__ import annotations

import copy
import ipaddress
import socket

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs, _ipvsadm, _schema
from ansible_collections.lvs.cluster.plugins.module_utils._service_model import ipvs_scope, normalise_services

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------------- addresses

ipv6_packed = st.one_of(
    st.binary(min_size=16, max_size=16),
    # the forms with special printing: IPv4-mapped, IPv4-compatible, runs of zeros
    st.binary(min_size=4, max_size=4).map(lambda b: bytes(10) + b"\xff\xff" + b),
    st.binary(min_size=4, max_size=4).map(lambda b: bytes(12) + b),
    st.lists(st.sampled_from([0, 0, 0, 1, 0xFFFF, 0xDB8, 0x2001]), min_size=8, max_size=8).map(
        lambda words: b"".join(w.to_bytes(2, "big") for w in words)
    ),
)


def _spellings(packed):
    """Ways a user may write this IPv6 address: compressed, exploded, upper case."""
    ip = ipaddress.IPv6Address(packed)
    return [ip.compressed, ip.exploded, ip.exploded.upper(), ip.compressed.upper(), socket.inet_ntop(socket.AF_INET6, packed)]


@SETTINGS
@given(ipv6_packed)
def test_ipv6_canonical_form_is_inet_ntop(packed):
    expected = socket.inet_ntop(socket.AF_INET6, packed)
    for text in _spellings(packed):
        assert _schema.canonical_address(text) == (expected, "ipv6"), text


@SETTINGS
@given(st.binary(min_size=4, max_size=4))
def test_ipv4_canonical_form_is_inet_ntop(packed):
    expected = socket.inet_ntop(socket.AF_INET, packed)
    assert _schema.canonical_address(expected) == (expected, "ipv4")
    assert _schema.canonical_address(" %s " % expected) == (expected, "ipv4")


def _refused(what, text):
    service = {"name": "s", "address": text if what == "vip" else "2001:db8::1", "port": 80, "forwarding": "tunnel", "check": {"type": "none"},
               "real_servers": [{"address": text}] if what == "dest" else []}
    try:
        normalise_services([service])
    except _schema.SchemaError as exc:
        assert exc.path.endswith(".address") and exc.value == text, exc
        return True
    return False


# addresses near the classes' edges: ff00::/8, fe80::/10 and the texts that merely start alike
# (ff::1 is 00ff::1, fe8::1 is 0fe8::1, fec0::/10 is not link-local)
edge_words = st.sampled_from([0xFF00, 0xFF02, 0xFFFF, 0x00FF, 0x0FF0, 0xFE80, 0xFEBF, 0xFEC0, 0x0FE8, 0x0FEB, 0xFE7F, 0x2001])
ipv6_classed = st.one_of(
    ipv6_packed,
    st.builds(lambda w, rest: w.to_bytes(2, "big") + rest, edge_words, st.binary(min_size=14, max_size=14)),
    st.builds(lambda w: w.to_bytes(2, "big") + bytes(13) + b"\x01", edge_words),
)


@SETTINGS
@given(ipv6_classed)
def test_ipv6_classes_are_told_by_the_address_not_its_text(packed):
    """VIPs: multicast and :: refused; real servers also IPv4-mapped and link-local (the kernel's
    rules, tests/lab/ipvsadm-limits.md); decided on the address, the oracle being ipaddress."""
    ip = ipaddress.IPv6Address(packed)
    for text in _spellings(packed):
        assert _refused("vip", text) == (ip.is_multicast or ip.is_unspecified), text
        mapped = ip.ipv4_mapped is not None
        assert _refused("dest", text) == (ip.is_multicast or ip.is_unspecified or mapped or ip.is_link_local), text


# ----------------------------------------------------------------------------------- models

v4_vip = st.integers(1, 250).map(lambda i: "192.0.2.%d" % i) | st.integers(1, 250).map(lambda i: "203.0.113.%d" % i)
v6_vip = st.integers(1, 0xFFFF).map(lambda i: "2001:db8:1::%x" % i) | st.integers(1, 250).map(lambda i: "::ffff:198.51.100.%d" % i)
v4_rip = st.integers(1, 250).map(lambda i: "198.51.100.%d" % i) | st.integers(1, 250).map(lambda i: "192.0.2.%d" % i)
v6_rip = st.integers(1, 0xFFFF).map(lambda i: "2001:DB8:2:0::%X" % i)
tunnel = st.one_of(
    st.just({"type": "ipip"}),
    st.builds(lambda p, c: {"type": "gue", "port": p, "checksum": c}, st.integers(1, 65535), st.sampled_from(_schema.TUNNEL_CHECKSUMS)),
    st.builds(lambda c: {"type": "gre", "checksum": c}, st.sampled_from(("nocsum", "csum"))),
)


@st.composite
def real_server(draw, family, forwarding, svc_port, fwmark):
    fwd = draw(st.sampled_from((forwarding, forwarding, "dr", "nat", "tunnel")))
    canon = _schema.FORWARDING_ALIASES[fwd]
    rs_family = family if canon != "tunnel" else draw(st.sampled_from((family, "ipv4", "ipv6")))
    address = draw(v4_rip if rs_family == "ipv4" else v6_rip)
    rs = {"address": address, "forwarding": fwd, "weight": draw(st.integers(0, _schema.MAX_WEIGHT))}
    if canon == "masquerade":
        rs["port"] = draw(st.integers(1, 65535))
    elif svc_port and draw(st.booleans()):
        rs["port"] = svc_port
    if canon == "tunnel" and draw(st.booleans()):
        rs["tunnel"] = draw(tunnel)
    upper = draw(st.integers(0, 100000))
    if draw(st.booleans()):
        rs["upper_threshold"] = upper
        rs["lower_threshold"] = draw(st.integers(0, upper))
    return rs


@st.composite
def service(draw, index):
    family = draw(st.sampled_from(_schema.FAMILIES))
    fwmark = draw(st.booleans())
    svc = {"name": "s%d" % index, "check": {"type": "none"}}
    if fwmark:
        svc["fwmark"] = index + 1
        svc["family"] = family
        protocol = "tcp"
        port = None
    else:
        protocol = draw(st.sampled_from(_schema.PROTOCOLS))
        svc.update(address=draw(v4_vip if family == "ipv4" else v6_vip), port=draw(st.integers(1, 65535)), protocol=protocol)
        port = svc["port"]
    scheduler = draw(st.sampled_from(_schema.SCHEDULERS))
    svc["scheduler"] = scheduler
    flags = [f for f in _schema.SCHED_FLAGS if f.startswith(scheduler + "-") or (f.startswith("flag-") and not (f == "flag-3" and scheduler in ("sh", "mh")))]
    svc["sched_flags"] = draw(st.lists(st.sampled_from(flags), unique=True, max_size=2)) if flags else []
    if draw(st.booleans()):
        persistence = {"timeout": draw(st.integers(_schema.MIN_PERSISTENCE_TIMEOUT, _schema.MAX_PERSISTENCE_TIMEOUT))}
        if draw(st.booleans()):
            bits = draw(st.integers(1, 32 if family == "ipv4" else 128))
            if family == "ipv4" and draw(st.booleans()):
                persistence["netmask"] = str(ipaddress.IPv4Network("0.0.0.0/%d" % bits).netmask)
            else:
                persistence["netmask"] = bits
        svc["persistence"] = persistence
        if draw(st.booleans()):
            svc["persistence_engine"] = "sip"
    if protocol == "udp" or fwmark:
        svc["one_packet"] = draw(st.sampled_from((True, False, "yes", "no")))
    forwarding = draw(st.sampled_from(("direct", "masquerade", "tunnel", "dr", "nat", "tun")))
    svc["forwarding"] = forwarding
    servers = draw(st.lists(real_server(family, forwarding, port, fwmark), max_size=4))
    seen = set()
    svc["real_servers"] = []
    for rs in servers:
        canon = _schema.FORWARDING_ALIASES[rs["forwarding"]]
        key = (_schema.canonical_address(rs["address"])[0], rs.get("port") if canon == "masquerade" else port)
        if key not in seen:
            seen.add(key)
            svc["real_servers"].append(rs)
    return svc


@st.composite
def model(draw):
    count = draw(st.integers(1, 6))
    services, keys = [], set()
    for i in range(count):
        svc = draw(service(i))
        key = ("fwmark", svc["fwmark"], svc["family"]) if "fwmark" in svc else (svc["protocol"], _schema.canonical_address(svc["address"])[0], svc["port"])
        if key not in keys:
            keys.add(key)
            services.append(svc)
    return services


@SETTINGS
@given(model())
def test_normalising_is_a_fixed_point(services):
    once = normalise_services(copy.deepcopy(services))
    assert normalise_services(copy.deepcopy(once)) == once


@SETTINGS
@given(model())
def test_parse_of_render_is_the_table(services):
    table, _names = _ipvs.table_from_services(normalise_services(services))
    # the canonical -Sn lines and the threshold lines
    saved = _ipvs.parse_save("\n".join(_ipvs.save_lines(table)))
    assert _ipvs.merge_thresholds_lines(saved, _ipvs.threshold_lines(table)) == table
    # the -R lines (thresholds included)
    assert _ipvs.parse_save("\n".join(_ipvs.render_table(table))) == table


@SETTINGS
@given(model(), st.booleans())
def test_a_second_apply_is_a_no_op(services, purge):
    lines, _thresholds, _names, _schedulers = _ipvsadm.desired_table(services)
    scope = _ipvs.parse_scope(_ipvs_scope(services)) if purge else None
    # the kernel prints the table sorted its own way: the order of the lines does not matter
    plan, _current = _ipvsadm.line_plan(sorted(lines, reverse=True), lines, purge=purge, scope=scope)
    assert not plan


@SETTINGS
@given(model())
def test_a_first_apply_adds_exactly_the_rendered_lines(services):
    lines, _thresholds, _names, _schedulers = _ipvsadm.desired_table(services)
    plan, _current = _ipvsadm.line_plan([], lines)
    assert _ipvs.render_plan(plan) == lines
    assert _ipvs.apply_plan(_ipvs.Table(), plan) == _ipvs.parse_save("\n".join(lines))


def _ipvs_scope(services):
    return ipvs_scope(normalise_services(services))
