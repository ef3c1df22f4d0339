# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input at every depth of the service model and through every entry point (issue #12).

Two tables:

* ``MODEL``: bad service lists, from the top-level keys down to ``persistence.*``,
  ``real_servers[i].*``, ``tunnel.*``, thresholds, scheduler flags and addresses of every class.
  Each goes through every reader of the model: the ``lvs_services`` filter, the
  ``lvs.cluster.service_model`` action, the ``lvs.cluster.ipvs_table`` action (controller side) and
  the ``ipvs_table`` module given ``services`` itself. Each must fail with a message that starts
  with the full path under that entry point's root (``lvs_virtual_services[2].persistence.timout``,
  ``services[2].persistence.timout``) and names the value.
* ``PARAMS``: bad parameters of the modules (``ipvs_service``, ``ipvs_real_server``, ``ipvs_table``'s
  ``scope``, ``lo_vip``, ``sysctl_arp``, ``arptables_rule``), each failing with the parameter and
  the value in the message.

Every module runs sealed: any command (``ipvsadm``, ``ip``, ``arptables``...) fails the test, and
the file roots point into an empty temporary directory that must stay empty. Bad input is refused
before the host is read, so it cannot be half applied. The lab repeats a selection against the
real kernel (tests/lab/test_ipvs_modules.py, BAD_INPUT).
"""

from __future__ import annotations

import copy
import json
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleFilterError
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.cluster.plugins.action import ipvs_table as ipvs_table_action
from ansible_collections.lvs.cluster.plugins.action import service_model as service_model_action
from ansible_collections.lvs.cluster.plugins.filter.lvs_services import lvs_services
from ansible_collections.lvs.cluster.plugins.module_utils import _arptables, _ipvsadm, _netconf, _sysctl
from ansible_collections.lvs.cluster.plugins.module_utils._runner import CommandRunner
from ansible_collections.lvs.cluster.plugins.modules import arptables_rule, ipvs_real_server, ipvs_service, ipvs_table, lo_vip, sysctl_arp

HOSTVARS = {"rs1": {"lvs_real_server_address": "192.0.2.11", "lvs_real_server_address6": "2001:db8:2::11"}, "badhost": {"ansible_host": "web.example"}}


def web(**over):
    """A valid service; ``over`` spoils it (None removes a key)."""
    svc = {"name": "web", "address": "192.0.2.10", "port": 80, "real_servers": [{"address": "192.0.2.11"}]}
    for key, value in over.items():
        if value is None:
            svc.pop(key, None)
        else:
            svc[key] = value
    return svc


def six(**over):
    return web(**dict({"name": "six", "address": "2001:db8:1::10", "real_servers": [{"address": "2001:db8:2::11"}]}, **over))


def mark(**over):
    return web(**dict({"name": "mark", "address": None, "port": None, "fwmark": 5}, **over))


def rs(**over):
    """web() with one spoilt real server."""
    server = {"address": "192.0.2.11"}
    server.update(over)
    return [web(real_servers=[server])]


def tun(tunnel, where="service"):
    if where == "service":
        return [web(forwarding="tunnel", tunnel=tunnel)]
    return [web(real_servers=[{"address": "192.0.2.11", "forwarding": "tunnel", "tunnel": tunnel}])]


def third(**over):
    """The bad field in the third service (the issue's services[2].persistence.timout)."""
    return [web(), web(name="api", port=81), web(name="ssh", port=22, **over)]


# (id, services, path under the root, text naming the value)
MODEL = [
    # ---- the list and the service entries
    ("list-not-a-list", {"web": web()}, "", "{'web': "),
    ("service-not-a-mapping", ["web"], "[0]", "'web'"),
    ("name-missing", [web(name=None)], "[0].name", "required"),
    ("name-empty", [web(name="")], "[0].name", "''"),
    ("name-not-a-string", [web(name=5)], "[0].name", "5"),
    ("name-duplicate", [web(), web(port=81)], "[1].name", "'web'"),
    ("key-misspelt-top", [web(adress="192.0.2.10")], "[0].adress", "'adress'"),
    ("key-misspelt-third", third(schedular="rr"), "[2].schedular", "'schedular'"),
    ("vip-port-duplicate", [web(), web(name="web2")], "[1].address", "192.0.2.10:80"),
    # ---- VIP addresses of every class
    ("vip-bad-octet", [web(address="192.0.2.300")], "[0].address", "'192.0.2.300'"),
    ("vip-name", [web(address="web.example")], "[0].address", "'web.example'"),
    ("vip-octal", [web(address="192.0.2.010")], "[0].address", "'192.0.2.010'"),
    ("vip-integer", [web(address=3221225994)], "[0].address", "3221225994"),
    ("vip-network", [web(address="192.0.2.0/24")], "[0].address", "'192.0.2.0/24'"),
    ("vip-with-port", [web(address="192.0.2.10:80")], "[0].address", "'192.0.2.10:80'"),
    ("vip-bracketed-v6", [six(address="[2001:db8:1::10]")], "[0].address", "'[2001:db8:1::10]'"),
    ("vip-scoped-v6", [six(address="fe80::10%eth0")], "[0].address", "'fe80::10%eth0'"),
    ("vip-unspecified-v4", [web(address="0.0.0.0")], "[0].address", "'0.0.0.0'"),
    ("vip-broadcast", [web(address="255.255.255.255")], "[0].address", "'255.255.255.255'"),
    ("vip-multicast-v4", [web(address="239.255.255.250")], "[0].address", "'239.255.255.250'"),
    ("vip-multicast-v6", [six(address="FF02::1")], "[0].address", "'FF02::1'"),
    ("vip-unspecified-v6", [six(address="::")], "[0].address", "'::'"),
    ("vip-family-mismatch", [web(family="ipv6")], "[0].family", "'ipv6'"),
    ("vip-family-unknown", [web(family="inet6")], "[0].family", "'inet6'"),
    ("vip-missing", [web(address=None)], "[0].address", "required"),
    # ---- ports, protocol, fwmark
    ("port-too-big", [web(port=65536)], "[0].port", "65536"),
    ("port-negative", [web(port=-1)], "[0].port", "-1"),
    ("port-zero-not-persistent", [web(port=0)], "[0].port", "0"),
    ("port-word", [web(port="eighty")], "[0].port", "'eighty'"),
    ("port-fraction", [web(port=80.5)], "[0].port", "80.5"),
    ("port-boolean", [web(port=True)], "[0].port", "True"),
    ("port-missing", [web(port=None)], "[0].port", "required"),
    ("protocol-unknown", [web(protocol="icmp")], "[0].protocol", "'icmp'"),
    ("protocol-upper-case", [web(protocol="TCP")], "[0].protocol", "'TCP'"),
    ("fwmark-zero", [mark(fwmark=0)], "[0].fwmark", "0"),
    ("fwmark-unsaveable", [mark(fwmark=2147483648)], "[0].fwmark", "2147483648"),
    ("fwmark-and-address", [mark(address="192.0.2.10")], "[0].fwmark", "5"),
    ("fwmark-and-port", [mark(port=80)], "[0].port", "80"),
    ("fwmark-vips-family", [mark(vips=["2001:db8:1::10"])], "[0].vips[0]", "'2001:db8:1::10'"),
    ("vips-on-address-service", [web(vips=["192.0.2.20"])], "[0].vips[0]", "'192.0.2.20'"),
    ("group-empty", [web(address=None, group=[])], "[0].group", "non-empty"),
    ("group-and-address", [web(group=[{"address": "192.0.2.20"}])], "[0].group", "either group or address"),
    ("group-member-bad", [web(address=None, group=[{"address": "192.0.2.20"}, {"address": "192.0.2.999"}])], "[0].group[1].address", "'192.0.2.999'"),
    # ---- scheduler and its flags
    ("scheduler-unknown", [web(scheduler="fastest")], "[0].scheduler", "'fastest'"),
    ("scheduler-upper-case", [web(scheduler="RR")], "[0].scheduler", "'RR'"),
    ("sched-flags-string", [web(scheduler="sh", sched_flags="sh-port")], "[0].sched_flags", "'sh-port'"),
    ("sched-flag-unknown", [web(sched_flags=["fast"])], "[0].sched_flags[0]", "'fast'"),
    ("sched-flag-other-scheduler", [web(scheduler="wrr", sched_flags=["flag-1", "sh-port"])], "[0].sched_flags[1]", "'sh-port'"),
    ("sched-flag-3-on-sh", [web(scheduler="sh", sched_flags=["flag-3"])], "[0].sched_flags[0]", "'flag-3'"),
    ("sched-flag-mh-on-sh", [web(scheduler="sh", sched_flags=["mh-port"])], "[0].sched_flags[0]", "'mh-port'"),
    # ---- forwarding
    ("forwarding-unknown", [web(forwarding="bridge")], "[0].forwarding", "'bridge'"),
    ("forwarding-upper-case", [web(forwarding="DR")], "[0].forwarding", "'DR'"),
    # ---- booleans (Ansible's rules, nothing else)
    ("one-packet-maybe", [web(protocol="udp", one_packet="maybe")], "[0].one_packet", "'maybe'"),
    ("one-packet-two", [web(protocol="udp", one_packet=2)], "[0].one_packet", "2"),
    ("one-packet-list", [web(protocol="udp", one_packet=["yes"])], "[0].one_packet", "['yes']"),
    ("one-packet-on-tcp", [web(one_packet="yes ")], "[0].one_packet", "True"),
    ("one-packet-mixed-group", [web(address=None, one_packet=True, group=[{"fwmark": 6}, {"address": "192.0.2.20"}])], "[0].one_packet",
     "tcp 192.0.2.20:80"),
    ("persistence-engine-case", [web(persistence={"timeout": 60}, persistence_engine="SIP")], "[0].persistence_engine", "'SIP'"),
    ("persistence-engine-alone", [web(persistence_engine="sip")], "[0].persistence_engine", "'sip'"),
    # ---- persistence.*
    ("persistence-not-a-mapping", [web(persistence="yes")], "[0].persistence", "'yes'"),
    ("persistence-number", [web(persistence=600)], "[0].persistence", "600"),
    ("persistence-key-misspelt", third(persistence={"timout": 600}), "[2].persistence.timout", "'timout'"),
    ("persistence-timeout-zero", [web(persistence={"timeout": 0})], "[0].persistence.timeout", "0"),
    ("persistence-timeout-too-long", [web(persistence={"timeout": 2678401})], "[0].persistence.timeout", "2678401"),
    ("persistence-timeout-unit", [web(persistence={"timeout": "300s"})], "[0].persistence.timeout", "'300s'"),
    ("persistence-timeout-boolean", [web(persistence={"timeout": True})], "[0].persistence.timeout", "True"),
    ("netmask-not-contiguous", [web(persistence={"netmask": "255.0.255.0"})], "[0].persistence.netmask", "'255.0.255.0'"),
    ("netmask-zero-mask", [web(persistence={"netmask": "0.0.0.0"})], "[0].persistence.netmask", "'0.0.0.0'"),
    ("netmask-prefix-33", [web(persistence={"netmask": 33})], "[0].persistence.netmask", "33"),
    ("netmask-prefix-zero", [web(persistence={"netmask": 0})], "[0].persistence.netmask", "0"),
    ("netmask-slash", [web(persistence={"netmask": "/24"})], "[0].persistence.netmask", "'/24'"),
    ("netmask-three-parts", [web(persistence={"netmask": "255.255.0"})], "[0].persistence.netmask", "'255.255.0'"),
    ("netmask-hex", [web(persistence={"netmask": "0xffffff00"})], "[0].persistence.netmask", "'0xffffff00'"),
    ("netmask-boolean", [web(persistence={"netmask": True})], "[0].persistence.netmask", "True"),
    ("netmask-v4-mask-on-v6", [six(persistence={"netmask": "255.255.255.0"})], "[0].persistence.netmask", "'255.255.255.0'"),
    ("netmask-v6-prefix-129", [six(persistence={"netmask": 129})], "[0].persistence.netmask", "129"),
    ("netmask-v6-on-mapped-vip", [six(address="::ffff:192.0.2.80", persistence={"netmask": "255.255.255.0"})], "[0].persistence.netmask",
     "'255.255.255.0'"),
    ("granularity-conflict", [web(persistence={"netmask": 24, "granularity": 16})], "[0].persistence.granularity", "16"),
    ("granularity-bad", [web(persistence={"granularity": "24 bits"})], "[0].persistence.granularity", "'24 bits'"),
    # ---- real_servers[i].*
    ("real-servers-missing", [web(real_servers=None)], "[0].real_servers", "required"),
    ("real-servers-string", [web(real_servers="192.0.2.11")], "[0].real_servers", "'192.0.2.11'"),
    ("real-server-string", [web(real_servers=["192.0.2.11"])], "[0].real_servers[0]", "'192.0.2.11'"),
    ("real-server-empty", rs(address=None), "[0].real_servers[0]", "host (an inventory hostname) or address"),
    ("real-server-key-misspelt", rs(wieght=2), "[0].real_servers[0].wieght", "'wieght'"),
    ("rs-ipv4-mapped", [six(real_servers=[{"address": "::ffff:192.0.2.11"}])], "[0].real_servers[0].address", "'::ffff:192.0.2.11'"),
    ("rs-ipv4-mapped-hex", [six(real_servers=[{"address": "::FFFF:C000:20B"}])], "[0].real_servers[0].address", "'::FFFF:C000:20B'"),
    ("rs-link-local", [six(real_servers=[{"address": "fe80::11"}])], "[0].real_servers[0].address", "'fe80::11'"),
    ("rs-link-local-febf", [six(real_servers=[{"address": "febf::11"}])], "[0].real_servers[0].address", "'febf::11'"),
    ("rs-multicast-v6", [six(real_servers=[{"address": "ff05::2"}])], "[0].real_servers[0].address", "'ff05::2'"),
    ("rs-multicast-v4", rs(address="224.0.0.5"), "[0].real_servers[0].address", "'224.0.0.5'"),
    ("rs-broadcast", rs(address="255.255.255.255"), "[0].real_servers[0].address", "'255.255.255.255'"),
    ("rs-unspecified", rs(address="0.0.0.0"), "[0].real_servers[0].address", "'0.0.0.0'"),
    ("rs-scoped", [six(real_servers=[{"address": "fe80::11%eth1"}])], "[0].real_servers[0].address", "'fe80::11%eth1'"),
    ("rs-bracketed", [six(real_servers=[{"address": "[2001:db8:2::11]"}])], "[0].real_servers[0].address", "'[2001:db8:2::11]'"),
    ("rs-family-mismatch-dr", rs(address="2001:db8:2::11"), "[0].real_servers[0].address", "'2001:db8:2::11'"),
    ("rs-host-unknown", rs(address=None, host="nosuch"), "[0].real_servers[0].host", "'nosuch'"),
    ("rs-weight-negative", rs(weight=-1), "[0].real_servers[0].weight", "-1"),
    ("rs-weight-too-big", rs(weight=65536), "[0].real_servers[0].weight", "65536"),
    ("rs-weight-word", rs(weight="heavy"), "[0].real_servers[0].weight", "'heavy'"),
    ("rs-weight-boolean", rs(weight=True), "[0].real_servers[0].weight", "True"),
    ("rs-port-too-big", rs(port=65536), "[0].real_servers[0].port", "65536"),
    ("rs-port-mapped-by-dr", rs(port=8080), "[0].real_servers[0].port", "8080"),
    ("rs-port-mapped-by-tun", rs(port=8080, forwarding="tun"), "[0].real_servers[0].port", "8080"),
    ("rs-nat-fwmark-no-port", [mark(real_servers=[{"address": "198.51.100.11", "forwarding": "nat"}])], "[0].real_servers[0].port", "required"),
    ("rs-forwarding-unknown", rs(forwarding="gre"), "[0].real_servers[0].forwarding", "'gre'"),
    ("rs-duplicate", [web(real_servers=[{"address": "192.0.2.11"}, {"address": "192.0.2.11", "weight": 2}])], "[0].real_servers[1]", "'192.0.2.11'"),
    # ---- thresholds
    ("threshold-upper-too-big", rs(upper_threshold=2147483648), "[0].real_servers[0].upper_threshold", "2147483648"),
    ("threshold-lower-negative", rs(lower_threshold=-1), "[0].real_servers[0].lower_threshold", "-1"),
    ("threshold-lower-above-upper", rs(upper_threshold=10, lower_threshold=20), "[0].real_servers[0].lower_threshold", "20"),
    ("threshold-lower-without-upper", rs(lower_threshold=5), "[0].real_servers[0].lower_threshold", "5"),
    ("threshold-word", rs(upper_threshold="many"), "[0].real_servers[0].upper_threshold", "'many'"),
    # ---- tunnel.* (the service's and a real server's own)
    ("tunnel-key-misspelt", tun({"tpye": "gue"}), "[0].tunnel.tpye", "'tpye'"),
    ("tunnel-key-misspelt-rs", tun({"prot": 6080}, "rs"), "[0].real_servers[0].tunnel.prot", "'prot'"),
    ("tunnel-type-unknown", tun({"type": "vxlan"}), "[0].tunnel.type", "'vxlan'"),
    ("tunnel-gue-without-port", tun({"type": "gue"}), "[0].tunnel.port", "required"),
    ("tunnel-port-on-ipip", tun({"type": "ipip", "port": 6080}), "[0].tunnel.port", "6080"),
    ("tunnel-port-zero", tun({"type": "gue", "port": 0}, "rs"), "[0].real_servers[0].tunnel.port", "0"),
    ("tunnel-remcsum-on-gre", tun({"type": "gre", "checksum": "remcsum"}), "[0].tunnel.checksum", "'remcsum'"),
    ("tunnel-checksum-on-ipip", tun({"checksum": "csum"}, "rs"), "[0].real_servers[0].tunnel.checksum", "'csum'"),
    ("tunnel-on-direct-service", [web(tunnel={"type": "ipip"})], "[0].tunnel", "'direct'"),
    ("tunnel-on-direct-rs", rs(tunnel={"type": "gre"}), "[0].real_servers[0].tunnel", "'direct'"),
    # ---- keepalived-only fields are still checked everywhere (one validator)
    ("check-type-unknown", [web(check={"type": "http_get"})], "[0].check.type", "'http_get'"),
    ("check-key-for-other-type", [web(check={"type": "tcp", "path": "/x"})], "[0].check.path", "'/x'"),
    ("sorry-server-multicast", [web(sorry_server={"address": "224.0.0.9"})], "[0].sorry_server.address", "'224.0.0.9'"),
]

MODEL_IDS = [case[0] for case in MODEL]


def test_the_table_is_big_and_its_ids_unique():
    assert len(MODEL) >= 60 and len(set(MODEL_IDS)) == len(MODEL)


# ------------------------------------------------------------------------------ the entry points


@pytest.fixture
def sealed(monkeypatch, tmp_path):
    """No command runs, no file is written: every tool call fails the test; the modules' file
    roots point into ``tmp_path/host``, which must stay absent."""

    def refuse(*args, **_kw):
        raise AssertionError("bad input ran a command: %r" % (args,))

    monkeypatch.setattr(CommandRunner, "run", lambda _self, tool, args, **kw: refuse(tool, args))
    monkeypatch.setattr(AnsibleModule, "run_command", lambda _self, argv, **kw: refuse(argv))
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda _self, arg, required=False, opt_dirs=None: "/usr/sbin/" + arg)
    monkeypatch.setattr(_ipvsadm.IPVSAdm, "kernel_loaded", lambda _self: True)
    monkeypatch.setattr(_ipvsadm, "THRESHOLDS_MARKER", str(tmp_path / "host" / "run" / "ipvs-thresholds"))
    monkeypatch.setattr(_netconf, "ROOT", str(tmp_path / "host"))
    monkeypatch.setattr(_arptables, "ROOT", str(tmp_path / "host"))
    monkeypatch.setattr(_sysctl, "PROC_ROOT", str(tmp_path / "host" / "proc"))
    yield tmp_path / "host"
    assert not (tmp_path / "host").exists(), "bad input wrote to the host"


def run_module(module, capsys, **args):
    args.update(_ansible_check_mode=False, _ansible_diff=True)
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    result = json.loads(capsys.readouterr().out)
    assert result.get("failed") is True, result
    return result["msg"]


def run_action(cls, args, task_vars):
    task = MagicMock()
    task.args = copy.deepcopy(args)
    task.async_val = 0
    task.check_mode = False
    connection = MagicMock()
    action = cls(task, connection, MagicMock(), MagicMock(), MagicMock(), MagicMock())
    action._execute_module = MagicMock(side_effect=AssertionError("bad input reached the module"))
    result = action.run(task_vars=task_vars)
    assert result.get("failed") is True, result
    return result


def via_filter(services, _sealed, _capsys):
    with pytest.raises(AnsibleFilterError) as info:
        lvs_services(copy.deepcopy(services), HOSTVARS)
    return "lvs_virtual_services", str(info.value)


def via_service_model(services, _sealed, _capsys):
    result = run_action(service_model_action.ActionModule, {"services": services}, {"hostvars": HOSTVARS})
    assert result["path"].startswith("lvs_virtual_services")
    return "lvs_virtual_services", result["msg"]


def via_ipvs_table_action(services, _sealed, _capsys):
    result = run_action(ipvs_table_action.ActionModule, {"services": services}, {"hostvars": HOSTVARS})
    return "services", result["msg"]


def via_ipvs_table_module(services, _sealed, capsys):
    return "services", run_module(ipvs_table, capsys, services=copy.deepcopy(services))


ENTRY_POINTS = {
    "lvs_services filter": via_filter,
    "service_model action": via_service_model,
    "ipvs_table action": via_ipvs_table_action,
    "ipvs_table module": via_ipvs_table_module,
}


# the module's argument spec (services: list of dicts) answers these before the validator does,
# in AnsibleModule's words: the parameter and the type (the action plugin, which every task goes
# through, gives the validator's message)
ARGSPEC_FIRST = {"list-not-a-list": "argument 'services' is of type dict", "service-not-a-mapping": "Elements value for option 'services' is of type"}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("bad", MODEL, ids=MODEL_IDS)
def test_bad_model_is_refused_naming_path_and_value(sealed, capsys, entry, bad):
    case, services, path, needle = bad
    root, msg = ENTRY_POINTS[entry](services, sealed, capsys)
    if entry == "ipvs_table module" and case in ARGSPEC_FIRST:
        assert msg.startswith(ARGSPEC_FIRST[case]), msg
        return
    assert msg.startswith("%s%s: " % (root, path)), msg
    assert needle in msg, msg


# ------------------------------------------------------------------------------ module parameters

SVC = {"address": "192.0.2.10", "port": 80}
DEST = dict(SVC, server_address="192.0.2.11")

# (id, module, args, parameter, text naming the value)
PARAMS = [
    ("service-address", ipvs_service, {"address": "192.0.2.300", "port": 80}, "address", "'192.0.2.300'"),
    ("service-address-bracketed-v4", ipvs_service, {"address": "[192.0.2.10]", "port": 80}, "address", "'[192.0.2.10]'"),
    ("service-address-scoped", ipvs_service, {"address": "fe80::1%eth0", "port": 80}, "address", "'fe80::1%eth0'"),
    ("service-address-multicast", ipvs_service, {"address": "[ff02::1]", "port": 80}, "address", "'ff02::1'"),
    ("service-port-big", ipvs_service, {"address": "192.0.2.10", "port": 65536}, "port", "65536"),
    ("service-port-zero", ipvs_service, {"address": "192.0.2.10", "port": 0}, "port", "0"),
    ("service-fwmark-zero", ipvs_service, {"fwmark": 0}, "fwmark", "0"),
    ("service-fwmark-big", ipvs_service, {"fwmark": 4294967296}, "fwmark", "4294967296"),
    ("service-family", ipvs_service, dict(SVC, family="ipv6"), "family", "'ipv6'"),
    ("service-scheduler", ipvs_service, dict(SVC, scheduler="fastest"), "scheduler", "fastest"),
    ("service-persistent-negative", ipvs_service, dict(SVC, persistent=-5), "persistent", "-5"),
    ("service-persistent-too-long", ipvs_service, dict(SVC, persistent=2678401), "persistent", "2678401"),
    ("service-netmask-without-persistence", ipvs_service, dict(SVC, netmask="255.255.255.0"), "netmask", "'255.255.255.0'"),
    ("service-netmask-prefix-v4", ipvs_service, dict(SVC, persistent=60, netmask="33"), "netmask", "'33'"),
    ("service-netmask-v4-on-v6", ipvs_service, {"address": "2001:db8::10", "port": 80, "persistent": 60, "netmask": "255.255.255.0"}, "netmask",
     "'255.255.255.0'"),
    ("service-one-packet-tcp", ipvs_service, dict(SVC, one_packet="yes "), "one_packet", "True"),
    ("service-one-packet-maybe", ipvs_service, dict(SVC, protocol="udp", one_packet="maybe"), "one_packet", "maybe"),
    ("service-sched-flag", ipvs_service, dict(SVC, scheduler="wrr", sched_flags=["sh-port"]), "sched_flags", "'sh-port'"),
    ("service-sched-flag-3-sh", ipvs_service, dict(SVC, scheduler="sh", sched_flags=["flag-3"]), "sched_flags", "'flag-3'"),
    ("service-pe-alone", ipvs_service, dict(SVC, persistence_engine="sip"), "persistence_engine", "'sip'"),
    ("rs-address-mapped", ipvs_real_server, {"address": "2001:db8::10", "port": 80, "server_address": "::ffff:192.0.2.11"}, "server_address",
     "'::ffff:192.0.2.11'"),
    ("rs-address-link-local", ipvs_real_server, {"address": "2001:db8::10", "port": 80, "server_address": "fe80::11"}, "server_address", "'fe80::11'"),
    ("rs-address-family", ipvs_real_server, dict(SVC, server_address="2001:db8::11"), "server_address", "'2001:db8::11'"),
    ("rs-weight-negative", ipvs_real_server, dict(DEST, weight=-1), "weight", "-1"),
    ("rs-weight-big", ipvs_real_server, dict(DEST, weight=65536), "weight", "65536"),
    ("rs-port-dr", ipvs_real_server, dict(DEST, server_port=8080), "server_port", "8080"),
    ("rs-forwarding", ipvs_real_server, dict(DEST, forwarding="bridge"), "forwarding", "bridge"),
    ("rs-thresholds", ipvs_real_server, dict(DEST, upper_threshold=10, lower_threshold=20), "lower_threshold", "20"),
    ("rs-threshold-big", ipvs_real_server, dict(DEST, upper_threshold=2147483648), "upper_threshold", "2147483648"),
    ("rs-tunnel-on-dr", ipvs_real_server, dict(DEST, tunnel_type="gue"), "tunnel_type", "'gue'"),
    ("rs-tunnel-gue-no-port", ipvs_real_server, dict(DEST, forwarding="tunnel", tunnel_type="gue"), "tunnel_port", "required"),
    ("rs-tunnel-port-ipip", ipvs_real_server, dict(DEST, forwarding="tunnel", tunnel_port=6080), "tunnel_port", "6080"),
    ("rs-tunnel-remcsum-gre", ipvs_real_server, dict(DEST, forwarding="tunnel", tunnel_type="gre", tunnel_checksum="remcsum"), "tunnel_checksum",
     "'remcsum'"),
    ("rs-drained-weight", ipvs_real_server, dict(DEST, state="drained", weight=3), "weight", "3"),
    ("table-scope-item", ipvs_table, {"services": [web()], "scope": ["192.0.2.10", "nonsense"]}, "scope", "'nonsense'"),
    ("table-scope-fwmark", ipvs_table, {"services": [web()], "scope": "192.0.2.10,fwmark:0"}, "scope", "'fwmark:0'"),
    ("table-outside-scope", ipvs_table, {"services": [web()], "scope": ["192.0.2.64"]}, "services", "192.0.2.64"),
    ("lo-vip-address", lo_vip, {"addresses": ["192.0.2.300"]}, "addresses", "'192.0.2.300'"),
    ("lo-vip-name", lo_vip, {"addresses": ["vip.example"]}, "addresses", "'vip.example'"),
    ("lo-vip-prefix", lo_vip, {"addresses": ["192.0.2.10/24"]}, "addresses", "'192.0.2.10/24'"),
    ("lo-vip-prefix-33", lo_vip, {"addresses": ["192.0.2.10/33"]}, "addresses", "'192.0.2.10/33'"),
    ("lo-vip-loopback", lo_vip, {"addresses": ["127.0.0.2"]}, "addresses", "'127.0.0.2'"),
    ("lo-vip-multicast", lo_vip, {"addresses": ["ff02::1"]}, "addresses", "'ff02::1'"),
    ("lo-vip-link-local", lo_vip, {"addresses": ["fe80::10"]}, "addresses", "'fe80::10'"),
    ("lo-vip-label", lo_vip, {"addresses": ["192.0.2.10"], "label": "eth0:vip"}, "label", "'eth0:vip'"),
    ("sysctl-hidden", sysctl_arp, {"hidden": 1}, "hidden", "1"),
    ("sysctl-arp-ignore", sysctl_arp, {"arp_ignore": 9}, "arp_ignore", "9"),
    ("sysctl-arp-announce", sysctl_arp, {"arp_announce": 3}, "arp_announce", "3"),
    ("sysctl-interface-name", sysctl_arp, {"interfaces": ["../lo"]}, "interfaces", "'../lo'"),
    ("arptables-destination", arptables_rule, {"chain": "INPUT", "destination": "192.0.2.300", "jump": "DROP"}, "destination", "'192.0.2.300'"),
    ("arptables-rules-item", arptables_rule, {"rules": [{"chain": "INPUT", "destination": "nope", "jump": "DROP"}]}, "rules[0]", "'nope'"),
    ("arptables-chain", arptables_rule, {"chain": "FORWARD", "destination": "192.0.2.10", "jump": "DROP"}, "chain", "FORWARD"),
]


@pytest.mark.parametrize("bad", PARAMS, ids=[case[0] for case in PARAMS])
def test_bad_parameter_is_refused_naming_it_and_the_value(sealed, capsys, bad):
    _case, module, args, param, needle = bad
    if module is sysctl_arp:
        args = dict(args, sysctl_file=str(sealed / "sysctl.d" / "90-lvs-cluster-arp.conf"))
    msg = run_module(module, capsys, **copy.deepcopy(args))
    assert param in msg, msg
    assert needle in msg, msg


def test_every_entry_point_and_module_is_covered():
    assert {case[1] for case in PARAMS} == {ipvs_service, ipvs_real_server, ipvs_table, lo_vip, sysctl_arp, arptables_rule}
    assert len(MODEL) + len(PARAMS) >= 120
