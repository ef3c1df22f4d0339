# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One schema: the files derived from plugins/module_utils/_schema.py are what tests/schema_gen.py
makes of it now (the doc fragment of ipvs_table's ``services``, the director's ``service_model``
argument spec entry point, the field tables of docs/service-model.md), and no list of the model's
constants is written out anywhere else."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils import _schema as S

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "tests"))
import schema_gen  # noqa: E402

# lists that would be copies of a schema constant if written out in another file
CONSTANTS = {
    "SCHEDULERS": S.SCHEDULERS,
    "SCHED_FLAGS": S.SCHED_FLAGS,
    "PROTOCOLS": S.PROTOCOLS,
    "FORWARDING": S.FORWARDING,
    "TUNNEL_TYPES": S.TUNNEL_TYPES,
    "TUNNEL_CHECKSUMS": S.TUNNEL_CHECKSUMS,
    "CHECK_TYPES": S.CHECK_TYPES,
    "DNS_QUERY_TYPES": S.DNS_QUERY_TYPES,
}
SOURCES = ("plugins", "roles", "playbooks", "docs", "molecule", "lab")
SUFFIXES = (".py", ".yml", ".yaml", ".j2", ".md", ".ps1", ".sh")


def test_generated_files_are_fresh():
    assert schema_gen.stale(ROOT) == [], "run `make schema`"


def _pattern(values):
    # the values in their order, separated by what lists and dicts are written with: , | : space quotes
    # brackets and the values of a dict (SCHED_FLAG_BITS)
    sep = r"""[\s,|:'"`\[\]()V0-9]*"""
    return re.compile(sep.join(re.escape(v) for v in values[:4]))


def _sources():
    for top in SOURCES:
        for dirpath, _dirs, files in os.walk(ROOT / top):
            for name in files:
                path = Path(dirpath) / name
                if path.suffix in SUFFIXES and "_build" not in path.parts:
                    yield path


@pytest.mark.parametrize("name", sorted(CONSTANTS))
def test_each_constant_is_written_out_once(name):
    pattern = _pattern(CONSTANTS[name])
    found = []
    for path in _sources():
        text = path.read_text(encoding="utf-8", errors="replace")
        if schema_gen.HEADER in text and path.name != "service-model.md":
            continue  # generated from the schema (the doc fragment)
        if path.name == "service-model.md":
            start, end = text.find("<!-- BEGIN generated fields"), text.find("<!-- END generated fields")
            text = text[:start] + text[end:]
        if path.name == "argument_specs.yml":
            start, end = text.find("# BEGIN service_model"), text.find("# END service_model")
            if start >= 0:
                text = text[:start] + text[end:]
        if pattern.search(text):
            found.append(str(path.relative_to(ROOT)))
    assert found == ["plugins/module_utils/_schema.py"], "%s written out in %s: derive it from the schema" % (name, found)
