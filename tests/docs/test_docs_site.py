"""The documentation as a whole: ansible-doc for every module and role, the HTML build, the
diagrams, documentation-only addresses, and the changelog."""
from __future__ import annotations

import ipaddress
import json
import re
import subprocess
import sys

import pytest
from conftest import ROOT, run, tool
from docexamples import doc_pages

DOCS = ROOT / "docs"
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if not p.name.startswith("_"))
ROLES = sorted(p.parents[1].name for p in (ROOT / "roles").glob("*/meta/argument_specs.yml"))
DIAGRAMS = sorted((DOCS / "diagrams").glob("*.dot"))
GUIDES = ["index", "quickstart", "forwarding-methods", "service-model", "high-availability", "migration",
          "troubleshooting", "security", "windows-real-servers"]


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_module(module, ansible_env):
    p = run([tool("ansible-doc"), "--json", f"lvs.cluster.{module}"], ansible_env)
    assert p.returncode == 0 and "[WARNING]" not in p.stderr, p.stderr
    assert '"short_description"' in p.stdout


@pytest.mark.parametrize("role", ROLES)
def test_ansible_doc_role(role, ansible_env):
    p = run([tool("ansible-doc"), "-t", "role", "--json", f"lvs.cluster.{role}"], ansible_env)
    assert p.returncode == 0 and "[WARNING]" not in p.stderr, p.stderr
    assert '"entry_points"' in p.stdout


def _schema_tree(field):
    """{name: (choices, sub-tree)} of every field below ``field`` in the collection's one schema."""
    sub = field.elements if field.kind == "list" else field
    if sub.kind not in ("dict", "dicts"):
        return {}
    tree = {}
    for name, f in sub.fields.items():
        choices = (f.elements.choices if f.kind == "list" else f.choices)
        tree[name] = (list(choices) if choices is not None else None, _schema_tree(f))
    return tree


def _doc_tree(option, key):
    return {name: (sub.get("choices"), _doc_tree(sub, key)) for name, sub in option.get(key, {}).items()}


def test_ansible_doc_shows_every_model_field(ansible_env):
    """What ansible-doc prints (not the source files) carries every field of the service model, at
    every depth and with its choices, for ipvs_table's services and the director role's model."""
    sys.path.insert(0, ansible_env["ANSIBLE_COLLECTIONS_PATH"])
    from ansible_collections.lvs.cluster.plugins.module_utils import _schema as S  # noqa: PLC0415  (from the installed copy)

    want = _schema_tree(S.SERVICE)
    assert {"name", "real_servers", "persistence", "check", "tunnel"} <= set(want) and want["real_servers"][1], sorted(want)
    p = run([tool("ansible-doc"), "--json", "lvs.cluster.ipvs_table"], ansible_env)
    assert p.returncode == 0, p.stderr
    services = json.loads(p.stdout)["lvs.cluster.ipvs_table"]["doc"]["options"]["services"]
    assert _doc_tree(services, "suboptions") == want
    p = run([tool("ansible-doc"), "-t", "role", "--json", "lvs.cluster.director"], ansible_env)
    assert p.returncode == 0, p.stderr
    entry = json.loads(p.stdout)["lvs.cluster.director"]["entry_points"]["service_model"]
    assert _doc_tree(entry["options"]["director_virtual_services"], "options") == want


def test_collection_docs_lint(ansible_env):
    """antsibull-docs' own checks of every plugin's and role's documentation (markup, references)."""
    coll = ansible_env["ANSIBLE_COLLECTIONS_PATH"] + "/ansible_collections/lvs/cluster"
    p = run([tool("antsibull-docs"), "lint-collection-docs", "--plugin-docs", "--skip-rstcheck", coll], ansible_env)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("docs-build")
    env = {**__import__("os").environ, "DOCS_WORKDIR": str(base / "work"), "DOCS_OUT": str(base / "html")}
    p = subprocess.run(["bash", str(DOCS / "build.sh")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    return base / "html"


def test_build_has_every_guide(built_site):
    for page in GUIDES:
        assert (built_site / f"{page}.html").is_file(), page


def test_build_has_every_module_and_role(built_site):
    ref = built_site / "collections" / "lvs" / "cluster"
    for module in MODULES:
        assert (ref / f"{module}_module.html").is_file(), module
    for role in ROLES:
        assert (ref / f"{role}_role.html").is_file(), role


def test_build_embeds_the_diagrams(built_site):
    for dot in DIAGRAMS:
        svg = list(built_site.rglob(f"{dot.stem}.svg"))
        assert svg, f"{dot.stem}.svg not in the site"
        assert "<svg" in svg[0].read_text()


def test_build_is_offline(built_site):
    """No page loads anything from the network (links are fine, fetched assets are not)."""
    fetched = re.compile(r'<(?:script|link|img)[^>]+(?:src|href)="(https?:)?//', re.I)
    bad = [p.name for p in built_site.rglob("*.html") if fetched.search(p.read_text(errors="replace"))]
    assert not bad, bad


@pytest.mark.parametrize("dot", DIAGRAMS, ids=lambda p: p.name)
def test_diagram_renders(dot, tmp_path):
    out = tmp_path / f"{dot.stem}.svg"
    p = subprocess.run(["dot", "-Tsvg", str(dot), "-o", str(out)], capture_output=True, text=True, check=False)
    assert p.returncode == 0 and not p.stderr.strip(), p.stderr
    assert "<svg" in out.read_text()


def test_every_diagram_is_used_and_exists():
    used = set()
    for page in doc_pages():
        used.update(re.findall(r"\]\(diagrams/([\w-]+)\.svg\)", page.read_text()))
    sources = {d.stem for d in DIAGRAMS}
    assert used - sources == set(), f"pages show diagrams without a .dot source: {used - sources}"
    assert sources - used == set(), f"diagrams no page shows: {sources - used}"
    assert {"dr", "nat", "tun"} <= sources


DOC_NETS = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]
ALLOWED = {ipaddress.ip_address(a) for a in ("0.0.0.0", "127.0.0.1", "224.0.0.18", "224.0.0.81", "255.255.255.0", "255.255.255.255")}
IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.])")
IPV6 = re.compile(r"(?<![\w:])([0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?![\w:])")


@pytest.mark.parametrize("path", [*doc_pages(), *DIAGRAMS], ids=lambda p: str(p.relative_to(DOCS)))
def test_only_documentation_addresses(path):
    text = path.read_text()
    bad = []
    for m in [*IPV4.findall(text), *IPV6.findall(text)]:
        try:
            addr = ipaddress.ip_address(m)
        except ValueError:
            continue  # a version number, a time, a MAC fragment
        if addr not in ALLOWED and not any(addr in net for net in DOC_NETS):
            bad.append(m)
    assert not bad, f"non-documentation addresses: {sorted(set(bad))}"


def test_changelog_lint(ansible_env):
    """The repository's changelog configuration and every fragment pass antsibull-changelog."""
    p = run([tool("antsibull-changelog"), "lint"], ansible_env, cwd=ROOT)
    assert p.returncode == 0 and not p.stdout.strip(), p.stdout + p.stderr
