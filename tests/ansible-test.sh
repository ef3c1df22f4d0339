#!/usr/bin/env bash
# Run ansible-test in the collection copy, offline-safe: ansible-test bootstraps pip in its
# per-test virtualenvs with a script it downloads from a host we cannot reach; put our
# stand-in (tests/get_pip_offline.py) where ansible-test looks for its cache first.
# Usage: tests/ansible-test.sh COLLECTION_DIR ARGS...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
coll=${1:?collection dir}; shift
# the Python of the ansible-test on PATH (.venv, or a .venv-core* venv for the newer ansible-cores)
py=$(dirname "$(command -v ansible-test)")/python
ver=$("$py" - <<'PY'
import re, ansible_test._internal.python_requirements as r, inspect
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(r)).group(1))
PY
)
cache=~/.ansible/test/cache/get_pip_${ver//./_}.py
mkdir -p "$(dirname "$cache")"
cmp -s "$root/tests/get_pip_offline.py" "$cache" 2>/dev/null || cp "$root/tests/get_pip_offline.py" "$cache"
cd "$coll"
exec ansible-test "$@"
