#!/usr/bin/python
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sysctls
short_description: Several kernel parameters at once, at runtime and in one owned sysctl.d file
version_added: 0.1.0
description:
  - Sets every key of O(settings) in C(/proc/sys) where its runtime value differs, and writes O(sysctl_file) holding
    exactly O(settings). This module owns that file; keys it no longer lists are dropped from it, their runtime value
    is left as it is.
  - One module run for the whole set; a loop of C(ansible.posix.sysctl) runs once per key.
  - Values are compared as C(sysctl) prints them, fields separated by one space (V(4096 131072 6291456)).
  - Names use the C(sysctl) notation; a dot inside an interface name is written as a slash
    (C(net.ipv4.conf.eth0/100.send_redirects)).
  - A key the kernel does not have (for instance C(net.ipv4.vs.*) before C(ip_vs) is loaded) is an error naming it;
    in check mode it is reported as a change.
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
      - The diff shows the runtime value of every key of O(settings) and the content of O(sysctl_file).
  platform:
    support: full
    platforms: linux
options:
  settings:
    description:
      - "The kernel parameters, C(name: value). Booleans are written as V(1) and V(0)."
    type: dict
    required: true
  sysctl_file:
    description:
      - The sysctl.d file this module owns, read at boot by C(systemd-sysctl) (or C(procps) on older systems).
      - With empty O(settings) the file is removed.
    type: path
    required: true
  persistent:
    description: Write O(sysctl_file); V(false) sets the runtime values only and leaves the file alone.
    type: bool
    default: true
seealso:
  - module: lvs.cluster.sysctl_arp
  - module: ansible.posix.sysctl
"""

EXAMPLES = r"""
- name: Forwarding and the IPVS sysctls of a director, now and after reboot
  lvs.cluster.sysctls:
    settings:
      net.ipv4.ip_forward: 1
      net.ipv4.conf.all.send_redirects: 0
      net.ipv4.vs.conntrack: 1
    sysctl_file: /etc/sysctl.d/90-lvs-cluster-director.conf

- name: A VLAN interface (a dot in its name is a slash in the sysctl name), runtime only
  lvs.cluster.sysctls:
    settings:
      net.ipv4.conf.eth0/100.send_redirects: 0
    sysctl_file: /etc/sysctl.d/90-lvs-cluster-director.conf
    persistent: false
"""

RETURN = r"""
runtime_values:
  description: The runtime value of every key of O(settings) before and after (V(null) where the kernel has no such key).
  returned: success
  type: dict
  sample:
    before: {net.ipv4.ip_forward: "0"}
    after: {net.ipv4.ip_forward: "1"}
runtime_changes:
  description: The keys that were (or in check mode would be) written at runtime, with their new values.
  returned: success
  type: dict
  sample: {net.ipv4.ip_forward: "1"}
dropped:
  description: Keys that O(sysctl_file) held and no longer holds.
  returned: success
  type: list
  elements: str
  sample: [net.ipv4.vs.conntrack]
sysctl_file:
  description: The owned sysctl.d file.
  returned: success
  type: str
  sample: /etc/sysctl.d/90-lvs-cluster-director.conf
applied:
  description: When the kernel refused a value, the keys written before it (the file is then left unchanged).
  returned: failure
  type: dict
  sample: {net.ipv4.ip_forward: "1"}
not_applied:
  description: When the kernel refused a value, the keys not written.
  returned: failure
  type: list
  elements: str
  sample: [net.ipv4.vs.conntrack]
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.lvs.cluster.plugins.module_utils._runner import run_module  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._sysctls import run  # noqa: E402


def main():
    module = AnsibleModule(
        argument_spec={
            "settings": {"type": "dict", "required": True},
            "sysctl_file": {"type": "path", "required": True},
            "persistent": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    run_module(module, lambda: run(module))


if __name__ == "__main__":
    main()
