"""Turn a validated spec and its data into the plain, display-ready dict the templates see.

Everything a template prints is decided here, in plain Python: the "Số: 05/BC-UBND" line, the
date line with Nghị định 30's leading zeros, Kính gửi and Nơi nhận with their dashes and
closing punctuation, heading numbers (I., 1., 1.1., a)) and the spec's ``{{ … }}`` text
expressions evaluated against the data. The templates only place and style these strings.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

import jinja2

from engine.blocks import Notes, chart_block, collect_notes, picture
from engine.blocks import table as body_table
from engine.errors import LimitError, Location, Problem, SpecError
from engine.inline import NOTE_OPEN, is_look_marker, mark_markup
from engine.kinds import KINDS
from engine.render.environment import (
    SandboxLimit,
    SandboxViolation,
    bounded_value,
    compile_text,
    compile_value,
    python_message,
    sandbox_budget,
)
from engine.render.messages import jinja_message
from engine.render.runs import styled
from engine.spec import models
from engine.spec.loader import LoadedSpec, dotted_path
from engine.trust.images import ROLES, checked_image
from engine.trust.limits import current_limits
from engine.vn.dates import BLANK, place_and_date
from engine.vn.numbers import roman, two_digits
from engine.vn.text import nfc, upper_vi

# Vietnamese alphabet order for điểm a), b), c), d), đ), … (Nghị định 30, Phụ lục I, II.6.đ).
DIEM_LETTERS = "a b c d đ e g h i k l m n o p q r s t u v x y".split()

# Blank number in a draft: room for the văn thư to write it by hand ("Số:      /BC-UBND").
BLANK_NUMBER = BLANK


@dataclass(frozen=True)
class SignatureImage:
    """A signature picture to place between the chức vụ and the name (made into a drawing at render).

    It holds the checked bytes of the image (PNG or JPEG), never a path or a file: the template sees
    only the drawing the render layer makes of it. ``seal``: the agency's seal drawn over the left
    third of the signature (Nghị định 30, Phụ lục I, II.8.a), if the spec gives one.
    """

    png: bytes  # the image's bytes (a PNG, or a JPEG for a scanned signature)
    name: str
    width_mm: float = 40.0
    seal: SealImage | None = None


@dataclass(frozen=True)
class SealImage:
    """A seal picture (a PNG with transparency) at its true size, laid over the signature it goes with."""

    png: bytes
    name: str
    width_mm: float = 36.0


SIGNATURE_WIDTH_MM = 40.0  # a signature as printed: about the width of the name under it
SEAL_WIDTH_MM = 36.0  # a common diameter of an office's round seal (unverified; give the seal's own with 'rong')


def build_context(loaded: LoadedSpec, data: dict[str, Any], *, unavailable: frozenset[str] = frozenset()
                  ) -> dict[str, Any]:
    """Build the render context: ``van_ban`` (the document) plus each data set by name.

    ``unavailable``: declared names that could not be made; text using them is left empty, unreported.
    """
    spec = loaded.spec
    kind = KINDS[spec.loai]
    data = {**data, **period_names(loaded)}
    van_ban: dict[str, Any] = {
        "loai": spec.loai,
        "ten_loai": kind.ten_loai or "",
        "so": two_digits(spec.so) if spec.so is not None else "",
        "ky_hieu": spec.symbol(),
        "so_ky_hieu": number_line(spec),
        "dia_danh": spec.dia_danh,
        "ngay": spec.date,
        "dia_danh_ngay": place_and_date(spec.dia_danh, spec.date),
        "co_quan_chu_quan": upper_vi(spec.co_quan_chu_quan) if spec.co_quan_chu_quan else "",
        "co_quan_ban_hanh": agencies_line(spec),
        "cac_co_quan": [upper_vi(agency.ten) for agency in spec.agencies],
    }
    wrong: list[Problem] = []
    expr = Expressions(loaded, {**data, "van_ban": dict(van_ban)}, wrong, unavailable)
    try:
        expr.notes = Notes(collect_notes(spec.noi_dung, ("noi_dung",), expr))
    except SpecError as error:
        wrong.extend(error.problems)
        expr.notes = Notes({})
    trich_yeu = expr.text(spec.trich_yeu, ("trich_yeu",)) if spec.trich_yeu else ""
    van_ban["trich_yeu"] = styled(trich_yeu)
    # A công văn has no tên loại: its trích yếu is the "V/v …" line under the number.
    van_ban["vv"] = styled(f"V/v {trich_yeu}") if trich_yeu and not kind.ten_loai else ""

    recipients = [expr.text(r, ("kinh_gui", i)) for i, r in enumerate(spec.kinh_gui)]
    van_ban["kinh_gui_mot"] = styled(recipients[0]) if len(recipients) == 1 else ""
    van_ban["kinh_gui_nhieu"] = [styled(r) for r in dash_list(recipients)] if len(recipients) > 1 else []
    van_ban["can_cu"] = [styled(c) for c in closing_list([expr.text(c, ("can_cu", i))
                                                          for i, c in enumerate(spec.can_cu)])]
    van_ban["noi_dung"] = _bounded_paragraphs(_blocks(spec.noi_dung, ("noi_dung",), expr, parent_number=""), loaded)
    van_ban["noi_nhan"] = [styled(line) for line in noi_nhan_lines(_recipients(spec.noi_nhan.cac_noi, expr),
                                                                    spec.noi_nhan.luu)]
    signers = [signer(one, loaded, path=("nguoi_ky", i) if isinstance(spec.nguoi_ky, list) else ("nguoi_ky",),
                      lead=spec.co_quan_ban_hanh)
               for i, one in enumerate(spec.signers)]
    van_ban["nguoi_ky"] = signers[0]  # the one signer of most documents (and the first of several)
    van_ban["cac_nguoi_ky"] = signers
    van_ban["nhieu_nguoi_ky"] = len(signers) > 1
    van_ban["hang_ky"] = signature_rows(signers)
    try:
        van_ban["dinh_kem"] = expr.notes.finish(expr)  # pictures, charts and footnotes: parts of the package
    except SpecError as error:
        wrong.extend(error.problems)
    if wrong:
        raise SpecError(wrong)  # every wrong expression of the text at once
    return {**data, "van_ban": van_ban}


def period_names(loaded: LoadedSpec) -> dict[str, Any]:
    """``ky`` (the spec's reporting period) for text and templates, when the spec names one."""
    period = loaded.spec.period
    return {"ky": period} if period is not None else {}


def _bounded_paragraphs(blocks: Any, loaded: LoadedSpec) -> list[dict[str, Any]]:
    limits = current_limits()
    paragraphs: list[dict[str, Any]] = []
    for block in blocks:
        paragraphs.append({key: styled(value) if isinstance(value, str) and key != "kieu" else value
                           for key, value in block.items()})
        if len(paragraphs) > limits.so_doan:
            raise LimitError(Problem("LIMIT_PARAGRAPHS", f"thân văn bản có hơn {limits.describe('so_doan')} đoạn",
                                     loaded.source.location(("noi_dung",), field="noi_dung"),
                                     hint="Đưa bảng số liệu vào phụ lục; nếu đúng là cần, nâng giới hạn so_doan."))
    return paragraphs


def number_line(spec: models.Spec) -> str:
    """The "Số: 205/BC-UBND" line, with a hand-fill gap when the number is still blank."""
    number = two_digits(spec.so) if spec.so is not None else BLANK_NUMBER
    return f"Số: {number}/{spec.symbol()}"


def _strip_end(text: str) -> str:
    """The text without its closing spaces and ";", ".", "," (a loop: the regex for this is quadratic on long runs).

    A look's marker at the end (engine.inline: "**Lưu:**" ends bold) stays, after the text it closes.
    """
    end = len(text)
    kept: list[str] = []
    while end and (text[end - 1].isspace() or text[end - 1] in ";.," or is_look_marker(text[end - 1])):
        if is_look_marker(text[end - 1]):
            kept.append(text[end - 1])
        end -= 1
    return text[:end] + "".join(reversed(kept))


def closing_list(items: list[str]) -> list[str]:
    """End every item with ";" and the last with "." (căn cứ lines, Nghị định 30 II.6.a)."""
    items = [_strip_end(i) for i in items]
    return [i + (";" if n < len(items) - 1 else ".") for n, i in enumerate(items)]


def dash_list(items: list[str]) -> list[str]:
    """Several Kính gửi addressees: "- X;" each, the last ending "."."""
    return ["- " + re.sub(r"^[-–]\s*", "", i) for i in closing_list(items)]


def noi_nhan_lines(recipients: list[str | tuple[str, list[str]]], storage_units: list[str]) -> list[str]:
    """Nơi nhận lines "- X;" ending with "- Lưu: VT, <units>." (Nghị định 30, II.9.d).

    A sub-heading (given as ``(heading, items)``, e.g. "Gửi bản điện tử") is its own line ending ":", with no dash
    and none of the items' punctuation; its items follow it, each "- X;" like any other. The "." goes on the very
    last line, the "Lưu" line, after every group.
    """
    lines: list[tuple[bool, str]] = []  # (is a sub-heading, text)
    for recipient in recipients:
        if isinstance(recipient, tuple):
            heading, items = recipient
            lines.append((True, heading))
            lines.extend((False, item) for item in items)
        else:
            lines.append((False, recipient))
    lines.append((False, "Lưu: " + ", ".join(["VT", *storage_units])))
    items = iter(dash_list([text for heading, text in lines if not heading]))
    return [_sub_heading(text) if heading else next(items) for heading, text in lines]


def _sub_heading(text: str) -> str:
    """A Nơi nhận sub-heading as printed: no dash, no item punctuation, one ":" at the end."""
    return re.sub(r"^[-–]\s*", "", text).rstrip().rstrip(";.,: \t") + ":"


def _recipients(items: list[Any], expr: Expressions) -> list[str | tuple[str, list[str]]]:
    """The spec's Nơi nhận items with their expressions evaluated: text, or (sub-heading, its items)."""
    out: list[str | tuple[str, list[str]]] = []
    for i, item in enumerate(items):
        if isinstance(item, models.NhomNoiNhan):
            here = ("noi_nhan", "cac_noi", i)
            out.append((expr.text(item.tieu_de, here),
                        [expr.text(r, (*here, j)) for j, r in enumerate(item.cac_noi)]))
        else:
            out.append(expr.text(item, ("noi_nhan", "cac_noi", i)))
    return out


def agencies_line(spec: models.Spec) -> str:
    """The issuing body's name as printed in the header; a joint document's bodies one under another.

    Each name keeps its own line breaks; the names of a joint document are joined by " - " at the end of
    each body's last line, the form of the one-line "BỘ TÀI CHÍNH - BỘ NỘI VỤ" (a no-break space before the
    dash, so that a line that wraps never leaves the dash alone).
    """
    return "\u00a0-\n".join(upper_vi(agency.ten) for agency in spec.agencies)


def signature_rows(signers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Several signature blocks two to a row: the first of each pair on the right, the next on the left.

    The first signer (the issuing body's) stands where a single signer stands, on the right; a last one
    alone keeps to the right. Nghị định 30 gives no layout for several signers: this is the layout of
    joint documents, the lead body on the right (docs/spec.md, "Nhiều người ký").
    """
    return [{"phai": signers[i], "trai": signers[i + 1] if i + 1 < len(signers) else None}
            for i in range(0, len(signers), 2)]


def signer(nguoi_ky: models.NguoiKy, loaded: LoadedSpec, *, path: tuple[Any, ...] = ("nguoi_ky",),
           lead: models.CoQuan | None = None) -> dict[str, Any]:
    """The signature block: quyền hạn line, chức vụ, optional signature (and seal) image and name."""
    authority = f"{nguoi_ky.quyen_han} {upper_vi(nguoi_ky.thay)}" if nguoi_ky.quyen_han else ""
    image = None
    if nguoi_ky.chu_ky:
        seal = None
        if nguoi_ky.dau:
            data, name = _image(nguoi_ky.dau, loaded, (*path, "dau"), role="dau")
            seal = SealImage(data, name, nguoi_ky.dau.rong or SEAL_WIDTH_MM)
        data, name = _image(nguoi_ky.chu_ky, loaded, (*path, "chu_ky"), role="chu_ky")
        image = SignatureImage(data, name, nguoi_ky.chu_ky.rong or SIGNATURE_WIDTH_MM, seal)
    agency = nguoi_ky.co_quan or lead
    return {
        "quyen_han": authority,
        "chuc_vu": upper_vi(nguoi_ky.chuc_vu) if nguoi_ky.chuc_vu else "",
        "ho_ten": nguoi_ky.ho_ten,
        "chu_ky": image,
        "co_quan": upper_vi(agency.ten) if agency else "",
    }


_IMAGE_SUFFIXES = {"chu_ky": (".png", ".jpg", ".jpeg"), "dau": (".png",)}


def _image(image: models.AnhKy, loaded: LoadedSpec, path: tuple[Any, ...], *, role: str) -> tuple[bytes, str]:
    """The checked bytes of a signature or seal image the spec names, read through engine.trust."""
    where = loaded.source.location((*path, "tep"), field=dotted_path(path))
    what = ROLES[role]
    if not image.tep.lower().endswith(_IMAGE_SUFFIXES[role]):
        kinds = "tệp PNG" if role == "dau" else "tệp PNG hoặc JPEG"
        raise SpecError(Problem("SPEC_VALUE", f"{what} '{image.tep[:120]}' phải là {kinds}", where,
                                hint="Lưu ảnh dạng PNG nền trong suốt (Nghị định 30, Phụ lục I, II.7.d và II.8.a)."))
    file = loaded.access.read(image.tep, where=where, role="anh")
    return checked_image(file.data, where, role=role).data, file.name


# ----- body -----------------------------------------------------------------------------


def heading_number(level: str, index: int, parent_number: str) -> str:
    """The number the engine gives the ``index``-th heading of ``level`` under a parent numbered ``parent_number``."""
    if level == "muc":
        return f"{roman(index)}."
    if level == "khoan":
        return f"{index}."
    if level == "tieu_khoan":
        # "2.1." under khoản 2; a tiểu khoản with no khoản above it counts on its own.
        base = parent_number.rstrip(".")
        return f"{base}.{index}." if base.isdigit() else f"{index}."
    if index > len(DIEM_LETTERS):
        raise ValueError(f"điểm thứ {index}: một khoản chỉ có {len(DIEM_LETTERS)} điểm, từ a) đến y) "
                         "(Nghị định 30 đánh điểm bằng chữ cái tiếng Việt)")
    return f"{DIEM_LETTERS[index - 1]})"


def _blocks(blocks: list[Any], path: tuple[Any, ...], expr: Expressions, parent_number: str):
    counters: dict[str, int] = {}
    for i, block in enumerate(blocks):
        here = (*path, i)
        if isinstance(block, models.Doan):
            yield {"kieu": "doan", "tieu_de": "", "noi_dung": expr.text(block.doan, (*here, "doan"))}
        elif isinstance(block, models.ChuThich):
            continue  # footnotes print where the text refers to them
        elif isinstance(block, (models.Bang, models.Anh, models.BieuDo)):
            made = _body_block(block, here, expr)
            if made is not None:  # a body block stands where a body paragraph would (engine.render.runs)
                yield {"kieu": "doan", "khoi": made[0], "tieu_de": "", "noi_dung": made[1]}
        elif isinstance(block, (models.Gach, models.Cong)):
            key, mark = ("gach", "-") if isinstance(block, models.Gach) else ("cong", "+")
            for j, item in enumerate(getattr(block, key)):
                text = expr.text(item, (*here, key, j) if len(getattr(block, key)) > 1 else (*here, key))
                yield {"kieu": "doan", "tieu_de": "", "noi_dung": f"{mark} {text}"}
        else:
            level = block.level
            counters[level] = counters.get(level, 0) + 1
            try:
                number = block.so or heading_number(level, counters[level], parent_number)
            except ValueError as exc:
                hint = "Chia thành nhiều khoản, hoặc ghi số đề mục bằng tay ('so: …')."
                raise SpecError(Problem("SPEC_VALUE", str(exc), expr.where((*here, level)), hint=hint)) from None
            title = expr.text(block.title, (*here, level))
            after = expr.text(block.doan, (*here, "doan")) if block.doan else ""
            # A heading may be only a number ("1." followed by its paragraph on the same line).
            yield {
                "kieu": level,
                "tieu_de": f"{number} {title}" if title else number,
                "noi_dung": f" {after}" if after else "",
            }
            yield from _blocks(block.noi_dung, (*here, "noi_dung"), expr, number)


def _body_block(block: Any, here: tuple[Any, ...], expr: Expressions) -> tuple[str, Any] | None:
    """A table, a picture or a chart as the block the template prints; a wrong one is collected, like text."""
    notes = expr.notes
    attachments = notes.attachments if notes is not None else None
    try:
        if isinstance(block, models.Bang):
            return "bang", body_table(block.bang, (*here, "bang"), expr, notes)
        if attachments is None:
            return None
        if isinstance(block, models.Anh):
            return "anh", picture(block.anh, (*here, "anh"), expr, attachments, notes)
        chart = chart_block(block.bieu_do, (*here, "bieu_do"), expr, attachments, notes)
        return ("bieu_do", chart) if chart is not None else None
    except _Unavailable:
        return None
    except SpecError as error:
        if expr.collected is None:
            raise
        expr.collected.extend(error.problems)
        return None


# ----- spec text expressions ------------------------------------------------------------


class _Unavailable(Exception):
    """An expression used a name that could not be made (its reason is reported elsewhere)."""


class Expressions:
    """Evaluate ``{{ … }}`` in spec text against the data, with errors at the spec line."""

    def __init__(self, loaded: LoadedSpec, names: dict[str, Any], collected: list[Problem] | None = None,
                 unavailable: frozenset[str] = frozenset(), notes: Notes | None = None):
        self.loaded = loaded
        # The document's footnotes (engine.blocks.Notes): a [^ten] in text gets its number; without them (a phụ
        # lục's text) a reference is an error.
        self.notes = notes
        self.names = names
        # When a list is given, a wrong expression in text is added to it and the text left empty, so that
        # every wrong expression of the spec is reported in one run (the caller raises them together).
        self.collected = collected
        # Names the spec declares but that could not be made (a data file that cannot be read): text that
        # uses them is left empty without a problem of its own, the reason is already reported.
        self.unavailable = unavailable

    def extended(self, names: dict[str, Any]) -> Expressions:
        """The same expressions with more names (a table row's ``dong`` and ``stt``)."""
        return Expressions(self.loaded, {**self.names, **names}, self.collected, self.unavailable, self.notes)

    def where(self, path: tuple[Any, ...]) -> Location:
        return self.loaded.source.location(path, field=dotted_path(path))

    def value(self, source: str, path: tuple[Any, ...]) -> Any:
        """Evaluate one expression ("kq.xep_hang", with or without {{ }}) to its value, not text."""
        expression = source.strip().removeprefix("{{").removesuffix("}}").strip()

        def evaluate() -> Any:
            result = compile_value(expression)(**self.names)
            if isinstance(result, jinja2.Undefined):
                result._fail_with_undefined_error()
            return bounded_value(result)

        return self._guarded(evaluate, path)

    def text(self, source: str, path: tuple[Any, ...]) -> str:
        """The spec text ``source`` with its expressions evaluated: marked text (engine.inline) of its markup."""
        source = mark_markup(source)
        try:
            if "{{" not in source and "{%" not in source:
                return self._numbered(source, path)
            return self._numbered(self._guarded(lambda: bounded_value(nfc(compile_text(source).render(self.names))),
                                                path), path)
        except _Unavailable:
            return ""
        except SpecError as error:
            if self.collected is None:
                raise
            self.collected.extend(error.problems)
            return ""

    def _numbered(self, marked: str, path: tuple[Any, ...]) -> str:
        if NOTE_OPEN not in marked:
            return marked
        if self.notes is None:
            raise SpecError(Problem("SPEC_VALUE", "chú thích cuối trang ([^…]) chỉ dùng trong văn bản chính, không "
                                    "trong phụ lục", self.where(path), hint="Ghi chú thích của phụ lục ở 'sau' "
                                                                            "(các dòng dưới bảng)."))
        return self.notes.resolve(marked, self.where(path))

    def _guarded(self, action: Any, path: tuple[Any, ...]) -> Any:
        where = self.where(path)
        try:
            with sandbox_budget():
                return action()
        except SandboxViolation as exc:
            raise SpecError(Problem(exc.code, exc.message, where, hint=exc.hint)) from None
        except SandboxLimit as exc:
            raise LimitError(Problem(exc.code, exc.message, where,
                                     hint=f"Sửa biểu thức; nếu đúng là cần, nâng giới hạn {exc.limit}." if exc.limit
                                     else "Sửa biểu thức.")) from None
        except RecursionError:
            raise LimitError(Problem("LIMIT_DEPTH", "biểu thức gọi lồng nhau quá sâu", where)) from None
        except jinja2.TemplateSyntaxError as exc:
            raise SpecError(Problem(
                "SPEC_EXPRESSION", f"biểu thức sai cú pháp: {jinja_message(exc.message)}", where,
                hint="Biểu thức viết dạng {{ ten_du_lieu.truong | so(2) }}.",
            )) from None
        except jinja2.UndefinedError as exc:
            missing = re.search(r"'([^']+)' is undefined", str(exc.message or exc))
            if missing and missing[1] in self.unavailable:
                raise _Unavailable from None
            message, hint = self._undefined(exc)
            raise SpecError(Problem("SPEC_EXPRESSION", message, where, hint=hint)) from None
        except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError, jinja2.TemplateError) as exc:
            raise SpecError(Problem(
                "SPEC_EXPRESSION", f"không tính được biểu thức: {python_message(exc)}", where,
            )) from None

    def _undefined(self, exc: jinja2.UndefinedError) -> tuple[str, str]:
        raw = str(exc.message or exc)
        m = re.search(r"'([^']+)' is undefined", raw)
        if m:
            name = m[1]
            known = sorted(self.names)
            guess = difflib.get_close_matches(name, known, n=1) if len(name) <= 64 else []
            if name == "ky":
                return ("biểu thức dùng kỳ báo cáo 'ky' nhưng đặc tả chưa ghi kỳ",
                        "Thêm một dòng 'ky: tháng 4 năm 2023' (hoặc quý, 6 tháng, năm, khoảng ngày) vào đặc tả.")
            hint = f"Có phải ý bạn là '{guess[0]}'? " if guess else ""
            return (f"biểu thức dùng '{name}' nhưng không có dữ liệu tên này",
                    hint + f"Các tên có: {', '.join(known)} (khai trong 'du_lieu').")
        m = re.search(r"has no attribute '([^']+)'", raw)
        if m:
            return (f"biểu thức dùng trường '{m[1]}' nhưng dữ liệu không có trường này",
                    "Kiểm tra tên trường trong tệp dữ liệu.")
        return (f"biểu thức dùng giá trị không có ({raw})", "Kiểm tra tên dữ liệu và tên trường.")


__all__ = ["build_context", "heading_number", "period_names", "Expressions", "SignatureImage", "SealImage",
           "number_line", "closing_list", "dash_list", "noi_nhan_lines", "agencies_line", "signature_rows"]
