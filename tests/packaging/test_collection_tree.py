"""A newcomer's symlinked .venv (e.g. `ln -s ~/venvs/lvs .venv`) is neither a git candidate nor
copied into the collection tree that ansible-test and ansible-lint read (it broke sanity: the
copy held a link to a whole virtualenv)."""
import shutil
import subprocess

from conftest import ROOT


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def test_symlinked_venv_is_ignored_and_not_copied(tmp_path):
    repo = tmp_path / "checkout"
    (repo / "tests").mkdir(parents=True)
    shutil.copy(ROOT / ".gitignore", repo / ".gitignore")
    shutil.copy(ROOT / "tests" / "collection-tree.sh", repo / "tests" / "collection-tree.sh")
    (repo / "galaxy.yml").write_text("namespace: lvs\nname: cluster\n")
    elsewhere = tmp_path / "venvs" / "lvs"
    (elsewhere / "bin").mkdir(parents=True)
    (elsewhere / "bin" / "python").write_text("")
    (repo / ".venv").symlink_to(elsewhere)
    (repo / "scratch").symlink_to(tmp_path / "venvs")  # an untracked link out of the checkout, not ignored
    (repo / "notes.md").write_text("untracked, not ignored: copied\n")
    git(repo, "init", "-q")
    git(repo, "add", ".gitignore", "tests", "galaxy.yml")
    assert ".venv" not in git(repo, "status", "--porcelain", "--ignored=no").split()
    assert git(repo, "check-ignore", ".venv").strip() == ".venv"
    dest = tmp_path / "coll" / "ansible_collections" / "lvs" / "cluster"
    subprocess.run(["bash", str(repo / "tests" / "collection-tree.sh"), str(dest)], check=True, capture_output=True)
    copied = sorted(p.name for p in dest.iterdir() if p.name != ".git")
    assert copied == [".gitignore", "galaxy.yml", "notes.md", "tests"], copied
