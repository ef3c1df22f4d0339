#!/usr/bin/python
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ipvs_table
short_description: Reconcile the whole IPVS table (or the part under given VIPs) in one call
version_added: 0.1.0
description:
  - Takes the desired virtual services in the service model schema (see C(docs/service-model.md) of this collection), validates them
    on the controller and sends the managed node the desired table as canonical C(ipvsadm -Sn) lines.
  - The module reads the kernel table once (C(ipvsadm -Sn), and C(ipvsadm -Ln --thresholds) when needed, see O(read_thresholds)) and
    compares line sets; only the services whose lines differ are parsed and diffed. The difference is applied with one
    C(ipvsadm -R) in a safe order (edits, then deletions of real servers before services, additions last).
  - Services and real servers are edited in place, never deleted and re-added, so their connections survive.
  - Nothing that is not listed is removed unless O(purge=true); services are only purged under O(scope).
  - If C(ipvsadm -R) fails half-way, the table is re-read and the failure lists RV(applied) and RV(not_applied).
  - The keepalived-only fields of the model (C(check), C(sorry_server), C(quorum), ...) are validated and otherwise ignored.
author: lvs.cluster developers (@lvs-cluster)
extends_documentation_fragment:
  - lvs.cluster.attributes
  - lvs.cluster.attributes.platform
  - lvs.cluster.service_model
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
  read_thresholds:
    description:
      - C(ipvsadm -Sn) does not show the real servers' upper and lower connection thresholds; only C(ipvsadm -Ln --thresholds)
        does, and on a big table that second listing costs as much as the first.
      - V(auto) reads it only when a listed real server sets C(upper_threshold) or C(lower_threshold), or when lvs.cluster set a
        threshold earlier (recorded in C(/run/lvs-cluster/ipvs-thresholds), which, like the IPVS table, does not survive a reboot).
        Otherwise the thresholds of the kernel's real servers are taken to be 0 and a threshold set by another tool
        (by hand, or keepalived's C(uthreshold)/C(lthreshold)) is neither seen nor reset.
      - V(always) reads the thresholds on every run, so that such foreign thresholds are reset to the listed values.
    type: str
    choices: [auto, always]
    default: auto
  report_limit:
    description:
      - At most this many entries in each of RV(added), RV(modified), RV(removed) and RV(commands); RV(counts) always has the
        totals and RV(truncated) says whether a list was cut. V(0) returns the full lists.
      - The module arguments echoed back in the result (C(invocation), shown with C(-vvv)) never hold the services, only how many
        there are (C(services_count)). Sending tens of thousands of entries back to the controller cost more than reading and
        changing the table.
    type: int
    default: 1000
  _desired:
    description:
      - Internal, set by the action plugin from O(services) (the desired table as canonical C(ipvsadm -Sn) lines, compressed). Do not set.
      - Not logged on the managed node.
    type: str
  _thresholds:
    description: Internal, set by the action plugin (the real servers' thresholds, which C(ipvsadm -Sn) does not show). Do not set.
    type: str
  _schedulers:
    description: Internal, set by the action plugin (the schedulers the table uses). Do not set.
    type: list
    elements: str
seealso:
  - module: lvs.cluster.ipvs_service
  - module: lvs.cluster.ipvs_real_server
  - module: lvs.cluster.ipvs_info
"""

EXAMPLES = r"""
- name: Static director from the service model (real servers by inventory host are resolved on the controller)
  lvs.cluster.ipvs_table:
    services: "{{ lvs_virtual_services }}"

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
  description: Services and real servers added (the first O(report_limit)); a real server entry has C(destination).
  returned: always
  type: list
  elements: dict
  sample: [{"service": "tcp/192.0.2.10:80", "name": "web"}, {"service": "tcp/192.0.2.10:80", "name": "web", "destination": "192.0.2.11:80"}]
modified:
  description: Services and real servers edited in place (the first O(report_limit)); C(changes) maps each attribute to C([before, after]).
  returned: always
  type: list
  elements: dict
  sample: [{"service": "tcp/192.0.2.10:80", "destination": "192.0.2.12:80", "changes": {"weight": [1, 2]}}]
removed:
  description: Services and real servers removed (the first O(report_limit)).
  returned: always
  type: list
  elements: dict
  sample: []
counts:
  description: How many entries RV(added), RV(modified) and RV(removed) have in total, and how many C(ipvsadm -R) lines ran.
  returned: always
  type: dict
  sample: {"added": 50000, "modified": 0, "removed": 0, "commands": 50000}
truncated:
  description: Whether RV(added), RV(modified), RV(removed) or RV(commands) were cut to O(report_limit) entries.
  returned: always
  type: bool
  sample: false
thresholds_read:
  description: Whether the real servers' thresholds were read (C(ipvsadm -Ln --thresholds)); see O(read_thresholds).
  returned: always
  type: bool
  sample: false
commands:
  description: The C(ipvsadm -R) lines run (or, in check mode, that would run), the first O(report_limit) of them.
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
  description:
    - The services that change, before and after, as C(ipvsadm -R) lines (never cut to O(report_limit)).
  returned: diff mode
  type: dict
  sample:
    before: "-A -t 192.0.2.10:80 -s wrr\n-a -t 192.0.2.10:80 -r 192.0.2.11:80 -g -w 1 -x 0 -y 0\n"
    after: "-A -t 192.0.2.10:80 -s wrr\n-a -t 192.0.2.10:80 -r 192.0.2.11:80 -g -w 3 -x 0 -y 0\n"
    before_header: IPVS services that change (before)
    after_header: IPVS services that change (after)
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.lvs.cluster.plugins.module_utils._ipvsadm import run_table  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._runner import run_module  # noqa: E402


def main():
    module = AnsibleModule(
        argument_spec={
            # validated by the one validator (in the action plugin, which sends _desired instead, or here when the
            # module runs without it), not by AnsibleModule
            "services": {"type": "list", "elements": "dict"},
            "purge": {"type": "bool", "default": False},
            "scope": {"type": "list", "elements": "str"},
            "load_module": {"type": "bool", "default": True},
            "read_thresholds": {"type": "str", "default": "auto", "choices": ["auto", "always"]},
            "report_limit": {"type": "int", "default": 1000},
            # megabytes for a big table: not logged (no_log), never echoed
            "_desired": {"type": "str", "no_log": True},
            "_thresholds": {"type": "str", "no_log": True},
            "_schedulers": {"type": "list", "elements": "str"},
        },
        required_one_of=[["services", "_desired"]],
        supports_check_mode=True,
    )
    run_module(module, lambda: run_table(module))


if __name__ == "__main__":
    main()
