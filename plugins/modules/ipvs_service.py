#!/usr/bin/python
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ipvs_service
short_description: Manage one IPVS virtual service
version_added: 0.1.0
description:
  - Creates, edits in place (C(ipvsadm -E)) or removes one IPVS virtual service, identified by O(protocol), O(address) and
    O(port), or by O(fwmark) (and O(family)).
  - Its real servers are left alone; manage them with M(lvs.cluster.ipvs_real_server) or the whole table with M(lvs.cluster.ipvs_table).
  - Reads the table with one C(ipvsadm -Sn) and writes with one C(ipvsadm -R); ipvsadm runs in the C locale.
author: lvs.cluster developers (@lvs-cluster)
extends_documentation_fragment:
  - lvs.cluster.attributes
  - lvs.cluster.attributes.platform
  - lvs.cluster.service_model.ipvs_service
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: linux
    details: Needs C(ipvsadm) and a kernel with IPVS (C(ip_vs)).
options:
  protocol:
    description: Transport protocol of an address service. Ignored for O(fwmark) services.
    type: str
    default: tcp
  address:
    description: Virtual IP address (IPv4 or IPv6, brackets optional). Requires O(port); mutually exclusive with O(fwmark).
    type: str
  port:
    description:
      - Virtual port, 1-65535.
      - V(0) means all ports and is only allowed for a persistent service (O(persistent) > 0).
    type: int
  fwmark:
    description: Firewall mark (1-4294967295) of a firewall-mark service instead of O(address)/O(port).
    type: int
  family:
    description:
      - Address family. Defaults to the family of O(address), else V(ipv4).
      - Set V(ipv6) for an IPv6 firewall-mark service (C(ipvsadm -f N -6)).
    type: str
  scheduler:
    description:
      - IPVS scheduler. The kernel must offer it (checked against its modules before any change; C(twos) needs Linux 6.2 or later).
    type: str
    default: wlc
  persistent:
    description:
      - Persistence timeout in seconds, in the range of the service model's C(persistence.timeout); V(0) (the default) makes the
        service not persistent.
    type: int
    default: 0
  netmask:
    description:
      - Persistence granularity. An IPv4 netmask (V(255.255.255.0)) or prefix length (V(24)) for an IPv4 service, an IPv6 prefix
        length (V(64)) for an IPv6 service. Only for a persistent service; defaults to one client address (/32 or /128).
    type: str
  persistence_engine:
    description: Alternative persistence engine (C(--pe)).
    type: str
  one_packet:
    description: One-packet scheduling (C(-o)), for UDP and firewall-mark services.
    type: bool
    default: false
  sched_flags:
    description:
      - Scheduler flags. V(sh-fallback) and V(sh-port) need O(scheduler=sh), V(mh-fallback) and V(mh-port) need O(scheduler=mh);
        V(flag-1), V(flag-2), V(flag-3) are the raw kernel bits.
    type: list
    elements: str
  state:
    description: V(present) creates or edits the service, V(absent) removes it with all its real servers.
    type: str
    choices: [present, absent]
    default: present
  load_module:
    description: Load the C(ip_vs) kernel module when it is missing (only with O(state=present); not done in check mode).
    type: bool
    default: true
seealso:
  - module: lvs.cluster.ipvs_real_server
  - module: lvs.cluster.ipvs_table
  - module: lvs.cluster.ipvs_info
  - name: ipvsadm(8)
    description: The IPVS administration tool.
    link: https://man7.org/linux/man-pages/man8/ipvsadm.8.html
"""

EXAMPLES = r"""
- name: HTTP service on a VIP, weighted round robin
  lvs.cluster.ipvs_service:
    address: 192.0.2.10
    port: 80
    scheduler: wrr

- name: Persistent HTTPS, clients of one /24 stick to one real server for 10 minutes
  lvs.cluster.ipvs_service:
    address: 192.0.2.10
    port: 443
    persistent: 600
    netmask: 255.255.255.0

- name: IPv6 firewall-mark service with source hashing on address and port
  lvs.cluster.ipvs_service:
    fwmark: 6
    family: ipv6
    scheduler: sh
    sched_flags: [sh-port]

- name: SIP over UDP with the SIP persistence engine and one-packet scheduling
  lvs.cluster.ipvs_service:
    protocol: udp
    address: 192.0.2.20
    port: 5060
    persistent: 120
    persistence_engine: sip
    one_packet: true

- name: Remove a service (and its real servers)
  lvs.cluster.ipvs_service:
    address: 192.0.2.10
    port: 8080
    state: absent
"""

RETURN = r"""
service:
  description: The desired service, normalised (V(null) with O(state=absent)).
  returned: success
  type: dict
  sample: {"service": "tcp/192.0.2.10:443", "protocol": "tcp", "family": "ipv4", "address": "192.0.2.10", "port": 443,
           "scheduler": "wlc", "persistent": 600, "netmask": "255.255.255.0", "persistence_engine": null, "one_packet": false, "sched_flags": []}
commands:
  description: The C(ipvsadm -R) lines run (or, in check mode, that would run).
  returned: always
  type: list
  elements: str
  sample: ["-E -t 192.0.2.10:443 -s wlc -p 600 -M 255.255.255.0"]
added:
  description: Services added, as C({service}) dicts.
  returned: always
  type: list
  elements: dict
  sample: []
modified:
  description: Services edited in place, with C(changes) mapping each attribute to C([before, after]).
  returned: always
  type: list
  elements: dict
  sample: [{"service": "tcp/192.0.2.10:443", "changes": {"persistent": [300, 600]}}]
removed:
  description: Services removed.
  returned: always
  type: list
  elements: dict
  sample: []
loaded_module:
  description: C(ip_vs) when the module loaded the kernel module (or would, in check mode).
  returned: when the kernel module was loaded
  type: str
  sample: ip_vs
diff:
  description: The service before and after as its C(ipvsadm -R) line (empty when it does not exist).
  returned: diff mode
  type: dict
  sample:
    before: ""
    after: "-A -t 192.0.2.10:80 -s wrr\n"
    before_header: IPVS services that change (before)
    after_header: IPVS services that change (after)
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.lvs.cluster.plugins.module_utils._schema import DEFAULT_SCHEDULER, PERSISTENCE_ENGINES, SCHED_FLAGS, SCHEDULERS  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._ipvsadm import SERVICE_KEY_RULES, SERVICE_KEY_SPEC, run_service  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._runner import run_module  # noqa: E402


def main():
    argument_spec = dict(SERVICE_KEY_SPEC)
    argument_spec.update(
        scheduler={"type": "str", "default": DEFAULT_SCHEDULER, "choices": list(SCHEDULERS)},
        persistent={"type": "int", "default": 0},
        netmask={"type": "str"},
        persistence_engine={"type": "str", "choices": list(PERSISTENCE_ENGINES)},
        one_packet={"type": "bool", "default": False},
        sched_flags={"type": "list", "elements": "str", "choices": list(SCHED_FLAGS)},
        state={"type": "str", "default": "present", "choices": ["present", "absent"]},
        load_module={"type": "bool", "default": True},
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **SERVICE_KEY_RULES)
    run_module(module, lambda: run_service(module))


if __name__ == "__main__":
    main()
