# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.module_utils._service_model import ServiceModelError, normalise_services

DOCUMENTATION = r"""
name: lvs_services
short_description: Validate and normalise the lvs.cluster service model
version_added: 0.1.0
description:
  - Validates O(_input), a list of virtual services in the schema of C(docs/service-model.md)
    (usually the variable C(lvs_virtual_services)), and returns it normalised.
  - Fills every default (protocol V(tcp), scheduler V(wlc), forwarding V(direct), check V(tcp),
    delay_loop V(6), real-server port = service port, weight V(1)), canonicalises addresses,
    netmasks and forwarding aliases (V(dr), V(nat), V(tun)) and resolves each real server's
    C(host) to its C(address) through O(hostvars) (C(lvs_real_server_address6) for IPv6 services,
    then C(lvs_real_server_address), then C(ansible_host), then the name if it is an address).
  - Adds C(virtual_servers) (the kernel virtual services of the entry, one per group member),
    C(vips) (the addresses a director holds) and C(method) (keepalived's DR/NAT/TUN).
  - Fails with a message that names the service (by name, else index), the field and the value.
author: lvs.cluster developers
positional: hostvars
options:
  _input:
    description: The list of virtual services.
    type: list
    elements: dict
    required: true
  hostvars:
    description: The C(hostvars) magic variable, to resolve C(host) entries. Omit when every real server gives C(address).
    type: dict
"""

EXAMPLES = r"""
- name: Normalise the service model once per play
  ansible.builtin.set_fact:
    __services: "{{ lvs_virtual_services | lvs.cluster.lvs_services(hostvars) }}"

- name: Every VIP:port the directors balance
  ansible.builtin.debug:
    msg: "{{ lvs_virtual_services | lvs.cluster.lvs_services(hostvars) | map(attribute='vips') | flatten | unique }}"
"""

RETURN = r"""
_value:
  description: The normalised services, each with every field of the schema set, plus C(virtual_servers), C(vips) and C(method).
  type: list
  elements: dict
"""


def lvs_services(services, hostvars=None):
    try:
        return normalise_services(services, hostvars)
    except ServiceModelError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self):
        return {"lvs_services": lvs_services}
