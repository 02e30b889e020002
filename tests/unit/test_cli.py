"""The CLI renders and validates, maps each error to its documented exit code, and never leaves a partial file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import pipeline
from engine.cli import main
from tests.conftest import FIXTURES, ROOT
from tests.unit.test_spec_errors import GOOD

SPEC = FIXTURES / "tua_chua_2023_04" / "spec.yaml"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_render_writes_a_docx(tmp_path: Path) -> None:
    out = tmp_path / "bc.docx"
    result = run("render", str(SPEC), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"PK"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bc.docx"]


def test_an_existing_output_is_not_overwritten_without_force(tmp_path: Path) -> None:
    out = tmp_path / "bc.docx"
    out.write_bytes(b"ban cu")
    result = run("render", str(SPEC), "-o", str(out))
    assert result.exit_code == 6
    assert "--force" in result.output
    assert out.read_bytes() == b"ban cu"
    assert run("render", str(SPEC), "-o", str(out), "--force").exit_code == 0
    assert out.read_bytes()[:2] == b"PK"


def test_a_bad_spec_exits_3_and_writes_nothing(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(GOOD.replace("ngay: 2024-01-05", "ngay: 2023-02-30"), encoding="utf-8")
    out = tmp_path / "bc.docx"
    result = run("render", str(spec), "-o", str(out))
    assert result.exit_code == 3
    assert "spec.yaml:7:7" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]


def test_a_missing_data_file_exits_4(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(GOOD + "du_lieu:\n  kq: khong_co.yaml\n", encoding="utf-8")
    result = run("render", str(spec), "-o", str(tmp_path / "bc.docx"))
    assert result.exit_code == 4
    assert "khong_co.yaml" in result.output


def test_an_unsupported_output_format_exits_6(tmp_path: Path) -> None:
    result = run("render", str(SPEC), "-o", str(tmp_path / "bc.odt"))
    assert result.exit_code == 6
    assert not (tmp_path / "bc.odt").exists()


def test_a_missing_output_folder_exits_6(tmp_path: Path) -> None:
    result = run("render", str(SPEC), "-o", str(tmp_path / "khong_co" / "bc.docx"))
    assert result.exit_code == 6


def test_validate_accepts_a_good_spec_and_prints_json_problems_for_a_bad_one(tmp_path: Path) -> None:
    assert run("validate", str(SPEC)).exit_code == 0
    assert json.loads(run("validate", str(SPEC), "--json").output) == []
    spec = tmp_path / "spec.yaml"
    spec.write_text(GOOD.replace("trich_yeu:", "trich_yue:"), encoding="utf-8")
    result = run("validate", str(spec), "--json")
    assert result.exit_code == 3
    missing, problem = json.loads(result.output)
    assert missing["code"] == "SPEC_MISSING"
    assert (problem["code"], problem["line"], problem["column"]) == ("SPEC_UNKNOWN_KEY", 8, 1)


def test_an_internal_error_shows_no_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("hỏng")

    monkeypatch.setattr(pipeline, "render_prepared", boom)
    monkeypatch.delenv("VANBAN_DEBUG", raising=False)
    result = run("render", str(SPEC), "-o", str(tmp_path / "bc.docx"))
    assert result.exit_code == 70
    assert "Traceback" not in result.output
    assert "Lỗi nội bộ" in result.output


def test_python_dash_m_engine_runs_the_cli(tmp_path: Path) -> None:
    out = tmp_path / "bc.docx"
    done = subprocess.run([sys.executable, "-m", "engine", "render", str(SPEC), "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert out.exists()


def test_a_limit_is_changed_for_one_command_and_a_bad_setting_is_a_usage_error(tmp_path: Path) -> None:
    lowered = run("validate", str(SPEC), "--json", "--gioi-han", "so_dong=3")
    assert lowered.exit_code == 10
    assert json.loads(lowered.output)[0]["code"] == "LIMIT_ROWS"
    assert run("validate", str(SPEC)).exit_code == 0  # the next command has the defaults again
    wrong = run("validate", str(SPEC), "--gioi-han", "so_dongg=3")
    assert wrong.exit_code == 2 and "so_dongg" in wrong.output


def test_limits_for_every_command_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.trust import limits

    monkeypatch.setenv("VANBAN_GIOI_HAN", "so_dong=3, thoi_gian_dung=30")
    monkeypatch.setattr(limits, "_process_limits", None)
    assert json.loads(run("validate", str(SPEC), "--json").output)[0]["code"] == "LIMIT_ROWS"
    monkeypatch.setenv("VANBAN_GIOI_HAN", "so_dong=ba")
    monkeypatch.setattr(limits, "_process_limits", None)
    assert run("validate", str(SPEC)).exit_code == 3


def test_a_folder_the_user_allows_lets_a_spec_read_outside_its_own(tmp_path: Path) -> None:
    shared = tmp_path / "so_lieu_chung"
    shared.mkdir()
    (shared / "d.yaml").write_text("tong: 5\n", encoding="utf-8")
    spec = tmp_path / "bc" / "spec.yaml"
    spec.parent.mkdir()
    spec.write_text(GOOD + "du_lieu:\n  d: ../so_lieu_chung/d.yaml\n", encoding="utf-8")
    refused = run("validate", str(spec), "--json")
    assert refused.exit_code == 9 and json.loads(refused.output)[0]["code"] == "ACCESS_OUTSIDE"
    assert run("validate", str(spec), "--cho-phep", str(shared)).exit_code == 0
