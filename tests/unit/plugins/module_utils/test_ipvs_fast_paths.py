# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shortcuts that keep big tables cheap give the same results and the same messages as the
long way: cached canonical addresses, parse errors named by line, no-op diffs, rendering with the
service part computed once, the paused collector."""

from __future__ import annotations

import gc

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs, _ipvsadm, _schema
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs import DestAttrs, IPVSError, ServiceKey
from ansible_collections.lvs.cluster.plugins.module_utils._service_model import normalise_services

V4 = ServiceKey("tcp", "192.0.2.10", 80, 0, "ipv4")
GOOD = {"name": "web", "address": "192.0.2.10", "port": 80, "real_servers": [{"address": "192.0.2.11"}]}


def test_a_str_subclass_gives_a_plain_str(monkeypatch):
    """Ansible's tagged strings are str subclasses; the canonical form is a plain str."""

    class Tagged(str):
        pass

    monkeypatch.setattr(_schema, "_ADDRESS_CACHE", {})
    for text in ("192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"):
        address, _family = _schema.canonical_address(Tagged(text))
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
    current, _names = _ipvs.table_from_services(normalise_services([GOOD]))
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


def _big_lines(services):
    lines = []
    for i in range(services):
        vip = "192.0.2.%d:%d" % (1 + i // 1000 % 250, 1000 + i % 1000)
        lines.append("-A -t %s -s wrr" % vip)
        lines.extend("-a -t %s -r 198.51.100.%d:%d -m -w %d" % (vip, 10 + j, 8000 + j, 1 + j) for j in range(4))
    return lines


def test_the_wire_text_round_trips_and_is_a_fraction_of_the_lines():
    """What the action plugin sends the module: the same lines back, in a small part of their size
    (AnsiballZ would carry them uncompressed in the wrapper's source)."""
    lines = _big_lines(2000)
    text = _ipvsadm.wire_text(lines)
    assert text.splitlines()[0] == _ipvsadm.DESIRED_HEADER
    assert _ipvsadm._from_wire(text) == lines
    plain = sum(len(line) + 1 for line in lines)
    assert len(text) * 5 < plain, (len(text), plain)
    assert _ipvsadm._from_wire(_ipvsadm.wire_text([])) == []
    assert _ipvsadm._from_wire(None) == [] and _ipvsadm._from_wire("") == []


@pytest.mark.parametrize("text", ["-A -t 192.0.2.10:80 -s wlc\n", _ipvsadm.DESIRED_HEADER + "\nnot base64!", _ipvsadm.DESIRED_HEADER + "\nAAAA"])
def test_a_wire_text_not_from_the_action_plugin_is_refused(text):
    with pytest.raises(_ipvsadm.ModuleError, match="not the action plugin's text"):
        _ipvsadm._from_wire(text)
