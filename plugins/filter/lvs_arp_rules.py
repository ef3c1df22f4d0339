# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.module_utils._arptables import dr_rules

DOCUMENTATION = r"""
name: lvs_arp_rules
short_description: The ARP rules a DR or TUN real server needs for its VIPs
version_added: 0.2.0
description:
  - Takes the VIPs of a real server and returns the rules of M(lvs.cluster.arptables_rule) that keep it from answering ARP
    for them.
  - Drop ARP requests for each IPv4 VIP (chain C(INPUT)), and rewrite a VIP used as the source of an ARP request to the real
    server's own address (chain C(OUTPUT), C(mangle)).
  - IPv6 VIPs are skipped (neighbour discovery is not ARP).
author: lvs.cluster developers
positional: source
options:
  _input:
    description: VIP addresses (no prefix).
    type: list
    elements: str
    required: true
  source:
    description: The real server's own IPv4 address (what the directors send to).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Silence ARP for this real server's VIPs with arptables
  lvs.cluster.arptables_rule:
    rules: "{{ ['192.0.2.10'] | lvs.cluster.lvs_arp_rules('192.0.2.11') }}"
"""

RETURN = r"""
_value:
  description: Rules for O(lvs.cluster.arptables_rule#module:rules).
  type: list
  elements: dict
  sample:
    - {chain: INPUT, destination: 192.0.2.10, jump: DROP}
    - {chain: OUTPUT, source: 192.0.2.10, jump: mangle, mangle_ip_source: 192.0.2.11}
"""


def lvs_arp_rules(vips, source):
    if not isinstance(vips, list):
        raise AnsibleFilterError("lvs_arp_rules: expects a list of VIP addresses, got %r" % (vips,))
    return dr_rules(vips, source)


class FilterModule:
    def filters(self):
        return {"lvs_arp_rules": lvs_arp_rules}
