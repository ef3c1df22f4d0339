# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one command runner of lvs.cluster.

Every external command a module runs (ipvsadm, ip, arptables, nft, sysctl, modprobe,
systemctl, ...) goes through :class:`CommandRunner`: argv lists only, never a shell string,
binaries found with ``module.get_bin_path``, and a C locale so that parsed output does not
depend on the managed node's language. Tests patch :meth:`CommandRunner.run` (or the module's
``run_command``) at this single choke point.
"""

from __future__ import annotations

C_LOCALE = {"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C"}


class ModuleError(Exception):
    """A domain error: reported once, by :func:`run_module`, as ``fail_json(msg=..., **extra)``."""

    def __init__(self, msg, **extra):
        super().__init__(msg)
        self.msg = msg
        self.extra = extra


class CommandError(ModuleError):
    """A command exited with an unexpected return code."""

    def __init__(self, argv, rc, stdout, stderr, msg=None):
        text = (stderr or stdout or "").strip()
        super().__init__(
            msg or "command failed (rc=%s): %s%s" % (rc, " ".join(argv), (": " + text) if text else ""),
            cmd=argv,
            rc=rc,
            stdout=stdout,
            stderr=stderr,
        )
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr


class CommandResult:
    __slots__ = ("argv", "rc", "stderr", "stdout")

    def __init__(self, argv, rc, stdout, stderr):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self):
        return "CommandResult(argv=%r, rc=%r)" % (self.argv, self.rc)


class CommandRunner:
    """Runs tools by name with argv lists in the C locale.

    ``runner.run("ipvsadm", ["-Sn"])`` finds ipvsadm once per module run, runs it and raises
    :class:`CommandError` unless the return code is in ``ok_rc``.
    """

    def __init__(self, module, search_paths=("/sbin", "/usr/sbin", "/usr/local/sbin")):
        self.module = module
        self.search_paths = list(search_paths)
        self._bins = {}
        module.run_command_environ_update = dict(C_LOCALE)

    def bin_path(self, tool, required=True):
        if tool not in self._bins:
            self._bins[tool] = self.module.get_bin_path(tool, required=False, opt_dirs=self.search_paths)
        path = self._bins[tool]
        if not path and required:
            raise ModuleError("required command %r was not found on the managed node (searched PATH and %s)" % (tool, ", ".join(self.search_paths)))
        return path

    def has(self, tool):
        return bool(self.bin_path(tool, required=False))

    def run(self, tool, args, data=None, ok_rc=(0,), binary_data=False):
        argv = [self.bin_path(tool)] + [str(a) for a in args]
        rc, out, err = self.module.run_command(argv, data=data, binary_data=binary_data, environ_update=dict(C_LOCALE))
        if ok_rc is not None and rc not in ok_rc:
            raise CommandError(argv, rc, out, err)
        return CommandResult(argv, rc, out, err)


def run_module(module, func):
    """Call ``func()`` and turn a :class:`ModuleError` into ``fail_json`` with everything the user needs."""
    try:
        result = func()
    except ModuleError as exc:
        module.fail_json(msg=exc.msg, **exc.extra)
    module.exit_json(**result)
