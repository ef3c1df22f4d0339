#!/usr/bin/python
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds the documentation only; the module is win_loopback_adapter.ps1.

from __future__ import annotations

DOCUMENTATION = r"""
module: win_loopback_adapter
short_description: Microsoft KM-TEST loopback adapter with LVS VIPs on a Windows DR real server
version_added: 0.1.0
description:
  - Makes a Windows host an LVS direct-routing real server, the Windows way of "VIP on lo, ARP silenced".
  - Creates the Microsoft KM-TEST loopback adapter (hardware id C(*MSLOOP), driver C(%windir%\inf\netloop.inf)) when
    no adapter named O(name) exists, with the SetupAPI and newdev calls that C(devcon) makes, so nothing has to be
    downloaded; renames it to O(name).
  - Puts the VIPs on it with a host prefix (V(/32), V(/128)) and C(SkipAsSource), so Windows never uses a VIP as the
    source of its own connections. A loopback adapter does not answer ARP, which is the Windows equivalent of
    C(arp_ignore).
  - With O(weak_host) enables C(WeakHostReceive) and C(WeakHostSend) on the loopback adapter and C(WeakHostReceive)
    on O(service_interface), without which Windows drops packets addressed to the VIP arriving on the service NIC
    and cannot send the replies from the VIP (strong host model, the default since Windows Server 2008).
  - Turns off DHCP and DNS registration on the adapter (the VIP must not be registered under the host name) and gives
    it a high interface metric.
  - Opens the service ports in Windows Firewall, one inbound rule per entry of O(firewall_rules), in the rule group
    O(firewall_group). The module owns that group - rules in it that are not listed are removed.
author: lvs.cluster developers
extends_documentation_fragment:
  - lvs.cluster.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the adapter, its addresses and IP interface settings, and the firewall group, before and after.
  platform:
    support: full
    platforms: windows
options:
  name:
    description: Name of the loopback adapter. An existing adapter of that name must be a KM-TEST loopback adapter.
    type: str
    default: LVS Loopback
  addresses:
    description: VIPs, C(ADDRESS) or C(ADDRESS/32) (C(/128) for IPv6). Other prefixes are refused.
    type: list
    elements: str
    default: []
  service_interface:
    description: Name of the network adapter the director sends requests to; gets C(WeakHostReceive).
    type: str
  weak_host:
    description: Enable weak-host receive and send as described above.
    type: bool
    default: true
  interface_metric:
    description: Interface metric of the loopback adapter.
    type: int
    default: 254
  dns_registration:
    description: Register the adapter's addresses in DNS (should stay off for VIPs).
    type: bool
    default: false
  firewall_rules:
    description: Inbound allow rules for the services.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Service name; the rule is named C(lvs.cluster-<name>-<protocol>).
        type: str
        required: true
      protocol:
        description: Protocol.
        type: str
        choices: [tcp, udp]
        default: tcp
      ports:
        description: Local ports.
        type: list
        elements: int
        required: true
      local_addresses:
        description: Local addresses the rule is limited to (the VIPs); empty means any.
        type: list
        elements: str
        default: []
  firewall_group:
    description: Firewall rule group that this module owns.
    type: str
    default: lvs.cluster
  purge:
    description: Remove addresses of the loopback adapter that are not in O(addresses) (link-local ones stay).
    type: bool
    default: false
  remove_adapter:
    description: With O(state=absent), also remove the loopback device.
    type: bool
    default: false
  state:
    description: V(present) configures; V(absent) removes the VIPs and the firewall group (and the device with O(remove_adapter)).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Creating the device may ask for a reboot on old Windows versions; RV(reboot_required) says so.
  - Windows Server 2016 and later, Windows 10 and later (NetTCPIP, NetAdapter and NetSecurity modules).
seealso:
  - module: lvs.cluster.lo_vip
  - name: Manual verification procedure
    description: docs/windows-real-servers.md in this collection.
    link: https://example.invalid/lvs/cluster/docs/windows-real-servers.md
"""

EXAMPLES = r"""
- name: Windows DR real server for 192.0.2.10:80
  lvs.cluster.win_loopback_adapter:
    addresses: [192.0.2.10]
    service_interface: Ethernet
    firewall_rules:
      - name: web
        protocol: tcp
        ports: [80, 443]
        local_addresses: [192.0.2.10]

- name: Undo, and remove the loopback device
  lvs.cluster.win_loopback_adapter:
    state: absent
    remove_adapter: true
"""

RETURN = r"""
actions:
  description: The actions taken (or, in check mode, that would be taken), in order.
  returned: always
  type: list
  elements: str
  sample: [create_adapter, set_ip_interface, set_dns_registration, add_address, add_firewall_rule]
interface_index:
  description: Interface index of the loopback adapter.
  returned: when state=present and the adapter exists
  type: int
  sample: 17
reboot_required:
  description: Whether installing the loopback driver asked for a reboot.
  returned: always
  type: bool
  sample: false
"""
