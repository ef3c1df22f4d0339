"""lvslab (lab images only): a bytecode cache for Python modules imported from zip files.

ansible-core runs every module task as an AnsiballZ payload: a zip written to a temporary directory and
imported with zipimport, which has no bytecode cache, so each task compiles ansible.module_utils and the
module again. Under TCG that is about 1.7 s of every task. This file, loaded by a .pth file in the lab
images, keeps the compiled code of each zip member in CACHE_DIR, keyed by a hash of its source text and
the compile flags, and gives it back with the member's path as its file name. The code that runs is the
code a compile of the same source produces; nothing of the collection is changed or skipped.
"""
import marshal
import os
import sys
import types
import zipimport

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b

CACHE_DIR = os.path.join("/var/cache/lvslab-zipimport", sys.implementation.cache_tag or "none")
_compile = getattr(zipimport, "_compile_source", None)


def _with_filename(code, filename):
    consts = tuple(_with_filename(c, filename) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def _compile_source(pathname, source):
    key = blake2b(source, digest_size=20)
    key.update(b"|%d" % sys.flags.optimize)
    path = os.path.join(CACHE_DIR, key.hexdigest())
    try:
        with open(path, "rb") as fh:
            return _with_filename(marshal.load(fh), pathname)
    except (OSError, EOFError, ValueError, TypeError):
        pass
    code = _compile(pathname, source)
    try:
        os.makedirs(CACHE_DIR, exist_ok=True)
        tmp = "%s.%d.tmp" % (path, os.getpid())
        with open(tmp, "wb") as fh:
            marshal.dump(code, fh)
        os.replace(tmp, path)
    except OSError:
        pass
    return code


if _compile is not None and os.environ.get("LVSLAB_ZIPCACHE", "1") != "0":
    zipimport._compile_source = _compile_source
