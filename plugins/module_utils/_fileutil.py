# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Atomic file writes for persistent state (never a plain open() over the live file)."""

from __future__ import annotations

import os
import tempfile


def read_text(path):
    """The file's text, or None when it does not exist."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write_text_atomic(module, path, content, mode=0o644):
    """Write ``content`` to ``path`` through a temporary file in the same directory and
    ``module.atomic_move``. Creates missing parent directories. The caller decides whether
    a write is needed (compare with :func:`read_text`) and honours check mode."""
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.chmod(tmp, mode)
        module.atomic_move(tmp, path, unsafe_writes=False)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def remove_file(path):
    """Remove ``path``; True when something was removed."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True
