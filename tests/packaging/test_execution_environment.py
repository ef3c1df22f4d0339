"""execution-environment.yml (ansible-builder schema 3): `ansible-builder create` writes the build
context with lvs.cluster's tarball, its collection requirements and its Python and system needs;
`ansible-builder introspect` finds the same needs in the installed collection's
meta/execution-environment.yml. Building the image needs its base image (quay.io), which cannot
be pulled here: `ansible-builder build` is not run."""
import shutil

import yaml

from conftest import GALAXY, ROOT, run


def test_builder_create(packaging_bin, tarball, tmp_path):
    work = tmp_path / "ee"
    (work / "build").mkdir(parents=True)
    for name in ("execution-environment.yml", "requirements.yml", "requirements.txt", "bindep.txt"):
        shutil.copy(ROOT / name, work / name)
    shutil.copy(tarball, work / "build" / tarball.name)
    ee = yaml.safe_load((work / "execution-environment.yml").read_text())
    assert ee["version"] == 3
    run([packaging_bin / "ansible-builder", "create", "-f", work / "execution-environment.yml", "-c", work / "context", "-v", "3"],
        cwd=work)
    ctx = work / "context"
    containerfile = (ctx / "Containerfile").read_text()
    assert f'ARG EE_BASE_IMAGE="{ee["images"]["base_image"]["name"]}"' in containerfile
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core>=2.19,<2.22 ansible-runner"' in containerfile
    assert (ctx / "_build" / "collections" / tarball.name).is_file()
    assert "/build/collections/lvs-cluster-*.tar.gz" in containerfile
    assert yaml.safe_load((ctx / "_build" / "requirements.yml").read_text())["collections"] == \
        [{"name": k, "version": v} for k, v in GALAXY["dependencies"].items()]
    assert "pywinrm" in (ctx / "_build" / "requirements.txt").read_text()
    assert "openssh-clients [platform:rpm]" in (ctx / "_build" / "bindep.txt").read_text()


def test_builder_introspects_the_installed_collection(packaging_bin, installed):
    out = run([packaging_bin / "ansible-builder", "introspect", "--sanitize", installed]).stdout
    assert "pywinrm>=0.4.3  # from collection lvs.cluster" in out, out
    assert "openssh-clients [platform:rpm]  # from collection lvs.cluster" in out, out
