# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of lvs.cluster.ipvs_table: the service model is validated by the one
validator and rendered as canonical ``ipvsadm -Sn`` lines here, and the module gets one string
instead of the list (no templating of the whole list into module arguments, no JSON of it on
the managed node, no echo of it in the result)."""

from __future__ import annotations

import os
import time

from ansible.plugins.action import ActionBase

from ansible_collections.lvs.cluster.plugins.module_utils._ipvsadm import desired_table, name_reports, wire_text
from ansible_collections.lvs.cluster.plugins.module_utils._runner import ModuleError
from ansible_collections.lvs.cluster.plugins.module_utils._schema import SchemaError
from ansible_collections.lvs.cluster.plugins.plugin_utils._model import ModelArgMixin, take_model_arg


class ActionModule(ModelArgMixin, ActionBase):
    _VALID_ARGS = frozenset(("services", "purge", "scope", "load_module", "read_thresholds", "report_limit"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        services = take_model_arg(self._task)
        args = dict(self._task.args)
        if services is None:
            return dict(result, failed=True, msg="services: required (a list of services of the service model)")
        started = time.monotonic()
        try:
            lines, thresholds, names, schedulers = desired_table(services, (task_vars or {}).get("hostvars"), args.get("scope"))
        except SchemaError as exc:
            return dict(result, failed=True, msg=str(exc), param=exc.path)
        except ModuleError as exc:
            return dict(result, failed=True, msg=exc.msg, **exc.extra)
        args.update(_desired=wire_text(lines), _thresholds=wire_text(thresholds) if thresholds else None, _schedulers=schedulers)
        rendered = time.monotonic()
        result.update(self._execute_module(module_name="lvs.cluster.ipvs_table", module_args=args, task_vars=task_vars))
        if os.environ.get("LVS_CLUSTER_PROFILE") == "1":  # bench/ipvs_table_bench.py
            result["profile_controller"] = {"validate and render": round(rendered - started, 3), "module": round(time.monotonic() - rendered, 3)}
        name_reports(result, names)
        if isinstance(result.get("invocation"), dict):
            result["invocation"]["services_count"] = len(names)
        return result
