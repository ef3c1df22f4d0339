# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lvs_status_table: one table across the directors (playbooks/status.yml)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.filter.lvs_ipvs_services import lvs_ipvs_services
from ansible_collections.lvs.cluster.plugins.filter.lvs_services import lvs_services
from ansible_collections.lvs.cluster.plugins.filter.lvs_status_table import lvs_status_table

MODEL = [
    {"name": "web", "address": "192.0.2.10", "port": 80, "real_servers": [{"address": "192.0.2.11"}, {"address": "192.0.2.12", "weight": 2}]},
    {"name": "six", "address": "2001:DB8:1::10", "port": 443, "real_servers": [{"address": "2001:db8:1::11"}]},
    {"name": "mark", "fwmark": 6, "vips": ["192.0.2.20"], "check": {"type": "none"}, "real_servers": [{"address": "192.0.2.11"}]},
]


def dest(server, weight=1, active=0, inactive=0, cps=0):
    return {
        "server": server,
        "forwarding": "direct",
        "weight": weight,
        "connections": {"active": active, "inactive": inactive},
        "rates": {"cps": cps, "inpps": cps * 7, "outpps": 0, "inbps": cps * 700, "outbps": 0},
    }


def table(weight2=2, active=3):
    return [
        {"service": "tcp/192.0.2.10:80", "address": "192.0.2.10", "fwmark": None,
         "real_servers": [dest("192.0.2.11:80", active=active, inactive=9, cps=4), dest("192.0.2.12:80", weight=weight2)]},
        {"service": "tcp/[2001:db8:1::10]:443", "address": "2001:db8:1::10", "fwmark": None, "real_servers": [dest("[2001:db8:1::11]:443")]},
        {"service": "fwmark/6", "address": None, "fwmark": 6, "real_servers": [dest("192.0.2.11:0")]},
    ]


def rows(lines):
    return [line.split() for line in lines[1:]]


@pytest.fixture
def model():
    return lvs_ipvs_services(lvs_services(MODEL))


def test_the_master_is_the_holder_and_its_counters_are_shown(model):
    dir1 = {"host": "dir1", "addresses": ["127.0.0.1", "192.0.2.2", "192.0.2.10", "2001:db8:1::10", "fe80::1%eth0"], "services": table()}
    dir2 = {"host": "dir2", "addresses": ["192.0.2.3"], "services": table(active=0)}
    lines = lvs_status_table([dir1, dir2], model)
    assert lines[0].split()[:4] == ["SERVICE", "NAME", "MASTER", "FROM"]
    got = rows(lines)
    assert got[0] == ["tcp/192.0.2.10:80", "web", "dir1", "dir1", "192.0.2.11:80", "direct", "1", "3", "9", "4", "28", "0", "2800", "0"]
    assert got[1][:8] == ["tcp/192.0.2.10:80", "web", "dir1", "dir1", "192.0.2.12:80", "direct", "2", "0"]
    assert got[2][:5] == ["tcp/[2001:db8:1::10]:443", "six", "dir1", "dir1", "[2001:db8:1::11]:443"]
    # a fwmark service has no address: it follows the director that holds the VIPs
    assert got[3][:5] == ["fwmark/6", "mark", "dir1", "dir1", "192.0.2.11:0"]
    assert len(got) == 4
    # the columns line up
    assert len({len(line) for line in lines[:3]}) <= 2 and all(line.index("MASTER") == lines[0].index("MASTER") for line in lines[:1])


def test_no_holder_shows_every_director_and_a_diverged_weight_is_marked(model):
    dir1 = {"host": "dir1", "addresses": ["192.0.2.2"], "services": table()}
    dir2 = {"host": "dir2", "addresses": ["192.0.2.3"], "services": table(weight2=5)}
    got = rows(lvs_status_table([dir1, dir2], model))
    web = [row for row in got if row[0] == "tcp/192.0.2.10:80"]
    assert [(row[2], row[3], row[4], row[6]) for row in web] == [
        ("-", "dir1", "192.0.2.11:80", "1"),
        ("-", "dir1", "192.0.2.12:80", "2!"),
        ("-", "dir2", "192.0.2.11:80", "1"),
        ("-", "dir2", "192.0.2.12:80", "5!"),
    ]


def test_split_brain_shows_both_masters_and_a_missing_service():
    dir1 = {"host": "dir1", "addresses": ["192.0.2.10"], "services": table()[:1]}
    dir2 = {"host": "dir2", "addresses": ["192.0.2.10"], "services": []}
    got = rows(lvs_status_table([dir1, dir2]))
    assert {row[2] for row in got} == {"dir1,dir2"}
    assert [row[3] for row in got] == ["dir1", "dir1", "dir2"]
    assert got[2][4:] == ["(no", "such", "service)"]


def test_a_service_without_real_servers_and_no_model():
    svc = {"service": "udp/192.0.2.10:53", "address": "192.0.2.10", "fwmark": None, "real_servers": []}
    got = rows(lvs_status_table([{"host": "dir1", "addresses": [], "services": [svc]}]))
    assert got == [["udp/192.0.2.10:53", "-", "-", "dir1", "(no", "real", "server)"]]


@pytest.mark.parametrize(
    "directors, model, needle",
    [
        ({"host": "dir1"}, None, "expects a list of directors"),
        ([{"host": "dir1"}], None, "[0] needs host (str) and services"),
        ([{"host": "dir1", "services": [], "addresses": ["dir1.example"]}], None, "'dir1.example' is not an IP address"),
        ([{"host": "dir1", "services": []}], [{"name": "web"}], "model must be the output of lvs.cluster.lvs_ipvs_services"),
        ([{"host": "dir1", "services": []}], MODEL, "model must be the output of lvs.cluster.lvs_ipvs_services"),
    ],
)
def test_bad_input_names_what_is_wrong(directors, model, needle):
    with pytest.raises(AnsibleFilterError, match=None) as err:
        lvs_status_table(directors, model)
    assert needle in str(err.value)
