# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side helpers of the action plugins that read the service model."""

from __future__ import annotations


_MARKS = ("{{", "{%", "{#")


def _has_template(value):
    """Whether a string anywhere in ``value`` (dicts, lists, keys included) holds Jinja."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "{" in item and any(mark in item for mark in _MARKS):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


def model_arg(value, templar):
    """A task argument holding the model (often ``"{{ lvs_virtual_services }}"``), resolved to
    its container without templating every string in it first: a model of 10,000 services has
    half a million strings, and the validator reads each once. ansible-core stops at the
    container and leaves the strings inside it as they were written, so a model whose values
    are templates themselves (``address: "{{ vip }}"``) is templated whole. Falls back to plain
    templating where ansible-core has no such resolution."""
    resolve = getattr(templar, "resolve_to_container", None)
    if resolve is None:
        return templar.template(value)
    resolved = resolve(value)
    if _has_template(resolved):
        return templar.template(resolved)
    return resolved


def take_model_arg(task, name="services"):
    """The model argument, taken out of the task's arguments once read.

    ansible-core sends every task's arguments back from the worker to the main process inside
    its result (the task's fields, pickled): for a 10,000-service list that cost about 10 s
    of a task that does 0.3 s of work (measured on the controller of the lab, both runs in
    one playbook). The action plugin has read the model and validated it; the result does not
    need to carry it again."""
    return task.args.pop(name, None)


class ModelArgMixin:
    """For the action plugins whose ``services`` argument is the model: ansible-core resolves it
    with model_arg instead of templating every string in it (put before ActionBase)."""

    MODEL_ARG = "services"

    @classmethod
    def finalize_task_arg(cls, name, value, templar, context):
        if name == cls.MODEL_ARG:
            return model_arg(value, templar)
        return super().finalize_task_arg(name, value, templar, context)
