"""Turn the attacks of issue 11 into cases built by code: each writes its hostile files and gives a command line.

Nothing binary is committed: every case starts from a copy of a real fixture (its spec, data, score
table) or a real template, and mutates it (a path leading outside, a FIFO, a zip bomb, a template
paragraph that reaches for Python internals …). A case says which category of attack it is, the
error code the engine must answer with, its exit status, and which files the command may write
(none, for a refusal). ``test_hostile_cli`` runs every case in-process; ``test_hostile_limits``
runs the memory and time cases again in a subprocess under resource limits.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import FIXTURES, ROOT

__all__ = ["CASES", "CATEGORIES", "Case", "by_name"]

TEMPLATES = ROOT / "templates"
FRAMEWORKS = ROOT / "engine" / "scoring" / "frameworks"
MB = 1 << 20

CONFINEMENT = "confinement"
SPECIAL = "not_regular_files"
SANDBOX = "sandbox"
RESOURCES = "resources"
OUTPUT = "output"
REFUSALS = "named_refusals"
CATEGORIES = (CONFINEMENT, SPECIAL, SANDBOX, RESOURCES, OUTPUT, REFUSALS)

PASSWD = "/etc/passwd"
PASSWD_LINE = "root:x:0:0"


@dataclass(frozen=True)
class Case:
    """One hostile input: how to build it under a folder, and what the engine must answer.

    ``build(tmp_path)`` writes the files and returns the command line (without the program name).
    ``code`` is the error code that must be reported (None: the command must succeed); ``exit`` its
    exit status. ``writes`` lists the files (relative to tmp_path) the command may create; every
    other file must stay as it was. For a batch, ``failed_units`` must fail in ket_qua_lo.json with
    ``code``, and the other units must be rendered. ``says`` are texts the output must hold (the limit
    a message names, the setting its hint names); ``expect`` checks what a successful run wrote.
    """

    name: str
    category: str
    build: Callable[[Path], list[str]]
    code: str | None
    exit: int
    writes: tuple[str, ...] = ()
    failed_units: tuple[str, ...] = ()
    says: tuple[str, ...] = ()
    expect: Callable[[Path], None] | None = None

    def __str__(self) -> str:
        return self.name


CASES: list[Case] = []


def case(category: str, name: str, code: str | None, exit_status: int, **extra: Any
         ) -> Callable[[Callable[[Path], list[str]]], Callable[[Path], list[str]]]:
    """Register the decorated builder as a case."""

    def register(build: Callable[[Path], list[str]]) -> Callable[[Path], list[str]]:
        add(Case(name, category, build, code, exit_status, **extra))
        return build

    return register


def add(item: Case) -> None:
    if any(existing.name == item.name for existing in CASES):
        raise ValueError(f"two cases named {item.name!r}")
    CASES.append(item)


def by_name(name: str) -> Case:
    for item in CASES:
        if item.name == name:
            return item
    raise KeyError(name)


# ----- building blocks ------------------------------------------------------------------------------


def fixture_copy(tmp: Path, fixture: str = "tua_chua_2023_04") -> Path:
    """A copy of a real fixture folder: the spec's own folder for the case."""
    folder = tmp / "dac_ta"
    shutil.copytree(FIXTURES / fixture, folder)
    return folder


def read_spec(folder: Path) -> dict[str, Any]:
    return yaml.safe_load((folder / "spec.yaml").read_text(encoding="utf-8"))


def write_spec(folder: Path, data: dict[str, Any], name: str = "spec.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8")
    return path


def put(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b.0.c`` in nested dicts and lists, making dicts on the way."""
    steps: list[Any] = [int(step) if step.isdigit() else step for step in dotted.split(".")]
    target: Any = data
    for step in steps[:-1]:
        if isinstance(step, str) and step not in target:
            target[step] = {}
        target = target[step]
    target[steps[-1]] = value


def spec_with(tmp: Path, changes: dict[str, Any], fixture: str = "tua_chua_2023_04") -> Path:
    """A copy of ``fixture`` whose spec has the dotted ``changes``; the path of the new spec."""
    folder = fixture_copy(tmp, fixture)
    data = read_spec(folder)
    for dotted, value in changes.items():
        put(data, dotted, value)
    return write_spec(folder, data)


def text_spec(tmp: Path, *paragraphs: str, data: dict[str, Any] | None = None, **changes: Any) -> Path:
    """The lo_xa công văn with its body replaced by ``paragraphs`` (spec text run in the sandbox)."""
    folder = fixture_copy(tmp, "lo_xa_2026_01")
    spec = read_spec(folder)
    spec["noi_dung"] = [{"doan": text} for text in paragraphs]
    spec["du_lieu"] = {"d": {"x": "chữ", "ds": list(range(1, 101))}, **(data or {})}
    for dotted, value in changes.items():
        put(spec, dotted, value)
    return write_spec(folder, spec)


def png(path: Path, size: tuple[int, int] = (60, 30)) -> Path:
    from PIL import Image

    Image.new("RGB", size, "white").save(path)
    return path


def png_claiming(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb for whoever draws it)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


def outside(tmp: Path) -> Path:
    """A folder next to the spec's, holding a valid copy of every kind of file a spec names."""
    folder = tmp / "ngoai"
    folder.mkdir(exist_ok=True)
    source = FIXTURES / "tua_chua_2023_04"
    shutil.copy(source / "du_lieu.yaml", folder / "du_lieu.yaml")
    shutil.copy(source / "diem_xa.csv", folder / "diem_xa.csv")
    shutil.copy(TEMPLATES / "bao_cao" / "bao_cao.docx", folder / "mau.docx")
    shutil.copy(TEMPLATES / "phu_luc" / "bang_chi_so.docx", folder / "bang_chi_so.docx")
    shutil.copy(FRAMEWORKS / "dien_bien_459_2023.yaml", folder / "bo.yaml")
    png(folder / "ky.png")
    return folder


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def unix_socket(path: Path) -> Path:
    """A unix socket file at ``path`` (bound from its folder: socket paths are limited to 108 bytes)."""
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path.name)
        server.close()  # the file stays, a socket nobody listens on
    finally:
        os.chdir(here)
    return path


def rewrite_zip(source: Path | bytes, target: Path, changes: dict[str, Callable[[bytes], bytes]] | None = None,
                extra: dict[str, bytes] | None = None) -> Path:
    """A copy of a zip package with some parts changed (each by a function of its bytes) and some added."""
    changes = changes or {}
    data = source.read_bytes() if isinstance(source, Path) else source
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            content = old.read(info)
            if info.filename in changes:
                content = changes[info.filename](content)
            new.writestr(info.filename, content)
        for name, content in (extra or {}).items():
            new.writestr(name, content)
    return target


def replace_in(old: str, new: str, count: int = 1) -> Callable[[bytes], bytes]:
    def change(content: bytes) -> bytes:
        text = content.decode("utf-8")
        if old not in text:
            raise AssertionError(f"{old!r} is not in the part: the fixture changed")
        return text.replace(old, new, count).encode("utf-8")

    return change


def template_with(path: Path, *paragraphs: str, base: Path = TEMPLATES / "bao_cao" / "bao_cao.docx") -> Path:
    """A copy of a real template with paragraphs added at the end of its body (made with python-docx)."""
    from docx import Document

    document = Document(str(base))
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


MARK = "CHEN_O_DAY"
_MARKED_RUN = re.compile(r"<w:r>(?:(?!</w:r>).)*" + MARK + r"(?:(?!</w:r>).)*</w:r>", re.DOTALL)


def template_with_xml(path: Path, xml: str, *, prolog: str = "", base: Path = TEMPLATES / "bao_cao" / "bao_cao.docx",
                      rels: str = "") -> Path:
    """A template whose body gets raw WordprocessingML (a field, an entity) where a marked run was."""
    marked = template_with(path.with_suffix(".tmp.docx"), MARK, base=base)

    def body(content: bytes) -> bytes:
        text = content.decode("utf-8")
        text, found = _MARKED_RUN.subn(xml, text, count=1)
        assert found, "the marked run was not found"
        if prolog:
            declaration = text.index("?>") + 2
            text = text[:declaration] + prolog + text[declaration:]
        return text.encode("utf-8")

    changes = {"word/document.xml": body}
    if rels:
        changes["word/_rels/document.xml.rels"] = replace_in("</Relationships>", rels + "</Relationships>")
    rewrite_zip(marked, path, changes)
    marked.unlink()
    return path


@cache
def rendered_document() -> bytes:
    """A real document to hand to check: the Tủa Chùa report, rendered once per process."""
    from engine import render

    return render(FIXTURES / "tua_chua_2023_04" / "spec.yaml")


def document_with(tmp: Path, changes: dict[str, Callable[[bytes], bytes]], name: str = "van_ban.docx",
                  extra: dict[str, bytes] | None = None) -> Path:
    return rewrite_zip(rendered_document(), tmp / name, changes, extra)


@cache
def _bomb(base: bytes, part: str, head: bytes, size: int) -> bytes:
    """``base`` with ``part`` replaced by ``head`` and ``size`` bytes of spaces, written as a stream."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as old, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename != part:
                new.writestr(info.filename, old.read(info))
        with new.open(part, "w", force_zip64=True) as stream:
            stream.write(head)
            chunk = b" " * MB
            for _ in range(size // MB):
                stream.write(chunk)
    return buffer.getvalue()


BOMB_SIZE = 200 * MB


def docx_bomb(path: Path) -> Path:
    """A .docx whose document.xml unpacks to 200 MB (the file itself is about 200 KB)."""
    head = b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
    head += b'wordprocessingml/2006/main"><w:body>'
    path.write_bytes(_bomb((TEMPLATES / "bao_cao" / "bao_cao.docx").read_bytes(), "word/document.xml", head,
                           BOMB_SIZE))
    return path


def score_workbook(path: Path, rows: list[list[Any]] | None = None, *, stray: str | None = None) -> Path:
    """The Tủa Chùa score table (diem_xa.csv) as an Excel workbook, optionally with a stray cell."""
    from openpyxl import Workbook

    text = (FIXTURES / "tua_chua_2023_04" / "diem_xa.csv").read_text(encoding="utf-8")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Diem"
    for row in rows if rows is not None else csv.reader(io.StringIO(text), delimiter=";"):
        sheet.append(row)
    if stray:
        sheet[stray] = 1
    workbook.save(path)
    return path


def xlsx_bomb(path: Path) -> Path:
    """An .xlsx whose first sheet unpacks to 200 MB."""
    score_workbook(path.with_suffix(".goc.xlsx"))
    head = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    head += b'spreadsheetml/2006/main"><sheetData>'
    path.write_bytes(_bomb(path.with_suffix(".goc.xlsx").read_bytes(), "xl/worksheets/sheet1.xml", head, BOMB_SIZE))
    path.with_suffix(".goc.xlsx").unlink()
    return path


def units_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


LO_HEADER = ["ma", "ten", "kinh_gui", "diem", "hang", "so_xa", "tien_do"]


def lo_row(ma: str, ten: str = "xã Mường Phăng") -> list[str]:
    return [ma, ten, f"Ủy ban nhân dân {ten}", "88,4", "1", "3", "97,2"]


def windows_1258(text: str) -> bytes:
    """Text as Windows-1258 writes it: letters with their vowel marks whole (ê, ơ, đ), tones as combining marks."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for char in unicodedata.normalize("NFC", text):
        try:
            char.encode("cp1258")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258")


def batch_argv(tmp: Path, spec: Path, units: Path, *more: str) -> list[str]:
    return ["batch", str(spec), "--data", str(units), "--out", str(tmp / "lo"), "-j", "1", *more]


def render_argv(tmp: Path, spec: Path, *more: str) -> list[str]:
    return ["render", str(spec), "-o", str(tmp / "bc.docx"), *more]


def validate_argv(spec: Path, *more: str) -> list[str]:
    return ["validate", "--json", str(spec), *more]


def check_argv(document: Path, *more: str) -> list[str]:
    return ["check", "--json", str(document), *more]


def document_contains(relative: str, *texts: str) -> Callable[[Path], None]:
    """An ``expect``: the written .docx holds each text in its body."""

    def expect(tmp: Path) -> None:
        with zipfile.ZipFile(tmp / relative) as archive:
            body = archive.read("word/document.xml").decode("utf-8")
        plain = re.sub(r"<[^>]+>", "", body)
        for text in texts:
            assert text in plain, f"{text!r} is not in {relative}"

    return expect


# ----- confinement: a spec reads only inside its folder, the engine's, and folders the user named -----


# field → (dotted path in the spec, the file of ngoai/ it may point at, a path outside that cannot be read)
CONFINED_FIELDS: dict[str, tuple[str, str, str | None]] = {
    "data_file": ("du_lieu.huyen", "du_lieu.yaml", None),  # only .yaml/.json are read: /etc/passwd is DATA_FORMAT
    "score_table": ("cham_diem.kq.du_lieu", "diem_xa.csv", "/etc/hostname"),
    "template": ("mau", "mau.docx", PASSWD),
    "appendix_template": ("phu_luc.0.tep_mau", "bang_chi_so.docx", PASSWD),
    "framework_path": ("cham_diem.kq.bo_tieu_chi", "bo.yaml", PASSWD),
    "signature_image": ("nguoi_ky.chu_ky", "ky.png", None),  # only .png: /etc/passwd is SPEC_VALUE first
}


def _confined(field: str, form: str) -> Callable[[Path], list[str]]:
    dotted, file, system = CONFINED_FIELDS[field]

    def build(tmp: Path) -> list[str]:
        ngoai = outside(tmp)
        folder = tmp / "dac_ta"
        if form == "dotdot":
            written = f"../ngoai/{file}"
        elif form == "absolute":
            written = str(ngoai / file)
        elif form == "system":
            written = system
        else:  # a symlink inside the spec folder that leads out
            written = f"lien_ket{Path(file).suffix}"
        spec = spec_with(tmp, {dotted: written})
        if form == "symlink":
            (folder / written).symlink_to(ngoai / file)
        return validate_argv(spec)

    return build


for _field, (_dotted, _file, _system) in CONFINED_FIELDS.items():
    _forms = {"dotdot": "dot_dot", "absolute": "an_absolute_path", "symlink": "a_symlink_inside_the_folder"}
    if _system:
        _forms["system"] = f"the_system_file_{_system.replace('/', '_').strip('_')}"
    for _form, _said in _forms.items():
        add(Case(f"{_field}_reached_through_{_said}_is_outside", CONFINEMENT, _confined(_field, _form),
                 "ACCESS_OUTSIDE", 9))


@case(CONFINEMENT, "data_file_through_a_symlinked_folder_is_outside", "ACCESS_OUTSIDE", 9)
def _symlinked_folder(tmp: Path) -> list[str]:
    ngoai = outside(tmp)
    spec = spec_with(tmp, {"du_lieu.huyen": "so_lieu/du_lieu.yaml"})
    (spec.parent / "so_lieu").symlink_to(ngoai, target_is_directory=True)
    return validate_argv(spec)


@case(CONFINEMENT, "symlink_in_an_allowed_folder_that_leads_further_out_is_outside", "ACCESS_OUTSIDE", 9)
def _allowed_then_out(tmp: Path) -> list[str]:
    ngoai = outside(tmp)
    (tmp / "khac").mkdir()
    shutil.copy(ngoai / "du_lieu.yaml", tmp / "khac" / "du_lieu.yaml")
    (ngoai / "lien_ket.yaml").symlink_to(tmp / "khac" / "du_lieu.yaml")
    return validate_argv(spec_with(tmp, {"du_lieu.huyen": "../ngoai/lien_ket.yaml"}), "--cho-phep", str(ngoai))


@case(CONFINEMENT, "template_reached_through_dot_dot_is_outside_when_rendering", "ACCESS_OUTSIDE", 9)
def _template_render(tmp: Path) -> list[str]:
    outside(tmp)
    return render_argv(tmp, spec_with(tmp, {"mau": "../ngoai/mau.docx"}))


@case(CONFINEMENT, "second_data_set_reached_through_the_proc_filesystem_is_outside", "ACCESS_OUTSIDE", 9)
def _proc(tmp: Path) -> list[str]:
    return validate_argv(spec_with(tmp, {"du_lieu.moi_truong": "/proc/self/cwd/../../environ.yaml"}))


@case(CONFINEMENT, "allowed_folder_makes_an_outside_data_file_readable", None, 0)
def _allowed_data(tmp: Path) -> list[str]:
    ngoai = outside(tmp)
    return validate_argv(spec_with(tmp, {"du_lieu.huyen": "../ngoai/du_lieu.yaml"}), "--cho-phep", str(ngoai))


@case(CONFINEMENT, "allowed_folder_makes_an_outside_template_usable", None, 0, writes=("bc.docx",),
      expect=document_contains("bc.docx", "Lường Tuấn Anh"))
def _allowed_template(tmp: Path) -> list[str]:
    ngoai = outside(tmp)
    return render_argv(tmp, spec_with(tmp, {"mau": "../ngoai/mau.docx"}), "--cho-phep", str(ngoai))


@case(CONFINEMENT, "allowed_folder_makes_an_outside_signature_usable", None, 0)
def _allowed_signature(tmp: Path) -> list[str]:
    ngoai = outside(tmp)
    return validate_argv(spec_with(tmp, {"nguoi_ky.chu_ky": str(ngoai / "ky.png")}), "--cho-phep", str(ngoai))


@case(CONFINEMENT, "symlink_that_stays_inside_the_folder_is_read", None, 0)
def _inside_symlink(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"du_lieu.huyen": "lien_ket.yaml", "cham_diem.kq.du_lieu": "bang/diem.csv"})
    (spec.parent / "lien_ket.yaml").symlink_to(spec.parent / "du_lieu.yaml")
    (spec.parent / "bang").mkdir()
    (spec.parent / "bang" / "diem.csv").symlink_to(Path("..") / "diem_xa.csv")
    return validate_argv(spec)


@case(CONFINEMENT, "dot_dot_that_comes_back_into_the_folder_is_read", None, 0)
def _back_inside(tmp: Path) -> list[str]:
    return validate_argv(spec_with(tmp, {"du_lieu.huyen": "../dac_ta/du_lieu.yaml"}))


def _batch_override(column: str, value: Callable[[Path], str], *allowed: str) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        ngoai = outside(tmp)
        folder = fixture_copy(tmp, "lo_xa_2026_01")
        written = value(tmp)
        if written.startswith("lien_ket"):
            (folder / written).symlink_to(ngoai / ("ky.png" if written.endswith(".png") else "du_lieu.yaml"))
        units = units_csv(folder / "don_vi_doc.csv", [*LO_HEADER, column],
                          [[*lo_row("xa_doc"), written], [*lo_row("xa_lanh", "xã Nà Tấu"), ""]])
        return batch_argv(tmp, folder / "spec.yaml", units, *[arg for name in allowed for arg in ("--cho-phep",
                                                                                                  str(tmp / name))])

    return build


_BATCH_WRITES = ("lo/ket_qua_lo.json", "lo/xa_lanh.docx")
add(Case("batch_unit_whose_column_sets_the_template_to_etc_passwd_fails_outside", CONFINEMENT,
         _batch_override("mau", lambda tmp: PASSWD), "ACCESS_OUTSIDE", 1, _BATCH_WRITES, ("xa_doc",)))
add(Case("batch_unit_whose_column_sets_a_data_file_through_dot_dot_fails_outside", CONFINEMENT,
         _batch_override("du_lieu.x", lambda tmp: "../ngoai/du_lieu.yaml"), "ACCESS_OUTSIDE", 1, _BATCH_WRITES,
         ("xa_doc",)))
add(Case("batch_unit_whose_column_sets_a_data_file_to_an_absolute_path_fails_outside", CONFINEMENT,
         _batch_override("du_lieu.x", lambda tmp: str(tmp / "ngoai" / "du_lieu.yaml")), "ACCESS_OUTSIDE", 1,
         _BATCH_WRITES, ("xa_doc",)))
add(Case("batch_unit_whose_column_sets_the_signature_to_an_outside_symlink_fails_outside", CONFINEMENT,
         _batch_override("nguoi_ky.chu_ky", lambda tmp: "lien_ket.png"), "ACCESS_OUTSIDE", 1, _BATCH_WRITES,
         ("xa_doc",)))
add(Case("batch_unit_whose_column_names_an_allowed_folder_is_rendered", CONFINEMENT,
         _batch_override("du_lieu.x", lambda tmp: "../ngoai/du_lieu.yaml", "ngoai"), None, 0,
         ("lo/ket_qua_lo.json", "lo/xa_lanh.docx", "lo/xa_doc.docx")))


# ----- not regular files: devices, FIFOs, sockets and folders are refused before anything is read ------


@case(SPECIAL, "validate_of_dev_zero_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _dev_zero(tmp: Path) -> list[str]:
    return validate_argv(Path("/dev/zero"))


@case(SPECIAL, "check_of_a_symlink_to_dev_urandom_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _urandom(tmp: Path) -> list[str]:
    (tmp / "van_ban.docx").symlink_to("/dev/urandom")
    return check_argv(tmp / "van_ban.docx")


@case(SPECIAL, "check_of_dev_null_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _dev_null(tmp: Path) -> list[str]:
    return check_argv(Path("/dev/null"))


@case(SPECIAL, "fifo_as_the_spec_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _fifo_spec(tmp: Path) -> list[str]:
    return validate_argv(fifo(tmp / "spec.yaml"))


@case(SPECIAL, "fifo_as_the_spec_of_render_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _fifo_render(tmp: Path) -> list[str]:
    return render_argv(tmp, fifo(tmp / "spec.yaml"))


@case(SPECIAL, "fifo_as_a_data_file_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _fifo_data(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"du_lieu.huyen": "ong.yaml"})
    fifo(spec.parent / "ong.yaml")
    return validate_argv(spec)


@case(SPECIAL, "fifo_as_a_score_table_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _fifo_scores(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"cham_diem.kq.du_lieu": "ong.csv"})
    fifo(spec.parent / "ong.csv")
    return validate_argv(spec)


@case(SPECIAL, "fifo_as_a_template_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _fifo_template(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"mau": "ong.docx"})
    fifo(spec.parent / "ong.docx")
    return render_argv(tmp, spec)


@case(SPECIAL, "fifo_as_a_signature_image_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _fifo_signature(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"nguoi_ky.chu_ky": "ong.png"})
    fifo(spec.parent / "ong.png")
    return validate_argv(spec)


@case(SPECIAL, "fifo_given_to_check_as_a_docx_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _fifo_check(tmp: Path) -> list[str]:
    return check_argv(fifo(tmp / "van_ban.docx"))


@case(SPECIAL, "fifo_given_to_snapshot_as_the_saved_outline_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _fifo_outline(tmp: Path) -> list[str]:
    document = tmp / "van_ban.docx"
    document.write_bytes(rendered_document())
    return ["snapshot", str(document), "--so-voi", str(fifo(tmp / "dan_y.txt"))]


@case(SPECIAL, "fifo_as_the_units_file_of_a_batch_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _fifo_units(tmp: Path) -> list[str]:
    folder = fixture_copy(tmp, "lo_xa_2026_01")
    return batch_argv(tmp, folder / "spec.yaml", fifo(folder / "don_vi_ong.csv"))


@case(SPECIAL, "folder_named_like_a_data_file_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _folder_data(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"du_lieu.huyen": "thu_muc.yaml"})
    (spec.parent / "thu_muc.yaml").mkdir()
    return validate_argv(spec)


@case(SPECIAL, "unix_socket_as_a_data_file_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _socket_data(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"du_lieu.huyen": "so.yaml"})
    unix_socket(spec.parent / "so.yaml")
    return validate_argv(spec)


@case(SPECIAL, "unix_socket_given_to_check_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _socket_check(tmp: Path) -> list[str]:
    return check_argv(unix_socket(tmp / "so.docx"))


@case(SPECIAL, "device_in_an_allowed_folder_is_still_not_a_file", "ACCESS_NOT_FILE", 9)
def _allowed_device(tmp: Path) -> list[str]:
    return validate_argv(spec_with(tmp, {"cham_diem.kq.du_lieu": "/dev/zero"}), "--cho-phep", "/dev")


@case(SPECIAL, "device_as_the_template_in_an_allowed_folder_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _allowed_device_template(tmp: Path) -> list[str]:
    return render_argv(tmp, spec_with(tmp, {"mau": "/dev/zero"}), "--cho-phep", "/dev")


@case(SPECIAL, "symlink_loop_as_a_data_file_cannot_be_read", "DATA_FILE", 4)
def _loop(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"du_lieu.huyen": "vong.yaml"})
    (spec.parent / "vong.yaml").symlink_to("vong2.yaml")
    (spec.parent / "vong2.yaml").symlink_to("vong.yaml")
    return validate_argv(spec)


# ----- sandbox: spec text and templates read plain data only, print text only, and are bounded -----------


def _text(text: str, *more: str, data: dict[str, Any] | None = None, **changes: Any) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        return validate_argv(text_spec(tmp, text, data=data, **changes), *more)

    return build


SPEC_TEXT_ATTACKS: list[tuple[str, str, str, int, tuple[str, ...]]] = [
    # name, spec text, code, exit, extra options
    ("spec_text_naming_the_cycler_global_finds_no_such_name", "{{ cycler }}", "SPEC_EXPRESSION", 3, ()),
    ("spec_text_naming_the_lipsum_global_finds_no_such_name", "{{ lipsum(5) }}", "SPEC_EXPRESSION", 3, ()),
    ("spec_text_naming_the_namespace_global_finds_no_such_name", "{{ namespace }}", "SPEC_EXPRESSION", 3, ()),
    ("spec_text_naming_the_range_global_finds_no_such_name", "{{ range }}", "SPEC_EXPRESSION", 3, ()),
    # range is not there at all, and a dict gives only its keys: both are a name the data does not have.
    ("spec_text_calling_range_finds_no_such_name", "{{ range(10) | join(',') }}", "SPEC_EXPRESSION", 3, ()),
    ("spec_text_calling_a_dict_method_finds_no_such_key", "{{ {}.items() }}", "SPEC_EXPRESSION", 3, ()),
    ("spec_text_calling_a_list_method_is_a_sandbox_access", "{{ [3, 1].sort() }}", "SANDBOX_ACCESS", 3, ()),
    ("spec_text_reading_a_string_method_is_a_sandbox_access", "{{ ''.format }}", "SANDBOX_ACCESS", 3, ()),
    ("spec_text_reading_dunder_class_is_a_sandbox_access", "{{ d.x.__class__ }}", "SANDBOX_ACCESS", 3, ()),
    ("spec_text_climbing_to_subclasses_is_a_sandbox_access", "{{ d.x.__class__.__mro__[1].__subclasses__() }}",
     "SANDBOX_ACCESS", 3, ()),
    ("spec_text_reaching_a_method_through_the_attr_filter_is_a_sandbox_access", "{{ d.x | attr('format') }}",
     "SANDBOX_ACCESS", 3, ()),
    ("spec_text_reaching_dunder_class_through_the_attr_filter_is_a_sandbox_access", "{{ d.x | attr('__class__') }}",
     "SANDBOX_ACCESS", 3, ()),
    ("spec_text_formatting_with_percent_is_a_sandbox_access", "{{ '%s' % van_ban }}", "SANDBOX_ACCESS", 3, ()),
    ("spec_text_reading_a_loop_method_is_a_sandbox_access", "{% for i in d.ds %}{{ loop.cycle }}{% endfor %}",
     "SANDBOX_ACCESS", 3, ()),
    ("spec_text_printing_the_whole_document_is_a_sandbox_print", "{{ van_ban }}", "SANDBOX_PRINT", 3, ()),
    ("spec_text_printing_the_template_reference_is_a_sandbox_print", "{{ self }}", "SANDBOX_PRINT", 3, ()),
    ("spec_text_turning_a_table_into_a_string_is_a_sandbox_print", "{{ van_ban | string }}", "SANDBOX_PRINT", 3,
     ()),
    ("spec_text_including_etc_passwd_is_refused", "{% include '/etc/passwd' %}", "SPEC_EXPRESSION", 3, ()),
    ("spec_text_importing_etc_passwd_is_refused", "{% import '/etc/passwd' as p %}{{ p }}", "SPEC_EXPRESSION", 3,
     ()),
    ("spec_text_repeating_a_string_a_billion_times_is_a_text_limit", '{{ "a" * 10**9 }}', "LIMIT_TEXT", 10, ()),
    ("spec_text_centering_in_a_billion_columns_is_a_text_limit", '{{ "a" | center(10**9) }}', "LIMIT_TEXT", 10, ()),
    ("spec_text_indenting_by_a_billion_is_a_text_limit", '{{ "a\nb" | indent(10**9) }}', "LIMIT_TEXT", 10, ()),
    ("spec_text_replacing_into_a_huge_string_is_a_text_limit",
     '{{ ("a" * 100000) | replace("a", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb") }}', "LIMIT_TEXT", 10, ()),
    ("spec_text_joining_two_long_strings_is_a_text_limit", '{{ ("a" * 900000) ~ ("b" * 900000) }}', "LIMIT_TEXT",
     10, ()),
    ("spec_text_repeating_a_list_a_billion_times_is_a_list_limit", "{{ ([0] * 10**9) | length }}", "LIMIT_LIST",
     10, ()),
    ("spec_text_batching_into_a_billion_slices_is_a_list_limit", "{{ d.ds | slice(10**9) | length }}", "LIMIT_LIST",
     10, ()),
    ("spec_text_nested_loops_past_so_vong_lap_is_a_loop_limit",
     "{% for a in d.ds %}{% for b in d.ds %}{{ b }}{% endfor %}{% endfor %}", "LIMIT_LOOP", 10,
     ("--gioi-han", "so_vong_lap=1000")),
    ("spec_text_macro_calling_itself_is_a_depth_limit",
     "{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}", "LIMIT_DEPTH", 10, ()),
    ("spec_text_power_tower_is_a_number_limit", "{{ 10**10**9 }}", "LIMIT_NUMBER", 10, ()),
    ("spec_text_product_of_huge_numbers_is_a_number_limit", "{{ 10**100 * 10**100 * 10**100 }}", "LIMIT_NUMBER",
     10, ()),
    ("spec_text_asking_a_hundred_thousand_decimals_is_refused_by_the_filter", "{{ 16.5 | so(100000) }}",
     "SPEC_EXPRESSION", 3, ()),
]
for _name, _source, _code, _exit, _more in SPEC_TEXT_ATTACKS:
    add(Case(_name, SANDBOX, _text(_source, *_more), _code, _exit))


def _stated(expression: str, data: dict[str, Any] | None = None) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        spec = text_spec(tmp, "Nội dung.", data=data)
        text = spec.read_text(encoding="utf-8")
        stated = yaml.safe_dump({"so_lieu_ghi": [{"noi_dung": "Số ghi", "ghi": 5, "tinh": expression}]},
                                allow_unicode=True)
        spec.write_text(text + stated, encoding="utf-8")
        return ["audit", "--json", str(spec)]

    return build


add(Case("stated_figure_computed_as_text_is_a_spec_expression_error", SANDBOX, _stated("d.x"), "SPEC_EXPRESSION", 3))
add(Case("stated_figure_computed_as_a_table_is_a_spec_expression_error", SANDBOX, _stated("van_ban"),
         "SPEC_EXPRESSION", 3))
add(Case("stated_figure_computed_as_a_date_object_is_a_spec_expression_error", SANDBOX, _stated("van_ban.ngay"),
         "SPEC_EXPRESSION", 3))
add(Case("stated_figure_computed_as_the_template_object_is_a_spec_expression_error", SANDBOX,
         _stated("self"), "SPEC_EXPRESSION", 3))


def template_attack(*paragraphs: str, signature: bool = False, more: tuple[str, ...] = (),
                     data: dict[str, Any] | None = None) -> Callable[[Path], list[str]]:
    """A report whose own template (``mau: mau.docx``, a copy of the real one) has hostile paragraphs."""

    def build(tmp: Path) -> list[str]:
        changes: dict[str, Any] = {"mau": "mau.docx"}
        if signature:
            changes["nguoi_ky.chu_ky"] = "ky.png"
        for name, value in (data or {}).items():
            changes[f"du_lieu.{name}"] = value
        spec = spec_with(tmp, changes)
        if signature:
            png(spec.parent / "ky.png")
        template_with(spec.parent / "mau.docx", *(p.replace("{tmp}", str(tmp)) for p in paragraphs))
        return render_argv(tmp, spec, *more)

    return build


TEMPLATE_ATTACKS: list[tuple[str, tuple[str, ...], str, int, dict[str, Any]]] = [
    ("template_saving_a_file_through_the_signature_image_is_a_sandbox_access",
     ("{{ van_ban.nguoi_ky.chu_ky.tpl.save('{tmp}/bi_ghi.docx') }}",), "SANDBOX_ACCESS", 5, {"signature": True}),
    ("template_reading_the_signature_image_path_is_a_sandbox_access",
     ("{{ van_ban.nguoi_ky.chu_ky.path }}",), "SANDBOX_ACCESS", 5, {"signature": True}),
    ("template_reading_the_signature_image_descriptor_is_a_sandbox_access",
     ("{{ van_ban.nguoi_ky.chu_ky.image_descriptor }}",), "SANDBOX_ACCESS", 5, {"signature": True}),
    ("template_reaching_the_hidden_image_through_attr_is_a_sandbox_access",
     ("{{ (van_ban.nguoi_ky.chu_ky | attr('_Drawing__make')).tpl }}",), "SANDBOX_ACCESS", 5, {"signature": True}),
    ("template_reading_a_string_method_is_a_sandbox_access", ("{{ ''.format }}",), "SANDBOX_ACCESS", 5, {}),
    ("template_naming_the_cycler_global_finds_no_such_name", ("{{ cycler }}",), "TEMPLATE_UNDEFINED", 5, {}),
    ("template_printing_the_whole_document_is_a_sandbox_print", ("{{ van_ban }}",), "SANDBOX_PRINT", 5, {}),
    ("template_macro_calling_itself_is_a_depth_limit", ("{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}",),
     "LIMIT_DEPTH", 10, {}),
    ("template_nested_loops_past_so_vong_lap_is_a_loop_limit",
     ("{% for a in van_ban.noi_dung %}{% for b in van_ban.noi_dung %}{% for c in van_ban.noi_dung %}"
      "{% endfor %}{% endfor %}{% endfor %}",), "LIMIT_LOOP", 10, {"more": ("--gioi-han", "so_vong_lap=1000")}),
    ("template_repeating_a_string_a_billion_times_is_a_text_limit", ('{{ "a" * 10**9 }}',), "LIMIT_TEXT", 10, {}),
    ("template_writing_an_includetext_field_with_autoescape_off_is_a_link",
     ("{% autoescape false %}{{ lien_ket.xml }}{% endautoescape %}",), "FILE_LINK", 5,
     {"data": {"lien_ket": {"xml": '</w:t></w:r><w:fldSimple w:instr=" INCLUDETEXT &quot;/etc/passwd&quot; ">'
                                   "<w:r><w:t>x</w:t></w:r></w:fldSimple><w:r><w:t>"}}}),
    ("template_writing_broken_xml_with_autoescape_off_is_a_template_output_error",
     ("{% autoescape false %}{{ hong.xml }}{% endautoescape %}",), "TEMPLATE_OUTPUT", 5,
     {"data": {"hong": {"xml": "</w:t></w:r></w:p></w:body>"}}}),
]
for _name, _paragraphs, _code, _exit, _options in TEMPLATE_ATTACKS:
    add(Case(_name, SANDBOX, template_attack(*_paragraphs, **_options), _code, _exit))


# ----- resources: sizes, counts, depth and compression are bounded before the work --------------------------


@case(RESOURCES, "zip_bomb_docx_given_to_check_is_a_zip_limit", "LIMIT_ZIP", 10)
def _bomb_check(tmp: Path) -> list[str]:
    return check_argv(docx_bomb(tmp / "bom.docx"))


@case(RESOURCES, "zip_bomb_docx_given_to_snapshot_is_a_zip_limit", "LIMIT_ZIP", 10)
def _bomb_snapshot(tmp: Path) -> list[str]:
    return ["snapshot", str(docx_bomb(tmp / "bom.docx"))]


@case(RESOURCES, "zip_bomb_docx_as_the_template_is_a_zip_limit", "LIMIT_ZIP", 10)
def _bomb_template(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"mau": "bom.docx"})
    docx_bomb(spec.parent / "bom.docx")
    return render_argv(tmp, spec)


@case(RESOURCES, "zip_bomb_docx_as_an_appendix_template_is_a_zip_limit", "LIMIT_ZIP", 10)
def _bomb_appendix(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"phu_luc.0.tep_mau": "bom.docx"})
    docx_bomb(spec.parent / "bom.docx")
    return render_argv(tmp, spec)


@case(RESOURCES, "zip_bomb_xlsx_score_table_is_a_zip_limit", "LIMIT_ZIP", 10)
def _bomb_xlsx(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"cham_diem.kq.du_lieu": "bom.xlsx"})
    xlsx_bomb(spec.parent / "bom.xlsx")
    return validate_argv(spec)


@case(RESOURCES, "zip_bomb_xlsx_units_file_is_a_zip_limit", "LIMIT_ZIP", 10)
def _bomb_units(tmp: Path) -> list[str]:
    folder = fixture_copy(tmp, "lo_xa_2026_01")
    return batch_argv(tmp, folder / "spec.yaml", xlsx_bomb(folder / "don_vi.xlsx"))


@case(RESOURCES, "many_small_entries_that_unpack_past_giai_nen_are_a_zip_limit", "LIMIT_ZIP", 10)
def _spread_bomb(tmp: Path) -> list[str]:
    extra = {f"word/media/phan{i}.bin": b"\0" * (MB - 1) for i in range(12)}
    return check_argv(document_with(tmp, {}, extra=extra), "--gioi-han", "giai_nen=10MB")


@case(RESOURCES, "docx_with_twenty_thousand_entries_is_a_zip_limit", "LIMIT_ZIP", 10)
def _many_entries(tmp: Path) -> list[str]:
    return check_argv(document_with(tmp, {}, extra={f"customXml/x{i}.bin": b"" for i in range(20_000)}))


@case(RESOURCES, "xlsx_with_a_stray_cell_at_xfd1048576_is_a_row_limit", "LIMIT_ROWS", 10)
def _stray_cell(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"cham_diem.kq.du_lieu": "diem.xlsx"})
    score_workbook(spec.parent / "diem.xlsx", stray="XFD1048576")
    return validate_argv(spec)


@case(RESOURCES, "xlsx_whose_dimension_claims_the_whole_sheet_is_read_as_stored", None, 0)
def _lying_dimension(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"cham_diem.kq.du_lieu": "diem.xlsx"})
    plain = score_workbook(spec.parent / "diem_goc.xlsx")

    def lie(xml: bytes) -> bytes:
        lying, found = re.subn(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', xml)
        assert found == 1, "openpyxl wrote no dimension to change"
        return lying

    rewrite_zip(plain, spec.parent / "diem.xlsx", {"xl/worksheets/sheet1.xml": lie})
    plain.unlink()
    return validate_argv(spec)


@case(RESOURCES, "xlsx_with_two_thousand_columns_is_a_row_limit", "LIMIT_ROWS", 10)
def _wide_sheet(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"cham_diem.kq.du_lieu": "diem.xlsx"})
    score_workbook(spec.parent / "diem.xlsx", stray="BXX2")  # column 2,000
    return validate_argv(spec)


@case(RESOURCES, "spec_of_half_a_million_lines_is_a_file_size_limit", "LIMIT_FILE_SIZE", 10)
def _long_spec(tmp: Path) -> list[str]:
    folder = fixture_copy(tmp)
    spec = folder / "spec.yaml"
    spec.write_text(spec.read_text(encoding="utf-8") + "# dòng chú thích\n" * 500_000, encoding="utf-8")
    return validate_argv(spec)


@case(RESOURCES, "data_file_over_two_megabytes_is_a_file_size_limit_that_names_tep_yaml", "LIMIT_FILE_SIZE", 10,
      says=("2 MB", "tep_yaml="))
def _big_data(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {})
    (spec.parent / "du_lieu.yaml").write_text("so_don_vi_thuoc_dien: 12\n" + "# đệm\n" * 400_000, encoding="utf-8")
    return validate_argv(spec)


@case(RESOURCES, "score_csv_of_two_hundred_thousand_rows_is_a_row_limit", "LIMIT_ROWS", 10)
def _long_csv(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {})
    table = spec.parent / "diem_xa.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    body = "\n".join(lines[1:]) + "\n"
    copies = 200_000 // (len(lines) - 1) + 1
    table.write_text(lines[0] + "\n" + body * copies, encoding="utf-8")
    return validate_argv(spec)


@case(RESOURCES, "score_csv_with_a_cell_longer_than_the_csv_field_limit_is_a_text_limit", "LIMIT_TEXT", 10)
def _long_cell(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {})
    table = spec.parent / "diem_xa.csv"
    table.write_text(table.read_text(encoding="utf-8") + '"' + "x" * 2_000_000 + "\n", encoding="utf-8")
    return validate_argv(spec)


@case(RESOURCES, "score_csv_with_a_hundred_thousand_digit_number_is_a_number_limit", "LIMIT_NUMBER", 10)
def _long_number_cell(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {})
    table = spec.parent / "diem_xa.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(";")
    cells[4] = "9" * 100_000
    lines[1] = ";".join(cells)
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return validate_argv(spec)


_ALIAS_BOMB = "".join(
    [f"a0: &a0 [{', '.join(['lol'] * 10)}]\n"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 10)]
)


@case(RESOURCES, "yaml_alias_bomb_in_the_spec_is_a_yaml_limit", "LIMIT_YAML", 10)
def _alias_spec(tmp: Path) -> list[str]:
    folder = fixture_copy(tmp)
    spec = folder / "spec.yaml"
    spec.write_text(spec.read_text(encoding="utf-8") + "bom:\n" + "".join("  " + line + "\n"
                                                                          for line in _ALIAS_BOMB.splitlines()),
                    encoding="utf-8")
    return validate_argv(spec)


@case(RESOURCES, "yaml_alias_bomb_in_a_data_file_is_a_yaml_limit", "LIMIT_YAML", 10)
def _alias_data(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {})
    (spec.parent / "du_lieu.yaml").write_text("so_don_vi_thuoc_dien: 12\n" + _ALIAS_BOMB, encoding="utf-8")
    return validate_argv(spec)


@case(RESOURCES, "yaml_alias_bomb_in_a_units_file_is_a_yaml_limit", "LIMIT_YAML", 10)
def _alias_units(tmp: Path) -> list[str]:
    folder = fixture_copy(tmp, "lo_xa_2026_01")
    units = folder / "don_vi.yaml"
    units.write_text(_ALIAS_BOMB + "don_vi: *a9\n", encoding="utf-8")
    return batch_argv(tmp, folder / "spec.yaml", units)


@case(RESOURCES, "yaml_nested_a_thousand_deep_in_the_spec_is_a_yaml_limit", "LIMIT_YAML", 10)
def _deep_spec(tmp: Path) -> list[str]:
    folder = fixture_copy(tmp)
    spec = folder / "spec.yaml"
    spec.write_text(spec.read_text(encoding="utf-8") + "sau: " + "[" * 1000 + "]" * 1000 + "\n", encoding="utf-8")
    return validate_argv(spec)


@case(RESOURCES, "yaml_nested_a_thousand_deep_in_a_data_file_is_a_yaml_limit", "LIMIT_YAML", 10)
def _deep_data(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {})
    (spec.parent / "du_lieu.yaml").write_text("so_don_vi_thuoc_dien: 12\nsau: " + "{a: " * 1000 + "1" + "}" * 1000
                                              + "\n", encoding="utf-8")
    return validate_argv(spec)


@case(RESOURCES, "million_digit_decimal_in_a_data_file_is_a_number_limit", "LIMIT_NUMBER", 10)
def _million_decimal(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {})
    (spec.parent / "du_lieu.yaml").write_text("so_don_vi_thuoc_dien: 12\nlon: 1." + "7" * 1_000_000 + "\n",
                                              encoding="utf-8")
    return validate_argv(spec)


@case(RESOURCES, "million_digit_integer_in_a_data_file_is_a_number_limit", "LIMIT_NUMBER", 10)
def _million_integer(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {})
    (spec.parent / "du_lieu.yaml").write_text("so_don_vi_thuoc_dien: 12\nlon: 1" + "0" * 1_000_000 + "\n",
                                              encoding="utf-8")
    return validate_argv(spec)


@case(RESOURCES, "exponent_of_a_million_in_a_data_file_is_a_number_limit", "LIMIT_NUMBER", 10)
def _huge_exponent(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {})
    (spec.parent / "du_lieu.yaml").write_text("so_don_vi_thuoc_dien: 12\nlon: 1.5e+999999\n", encoding="utf-8")
    return validate_argv(spec)


@case(RESOURCES, "signature_png_claiming_ten_billion_pixels_is_a_file_size_limit", "LIMIT_FILE_SIZE", 10)
def _pixel_bomb(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"nguoi_ky.chu_ky": "ky.png"})
    png_claiming(spec.parent / "ky.png", 100_000, 100_000)
    return validate_argv(spec)


@case(RESOURCES, "units_csv_of_two_hundred_thousand_rows_is_a_row_limit", "LIMIT_ROWS", 10)
def _long_units(tmp: Path) -> list[str]:
    folder = fixture_copy(tmp, "lo_xa_2026_01")
    rows = [lo_row(f"xa_{i}") for i in range(200_000)]
    return batch_argv(tmp, folder / "spec.yaml", units_csv(folder / "don_vi_dai.csv", LO_HEADER, rows))


# ----- output: a document too big for Word, LibreOffice or libxml2 is refused, and nothing is written ---------

_BIG = 10_500_000  # characters in one paragraph: past libxml2's 10,000,000 for one text node
_RAISED = ("--gioi-han", "do_dai_chuoi=20000000", "--gioi-han", "tep_yaml=50MB")


def _big_text_data(tmp: Path, characters: int) -> Path:
    spec = text_spec(tmp, "{{ dai.doan }}")
    data = read_spec(spec.parent)
    data["du_lieu"]["dai"] = "dai.yaml"
    write_spec(spec.parent, data)
    (spec.parent / "dai.yaml").write_text("doan: " + "ab" * (characters // 2) + "\n", encoding="utf-8")
    return spec


@case(OUTPUT, "ten_megabyte_paragraph_from_a_data_file_with_raised_limits_is_an_output_limit", "LIMIT_OUTPUT", 10)
def _ten_mb_data(tmp: Path) -> list[str]:
    return render_argv(tmp, _big_text_data(tmp, _BIG), *_RAISED)


@case(OUTPUT, "ten_megabyte_paragraph_made_by_spec_text_with_raised_limits_is_an_output_limit", "LIMIT_OUTPUT", 10)
def _ten_mb_text(tmp: Path) -> list[str]:
    return render_argv(tmp, text_spec(tmp, f'{{{{ "ab" * {_BIG // 2} }}}}'), *_RAISED)


@case(OUTPUT, "ten_megabyte_paragraph_made_by_a_template_with_raised_limits_is_an_output_limit", "LIMIT_OUTPUT", 10)
def _ten_mb_template(tmp: Path) -> list[str]:
    return template_attack(f'{{{{ "ab" * {_BIG // 2} }}}}', more=_RAISED)(tmp)


@case(OUTPUT, "ten_megabyte_data_file_with_default_limits_is_a_file_size_limit", "LIMIT_FILE_SIZE", 10)
def _ten_mb_default(tmp: Path) -> list[str]:
    return render_argv(tmp, _big_text_data(tmp, _BIG))


@case(OUTPUT, "paragraph_longer_than_do_dai_chuoi_with_default_limits_is_a_text_limit", "LIMIT_TEXT", 10)
def _long_default(tmp: Path) -> list[str]:
    return render_argv(tmp, _big_text_data(tmp, 1_500_000))


@case(OUTPUT, "spec_text_making_ten_megabytes_with_default_limits_is_a_text_limit", "LIMIT_TEXT", 10)
def _ten_mb_text_default(tmp: Path) -> list[str]:
    return render_argv(tmp, text_spec(tmp, f'{{{{ "ab" * {_BIG // 2} }}}}'))


@case(OUTPUT, "body_with_more_paragraphs_than_so_doan_is_a_paragraph_limit", "LIMIT_PARAGRAPHS", 10)
def _many_paragraphs(tmp: Path) -> list[str]:
    spec = text_spec(tmp, "Mở đầu.")
    data = read_spec(spec.parent)
    data["noi_dung"] = [{"gach": [f"Ý thứ {i}." for i in range(300)]}]
    write_spec(spec.parent, data)
    return render_argv(tmp, spec, "--gioi-han", "so_doan=100")


@case(OUTPUT, "document_with_more_paragraphs_than_so_doan_given_to_check_is_a_paragraph_limit",
      "LIMIT_PARAGRAPHS", 10)
def _check_paragraphs(tmp: Path) -> list[str]:
    document = tmp / "van_ban.docx"
    document.write_bytes(rendered_document())
    return check_argv(document, "--gioi-han", "so_doan=10")


# ----- named refusals: what cannot be used is said by name, and what can be decoded is decoded ------------------


def _units(content: bytes | None, name: str = "don_vi.csv", *more: str) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        folder = fixture_copy(tmp, "lo_xa_2026_01")
        units = folder / name
        if content is not None:
            units.write_bytes(content)
        return batch_argv(tmp, folder / "spec.yaml", units, *more)

    return build


_LO_TEXT = (FIXTURES / "lo_xa_2026_01" / "don_vi.csv").read_text(encoding="utf-8")
_LO_DONE = ("lo/ket_qua_lo.json", "lo/muong_phang.docx", "lo/thanh_nua.docx", "lo/na_tau.docx")
_LO_NAMES = document_contains("lo/na_tau.docx", "Ủy ban nhân dân xã Nà Tấu", "xã Nà Tấu")

add(Case("units_file_in_windows_1258_is_decoded_and_rendered", REFUSALS, _units(windows_1258(_LO_TEXT)), None, 0,
         _LO_DONE, expect=_LO_NAMES))
add(Case("units_file_in_utf_16_is_decoded_and_rendered", REFUSALS, _units(_LO_TEXT.encode("utf-16")), None, 0,
         _LO_DONE, expect=_LO_NAMES))
add(Case("units_file_in_utf_16_without_a_byte_order_mark_is_decoded_and_rendered", REFUSALS,
         _units(_LO_TEXT.encode("utf-16-le")), None, 0, _LO_DONE, expect=_LO_NAMES))
add(Case("binary_file_renamed_units_csv_is_a_file_encoding_error", REFUSALS,
         _units(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4), "FILE_ENCODING", 4))
add(Case("xlsx_renamed_units_csv_is_a_file_encoding_error", REFUSALS,
         lambda tmp: batch_argv(tmp, fixture_copy(tmp, "lo_xa_2026_01") / "spec.yaml",
                                score_workbook(tmp / "don_vi.csv")), "FILE_ENCODING", 4))
add(Case("empty_units_file_is_a_data_format_error", REFUSALS, _units(b""), "DATA_FORMAT", 4))
add(Case("header_only_units_csv_is_a_data_format_error", REFUSALS, _units(",".join(LO_HEADER).encode() + b"\n"),
         "DATA_FORMAT", 4))
add(Case("units_csv_row_with_an_extra_cell_is_a_data_format_error", REFUSALS,
         _units((_LO_TEXT + "xa_thua,xã Thừa,UBND,1,1,1,1,thua\n").encode()), "DATA_FORMAT", 4))
add(Case("units_csv_row_with_a_missing_cell_is_a_data_format_error", REFUSALS,
         _units((_LO_TEXT + "xa_thieu,xã Thiếu,UBND,1,1\n").encode()), "DATA_FORMAT", 4))
add(Case("units_csv_with_a_duplicated_column_is_a_data_format_error", REFUSALS,
         _units(_LO_TEXT.replace("tien_do", "ten", 1).encode()), "DATA_FORMAT", 4))
add(Case("units_csv_with_a_unit_code_that_climbs_out_of_the_folder_is_a_data_format_error", REFUSALS,
         _units((_LO_TEXT + "../../thoat,xã Thoát,UBND,1,1,1,1\n").encode()), "DATA_FORMAT", 4))
add(Case("units_xlsx_that_is_not_a_zip_is_a_file_zip_error", REFUSALS,
         _units(b"ma,ten\nxa,x\n", "don_vi.xlsx"), "FILE_ZIP", 4))


def _previous_report(content: bytes) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        argv = _units(None)(tmp)
        (tmp / "lo").mkdir()
        (tmp / "lo" / "ket_qua_lo.json").write_bytes(content)
        return [*argv, "--only-failed"]

    return build


add(Case("corrupt_batch_report_with_only_failed_is_a_batch_report_error", REFUSALS,
         _previous_report(b'{"don_vi": [{"ma": "na_tau", "status": "lo'), "BATCH_REPORT", 6))
add(Case("wrong_shaped_batch_report_with_only_failed_is_a_batch_report_error", REFUSALS,
         _previous_report(b'{"don_vi": {"na_tau": "loi"}}'), "BATCH_REPORT", 6))
add(Case("deeply_nested_batch_report_with_only_failed_is_a_batch_report_error", REFUSALS,
         _previous_report(b"[" * 100_000 + b"]" * 100_000), "BATCH_REPORT", 6))
add(Case("binary_batch_report_with_only_failed_is_a_batch_report_error", REFUSALS,
         _previous_report(bytes(range(256)) * 8), "BATCH_REPORT", 6))


def _broken_part(part: str) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        return check_argv(document_with(tmp, {part: lambda xml: xml[: len(xml) // 2]}))

    return build


for _part in ("word/styles.xml", "word/header1.xml", "word/_rels/document.xml.rels", "word/numbering.xml"):
    add(Case(f"docx_given_to_check_with_broken_xml_in_{_part.replace('/', '_').replace('.', '_')}_is_a_file_xml_error",
             REFUSALS, _broken_part(_part), "FILE_XML", 8))

add(Case("docx_given_to_check_with_a_page_width_written_as_text_is_a_docx_value_error", REFUSALS,
         lambda tmp: check_argv(document_with(tmp, {"word/document.xml": replace_in('w:w="11906"', 'w:w="abc"')})),
         "DOCX_VALUE", 8))
add(Case("docx_given_to_check_with_an_indent_written_as_text_is_a_docx_value_error", REFUSALS,
         lambda tmp: check_argv(document_with(tmp, {"word/document.xml": replace_in('w:firstLine="720"',
                                                                                     'w:firstLine="abc"')})),
         "DOCX_VALUE", 8))
add(Case("docx_given_to_check_with_a_page_width_written_with_decimals_is_accepted", REFUSALS,
         lambda tmp: check_argv(document_with(tmp, {"word/document.xml": replace_in('w:w="11906"',
                                                                                     'w:w="11906.5"')})), None, 0))
add(Case("docx_given_to_check_with_an_entity_declaration_is_a_file_xml_error", REFUSALS,
         lambda tmp: check_argv(document_with(tmp, {"word/styles.xml": lambda xml: xml.replace(
             b"?>", b'?><!DOCTYPE w:styles [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)})), "FILE_XML", 8))
add(Case("docx_given_to_check_that_is_not_a_zip_is_unreadable", REFUSALS,
         lambda tmp: check_argv(_write(tmp / "van_ban.docx", b"{\\rtf1 \\ansi day la rtf}")), "FILE_ZIP", 8))


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@case(REFUSALS, "output_name_over_255_bytes_is_a_path_name_error", "PATH_NAME", 6)
def _long_output(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {})
    return ["render", str(spec), "-o", str(tmp / ("bao_cáo_" * 30 + ".docx"))]


@case(REFUSALS, "spec_path_over_255_bytes_is_a_path_name_error", "PATH_NAME", 9)
def _long_spec_name(tmp: Path) -> list[str]:
    return validate_argv(tmp / ("đặc_tả_" * 30 + ".yaml"))


@case(REFUSALS, "data_path_with_a_nul_byte_is_refused_as_unprintable_text", "SPEC_VALUE", 3)
def _nul_path(tmp: Path) -> list[str]:
    folder = fixture_copy(tmp)
    spec = folder / "spec.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("huyen: du_lieu.yaml", 'huyen: "du_lieu.yaml\\0.txt"'),
                    encoding="utf-8")
    return validate_argv(spec)


@case(REFUSALS, "data_path_with_a_name_over_255_bytes_is_a_path_name_error", "PATH_NAME", 9)
def _long_data_name(tmp: Path) -> list[str]:
    return validate_argv(spec_with(tmp, {"du_lieu.huyen": "số_liệu_" * 30 + ".yaml"}))


@case(REFUSALS, "raw_control_character_in_the_spec_is_a_file_encoding_error", "FILE_ENCODING", 3)
def _control_character(tmp: Path) -> list[str]:
    folder = fixture_copy(tmp)
    spec = folder / "spec.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("dia_danh: Tủa Chùa", "dia_danh: Tủa\x07Chùa"),
                    encoding="utf-8")
    return validate_argv(spec)


@case(REFUSALS, "escaped_control_character_in_spec_text_is_a_spec_value_error", "SPEC_VALUE", 3)
def _escaped_control(tmp: Path) -> list[str]:
    folder = fixture_copy(tmp)
    spec = folder / "spec.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("dia_danh: Tủa Chùa", 'dia_danh: "Tủa\\x0bChùa\\x1b"'),
                    encoding="utf-8")
    return validate_argv(spec)


@case(REFUSALS, "khoan_with_twenty_four_diem_is_a_spec_value_error", "SPEC_VALUE", 3)
def _too_many_points(tmp: Path) -> list[str]:
    spec = text_spec(tmp, "Mở đầu.")
    data = read_spec(spec.parent)
    data["noi_dung"] = [{"khoan": "Các việc", "noi_dung": [{"diem": f"Việc thứ {i}."} for i in range(24)]}]
    write_spec(spec.parent, data)
    return validate_argv(spec)


@case(REFUSALS, "template_with_a_doctype_and_entity_is_a_file_xml_error", "FILE_XML", 5)
def _template_entity(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"mau": "mau.docx"})
    template_with_xml(spec.parent / "mau.docx", "<w:r><w:t>&xxe;</w:t></w:r>",
                      prolog='<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
    return render_argv(tmp, spec)


@case(REFUSALS, "template_with_a_billion_laughs_entity_is_a_file_xml_error", "FILE_XML", 5)
def _template_laughs(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"mau": "mau.docx"})
    entities = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    template_with_xml(spec.parent / "mau.docx", "<w:r><w:t>&l9;</w:t></w:r>",
                      prolog=f"<!DOCTYPE w:document [{entities}]>")
    return render_argv(tmp, spec)


_INCLUDETEXT = ('<w:fldSimple w:instr=" INCLUDETEXT &quot;/etc/passwd&quot; \\* MERGEFORMAT ">'
                "<w:r><w:t>x</w:t></w:r></w:fldSimple>")
_SPLIT_FIELD = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> INCLUDE'
                '</w:instrText></w:r><w:r><w:instrText xml:space="preserve">TEXT "/etc/passwd" </w:instrText></w:r>'
                '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t></w:r>'
                '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
_DDE = ('<w:fldSimple w:instr=" DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe &quot;/k calc&quot; ">'
        "<w:r><w:t>x</w:t></w:r></w:fldSimple>")
_EXTERNAL_IMAGE = ('<Relationship Id="rIdNgoai" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships/image" Target="file:///etc/passwd" TargetMode="External"/>')


def _linked_template(xml: str, rels: str = "", field: str = "mau") -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        spec = spec_with(tmp, {field: "mau.docx"})
        base = TEMPLATES / ("phu_luc/bang_chi_so.docx" if field.startswith("phu_luc") else "bao_cao/bao_cao.docx")
        template_with_xml(spec.parent / "mau.docx", xml, rels=rels, base=base)
        return render_argv(tmp, spec)

    return build


add(Case("template_with_an_includetext_field_is_a_file_link_error", REFUSALS, _linked_template(_INCLUDETEXT),
         "FILE_LINK", 5))
add(Case("template_with_an_includetext_field_split_across_runs_is_a_file_link_error", REFUSALS,
         _linked_template(_SPLIT_FIELD), "FILE_LINK", 5))
add(Case("template_with_a_ddeauto_field_is_a_file_link_error", REFUSALS, _linked_template(_DDE), "FILE_LINK", 5))
add(Case("template_with_an_external_image_relationship_is_a_file_link_error", REFUSALS,
         _linked_template("<w:r><w:t>anh</w:t></w:r>", rels=_EXTERNAL_IMAGE), "FILE_LINK", 5))
add(Case("appendix_template_with_an_includetext_field_is_a_file_link_error", REFUSALS,
         _linked_template(_INCLUDETEXT, field="phu_luc.0.tep_mau"), "FILE_LINK", 5))


_ATTACHED_TEMPLATE = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns='
                      '"http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type='
                      '"http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
                      'Target="file:////may-chu/chia-se/mau.dotm" TargetMode="External"/></Relationships>')


@case(REFUSALS, "template_with_an_external_attached_template_is_a_file_link_error", "FILE_LINK", 5)
def _attached_template(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"mau": "mau.docx"})
    rewrite_zip(TEMPLATES / "bao_cao" / "bao_cao.docx", spec.parent / "mau.docx",
                extra={"word/_rels/settings.xml.rels": _ATTACHED_TEMPLATE.encode()})
    return render_argv(tmp, spec)


def _victim_untouched(tmp: Path) -> None:
    assert (tmp / "ngoai" / "nan_nhan.docx").read_bytes() == b"khong duoc ghi de"


def _link_replaced(tmp: Path) -> None:
    _victim_untouched(tmp)
    assert not (tmp / "bc.docx").is_symlink()


@case(OUTPUT, "forced_output_onto_a_symlink_replaces_the_link_and_not_the_file_it_points_to", None, 0,
      writes=("bc.docx",), expect=_link_replaced)
def _output_symlink(tmp: Path) -> list[str]:
    ngoai = outside(tmp)
    (ngoai / "nan_nhan.docx").write_bytes(b"khong duoc ghi de")
    (tmp / "bc.docx").symlink_to(ngoai / "nan_nhan.docx")
    return render_argv(tmp, spec_with(tmp, {}), "--force")


@case(OUTPUT, "output_onto_a_symlink_without_force_is_an_existing_output", "OUTPUT_EXISTS", 6,
      expect=_victim_untouched)
def _output_symlink_kept(tmp: Path) -> list[str]:
    ngoai = outside(tmp)
    (ngoai / "nan_nhan.docx").write_bytes(b"khong duoc ghi de")
    (tmp / "bc.docx").symlink_to(ngoai / "nan_nhan.docx")
    return render_argv(tmp, spec_with(tmp, {}))


@case(REFUSALS, "docx_given_to_preview_with_an_external_image_is_a_file_link_error", "FILE_LINK", 8)
def _preview_link(tmp: Path) -> list[str]:
    document = document_with(tmp, {"word/_rels/document.xml.rels": replace_in(
        "</Relationships>", _EXTERNAL_IMAGE + "</Relationships>")})
    return ["preview", str(document), "-o", str(tmp / "anh")]


@case(REFUSALS, "score_xlsx_that_is_not_a_zip_is_a_file_zip_error", "FILE_ZIP", 4)
def _fake_xlsx(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"cham_diem.kq.du_lieu": "diem.xlsx"})
    (spec.parent / "diem.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000)  # an old .xls
    return validate_argv(spec)


@case(REFUSALS, "score_xlsx_with_an_entity_declaration_is_a_file_xml_error", "FILE_XML", 4)
def _xlsx_entity(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"cham_diem.kq.du_lieu": "diem.xlsx"})
    plain = score_workbook(spec.parent / "diem_goc.xlsx")
    doctype = b'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    rewrite_zip(plain, spec.parent / "diem.xlsx", {"xl/worksheets/sheet1.xml": lambda xml: (
        xml.replace(b"?>", b"?>" + doctype, 1) if b"?>" in xml else doctype + xml)})
    plain.unlink()
    return validate_argv(spec)


@case(REFUSALS, "empty_score_csv_is_a_data_format_error", "DATA_FORMAT", 4)
def _empty_scores(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {})
    (spec.parent / "diem_xa.csv").write_bytes(b"")
    return validate_argv(spec)


@case(REFUSALS, "empty_spec_is_a_spec_type_error", "SPEC_TYPE", 3)
def _empty_spec(tmp: Path) -> list[str]:
    return validate_argv(_write(tmp / "spec.yaml", b""))


@case(REFUSALS, "header_only_score_csv_is_a_data_format_error", "DATA_FORMAT", 4)
def _header_only_scores(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {})
    table = spec.parent / "diem_xa.csv"
    table.write_text(table.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    return validate_argv(spec)


@case(REFUSALS, "score_csv_row_with_an_extra_cell_is_a_data_format_error", "DATA_FORMAT", 4)
def _ragged_scores(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {})
    table = spec.parent / "diem_xa.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    lines[3] += ";99"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return validate_argv(spec)


@case(REFUSALS, "score_csv_row_with_a_missing_cell_is_a_data_format_error", "DATA_FORMAT", 4)
def _short_scores(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {})
    table = spec.parent / "diem_xa.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].rsplit(";", 2)[0]
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return validate_argv(spec)


@case(REFUSALS, "signature_that_is_not_a_png_is_a_spec_value_error", "SPEC_VALUE", 3)
def _fake_png(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"nguoi_ky.chu_ky": "ky.png"})
    (spec.parent / "ky.png").write_bytes(b"<svg onload='alert(1)'/>")
    return validate_argv(spec)


# ----- several signers, signature and seal images (issue 15) -------------------------------------------------


def seal_png(path: Path, size: tuple[int, int] = (60, 60)) -> Path:
    """A red ring on a transparent background: what a seal image is."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((2, 2, size[0] - 3, size[1] - 3), outline=(210, 20, 30, 255), width=4)
    image.save(path)
    return path


def jpeg_claiming(path: Path, width: int, height: int) -> Path:
    """A JPEG whose frame header (SOF0) claims ``width`` × ``height`` pixels, with nothing else of an image."""
    frame = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    path.write_bytes(b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
                     + b"\xff\xc0" + struct.pack(">H", 2 + len(frame)) + frame + b"\xff\xd9")
    return path


def _with_seal(tmp: Path, seal: str, signature: str = "ky.png") -> Path:
    """The fixture's spec with a signature image in its folder and the seal named ``seal``."""
    spec = spec_with(tmp, {"nguoi_ky.chu_ky": signature, "nguoi_ky.dau": seal})
    png(spec.parent / "ky.png")
    return spec


@case(CONFINEMENT, "seal_image_reached_through_dot_dot_is_outside", "ACCESS_OUTSIDE", 9)
def _seal_outside(tmp: Path) -> list[str]:
    seal_png(outside(tmp) / "dau.png")
    return validate_argv(_with_seal(tmp, "../ngoai/dau.png"))


@case(CONFINEMENT, "seal_image_through_a_symlink_inside_the_folder_is_outside", "ACCESS_OUTSIDE", 9)
def _seal_symlink(tmp: Path) -> list[str]:
    target = seal_png(outside(tmp) / "dau.png")
    spec = _with_seal(tmp, "lien_ket.png")
    (spec.parent / "lien_ket.png").symlink_to(target)
    return validate_argv(spec)


@case(CONFINEMENT, "seal_image_given_as_an_absolute_path_is_outside", "ACCESS_OUTSIDE", 9)
def _seal_absolute(tmp: Path) -> list[str]:
    target = seal_png(outside(tmp) / "dau.png")
    return validate_argv(_with_seal(tmp, str(target)))


@case(SPECIAL, "fifo_as_a_seal_image_is_not_a_file", "ACCESS_NOT_FILE", 9)
def _seal_fifo(tmp: Path) -> list[str]:
    spec = _with_seal(tmp, "ong.png")
    fifo(spec.parent / "ong.png")
    return validate_argv(spec)


@case(RESOURCES, "seal_png_claiming_ten_billion_pixels_is_a_file_size_limit", "LIMIT_FILE_SIZE", 10,
      says=("ảnh dấu",))
def _seal_bomb(tmp: Path) -> list[str]:
    spec = _with_seal(tmp, "dau.png")
    png_claiming(spec.parent / "dau.png", 100_000, 100_000)
    return validate_argv(spec)


@case(RESOURCES, "signature_jpeg_claiming_four_billion_pixels_is_a_file_size_limit", "LIMIT_FILE_SIZE", 10,
      says=("65.535 × 65.535",))
def _jpeg_bomb(tmp: Path) -> list[str]:
    spec = spec_with(tmp, {"nguoi_ky.chu_ky": "ky.jpg"})
    jpeg_claiming(spec.parent / "ky.jpg", 65_535, 65_535)
    return validate_argv(spec)


@case(RESOURCES, "seal_file_past_tep_anh_is_a_file_size_limit", "LIMIT_FILE_SIZE", 10, says=("tep_anh",))
def _seal_too_big(tmp: Path) -> list[str]:
    spec = _with_seal(tmp, "dau.png")
    seal_png(spec.parent / "dau.png")
    with (spec.parent / "dau.png").open("ab") as file:  # bytes after IEND: a PNG that is mostly padding
        file.write(b"\0" * (6 * MB))
    return validate_argv(spec)


@case(REFUSALS, "a_hundred_signers_are_refused_with_the_most_the_closing_holds", "SPEC_VALUE", 3,
      says=("100 người ký", "nhiều nhất 8"))
def _hundred_signers(tmp: Path) -> list[str]:
    signer = {"chuc_vu": "Chủ tịch", "ho_ten": "Nguyễn Văn An"}
    return validate_argv(spec_with(tmp, {"nguoi_ky": [dict(signer) for _ in range(100)]}))


@case(REFUSALS, "seal_as_a_jpeg_is_refused_it_would_hide_the_signature", "SPEC_VALUE", 3, says=("trong suốt",))
def _seal_jpeg(tmp: Path) -> list[str]:
    spec = _with_seal(tmp, "dau.png")
    from PIL import Image

    Image.new("RGB", (60, 60), "red").save(spec.parent / "dau.png", format="JPEG")  # a JPEG named .png
    return validate_argv(spec)


@case(REFUSALS, "several_signers_with_a_template_that_prints_one_are_refused", "TEMPLATE_SIGNERS", 5)
def _one_signer_template(tmp: Path) -> list[str]:
    from docx import Document

    signers = [{"quyen_han": "TM.", "thay": "Ủy ban nhân dân", "chuc_vu": "Chủ tịch", "ho_ten": "Lường Tuấn Anh"},
               {"co_quan": {"ten": "ỦY BAN MTTQ VIỆT NAM HUYỆN TỦA CHÙA", "viet_tat": "MTTQ"},
                "chuc_vu": "Chủ tịch", "ho_ten": "Lò Thị Bình"}]
    spec = spec_with(tmp, {"nguoi_ky": signers, "mau": "mau_cu.docx"})
    document = Document()
    document.add_paragraph("{{ van_ban.nguoi_ky.ho_ten }}")
    document.save(str(spec.parent / "mau_cu.docx"))
    return render_argv(tmp, spec)


for _path in ("van_ban.hang_ky[0].phai.chu_ky", "van_ban.cac_nguoi_ky[0].chu_ky"):
    _short_path = _path.split(".")[1].split("[")[0]
    add(Case(f"template_saving_a_file_through_the_signature_of_{_short_path}_is_a_sandbox_access", SANDBOX,
             template_attack(f"{{{{ {_path}.tpl.save('{{tmp}}/bi_ghi.docx') }}}}", signature=True),
             "SANDBOX_ACCESS", 5))
    add(Case(f"template_reaching_the_drawing_maker_of_{_short_path}_through_attr_is_a_sandbox_access", SANDBOX,
             template_attack(f"{{{{ ({_path} | attr('_Drawing__make')).__globals__ }}}}", signature=True),
             "SANDBOX_ACCESS", 5))
