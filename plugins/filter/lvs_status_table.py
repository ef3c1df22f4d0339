# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs import ServiceKey

DOCUMENTATION = r"""
name: lvs_status_table
short_description: One table of the IPVS state across the directors (who is MASTER, weights, connections, rates)
version_added: 0.1.0
description:
  - Takes one entry per director (its inventory name, the addresses on its interfaces and what
    M(lvs.cluster.ipvs_info) returned with O(lvs.cluster.ipvs_info#module:gather=[services, connections, rates])) and returns the lines
    of one table, a row per real server of every virtual service.
  - C(MASTER) is the director that holds the service's VIP on an interface (for a fwmark service, the
    director that holds any VIP of the tables or of O(model)). The counters come from that director's table (from each
    holder's when more than one holds it, a split brain; from every director's when none does); C(FROM) says whose they are.
  - A real server whose weight differs between the directors' tables is marked C(!) (the tables have diverged).
  - The playbook C(lvs.cluster.status) (C(playbooks/status.yml)) uses it; it is the C(watch ipvsadm -L --rate) of a director pair.
author: lvs.cluster developers
positional: model
options:
  _input:
    description:
      - One dict per director, with C(host) (str), C(addresses) (list of the addresses on its interfaces)
        and C(services) (the RV(lvs.cluster.ipvs_info#module:services) of that director).
    type: list
    elements: dict
    required: true
  model:
    description:
      - The kernel services of the model (the output of P(lvs.cluster.lvs_ipvs_services#filter)), to show each service's
        name in C(NAME) and to know the VIPs a fwmark service follows.
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Print the table (one line per real server)
  ansible.builtin.debug:
    msg: >-
      {{ groups['lvs_directors'] | map('extract', hostvars, 'lvs_status') | select('defined')
         | lvs.cluster.lvs_status_table(lvs_virtual_services | lvs.cluster.lvs_services | lvs.cluster.lvs_ipvs_services) }}
"""

RETURN = r"""
_value:
  description: The lines of the table; the first is the header.
  type: list
  elements: str
  sample:
    - "SERVICE            NAME    MASTER  FROM  REAL SERVER      FWD     WEIGHT  ACTIVE  INACTIVE  CPS  INPPS  OUTPPS  INBPS  OUTBPS"
    - "tcp/192.0.2.10:80  web-dr  dir1    dir1  192.0.2.11:80    direct  1       2       14        3    21     0       2688   0"
"""

COLUMNS = ("SERVICE", "NAME", "MASTER", "FROM", "REAL SERVER", "FWD", "WEIGHT", "ACTIVE", "INACTIVE", "CPS", "INPPS", "OUTPPS", "INBPS", "OUTBPS")
RATES = ("cps", "inpps", "outpps", "inbps", "outbps")


def _address(text):
    try:
        return ipaddress.ip_address(str(text).split("%", 1)[0])
    except ValueError:
        raise AnsibleFilterError("lvs_status_table: addresses: %r is not an IP address" % (text,)) from None


def _directors(directors):
    if not isinstance(directors, list):
        raise AnsibleFilterError("lvs_status_table: expects a list of directors, got %r" % (directors,))
    out = []
    for index, entry in enumerate(directors):
        if not isinstance(entry, dict) or not isinstance(entry.get("host"), str) or not isinstance(entry.get("services"), list):
            raise AnsibleFilterError("lvs_status_table: [%d] needs host (str) and services (a list from lvs.cluster.ipvs_info), got %r" % (index, entry))
        held = {_address(a) for a in entry.get("addresses") or []}
        out.append((entry["host"], held, {svc["service"]: svc for svc in entry["services"]}))
    return out


def _holders(service, directors, vips):
    # a fwmark service has no address: whoever holds the VIPs of the model
    wanted = {_address(service["address"])} if service.get("address") is not None else vips
    return [host for host, held, _table in directors if held & wanted]


def _row(head, dest, weights):
    """head: service, name, master, source."""
    rates = dest.get("rates") or {}
    conns = dest.get("connections") or {}
    mark = "!" if len(set(weights)) > 1 else ""
    return [
        *head,
        dest["server"],
        dest["forwarding"],
        "%s%s" % (dest["weight"], mark),
        str(conns.get("active", "-")),
        str(conns.get("inactive", "-")),
        *(str(rates.get(col, "-")) for col in RATES),
    ]


def _names(model):
    """{service key as ipvs_info prints it: model name} from lvs_ipvs_services entries."""
    if not isinstance(model, list) or any(not isinstance(entry, dict) or "family" not in entry for entry in model):
        raise AnsibleFilterError("lvs_status_table: model must be the output of lvs.cluster.lvs_ipvs_services, got %r" % (model,))
    names = {}
    for entry in model:
        if entry.get("fwmark") is not None:
            key = ServiceKey("fwmark", None, None, int(entry["fwmark"]), entry["family"])
        else:
            key = ServiceKey(entry["protocol"], str(_address(entry["address"])), int(entry["port"]), None, entry["family"])
        names[str(key)] = entry.get("name") or ""
    return names


def lvs_status_table(directors, model=None):
    names = _names(model or [])
    directors = _directors(directors)
    services = {}
    for _host, _held, table in directors:
        for key, svc in table.items():
            services.setdefault(key, svc)
    vips = {_address(svc["address"]) for svc in services.values() if svc.get("address") is not None}
    vips |= {_address(entry["address"]) for entry in model or [] if entry.get("address") is not None}
    rows = []
    for key in sorted(services, key=lambda k: (services[k].get("fwmark") is not None, k)):
        holders = _holders(services[key], directors, vips)
        master = ",".join(holders) if holders else "-"
        sources = holders or [host for host, _held, table in directors if key in table]
        for source in sources:
            table = next(table for host, _held, table in directors if host == source)
            if key not in table:
                rows.append([key, names.get(key, "-"), master, source, "(no such service)", *([""] * 9)])
                continue
            dests = table[key]["real_servers"]
            if not dests:
                rows.append([key, names.get(key, "-"), master, source, "(no real server)", *([""] * 9)])
            for dest in dests:
                weights = [
                    d["weight"] for _host, _held, other in directors if key in other for d in other[key]["real_servers"] if d["server"] == dest["server"]
                ]
                rows.append(_row((key, names.get(key, "-"), master, source), dest, weights))
    table = [list(COLUMNS), *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in table]


class FilterModule:
    def filters(self):
        return {"lvs_status_table": lvs_status_table}
