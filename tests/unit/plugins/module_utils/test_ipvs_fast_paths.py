# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shortcuts that keep big tables cheap give the same results and the same messages as the
long way: parameter names built only on failure, canonical IPv4 without ipaddress, parse errors
named by line, no-op diffs, rendering with the service part computed once, the paused collector.
The expected messages were recorded from the code before these shortcuts."""

from __future__ import annotations

import gc
import ipaddress

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs, _ipvsadm
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs import DestAttrs, IPVSError, ServiceKey

V4 = ServiceKey("tcp", "192.0.2.10", 80, 0, "ipv4")
GOOD = {"name": "web", "address": "192.0.2.10", "port": 80, "real_servers": [{"address": "192.0.2.11"}]}
WEB = "services[1] (web)."


@pytest.mark.parametrize(
    ("svc", "msg", "param", "value"),
    [
        (
            dict(GOOD, real_servers=[{"address": "192.0.2.11"}, {"address": "192.0.2.12", "weight": "heavy"}]),
            WEB + "real_servers[1].weight: 'heavy' is not an integer",
            WEB + "real_servers[1].weight",
            "heavy",
        ),
        (
            dict(GOOD, real_servers=[{"address": "192.0.2.11", "port": 8080}]),
            WEB + "real_servers[0].port: 8080 differs from the service port 80: only forwarding=masquerade can map ports",
            WEB + "real_servers[0].port",
            8080,
        ),
        (
            dict(GOOD, real_servers=[{"address": "192.0.2.11", "upper_threshold": 10, "lower_threshold": 20}]),
            WEB + "real_servers[0].lower_threshold: 20 is greater than upper_threshold 10",
            WEB + "real_servers[0].lower_threshold",
            20,
        ),
        (
            dict(GOOD, real_servers=[{"address": "192.0.2.11", "forwarding": "tunnel"}], tunnel={"type": "gue"}),
            WEB + "real_servers[0].tunnel_port: required with tunnel_type=gue",
            WEB + "real_servers[0].tunnel_port",
            None,
        ),
        (
            dict(GOOD, real_servers=[{"address": "2001:db8::11"}]),
            WEB + "real_servers[0].address: '2001:db8::11' is an IPv6 address but the service family is ipv4",
            WEB + "real_servers[0].address",
            "2001:db8::11",
        ),
        (
            dict(GOOD, real_servers=[{"address": "192.0.2.11", "colour": "blue"}]),
            WEB + "real_servers[0].colour: 'blue' is not a field of a real server",
            WEB + "real_servers[0].colour",
            "blue",
        ),
        (dict(GOOD, real_servers=["192.0.2.11"]), WEB + "real_servers[0]: '192.0.2.11' must be a dict", WEB + "real_servers[0]", "192.0.2.11"),
        (
            dict(GOOD, real_servers=[{"host": "web1"}]),
            WEB + "real_servers[0].address: required (host 'web1' must be resolved to an address first, e.g. with lvs.cluster.lvs_services)",
            WEB + "real_servers[0].address",
            None,
        ),
        (
            dict(GOOD, persistence={"timeout": 60, "netmask": "255.0.255.0"}),
            WEB + "persistence.netmask: '255.0.255.0' is not an IPv4 netmask (e.g. 255.255.255.0) or prefix length 1-32",
            WEB + "persistence.netmask",
            "255.0.255.0",
        ),
        (dict(GOOD, port=None), WEB + "port: required with address 192.0.2.10", WEB + "port", None),
        (
            {"address": "192.0.2.10", "port": 80, "real_servers": [{"address": "192.0.2.11", "weight": -1}]},
            "services[1].real_servers[0].weight: -1 is out of range (0-65535)",
            "services[1].real_servers[0].weight",
            -1,
        ),
        (
            dict(GOOD, scheduler="sh", sched_flags=["mh-port"]),
            WEB + "sched_flags: 'mh-port' is a flag of the mh scheduler, not of sh",
            WEB + "sched_flags",
            "mh-port",
        ),
        (dict(GOOD, forwarding="nat"), WEB + "forwarding: 'nat' must be one of direct, tunnel, masquerade", WEB + "forwarding", "nat"),
    ],
)
def test_model_errors_are_named_as_before(svc, msg, param, value):
    with pytest.raises(IPVSError) as err:
        _ipvs.table_from_model([{"name": "x", "address": "192.0.2.9", "port": 1}, svc])
    assert (err.value.msg, err.value.param, err.value.value) == (msg, param, value)
    assert str(err.value) == msg


@pytest.mark.parametrize(
    ("call", "msg", "param", "value"),
    [
        (lambda: _ipvs.make_dest(V4, "192.0.2.11", weight=70000, prefix="x.", names={"weight": "w"}), "x.w: 70000 is out of range (0-65535)", "x.w", 70000),
        (
            lambda: _ipvs.make_dest(V4, "192.0.2.11", forwarding="tunnel", tunnel_type="gue", prefix="rs."),
            "rs.tunnel_port: required with tunnel_type=gue",
            "rs.tunnel_port",
            None,
        ),
        (
            lambda: _ipvs.make_dest(V4, "192.0.2.11", port=8080, names={"port": "server_port"}),
            "server_port: 8080 differs from the service port 80: only forwarding=masquerade can map ports",
            "server_port",
            8080,
        ),
        (
            lambda: _ipvs.make_service_attrs(V4, persistent=60, netmask="64x", prefix="s.", names={"netmask": "persistence.netmask"}),
            "s.persistence.netmask: '64x' is not an IPv4 netmask (e.g. 255.255.255.0) or prefix length 1-32",
            "s.persistence.netmask",
            "64x",
        ),
        (lambda: _ipvs.make_service_key(address="192.0.2.10", prefix="s."), "s.port: required with address 192.0.2.10", "s.port", None),
    ],
)
def test_prefix_and_names_rename_the_parameter(call, msg, param, value):
    with pytest.raises(IPVSError) as err:
        call()
    assert (err.value.msg, err.value.param, err.value.value) == (msg, param, value)


TEXTS = [
    *("%d.1.2.3" % first for first in (0, 1, 9, 10, 99, 100, 127, 199, 200, 223, 224, 239, 240, 249, 250, 255, 256)),
    "0.0.0.0",
    "0.0.0.1",
    "192.0.2.255",
    "255.255.255.255",
    "01.2.3.4",
    "1.2.3.04",
    "00.0.0.0",
    "1.2.3",
    "1.2.3.4.5",
    "1.2.3.",
    " 192.0.2.1",
    "192.0.2.1\n",
    "[192.0.2.1]",
    "\uff11.2.3.4",
    "192.0.2.1/32",
    "2001:db8::1",
    "::ffff:192.0.2.1",
    "",
]


def _with_ipaddress(text):
    """What normalise_address said when it always asked ipaddress."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return "is not an IPv4 or IPv6 address"
    if ip.is_multicast or ip.is_unspecified:
        return "is not a unicast address"
    return (ip.compressed, "ipv6" if ip.version == 6 else "ipv4")


@pytest.mark.parametrize("text", TEXTS)
def test_canonical_ipv4_shortcut_agrees_with_ipaddress(text, monkeypatch):
    monkeypatch.setattr(_ipvs, "_ADDRESS_CACHE", {})
    expected = _with_ipaddress(text)
    for _attempt in range(2):  # parsed, then from the cache
        if isinstance(expected, tuple):
            assert _ipvs.normalise_address("address", text) == expected
        else:
            with pytest.raises(IPVSError) as err:
                _ipvs.normalise_address("address", text)
            assert err.value.msg == "address: %r %s" % (text, expected)


def test_a_str_subclass_gives_a_plain_str(monkeypatch):
    class Tagged(str):
        pass

    monkeypatch.setattr(_ipvs, "_ADDRESS_CACHE", {})
    for text in ("192.0.2.1", "2001:db8::1"):
        address, _family = _ipvs.normalise_address("address", Tagged(text))
        assert address == text and not isinstance(address, Tagged)


@pytest.mark.parametrize(
    ("text", "msg"),
    [
        (
            "-A -t 192.0.2.1:80 -s wrr\n-a -t 192.0.2.1:80 -r 192.0.2.2:80 -g -w 1\n-a -t 192.0.2.1:80 -r 192.0.2.3:80 --bogus\n",
            "line 3 (-a -t 192.0.2.1:80 -r 192.0.2.3:80 --bogus): unknown destination option '--bogus'",
        ),
        (
            "-A -t 192.0.2.1:80 -s wrr\n\n-a -t 192.0.2.1:80 -r 192.0.2.2:80 -g -w x\n",
            "cannot parse ipvsadm output at line 3 (-a -t 192.0.2.1:80 -r 192.0.2.2:80 -g -w x): invalid literal for int() with base 10: 'x'",
        ),
        ("-A -t 192.0.2.1:80 -s wrr\n-a -t 192.0.2.1:80 -g\n", "line 2 (-a -t 192.0.2.1:80 -g): destination without -r"),
        ("-Z -t 192.0.2.1:80\n", "line 1 (-Z -t 192.0.2.1:80): expected -A or -a"),
        ("-A -q 192.0.2.1:80\n", "line 1 (-A -q 192.0.2.1:80): expected a service option (-t, -u, --sctp-service, -f), got '-q'"),
        ("-a -t 192.0.2.1:80 -r 192.0.2.2:80\n", "line 1 (-a -t 192.0.2.1:80 -r 192.0.2.2:80): destination of an unknown service tcp/192.0.2.1:80"),
    ],
)
def test_parse_errors_name_the_line(text, msg):
    with pytest.raises(IPVSError) as err:
        _ipvs.parse_save(text)
    assert err.value.msg == msg and err.value.param is None


def test_the_token_parsers_still_name_a_place_given_to_them():
    with pytest.raises(IPVSError, match=r"^here: unknown destination option '--bogus'$"):
        _ipvs._dest_from_tokens(["-a", "-t", "192.0.2.1:80", "--bogus"], 3, V4, "here")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.1:80", ("192.0.2.1", 80, "ipv4")),
        ("192.0.2.1", ("192.0.2.1", None, "ipv4")),
        ("[2001:db8::1]:80", ("2001:db8::1", 80, "ipv6")),
        ("[2001:db8::1]", ("2001:db8::1", None, "ipv6")),
        ("2001:db8::1", ("2001:db8::1", None, "ipv6")),
        ("::1", ("::1", None, "ipv6")),
    ],
)
def test_split_hostport(text, expected):
    assert _ipvs.split_hostport(text) == expected


def test_rendering_with_the_service_part_given_is_the_same():
    tun = DestAttrs("tunnel", 5, 10, 2, "gue", 6080, "remcsum")
    nat = DestAttrs("masquerade", 1, 0, 0, None, None, None)
    v6 = ServiceKey("udp", "2001:db8::10", 53, 0, "ipv6")
    for key, dkey, attrs, line in [
        (V4, ("192.0.2.11", 80), tun, "-t 192.0.2.10:80 -r 192.0.2.11:80 -i -w 5 -x 10 -y 2 --tun-type gue --tun-port 6080 --tun-remcsum"),
        (V4, ("192.0.2.12", 8080), nat, "-t 192.0.2.10:80 -r 192.0.2.12:8080 -m -w 1 -x 0 -y 0"),
        (v6, ("2001:db8::11", 53), nat, "-u [2001:db8::10]:53 -r [2001:db8::11]:53 -m -w 1 -x 0 -y 0"),
    ]:
        assert _ipvs.dest_args(key, dkey, attrs) == line
        assert _ipvs.dest_args(key, dkey, attrs, key.args()) == line


def test_unchanged_destinations_are_a_no_op_and_extra_ones_are_still_purged():
    current, _names = _ipvs.table_from_model([GOOD])
    desired = current.copy()
    assert not _ipvs.diff_tables(current, desired, purge_dests=True)
    current.dests[V4][("192.0.2.12", 80)] = DestAttrs("direct", 1, 0, 0, None, None, None)
    plan = _ipvs.diff_tables(current, desired, purge_dests=True)
    assert _ipvs.render_plan(plan) == ["-d -t 192.0.2.10:80 -r 192.0.2.12:80"]
    assert not _ipvs.diff_tables(current, desired, purge_dests=False)


def test_gc_paused_restores_the_collector():
    assert gc.isenabled()
    with _ipvsadm._gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), _ipvsadm._gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with _ipvsadm._gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "a collector that was off stays off"
    finally:
        gc.enable()
