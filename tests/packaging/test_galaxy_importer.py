"""galaxy-importer over the built tarball, as Galaxy runs it and with flake8 on: no error and no
warning. The importer's ansible-lint resolves ansible.posix / ansible.windows from the packaging
venv (the `ansible` package), as they are for a user who installed the dependencies."""
import re

from conftest import run

PROBLEM = re.compile(r"^(?:WARNING|ERROR)\b")


def test_importer_reports_no_error_and_no_warning(packaging_bin, tarball, tmp_path):
    env = {"PATH": f"{packaging_bin}:/usr/bin:/bin", "HOME": str(tmp_path), "GALAXY_IMPORTER_RUN_FLAKE8": "true"}
    p = run([packaging_bin / "python", "-m", "galaxy_importer.main", tarball], cwd=tmp_path, env=env)
    out = p.stdout + p.stderr
    print(out)
    assert "Importer processing completed successfully" in out
    assert "Linting collection via ansible-lint" in out and "via flake8" in out  # both linters ran
    problems = [line for line in out.splitlines() if PROBLEM.match(line)]
    assert not problems, "\n".join(problems)
