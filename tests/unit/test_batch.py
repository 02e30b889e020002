"""Batch: one document per unit, in parallel, failures reported per unit, resumable, nothing half-written."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.batch import REPORT, read_units, run_batch
from engine.cli import main
from engine.conformance import check_document
from engine.errors import DataError
from engine.render.outline import document_text
from tests.conftest import FIXTURES

LO = FIXTURES / "lo_xa_2026_01"


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    folder = tmp_path / "lo"
    shutil.copytree(LO, folder)
    return folder / "spec.yaml"


def units_file(folder: Path, rows: list[str]) -> Path:
    path = folder / "don_vi.csv"
    path.write_text("ma,ten,kinh_gui,diem,hang,so_xa,tien_do\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def row(i: int, **changes: str) -> str:
    values = {"ma": f"xa_{i:04d}", "ten": f"xã Số {i}", "kinh_gui": f"Ủy ban nhân dân xã Số {i}", "diem": "80,5",
              "hang": str(i), "so_xa": "99", "tien_do": "90,1"}
    values.update(changes)
    return ",".join(f'"{v}"' for v in values.values())


def test_each_unit_gets_its_own_conforming_document_and_the_run_a_report(spec: Path, tmp_path: Path) -> None:
    out = tmp_path / "ket_qua"
    summary = run_batch(spec, LO / "don_vi.csv", out, workers=1)
    assert summary.count("ok") == 3
    assert sorted(p.name for p in out.iterdir()) == [REPORT, "muong_phang.docx", "na_tau.docx", "thanh_nua.docx"]
    text = document_text((out / "na_tau.docx").read_bytes())
    assert "Kính gửi: Ủy ban nhân dân xã Nà Tấu" in text and "76,9/100 điểm, xếp hạng 3/3" in text
    assert check_document((out / "thanh_nua.docx").read_bytes()) == []
    report = json.loads((out / REPORT).read_text(encoding="utf-8"))
    assert [u["status"] for u in report["don_vi"]] == ["ok", "ok", "ok"]


def test_units_run_in_parallel_processes_and_come_back_in_file_order(spec: Path, tmp_path: Path) -> None:
    units = units_file(spec.parent, [row(i) for i in range(1, 41)])
    seen = []
    summary = run_batch(spec, units, tmp_path / "out", workers=2, progress=seen.append)
    assert summary.count("ok") == 40 and sum(seen) == 40
    assert [r.ma for r in summary.results] == [f"xa_{i:04d}" for i in range(1, 41)]


def test_a_failing_unit_is_reported_with_its_reason_and_the_others_are_written(spec: Path, tmp_path: Path) -> None:
    units = units_file(spec.parent, [row(1) + ',""', row(2) + ',"31"', row(3) + ',"05"'])
    lines = units.read_text(encoding="utf-8").splitlines()
    units.write_text("\n".join([lines[0] + ",ngay.ngay", *lines[1:]]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["batch", str(spec), "--data", str(units), "--out", str(out), "-j", "1"])
    assert run.exit_code == 1, run.output
    assert "LỖI xa_0002" in run.output and "31/02/2026" in run.output  # February 2026 has 28 days
    assert "2 đã dựng, 1 lỗi" in run.output and "--only-failed" in run.output
    assert sorted(p.name for p in out.iterdir()) == [REPORT, "xa_0001.docx", "xa_0003.docx"]  # no temporary file
    assert "ngày 05 tháng 02 năm 2026" in document_text((out / "xa_0003.docx").read_bytes())


def test_a_second_run_resumes_and_only_failed_renders_just_the_failures(spec: Path, tmp_path: Path) -> None:
    units = units_file(spec.parent, [row(1), row(2), row(3)])
    out = tmp_path / "out"
    out.mkdir()
    (out / ".xa_0001.docx.abc.tmp").write_bytes(b"half")  # left by a run that was killed
    (out / "xa_0002.docx").write_bytes(b"not a document yet")
    first = run_batch(spec, units, out, workers=1)
    assert [r.status for r in first.results] == ["ok", "bo_qua", "ok"]
    assert not list(out.glob(".*.tmp"))
    assert (out / "xa_0002.docx").read_bytes() == b"not a document yet"  # nothing overwritten unasked

    report = json.loads((out / REPORT).read_text(encoding="utf-8"))
    report["don_vi"][2]["status"] = "loi"
    (out / REPORT).write_text(json.dumps(report), encoding="utf-8")
    again = run_batch(spec, units, out, only_failed=True, workers=1)
    assert [r.ma for r in again.results] == ["xa_0003"] and again.count("ok") == 1
    kept = json.loads((out / REPORT).read_text(encoding="utf-8"))
    assert [u["ma"] for u in kept["don_vi"]] == ["xa_0001", "xa_0002", "xa_0003"]

    forced = run_batch(spec, units, out, force=True, workers=1)
    assert forced.count("ok") == 3 and (out / "xa_0002.docx").read_bytes()[:2] == b"PK"


def test_units_come_from_yaml_and_excel_too(spec: Path, tmp_path: Path) -> None:
    from openpyxl import Workbook

    yaml_units = tmp_path / "don_vi.yaml"
    yaml_units.write_text("- {ma: a, ten: xã A, kinh_gui: UBND xã A, diem: 70, hang: 1, so_xa: 2, tien_do: 99}\n",
                          encoding="utf-8")
    assert read_units(yaml_units)[0]["ten"] == "xã A"
    book = Workbook()
    book.active.append(["ma", "ten", "diem"])
    book.active.append(["b", "xã B", 71.5])
    book.save(tmp_path / "don_vi.xlsx")
    assert read_units(tmp_path / "don_vi.xlsx") == [{"ma": "b", "ten": "xã B", "diem": 71.5}]


@pytest.mark.parametrize(("rows", "message"), [
    (["a,x", "a,y"], "trùng"),
    (["../etc,x"], "tên tệp"),
    ([",x"], "trống"),
])
def test_unit_codes_must_be_unique_and_safe_as_file_names(tmp_path: Path, rows: list[str], message: str) -> None:
    path = tmp_path / "u.csv"
    path.write_text("ma,ten\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_units(path)
    assert message in str(caught.value)


def test_batch_can_write_a_pdf_for_each_unit(spec: Path, tmp_path: Path, fixture_pdfs) -> None:
    from engine.convert import read_pdf

    out = tmp_path / "out"
    summary = run_batch(spec, units_file(spec.parent, [row(1)]), out, pdf=True, workers=1)
    assert summary.count("ok") == 1
    assert read_pdf((out / "xa_0001.pdf").read_bytes()).page_count == 1


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_batch_stopped_by_sigterm_leaves_only_whole_files_and_a_report_then_resumes(
        spec: Path, tmp_path: Path, workers: str) -> None:
    """SIGTERM to the whole process group, as a service manager sends it, once the first files exist."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import zipfile

    units = units_file(spec.parent, [row(i) for i in range(1, 1501)])
    out = tmp_path / "out"
    command = [sys.executable, "-m", "engine", "batch", str(spec), "--data", str(units), "--out", str(out),
               "-j", workers]
    batch = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (out.exists() and any(out.glob("*.docx"))) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(batch.pid, signal.SIGTERM)
    _, err = batch.communicate(timeout=60)
    assert batch.returncode == 130, err.decode()  # stopped, not finished: the test did interrupt it
    assert "chạy lại cùng lệnh" in err.decode()
    assert not list(out.glob(".*.tmp"))
    written = sorted(out.glob("*.docx"))
    assert 0 < len(written) < 1500
    assert all(zipfile.is_zipfile(path) for path in written)
    report = json.loads((out / REPORT).read_text(encoding="utf-8"))
    assert sorted(u["ma"] + ".docx" for u in report["don_vi"] if u["status"] == "ok") == [p.name for p in written]

    summary = run_batch(spec, units, out, workers=2)
    assert summary.count("bo_qua") == len(written) and summary.count("ok") == 1500 - len(written)


def _statuses(summary) -> dict[str, str]:
    return {r.ma: r.status for r in summary.results}


def test_a_changed_signer_makes_a_resumed_batch_render_every_unit_again_and_one_changed_row_only_that_one(
        spec: Path, tmp_path: Path) -> None:
    from engine.info import describe

    units = units_file(spec.parent, [row(i) for i in range(1, 6)])
    out = tmp_path / "out"
    run_batch(spec, units, out, workers=1)
    same = run_batch(spec, units, out, workers=1)
    assert set(_statuses(same).values()) == {"bo_qua"} and same.plan_message() == "5 bỏ qua vì không đổi"

    spec.write_text(spec.read_text(encoding="utf-8").replace("Lò Văn Cường", "Lò Văn Mạnh"), encoding="utf-8")
    signer = run_batch(spec, units, out, workers=1)
    assert set(_statuses(signer).values()) == {"ok"} and signer.plan_message() == "5 đơn vị dựng lại vì đặc tả đã đổi"
    assert "Lò Văn Mạnh" in document_text((out / "xa_0003.docx").read_bytes())
    assert all(describe((out / f"xa_{i:04d}.docx").read_bytes(), "x").intact for i in range(1, 6))

    units_file(spec.parent, [row(i, diem="12,5" if i == 4 else "80,5") for i in range(1, 6)])
    one = run_batch(spec, units, out, workers=2)
    assert _statuses(one) == {"xa_0001": "bo_qua", "xa_0002": "bo_qua", "xa_0003": "bo_qua", "xa_0004": "ok",
                              "xa_0005": "bo_qua"}
    assert one.plan_message() == "1 đơn vị dựng lại vì dữ liệu đơn vị đã đổi; 4 bỏ qua vì không đổi"
    report = json.loads((out / REPORT).read_text(encoding="utf-8"))
    assert report["phien_ban_bao_cao"] == 2
    kept = {u["ma"]: u for u in report["don_vi"]}
    assert kept["xa_0004"]["reason"] == "dựng lại: dữ liệu đơn vị đã đổi"
    assert kept["xa_0001"]["inputs"] and kept["xa_0001"]["outputs"]["xa_0001.docx"]  # carried over when skipped
    assert [item["field"] for item in kept["xa_0002"]["inputs"]] == ["dac_ta", "don_vi", "mau"]


def test_a_resumed_batch_notices_a_changed_template_and_leaves_a_file_edited_since_alone(spec: Path,
                                                                                          tmp_path: Path) -> None:
    from engine.kinds import TEMPLATES_DIR

    shutil.copy(TEMPLATES_DIR / "bao_cao" / "cong_van.docx", spec.parent / "mau.docx")
    spec.write_text("mau: mau.docx\n" + spec.read_text(encoding="utf-8"), encoding="utf-8")
    units = units_file(spec.parent, [row(i) for i in range(1, 4)])
    out = tmp_path / "out"
    run_batch(spec, units, out, workers=1)
    edited = (out / "xa_0002.docx").read_bytes() + b"\0"  # a clerk's edit
    (out / "xa_0002.docx").write_bytes(edited)
    with zipfile.ZipFile(spec.parent / "mau.docx", "a") as template:
        template.writestr("customXml/them.xml", "<a/>")
    again = run_batch(spec, units, out, workers=1)
    assert _statuses(again) == {"xa_0001": "ok", "xa_0002": "bo_qua", "xa_0003": "ok"}
    assert again.plan_message() == ("2 đơn vị dựng lại vì mẫu đã đổi; 1 bỏ qua vì tệp kết quả đã bị sửa sau khi dựng "
                                    "(không ghi đè; dùng --force để dựng lại)")
    assert (out / "xa_0002.docx").read_bytes() == edited
    forced = run_batch(spec, units, out, force=True, workers=1)
    assert set(_statuses(forced).values()) == {"ok"} and (out / "xa_0002.docx").read_bytes() != edited


def test_a_report_from_an_older_version_without_hashes_renders_again_and_says_so(spec: Path, tmp_path: Path) -> None:
    units = units_file(spec.parent, [row(1), row(2)])
    out = tmp_path / "out"
    run_batch(spec, units, out, workers=1)
    report = json.loads((out / REPORT).read_text(encoding="utf-8"))
    old = {"dac_ta": report["dac_ta"], "danh_sach": report["danh_sach"], "giay": 1.0,
           "don_vi": [{k: u[k] for k in ("ma", "status", "files", "reason", "warnings", "seconds", "codes")}
                      for u in report["don_vi"]]}
    (out / REPORT).write_text(json.dumps(old), encoding="utf-8")
    again = run_batch(spec, units, out, workers=1)
    assert set(_statuses(again).values()) == {"ok"}
    assert again.plan_message() == f"2 đơn vị dựng lại vì {REPORT} của phiên bản trước không ghi mã băm đầu vào"
    run = CliRunner().invoke(main, ["batch", str(spec), "--data", str(units), "--out", str(out), "-j", "1"])
    assert "So với lần chạy trước (ket_qua_lo.json): 2 bỏ qua vì không đổi." in run.output


@pytest.mark.parametrize(("kind", "place"), [
    ("csv", "don_vi.csv:3:8, trường 'dòng 3, cột thứ 8 (ngay.ngay)'"),
    ("xlsx", "don_vi.xlsx:3, trường ''Danh sách'!H3 (ngay.ngay)'"),
    ("yaml", "don_vi.yaml:2:"),
])
def test_a_bad_value_from_the_units_file_is_placed_at_its_row_and_column(spec: Path, tmp_path: Path, kind: str,
                                                                         place: str) -> None:
    header = ["ma", "ten", "kinh_gui", "diem", "hang", "so_xa", "tien_do", "ngay.ngay"]
    rows = [["xa_a", "xã A", "UBND xã A", "80,5", "1", "2", "90,1", "05"],
            ["xa_b", "xã B", "UBND xã B", "70,5", "2", "2", "80,1", "31"]]  # no 31 February 2026
    path = spec.parent / f"don_vi.{kind}"
    if kind == "csv":
        path.write_text("\n".join(",".join(f'"{v}"' for v in r) for r in [header, *rows]) + "\n", encoding="utf-8")
    elif kind == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        book.active.title = "Danh sách"
        for line in [header, *rows]:
            book.active.append(line)
        book.save(path)
    else:
        path.write_text("".join("- {" + ", ".join(f"{k}: '{v}'" for k, v in zip(header, r, strict=True)) + "}\n"
                                for r in rows), encoding="utf-8")
    summary = run_batch(spec, path, tmp_path / "out", workers=1)
    failed = {r.ma: r for r in summary.results if r.status == "loi"}
    assert list(failed) == ["xa_b"], summary.results
    assert "31/02/2026" in failed["xa_b"].reason and place in failed["xa_b"].reason, failed["xa_b"].reason
    assert "spec.yaml" not in failed["xa_b"].reason


def test_a_units_column_names_one_of_several_signers_by_its_number(spec: Path, tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    data["nguoi_ky"] = [data["nguoi_ky"], {"co_quan": {"ten": "ỦY BAN MTTQ VIỆT NAM HUYỆN", "viet_tat": "MTTQ"},
                                           "chuc_vu": "Chủ tịch", "ho_ten": "Lò Thị Bình"}]
    spec.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    units = spec.parent / "don_vi.csv"
    units.write_text("ma,ten,kinh_gui,diem,hang,so_xa,tien_do,nguoi_ky.1.ho_ten,nguoi_ky.ho_ten\n"
                     + row(1) + ',"Hà Thị Mai",\n' + row(2) + ',,"Hà Thị Mai"\n', encoding="utf-8")
    summary = run_batch(spec, units, tmp_path / "out", workers=1)
    status = {r.ma: r for r in summary.results}
    assert status["xa_0001"].status == "ok"
    assert "Hà Thị Mai" in document_text((tmp_path / "out" / "xa_0001.docx").read_bytes())
    assert status["xa_0002"].status == "loi" and status["xa_0002"].codes == ("SPEC_VALUE",)
    assert "cột 'nguoi_ky.ho_ten': 'nguoi_ky' là một danh sách (2 mục)" in status["xa_0002"].reason


def test_a_units_warnings_count_stated_figures_that_disagree_not_checks_the_data_cannot_make(spec: Path,
                                                                                            tmp_path: Path) -> None:
    # Records whose status the data does not give are an info finding: no warning for the unit.
    scored = "cham_diem:\n  mc:\n    bo_tieu_chi: mot_cua_nd61\n" \
             "    du_lieu: {ky_truoc_chuyen_sang: 1, tiep_nhan_trong_ky: 9, truoc_han: 5, dung_han: 1, qua_han: 0}\n"
    text = spec.read_text(encoding="utf-8").replace("noi_dung:\n", scored + "noi_dung:\n", 1)
    spec.write_text(text, encoding="utf-8")
    summary = run_batch(spec, LO / "don_vi.csv", tmp_path / "out", workers=1)
    assert [(r.status, r.warnings) for r in summary.results] == [("ok", 0)] * 3
    stated = "so_lieu_ghi:\n  - {noi_dung: Tổng số hồ sơ, ghi: 11, tinh: mc.tong_so.so}\n"
    spec.write_text(text.replace("noi_dung:\n", stated + "noi_dung:\n", 1), encoding="utf-8")
    summary = run_batch(spec, LO / "don_vi.csv", tmp_path / "out2", workers=1)
    assert [(r.status, r.warnings) for r in summary.results] == [("ok", 1)] * 3


def test_a_renderer_given_to_the_batch_renders_the_units_it_planned_and_the_batch_writes_the_report(
        spec: Path, tmp_path: Path) -> None:
    from engine.batch import _init_worker, _run_chunk

    units = units_file(spec.parent, [row(i) for i in range(1, 6)])
    out = tmp_path / "out"
    run_batch(spec, units, out, workers=1)
    (out / "xa_0002.docx").unlink()  # resume: only this unit is planned for the renderer
    handed: list[str] = []

    def elsewhere(jobs, setup, results, progress, stop) -> None:  # what engine.cluster does on a cluster
        handed.extend(unit["ma"] for unit, _, _ in jobs)
        _init_worker(*setup)
        results.extend(_run_chunk(jobs))

    summary = run_batch(spec, units, out, renderer=elsewhere)
    assert handed == ["xa_0002"]
    assert (summary.count("ok"), summary.count("bo_qua")) == (1, 4)
    report = json.loads((out / REPORT).read_text(encoding="utf-8"))
    assert [u["ma"] for u in report["don_vi"]] == [f"xa_{i:04d}" for i in range(1, 6)]


def test_a_renderer_that_fails_as_a_whole_still_leaves_the_report_of_the_units_it_finished(
        spec: Path, tmp_path: Path) -> None:
    from engine.batch import _init_worker, _run_chunk
    from engine.errors import OutputError, Problem

    units = units_file(spec.parent, [row(i) for i in range(1, 4)])
    out = tmp_path / "out"

    def lost_half_way(jobs, setup, results, progress, stop) -> None:
        _init_worker(*setup)
        results.extend(_run_chunk(jobs[:1]))
        raise OutputError(Problem("OUTPUT_PATH", "the rest could not be rendered"))

    with pytest.raises(OutputError):
        run_batch(spec, units, out, renderer=lost_half_way)
    report = json.loads((out / REPORT).read_text(encoding="utf-8"))
    assert [(u["ma"], u["status"]) for u in report["don_vi"]] == [("xa_0001", "ok")]
