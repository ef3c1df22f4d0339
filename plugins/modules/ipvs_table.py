#!/usr/bin/python
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ipvs_table
short_description: Reconcile the whole IPVS table (or the part under given VIPs) in one call
version_added: 0.1.0
description:
  - Takes the desired virtual services in the service model schema (see C(docs/service-model.md) of this collection), reads the
    kernel table once (C(ipvsadm -Sn) and C(ipvsadm -Ln --thresholds)), computes the difference and applies it with one
    C(ipvsadm -R) in a safe order (edits, then deletions of real servers before services, additions last).
  - Services and real servers are edited in place, never deleted and re-added, so their connections survive.
  - Nothing that is not listed is removed unless O(purge=true); services are only purged under O(scope).
  - If C(ipvsadm -R) fails half-way, the table is re-read and the failure lists RV(applied) and RV(not_applied).
  - The keepalived-only fields of the model (C(check), C(sorry_server), C(quorum), ...) are accepted and ignored.
author: lvs.cluster developers (@lvs-cluster)
extends_documentation_fragment:
  - lvs.cluster.attributes
  - lvs.cluster.attributes.platform
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff shows the services that change, before and after, with their real servers.
  platform:
    platforms: linux
    details: Needs C(ipvsadm) and a kernel with IPVS.
options:
  services:
    description:
      - Virtual services in the service model schema. Real servers must be given by C(address); resolve C(host) entries first
        (for example with the P(lvs.cluster.lvs_services#filter) filter).
      - IPVS fields used; C(address), C(port), C(fwmark), C(family), C(protocol), C(scheduler), C(sched_flags), C(forwarding),
        C(persistence) (C(timeout), C(netmask)), C(one_packet), C(persistence_engine), C(tunnel) (C(type), C(port), C(checksum)),
        and per real server C(address), C(port), C(weight), C(forwarding), C(upper_threshold), C(lower_threshold).
    type: list
    elements: dict
    required: true
  purge:
    description:
      - Remove what is not listed. Real servers of the listed services that are not listed are removed; with O(scope), services
        under the scope that are not listed are removed too.
    type: bool
    default: false
  scope:
    description:
      - The part of the table this call owns, as VIP addresses and C(fwmark:N) entries. Every listed service must be inside it.
      - Without it the call owns the listed services only.
    type: list
    elements: str
  load_module:
    description: Load the C(ip_vs) kernel module when it is missing (not in check mode).
    type: bool
    default: true
seealso:
  - module: lvs.cluster.ipvs_service
  - module: lvs.cluster.ipvs_real_server
  - module: lvs.cluster.ipvs_info
"""

EXAMPLES = r"""
- name: Static director from the service model
  lvs.cluster.ipvs_table:
    services: "{{ lvs_virtual_services | lvs.cluster.lvs_services(hostvars) }}"

- name: Own everything on two VIPs, remove what is not listed there
  lvs.cluster.ipvs_table:
    scope: [192.0.2.10, "2001:db8:1::10", "fwmark:5"]
    purge: true
    services:
      - name: web
        address: 192.0.2.10
        port: 80
        scheduler: wrr
        real_servers:
          - address: 192.0.2.11
            weight: 1
          - address: 192.0.2.12
            weight: 2
      - name: web6
        address: 2001:db8:1::10
        port: 443
        persistence: {timeout: 600, netmask: 64}
        forwarding: masquerade
        real_servers:
          - address: 2001:db8:2::11
            port: 8443
      - name: marked
        fwmark: 5
        forwarding: tunnel
        tunnel: {type: gue, port: 6080, checksum: csum}
        real_servers:
          - address: 198.51.100.11
"""

RETURN = r"""
added:
  description: Services and real servers added; a real server entry has C(destination).
  returned: always
  type: list
  elements: dict
  sample: [{"service": "tcp/192.0.2.10:80", "name": "web"}, {"service": "tcp/192.0.2.10:80", "name": "web", "destination": "192.0.2.11:80"}]
modified:
  description: Services and real servers edited in place; C(changes) maps each attribute to C([before, after]).
  returned: always
  type: list
  elements: dict
  sample: [{"service": "tcp/192.0.2.10:80", "destination": "192.0.2.12:80", "changes": {"weight": [1, 2]}}]
removed:
  description: Services and real servers removed.
  returned: always
  type: list
  elements: dict
  sample: []
commands:
  description: The C(ipvsadm -R) lines run (or, in check mode, that would run).
  returned: always
  type: list
  elements: str
  sample: ["-A -t 192.0.2.10:80 -s wrr", "-a -t 192.0.2.10:80 -r 192.0.2.11:80 -g -w 1 -x 0 -y 0"]
loaded_module:
  description: C(ip_vs) when the module loaded the kernel module (or would, in check mode).
  returned: when the kernel module was loaded
  type: str
  sample: ip_vs
applied:
  description: After a failed C(ipvsadm -R), the changes (same shape as RV(added)/RV(modified)/RV(removed)) found in the re-read table.
  returned: failure of ipvsadm -R
  type: dict
  sample: {"added": [], "modified": [], "removed": []}
not_applied:
  description: After a failed C(ipvsadm -R), the changes not found in the re-read table.
  returned: failure of ipvsadm -R
  type: dict
  sample: {"added": [{"service": "tcp/192.0.2.10:80"}], "modified": [], "removed": []}
diff:
  description: The services that change, before and after.
  returned: diff mode
  type: dict
  sample: {"before": [], "after": [{"service": "tcp/192.0.2.10:80", "scheduler": "wrr", "real_servers": []}]}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.lvs.cluster.plugins.module_utils._ipvsadm import run_table  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._runner import run_module  # noqa: E402


def main():
    module = AnsibleModule(
        argument_spec={
            "services": {"type": "list", "elements": "dict", "required": True},
            "purge": {"type": "bool", "default": False},
            "scope": {"type": "list", "elements": "str"},
            "load_module": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    run_module(module, lambda: run_table(module))


if __name__ == "__main__":
    main()
