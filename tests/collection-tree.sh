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
git ls-files -z --cached --others --exclude-standard \
  | python3 -c 'import os,sys; sys.stdout.write("".join(p + "\0" for p in sys.stdin.read().split("\0") if p and os.path.lexists(p)))' \
  | tar --null -T - -cf - | tar -C "$dest" -xf -
# ansible-test wants a git work tree to know which files belong to the collection
git -C "$dest" init -q
git -C "$dest" add -A
