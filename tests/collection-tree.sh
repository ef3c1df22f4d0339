#!/usr/bin/env bash
# Place this checkout at DEST (…/ansible_collections/lvs/cluster) as a copy of the files git tracks
# or would track, so ansible-test and ansible-lint see the collection where they expect it,
# wherever the user cloned. Usage: tests/collection-tree.sh DEST
#
# DEST ends up holding exactly those files (anything else in it, such as ansible-test's
# tests/output or __pycache__, is removed; .git is ansible-test's view of the file list). It is
# updated in place: a file whose content, mode or link target is already right is not touched, the
# others are replaced atomically (rename). So running it again while playbooks read DEST (make
# test's lab suites run beside the host-side stages, each of which refreshes the copy) changes
# nothing under them. Concurrent runs on one DEST take turns (flock).
set -euo pipefail
dest=${1:?destination}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
cd "$root"
exec 9>"$dest.lock"
flock 9
# Untracked symlinks that leave the checkout (a .venv linked from elsewhere that .gitignore did not
# catch, a link to a scratch dir) are not part of the collection: ansible-test would follow them.
git ls-files -z --cached --others --exclude-standard | python3 -c '
import os, stat, subprocess, sys, tempfile
dest = sys.argv[1]
root = os.path.realpath(".")
tracked = set(subprocess.run(["git", "ls-files", "-z"], capture_output=True, check=True, text=True).stdout.split("\0"))
def keep(p):
    if not p or not os.path.lexists(p):
        return False
    if os.path.islink(p) and p not in tracked:
        target = os.path.realpath(p)
        return os.path.commonpath([root, target]) == root and not os.path.isdir(target)
    return True
wanted = sorted({p for p in sys.stdin.read().split("\0") if keep(p)})
dirs = {""}
for p in wanted:
    d = os.path.dirname(p)
    while d not in dirs:
        dirs.add(d)
        d = os.path.dirname(d)
def same(src, dst):
    try:
        s, d = os.lstat(src), os.lstat(dst)
    except FileNotFoundError:
        return False
    if stat.S_IFMT(s.st_mode) != stat.S_IFMT(d.st_mode):
        return False
    if stat.S_ISLNK(s.st_mode):
        return os.readlink(src) == os.readlink(dst)
    if stat.S_IMODE(s.st_mode) != stat.S_IMODE(d.st_mode) or s.st_size != d.st_size:
        return False
    with open(src, "rb") as a, open(dst, "rb") as b:
        return a.read() == b.read()
for d in sorted(dirs):
    target = os.path.join(dest, d)
    if os.path.lexists(target) and not os.path.isdir(target) or os.path.islink(target):
        os.unlink(target)
    os.makedirs(target, exist_ok=True)
for p in wanted:
    target = os.path.join(dest, p)
    if same(p, target):
        continue
    if os.path.isdir(target) and not os.path.islink(target):
        subprocess.run(["rm", "-rf", target], check=True)
    fd, tmp = tempfile.mkstemp(prefix=".collection-tree.", dir=os.path.dirname(target))
    os.close(fd)
    os.unlink(tmp)
    if os.path.islink(p):
        os.symlink(os.readlink(p), tmp)
    else:
        with open(p, "rb") as a, open(tmp, "xb") as b:
            b.write(a.read())
        os.chmod(tmp, stat.S_IMODE(os.stat(p).st_mode))
    os.replace(tmp, target)
# what DEST holds beyond the wanted files goes (deepest first), except .git
keep_files = set(wanted)
for top, subdirs, files in os.walk(dest, topdown=False):
    rel = os.path.relpath(top, dest)
    rel = "" if rel == "." else rel
    if rel == ".git" or rel.startswith(".git" + os.sep):
        continue
    for name in files + [s for s in subdirs if os.path.islink(os.path.join(top, s))]:
        path = os.path.join(rel, name)
        if path not in keep_files and path != ".git":
            os.unlink(os.path.join(dest, path))
    for name in subdirs:
        path = os.path.join(rel, name)
        full = os.path.join(dest, path)
        if path != ".git" and path not in dirs and not os.path.islink(full) and os.path.isdir(full):
            os.rmdir(full)
' "$dest"
# ansible-test wants a git work tree to know which files belong to the collection
git -C "$dest" init -q
git -C "$dest" add -A
