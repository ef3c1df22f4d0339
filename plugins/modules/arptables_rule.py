#!/usr/bin/python
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: arptables_rule
short_description: ARP filter rules of an LVS DR real server (arptables-legacy, arptables-nft or nftables)
version_added: 0.1.0
description:
  - Manages rules of the shape C(-A INPUT -d VIP -j DROP) and C(-A OUTPUT -s VIP -j mangle --mangle-ip-s RIP), the
    arptables way of keeping a DR real server from answering or announcing ARP for the VIP.
  - A rule is present when an identical rule exists anywhere in its chain (position-insensitive); rules with options
    this module does not manage never match and are never removed.
  - Works with C(arptables-legacy), the nf_tables based C(arptables-nft), or writes the equivalent native nftables
    rules into the C(arp) family table C(lvs_cluster) (O(backend=nftables)).
  - Persistent state is a save file in C(/etc/lvs-cluster/) (C(arptables.rules), or C(arptables.nft) for nftables)
    restored at boot by the enabled unit C(lvs-cluster-arptables.service). Every call adds its rules to (or removes
    them from) that file.
  - With O(purge=true) the call also removes the rules it owns that are not listed, at runtime and from the save file. On
    the arptables backends it owns the rules of its save file (C(arptables.rules)) and the rules without unmanaged options
    whose source or destination is inside O(scope); on the nftables backend every rule of table C(arp lvs_cluster) and of
    C(arptables.nft). Purge only ever works on the backend this call uses (RV(backend)); rules of the other backends
    (C(arptables-nft) keeps its rules in table C(arp filter), not C(arp lvs_cluster)) and rules not owned stay.
author: lvs.cluster developers (@lvs-cluster)
extends_documentation_fragment:
  - lvs.cluster.attributes
  - lvs.cluster.attributes.platform
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the managed chains in C(arptables-save) notation and the save file and unit, purged rules included.
  platform:
    support: full
    platforms: linux
options:
  chain:
    description: Chain of the single rule.
    type: str
    choices: [INPUT, OUTPUT]
  destination:
    description: Target IPv4 address of the ARP packet (C(-d)), normally the VIP in C(INPUT).
    type: str
  source:
    description: Sender IPv4 address of the ARP packet (C(-s)), normally the VIP in C(OUTPUT). Required with O(jump=mangle).
    type: str
  in_interface:
    description: Input interface (C(-i)), C(INPUT) only.
    type: str
  out_interface:
    description: Output interface (C(-o)), C(OUTPUT) only.
    type: str
  jump:
    description: Target. V(mangle) rewrites the sender IP to O(mangle_ip_source) (C(OUTPUT) only).
    type: str
    choices: [DROP, ACCEPT, mangle]
  mangle_ip_source:
    description: New sender IPv4 address for O(jump=mangle) (C(--mangle-ip-s)), the real server's own address.
    type: str
  rules:
    description: Several rules at once, each with the single-rule options. Mutually exclusive with them.
    type: list
    elements: dict
    suboptions:
      chain:
        description: Chain.
        type: str
        choices: [INPUT, OUTPUT]
        required: true
      destination:
        description: Target IPv4 address (C(-d)).
        type: str
      source:
        description: Sender IPv4 address (C(-s)).
        type: str
      in_interface:
        description: Input interface (C(-i)).
        type: str
      out_interface:
        description: Output interface (C(-o)).
        type: str
      jump:
        description: Target.
        type: str
        choices: [DROP, ACCEPT, mangle]
        required: true
      mangle_ip_source:
        description: New sender address for V(mangle).
        type: str
  state:
    description: V(present) adds missing rules, V(absent) removes every identical copy (runtime and save file).
    type: str
    choices: [present, absent]
    default: present
  backend:
    description:
      - V(legacy) uses C(arptables-legacy), V(nft) the nf_tables based C(arptables-nft) tool, V(nftables) native
        C(nft) rules in table C(arp lvs_cluster).
      - V(auto) uses the installed C(arptables) (its variant from C(arptables -V)), else nftables.
      - V(arptables) uses the installed C(arptables) (its variant) and fails when there is none, never falling back to
        nftables; use it to purge what an earlier V(auto) run put into arptables without touching table C(arp lvs_cluster).
    type: str
    choices: [auto, arptables, legacy, nft, nftables]
    default: auto
  purge:
    description:
      - Remove the owned rules that are not listed (runtime and save file); see the description for what a call owns.
        Needs O(state=present); O(rules=[]) with O(purge=true) removes every owned rule of the backend.
    type: bool
    default: false
  scope:
    description:
      - IPv4 addresses or networks (the VIPs) whose live rules this call owns besides those of its save file, for
        O(purge) on the arptables backends. Use it to adopt rules put there by hand or by an older tool.
    type: list
    elements: str
    default: []
  persistent:
    description: Also manage the save file and the restore unit. With V(false) only the live table changes.
    type: bool
    default: true
seealso:
  - module: lvs.cluster.lo_vip
  - module: lvs.cluster.sysctl_arp
"""

EXAMPLES = r"""
- name: The two DR rules for one VIP
  lvs.cluster.arptables_rule:
    rules:
      - {chain: INPUT, destination: 192.0.2.10, jump: DROP}
      - {chain: OUTPUT, source: 192.0.2.10, jump: mangle, mangle_ip_source: 198.51.100.11}

- name: The same as native nftables rules
  lvs.cluster.arptables_rule:
    backend: nftables
    rules:
      - {chain: INPUT, destination: 192.0.2.10, jump: DROP}
      - {chain: OUTPUT, source: 192.0.2.10, jump: mangle, mangle_ip_source: 198.51.100.11}

- name: Drop ARP requests for the VIP on one interface only, runtime only
  lvs.cluster.arptables_rule:
    chain: INPUT
    in_interface: eth1
    destination: 192.0.2.10
    jump: DROP
    persistent: false

- name: Keep exactly the rules of one VIP among the owned ones (the rest of the save file and of 192.0.2.0/24 goes)
  lvs.cluster.arptables_rule:
    purge: true
    scope: [192.0.2.0/24]
    rules:
      - {chain: INPUT, destination: 192.0.2.10, jump: DROP}
      - {chain: OUTPUT, source: 192.0.2.10, jump: mangle, mangle_ip_source: 198.51.100.11}

- name: Remove every rule an earlier run with backend auto put into arptables, leaving nftables alone
  lvs.cluster.arptables_rule:
    backend: arptables
    rules: []
    purge: true

- name: Remove a rule
  lvs.cluster.arptables_rule:
    chain: INPUT
    destination: 192.0.2.10
    jump: DROP
    state: absent
"""

RETURN = r"""
backend:
  description: The backend used (V(legacy), V(nft) or V(nftables)).
  returned: always
  type: str
  sample: nft
added:
  description: Rules added (or that would be, in check mode), in C(arptables-save) notation.
  returned: always
  type: list
  elements: str
  sample: ["-A INPUT -j DROP -d 192.0.2.10"]
removed:
  description: Rules removed, in C(arptables-save) notation.
  returned: always
  type: list
  elements: str
  sample: []
purged:
  description: Owned rules not listed that O(purge=true) removed (or would remove, in check mode), live or from the save file.
  returned: always
  type: list
  elements: str
  sample: ["-A INPUT -j DROP -d 192.0.2.11"]
files:
  description: Save file and unit written or removed.
  returned: always
  type: list
  elements: str
  sample: [/etc/lvs-cluster/arptables.rules, /etc/systemd/system/lvs-cluster-arptables.service]
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.lvs.cluster.plugins.module_utils._arptables import run  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._runner import CommandRunner, run_module  # noqa: E402

SINGLE = ("chain", "destination", "source", "in_interface", "out_interface", "jump", "mangle_ip_source")


def main():
    rule_options = {
        "chain": {"type": "str", "choices": ["INPUT", "OUTPUT"]},
        "destination": {"type": "str"},
        "source": {"type": "str"},
        "in_interface": {"type": "str"},
        "out_interface": {"type": "str"},
        "jump": {"type": "str", "choices": ["DROP", "ACCEPT", "mangle"]},
        "mangle_ip_source": {"type": "str"},
    }
    sub = {k: dict(v) for k, v in rule_options.items()}
    sub["chain"]["required"] = True
    sub["jump"]["required"] = True
    module = AnsibleModule(
        argument_spec=dict(
            rule_options,
            rules={"type": "list", "elements": "dict", "options": sub, "required_if": [["jump", "mangle", ["mangle_ip_source", "source"]]]},
            state={"type": "str", "choices": ["present", "absent"], "default": "present"},
            backend={"type": "str", "choices": ["auto", "arptables", "legacy", "nft", "nftables"], "default": "auto"},
            persistent={"type": "bool", "default": True},
            purge={"type": "bool", "default": False},
            scope={"type": "list", "elements": "str", "default": []},
        ),
        mutually_exclusive=[["rules", opt] for opt in SINGLE],
        required_one_of=[["rules", "jump"]],
        required_together=[["chain", "jump"]],
        required_if=[["jump", "mangle", ["mangle_ip_source", "source"]]],
        supports_check_mode=True,
    )
    run_module(module, lambda: run(module, CommandRunner(module)))


if __name__ == "__main__":
    main()
