#!/usr/bin/python
# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: service_model
short_description: Validate and normalise the lvs.cluster service model once, on the controller
version_added: 0.2.0
description:
  - Runs the collection's one validator over the service model (C(lvs_virtual_services), docs/service-model.md) on the
    controller, without contacting any host, and returns it normalised together with what each host needs of it.
  - "A bad field fails the task with one line that starts with its full path and names the value, for example
    C(lvs_virtual_services[2].persistence.timout: unknown key 'timout'; allowed: timeout, netmask, granularity (service 'web'))."
  - The roles of this collection run it once per play (C(run_once)) and read its result; register it to read the same views in
    your own plays instead of re-deriving them.
  - This is an action plugin; nothing runs on the managed node.
author: lvs.cluster developers (@lvs-cluster)
extends_documentation_fragment:
  - lvs.cluster.attributes
attributes:
  check_mode:
    support: full
    details: Changes nothing anywhere; runs the same in check mode.
  diff_mode:
    support: none
  action:
    support: full
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
options:
  services:
    description:
      - The service model. Defaults to the variable C(lvs_virtual_services).
    type: list
    elements: dict
  hosts:
    description:
      - Inventory hosts to return a view for in RV(hosts), besides every host the model lists as a real server.
      - Defaults to the hosts of the play (C(ansible_play_hosts_all)).
    type: list
    elements: str
  include_services:
    description:
      - Return the normalised services (RV(services)). Plays that need only the per-host views (the real-server roles) leave
        them out, because a big model makes a big result, which ansible-core copies for every host.
    type: bool
    default: true
  keepalived:
    description:
      - The model is for directors running keepalived, which cannot express everything IPVS can. Also refuse what keepalived
        refuses, that is a service on port 0 (IPVS's "all ports" service; keepalived's ports are 1-65535).
    type: bool
    default: false
  root:
    description: The name errors give the list (the variable it came from).
    type: str
    default: lvs_virtual_services
seealso:
  - module: lvs.cluster.ipvs_table
"""

EXAMPLES = r"""
- name: Check the model and keep its views for the play
  lvs.cluster.service_model:
  run_once: true
  register: lvs_model

- name: The VIPs this DR real server serves
  ansible.builtin.debug:
    msg: "{{ lvs_model.hosts[inventory_hostname].vips.direct }}"
"""

RETURN = r"""
services:
  description: The normalised services, every field present with its default (docs/service-model.md).
  returned: success and O(include_services=true)
  type: list
  elements: dict
vips:
  description: Every VIP of the model, once each, in model order (what the directors hold).
  returned: success
  type: list
  elements: str
  sample: [192.0.2.10, 2001:db8:1::10]
scope:
  description:
    - The part of the IPVS table the model owns (its VIPs and C(fwmark:N) entries), as M(lvs.cluster.ipvs_table) takes it in
      O(lvs.cluster.ipvs_table#module:scope).
  returned: success
  type: list
  elements: str
  sample: [192.0.2.10, "fwmark:5"]
forwarding:
  description: The forwarding methods of the real servers, each with the address families of its services (what a director must route).
  returned: success
  type: dict
  sample: {direct: [ipv4], masquerade: [ipv4, ipv6]}
track_files:
  description:
    - The files of the model's file checks (C(check[].type=file)), sorted, each once.
    - The director role creates the missing ones holding C(0) before C(keepalived -t) reads the config.
  returned: success
  type: list
  elements: str
  sample: [/run/lvs-cluster/web1-drain]
schedulers:
  description: The schedulers in use.
  returned: success
  type: list
  elements: str
  sample: [wrr, wlc]
hosts:
  description:
    - Per inventory host, what it needs as a real server; a host the model does not list gets empty lists.
    - C(vips) maps C(direct), C(masquerade) and C(tunnel) to the VIPs it serves with that method; C(addresses) maps C(ipv4) and
      C(ipv6) to its address as the directors know it; C(listen) lists, per service and forwarding method,
      C({service, protocol, forwarding, vips, ports}) (the real ports it answers on); C(nat) lists C({protocol, port}) of its
      masquerade entries; C(tunnels) lists C({type, port}) of its tunnel entries; C(services) names the services that list it.
  returned: success
  type: dict
  sample:
    web1:
      vips: {direct: [192.0.2.10], masquerade: [], tunnel: []}
      addresses: {ipv4: 192.0.2.11, ipv6: null}
      listen: [{service: web, protocol: tcp, forwarding: direct, vips: [192.0.2.10], ports: [80]}]
      nat: []
      tunnels: []
      services: [web]
counts:
  description: How many services, kernel virtual services and real-server addresses the model has.
  returned: success
  type: dict
  sample: {services: 2, virtual_servers: 2, real_server_addresses: 4}
path:
  description: On failure, the full path of the bad field.
  returned: failure
  type: str
  sample: lvs_virtual_services[2].persistence.timout
"""
