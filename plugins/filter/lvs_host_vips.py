# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.module_utils._service_model import ServiceModelError, host_vips

DOCUMENTATION = r"""
name: lvs_host_vips
short_description: The VIPs one real server of the lvs.cluster service model serves
version_added: 0.1.0
description:
  - Takes the output of P(lvs.cluster.lvs_services#filter) and returns the VIP addresses (no
    prefix, each once, in model order) of the services that list O(hostname) as a real server.
  - For fwmark services these are the service's C(vips).
author: lvs.cluster developers
positional: hostname, forwarding
options:
  _input:
    description: Normalised services (from P(lvs.cluster.lvs_services#filter)).
    type: list
    elements: dict
    required: true
  hostname:
    description: An inventory hostname, usually C(inventory_hostname).
    type: str
    required: true
  forwarding:
    description:
      - Only services where this host's entry uses this forwarding method, a value of the service model's C(forwarding) field
        (aliases such as V(dr) and V(nat) are accepted).
    type: str
"""

EXAMPLES = r"""
- name: Put the DR VIPs of this host on lo
  lvs.cluster.lo_vip:
    addresses: "{{ lvs_virtual_services | lvs.cluster.lvs_services(hostvars) | lvs.cluster.lvs_host_vips(inventory_hostname, 'direct') }}"
"""

RETURN = r"""
_value:
  description: VIP addresses.
  type: list
  elements: str
  sample: [192.0.2.10, 2001:db8:1::10]
"""


def lvs_host_vips(services, hostname, forwarding=None):
    if not isinstance(services, list) or any(not isinstance(s, dict) or "virtual_servers" not in s for s in services):
        raise AnsibleFilterError("lvs_host_vips: expects the output of lvs.cluster.lvs_services, not the raw list")
    try:
        return host_vips(services, hostname, forwarding)
    except ServiceModelError as exc:
        raise AnsibleFilterError("lvs_host_vips: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"lvs_host_vips": lvs_host_vips}
