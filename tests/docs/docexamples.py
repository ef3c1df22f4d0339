"""Find the YAML examples in docs/**/*.md and say what kind each one is.

Each ```yaml (or ```yml) block is preceded by a marker comment, ``<!-- example: KIND -->``, or is
classified from its content. A block that is neither marked nor classifiable is an error: no
example is skipped silently.

Kinds
-----
playbook   a list of plays: ``ansible-playbook --syntax-check``
tasks      a list of tasks: wrapped into a play, then syntax-checked
lab        a playbook run against the lab (syntax-checked here, run by the lab suite)
inventory  a YAML inventory: ``ansible-inventory --list`` must load it
vars       group_vars/host_vars: the service model through ``lvs.cluster.lvs_services``, role
           variables against the roles' ``meta/argument_specs.yml``
changelog-fragment   a changelogs/fragments file: ``antsibull-changelog lint``
none       shown only (say why in the text); must be marked explicitly
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
KINDS = ("playbook", "tasks", "lab", "inventory", "vars", "changelog-fragment", "none")
MARKER = re.compile(r"^<!--\s*example:\s*([a-z-]+)\s*-->$")
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([A-Za-z0-9_+-]*)")
# Variables of the collection a vars example may set, by role prefix; plus the shared globals.
ROLE_PREFIXES = {
    "director_": "director",
    "dr_real_server_": "dr_real_server",
    "nat_real_server_": "nat_real_server",
    "tun_real_server_": "tun_real_server",
    "windows_loopback_": "windows_loopback",
}
GLOBAL_VARS = {"lvs_virtual_services", "lvs_nat_gateway", "lvs_real_server_address", "lvs_real_server_address6"}
INVENTORY_HOST_VARS = ("ansible_host",)


@dataclass
class Example:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    text: str
    marker: str | None
    kind: str | None = None
    error: str | None = None
    inventory: Example | None = None  # the nearest inventory example above it on the same page

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(DOCS)}:{self.line}"

    @property
    def data(self):
        return yaml.safe_load(self.text)


def doc_pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)


def extract(page: Path) -> list[Example]:
    lines = page.read_text(encoding="utf-8").splitlines()
    examples: list[Example] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(1), m.group(2).lower()
        j = i + 1
        while j < len(lines) and not lines[j].startswith(fence):
            j += 1
        if lang in ("yaml", "yml"):
            k = i - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            mm = MARKER.match(lines[k].strip()) if k >= 0 else None
            examples.append(Example(page, i + 1, lang, "\n".join(lines[i + 1:j]) + "\n", mm.group(1) if mm else None))
        i = j + 1
    inventory = None
    for ex in examples:
        classify(ex)
        ex.inventory = inventory
        if ex.kind == "inventory":
            inventory = ex
    return examples


def all_examples() -> list[Example]:
    return [ex for page in doc_pages() for ex in extract(page)]


def _is_role_or_global_var(key: str) -> bool:
    return key in GLOBAL_VARS or any(key.startswith(p) for p in ROLE_PREFIXES)


def classify(ex: Example) -> None:
    if ex.marker is not None:
        if ex.marker not in KINDS:
            ex.error = f"unknown example kind {ex.marker!r} (one of {', '.join(KINDS)})"
        else:
            ex.kind = ex.marker
        return
    try:
        data = ex.data
    except yaml.YAMLError as exc:
        ex.error = f"not valid YAML and not marked: {exc}"
        return
    if isinstance(data, list) and data and all(isinstance(p, dict) and ("hosts" in p or "import_playbook" in p) for p in data):
        ex.kind = "playbook"
    elif isinstance(data, dict) and set(data) == {"all"}:
        ex.kind = "inventory"
    elif isinstance(data, dict) and data and all(_is_role_or_global_var(k) for k in data):
        ex.kind = "vars"
    else:
        ex.error = "cannot tell what this YAML block is: put <!-- example: KIND --> before it (" + ", ".join(KINDS) + ")"
