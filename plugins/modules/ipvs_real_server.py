#!/usr/bin/python
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ipvs_real_server
short_description: Manage one real server (destination) of an IPVS virtual service
version_added: 0.1.0
description:
  - Adds, edits in place (C(ipvsadm -e)), drains (weight 0) or removes one destination of an existing virtual service.
  - With O(state=absent) and O(drain=true) the destination first gets weight 0 and the module waits until it has no active
    connections (UDP, no connection entries) or O(drain_timeout) passes, then removes it, like kube-proxy's graceful termination.
author: lvs.cluster developers (@lvs-cluster)
extends_documentation_fragment:
  - lvs.cluster.attributes
  - lvs.cluster.attributes.platform
  - lvs.cluster.service_model.ipvs_real_server
attributes:
  check_mode:
    support: full
    details: In check mode nothing is drained or waited for.
  diff_mode:
    support: full
  platform:
    platforms: linux
    details: Needs C(ipvsadm) and a kernel with IPVS; the service must exist (M(lvs.cluster.ipvs_service)).
options:
  protocol:
    description: Protocol of the service. Ignored for O(fwmark) services.
    type: str
    default: tcp
  address:
    description: Virtual IP of the service (IPv4 or IPv6, brackets optional). Requires O(port); mutually exclusive with O(fwmark).
    type: str
  port:
    description: Virtual port of the service (V(0) for an all-ports persistent service).
    type: int
  fwmark:
    description: Firewall mark of the service instead of O(address)/O(port).
    type: int
  family:
    description: Address family of the service; V(ipv6) for an IPv6 firewall-mark service. Defaults to the family of O(address).
    type: str
  server_address:
    description: Address of the real server, of the service's family (IPv6 with or without brackets).
    type: str
    required: true
  server_port:
    description:
      - Port of the real server. Defaults to the service port.
      - Only O(forwarding=masquerade) can map to another port; for direct routing and tunnelling the kernel uses the service port,
        so a different port is rejected (for firewall-mark services it is ignored).
    type: int
  forwarding:
    description:
      - Packet forwarding method, V(direct) (C(-g), DR), V(tunnel) (C(-i), TUN) or V(masquerade) (C(-m), NAT).
      - The service model's other spellings are accepted as they are there (V(dr), V(nat), V(tun), ...).
    type: str
    choices: [direct, dr, gatewaying, route, masquerade, nat, masquerading, tunnel, tun, ipip]
    default: direct
  weight:
    description: Scheduling weight (default 1), in the range of the service model's C(real_servers[].weight). V(0) quiesces the server.
    type: int
  upper_threshold:
    description: Upper connection threshold (C(-x)), in the range of the model's C(upper_threshold); V(0) means none.
    type: int
    default: 0
  lower_threshold:
    description: Lower connection threshold (C(-y)), not above O(upper_threshold); V(0) means none.
    type: int
    default: 0
  tunnel_type:
    description: Encapsulation for O(forwarding=tunnel); V(ipip) when not given.
    type: str
  tunnel_port:
    description: Destination UDP port of the GUE tunnel; required with O(tunnel_type=gue), not allowed otherwise.
    type: int
  tunnel_checksum:
    description:
      - Checksum mode of a GUE or GRE tunnel; V(nocsum) when not given. V(remcsum) (remote checksum offload) is GUE only.
    type: str
  state:
    description:
      - V(present) adds or edits the destination, V(drained) makes it present with weight 0 (no new connections),
        V(absent) removes it.
    type: str
    choices: [present, absent, drained]
    default: present
  drain:
    description: With O(state=absent), set weight 0 first and wait for the active connections to end (see O(drain_timeout)).
    type: bool
    default: false
  drain_timeout:
    description: Seconds to wait for the connections to end; when they do not, the destination is removed anyway with a warning.
    type: int
    default: 300
seealso:
  - module: lvs.cluster.ipvs_service
  - module: lvs.cluster.ipvs_table
  - module: lvs.cluster.ipvs_info
"""

EXAMPLES = r"""
- name: DR real server with weight 2
  lvs.cluster.ipvs_real_server:
    address: 192.0.2.10
    port: 80
    server_address: 192.0.2.11
    weight: 2

- name: NAT real server on another port, with connection thresholds
  lvs.cluster.ipvs_real_server:
    address: 192.0.2.10
    port: 443
    server_address: 198.51.100.11
    server_port: 8443
    forwarding: masquerade
    upper_threshold: 1000
    lower_threshold: 800

- name: GUE tunnel real server with checksums, in an IPv6 firewall-mark service
  lvs.cluster.ipvs_real_server:
    fwmark: 6
    family: ipv6
    server_address: 2001:db8:2::11
    forwarding: tunnel
    tunnel_type: gue
    tunnel_port: 6080
    tunnel_checksum: csum

- name: Take a server out of rotation, keeping its connections
  lvs.cluster.ipvs_real_server:
    address: 192.0.2.10
    port: 80
    server_address: 192.0.2.11
    state: drained

- name: Drain for up to 2 minutes, then remove
  lvs.cluster.ipvs_real_server:
    address: 192.0.2.10
    port: 80
    server_address: 192.0.2.11
    state: absent
    drain: true
    drain_timeout: 120
"""

RETURN = r"""
commands:
  description: The C(ipvsadm -R) lines run (or, in check mode, that would run); the drain's weight change is not listed.
  returned: always
  type: list
  elements: str
  sample: ["-e -t 192.0.2.10:80 -r 192.0.2.11:80 -g -w 0 -x 0 -y 0"]
added:
  description: Destinations added, as C({service, destination}) dicts.
  returned: always
  type: list
  elements: dict
  sample: [{"service": "tcp/192.0.2.10:80", "destination": "192.0.2.11:80"}]
modified:
  description: Destinations edited in place, with C(changes) mapping each attribute to C([before, after]).
  returned: always
  type: list
  elements: dict
  sample: [{"service": "tcp/192.0.2.10:80", "destination": "192.0.2.11:80", "changes": {"weight": [1, 0]}}]
removed:
  description: Destinations removed.
  returned: always
  type: list
  elements: dict
  sample: []
drain:
  description: What the drain before removal saw.
  returned: when O(drain=true) removed a destination (not in check mode)
  type: dict
  sample: {"waited": 4.1, "active_connections": 0, "inactive_connections": 1, "timed_out": false}
diff:
  description: The destination before and after (empty dicts when absent).
  returned: diff mode
  type: dict
  sample: {"before": {"server": "192.0.2.11:80", "weight": 1}, "after": {"server": "192.0.2.11:80", "weight": 0}}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.lvs.cluster.plugins.module_utils._schema import FORWARDING_ALIASES, TUNNEL_CHECKSUMS, TUNNEL_TYPES  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._ipvsadm import SERVICE_KEY_RULES, SERVICE_KEY_SPEC, run_real_server  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._runner import run_module  # noqa: E402


def main():
    argument_spec = dict(SERVICE_KEY_SPEC)
    argument_spec.update(
        server_address={"type": "str", "required": True},
        server_port={"type": "int"},
        forwarding={"type": "str", "default": "direct", "choices": list(FORWARDING_ALIASES)},
        weight={"type": "int"},
        upper_threshold={"type": "int", "default": 0},
        lower_threshold={"type": "int", "default": 0},
        tunnel_type={"type": "str", "choices": list(TUNNEL_TYPES)},
        tunnel_port={"type": "int"},
        tunnel_checksum={"type": "str", "choices": list(TUNNEL_CHECKSUMS)},
        state={"type": "str", "default": "present", "choices": ["present", "absent", "drained"]},
        drain={"type": "bool", "default": False},
        drain_timeout={"type": "int", "default": 300},
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **SERVICE_KEY_RULES)
    run_module(module, lambda: run_real_server(module))


if __name__ == "__main__":
    main()
