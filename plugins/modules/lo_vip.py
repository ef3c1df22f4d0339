#!/usr/bin/python
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lo_vip
short_description: VIPs on the loopback (or another) interface of an LVS real server, at runtime and after reboot
version_added: 0.1.0
description:
  - Adds or removes virtual IP addresses (IPv4 V(/32), IPv6 V(/128)) on O(interface), by default C(lo), with an
    optional IPv4 label (C(lo:vip) style), the way a DR or TUN real server needs them.
  - Runtime state is changed with C(ip address); persistent state goes through the host's own network
    configuration (O(persistence)), so the VIP comes back after a reboot or a network reload.
  - Only the listed addresses are touched, unless O(purge=true). Loopback addresses (C(127.0.0.0/8), C(::1)) are refused.
    Persistence files are only those this module created.
  - With O(purge=true) the call also removes the addresses it owns on O(interface) that are not listed, at runtime and
    from the persistence files. It owns the addresses its persistence backend persisted for O(interface), the IPv4
    addresses carrying O(label) (when O(label) is an alias such as C(lo:lvs), not the bare interface name) and the
    addresses inside O(scope). Loopback (C(127.0.0.0/8), C(::1)), link-local (C(169.254.0.0/16), C(fe80::/10)) and
    O(keep) addresses are never owned, so never purged.
  - Combine with M(lvs.cluster.sysctl_arp) or M(lvs.cluster.arptables_rule), or the real server answers ARP for the VIP.
author: lvs.cluster developers (@lvs-cluster)
extends_documentation_fragment:
  - lvs.cluster.attributes
  - lvs.cluster.attributes.platform
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the addresses of O(interface) and the persistence files, before and after, purged addresses included.
  platform:
    support: full
    platforms: linux
options:
  addresses:
    description:
      - VIPs as C(ADDRESS) or C(ADDRESS/PREFIX). Without a prefix V(/32) (IPv4) or V(/128) (IPv6) is used.
      - Any other prefix is refused unless O(force_prefix=true), because a wider prefix on C(lo) makes the kernel treat the
        whole network as local.
    type: list
    elements: str
    required: true
  interface:
    description: Interface that holds the VIPs. It must exist.
    type: str
    default: lo
  label:
    description:
      - IPv4 label, V(lo) or starting with C(<interface>:) (at most 15 characters). Ignored for IPv6 addresses.
      - Without a label any existing label of a listed address is accepted.
    type: str
  force_prefix:
    description: Allow prefixes other than V(/32) and V(/128).
    type: bool
    default: false
  state:
    description: V(present) adds the addresses, V(absent) removes them (runtime and persistent).
    type: str
    choices: [present, absent]
    default: present
  persistent:
    description: Also manage the persistent configuration. With V(false) only the runtime addresses change.
    type: bool
    default: true
  purge:
    description:
      - Remove the owned addresses of O(interface) that are not in O(addresses) (runtime and persistent); see the description
        for what a call owns. Needs O(state=present); O(addresses=[]) with O(purge=true) removes every owned address.
    type: bool
    default: false
  scope:
    description:
      - Addresses or networks (C(ADDRESS) or C(ADDRESS/PREFIX)) whose addresses on O(interface) this call owns besides the
        persisted and labelled ones, for O(purge). Use it to adopt addresses put there by hand or by an older tool.
    type: list
    elements: str
    default: []
  keep:
    description:
      - Addresses or networks never purged, even when owned (for example the VIPs of another role on the same interface).
    type: list
    elements: str
    default: []
  persistence:
    description:
      - How the VIPs survive a reboot.
      - V(networkd) writes C(/etc/systemd/network/40-lvs-cluster-<interface>.network), or a drop-in
        C(50-lvs-cluster-vips.conf) for the C(.network) file that already matches the link.
      - V(ifupdown) writes C(/etc/network/interfaces.d/lvs-cluster-vips-<interface>) with C(up)/C(down) hooks.
      - V(networkmanager) writes a C(loopback) keyfile connection (NetworkManager >= 1.41, C(lo) only) and loads it.
      - V(ifcfg) writes one C(ifcfg-<interface>:<N>) alias per IPv4 VIP (RHEL network-scripts).
      - V(systemd) writes and enables the oneshot unit C(lvs-cluster-vips.service), ordered after
        C(systemd-sysctl.service) so the ARP sysctls are in place before the VIPs appear.
      - V(auto) picks networkd if C(systemd-networkd) is active, NetworkManager if it is active, >= 1.41 and
        O(interface=lo), ifupdown if C(/etc/network/interfaces) exists and C(networking.service) is enabled,
        ifcfg if C(network.service) (network-scripts) is enabled, else V(systemd).
    type: str
    choices: [auto, networkd, ifupdown, networkmanager, ifcfg, systemd]
    default: auto
seealso:
  - module: lvs.cluster.sysctl_arp
  - module: lvs.cluster.arptables_rule
"""

EXAMPLES = r"""
- name: DR VIPs on lo, persistent through whatever the host uses
  lvs.cluster.lo_vip:
    addresses:
      - 192.0.2.10
      - 2001:db8:1::10
    label: lo:vip

- name: Persist through systemd-networkd explicitly
  lvs.cluster.lo_vip:
    addresses: [192.0.2.10/32]
    persistence: networkd

- name: Runtime only (e.g. keepalived notify script territory)
  lvs.cluster.lo_vip:
    addresses: [192.0.2.11]
    persistent: false

- name: Keep exactly these VIPs among those lo_vip persisted or labelled lo:lvs; never touch 192.0.2.50
  lvs.cluster.lo_vip:
    addresses: [192.0.2.10, 192.0.2.11]
    label: lo:lvs
    purge: true
    keep: [192.0.2.50]

- name: Adopt and remove VIPs of 198.51.100.0/24 left by an older tool
  lvs.cluster.lo_vip:
    addresses: []
    scope: [198.51.100.0/24]
    purge: true

- name: Remove a VIP everywhere
  lvs.cluster.lo_vip:
    addresses: [192.0.2.10]
    state: absent
"""

RETURN = r"""
added:
  description: Addresses added at runtime (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [192.0.2.10/32]
removed:
  description: Addresses removed at runtime, including a listed address replaced because its prefix or label differed.
  returned: always
  type: list
  elements: str
  sample: []
purged:
  description:
    - Owned addresses not listed that O(purge=true) removed (or would remove, in check mode), at runtime or from the
      persistence files. Also part of RV(removed) when they were present at runtime.
  returned: always
  type: list
  elements: str
  sample: [192.0.2.12/32]
persistence:
  description: The persistence backend used; V(null) with O(persistent=false).
  returned: always
  type: str
  sample: networkd
files:
  description: Persistence files written or removed.
  returned: always
  type: list
  elements: str
  sample: [/etc/systemd/network/40-lvs-cluster-lo.network]
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.lvs.cluster.plugins.module_utils._netconf import run  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._runner import CommandRunner, run_module  # noqa: E402


def main():
    module = AnsibleModule(
        argument_spec={
            "addresses": {"type": "list", "elements": "str", "required": True},
            "interface": {"type": "str", "default": "lo"},
            "label": {"type": "str"},
            "force_prefix": {"type": "bool", "default": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "persistent": {"type": "bool", "default": True},
            "purge": {"type": "bool", "default": False},
            "scope": {"type": "list", "elements": "str", "default": []},
            "keep": {"type": "list", "elements": "str", "default": []},
            "persistence": {"type": "str", "choices": ["auto", "networkd", "ifupdown", "networkmanager", "ifcfg", "systemd"], "default": "auto"},
        },
        supports_check_mode=True,
    )
    run_module(module, lambda: run(module, CommandRunner(module)))


if __name__ == "__main__":
    main()
