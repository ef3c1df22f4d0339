# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers of _arptables over outputs recorded in a network namespace (arptables 0.0.5 legacy, 1.8.9 nft, nft 1.0.6)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils import _arptables as A

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "hostmods")

RECORDED = [
    "-A INPUT -j DROP -d 192.0.2.10",
    "-A INPUT -j DROP -i eth1 -d 192.0.2.11",
    "-A OUTPUT -j mangle -s 192.0.2.10 --mangle-ip-s 198.51.100.11",
    "-A OUTPUT -j ACCEPT -o eth1 -s 192.0.2.11",
]


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


@pytest.mark.parametrize("name", ["arptables_legacy_L.txt", "arptables_nft_L.txt"])
def test_parse_list_both_variants(name):
    assert [r.save_line() for r in A.parse_list(fixture(name))] == RECORDED


@pytest.mark.parametrize("name", ["arptables_legacy_L_empty.txt", "arptables_nft_L_empty.txt"])
def test_parse_empty_tables(name):
    assert A.parse_list(fixture(name)) == []


def test_parse_save_nft_variant():
    assert [r.save_line() for r in A.parse_save(fixture("arptables_nft_save.txt"))] == RECORDED


def test_parsed_rules_equal_rules_made_from_parameters():
    rules = A.parse_list(fixture("arptables_legacy_L.txt"))
    assert rules[0] == A.make_rule({"chain": "INPUT", "destination": "192.0.2.10/32", "jump": "DROP"})
    assert rules[2] == A.make_rule({"chain": "OUTPUT", "source": "192.0.2.10", "jump": "mangle", "mangle_ip_source": "198.51.100.11"})
    assert rules[1] != A.make_rule({"chain": "INPUT", "destination": "192.0.2.11", "jump": "DROP"})  # interface differs


def test_native_nft_json_and_our_own_file_round_trip():
    rules = A.parse_nft_json(fixture("nft_arp_table.json"))
    assert [(r.save_line(), r.handle) for r in rules] == [
        ("-A OUTPUT -j mangle -s 192.0.2.10 --mangle-ip-s 198.51.100.11", 2),
        ("-A INPUT -j DROP -i eth1 -d 192.0.2.10", 4),
    ]
    assert [r.nft() for r in rules] == ["arp saddr ip 192.0.2.10 arp saddr ip set 198.51.100.11", 'iifname "eth1" arp daddr ip 192.0.2.10 drop']
    assert A.parse_nft_file("\tchain output {\n\t\t%s\n\t}\n\tchain input {\n\t\t%s\n" % (rules[0].nft(), rules[1].nft())) == rules


def test_rules_of_arptables_nft_seen_by_nft_are_not_ours():
    # arptables-nft writes into table arp filter with htype/hlen/plen matches and an xt target
    rules = A.parse_nft_json(fixture("arptables_nft_ruleset.json"))
    assert rules
    assert all(r.extra for r in rules)


def test_unknown_options_keep_a_rule_from_matching():
    rule = A.parse_list("Chain INPUT (policy ACCEPT)\n-j DROP -d 192.0.2.10 --h-length 6\n")[0]
    assert rule.extra == ("--h-length", "6")
    assert rule != A.make_rule({"chain": "INPUT", "destination": "192.0.2.10", "jump": "DROP"})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"chain": "INPUT", "destination": "192.0.2.300", "jump": "DROP"}, "destination='192.0.2.300' is not an IPv4 address"),
        ({"chain": "INPUT", "destination": "2001:db8::1", "jump": "DROP"}, "destination='2001:db8::1' is not an IPv4 address"),
        ({"chain": "OUTPUT", "source": "192.0.2.10", "jump": "mangle"}, "jump=mangle needs mangle_ip_source"),
        ({"chain": "OUTPUT", "jump": "mangle", "mangle_ip_source": "198.51.100.11"}, "jump=mangle without source"),
        ({"chain": "INPUT", "source": "192.0.2.10", "jump": "mangle", "mangle_ip_source": "198.51.100.11"}, "works in OUTPUT only"),
        ({"chain": "INPUT", "destination": "192.0.2.10", "jump": "DROP", "mangle_ip_source": "198.51.100.11"}, "only valid with jump=mangle"),
        ({"chain": "INPUT", "out_interface": "eth1", "jump": "DROP"}, "out_interface='eth1': the INPUT chain"),
        ({"chain": "OUTPUT", "in_interface": "eth1", "jump": "DROP"}, "in_interface='eth1': the OUTPUT chain"),
        ({"chain": "INPUT", "in_interface": "eth 1", "jump": "DROP"}, "in_interface='eth 1' is not a valid interface name"),
    ],
)
def test_make_rule_rejects(spec, message):
    with pytest.raises(A.ModuleError) as exc:
        A.make_rule(spec)
    assert message in exc.value.msg
