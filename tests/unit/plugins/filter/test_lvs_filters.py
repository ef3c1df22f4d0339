# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.filter import lvs_host_services, lvs_host_vips, lvs_services

HOSTVARS = {"rs1": {"lvs_real_server_address": "192.0.2.21"}, "rs2": {"ansible_host": "198.51.100.22"}}
MODEL = [
    {"name": "web", "address": "192.0.2.10", "port": 80, "real_servers": [{"host": "rs1"}]},
    {"name": "api", "address": "198.51.100.10", "port": 443, "forwarding": "nat", "real_servers": [{"host": "rs2", "port": 8443}, {"host": "rs1"}]},
]


def test_filter_names_match_files():
    assert set(lvs_services.FilterModule().filters()) == {"lvs_services"}
    assert set(lvs_host_services.FilterModule().filters()) == {"lvs_host_services"}
    assert set(lvs_host_vips.FilterModule().filters()) == {"lvs_host_vips"}


def test_pipeline():
    services = lvs_services.lvs_services(MODEL, HOSTVARS)
    assert [rs["address"] for rs in services[1]["real_servers"]] == ["198.51.100.22", "192.0.2.21"]
    mine = lvs_host_services.lvs_host_services(services, "rs2")
    assert [(s["name"], s["real_server"]["port"]) for s in mine] == [("api", 8443)]
    assert lvs_host_vips.lvs_host_vips(services, "rs1") == ["192.0.2.10", "198.51.100.10"]
    assert lvs_host_vips.lvs_host_vips(services, "rs1", "dr") == ["192.0.2.10"]
    assert lvs_host_vips.lvs_host_vips(services, "rs1", "nat") == ["198.51.100.10"]


def test_errors_are_filter_errors_naming_service_and_field():
    bad = [dict(MODEL[0]), dict(MODEL[1], scheduler="fastest")]
    with pytest.raises(AnsibleFilterError, match=r"^lvs_virtual_services\[1\]\.scheduler: 'fastest' is not one of .* \(service 'api'\)$"):
        lvs_services.lvs_services(bad, HOSTVARS)
    with pytest.raises(AnsibleFilterError, match=r"lvs_host_vips: forwarding: 'bridge'"):
        lvs_host_vips.lvs_host_vips(lvs_services.lvs_services(MODEL, HOSTVARS), "rs1", "bridge")


@pytest.mark.parametrize("func", [lambda s: lvs_host_services.lvs_host_services(s, "rs1"), lambda s: lvs_host_vips.lvs_host_vips(s, "rs1")])
def test_views_refuse_the_raw_model(func):
    with pytest.raises(AnsibleFilterError, match=r"expects the output of lvs\.cluster\.lvs_services"):
        func(MODEL)
