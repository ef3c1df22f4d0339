"""Every YAML example in docs/ is executed: playbooks and task lists are syntax-checked with the
collection installed, inventories loaded with ansible-inventory, group_vars examples run through
the service-model filter and the roles' argument specs, changelog fragments linted.
Lab examples are syntax-checked here and run against the lab by test_doc_examples_lab.py."""
from __future__ import annotations

import json
import shutil

import pytest
import yaml
from conftest import ROOT, run, tool
from docexamples import ROLE_PREFIXES, all_examples, classify, Example, extract

EXAMPLES = all_examples()


def _dump(path, data) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _fail(p, what) -> None:
    pytest.fail(f"{what} failed (rc {p.returncode}):\n{p.stdout[-4000:]}\n{p.stderr[-4000:]}")


def test_examples_found():
    # the guides carry examples of every executable kind; finding none means the extractor broke
    kinds = {ex.kind for ex in EXAMPLES}
    assert {"playbook", "inventory", "vars", "lab"} <= kinds, kinds


@pytest.mark.parametrize("ex", EXAMPLES, ids=lambda ex: ex.id)
def test_example_is_classified(ex):
    assert ex.error is None, f"{ex.id}: {ex.error}"


def test_unmarked_unknown_block_is_an_error(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("Text\n\n```yaml\nfoo: bar\n```\n\n<!-- example: nonsense -->\n```yaml\n- a\n```\n")
    errors = [ex.error for ex in extract(page)]
    assert errors[0] and "cannot tell" in errors[0]
    assert errors[1] and "unknown example kind" in errors[1]


def test_unmarked_blocks_are_classified_by_content():
    play = Example(ROOT, 1, "yaml", "- hosts: all\n  tasks: []\n", None)
    inv = Example(ROOT, 1, "yaml", "all:\n  hosts: {a: {}}\n", None)
    var = Example(ROOT, 1, "yaml", "director_vrrp_priority: 150\n", None)
    for ex, kind in ((play, "playbook"), (inv, "inventory"), (var, "vars")):
        classify(ex)
        assert ex.kind == kind


def _syntax_check(plays, tmp_path, env):
    pb = tmp_path / "example.yml"
    _dump(pb, plays)
    p = run([tool("ansible-playbook"), "-i", "localhost,", "--syntax-check", str(pb)], env)
    if p.returncode != 0:
        _fail(p, "ansible-playbook --syntax-check")


@pytest.mark.parametrize("ex", [e for e in EXAMPLES if e.kind in ("playbook", "lab")], ids=lambda ex: ex.id)
def test_playbook_syntax(ex, tmp_path, ansible_env):
    _syntax_check(ex.data, tmp_path, ansible_env)


@pytest.mark.parametrize("ex", [e for e in EXAMPLES if e.kind == "tasks"], ids=lambda ex: ex.id)
def test_tasks_syntax(ex, tmp_path, ansible_env):
    _syntax_check([{"name": f"doc example {ex.id}", "hosts": "localhost", "gather_facts": False, "tasks": ex.data}], tmp_path, ansible_env)


@pytest.mark.parametrize("ex", [e for e in EXAMPLES if e.kind == "inventory"], ids=lambda ex: ex.id)
def test_inventory_loads(ex, tmp_path, ansible_env):
    inv = tmp_path / "inventory.yml"
    inv.write_text(ex.text)
    p = run([tool("ansible-inventory"), "-i", str(inv), "--list"], ansible_env)
    if p.returncode != 0 or "[WARNING]" in p.stderr:
        _fail(p, "ansible-inventory --list")
    hosts = set(json.loads(p.stdout)["_meta"]["hostvars"])
    want = set()

    def walk(group):
        want.update((group.get("hosts") or {}).keys())
        for child in (group.get("children") or {}).values():
            walk(child or {})

    walk(ex.data["all"])
    assert want and want <= hosts, f"hosts not loaded: {want - hosts}"


def _role_spec(role: str) -> dict:
    path = ROOT / "roles" / role / "meta" / "argument_specs.yml"
    if not path.exists():
        pytest.fail(f"role {role} has no meta/argument_specs.yml (yet): the example uses its variables")
    return yaml.safe_load(path.read_text())["argument_specs"]["main"]["options"]


def _strip_defaults(spec):
    if isinstance(spec, dict):
        return {k: _strip_defaults(v) for k, v in spec.items() if k != "default"}
    if isinstance(spec, list):
        return [_strip_defaults(v) for v in spec]
    return spec


def _templated(value) -> bool:
    return "{{" in json.dumps(value)


@pytest.mark.parametrize("ex", [e for e in EXAMPLES if e.kind == "vars"], ids=lambda ex: ex.id)
def test_vars(ex, tmp_path, ansible_env):
    data = ex.data
    assert isinstance(data, dict) and data, "a vars example is a mapping of variables"
    tasks = []
    unknown = []
    for role in sorted(set(ROLE_PREFIXES.values())):
        keys = [k for k in data if any(k.startswith(p) for p, r in ROLE_PREFIXES.items() if r == role)]
        if not keys:
            continue
        spec = _role_spec(role)
        unknown += [k for k in keys if k not in spec]
        # values that reference other variables (vault, facts) are checked for their name only
        checked = {k: data[k] for k in keys if k in spec and not _templated(data[k])}
        if checked:
            specfile = tmp_path / f"{role}-spec.json"
            specfile.write_text(json.dumps({k: _strip_defaults(spec[k]) for k in checked}))
            tasks.append({
                "name": f"{role} variables match the role's argument spec",
                "ansible.builtin.validate_argument_spec": {
                    "argument_spec": "{{ lookup('ansible.builtin.file', '%s') | from_json }}" % specfile,
                    "provided_arguments": {k: "{{ %s }}" % k for k in checked},
                },
            })
    assert not unknown, f"variables no role declares: {unknown}"
    if "lvs_virtual_services" in data:
        tasks += [
            {"name": "Normalise the service model", "ansible.builtin.set_fact": {
                "doc_services": "{{ lvs_virtual_services | lvs.cluster.lvs_services(hostvars) }}"}},
            {"name": "Every service came through", "ansible.builtin.assert": {
                "that": ["doc_services | length == lvs_virtual_services | length",
                         "doc_services | map(attribute='real_servers') | map('length') | min > 0"]}},
        ]
    varsfile = tmp_path / "vars.yml"
    varsfile.write_text(ex.text)
    # vault references in examples resolve to a placeholder, as a vault would supply them
    extra = {k: "placeholder" for k in ("vault_director_vrrp_auth_pass",)}
    _dump(tmp_path / "extra.yml", extra)
    play = [{"name": f"doc example {ex.id}", "hosts": "localhost", "gather_facts": False, "connection": "local",
             "vars_files": [str(varsfile)], "tasks": tasks or [{"ansible.builtin.meta": "noop"}]}]
    _dump(tmp_path / "play.yml", play)
    inv = tmp_path / "inventory.yml"
    if ex.inventory is not None:
        inv.write_text(ex.inventory.text)
    else:
        _dump(inv, {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}})
    p = run([tool("ansible-playbook"), "-i", str(inv), "-e", f"@{tmp_path / 'extra.yml'}", str(tmp_path / "play.yml")], ansible_env)
    if p.returncode != 0:
        _fail(p, "vars example")


@pytest.mark.parametrize("ex", [e for e in EXAMPLES if e.kind == "changelog-fragment"], ids=lambda ex: ex.id)
def test_changelog_fragment(ex, tmp_path, ansible_env):
    # a pristine antsibull-changelog setup: the fragment is checked on its own (the repository's
    # own config and fragments are linted by test_docs_site.py::test_changelog_lint)
    shutil.copy(ROOT / "galaxy.yml", tmp_path / "galaxy.yml")
    p = run([tool("antsibull-changelog"), "init", str(tmp_path)], ansible_env, cwd=tmp_path)
    if p.returncode != 0:
        _fail(p, "antsibull-changelog init")
    frag = tmp_path / "changelogs" / "fragments" / "doc-example.yml"
    frag.parent.mkdir(exist_ok=True)
    frag.write_text(ex.text)
    p = run([tool("antsibull-changelog"), "lint", str(frag)], ansible_env, cwd=tmp_path)
    if p.returncode != 0 or p.stdout.strip():
        _fail(p, "antsibull-changelog lint")
