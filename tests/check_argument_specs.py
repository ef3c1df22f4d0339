# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check that every role's defaults/main.yml matches meta/argument_specs.yml (entry point main)
key for key, and that each default the spec states equals the value in defaults/main.yml.

Usage: python tests/check_argument_specs.py [ROLES_DIR]   (default: roles/ next to tests/)
Exit 0 when all roles agree, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

_MISSING = object()


def check_role(role: Path) -> list:
    problems = []
    defaults_file = role / "defaults" / "main.yml"
    spec_file = role / "meta" / "argument_specs.yml"
    if not spec_file.is_file():
        return ["%s: meta/argument_specs.yml is missing" % role.name]
    try:
        defaults = (yaml.safe_load(defaults_file.read_text()) or {}) if defaults_file.is_file() else {}
        spec = yaml.safe_load(spec_file.read_text()) or {}
    except yaml.YAMLError as exc:
        return ["%s: YAML error: %s" % (role.name, " ".join(str(exc).split()))]
    if not isinstance(defaults, dict) or not isinstance(spec, dict):
        return ["%s: defaults/main.yml and meta/argument_specs.yml must be mappings" % role.name]
    main = (spec.get("argument_specs") or {}).get("main")
    if not isinstance(main, dict):
        return ["%s: argument_specs has no 'main' entry point" % role.name]
    options = main.get("options") or {}
    for key in sorted(set(defaults) - set(options)):
        problems.append("%s: %s is in defaults/main.yml but not in meta/argument_specs.yml" % (role.name, key))
    for key in sorted(set(options) - set(defaults)):
        problems.append("%s: %s is in meta/argument_specs.yml but not in defaults/main.yml" % (role.name, key))
    for key in sorted(set(options) & set(defaults)):
        opt = options[key] or {}
        if not opt.get("description"):
            problems.append("%s: %s has no description in meta/argument_specs.yml" % (role.name, key))
        stated = opt.get("default", _MISSING)
        if stated is _MISSING and _computed_container_default(opt, defaults[key]):
            # A list/dict option whose default is a Jinja expression (e.g. "{{ lvs_virtual_services }}")
            # cannot carry that string as a spec default (the docs tools require a real list/dict):
            # the description must name the expression's source instead.
            source = defaults[key].split("{{", 1)[1].split("|", 1)[0].split("}}", 1)[0].strip()
            if "C(%s)" % source not in _text(opt.get("description")):
                problems.append("%s: %s: computed default %r must be described as C(%s) in argument_specs"
                                % (role.name, key, defaults[key], source))
        elif stated is _MISSING:
            if defaults[key] is not None:
                problems.append("%s: %s: defaults/main.yml has %r but argument_specs states no default" % (role.name, key, defaults[key]))
        elif stated != defaults[key]:
            problems.append("%s: %s: argument_specs default %r != defaults/main.yml %r" % (role.name, key, stated, defaults[key]))
        if opt.get("required") and key in defaults:
            problems.append("%s: %s is required in argument_specs but has a default" % (role.name, key))
    return problems


def _computed_container_default(opt, value) -> bool:
    return opt.get("type") in ("list", "dict") and isinstance(value, str) and value.strip().startswith("{{")


def _text(description) -> str:
    return " ".join(description) if isinstance(description, list) else str(description or "")


def main(argv) -> int:
    roles_dir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "roles"
    roles = sorted(p for p in roles_dir.iterdir() if p.is_dir()) if roles_dir.is_dir() else []
    problems = []
    for role in roles:
        problems.extend(check_role(role))
    for line in problems:
        print(line)
    print("%d role(s) checked, %d problem(s)" % (len(roles), len(problems)), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
