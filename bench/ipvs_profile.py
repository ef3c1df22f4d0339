# Copyright (c) lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Profile lvs.cluster.ipvs_table's module body on the host (no lab): main() with
CommandRunner.run patched to serve a synthetic ``ipvsadm -Sn`` / ``-Ln --thresholds`` of
BENCH_SERVICES (default 10000) services x 4 destinations, the same table as bench/ipvs_table.sh.

    .venv/bin/python bench/ipvs_profile.py [create|noop|one] [--profile]

Prints the wall time, the result size and the ipvsadm calls; with --profile the top of cProfile.
"""

import contextlib
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
tree = Path(tempfile.mkdtemp(prefix="ipvs-profile-"))
(tree / "ansible_collections" / "lvs").mkdir(parents=True)
(tree / "ansible_collections" / "lvs" / "cluster").symlink_to(ROOT)
sys.path.insert(0, str(tree))
sys.path.insert(0, str(ROOT / "bench"))

from ansible.module_utils.testing import patch_module_args  # noqa: E402
from ipvs_guest import lines  # noqa: E402
from ipvs_table_bench import N_DESTS, N_SERVICES, model, vip  # noqa: E402

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvsadm, _runner  # noqa: E402
from ansible_collections.lvs.cluster.plugins.modules import ipvs_table  # noqa: E402


def thresholds_text():
    out = [
        "IP Virtual Server version 1.2.1 (size=4096)",
        "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn",
        "  -> RemoteAddress:Port",
    ]
    for i in range(N_SERVICES):
        addr, port = vip(i)
        out.append("TCP  %s:%d wrr" % (addr, port))
        out.extend("  -> 198.51.100.%d:%d                0          0          0          0" % (10 + j, 8000 + j) for j in range(N_DESTS))
    return "\n".join(out) + "\n"


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "noop"
    save = "" if mode == "create" else "\n".join(line.split(" -x ")[0] for line in lines()) + "\n"
    thresholds = thresholds_text()
    calls = []

    def run(_runner_self, tool, args, data=None, **_kw):
        calls.append("%s %s%s" % (tool, " ".join(args), " (%d bytes in)" % len(data) if data else ""))
        out = save if args == ["-Sn"] else thresholds if args[:2] == ["-Ln", "--thresholds"] else ""
        return _runner.CommandResult([tool, *args], 0, out, "")

    args = {"services": model(weight_bump=N_SERVICES // 2 if mode == "one" else None)}
    out = io.StringIO()
    prof = cProfile.Profile()
    with (
        patch_module_args(args),
        mock.patch.object(_runner.CommandRunner, "run", run),
        mock.patch.object(_ipvsadm.IPVSAdm, "kernel_loaded", lambda self: True),
        mock.patch.object(_ipvsadm.IPVSAdm, "check_schedulers", lambda self, used: None),
        mock.patch.object(_ipvsadm, "THRESHOLDS_MARKER", str(tree / "no-marker")),
        mock.patch("sys.stdout", out),
    ):
        start = time.perf_counter()
        if "--profile" in sys.argv:
            prof.enable()
        with contextlib.suppress(SystemExit):
            ipvs_table.main()
        prof.disable()
        took = time.perf_counter() - start
    result = json.loads(out.getvalue())
    print("%s: %.2f s, result %d bytes, changed=%s, counts=%s" % (mode, took, len(out.getvalue()), result.get("changed"), result.get("counts")))
    print("ipvsadm calls: %s" % "; ".join(calls))
    if "--profile" in sys.argv:
        pstats.Stats(prof).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(30)
    os.unlink(tree / "ansible_collections" / "lvs" / "cluster")


if __name__ == "__main__":
    main()
