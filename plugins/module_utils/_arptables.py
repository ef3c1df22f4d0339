# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""arptables_rule: ARP filter rules through arptables-legacy, arptables-nft or native nftables (``arp`` family),
matched position-insensitively against the live table, persisted in a save file restored by a systemd unit."""

from __future__ import annotations

import ipaddress
import json
import re

from ansible_collections.lvs.cluster.plugins.module_utils._fileutil import read_text, remove_file, write_text_atomic
from ansible_collections.lvs.cluster.plugins.module_utils._runner import ModuleError

FIELDS = ("chain", "jump", "source", "destination", "in_interface", "out_interface", "mangle_ip_source")
OPTS = {"-s": "source", "-d": "destination", "-i": "in_interface", "-o": "out_interface", "--mangle-ip-s": "mangle_ip_source"}
NFT_TABLE = "lvs_cluster"
NFT_CHAINS = {"INPUT": "input", "OUTPUT": "output"}
ROOT = ""  # prefix of every path (unit tests point it at a temporary directory)
SAVE_DIR = "/etc/lvs-cluster"
UNIT_NAME = "lvs-cluster-arptables.service"
MARKER = "# Managed by lvs.cluster.arptables_rule"


class Rule:
    """One rule; ``extra`` holds options this module does not manage (such a rule never equals a wanted one)."""

    __slots__ = ("extra", "handle", "values")

    def __init__(self, values, extra=(), handle=None):
        self.values = tuple(values.get(f) for f in FIELDS)
        self.extra = tuple(extra)
        self.handle = handle

    def get(self, field):
        return self.values[FIELDS.index(field)]

    def key(self):
        return (self.values, self.extra)

    def __eq__(self, other):
        return isinstance(other, Rule) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def __lt__(self, other):
        return [str(v) for v in self.values] < [str(v) for v in other.values]

    def args(self):
        """arptables options after ``-A CHAIN``, in the order arptables prints them."""
        argv = ["-j", self.get("jump")]
        for opt in ("-i", "-o", "-s", "-d", "--mangle-ip-s"):
            value = self.get(OPTS[opt])
            if value is not None:
                argv += [opt, value]
        return argv

    def save_line(self):
        return " ".join(["-A", self.get("chain"), *self.args()])

    def nft(self):
        words = []
        if self.get("in_interface"):
            words.append('iifname "%s"' % self.get("in_interface"))
        if self.get("out_interface"):
            words.append('oifname "%s"' % self.get("out_interface"))
        if self.get("source"):
            words.append("arp saddr ip %s" % self.get("source"))
        if self.get("destination"):
            words.append("arp daddr ip %s" % self.get("destination"))
        jump = self.get("jump")
        words.append("arp saddr ip set %s" % self.get("mangle_ip_source") if jump == "mangle" else jump.lower())
        return " ".join(words)


def _address(value, field, where):
    text = str(value)
    if text.endswith("/32"):
        text = text[:-3]
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise ModuleError("%s%s=%r is not an IPv4 address (ARP carries IPv4 only)" % (where, field, value)) from None


def _interface(value, field, where):
    if not re.match(r"^[A-Za-z0-9_.@-]{1,15}$", value):
        raise ModuleError("%s%s=%r is not a valid interface name" % (where, field, value))
    return value


def make_rule(spec, where=""):
    """Validate and normalise one rule dict from the parameters (ModuleError names field and value)."""
    values = {"chain": spec["chain"], "jump": spec["jump"]}
    for field in ("source", "destination", "mangle_ip_source"):
        if spec.get(field) is not None:
            values[field] = _address(spec[field], field, where)
    for field in ("in_interface", "out_interface"):
        if spec.get(field) is not None:
            values[field] = _interface(spec[field], field, where)
    if values["chain"] == "INPUT" and "out_interface" in values:
        raise ModuleError("%sout_interface=%r: the INPUT chain has no output interface" % (where, values["out_interface"]))
    if values["chain"] == "OUTPUT" and "in_interface" in values:
        raise ModuleError("%sin_interface=%r: the OUTPUT chain has no input interface" % (where, values["in_interface"]))
    if values["jump"] == "mangle":
        if values["chain"] != "OUTPUT":
            raise ModuleError("%sjump=mangle in chain=%s: the mangle target rewrites outgoing ARP and works in OUTPUT only" % (where, values["chain"]))
        if "mangle_ip_source" not in values:
            raise ModuleError("%sjump=mangle needs mangle_ip_source (the real server's own address)" % where)
        if "source" not in values:
            raise ModuleError(
                "%sjump=mangle without source: it would rewrite the sender address of every outgoing ARP packet; "
                "set source to the VIP" % where
            )
    elif "mangle_ip_source" in values:
        raise ModuleError("%smangle_ip_source=%r is only valid with jump=mangle (got jump=%s)" % (where, values["mangle_ip_source"], values["jump"]))
    return Rule(values)


def dr_rules(vips, source):
    """The ARP rules of a DR/TUN real server (the arptables/nftables methods): drop ARP requests
    for each IPv4 VIP, and never use a VIP as the source of its own ARP requests (rewrite it to
    ``source``, the real server's address). IPv6 VIPs need none (neighbour discovery is not ARP)."""
    rules = []
    v4 = [vip for vip in vips if ":" not in str(vip)]
    rules.extend({"chain": "INPUT", "destination": str(vip), "jump": "DROP"} for vip in v4)
    rules.extend({"chain": "OUTPUT", "source": str(vip), "jump": "mangle", "mangle_ip_source": str(source)} for vip in v4)
    return rules


def parse_list(text):
    """``arptables -L -n`` (legacy or nft variant) -> list of Rule."""
    rules, chain = [], None
    for raw in (text or "").splitlines():
        line = raw.strip()
        match = re.match(r"^Chain (\S+) ", line)
        if match:
            chain = match.group(1)
            continue
        if line.startswith("-") and chain:
            rules.append(_parse_args(chain, line.split()))
    return rules


def parse_save(text):
    """``arptables-save`` style lines (``-A CHAIN ...``) -> list of Rule."""
    rules = []
    for raw in (text or "").splitlines():
        words = raw.split()
        if len(words) > 2 and words[0] == "-A":
            rules.append(_parse_args(words[1], words[2:]))
    return rules


def _parse_args(chain, words):
    values, extra, index = {"chain": chain}, [], 0
    while index < len(words):
        word = words[index]
        value = words[index + 1] if index + 1 < len(words) else None
        if word == "-j" and value:
            values["jump"] = value
            index += 2
        elif word in OPTS and value and value != "!":
            field = OPTS[word]
            values[field] = value[:-3] if value.endswith("/32") and field not in {"in_interface", "out_interface"} else value
            index += 2
        else:
            extra.append(word)
            index += 1
    return Rule(values, extra)


def parse_nft_json(text):
    """``nft -j list table arp lvs_cluster`` -> list of Rule (with handles)."""
    rules = []
    chains = {v: k for k, v in NFT_CHAINS.items()}
    for item in json.loads(text or "{}").get("nftables", []):
        rule = item.get("rule")
        if not rule:
            continue
        values, extra = {"chain": chains.get(rule["chain"], rule["chain"])}, []
        for expr in rule.get("expr", []):
            if "match" in expr and expr["match"].get("op") == "==":
                left, right = expr["match"]["left"], expr["match"]["right"]
                if left.get("meta", {}).get("key") in ("iifname", "oifname"):
                    values["in_interface" if left["meta"]["key"] == "iifname" else "out_interface"] = right
                    continue
                field = left.get("payload", {}).get("field") if left.get("payload", {}).get("protocol") == "arp" else None
                if field in ("saddr ip", "daddr ip") and isinstance(right, str):
                    values["source" if field == "saddr ip" else "destination"] = right
                    continue
            elif "mangle" in expr and expr["mangle"]["key"].get("payload", {}).get("field") == "saddr ip":
                values["jump"] = "mangle"
                values["mangle_ip_source"] = expr["mangle"]["value"]
                continue
            elif "drop" in expr or "accept" in expr:
                values["jump"] = "DROP" if "drop" in expr else "ACCEPT"
                continue
            elif "counter" in expr:
                continue
            extra.append(json.dumps(expr, sort_keys=True))
        rules.append(Rule(values, extra, handle=rule.get("handle")))
    return rules


_NFT_RULE = re.compile(
    r'^\s*(?:iifname "(?P<in_interface>[^"]+)"\s+)?(?:oifname "(?P<out_interface>[^"]+)"\s+)?(?:arp saddr ip (?P<source>\S+)\s+)?'
    r"(?:arp daddr ip (?P<destination>\S+)\s+)?(?:(?P<verdict>drop|accept)|arp saddr ip set (?P<mangle_ip_source>\S+))\s*$"
)


def parse_nft_file(text):
    """Rules of our own saved nft file (the format :meth:`Rule.nft` writes)."""
    rules, chain = [], None
    chains = {v: k for k, v in NFT_CHAINS.items()}
    for raw in (text or "").splitlines():
        match = re.match(r"^\s*chain (\S+) \{", raw)
        if match:
            chain = chains.get(match.group(1))
            continue
        match = _NFT_RULE.match(raw)
        if match and chain:
            values = {k: v for k, v in match.groupdict().items() if v and k != "verdict"}
            values["chain"] = chain
            values["jump"] = match.group("verdict").upper() if match.group("verdict") else "mangle"
            rules.append(Rule(values))
    return rules


class ArptablesTool:
    """arptables-legacy or arptables-nft."""

    kind = "arptables"

    def __init__(self, runner, variant):
        self.runner = runner
        self.variant = variant  # legacy | nft
        specific = "arptables-" + variant
        self.tool = specific if runner.has(specific) else "arptables"
        if self.tool == "arptables":
            if not runner.has("arptables"):
                raise ModuleError("backend=%s: neither %s nor arptables is installed" % (variant, specific))
            found = tool_variant(runner)
            if found != variant:
                raise ModuleError("backend=%s: the installed arptables is the %s variant and %s is missing" % (variant, found, specific))

    def read(self):
        return parse_list(self.runner.run(self.tool, ["-L", "-n"]).stdout)

    def apply(self, to_add, to_delete):
        for rule in to_delete:
            self.runner.run(self.tool, ["-D", rule.get("chain"), *rule.args()])
        for rule in to_add:
            self.runner.run(self.tool, ["-A", rule.get("chain"), *rule.args()])


class NftablesTool:
    kind = "nftables"

    def __init__(self, runner):
        self.runner = runner
        self.tool = "nft"
        runner.bin_path("nft")

    def read(self):
        res = self.runner.run("nft", ["-j", "list", "table", "arp", NFT_TABLE], ok_rc=None)
        if res.rc != 0:
            if "No such file or directory" in (res.stderr or ""):
                return []
            raise ModuleError("nft list table arp %s failed (rc=%s): %s" % (NFT_TABLE, res.rc, (res.stderr or "").strip()), rc=res.rc, stderr=res.stderr)
        return parse_nft_json(res.stdout)

    def apply(self, to_add, to_delete):
        self.runner.run("nft", ["-f", "-"], data=nft_script(to_add, to_delete))


def nft_script(to_add, to_delete):
    lines = ["add table arp %s" % NFT_TABLE]
    for name in ("input", "output"):
        lines.append("add chain arp %s %s { type filter hook %s priority filter; policy accept; }" % (NFT_TABLE, name, name))
    for rule in to_delete:
        lines.append("delete rule arp %s %s handle %s" % (NFT_TABLE, NFT_CHAINS[rule.get("chain")], rule.handle))
    for rule in to_add:
        lines.append("add rule arp %s %s %s" % (NFT_TABLE, NFT_CHAINS[rule.get("chain")], rule.nft()))
    return "\n".join(lines) + "\n"


def tool_variant(runner):
    out = runner.run("arptables", ["-V"], ok_rc=None)
    return "nft" if "nf_tables" in (out.stdout or "") + (out.stderr or "") else "legacy"


def choose_tool(runner, backend):
    if backend == "arptables":
        if not runner.has("arptables"):
            raise ModuleError("backend=arptables: arptables is not installed (this backend never falls back to nftables)")
        return ArptablesTool(runner, tool_variant(runner))
    if backend == "auto":
        if runner.has("arptables"):
            return ArptablesTool(runner, tool_variant(runner))
        if runner.has("nft"):
            return NftablesTool(runner)
        raise ModuleError("backend=auto: neither arptables nor nft is installed")
    if backend in ("legacy", "nft"):
        return ArptablesTool(runner, backend)
    return NftablesTool(runner)


class Persistence:
    """Save file (``arptables.rules`` or ``arptables.nft``) and the unit that restores it at boot."""

    def __init__(self, runner, tool):
        self.runner = runner
        self.tool = tool
        self.nft = tool.kind == "nftables"
        self.save_path = ROOT + SAVE_DIR + ("/arptables.nft" if self.nft else "/arptables.rules")
        self.unit_path = ROOT + "/etc/systemd/system/" + UNIT_NAME

    def read(self):
        text = read_text(self.save_path)
        if text is not None and not text.startswith(MARKER):
            raise ModuleError("%s exists but was not written by lvs.cluster.arptables_rule; refusing to overwrite it" % self.save_path)
        return text, (parse_nft_file(text) if self.nft else parse_save(text))

    def unit_is_ours(self, text):
        """The unit restores one save file; a unit restoring the other backend's file is not this call's to remove."""
        start = len(ROOT)
        return text is None or ("(%s)" % self.save_path[start:]) in text

    def render(self, rules):
        if not rules:
            unit = read_text(self.unit_path)
            return {self.save_path: None, self.unit_path: None if self.unit_is_ours(unit) else unit}
        rules = sorted(set(rules))
        head = MARKER + ": ARP rules restored at boot by %s. Local edits are overwritten.\n" % UNIT_NAME
        if self.nft:
            body = ["table arp %s\n" % NFT_TABLE, "delete table arp %s\n" % NFT_TABLE, "table arp %s {\n" % NFT_TABLE]
            for chain, name in NFT_CHAINS.items():
                body.append("\tchain %s {\n\t\ttype filter hook %s priority filter; policy accept;\n" % (name, name))
                body += ["\t\t%s\n" % r.nft() for r in rules if r.get("chain") == chain]
                body.append("\t}\n")
            body.append("}\n")
            execs = ["ExecStart=%s -f %s" % (self.runner.bin_path("nft"), self.save_path[len(ROOT):])]
        else:
            body = ["*filter\n"] + ["%s\n" % r.save_line() for r in rules]
            binary = self.runner.bin_path(self.tool.tool)
            # delete-then-append per rule: a restart never duplicates and rules of others stay
            execs = []
            for rule in rules:
                execs.append("ExecStart=-%s -D %s %s" % (binary, rule.get("chain"), " ".join(rule.args())))
                execs.append("ExecStart=%s -A %s %s" % (binary, rule.get("chain"), " ".join(rule.args())))
        unit = [
            head.rstrip("\n"),
            "[Unit]",
            "Description=lvs.cluster ARP rules (%s)" % self.save_path[len(ROOT):],
            "DefaultDependencies=no",
            "Before=network-pre.target",
            "Wants=network-pre.target",
            "",
            "[Service]",
            "Type=oneshot",
            "RemainAfterExit=yes",
            *execs,
            "",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ]
        return {self.save_path: head + "".join(body), self.unit_path: "\n".join(unit)}

    def enabled(self):
        return (self.runner.run("systemctl", ["is-enabled", UNIT_NAME], ok_rc=None).stdout or "").strip() == "enabled"


def _text(rules, files):
    lines = ["# runtime", *sorted(r.save_line() for r in rules)]
    for path in sorted(files):
        lines.append("# %s" % path)
        lines.append((files[path] or "(absent)\n").rstrip("\n"))
    return "\n".join(lines) + "\n"


def _scope(items):
    networks = []
    for item in items or ():
        try:
            networks.append(ipaddress.IPv4Network(str(item).strip(), strict=False))
        except ValueError:
            raise ModuleError("scope: %r is not an IPv4 address or network (ARP carries IPv4 only)" % (item,)) from None
    return networks


def owned(rule, saved, nft, scope):
    """Does this call own a live rule? Rules of its own save file, every rule of table arp lvs_cluster (nftables),
    and rules without unmanaged options whose source or destination is inside ``scope``."""
    if nft:
        return True  # the table is this module's: read() lists nothing else
    if rule.extra:
        return False
    if rule in saved:
        return True
    for field in ("source", "destination"):
        try:
            value = ipaddress.IPv4Network(rule.get(field) or "", strict=False)
        except ValueError:
            continue  # no address, or one this module cannot read: not owned
        if any(value.subnet_of(net) for net in scope):
            return True
    return False


def run(module, runner):
    params = module.params
    purge = params.get("purge", False)
    if purge and params["state"] != "present":
        raise ModuleError("purge=true needs state=present: it keeps exactly the listed rules (list none to remove every owned one)")
    scope = _scope(params.get("scope"))
    single = ("chain", "destination", "source", "in_interface", "out_interface", "jump", "mangle_ip_source")
    specs = params["rules"] if params["rules"] is not None else [{f: params[f] for f in single}]
    wanted = []
    for index, spec in enumerate(specs):
        if not spec.get("chain") or not spec.get("jump"):
            raise ModuleError("%schain and jump are required" % ("rules[%d]: " % index if params["rules"] else ""))
        rule = make_rule(spec, "rules[%d]: " % index if params["rules"] else "")
        if rule not in wanted:
            wanted.append(rule)
    tool = choose_tool(runner, params["backend"])
    # read
    live = tool.read()
    persist = Persistence(runner, tool) if params["persistent"] else None
    saved = []
    if persist:
        save_text, saved = persist.read()
        files_before = {persist.save_path: save_text, persist.unit_path: read_text(persist.unit_path)}
    purged = []
    # decide
    to_add, to_delete = [], []
    for rule in wanted:
        present = [r for r in live if r == rule]
        if params["state"] == "present" and not present:
            to_add.append(rule)
        elif params["state"] == "absent":
            to_delete += present
    if purge:
        for rule in live:
            if rule not in wanted and owned(rule, saved, tool.kind == "nftables", scope):
                to_delete.append(rule)
                purged.append(rule)
    files_after, activate = {}, False
    if persist:
        target = set(saved) | set(wanted) if params["state"] == "present" else set(saved) - set(wanted)
        if purge:
            purged += [r for r in saved if r not in wanted and r not in purged]
            target = set(wanted)
        files_after = persist.render(target)
        activate = bool(target) and not persist.enabled()
    changed_files = [p for p in files_after if files_after[p] != files_before.get(p)]
    changed = bool(to_add or to_delete or changed_files or activate)
    # apply
    if changed and not module.check_mode:
        tool.apply(to_add, to_delete)
        if files_after.get(persist.unit_path if persist else None, "") is None and files_before.get(persist.unit_path):
            runner.run("systemctl", ["disable", UNIT_NAME])
        for path in changed_files:
            if files_after[path] is None:
                remove_file(path)
            else:
                write_text_atomic(module, path, files_after[path])
        if changed_files:
            runner.run("systemctl", ["daemon-reload"])
        if persist and target and files_after[persist.unit_path] is not None and (activate or changed_files):
            runner.run("systemctl", ["enable", UNIT_NAME])
    after = [r for r in live if r not in to_delete] + to_add
    return {
        "changed": changed,
        "backend": tool.kind if tool.kind == "nftables" else tool.variant,
        "added": [r.save_line() for r in to_add],
        "removed": [r.save_line() for r in to_delete],
        "purged": list(dict.fromkeys(r.save_line() for r in purged)),
        "files": changed_files,
        "diff": {"before": _text(live, files_before if persist else {}), "after": _text(after, files_after)},
    }
