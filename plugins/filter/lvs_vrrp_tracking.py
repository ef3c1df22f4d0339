# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.plugin_utils._vrrp import VrrpError, vrrp_tracking

DOCUMENTATION = r"""
name: lvs_vrrp_tracking
short_description: The director's VRRP tracking and tuning variables, validated and with their defaults
version_added: 0.1.0
description:
  - Validates the director role's C(director_vrrp_track_scripts), C(director_vrrp_track_processes),
    C(director_vrrp_track_files), C(director_vrrp_garp), C(director_vrrp_version), C(director_notify_fifo)
    and C(director_notify_fifo_script) against keepalived's own limits (measured with C(keepalived -t))
    and returns them with every key filled in.
  - "A bad value fails with the variable's full path and the value, for example
    C(director_vrrp_track_processes[0].weight: 300 is out of range -254-254); every bad value is named at once."
  - The director role calls it once, before any host changes; its template reads only the result.
author: lvs.cluster developers
options:
  _input:
    description:
      - A dict of the variables, keyed by their names, plus C(authentication), whether a VRRP password is set
        (the password itself is never passed).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Validate the VRRP tracking variables
  ansible.builtin.set_fact:
    __vrrp: >-
      {{ {'director_vrrp_track_processes': [{'name': 'haproxy', 'process': 'haproxy', 'weight': -60}],
          'director_vrrp_garp': {'master_refresh': 60}} | lvs.cluster.lvs_vrrp_tracking }}
"""

RETURN = r"""
_value:
  description: The normalised settings.
  type: dict
  contains:
    scripts:
      description: vrrp_script entries with every key.
      type: list
      elements: dict
    processes:
      description: vrrp_track_process entries with every key.
      type: list
      elements: dict
    files:
      description: track_file entries with every key.
      type: list
      elements: dict
    garp:
      description: Pairs of global_defs keyword and value, in keepalived's order.
      type: list
      elements: list
    version:
      description: The VRRP version (2 or 3).
      type: int
    notify_fifo:
      description: The FIFO path or an empty string.
      type: str
    notify_fifo_script:
      description: The FIFO reader or an empty string.
      type: str
"""


def lvs_vrrp_tracking(settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError("lvs_vrrp_tracking: expects a dict of the director's variables, got %r" % (type(settings).__name__,))
    try:
        return vrrp_tracking(settings)
    except VrrpError as exc:
        raise AnsibleFilterError("director: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"lvs_vrrp_tracking": lvs_vrrp_tracking}
