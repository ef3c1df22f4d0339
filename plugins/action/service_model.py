# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lvs.cluster.service_model: validate and normalise the service model once, on the controller,
and hand every host its view as data (see plugins/modules/service_model.py for the interface)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.lvs.cluster.plugins.module_utils import _service_model as M
from ansible_collections.lvs.cluster.plugins.module_utils._schema import SchemaError
from ansible_collections.lvs.cluster.plugins.plugin_utils._model import ModelArgMixin, take_model_arg


class ActionModule(ModelArgMixin, ActionBase):
    _VALID_ARGS = frozenset(("services", "hosts", "root", "keepalived", "include_services"))
    _requires_connection = False
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        services = take_model_arg(self._task)
        _args, params = self.validate_argument_spec(
            argument_spec={
                "hosts": {"type": "list", "elements": "str"},
                "root": {"type": "str", "default": M.ROOT},
                "keepalived": {"type": "bool", "default": False},
                "include_services": {"type": "bool", "default": True},
            }
        )
        if services is None:
            services = self._templar.template(task_vars.get("lvs_virtual_services", []))
        try:
            normalised = M.normalise_services(services, task_vars.get("hostvars"), root=params["root"], keepalived=params["keepalived"])
        except SchemaError as exc:
            return dict(result, failed=True, msg=str(exc), path=exc.path)
        hosts = params["hosts"]
        if hosts is None:
            hosts = task_vars.get("ansible_play_hosts_all") or []
        listed = [rs["host"] for svc in normalised for rs in svc["real_servers"] if rs["host"]]
        views = {}
        for host in list(hosts) + listed:
            if host not in views:
                views[host] = M.host_view(normalised, host)
        if params["include_services"]:
            result["services"] = normalised
        result.update(
            changed=False,
            vips=M.service_vips(normalised),
            scope=M.ipvs_scope(normalised),
            schedulers=M.schedulers_in_use(normalised),
            forwarding=M.forwarding_in_use(normalised),
            track_files=M.track_files(normalised),
            hosts=views,
            counts={
                "services": len(normalised),
                "virtual_servers": sum(len(svc["virtual_servers"]) for svc in normalised),
                "real_server_addresses": len({rs["address"] for svc in normalised for rs in svc["real_servers"]}),
            },
        )
        return result
