# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._runner import (
    CommandError,
    CommandRunner,
    ModuleError,
    run_module,
)


class FakeModule:
    """Records run_command calls; answers from a queue of (rc, out, err)."""

    def __init__(self, answers=(), bins=None):
        self.answers = list(answers)
        self.calls = []
        self.bins = {"ipvsadm": "/usr/sbin/ipvsadm"} if bins is None else bins
        self.failed = None
        self.exited = None
        self.run_command_environ_update = {}

    def get_bin_path(self, name, required=False, opt_dirs=None):
        return self.bins.get(name)

    def run_command(self, argv, data=None, binary_data=False, environ_update=None):
        self.calls.append({"argv": argv, "data": data, "env": environ_update})
        return self.answers.pop(0)

    def fail_json(self, **kwargs):
        self.failed = kwargs
        raise SystemExit(1)

    def exit_json(self, **kwargs):
        self.exited = kwargs
        raise SystemExit(0)


def test_run_passes_argv_list_and_c_locale():
    module = FakeModule([(0, "out", "")])
    result = CommandRunner(module).run("ipvsadm", ["-A", "-t", "192.0.2.10:80", "-s", 5])
    call = module.calls[0]
    assert call["argv"] == ["/usr/sbin/ipvsadm", "-A", "-t", "192.0.2.10:80", "-s", "5"]
    assert call["env"]["LC_ALL"] == "C"
    assert call["env"]["LANG"] == "C"
    assert module.run_command_environ_update["LC_ALL"] == "C"
    assert (result.rc, result.stdout) == (0, "out")


def test_run_feeds_stdin():
    module = FakeModule([(0, "", "")])
    CommandRunner(module).run("ipvsadm", ["-R"], data="-A -t 192.0.2.10:80 -s rr\n")
    assert module.calls[0]["data"] == "-A -t 192.0.2.10:80 -s rr\n"


def test_unexpected_rc_raises_with_everything_the_user_needs():
    module = FakeModule([(2, "", "Service not defined\n")])
    with pytest.raises(CommandError) as info:
        CommandRunner(module).run("ipvsadm", ["-D", "-t", "192.0.2.10:80"])
    exc = info.value
    assert exc.rc == 2
    assert "Service not defined" in exc.msg
    assert exc.extra["cmd"] == ["/usr/sbin/ipvsadm", "-D", "-t", "192.0.2.10:80"]
    assert exc.extra["stderr"] == "Service not defined\n"


def test_ok_rc_accepts_listed_codes():
    module = FakeModule([(1, "", "")])
    assert CommandRunner(module).run("ipvsadm", ["-L"], ok_rc=(0, 1)).rc == 1


def test_missing_binary_is_a_clear_error():
    module = FakeModule(bins={})
    runner = CommandRunner(module)
    assert runner.has("arptables") is False
    with pytest.raises(ModuleError, match="'arptables' was not found"):
        runner.run("arptables", ["-L"])
    assert module.calls == []


def test_bin_path_is_looked_up_once():
    module = FakeModule([(0, "", ""), (0, "", "")])
    lookups = []
    original = module.get_bin_path

    def counting(name, required=False, opt_dirs=None):
        lookups.append(name)
        return original(name, required, opt_dirs)

    module.get_bin_path = counting
    runner = CommandRunner(module)
    runner.run("ipvsadm", ["-Sn"])
    runner.run("ipvsadm", ["-Sn"])
    assert lookups == ["ipvsadm"]


def test_run_module_reports_module_error_through_fail_json():
    module = FakeModule()

    def broken():
        raise ModuleError("port: 70000 is not a valid port", value=70000)

    with pytest.raises(SystemExit):
        run_module(module, broken)
    assert module.failed == {"msg": "port: 70000 is not a valid port", "value": 70000}


def test_run_module_exits_with_result():
    module = FakeModule()
    with pytest.raises(SystemExit):
        run_module(module, lambda: {"changed": False})
    assert module.exited == {"changed": False}
