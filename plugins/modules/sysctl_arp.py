#!/usr/bin/python
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sysctl_arp
short_description: ARP sysctl profile of an LVS real server (arp_ignore, arp_announce, ...)
version_added: 0.1.0
description:
  - Sets C(net.ipv4.conf.<interface>.arp_ignore), C(arp_announce) and optionally C(arp_filter), C(rp_filter)
    and C(accept_local) so that a DR or TUN real server holds the VIP without answering ARP for it.
  - Runtime state is written to C(/proc/sys); persistent state goes to one file in C(/etc/sysctl.d/) that
    this module owns (O(sysctl_file)). The two are managed separately (O(persistent)).
  - The kernel applies the maximum of C(all) and the interface value for C(arp_ignore), C(arp_announce) and
    C(rp_filter), so the default O(interfaces) V([all, lo]) covers every interface.
  - Dots in interface names (VLANs such as C(eth0.100)) are written as slashes in the sysctl file, as C(sysctl) expects.
  - With O(purge=true) the keys of O(sysctl_file) that this call does not set are removed from it; at runtime such a key
    is put back to the kernel default only while it still has the value the file set (C(rp_filter) is left alone). Keys
    that are not in the file are never touched.
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
      - The diff shows every managed key at runtime (purged ones included) and the content of O(sysctl_file).
  platform:
    support: full
    platforms: linux
options:
  interfaces:
    description:
      - Interfaces whose C(net.ipv4.conf) keys are set; V(all) and V(default) (future interfaces) are allowed.
      - Every interface must exist when the module runs.
    type: list
    elements: str
    default: [all, lo]
  profile:
    description:
      - V(dr) sets C(arp_ignore=1) and C(arp_announce=2).
      - V(tun) sets the same plus C(rp_filter=0) (decapsulated packets arrive on the tunnel with the client's source).
      - V(custom) sets only the keys given explicitly.
      - Explicit keys override the profile.
    type: str
    choices: [dr, tun, custom]
    default: dr
  arp_ignore:
    description: C(arp_ignore) value; V(1) answers only for addresses configured on the receiving interface.
    type: int
    choices: [0, 1, 2, 3, 4, 5, 6, 7, 8]
  arp_announce:
    description: C(arp_announce) value; V(2) never uses the VIP as ARP source on other interfaces.
    type: int
    choices: [0, 1, 2]
  arp_filter:
    description: C(arp_filter) value.
    type: int
    choices: [0, 1]
  rp_filter:
    description: C(rp_filter) value (0 off, 1 strict, 2 loose).
    type: int
    choices: [0, 1, 2]
  accept_local:
    description: C(accept_local) value.
    type: int
    choices: [0, 1]
  hidden:
    description:
      - Not supported. The C(hidden) sysctl of patched 2.4-era kernels does not exist in modern kernels; any value
        fails with a message naming the replacement (C(arp_ignore)/C(arp_announce)).
    type: raw
  state:
    description:
      - V(present) sets the values.
      - V(absent) removes the keys from O(sysctl_file) and puts the runtime values back to the kernel defaults (V(0));
        C(rp_filter) is left alone at runtime because its default is the distribution's.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - Remove from O(sysctl_file) the keys this call does not set (other interfaces, other keys), restoring their runtime
        kernel default while they still hold the file's value. Needs O(state=present) and O(persistent=true).
      - O(interfaces=[]) with O(purge=true) removes every key of the file.
    type: bool
    default: false
  persistent:
    description: Also manage O(sysctl_file). With V(false) only the runtime values are touched.
    type: bool
    default: true
  sysctl_file:
    description: The sysctl.d file this module owns; other modules and users must not write to it.
    type: path
    default: /etc/sysctl.d/90-lvs-cluster-arp.conf
seealso:
  - module: lvs.cluster.lo_vip
  - module: lvs.cluster.arptables_rule
  - name: Kernel ip-sysctl documentation
    description: arp_ignore, arp_announce, arp_filter, rp_filter.
    link: https://docs.kernel.org/networking/ip-sysctl.html
"""

EXAMPLES = r"""
- name: DR ARP profile on all and lo (arp_ignore=1, arp_announce=2), at runtime and after reboot
  lvs.cluster.sysctl_arp:

- name: TUN real server, also loose reverse-path filtering off on the tunnel
  lvs.cluster.sysctl_arp:
    interfaces: [all, tunl0]
    profile: tun

- name: Only arp_filter on the front interface, runtime only
  lvs.cluster.sysctl_arp:
    interfaces: [eth0]
    profile: custom
    arp_filter: 1
    persistent: false

- name: DR profile on all and lo only; keys the file still has for other interfaces go
  lvs.cluster.sysctl_arp:
    interfaces: [all, lo]
    purge: true

- name: Remove every key of the owned file (the ARP method is no longer sysctl)
  lvs.cluster.sysctl_arp:
    interfaces: []
    purge: true

- name: Undo the DR profile
  lvs.cluster.sysctl_arp:
    state: absent
"""

RETURN = r"""
runtime_values:
  description:
    - Runtime value of every managed key before and after, keyed by sysctl name.
    - The same dict is also returned, undocumented, as C(values), its former name, until 1.0.0 (a key named C(values)
      cannot be read with dot notation in Jinja).
  returned: always
  type: dict
  sample:
    before: {net.ipv4.conf.all.arp_ignore: 0, net.ipv4.conf.all.arp_announce: 0}
    after: {net.ipv4.conf.all.arp_ignore: 1, net.ipv4.conf.all.arp_announce: 2}
runtime_changes:
  description: The runtime keys that were (or in check mode would be) written, with their new values.
  returned: always
  type: dict
  sample: {net.ipv4.conf.all.arp_ignore: 1}
purged:
  description: Keys removed from O(sysctl_file) by O(purge=true) (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [net.ipv4.conf.eth0.arp_ignore]
sysctl_file:
  description: The owned sysctl.d file.
  returned: always
  type: str
  sample: /etc/sysctl.d/90-lvs-cluster-arp.conf
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.lvs.cluster.plugins.module_utils._runner import run_module  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._sysctl import run  # noqa: E402


def main():
    module = AnsibleModule(
        argument_spec={
            "interfaces": {"type": "list", "elements": "str", "default": ["all", "lo"]},
            "profile": {"type": "str", "choices": ["dr", "tun", "custom"], "default": "dr"},
            "arp_ignore": {"type": "int", "choices": [0, 1, 2, 3, 4, 5, 6, 7, 8]},
            "arp_announce": {"type": "int", "choices": [0, 1, 2]},
            "arp_filter": {"type": "int", "choices": [0, 1]},
            "rp_filter": {"type": "int", "choices": [0, 1, 2]},
            "accept_local": {"type": "int", "choices": [0, 1]},
            "hidden": {"type": "raw"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "persistent": {"type": "bool", "default": True},
            "purge": {"type": "bool", "default": False},
            "sysctl_file": {"type": "path", "default": "/etc/sysctl.d/90-lvs-cluster-arp.conf"},
        },
        supports_check_mode=True,
    )
    run_module(module, lambda: run(module))


if __name__ == "__main__":
    main()
