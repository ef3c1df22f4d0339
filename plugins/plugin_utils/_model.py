# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side helpers of the action plugins that read the service model."""

from __future__ import annotations


def model_arg(value, templar):
    """A task argument holding the model (often ``"{{ lvs_virtual_services }}"``), resolved to
    its container without templating every string in it first: the validator reads each value
    once. Falls back to plain templating where ansible-core has no such resolution."""
    resolve = getattr(templar, "resolve_to_container", None)
    if resolve is None:
        return templar.template(value)
    return resolve(value)


def take_model_arg(task, name="services"):
    """The model argument, taken out of the task's arguments once read.

    ansible-core sends every task's arguments back from the worker to the main process inside
    its result (the task's fields, pickled): for a 10,000-service list that cost about 10 s
    of a task that does 0.3 s of work (measured on the controller of the lab, both runs in
    one playbook). The action plugin has read the model and validated it; the result does not
    need to carry it again."""
    return task.args.pop(name, None)
