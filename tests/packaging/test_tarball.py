"""The built tarball: only what a user installs (an allow-list, no lab content), and the README's
user path from it: install into an empty collections path, ansible-doc for a module and a role,
`ansible-playbook lvs.cluster.site --syntax-check` with an inventory of the user's."""
import re
import tarfile

import yaml

from conftest import GALAXY, ROOT, VENV_BIN, clean_env, run

# Every file of the tarball matches one of these (directories are not listed); nothing else ships.
# `*` stays within one path segment, `**` spans any.
ALLOW = [
    "MANIFEST.json", "FILES.json", "README.md", "COPYING",
    "meta/runtime.yml", "meta/execution-environment.yml", "requirements.txt", "bindep.txt", "requirements.yml",
    "plugins/modules/*.py", "plugins/module_utils/_*.py", "plugins/filter/*.py", "plugins/doc_fragments/*.py",
    "plugins/action/*.py", "plugins/plugin_utils/_*.py",
    "roles/*/README.md", "roles/*/defaults/main.yml", "roles/*/meta/*.yml", "roles/*/handlers/main.yml",
    "roles/*/tasks/*.yml", "roles/*/templates/*.j2", "roles/*/vars/*.yml", "roles/*/files/*",
    "playbooks/site.yml", "playbooks/rolling.yml", "playbooks/verify.yml", "playbooks/status.yml", "playbooks/ansible.cfg",
    "playbooks/tasks/*.yml", "playbooks/files/lvs_probe.py",
    *[f"playbooks/inventories/{x}/**" for x in ("dr", "nat", "mixed-pair", "fwmark-persistence", "ipv6")],
    "docs/*.md", "changelogs/changelog.yaml", "changelogs/config.yaml",
    "tests/unit/**",
]
# lab-only, dev-only and build content that must never ship (also covered by ALLOW; named for the message)
DENY = ["lab/**", "bin/**", "molecule/**", "bench/**", "tests/lab/**", "tests/packaging/**", "tests/schema_gen.py", "tests/lab_jobs.py", "playbooks/lab-*",
        "playbooks/inventories/lab-*/**", "**/.venv*/**", ".venv*/**", ".tmp/**", "Makefile", "requirements/**",
        "**.pyc", "**/__pycache__/**", "docs/_build/**", "execution-environment.yml", ".ci/**", ".git*"]


def matches(path, pattern):
    rx = "".join(".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part)
                 for part in re.split(r"(\*\*|\*)", pattern))
    return re.fullmatch(rx, path) is not None


def members(tarball):
    with tarfile.open(tarball) as tf:
        return sorted(m.name for m in tf.getmembers() if m.isfile())


def test_contents_match_the_allow_list(tarball):
    names = members(tarball)
    print(f"{tarball.name}: {len(names)} files")
    not_allowed = [n for n in names if not any(matches(n, a) for a in ALLOW)]
    assert not not_allowed, f"files outside the allow-list: {not_allowed}"
    denied = [n for n in names if any(matches(n, d) for d in DENY)]
    assert not denied, denied
    # the allow-list is not vacuous: each kind of content is there
    for needed in ("plugins/modules/ipvs_table.py", "roles/director/tasks/main.yml", "playbooks/site.yml",
                   "meta/execution-environment.yml", "bindep.txt", "requirements.txt", "docs/quickstart.md",
                   "tests/unit/plugins/modules/test_lo_vip.py", "playbooks/inventories/dr/hosts.yml"):
        assert needed in names, needed


def test_every_tracked_user_file_ships(tarball):
    """The reverse direction: what the allow-list names and git tracks is in the tarball (a too
    wide build_ignore would drop it silently)."""
    tracked = run(["git", "ls-files"], cwd=ROOT).stdout.split()
    wanted = [t for t in tracked if any(matches(t, a) for a in ALLOW)
              and not any(matches(t, d) for d in DENY)]
    missing = sorted(set(wanted) - set(members(tarball)))
    assert not missing, missing


def test_requirements_yml_is_galaxy_dependencies():
    req = yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]
    assert {c["name"]: c["version"] for c in req} == GALAXY["dependencies"]


def test_installed_tarball_docs_and_syntax(installed, tmp_path):
    env = clean_env(ANSIBLE_COLLECTIONS_PATH=str(installed))
    home = installed / "ansible_collections" / "lvs" / "cluster"
    out = run([VENV_BIN / "ansible-doc", "lvs.cluster.ipvs_table"], env=env, cwd=tmp_path).stdout
    assert "lvs.cluster.ipvs_table" in out and str(home) in out, out[:500]
    out = run([VENV_BIN / "ansible-doc", "-t", "role", "lvs.cluster.director"], env=env, cwd=tmp_path).stdout
    assert "lvs.cluster.director" in out and re.search(r"ENTRY POINT: \W*main\b", out), out[:500]
    # the README's inventory of the user's own, beside nothing of this checkout
    inv = tmp_path / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "hosts.yml").write_text(
        "all:\n  children:\n    lvs_directors:\n      hosts:\n        lb1: {ansible_host: 203.0.113.2}\n"
        "    lvs_dr_real_servers:\n      hosts:\n        web1: {ansible_host: 192.0.2.11}\n")
    (inv / "group_vars" / "all.yml").write_text(
        "---\nlvs_virtual_services:\n  - {name: web, address: 192.0.2.10, port: 80, forwarding: direct,"
        " real_servers: [{host: web1}]}\n")
    p = run([VENV_BIN / "ansible-playbook", "lvs.cluster.site", "-i", inv, "--syntax-check"], env=env, cwd=tmp_path)
    assert f"playbook: {home}/playbooks/site.yml" in p.stdout, p.stdout
    p = run([VENV_BIN / "ansible-playbook", "lvs.cluster.verify", "-i", inv, "--syntax-check"], env=env, cwd=tmp_path)
    assert f"playbook: {home}/playbooks/verify.yml" in p.stdout, p.stdout
