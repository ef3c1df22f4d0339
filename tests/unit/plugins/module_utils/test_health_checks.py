# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health checks of the service model (issue #14): several checkers per real server, several URLs,
status ranges, body regex, FILE_CHECK, checker source options, per-checker timing, notify scripts,
ha_suspend. The limits are keepalived 2.2.7's (``keepalived -t``, Debian 12)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._service_model import ServiceModelError, normalise_services, track_files


def svc(**over):
    base = {"name": "web", "address": "192.0.2.10", "port": 80, "real_servers": [{"address": "192.0.2.21"}]}
    base.update(over)
    return base


def norm(*services):
    return normalise_services(copy.deepcopy(list(services)), {})


def fails(match, *services):
    with pytest.raises(ServiceModelError, match=match) as info:
        normalise_services(copy.deepcopy(list(services)), {})
    return str(info.value)


def only_check(service):
    (rs,) = service["real_servers"]
    return rs["check"]


def test_several_checkers_on_a_service_reach_every_real_server():
    (web,) = norm(svc(check=[{"type": "http", "path": "/health"}, {"type": "tcp", "connect_port": 22}]))
    checks = only_check(web)
    assert [c["checker"] for c in checks] == ["HTTP_GET", "TCP_CHECK"]
    assert checks[1]["connect_port"] == 22
    assert web["check"] == checks


def test_a_real_server_list_replaces_the_service_checkers():
    (web,) = norm(svc(check={"type": "http"}, real_servers=[
        {"address": "192.0.2.21", "check": [{"type": "ping"}, {"type": "misc", "path": "/bin/true"}]},
        {"address": "192.0.2.22"},
    ]))
    first, second = web["real_servers"]
    assert [c["type"] for c in first["check"]] == ["ping", "misc"]
    assert [c["type"] for c in second["check"]] == ["http"]


def test_an_untyped_real_server_check_merges_into_the_one_service_checker_only():
    (web,) = norm(svc(check={"type": "http", "path": "/health", "status": [200, 204], "retry": 2},
                      real_servers=[{"address": "192.0.2.21", "check": {"regex": "ok"}}]))
    (check,) = only_check(web)
    assert check["retry"] == 2
    assert check["urls"] == [{"path": "/health", "status": [200, 204], "digest": None, "regex": "ok", "regex_no_match": False,
                              "virtualhost": None}]
    msg = fails(r"^lvs_virtual_services\[0\]\.real_servers\[0\]\.check\.type: required: the service has 2 checkers",
                svc(check=[{"type": "tcp"}, {"type": "ping"}], real_servers=[{"address": "192.0.2.21", "check": {"retry": 1}}]))
    assert "service 'web'" in msg


def test_an_empty_list_is_no_checker():
    (web,) = norm(svc(check=[]))
    assert only_check(web) == []
    fails(r"check: .*type none \(no checker\) in a list", svc(check=[{"type": "tcp"}, {"type": "none"}]))


def test_urls_status_ranges_and_regex():
    (web,) = norm(svc(check={"type": "https", "enable_sni": True, "virtualhost": "www.example.test", "urls": [
        {"path": "/health", "status": ["200-299", 301], "regex": "^ok$"},
        {"path": "/ready", "regex": "not ready", "regex_no_match": True, "virtualhost": "ready.example.test"},
        {"digest": "9B3A0C85A887A256D6939DA88AABD8CD"},
    ]}))
    (check,) = only_check(web)
    assert check["enable_sni"] is True
    assert check["path"] is None and check["status"] is None
    assert check["urls"] == [
        {"path": "/health", "status": ["200-299", 301], "digest": None, "regex": "^ok$", "regex_no_match": False, "virtualhost": None},
        {"path": "/ready", "status": [200], "digest": None, "regex": "not ready", "regex_no_match": True, "virtualhost": "ready.example.test"},
        {"path": "/", "status": [200], "digest": "9b3a0c85a887a256d6939da88aabd8cd", "regex": None, "regex_no_match": False, "virtualhost": None},
    ]
    # a range given with blanks or as the same code twice is one canonical text
    (one,) = norm(svc(check={"type": "http", "status": " 200-200 "}))
    assert only_check(one)[0]["urls"][0]["status"] == ["200-200"]


@pytest.mark.parametrize(
    ("check", "match"),
    [
        ({"type": "http", "status": "99-200"}, r"check\.status: '99-200' is not a range of status codes 100-599"),
        ({"type": "http", "status": "300-200"}, r"check\.status: '300-200': the range ends below its start"),
        ({"type": "http", "status": [200, "2xx"]}, r"check\.status\[1\]: '2xx' is not an integer 100-599"),
        ({"type": "http", "status": 600}, r"check\.status: 600 is out of range 100-599"),
        ({"type": "http", "regex": "(ok"}, r"check\.regex: '\(ok' is not a regular expression"),
        ({"type": "http", "regex": 'say "ok"'}, r"check\.regex: 'say \"ok\"': a double quote or a line break"),
        ({"type": "http", "regex_no_match": True}, r"check\.regex_no_match: True needs regex"),
        ({"type": "http", "urls": []}, r"check\.urls: \[\]: an http\(s\) check needs at least one URL"),
        ({"type": "http", "path": "/x", "urls": [{"path": "/y"}]}, r"check\.path: '/x': with urls, give path inside each URL"),
        ({"type": "http", "urls": [{"path": "/"}, {"path": "health"}]}, r"check\.urls\[1\]\.path: 'health' must start with /"),
        ({"type": "http", "urls": [{"path": "/", "code": 200}]}, r"check\.urls\[0\]\.code: unknown key 'code'"),
        ({"type": "http", "enable_sni": True}, r"check\.enable_sni: True: does not apply to a http check"),
        ({"type": "tcp", "bind_port": 0}, r"check\.bind_port: 0 is out of range 1-65535"),
        ({"type": "tcp", "bind_port": 65536}, r"check\.bind_port: 65536 is out of range 1-65535"),
        ({"type": "tcp", "fwmark": 4294967296}, r"check\.fwmark: 4294967296 is out of range 1-4294967295"),
        ({"type": "tcp", "bind_if": "eth 0"}, r"check\.bind_if: 'eth 0' is not an interface name"),
        ({"type": "tcp", "delay_loop": 0}, r"check\.delay_loop: 0 is out of range 1-86400"),
        ({"type": "ping", "bind_port": 2000}, r"check\.bind_port: 2000: does not apply to a ping check"),
        ({"type": "file"}, r"check\.file: required: a file check needs the path"),
        ({"type": "file", "file": "maint"}, r"check\.file: 'maint' is not an absolute path"),
        ({"type": "file", "file": "/run/a b"}, r"check\.file: '/run/a b' is not an absolute path"),
        ({"type": "file", "file": "/run/x", "weight": 2147483648}, r"check\.weight: 2147483648 is out of range -2147483647 to 2147483647"),
        ({"type": "file", "file": "/run/x", "connect_port": 80}, r"check\.connect_port: 80: does not apply to a file check"),
        ({"type": "misc", "path": '/bin/check "web"'}, r"check\.path: '/bin/check \"web\"': a double quote"),
    ],
)
def test_bad_checks_name_the_path_and_value(check, match):
    fails(r"^lvs_virtual_services\[0\]\." + match, svc(check=check))


def test_bad_checks_in_a_list_are_named_by_index():
    fails(r"^lvs_virtual_services\[0\]\.real_servers\[0\]\.check\[1\]\.connect_port: required: a tcp check of a real server without a port",
          {"name": "m", "fwmark": 3, "real_servers": [{"address": "192.0.2.21", "check": [{"type": "ping"}, {"type": "tcp"}]}]})
    fails(r"^lvs_virtual_services\[0\]\.check\[1\]\.type: 'bfd' is not one of", svc(check=[{"type": "tcp"}, {"type": "bfd"}]))
    fails(r"^lvs_virtual_services\[0\]\.check: expected a mapping or a list of mappings, got 'tcp'", svc(check="tcp"))


def test_file_check_and_notify_scripts_and_ha_suspend():
    (web,) = norm(svc(ha_suspend=True, check=[{"type": "tcp"}, {"type": "file", "file": "/run/lvs/maint-web", "weight": -10, "reverse": True}],
                      real_servers=[{"address": "192.0.2.21", "notify_up": "/usr/local/bin/rs-up web", "notify_down": "/usr/local/bin/rs-down"}]))
    assert web["ha_suspend"] is True
    (rs,) = web["real_servers"]
    assert rs["notify_up"] == "/usr/local/bin/rs-up web"
    assert rs["notify_down"] == "/usr/local/bin/rs-down"
    assert rs["check"][1] == {"type": "file", "checker": "FILE_CHECK", "file": "/run/lvs/maint-web", "weight": -10, "reverse": True}
    fails(r"^lvs_virtual_services\[0\]\.real_servers\[0\]\.notify_down: '/bin/x \"y\"': a double quote",
          svc(real_servers=[{"address": "192.0.2.21", "notify_down": '/bin/x "y"'}]))
    fails(r"^lvs_virtual_services\[0\]\.ha_suspend: 'maybe' is not a boolean", svc(ha_suspend="maybe"))


def test_track_files_are_the_file_checks_files_once_and_sorted():
    services = norm(
        svc(check=[{"type": "tcp"}, {"type": "file", "file": "/run/lvs/web"}],
            real_servers=[{"address": "192.0.2.21"}, {"address": "192.0.2.22", "check": [{"type": "file", "file": "/run/lvs/a"}, {"type": "ping"}]}]),
        svc(name="mail", port=25, check={"type": "file", "file": "/run/lvs/web"}),
    )
    assert track_files(services) == ["/run/lvs/a", "/run/lvs/web"]
    assert track_files(norm(svc())) == []


def test_the_normalised_checks_are_a_fixed_point():
    tcp = {"type": "tcp", "bind_if": "eth0", "fwmark": 7, "delay_loop": 2, "log_all_failures": True}
    given = svc(check=[{"type": "https", "enable_sni": True, "urls": [{"path": "/a", "status": "200-204"}, {"path": "/b", "regex": "x"}]},
                       {"type": "file", "file": "/run/m"}, tcp],
                real_servers=[{"address": "192.0.2.21", "check": {"type": "http", "path": "/x", "status": [200, "300-302"]}}])
    once = norm(given)
    assert norm(*once) == once
