#!/usr/bin/python
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ipvs_info
short_description: Read the IPVS table, its counters, timeouts and sync daemons
version_added: 0.1.0
description:
  - Returns the current IPVS table as structured data (the same shape M(lvs.cluster.ipvs_table) reports), and on request
    traffic statistics, rates, connection counts, the protocol timeouts and the state of the connection sync daemons.
  - When the C(ip_vs) kernel module is not loaded it says so (RV(ip_vs_loaded)) and returns an empty table; it never loads it.
author: lvs.cluster developers (@lvs-cluster)
extends_documentation_fragment:
  - lvs.cluster.attributes
  - lvs.cluster.attributes.platform
  - lvs.cluster.attributes.info_module
attributes:
  platform:
    platforms: linux
    details: Needs C(ipvsadm).
options:
  gather:
    description:
      - What to read. V(services) the table; V(stats) and V(rates) add C(ipvsadm -Ln --stats/--rate --exact) counters to each
        service and real server; V(connections) adds active and inactive connection counts; V(timeouts) the tcp, tcpfin and udp
        timeouts; V(daemon) the sync daemons.
    type: list
    elements: str
    choices: [services, stats, rates, timeouts, daemon, connections]
    default: [services]
seealso:
  - module: lvs.cluster.ipvs_table
"""

EXAMPLES = r"""
- name: Read the table with counters and connections
  lvs.cluster.ipvs_info:
    gather: [services, stats, connections]
  register: ipvs

- name: Fail when a real server of the web VIP still has connections
  ansible.builtin.assert:
    that: ipvs.services | map(attribute='connections.active') | sum == 0
"""

RETURN = r"""
ip_vs_loaded:
  description: Whether the C(ip_vs) kernel module is loaded.
  returned: always
  type: bool
  sample: true
services:
  description: The virtual services with their real servers (and C(stats), C(rates), C(connections) when gathered).
  returned: when O(gather) has services, stats, rates or connections
  type: list
  elements: dict
  sample:
    - service: tcp/192.0.2.10:80
      protocol: tcp
      family: ipv4
      address: 192.0.2.10
      port: 80
      scheduler: wlc
      persistent: 0
      netmask: null
      persistence_engine: null
      one_packet: false
      sched_flags: []
      connections: {"active": 2, "inactive": 5}
      real_servers:
        - server: "192.0.2.11:80"
          address: 192.0.2.11
          port: 80
          forwarding: direct
          weight: 1
          upper_threshold: 0
          lower_threshold: 0
          tunnel_type: null
          tunnel_port: null
          tunnel_checksum: null
          connections: {"active": 2, "inactive": 5}
          stats: {"conns": 7, "inpkts": 70, "outpkts": 0, "inbytes": 4410, "outbytes": 0}
timeouts:
  description: Protocol timeouts in seconds.
  returned: when O(gather) has timeouts
  type: dict
  sample: {"tcp": 900, "tcpfin": 120, "udp": 300}
daemon:
  description: Running connection sync daemons.
  returned: when O(gather) has daemon
  type: list
  elements: dict
  sample: [{"state": "master", "mcast_interface": "eth1", "syncid": 7, "sync_maxlen": 1472, "mcast_group": "224.0.0.81", "mcast_port": 8848, "mcast_ttl": 1}]
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.lvs.cluster.plugins.module_utils._ipvsadm import GATHER, run_info  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._runner import run_module  # noqa: E402


def main():
    module = AnsibleModule(
        argument_spec={"gather": {"type": "list", "elements": "str", "default": ["services"], "choices": list(GATHER)}},
        supports_check_mode=True,
    )
    run_module(module, lambda: run_info(module))


if __name__ == "__main__":
    main()
