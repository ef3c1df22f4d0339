#!/usr/bin/env python
"""Ansible inventory script for the molecule scenarios of the real-server roles: the inventory
that `bin/lvslab` generated for the lab named $LVSLAB_NAME (under $LVSLAB_DIR, default
/var/tmp/lvs-lab), or an empty inventory while that lab is not up (before `create`)."""
import json
import os
import sys
from pathlib import Path

import yaml


def load():
    path = Path(os.environ.get("LVSLAB_DIR", "/var/tmp/lvs-lab"), "run", os.environ.get("LVSLAB_NAME", "lab"), "inventory.yml")
    if not path.is_file():
        return {"_meta": {"hostvars": {}}}
    data = yaml.safe_load(path.read_text()) or {}
    top = data.get("all", {})
    out = {"_meta": {"hostvars": {}}, "all": {"vars": top.get("vars", {}), "children": []}}
    for group, body in (top.get("children") or {}).items():
        hosts = body.get("hosts") or {}
        out[group] = {"hosts": sorted(hosts)}
        out["all"]["children"].append(group)
        for host, hostvars in hosts.items():
            out["_meta"]["hostvars"][host] = hostvars or {}
    return out


if __name__ == "__main__":
    if "--host" in sys.argv:
        print("{}")
    else:
        print(json.dumps(load()))
