#!/usr/bin/env bash
# Place this checkout at DEST (…/ansible_collections/lvs/cluster) as a fresh copy of the files git
# tracks or would track, so ansible-test and ansible-lint see the collection where they expect it,
# wherever the user cloned. Usage: tests/collection-tree.sh DEST
set -euo pipefail
dest=${1:?destination}
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$dest"
mkdir -p "$dest"
cd "$root"
# Untracked symlinks that leave the checkout (a .venv linked from elsewhere that .gitignore did not
# catch, a link to a scratch dir) are not part of the collection: ansible-test would follow them.
git ls-files -z --cached --others --exclude-standard \
  | python3 -c '
import os, subprocess, sys
root = os.path.realpath(".")
tracked = set(subprocess.run(["git", "ls-files", "-z"], capture_output=True, check=True, text=True).stdout.split("\0"))
def keep(p):
    if not p or not os.path.lexists(p):
        return False
    if os.path.islink(p) and p not in tracked:
        target = os.path.realpath(p)
        return os.path.commonpath([root, target]) == root and not os.path.isdir(target)
    return True
sys.stdout.write("".join(p + "\0" for p in sys.stdin.read().split("\0") if keep(p)))' \
  | tar --null -T - -cf - | tar -C "$dest" -xf -
# ansible-test wants a git work tree to know which files belong to the collection
git -C "$dest" init -q
git -C "$dest" add -A
