# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._fileutil import read_text, remove_file, write_text_atomic


class MoveModule:
    def __init__(self):
        self.moves = []

    def atomic_move(self, src, dest, unsafe_writes=False):
        self.moves.append((src, dest))
        os.rename(src, dest)


def test_read_text_missing_is_none(tmp_path):
    assert read_text(str(tmp_path / "nope")) is None


def test_write_creates_parents_mode_and_uses_atomic_move(tmp_path):
    module = MoveModule()
    path = tmp_path / "etc" / "sysctl.d" / "90-lvs.conf"
    write_text_atomic(module, str(path), "net.ipv4.conf.all.arp_ignore = 1\n", mode=0o640)
    assert read_text(str(path)) == "net.ipv4.conf.all.arp_ignore = 1\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    (src, dest), = module.moves
    assert dest == str(path)
    assert os.path.dirname(src) == str(path.parent)
    assert os.listdir(path.parent) == ["90-lvs.conf"]


def test_write_replaces_existing_content(tmp_path):
    path = tmp_path / "f"
    path.write_text("old\n")
    write_text_atomic(MoveModule(), str(path), "new\n")
    assert path.read_text() == "new\n"


def test_failed_move_leaves_no_temp_file_and_keeps_old_content(tmp_path):
    class Failing(MoveModule):
        def atomic_move(self, src, dest, unsafe_writes=False):
            raise OSError("disk full")

    path = tmp_path / "f"
    path.write_text("old\n")
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(Failing(), str(path), "new\n")
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["f"]


def test_remove_file(tmp_path):
    path = tmp_path / "f"
    path.write_text("x")
    assert remove_file(str(path)) is True
    assert remove_file(str(path)) is False
