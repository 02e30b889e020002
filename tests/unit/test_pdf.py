"""A warm LibreOffice turns rendered documents into A4 PDFs, survives hangs and crashes, leaves nothing behind.

Tests that need LibreOffice and a Python with ``uno`` are skipped (with the reason) on machines
without them; the PDF checks run everywhere on PDFs made with pypdf.
"""

from __future__ import annotations

import gc
import io
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import NameObject, NumberObject

from engine import render
from engine.convert import (
    PdfConverter,
    PdfInfo,
    check_pdf,
    find_soffice,
    find_uno_python,
    font_notice,
    merge_pdfs,
    read_pdf,
)
from engine.convert.converter import WORKER_SCRIPT, _office_socket_names
from engine.errors import OutputError
from tests.conftest import FIXTURES

HEADING = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
A4_PT = (595.276, 841.89)
SOFFICE = find_soffice()
UNO_PYTHON = find_uno_python(SOFFICE) if SOFFICE else None
needs_libreoffice = pytest.mark.skipif(
    SOFFICE is None or UNO_PYTHON is None,
    reason="cần LibreOffice (soffice) và một Python có mô-đun uno: "
           "apt-get install libreoffice-writer-nogui python3-uno",
)


# -- helpers ----------------------------------------------------------------------------------------

def processes_in_group(pgid: int) -> dict[int, str]:
    """Pid → name of the live processes (zombies excepted) whose process group is ``pgid``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        name = stat[stat.index("(") + 1: stat.rindex(")")]
        state, _ppid, group = stat[stat.rindex(")") + 2:].split()[:3]
        if int(group) == pgid and state != "Z":
            found[int(entry.name)] = name
    return found


def live_processes_in_group(pgid: int) -> list[str]:
    return sorted(processes_in_group(pgid).values())


def wait_until_gone(pgid: int, seconds: float = 5.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := live_processes_in_group(pgid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def blank_pdf(*sizes: tuple[float, float], rotate: int = 0) -> bytes:
    writer = PdfWriter()
    for width, height in sizes:
        page = writer.add_blank_page(width, height)
        if rotate:
            page[NameObject("/Rotate")] = NumberObject(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# -- fixtures -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def docx() -> bytes:
    return render(FIXTURES / "tua_chua_2023_04" / "spec.yaml")


@pytest.fixture(scope="module")
def converter():
    with PdfConverter() as shared:
        yield shared


@pytest.fixture(scope="module")
def pdf(converter: PdfConverter, docx: bytes) -> bytes:
    return converter.convert(docx)


# -- a real document --------------------------------------------------------------------------------

@needs_libreoffice
def test_the_report_becomes_a_pdf_of_three_a4_pages_with_the_annex_in_landscape(pdf: bytes) -> None:
    info = read_pdf(pdf)
    assert pdf.startswith(b"%PDF")
    assert info.page_count >= 3
    assert all(page.is_a4 for page in info.pages)
    assert [page.landscape for page in info.pages[:3]] == [False, False, True]
    assert check_pdf(info, expect_pages_at_least=3, expected_text=[HEADING]) == []


@needs_libreoffice
def test_the_pdf_text_reads_the_national_heading_in_full(pdf: bytes) -> None:
    assert HEADING in read_pdf(pdf).pages[0].text


@needs_libreoffice
def test_the_font_notice_names_the_font_used_for_times_new_roman(pdf: bytes) -> None:
    info = read_pdf(pdf)
    notice = font_notice(info)
    if any(font.startswith("TimesNewRoman") for font in info.fonts):
        assert notice is None
    else:  # this machine: fontconfig maps Times New Roman to Liberation Serif
        assert notice is not None and "Liberation Serif" in notice and "Times New Roman" in notice


@needs_libreoffice
def test_a_second_document_goes_to_the_same_warm_worker(converter: PdfConverter, docx: bytes, pdf: bytes) -> None:
    pid = converter.worker_pid
    assert pid is not None
    again = converter.convert(docx)
    assert converter.worker_pid == pid
    assert read_pdf(again).page_count == read_pdf(pdf).page_count


@needs_libreoffice
def test_two_threads_share_one_converter_one_document_at_a_time(converter: PdfConverter, docx: bytes) -> None:
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(converter.convert(docx))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and all(result.startswith(b"%PDF") for result in results)


@needs_libreoffice
def test_convert_file_writes_the_pdf_next_to_nothing_else(converter: PdfConverter, docx: bytes,
                                                          tmp_path: Path) -> None:
    source = tmp_path / "bao_cao.docx"
    source.write_bytes(docx)
    target = converter.convert_file(source, tmp_path / "bao_cao.pdf")
    assert read_pdf(target.read_bytes()).page_count >= 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bao_cao.docx", "bao_cao.pdf"]


# -- failures and recovery --------------------------------------------------------------------------

@needs_libreoffice
def test_a_file_that_is_not_a_docx_is_refused_without_restarting_the_office(converter: PdfConverter,
                                                                           docx: bytes) -> None:
    converter.convert(docx)
    pid, starts = converter.worker_pid, converter.starts
    with pytest.raises(OutputError) as caught:
        converter.convert(b"day khong phai tep docx", source="hong.docx")
    problem = caught.value.problems[0]
    assert problem.code == "PDF_CONVERSION" and problem.location.file == "hong.docx"
    assert "thử lại một lần" in problem.message and "khởi động lại" not in problem.message
    assert (converter.worker_pid, converter.starts) == (pid, starts)


def test_a_worker_that_hangs_is_killed_restarted_retried_once_then_reported() -> None:
    hanging = [sys.executable, "-c", "import time; time.sleep(60)"]
    with PdfConverter(timeout=1, worker_command=hanging) as converter:
        started = time.monotonic()
        with pytest.raises(OutputError) as caught:
            converter.convert(b"PK not really a docx")
        elapsed = time.monotonic() - started
        assert converter.starts == 2
        assert converter.worker_pid is None  # both hung workers were killed
    problem = caught.value.problems[0]
    assert problem.code == "PDF_CONVERSION"
    assert "1 giây" in problem.message and "thử lại một lần" in problem.message
    assert problem.hint
    assert elapsed < 10


@needs_libreoffice
def test_a_worker_that_crashes_on_its_first_document_is_restarted_and_the_document_retried(
        docx: bytes, tmp_path: Path) -> None:
    # The stand-in dies on the first request; started again, it becomes the real worker.
    crash_once = ("import os, sys\n"
                  "marker = sys.argv[1]\n"
                  "if not os.path.exists(marker):\n"
                  "    open(marker, 'w').close()\n"
                  "    sys.stdin.readline()\n"
                  "    sys.exit(9)\n"
                  "os.execv(sys.argv[2], sys.argv[2:])\n")
    command = [sys.executable, "-c", crash_once, str(tmp_path / "crashed"), str(UNO_PYTHON), str(WORKER_SCRIPT)]
    with PdfConverter(worker_command=command) as converter:
        pdf = converter.convert(docx)
        assert converter.starts == 2
    assert read_pdf(pdf).page_count >= 3


@needs_libreoffice
def test_killing_the_worker_and_its_office_between_documents_is_recovered_from(docx: bytes) -> None:
    with PdfConverter() as converter:
        converter.convert(docx)
        first = converter.worker_pid
        assert first is not None
        # The socket files the office makes in /tmp: LibreOffice removes them only on a normal exit.
        sockets = [Path("/tmp") / name for name in _office_socket_names(converter._worker.pipe,
                                                                         converter._worker.profile)]
        assert len(sockets) == 2 and all(socket.exists() for socket in sockets)
        os.killpg(first, signal.SIGKILL)
        pdf = converter.convert(docx)
        assert converter.worker_pid not in (None, first)
    assert read_pdf(pdf).page_count >= 3
    assert wait_until_gone(first) == []
    assert not any(socket.exists() for socket in sockets)  # the converter removed them after the kill


@needs_libreoffice
def test_killing_only_libreoffice_makes_the_worker_step_down_and_a_new_one_convert(docx: bytes) -> None:
    with PdfConverter() as converter:
        converter.convert(docx)
        group = converter.worker_pid
        assert group is not None
        offices = [pid for pid, name in processes_in_group(group).items() if name == "soffice.bin"]
        assert offices, "the office should run in the worker's process group"
        for pid in offices:
            os.kill(pid, signal.SIGKILL)
        pdf = converter.convert(docx)
        assert converter.starts == 2
    assert read_pdf(pdf).page_count >= 3


@needs_libreoffice
def test_two_converters_side_by_side_have_their_own_office_and_leave_nothing_behind(docx: bytes) -> None:
    first, second = PdfConverter(), PdfConverter()
    try:
        results: dict[str, bytes] = {}
        threads = [threading.Thread(target=lambda c=c, k=k: results.update({k: c.convert(docx)}))
                   for k, c in (("a", first), ("b", second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        groups = [first.worker_pid, second.worker_pid]
        assert None not in groups and groups[0] != groups[1]
        assert all("soffice.bin" in live_processes_in_group(g) for g in groups if g is not None)
        assert sorted(results) == ["a", "b"]
    finally:
        first.close()
        second.close()
        second.close()  # closing twice is harmless
    assert [live_processes_in_group(g) for g in groups if g is not None] == [[], []]


def test_a_forked_child_neither_uses_nor_kills_the_parents_worker() -> None:
    waits_for_end_of_input = [sys.executable, "-c", "import sys; sys.stdin.read()"]
    with PdfConverter(worker_command=waits_for_end_of_input) as converter:
        converter.start()
        pid = converter.worker_pid
        assert pid is not None
        child = os.fork()
        if child == 0:  # the child: sees no worker of its own, and closing must leave the parent's alone
            ok = converter.worker_pid is None
            converter.close()
            os._exit(0 if ok else 1)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert converter.worker_pid == pid
    assert wait_until_gone(pid) == []


def test_a_converter_dropped_without_close_still_ends_its_worker() -> None:
    waits_for_end_of_input = [sys.executable, "-c", "import sys; sys.stdin.read()"]
    converter = PdfConverter(worker_command=waits_for_end_of_input)
    converter.start()
    pid = converter.worker_pid
    assert pid is not None
    del converter
    gc.collect()
    assert wait_until_gone(pid) == []


def test_without_libreoffice_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VANBAN_SOFFICE", "/khong/co/soffice")
    with PdfConverter() as converter, pytest.raises(OutputError) as caught:
        converter.convert(b"")
    problem = caught.value.problems[0]
    assert problem.code == "PDF_UNAVAILABLE"
    assert "python3-uno" in (problem.hint or "")


# -- PDF checks (no LibreOffice needed) -----------------------------------------------------------

def test_a_letter_size_page_is_reported_as_not_a4() -> None:
    info = read_pdf(blank_pdf(A4_PT, (612, 792)))
    problems = check_pdf(info)
    assert len(problems) == 1 and "Trang 2" in problems[0] and "A4" in problems[0]


def test_a_portrait_page_turned_by_rotate_counts_as_landscape_a4() -> None:
    page = read_pdf(blank_pdf(A4_PT, rotate=90)).pages[0]
    assert page.landscape and page.is_a4
    assert (round(page.width_mm), round(page.height_mm)) == (297, 210)


def test_too_few_pages_and_missing_text_are_reported() -> None:
    problems = check_pdf(read_pdf(blank_pdf(A4_PT)), expect_pages_at_least=3, expected_text=[HEADING])
    assert any("1 trang" in p and "3 trang" in p for p in problems)
    assert any(HEADING in p for p in problems)


def test_merging_pdfs_puts_all_pages_in_order() -> None:
    merged = read_pdf(merge_pdfs([blank_pdf(A4_PT), blank_pdf(A4_PT[::-1], A4_PT)]))
    assert [page.landscape for page in merged.pages] == [False, True, False]


@needs_libreoffice
def test_merging_the_report_with_itself_doubles_its_pages(pdf: bytes) -> None:
    assert read_pdf(merge_pdfs([pdf, pdf])).page_count == 2 * read_pdf(pdf).page_count


def test_no_notice_when_times_new_roman_is_in_the_pdf() -> None:
    assert font_notice(PdfInfo((), frozenset({"TimesNewRomanPSMT", "TimesNewRomanPS-BoldMT"}))) is None


def test_the_notice_names_the_fallback_for_missing_vietnamese_letters() -> None:
    notice = font_notice(PdfInfo((), frozenset({"LiberationSerif", "DejaVuSerif-Bold"})))
    assert notice is not None
    assert "Liberation Serif" in notice and "DejaVu Serif" in notice and "fonts-liberation2" in notice


def test_no_notice_for_a_pdf_without_serif_fonts() -> None:
    assert font_notice(PdfInfo((), frozenset({"LiberationSans"}))) is None


# -- the checks after each conversion (docx_to_pdf) -------------------------------------------------

class HandsBack:
    """A converter that hands back a given PDF, to show what docx_to_pdf does with a wrong one."""

    def __init__(self, pdf: bytes) -> None:
        self.pdf = pdf

    def convert(self, docx: bytes, *, source: str | None = None) -> bytes:
        return self.pdf


def pdf_problem(docx: bytes, pdf: bytes) -> str:
    from engine.pipeline import docx_to_pdf

    with pytest.raises(OutputError) as caught:
        docx_to_pdf(docx, converter=HandsBack(pdf))
    problem = caught.value.problems[0]
    assert problem.code == "PDF_CONVERSION"
    return problem.message


def test_a_pdf_whose_pages_carry_no_text_is_refused(docx: bytes) -> None:
    message = pdf_problem(docx, blank_pdf(A4_PT, A4_PT[::-1], A4_PT))  # right pages, right turns, no text
    assert "chữ cái" in message and "trang ngang" not in message


@needs_libreoffice
def test_a_pdf_that_lost_its_last_pages_is_refused_for_the_letters_they_held(docx: bytes, pdf: bytes) -> None:
    from pypdf import PdfReader

    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(pdf)).pages[0])
    writer.add_blank_page(*A4_PT[::-1])  # the landscape annex page is still there, but empty
    out = io.BytesIO()
    writer.write(out)
    assert "chữ cái" in pdf_problem(docx, out.getvalue())


@needs_libreoffice
def test_the_real_pdf_passes_the_checks_and_comes_back_stamped_with_its_provenance(docx: bytes, pdf: bytes) -> None:
    from engine.convert.pdfstamp import read_stamp
    from engine.pipeline import docx_to_pdf

    stamped = docx_to_pdf(docx, converter=HandsBack(pdf)).pdf
    assert len(stamped) > len(pdf) and read_stamp(stamped).intact
    assert read_pdf(stamped).page_count == read_pdf(pdf).page_count
    assert docx_to_pdf(docx, converter=HandsBack(stamped)).pdf == stamped  # stamping twice changes nothing


def test_the_letters_expected_come_from_the_body_once_each_with_entities_read() -> None:
    """Word writes a text box twice (mc:Choice for new readers, mc:Fallback for old ones); one is printed."""
    import zipfile

    from engine.render.layout import quick_facts

    body = ('<w:document xmlns:w="w" xmlns:mc="mc"><w:body><w:p><w:r><w:t>Tom &amp; Jerry</w:t></w:r></w:p>'
            '<w:p><mc:AlternateContent><mc:Choice><w:t>hộp</w:t></mc:Choice>'
            '<mc:Fallback><w:t>hộp</w:t></mc:Fallback></mc:AlternateContent></w:p>'
            '<w:sectPr><w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/></w:sectPr></w:body></w:document>')
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("word/document.xml", body)
    facts = quick_facts(package.getvalue())
    assert facts.text == "Tom & Jerry\nhộp"
    assert facts.landscape_sections == (True,)


def test_reading_without_fonts_gives_the_same_pages_by_pdfium_alone() -> None:
    for pdf in (blank_pdf(A4_PT, (612, 792), A4_PT[::-1]), blank_pdf(A4_PT, rotate=90), blank_pdf(A4_PT, rotate=270)):
        quick = read_pdf(pdf, fonts=False)
        assert quick.pages == read_pdf(pdf).pages and quick.fonts == frozenset()


@needs_libreoffice
def test_the_real_pdf_read_without_fonts_has_the_same_sizes_turns_and_text(pdf: bytes) -> None:
    quick, full = read_pdf(pdf, fonts=False), read_pdf(pdf)
    assert quick.pages == full.pages and [page.landscape for page in quick.pages] == [False, False, True]


@needs_libreoffice
def test_checks_without_the_font_notice_refuse_the_same_broken_pdfs(docx: bytes, pdf: bytes) -> None:
    from engine.pipeline import checked_pdf, docx_to_pdf

    with pytest.raises(OutputError) as caught:
        checked_pdf(docx, blank_pdf(A4_PT, A4_PT[::-1], A4_PT), font_notice=False)
    assert "chữ cái" in caught.value.problems[0].message
    with pytest.raises(OutputError) as caught:
        checked_pdf(docx, blank_pdf(A4_PT, A4_PT, A4_PT), font_notice=False)  # the annex came out portrait
    assert "trang ngang" in caught.value.problems[0].message
    quick = checked_pdf(docx, pdf, font_notice=False)
    assert quick.pdf == docx_to_pdf(docx, converter=HandsBack(pdf)).pdf and quick.notices == ()


def test_a_pdf_that_cannot_be_read_is_a_conversion_error_not_a_crash(docx: bytes) -> None:
    from engine.pipeline import checked_pdf

    assert "không đọc được" in pdf_problem(docx, b"%PDF-1.7 cut short")
    with pytest.raises(OutputError) as caught:
        checked_pdf(docx, b"%PDF-1.7 cut short", font_notice=False)
    assert caught.value.problems[0].code == "PDF_CONVERSION"


def test_a_stamp_key_with_vietnamese_letters_and_spaces_is_escaped_and_read_back_whole() -> None:
    from datetime import UTC, datetime

    from engine.convert.pdfstamp import PdfStamp, read_stamp, stamp_pdf

    pairs = (("vanban.du_lieu.điểm số", "diem.csv sha256:00ff"), ("vanban.phien_ban", "1.0"))
    stamp = PdfStamp("Báo cáo tháng 1", "UBND xã Số 1", "Báo cáo", datetime(2024, 1, 5, tzinfo=UTC), pairs)
    pdf, stamped = stamp_pdf(blank_pdf(A4_PT), stamp)
    assert stamped
    assert b"/vanban.du_lieu.#C4#91i#E1#BB#83m#20s#E1#BB#91" in pdf  # a PDF name escapes what is not plain
    check = read_stamp(pdf)
    assert check.intact
    assert ("vanban.du_lieu.điểm số", "diem.csv sha256:00ff") in check.entries
    assert ("vanban.phien_ban", "1.0") in check.entries
