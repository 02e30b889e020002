"""The engine as people install it: a wheel in a fresh virtual environment, used outside the repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the built wheel installed (its dependencies from the index or pip's cache)."""
    folder = tmp_path_factory.mktemp("cai_dat")
    wheels = folder / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    environment = folder / "venv"
    venv.create(environment, with_pip=True)
    [wheel] = wheels.glob("vanban_engine-*.whl")
    subprocess.run([str(environment / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=600)
    return environment


def _wheel_names(environment: Path) -> set[str]:
    [wheel] = (environment.parent / "wheels").glob("vanban_engine-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_carries_the_templates_kinds_and_frameworks(installed):
    names = _wheel_names(installed)
    shipped = {f"engine/templates/{path.relative_to(ROOT / 'templates').as_posix()}"
               for path in (ROOT / "templates").rglob("*") if path.suffix in (".docx", ".yaml")}
    frameworks = {f"engine/scoring/frameworks/{path.name}"
                  for path in (ROOT / "engine" / "scoring" / "frameworks").glob("*.yaml")}
    assert shipped | frameworks <= names
    assert "engine/convert/uno_worker.py" in names and "engine/service/app.py" in names
    page = {f"engine/service/static/{path.name}" for path in (ROOT / "engine" / "service" / "static").iterdir()}
    assert {"engine/service/static/index.html", "engine/service/static/app.js"} <= page <= names  # the web page


def test_the_installed_engine_renders_a_fixture_from_any_folder(installed, tmp_path):
    work = tmp_path / "cong_viec"
    shutil.copytree(FIXTURES / "son_la_2023_q1", work)
    result = subprocess.run([str(installed / "bin" / "vanban"), "render", "spec.yaml", "-o", "bc.docx"],
                            cwd=work, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (work / "bc.docx").read_bytes()[:2] == b"PK"
    check = subprocess.run([str(installed / "bin" / "vanban"), "check", "bc.docx"], cwd=work, capture_output=True,
                           text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    where = subprocess.run([str(installed / "bin" / "python"), "-c", "import engine; print(engine.__file__)"],
                           cwd=work, capture_output=True, text=True, check=True)
    assert str(installed) in where.stdout and str(ROOT) not in where.stdout


def test_a_broken_kinds_entry_is_an_error_at_its_line_not_a_traceback(installed, tmp_path):
    templates = tmp_path / "mau"
    shutil.copytree(ROOT / "templates", templates)
    kinds = templates / "kinds.yaml"
    kinds.write_text(kinds.read_text(encoding="utf-8").replace("  mau: bao_cao/cong_van.docx\n", ""), encoding="utf-8")
    work = tmp_path / "cong_viec"
    shutil.copytree(FIXTURES / "son_la_2023_q1", work)
    result = subprocess.run([str(installed / "bin" / "vanban"), "validate", "spec.yaml"], cwd=work, capture_output=True,
                            text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "VANBAN_TEMPLATES": str(templates)})
    assert result.returncode == 5
    assert "Traceback" not in result.stderr
    line = next(number for number, text in enumerate(kinds.read_text(encoding="utf-8").splitlines(), 1)
                if text.startswith("cong_van:"))
    assert f"kinds.yaml:{line + 1}:" in result.stderr and "TEMPLATE_KINDS" in result.stderr


def test_the_plain_install_has_no_dask_and_a_batch_on_a_cluster_says_which_extra_to_install(installed, tmp_path):
    work = tmp_path / "lo"
    shutil.copytree(FIXTURES / "lo_xa_2026_01", work)
    result = subprocess.run([str(installed / "bin" / "vanban"), "batch", "spec.yaml", "--data", "don_vi.csv",
                             "--out", "ket_qua", "--cum-may", "tcp://127.0.0.1:8786"],
                            cwd=work, capture_output=True, text=True, timeout=120)
    assert result.returncode == 12, result.stdout + result.stderr
    assert "pip install 'vanban-engine[cum]'" in result.stderr and "Traceback" not in result.stderr
    assert not (work / "ket_qua").exists()
    found = subprocess.run([str(installed / "bin" / "python"), "-c", "import importlib.util as u; "
                            "print(u.find_spec('dask'), u.find_spec('distributed'))"],
                           capture_output=True, text=True, check=True)
    assert found.stdout.split() == ["None", "None"]
