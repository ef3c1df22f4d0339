"""The director's config test (roles/director/files/keepalived-config-test: keepalived -t with the
keepalived#2617 workaround) over the whole host-side render matrix, inside a lab VM: the keepalived
of the lab's release, not the controller's (tests/director runs it on the controller)."""
import importlib.util
import os
import re
import shlex
import subprocess

import pytest

from conftest import LVSLAB, ROOT

pytestmark = pytest.mark.lab


def test_template_matrix_passes_keepalived_t_in_the_vm(lab, tmp_path):
    """Every host-side scenario (tests/director/scenarios), rendered for the VM's interfaces, passes
    the role's config test (keepalived -t, files/keepalived-config-test) on dir1 of the smoke lab:
    the release's keepalived and kernel (Debian 12: 2.2.7, 6.1; Debian 13: 2.3.3, 6.12). The test
    brings its own files; nothing is installed by a role."""
    spec = importlib.util.spec_from_file_location("director_render", ROOT / "tests" / "director" / "conftest.py")
    director_tests = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(director_tests)  # the host suite's renderer (its own conftest, loaded by path)
    coll = tmp_path / "coll"  # a fresh copy of this checkout, never a stale .tmp/collections
    subprocess.run(["bash", str(ROOT / "tests" / "collection-tree.sh"), str(coll / "ansible_collections" / "lvs" / "cluster")],
                   check=True, capture_output=True)
    hv = lab.hostvars("dir1")
    (tmp_path / "out").mkdir()
    rendered = director_tests.render_all(str(coll), tmp_path / "out", hv["lab_front_interface"], hv["lab_back_interface"])

    def put(path, text):
        subprocess.run([str(LVSLAB), "--name", lab.name, "exec", "dir1", "--", "sh", "-c", f"cat > {path}"],
                       input=text, text=True, check=True, capture_output=True)

    put("/tmp/director-matrix-test", (ROOT / "roles" / "director" / "files" / "keepalived-config-test").read_text())
    failures, tested, retested, created = {}, 0, 0, []
    for scenario, hosts in rendered.items():
        for host, files in hosts.items():
            conf = files["original"]
            if files["auth"] is not None:
                put(f"/tmp/director-matrix-{scenario}-{host}.auth", files["auth"])
                conf = conf.replace("/etc/keepalived/lvs-cluster/vrrp-auth.conf", f"/tmp/director-matrix-{scenario}-{host}.auth")
            target = f"/tmp/director-matrix-{scenario}-{host}.conf"
            put(target, conf)
            # the role creates the files of file checks before its config test (keepalived 2.3
            # refuses a track_file whose file is missing); so does this test, and removes them
            for tracked in re.findall(r"^track_file \S+ \{\n\s+file (\S+)$", conf, re.M):
                lab.exec("dir1", f"mkdir -p {shlex.quote(os.path.dirname(tracked))} && [ -e {shlex.quote(tracked)} ] || echo 0 > {shlex.quote(tracked)}")
                created.append(tracked)
            proc = lab.exec("dir1", f"sh /tmp/director-matrix-test {target}", check=False)
            tested += 1
            retested += "keepalived#2617" in proc.stderr
            if proc.returncode != 0:
                failures[f"{scenario}/{host}"] = proc.stdout + proc.stderr
    lab.exec("dir1", "rm -f /tmp/director-matrix-* " + " ".join(shlex.quote(p) for p in sorted(set(created))))
    version = lab.exec("dir1", "keepalived --version 2>&1 | head -1").stdout.strip()
    print(f"{version}: {tested} configs, {retested} re-tested with script_user root (keepalived#2617)")
    assert tested >= 12
    assert not failures, failures
