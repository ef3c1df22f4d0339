# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The director's VRRP tracking/tuning validator (the limits are keepalived 2.2.7's, measured with
keepalived -t; tests/director renders and keepalived -t's the accepted values)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.filter import lvs_vrrp_tracking
from ansible_collections.lvs.cluster.plugins.plugin_utils._vrrp import GARP, PROCESS, SCRIPT, VrrpError, vrrp_tracking


def test_filter_name_matches_file():
    assert set(lvs_vrrp_tracking.FilterModule().filters()) == {"lvs_vrrp_tracking"}


def test_defaults_filled_in():
    out = vrrp_tracking({"director_vrrp_track_processes": [{"name": "app", "process": "app"}],
                         "director_vrrp_track_files": [{"name": "drain", "file": "/run/drain"}],
                         "director_vrrp_track_scripts": [{"name": "chk", "script": "/bin/true"}]})
    assert out["processes"] == [dict({key: default for key, (_check, default) in PROCESS.items() if default is not ...},
                                     name="app", process="app")]
    assert out["files"] == [{"name": "drain", "file": "/run/drain", "weight": 0, "reverse": False, "init": 0}]
    assert set(out["scripts"][0]) == set(SCRIPT) and out["scripts"][0]["interval"] == 2
    assert out["garp"] == [] and out["version"] == 2
    assert vrrp_tracking({}) == {"scripts": [], "processes": [], "files": [], "garp": [], "version": 2,
                                 "notify_fifo": "", "notify_fifo_script": "", "sync_daemon": ""}


def test_sync_daemon_options_in_keepalived_order():
    out = vrrp_tracking({"director_lvs_sync_daemon_group": "ff02::81", "director_lvs_sync_daemon_ttl": 1,
                         "director_lvs_sync_daemon_maxlen": 1472, "director_lvs_sync_daemon_instance": "LVS_INSIDE",
                         "instances": ["LVS_FRONT", "LVS_INSIDE"]})
    assert out["sync_daemon"] == "maxlen 1472 ttl 1 group ff02::81"


def test_seconds_rendered_as_keepalived_reads_them():
    out = vrrp_tracking({"director_vrrp_garp": {"gna_interval": 0.000001, "interval": 1.5, "master_refresh": 60},
                         "director_vrrp_track_processes": [{"name": "a", "process": "a", "delay": 2}]})
    assert out["garp"] == [["vrrp_garp_master_refresh", 60], ["vrrp_garp_interval", "1.5"], ["vrrp_gna_interval", "0.000001"]]
    assert out["processes"][0]["delay"] == "2"
    assert list(GARP) == ["master_delay", "master_repeat", "master_refresh", "master_refresh_repeat",
                          "lower_prio_delay", "lower_prio_repeat", "interval", "gna_interval"]


def test_every_bad_value_named_at_once():
    with pytest.raises(VrrpError) as exc:
        vrrp_tracking({"director_vrrp_track_processes": [{"name": "a b", "process": "x", "weight": True}, "haproxy"],
                       "director_vrrp_track_files": {"name": "x"},
                       "director_vrrp_garp": {"master_repeat": "3"},
                       "director_vrrp_version": "3"})
    assert exc.value.errors == [
        "director_vrrp_track_processes[0].name: 'a b' is not a name of 1-64 letters, digits, _ . -",
        "director_vrrp_track_processes[0].weight: True is not an integer",
        "director_vrrp_track_processes[1]: 'haproxy' is not a dict",
        "director_vrrp_track_files: {'name': 'x'} is not a list",
        "director_vrrp_garp.master_repeat: '3' is not an integer",
        "director_vrrp_version: '3' is not 2 or 3",
    ]


def test_password_never_in_the_message():
    with pytest.raises(AnsibleFilterError) as exc:
        lvs_vrrp_tracking.lvs_vrrp_tracking({"director_vrrp_version": 3, "authentication": True})
    assert str(exc.value).startswith("director: director_vrrp_auth_pass: VRRP version 3 has no authentication")


@pytest.mark.parametrize("value", [[], "x", None])
def test_filter_input_must_be_a_dict(value):
    with pytest.raises(AnsibleFilterError, match="expects a dict"):
        lvs_vrrp_tracking.lvs_vrrp_tracking(value)
