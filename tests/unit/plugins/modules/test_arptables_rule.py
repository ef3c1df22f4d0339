# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lvs.cluster.arptables_rule end to end through main(); run_command is the one patched choke point.
The simulated arptables prints ``-L -n`` exactly as the recorded tools do (legacy: trailing blank)."""

from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.cluster.plugins.module_utils import _arptables
from ansible_collections.lvs.cluster.plugins.modules import arptables_rule

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "module_utils", "fixtures", "hostmods")
DR = [
    {"chain": "INPUT", "destination": "192.0.2.10", "jump": "DROP"},
    {"chain": "OUTPUT", "source": "192.0.2.10", "jump": "mangle", "mangle_ip_source": "198.51.100.11"},
]


class Host:
    def __init__(self, variant="nft", tools=("arptables", "arptables-nft", "arptables-legacy", "nft", "systemctl")):
        self.variant = variant
        self.tools = set(tools)
        self.chains = {"INPUT": [], "OUTPUT": [], "FORWARD": []}
        self.nft = []  # (handle, chain, text)
        self.handle = 0
        self.enabled = False
        self.calls = []

    def writes(self):
        return [c for c in self.calls if c[1:] not in (["-L", "-n"], ["-V"]) and c[1] != "is-enabled" and c[1:3] != ["-j", "list"]]

    def listing(self):
        trail = " " if self.variant == "legacy" else ""
        out = []
        for chain, rules in self.chains.items():
            out.append("Chain %s (policy ACCEPT)" % chain)
            out += [r + trail for r in rules]
            out.append("")
        return "\n".join(out)

    def run_command(self, argv, data=None, **_kwargs):
        tool, args = os.path.basename(argv[0]), list(argv[1:])
        self.calls.append([tool, *args])
        if tool.startswith("arptables"):
            if args == ["-V"]:
                return 0, "arptables v1.8.9 (nf_tables)\n" if self.variant == "nft" else "arptables v0.0.5\n", ""
            if args == ["-L", "-n"]:
                return 0, self.listing(), ""
            rule = " ".join(args[2:])
            if args[0] == "-A":
                self.chains[args[1]].append(rule)
            elif args[0] == "-D":
                if rule not in self.chains[args[1]]:
                    return 1, "", "arptables: Bad rule (does a matching rule exist in that chain?).\n"
                self.chains[args[1]].remove(rule)
            return 0, "", ""
        if tool == "nft":
            if args[:2] == ["-j", "list"]:
                if not self.nft:
                    return 1, "", "Error: No such file or directory\n"
                rules = [{"rule": {"family": "arp", "table": "lvs_cluster", "chain": c, "handle": h, "expr": expr}} for h, c, expr in self.nft]
                return 0, json.dumps({"nftables": [{"table": {"family": "arp", "name": "lvs_cluster"}}, *rules]}), ""
            for line in data.splitlines():
                words = line.split()
                if words[:2] == ["add", "rule"]:
                    self.handle += 1
                    self.nft.append((self.handle, words[4], nft_expr(" ".join(words[5:]))))
                elif words[:2] == ["delete", "rule"]:
                    self.nft = [r for r in self.nft if r[0] != int(words[-1])]
            return 0, "", ""
        if tool == "systemctl":
            if args[0] == "is-enabled":
                return (0, "enabled\n", "") if self.enabled else (1, "disabled\n", "")
            if args[0] in ("enable", "disable"):
                self.enabled = args[0] == "enable"
            return 0, "", ""
        raise AssertionError(argv)


def nft_expr(text):
    """The JSON nft prints for the rules this module writes (shape as recorded in nft_arp_table.json)."""
    words, expr = text.split(), []
    i = 0
    while i < len(words):
        if words[i] in ("iifname", "oifname"):
            expr.append({"match": {"op": "==", "left": {"meta": {"key": words[i]}}, "right": words[i + 1].strip('"')}})
            i += 2
        elif words[i] == "arp" and words[i + 3:i + 4] == ["set"]:
            expr.append({"mangle": {"key": {"payload": {"protocol": "arp", "field": "saddr ip"}}, "value": words[i + 4]}})
            i += 5
        elif words[i] == "arp":
            expr.append({"match": {"op": "==", "left": {"payload": {"protocol": "arp", "field": words[i + 1] + " ip"}}, "right": words[i + 3]}})
            i += 4
        else:
            expr.append({words[i]: None})
            i += 1
    return expr


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setattr(_arptables, "ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture
def host(monkeypatch):
    current = Host()
    monkeypatch.setattr(AnsibleModule, "run_command", lambda self, argv, **kw: current.run_command(argv, **kw))
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, arg, required=False, opt_dirs=None: "/usr/sbin/" + arg if arg in current.tools else None)
    return current


def run(capsys, check_mode=False, **args):
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = True
    with patch_module_args(args), pytest.raises(SystemExit):
        arptables_rule.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("variant", ["legacy", "nft"])
def test_dr_rules_apply_rerun_absent(root, host, capsys, variant):
    host.variant = variant
    host.chains["INPUT"].append("-j ACCEPT -d 192.0.2.99")  # someone else's rule, before ours
    result = run(capsys, rules=DR, backend=variant)
    assert result["changed"] is True
    assert result["backend"] == variant
    assert result["added"] == ["-A INPUT -j DROP -d 192.0.2.10", "-A OUTPUT -j mangle -s 192.0.2.10 --mangle-ip-s 198.51.100.11"]
    assert host.chains["INPUT"] == ["-j ACCEPT -d 192.0.2.99", "-j DROP -d 192.0.2.10"]
    assert host.calls[-1] == ["systemctl", "enable", "lvs-cluster-arptables.service"]
    save = (root / "etc/lvs-cluster/arptables.rules").read_text()
    assert save.splitlines()[1:] == ["*filter", "-A INPUT -j DROP -d 192.0.2.10", "-A OUTPUT -j mangle -s 192.0.2.10 --mangle-ip-s 198.51.100.11"]
    unit = (root / "etc/systemd/system/lvs-cluster-arptables.service").read_text()
    binary = "/usr/sbin/arptables-%s" % variant
    assert "ExecStart=-%s -D INPUT -j DROP -d 192.0.2.10\nExecStart=%s -A INPUT -j DROP -d 192.0.2.10\n" % (binary, binary) in unit
    assert "+" not in result["diff"]["before"]
    assert "-A OUTPUT -j mangle -s 192.0.2.10 --mangle-ip-s 198.51.100.11" in result["diff"]["after"]

    # position-insensitive: our rule moved to the top still counts
    host.chains["INPUT"].reverse()
    host.calls.clear()
    assert run(capsys, rules=DR, backend=variant)["changed"] is False
    assert host.writes() == []

    result = run(capsys, chain="INPUT", destination="192.0.2.10", jump="DROP", state="absent", backend=variant)
    assert result["removed"] == ["-A INPUT -j DROP -d 192.0.2.10"]
    assert host.chains["INPUT"] == ["-j ACCEPT -d 192.0.2.99"]
    assert "-A INPUT" not in (root / "etc/lvs-cluster/arptables.rules").read_text()
    run(capsys, rules=DR, state="absent", backend=variant)
    assert host.chains == {"INPUT": ["-j ACCEPT -d 192.0.2.99"], "OUTPUT": [], "FORWARD": []}
    assert not (root / "etc/lvs-cluster/arptables.rules").exists()
    assert not (root / "etc/systemd/system/lvs-cluster-arptables.service").exists()
    assert host.enabled is False


def test_auto_uses_the_installed_variant(root, host, capsys):
    host.variant = "legacy"
    host.tools = {"arptables", "systemctl"}
    result = run(capsys, rules=DR)
    assert result["backend"] == "legacy"
    assert ["arptables", "-A", "INPUT", "-j", "DROP", "-d", "192.0.2.10"] in host.calls


def test_wrong_variant_is_refused(root, host, capsys):
    host.variant = "nft"
    host.tools = {"arptables", "systemctl"}
    result = run(capsys, rules=DR, backend="legacy")
    assert result["failed"] is True
    assert "backend=legacy: the installed arptables is the nft variant and arptables-legacy is missing" in result["msg"]


def test_check_mode_touches_nothing(root, host, capsys):
    result = run(capsys, check_mode=True, rules=DR)
    assert result["changed"] is True
    assert len(result["added"]) == 2
    assert host.writes() == []
    assert not (root / "etc").exists()


def test_nftables_backend(root, host, capsys):
    result = run(capsys, rules=DR, backend="nftables")
    assert result["backend"] == "nftables"
    script = [c for c in host.calls if c[:2] == ["nft", "-f"]]
    assert len(script) == 1
    assert [r[1] for r in host.nft] == ["input", "output"]
    saved = (root / "etc/lvs-cluster/arptables.nft").read_text()
    assert "\t\tarp daddr ip 192.0.2.10 drop\n" in saved
    assert "\t\tarp saddr ip 192.0.2.10 arp saddr ip set 198.51.100.11\n" in saved
    assert "ExecStart=/usr/sbin/nft -f /etc/lvs-cluster/arptables.nft" in (root / "etc/systemd/system/lvs-cluster-arptables.service").read_text()
    assert run(capsys, rules=DR, backend="nftables")["changed"] is False
    run(capsys, rules=DR[:1], backend="nftables", state="absent")
    assert [r[1] for r in host.nft] == ["output"]
    assert "daddr" not in (root / "etc/lvs-cluster/arptables.nft").read_text()


def test_disabled_unit_is_enabled_again(root, host, capsys):
    run(capsys, rules=DR)
    host.enabled = False
    host.calls.clear()
    result = run(capsys, rules=DR)
    assert result["changed"] is True
    assert host.writes() == [["systemctl", "enable", "lvs-cluster-arptables.service"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"chain": "OUTPUT", "source": "192.0.2.10", "jump": "mangle"}, "jump is mangle but all of the following are missing: mangle_ip_source"),
        ({"chain": "OUTPUT", "jump": "mangle", "mangle_ip_source": "198.51.100.11"}, "missing: source"),
        ({"rules": [{"chain": "OUTPUT", "jump": "mangle", "source": "192.0.2.10"}]}, "mangle_ip_source"),
        ({"chain": "INPUT", "destination": "192.0.2.300", "jump": "DROP"}, "destination='192.0.2.300' is not an IPv4 address"),
        ({"rules": [DR[0], {"chain": "INPUT", "destination": "nope", "jump": "DROP"}]}, "rules[1]: destination='nope'"),
        ({"chain": "INPUT", "destination": "192.0.2.10"}, "parameters are required together: chain, jump"),
        ({"rules": DR, "chain": "INPUT"}, "mutually exclusive"),
        ({"chain": "FORWARD", "destination": "192.0.2.10", "jump": "DROP"}, "chain"),
    ],
)
def test_bad_input_fails_before_any_change(root, host, capsys, args, message):
    result = run(capsys, **args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert host.writes() == []
    assert host.chains["INPUT"] == []


DR11 = [
    {"chain": "INPUT", "destination": "192.0.2.11", "jump": "DROP"},
    {"chain": "OUTPUT", "source": "192.0.2.11", "jump": "mangle", "mangle_ip_source": "198.51.100.11"},
]


@pytest.mark.parametrize("variant", ["legacy", "nft"])
def test_purge_removes_only_owned_rules(root, host, capsys, variant):
    host.variant = variant
    run(capsys, rules=DR + DR11)
    # not owned: a rule of someone else, a rule with an option this module does not manage
    host.chains["INPUT"] += ["-j DROP -d 203.0.113.5", "-j DROP -i eth0 -d 192.0.2.11 --opcode 1"]
    checked = run(capsys, check_mode=True, rules=DR, purge=True)
    assert checked["changed"] is True
    assert checked["purged"] == ["-A INPUT -j DROP -d 192.0.2.11", "-A OUTPUT -j mangle -s 192.0.2.11 --mangle-ip-s 198.51.100.11"]
    assert "-j DROP -d 192.0.2.11" in host.chains["INPUT"]
    assert "192.0.2.11" in (root / "etc/lvs-cluster/arptables.rules").read_text()
    assert "-A INPUT -j DROP -d 192.0.2.11\n" not in checked["diff"]["after"]

    result = run(capsys, rules=DR, purge=True)
    assert result["purged"] == checked["purged"]
    assert host.chains["INPUT"] == ["-j DROP -d 192.0.2.10", "-j DROP -d 203.0.113.5", "-j DROP -i eth0 -d 192.0.2.11 --opcode 1"]
    assert host.chains["OUTPUT"] == ["-j mangle -s 192.0.2.10 --mangle-ip-s 198.51.100.11"]
    assert "192.0.2.11" not in (root / "etc/lvs-cluster/arptables.rules").read_text()
    host.calls.clear()
    again = run(capsys, rules=DR, purge=True)
    assert again["changed"] is False
    assert host.writes() == []


def test_purge_scope_adopts_rules_not_in_the_save_file(root, host, capsys):
    host.chains["INPUT"] += ["-j DROP -d 192.0.2.11", "-j DROP -d 203.0.113.5"]
    host.chains["OUTPUT"] += ["-j mangle -s 192.0.2.11 --mangle-ip-s 198.51.100.11"]
    result = run(capsys, rules=[], purge=True, scope=["192.0.2.11"])
    assert result["purged"] == ["-A INPUT -j DROP -d 192.0.2.11", "-A OUTPUT -j mangle -s 192.0.2.11 --mangle-ip-s 198.51.100.11"]
    assert host.chains["INPUT"] == ["-j DROP -d 203.0.113.5"]
    assert host.chains["OUTPUT"] == []
    assert not (root / "etc/lvs-cluster/arptables.rules").exists()


def test_purge_on_nftables_owns_its_table_and_leaves_arptables_alone(root, host, capsys):
    run(capsys, rules=DR + DR11, backend="nftables")
    host.chains["INPUT"] += ["-j DROP -d 192.0.2.11"]  # arptables-nft's table arp filter: another backend
    result = run(capsys, rules=DR, backend="nftables", purge=True)
    assert sorted(result["purged"]) == ["-A INPUT -j DROP -d 192.0.2.11", "-A OUTPUT -j mangle -s 192.0.2.11 --mangle-ip-s 198.51.100.11"]
    assert len(host.nft) == 2
    assert host.chains["INPUT"] == ["-j DROP -d 192.0.2.11"]
    assert "192.0.2.11" not in (root / "etc/lvs-cluster/arptables.nft").read_text()
    assert run(capsys, rules=DR, backend="nftables", purge=True)["changed"] is False


def test_purging_the_other_backend_keeps_the_unit_of_the_active_one(root, host, capsys):
    # an earlier run used nftables; now arptables is the method: purge nftables with no rules
    run(capsys, rules=DR, backend="nftables")
    run(capsys, rules=DR)
    unit = (root / "etc/systemd/system/lvs-cluster-arptables.service").read_text()
    assert "(/etc/lvs-cluster/arptables.rules)" in unit
    result = run(capsys, rules=[], backend="nftables", purge=True)
    assert result["changed"] is True
    assert host.nft == []
    assert not (root / "etc/lvs-cluster/arptables.nft").exists()
    assert (root / "etc/systemd/system/lvs-cluster-arptables.service").read_text() == unit
    assert ["systemctl", "disable", "lvs-cluster-arptables.service"] not in host.calls
    assert len(host.chains["INPUT"]) == 1
    assert run(capsys, rules=[], backend="nftables", purge=True)["changed"] is False


def test_backend_arptables_never_falls_back_to_nftables(root, host, capsys):
    run(capsys, rules=DR, backend="nftables")
    host.tools -= {"arptables", "arptables-nft", "arptables-legacy"}
    result = run(capsys, rules=[], backend="arptables", purge=True)
    assert result["failed"] is True
    assert "never falls back to nftables" in result["msg"]
    assert len(host.nft) == 2
    # auto falls back; with the same wanted rules it purges nothing
    assert run(capsys, rules=DR, backend="auto", purge=True)["changed"] is False


def test_purge_needs_state_present(root, host, capsys):
    result = run(capsys, rules=DR, purge=True, state="absent")
    assert result["failed"] is True
    assert "purge=true needs state=present" in result["msg"]
    result = run(capsys, rules=[], purge=True, scope=["192.0.2.0/33"])
    assert "scope: '192.0.2.0/33'" in result["msg"]
