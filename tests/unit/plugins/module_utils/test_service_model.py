# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy

import pytest
from ansible.module_utils.common.validation import check_type_bool

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs as ipvs
from ansible_collections.lvs.cluster.plugins.module_utils._service_model import (
    ServiceModelError,
    has_forwarding,
    host_services,
    host_vips,
    ipvs_services,
    normalise_services,
    schedulers_in_use,
    service_vips,
    virtual_server_key,
)

HOSTVARS = {
    "web1": {"lvs_real_server_address": "192.0.2.21", "ansible_host": "203.0.113.21"},
    "web2": {"ansible_host": "192.0.2.22"},
    "app1": {"lvs_real_server_address": "198.51.100.31", "lvs_real_server_address6": "2001:db8:2::31"},
    "192.0.2.40": {},
    "noaddr": {},
    "badaddr": {"ansible_host": "web.example"},
}

WEB = {
    "name": "web",
    "address": "192.0.2.10",
    "port": 80,
    "scheduler": "wrr",
    "check": {"type": "http", "path": "/health", "status": 200, "connect_timeout": 3},
    "real_servers": [{"host": "web1"}, {"host": "web2", "weight": 2}, {"address": "192.0.2.13"}],
}


def norm(*services):
    return normalise_services(copy.deepcopy(list(services)), HOSTVARS)


def fails(match, *services, hostvars="inventory"):
    with pytest.raises(ServiceModelError, match=match):
        normalise_services(copy.deepcopy(list(services)), HOSTVARS if hostvars == "inventory" else hostvars)


def svc(**over):
    data = copy.deepcopy(WEB)
    data.update(over)
    return data


def test_defaults_and_resolution():
    (web,) = norm(WEB)
    assert web["protocol"] == "tcp"
    assert web["forwarding"] == "direct"
    assert web["method"] == "DR"
    assert web["family"] == "ipv4"
    assert web["delay_loop"] == 6
    assert web["persistence"] is None
    assert web["vips"] == ["192.0.2.10"]
    assert web["virtual_servers"] == [{"address": "192.0.2.10", "port": 80, "fwmark": None, "family": "ipv4", "protocol": "tcp"}]
    rs = web["real_servers"]
    # lvs_real_server_address wins over ansible_host; ansible_host is used when it is the only one
    assert [r["address"] for r in rs] == ["192.0.2.21", "192.0.2.22", "192.0.2.13"]
    assert [r["host"] for r in rs] == ["web1", "web2", None]
    assert [r["weight"] for r in rs] == [1, 2, 1]
    assert all(r["port"] == 80 and r["forwarding"] == "direct" for r in rs)
    # the normalised check is a list of checkers; an http(s) checker says its URLs once, in urls
    assert rs[0]["check"] == [{"type": "http", "checker": "HTTP_GET", "connect_timeout": 3, "delay_before_retry": None, "warmup": None,
                               "retry": None, "delay_loop": None, "log_all_failures": False, "connect_port": None, "connect_ip": None,
                               "bind_to": None, "bind_port": None, "bind_if": None, "fwmark": None, "path": None, "status": None,
                               "digest": None, "regex": None, "regex_no_match": None, "virtualhost": None,
                               "urls": [{"path": "/health", "status": [200], "digest": None, "regex": None, "regex_no_match": False,
                                         "virtualhost": None}]}]


def test_default_check_is_tcp():
    (web,) = norm(svc(check=None))
    assert [c["type"] for c in web["check"]] == ["tcp"]
    assert web["check"][0]["checker"] == "TCP_CHECK"


def test_host_that_is_an_address_and_ipv6_resolution():
    (one,) = norm(svc(real_servers=[{"host": "192.0.2.40"}]))
    assert one["real_servers"][0]["address"] == "192.0.2.40"
    (six,) = norm({"name": "v6", "address": "2001:db8:1::10", "port": 443, "real_servers": [{"host": "app1"}]})
    assert six["family"] == "ipv6"
    assert six["real_servers"][0]["address"] == "2001:db8:2::31"


def test_address_canonicalised_and_explicit_address_overrides_host():
    (six,) = norm({"name": "v6", "address": "2001:DB8:1:0::10", "port": 443,
                   "real_servers": [{"host": "web1", "address": "2001:db8:1:0:0::21"}]})
    assert six["address"] == "2001:db8:1::10"
    assert six["real_servers"][0] == dict(six["real_servers"][0], host="web1", address="2001:db8:1::21")
    assert virtual_server_key(six["virtual_servers"][0]) == "tcp [2001:db8:1::10]:443"


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"scheduler": "fastest"}, r"^lvs_virtual_services\[0\]\.scheduler: 'fastest' is not one of rr, wrr, .* \(service 'web'\)$"),
        ({"forwarding": "bridge"}, r"^lvs_virtual_services\[0\]\.forwarding: 'bridge' is not one of direct, dr, "),
        ({"protocol": "icmp"}, r"^lvs_virtual_services\[0\]\.protocol: 'icmp' is not one of tcp, udp, sctp"),
        ({"port": 70000}, r"^lvs_virtual_services\[0\]\.port: 70000 is out of range 0-65535"),
        ({"port": None}, r"^lvs_virtual_services\[0\]\.port: required with address"),
        ({"port": 0}, r"^lvs_virtual_services\[0\]\.port: 0 \(all ports\) needs persistence"),
        ({"address": "192.0.2.300"}, r"^lvs_virtual_services\[0\]\.address: '192.0.2.300' is not an IPv4 or IPv6 address"),
        ({"address": None}, r"^lvs_virtual_services\[0\]\.address: required"),
        ({"check": {"type": "http_get"}}, r"^lvs_virtual_services\[0\]\.check\.type: 'http_get' is not one of tcp, http, https"),
        ({"check": {"type": "tcp", "path": "/x"}}, r"^lvs_virtual_services\[0\]\.check\.path: '/x': does not apply to a tcp check"),
        ({"check": {"type": "http", "status": 999}}, r"^lvs_virtual_services\[0\]\.check\.status: 999 is out of range 100-599"),
        ({"check": {"type": "http", "digest": "abc"}}, r"^lvs_virtual_services\[0\]\.check\.digest: 'abc' is not an MD5"),
        ({"check": {"type": "misc"}}, r"^lvs_virtual_services\[0\]\.check\.path: required: a misc check needs the command"),
        ({"check": {"type": "dns", "query_type": "ANY"}}, r"^lvs_virtual_services\[0\]\.check\.query_type: 'ANY' is not one of"),
        ({"sched_flags": ["sh-port"]}, r"^lvs_virtual_services\[0\]\.sched_flags\[0\]: 'sh-port' is a flag of the sh scheduler, not of 'wrr'"),
        ({"sched_flags": ["fast"]}, r"^lvs_virtual_services\[0\]\.sched_flags\[0\]: 'fast' is not one of"),
        ({"persistence": {"timeout": 60, "netmask": "255.0.255.0"}},
         r"^lvs_virtual_services\[0\]\.persistence\.netmask: '255.0.255.0' is not a contiguous IPv4 netmask"),
        ({"persistence_engine": "sip"}, r"^lvs_virtual_services\[0\]\.persistence_engine: 'sip' needs persistence"),
        ({"one_packet": True}, r"^lvs_virtual_services\[0\]\.one_packet: True: one-packet scheduling applies to UDP"),
        ({"delay_loop": 0}, r"^lvs_virtual_services\[0\]\.delay_loop: 0 is out of range"),
        ({"colour": "red"}, r"^lvs_virtual_services\[0\]\.colour: unknown key 'colour'; allowed: name, address, "),
        ({"name": None}, r"^lvs_virtual_services\[0\]\.name: required$"),
        ({"real_servers": None}, r"^lvs_virtual_services\[0\]\.real_servers: required"),
        ({"address": None, "fwmark": 5}, r"^lvs_virtual_services\[0\]\.port: 80: a fwmark service has no port"),
        ({"fwmark": 5}, r"^lvs_virtual_services\[0\]\.fwmark: 5 given with address '192.0.2.10': give either fwmark or address, not both"),
        ({"tunnel": {"type": "ipip"}}, r"^lvs_virtual_services\[0\]\.tunnel: \{'type': 'ipip'\}: tunnel options given but forwarding is 'direct'"),
        ({"vips": ["192.0.2.11"]}, r"^lvs_virtual_services\[0\]\.vips\[0\]: '192.0.2.11': only fwmark services list vips"),
        ({"sorry_server": {"address": "nowhere"}}, r"^lvs_virtual_services\[0\]\.sorry_server\.address: 'nowhere' is not an IPv4 or IPv6"),
        ({"quorum": {"quorum": 0}}, r"^lvs_virtual_services\[0\]\.quorum\.quorum: 0 is out of range"),
        ({"inhibit_on_failure": "maybe"}, r"^lvs_virtual_services\[0\]\.inhibit_on_failure: 'maybe' is not a boolean"),
    ],
)
def test_service_errors_name_service_field_and_value(over, match):
    fails(match, svc(**over))


@pytest.mark.parametrize(
    ("servers", "match"),
    [
        ([{"weight": 1}], r"^lvs_virtual_services\[0\]\.real_servers\[0\]: needs host .* or address"),
        ([{"host": "nohost"}], r"real_servers\[0\].host: host 'nohost' is not in the inventory"),
        ([{"host": "noaddr"}], r"real_servers\[0\].host: host 'noaddr' has neither lvs_real_server_address nor ansible_host"),
        ([{"host": "badaddr"}], r"ansible_host='web.example' is not an IP address"),
        ([{"address": "192.0.2.21", "port": 8080}], r"real_servers\[0\].port: 8080 differs from the service port 80: direct"),
        ([{"address": "192.0.2.21", "weight": -1}], r"real_servers\[0\].weight: -1 is out of range 0-65535"),
        ([{"address": "192.0.2.21", "weight": 70000}], r"weight: 70000 is out of range"),
        ([{"address": "2001:db8::1"}], r"real_servers\[0\].address: '2001:db8::1' is ipv6 but the service is ipv4"),
        ([{"address": "192.0.2.21"}, {"host": "web1"}], r"real_servers\[1\]: 'web1' port 80 is already real_servers\[0\]"),
        ([{"address": "192.0.2.21", "forwarding": "carrier-pigeon"}], r"real_servers\[0\].forwarding: 'carrier-pigeon'"),
        ([{"address": "192.0.2.21", "upper_threshold": 10, "lower_threshold": 20}], r"lower_threshold: 20 is above upper_threshold 10"),
        ([{"address": "192.0.2.21", "check": {"type": "ping", "path": "/"}}], r"real_servers\[0\]\.check\.path: '/': does not apply to a ping check"),
        ([{"address": "192.0.2.21", "tunnel": {"type": "gre"}}], r"tunnel: \{'type': 'gre'\}: tunnel options given but forwarding is 'direct'"),
    ],
)
def test_real_server_errors(servers, match):
    fails(match, svc(real_servers=servers))


def test_host_without_hostvars_is_an_error():
    fails(r"real_servers\[0\].host: host 'web1' given but no inventory", svc(), hostvars=None)


def test_duplicates_across_services():
    fails(r"^lvs_virtual_services\[1\]\.name: 'web' is already the name of lvs_virtual_services\[0\]$", WEB, svc())
    fails(r"^lvs_virtual_services\[1\]\.address: duplicate virtual service tcp 192.0.2.10:80 \(already in service 'web'\) \(service 'web2'\)$",
          WEB, svc(name="web2"))
    # same VIP:port on another protocol is a different virtual service
    assert len(norm(WEB, svc(name="web-udp", protocol="udp", check={"type": "udp"}))) == 2
    fails(r"fwmark: duplicate virtual service fwmark 5 ipv4",
          {"name": "m1", "fwmark": 5, "real_servers": []}, {"name": "m2", "fwmark": 5, "real_servers": []})
    # fwmark 5 for IPv6 is a different service
    assert len(norm({"name": "m1", "fwmark": 5, "real_servers": []}, {"name": "m2", "fwmark": 5, "family": "ipv6", "real_servers": []})) == 2


def test_nat_port_mapping_and_port_rules():
    (nat,) = norm(svc(forwarding="nat", real_servers=[{"host": "app1", "port": 8080}, {"address": "198.51.100.32"}]))
    assert nat["forwarding"] == "masquerade"
    assert nat["method"] == "NAT"
    assert [r["port"] for r in nat["real_servers"]] == [8080, 80]
    assert has_forwarding([nat], "nat")
    assert not has_forwarding([nat], "direct")
    # fwmark NAT: the real server must say which port
    fails(r"real_servers\[0\]\.port: required: a NAT real server of a service without a port",
          {"name": "m", "fwmark": 7, "forwarding": "masquerade", "real_servers": [{"address": "198.51.100.31"}]})
    # DR fwmark real server: no port; a port-based check then needs connect_port
    fails(r"real_servers\[0\]\.check\.connect_port: required: a tcp check of a real server without a port needs connect_port",
          {"name": "m", "fwmark": 7, "real_servers": [{"address": "192.0.2.21"}]})
    (mark,) = norm({"name": "m", "fwmark": 7, "vips": ["192.0.2.50", "192.0.2.51"], "check": {"type": "tcp", "connect_port": 80},
                    "real_servers": [{"address": "192.0.2.21"}]})
    assert mark["real_servers"][0]["port"] is None
    assert mark["vips"] == ["192.0.2.50", "192.0.2.51"]
    assert virtual_server_key(mark["virtual_servers"][0]) == "fwmark 7 ipv4"


def test_persistence_and_flags():
    (web,) = norm(svc(scheduler="sh", sched_flags=["sh-port", "sh-fallback"], persistence={"timeout": 600, "granularity": 24}))
    assert web["persistence"] == {"timeout": 600, "netmask": "255.255.255.0"}
    assert web["sched_flags"] == ["sh-port", "sh-fallback"]
    (six,) = norm({"name": "v6", "address": "2001:db8:1::10", "port": 0, "persistence": {"netmask": 64}, "real_servers": []})
    assert six["persistence"] == {"timeout": 300, "netmask": 64}
    fails(r"persistence.netmask: 200 is out of range 1-128",
          {"name": "v6", "address": "2001:db8:1::10", "port": 443, "persistence": {"netmask": 200}, "real_servers": []})
    fails(r"persistence.granularity: 16 conflicts with persistence.netmask", svc(persistence={"netmask": 24, "granularity": 16}))


def test_netmask_and_granularity_are_compared_as_masks():
    # one setting under two names: a prefix length and the dotted mask it stands for agree
    (web,) = norm(svc(persistence={"netmask": 24, "granularity": "255.255.255.0"}))
    assert web["persistence"] == {"timeout": 300, "netmask": "255.255.255.0"}
    (web,) = norm(svc(persistence={"netmask": "255.255.0.0", "granularity": " 16"}))
    assert web["persistence"]["netmask"] == "255.255.0.0"
    fails(r"persistence.granularity: '255.255.255.0' conflicts with persistence.netmask 16",
          svc(persistence={"netmask": 16, "granularity": "255.255.255.0"}))
    # a bad granularity is named as such, also beside a good netmask
    fails(r"persistence.granularity: '255.0.255.0' is not a contiguous", svc(persistence={"netmask": 24, "granularity": "255.0.255.0"}))


def test_group_service():
    (grp,) = norm({"name": "g", "port": 443, "group": [{"address": "192.0.2.10"}, {"address": "192.0.2.11"}, {"fwmark": 9}],
                   "check": {"type": "tcp", "connect_port": 443}, "real_servers": [{"host": "web1"}]})
    assert grp["address"] is None
    assert [virtual_server_key(m) for m in grp["virtual_servers"]] == ["tcp 192.0.2.10:443", "tcp 192.0.2.11:443", "fwmark 9 ipv4"]
    assert grp["vips"] == ["192.0.2.10", "192.0.2.11"]
    assert grp["real_servers"][0]["port"] == 443
    fails(r"^lvs_virtual_services\[0\]\.group: mixes address families",
          {"name": "g", "port": 1, "group": [{"address": "192.0.2.10"}, {"address": "2001:db8::1"}], "real_servers": []})
    fails(r"^lvs_virtual_services\[0\]\.group: a service gives either group or address",
          {"name": "g", "address": "192.0.2.1", "port": 1, "group": [{"fwmark": 1}], "real_servers": []})
    fails(r"^lvs_virtual_services\[0\]\.group\[0\]\.weight: unknown key 'weight'",
          {"name": "g", "port": 1, "group": [{"address": "192.0.2.1", "weight": 1}], "real_servers": []})
    # DR cannot map ports: every member must use the real servers' port
    fails(r"real_servers\[0\].port: direct forwarding cannot map ports: group members use port\(s\) 443, 8443",
          {"name": "g", "port": 443, "group": [{"address": "192.0.2.10"}, {"address": "192.0.2.11", "port": 8443}], "real_servers": [{"host": "web1"}]})
    # a group member clashes with a plain service
    fails(r"^lvs_virtual_services\[1\]\.address: duplicate virtual service tcp 192.0.2.10:80",
          WEB, {"name": "g", "port": 80, "group": [{"address": "192.0.2.10"}], "real_servers": []})


def test_tunnel_options():
    (tun,) = norm(svc(forwarding="tun", tunnel={"type": "gue", "port": 6080, "checksum": "remcsum"},
                      real_servers=[{"address": "192.0.2.21"}, {"address": "192.0.2.22", "tunnel": {"type": "gre", "checksum": "csum"}}]))
    assert tun["method"] == "TUN"
    assert tun["real_servers"][0]["tunnel"] == {"type": "gue", "port": 6080, "checksum": "remcsum"}
    assert tun["real_servers"][1]["tunnel"] == {"type": "gre", "port": None, "checksum": "csum"}
    fails(r"tunnel\.port: required: a GUE tunnel needs the port", svc(forwarding="tunnel", tunnel={"type": "gue"}))
    fails(r"tunnel.checksum: 'csum': checksum options apply to gue and gre", svc(forwarding="tunnel", tunnel={"checksum": "csum"}))
    fails(r"tunnel.port: 1: only a gue tunnel takes a port", svc(forwarding="tunnel", tunnel={"type": "gre", "port": 1}))
    # TUN may mix families (IPv6 VIP over IPv4 tunnels); DR may not
    (mixed,) = norm({"name": "t6", "address": "2001:db8:1::10", "port": 80, "forwarding": "tunnel", "real_servers": [{"address": "192.0.2.21"}]})
    assert mixed["real_servers"][0]["family"] == "ipv4"


def test_per_real_server_check_inherits_service_check():
    (web,) = norm(svc(real_servers=[{"address": "192.0.2.21", "check": {"path": "/alt"}}, {"address": "192.0.2.22", "check": {"type": "ping"}}]))
    first, second = web["real_servers"]
    ((check,),) = (first["check"],)
    assert check["type"] == "http"
    assert [u["path"] for u in check["urls"]] == ["/alt"]
    assert check["connect_timeout"] == 3
    assert second["check"] == [{"type": "ping", "checker": "PING_CHECK", "connect_timeout": None, "delay_before_retry": None,
                                "warmup": None, "retry": None, "delay_loop": None, "log_all_failures": False, "connect_ip": None,
                                "bind_to": None, "bind_if": None, "fwmark": None}]


@pytest.mark.parametrize(
    ("check", "checker"),
    [
        ({"type": "tcp"}, "TCP_CHECK"),
        ({"type": "http"}, "HTTP_GET"),
        ({"type": "https", "path": "/", "status": [200, 301], "digest": "9B3A0C85A887A256D6939DA88AABD8CD"}, "SSL_GET"),
        ({"type": "misc", "path": "/usr/local/bin/check web", "dynamic": True, "timeout": 5}, "MISC_CHECK"),
        ({"type": "dns", "name": "example.test.", "query_type": "A"}, "DNS_CHECK"),
        ({"type": "smtp", "helo_name": "lb.example.test"}, "SMTP_CHECK"),
        ({"type": "udp", "payload": "cafe", "require_reply": True}, "UDP_CHECK"),
        ({"type": "ping"}, "PING_CHECK"),
        ({"type": "none"}, None),
    ],
)
def test_every_checker(check, checker):
    (web,) = norm(svc(check=check))
    ((got,),) = (web["check"],)
    assert got["checker"] == checker
    if check["type"] == "https":
        assert got["urls"] == [{"path": "/", "status": [200, 301], "digest": "9b3a0c85a887a256d6939da88aabd8cd", "regex": None,
                                "regex_no_match": False, "virtualhost": None}]


def test_views_for_real_servers_and_directors():
    services = norm(
        WEB,
        {"name": "api", "address": "198.51.100.10", "port": 443, "forwarding": "nat", "real_servers": [{"host": "web1", "port": 8443}]},
        {"name": "mark", "fwmark": 3, "vips": ["192.0.2.60"], "check": {"type": "none"}, "real_servers": [{"host": "web1"}, {"host": "web2"}]},
        {"name": "other", "address": "192.0.2.10", "port": 443, "scheduler": "sh", "real_servers": [{"host": "web2"}]},
    )
    mine = host_services(services, "web1")
    assert [s["name"] for s in mine] == ["web", "api", "mark"]
    assert mine[1]["real_server"]["port"] == 8443
    assert host_vips(services, "web1") == ["192.0.2.10", "198.51.100.10", "192.0.2.60"]
    assert host_vips(services, "web1", "dr") == ["192.0.2.10", "192.0.2.60"]
    assert host_vips(services, "web1", "masquerade") == ["198.51.100.10"]
    assert host_vips(services, "web2") == ["192.0.2.10", "192.0.2.60"]
    assert host_vips(services, "nobody") == []
    assert service_vips(services) == ["192.0.2.10", "198.51.100.10", "192.0.2.60"]
    assert schedulers_in_use(services) == ["wrr", "wlc", "sh"]
    with pytest.raises(ServiceModelError, match="forwarding: 'bridge'"):
        host_vips(services, "web1", "bridge")


def test_input_not_mutated_and_idempotent():
    raw = [copy.deepcopy(WEB)]
    before = copy.deepcopy(raw)
    once = normalise_services(raw, HOSTVARS)
    assert raw == before
    # normalised output is valid input and normalises to itself (ipvs_table and roles may get either)
    assert normalise_services(copy.deepcopy(once), HOSTVARS) == once


def test_normalised_output_is_a_fixed_point_for_every_shape():
    services = norm(
        WEB,
        {"name": "nat", "address": "198.51.100.10", "port": 443, "forwarding": "nat", "sorry_server": {"address": "198.51.100.99"},
         "real_servers": [{"host": "app1", "port": 8443}]},
        {"name": "mark", "fwmark": 3, "vips": ["192.0.2.60"], "check": {"type": "none"}, "real_servers": [{"host": "web1"}]},
        {"name": "g", "port": 25, "group": [{"address": "192.0.2.70"}, {"fwmark": 4}], "check": {"type": "smtp"},
         "quorum": {"quorum": 1, "up": "/bin/true"}, "real_servers": [{"address": "192.0.2.21"}]},
        {"name": "t", "address": "192.0.2.80", "port": 80, "forwarding": "tunnel", "tunnel": {"type": "gue", "port": 6080},
         "persistence": {"timeout": 60, "netmask": 24}, "real_servers": [{"address": "192.0.2.21"}]},
    )
    assert normalise_services(copy.deepcopy(services)) == services


def test_top_level_type_errors():
    with pytest.raises(ServiceModelError, match="expected a list of services"):
        normalise_services({"name": "web"})
    with pytest.raises(ServiceModelError, match=r"^lvs_virtual_services\[0\]: expected a mapping, got 'web'"):
        normalise_services(["web"])
    assert normalise_services(None) == []


def test_ipvs_view_of_the_model():
    services = norm(
        svc(persistence={"timeout": 60, "netmask": 24}),
        {"name": "g", "port": 443, "group": [{"address": "192.0.2.10"}, {"fwmark": 9}], "check": {"type": "tcp", "connect_port": 443},
         "forwarding": "nat", "real_servers": [{"host": "app1", "port": 8443}]},
        {"name": "t", "address": "192.0.2.80", "port": 80, "forwarding": "tunnel", "tunnel": {"type": "gue", "port": 6080},
         "real_servers": [{"address": "192.0.2.21"}]},
    )
    flat = ipvs_services(services)
    assert [e["name"] for e in flat] == ["web", "g/0", "g/1", "t"]
    assert flat[0]["persistence"] == {"timeout": 60, "netmask": "255.255.255.0"}
    assert flat[2] == {"name": "g/1", "protocol": "tcp", "family": "ipv4", "scheduler": "wlc", "sched_flags": [], "forwarding": "masquerade",
                       "one_packet": False, "check": {"type": "none"}, "fwmark": 9,
                       "real_servers": [{"address": "198.51.100.31", "port": 8443, "weight": 1, "forwarding": "masquerade", "upper_threshold": 0,
                                         "lower_threshold": 0}]}
    assert flat[3]["tunnel"] == {"type": "gue", "port": 6080, "checksum": "nocsum"}
    table, names = ipvs.table_from_services(services)
    assert [names[k] for k in table.services] == ["web", "g/0", "g/1", "t"]
    assert ipvs.save_lines(table) == [
        "-A -t 192.0.2.10:80 -s wrr -p 60 -M 255.255.255.0",
        "-a -t 192.0.2.10:80 -r 192.0.2.21:80 -g -w 1",
        "-a -t 192.0.2.10:80 -r 192.0.2.22:80 -g -w 2",
        "-a -t 192.0.2.10:80 -r 192.0.2.13:80 -g -w 1",
        "-A -t 192.0.2.10:443 -s wlc",
        "-a -t 192.0.2.10:443 -r 198.51.100.31:8443 -m -w 1",
        "-A -f 9 -s wlc",
        "-a -f 9 -r 198.51.100.31:8443 -m -w 1",
        "-A -t 192.0.2.80:80 -s wlc",
        "-a -t 192.0.2.80:80 -r 192.0.2.21:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum",
    ]


@pytest.mark.parametrize("value", ["yes", "yes ", " no", "\tOn\n", "TRUE", "f", "1", " 0 ", 1, 0, 1.0, 0.0, True, False,
                                   "maybe", "", " ", 2, -1, 0.5, "10", "yes please", b"yes", [], ["yes"], {}, None])
def test_model_booleans_are_ansibles_module_booleans(value):
    """one_packet (any boolean of the model) takes exactly what a module's type=bool parameter takes
    (ipvs_service's one_packet): the same value means the same thing through every entry point."""
    try:
        expected = check_type_bool(value)
    except TypeError:
        expected = None
    service = {"name": "dns", "address": "192.0.2.53", "port": 53, "protocol": "udp", "one_packet": value, "real_servers": []}
    if expected is None or value is None:
        if value is None:  # a null field is an absent one: the default
            assert norm(service)[0]["one_packet"] is False
            return
        with pytest.raises(ServiceModelError) as info:
            norm(service)
        assert info.value.path == "lvs_virtual_services[0].one_packet" and info.value.value == value
        assert "%r is not a boolean" % (value,) in str(info.value)
    else:
        assert norm(service)[0]["one_packet"] is expected


def test_one_packet_on_a_group_needs_every_member_udp_or_fwmark():
    # -o is set on every kernel service of the entry: a TCP member beside a fwmark one is refused
    # by ipvsadm ("One-Packet Scheduling is only for UDP virtual services")
    mixed = {"name": "g", "one_packet": True, "port": 80, "group": [{"fwmark": 5}, {"address": "192.0.2.10"}], "real_servers": []}
    fails(r"^lvs_virtual_services\[0\]\.one_packet: True: one-packet scheduling applies to UDP and fwmark services, not to protocol 'tcp' "
          r"\(group\[1\] is tcp 192.0.2.10:80\)", mixed)
    (marks,) = norm(dict(mixed, group=[{"fwmark": 5}, {"fwmark": 6}]))
    assert marks["one_packet"] is True
    (udp,) = norm(dict(mixed, protocol="udp"))
    assert udp["one_packet"] is True
