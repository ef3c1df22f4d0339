# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.module_utils._service_model import ServiceModelError, host_services

DOCUMENTATION = r"""
name: lvs_host_services
short_description: The services of the lvs.cluster service model that list one real server
version_added: 0.1.0
description:
  - Takes the output of P(lvs.cluster.lvs_services#filter) and returns the services that list
    O(hostname) (by C(host)) as a real server.
  - Each returned service carries C(real_server), this host's (first) entry, and
    C(real_server_entries), all of its entries (a host may serve one service on several ports).
author: lvs.cluster developers
positional: hostname
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
"""

EXAMPLES = r"""
- name: Ports this real server must answer on
  ansible.builtin.debug:
    msg: "{{ lvs_virtual_services | lvs.cluster.lvs_services(hostvars) | lvs.cluster.lvs_host_services(inventory_hostname)
             | map(attribute='real_server.port') | list }}"
"""

RETURN = r"""
_value:
  description: The services that list the host, each with C(real_server) and C(real_server_entries).
  type: list
  elements: dict
"""


def lvs_host_services(services, hostname):
    if not isinstance(services, list) or any(not isinstance(s, dict) or "virtual_servers" not in s for s in services):
        raise AnsibleFilterError("lvs_host_services: expects the output of lvs.cluster.lvs_services, not the raw list")
    try:
        return host_services(services, hostname)
    except ServiceModelError as exc:
        raise AnsibleFilterError("lvs_host_services: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"lvs_host_services": lvs_host_services}
