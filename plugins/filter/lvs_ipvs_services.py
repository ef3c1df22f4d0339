# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.module_utils._service_model import ServiceModelError, ipvs_services

DOCUMENTATION = r"""
name: lvs_ipvs_services
short_description: The lvs.cluster service model as input for lvs.cluster.ipvs_table
version_added: 0.1.0
description:
  - Takes the output of P(lvs.cluster.lvs_services#filter) and returns one entry per kernel virtual
    service, in the form M(lvs.cluster.ipvs_table) takes in O(lvs.cluster.ipvs_table#module:services).
  - Groups (C(group)) are expanded to one entry per member; keepalived-only keys (checks, sorry
    server, quorum, ...) are dropped, and each entry's C(check) is of type C(none) (IPVS runs no
    checks); real servers are given by C(address).
author: lvs.cluster developers
options:
  _input:
    description: Normalised services (from P(lvs.cluster.lvs_services#filter)).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Program the model without keepalived
  lvs.cluster.ipvs_table:
    services: "{{ lvs_virtual_services | lvs.cluster.lvs_services(hostvars) | lvs.cluster.lvs_ipvs_services }}"
"""

RETURN = r"""
_value:
  description: Services for M(lvs.cluster.ipvs_table).
  type: list
  elements: dict
"""


def lvs_ipvs_services(services):
    if not isinstance(services, list) or any(not isinstance(s, dict) or "virtual_servers" not in s for s in services):
        raise AnsibleFilterError("lvs_ipvs_services: expects the output of lvs.cluster.lvs_services, not the raw list")
    try:
        return ipvs_services(services)
    except ServiceModelError as exc:
        raise AnsibleFilterError("lvs_ipvs_services: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"lvs_ipvs_services": lvs_ipvs_services}
