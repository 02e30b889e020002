"""Turn an official document (.docx) into the spec and data files that render it again: last month as the start.

:func:`recover` reads the page (engine.recover.document), its body blocks (engine.recover.body) and its
tables (engine.recover.tables), names the reporting period once (``ky:``) and puts each number that is a
figure of a recovered table back as the expression that prints it (engine.recover.figures). The result
is plain data and bytes; the CLI (``vanban init --from``) writes them. What the document could not say
(a blank field, a table the engine cannot lay out in the body, an ambiguous number) is said in
:attr:`Recovery.notes` and as comments in the spec.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import EngineError
from engine.kinds import KINDS
from engine.recover.body import read_blocks
from engine.recover.document import Parts, read_parts
from engine.recover.figures import (
    Text,
    figure_candidates,
    find_period,
    index_candidates,
    period_forms,
    replace_figures,
    replace_period,
)
from engine.recover.tables import RecoveredTable, recover_table
from engine.recover.writer import dump_spec
from engine.vn.periods import Period
from engine.vn.text import nfc_tree

__all__ = ["Recovery", "recover"]

Path_ = tuple[str | int, ...]
# The spec fields whose text is evaluated as an expression (engine.context, engine.appendix).
_TEXT_LEAVES = ("trich_yeu", "kinh_gui", "can_cu", "doan", "gach", "cong", "muc", "khoan", "tieu_khoan", "diem",
                "cac_noi", "tieu_de", "nhan", "gia_tri", "sau", "ghi_chu")


@dataclass
class Recovery:
    """A recovered spec (plain data, in the order a clerk reads it), the data files beside it, what to check."""

    spec: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    comments: dict[Path_, str] = field(default_factory=dict)
    period: Period | None = None  # the period the document reports on

    def yaml(self, *, source: str = "") -> str:
        header = (f"Đặc tả khôi phục từ {source} (vanban init --from).\n" if source else
                  "Đặc tả khôi phục từ một văn bản (vanban init --from).\n")
        header += "Kiểm tra: vanban validate; dựng: vanban render. Các dòng '# ' dưới đây nói điều văn bản không ghi."
        return dump_spec(self.spec, comments=self.comments, header=header)


def _frameworks(extra: tuple[Any, ...]) -> tuple[list[Any], list[Any]]:
    from engine.scoring.loader import load_framework, shipped_frameworks
    from engine.scoring.models import CriteriaFramework, IndexFramework

    frameworks = [load_framework(name) for name in shipped_frameworks()] + list(extra)
    return ([f for f in frameworks if isinstance(f, IndexFramework)],
            [f for f in frameworks if isinstance(f, CriteriaFramework)])


def _framework_named_in(texts: list[str], frameworks: list[Any]) -> Any | None:
    """The index framework whose own decision the document cites ("459/QĐ-UBND"), most specific first."""
    joined = " ".join(texts)
    for framework in frameworks:
        for basis in framework.can_cu[:1]:
            number = re.search(r"\d+/[A-ZĐ][A-ZĐa-zđ0-9-]*", basis)
            if number and number[0] in joined:
                return framework
    return None


class _Builder:
    def __init__(self, parts: Parts, *, name: str, frameworks: tuple[Any, ...]) -> None:
        self.parts = parts
        self.name = name
        self.notes = list(parts.notes)
        self.comments: dict[Path_, str] = {}
        self.files: dict[str, bytes] = {}
        self.index_frameworks, self.criteria_frameworks = _frameworks(frameworks)
        self.co_abbreviations: list[str] = []  # a joint document's other bodies' abbreviations, from its ký hiệu

    # -- the document's own fields ---------------------------------------------------------------------------

    def spec(self) -> dict[str, Any]:
        parts = self.parts
        kind = parts.kind or self._kind_from_symbol() or "bao_cao"
        if parts.kind is None:
            self.notes.append(f"không thấy tên loại văn bản: ghi loai: {kind}")
        spec: dict[str, Any] = {"loai": kind}
        if parts.parent_agency:
            spec["co_quan_chu_quan"] = parts.parent_agency if len(parts.parent_agency) > 1 else parts.parent_agency[0]
        agency: dict[str, Any] = {"ten": parts.agency or [""]}
        if not parts.agency:
            self.comments[("co_quan_ban_hanh",)] = "văn bản không ghi tên cơ quan ban hành: điền vào"
        spec["co_quan_ban_hanh"] = agency
        self._symbol(spec, kind, agency)
        spec["so"] = parts.number
        spec["dia_danh"] = parts.place or ""
        if not parts.place:
            self.comments[("dia_danh",)] = "văn bản không ghi địa danh (dòng 'địa danh, ngày …'): điền vào"
        if parts.date is None:
            spec["ngay"] = None
            self.comments[("ngay",)] = "văn bản không ghi ngày: điền năm (và ngày, tháng khi ban hành)"
        else:
            year, month, day = parts.date
            date: dict[str, int] = {"nam": year}
            if month is not None:
                date["thang"] = month
            if day is not None:
                date["ngay"] = day
            spec["ngay"] = date
        if parts.subject:
            spec["trich_yeu"] = parts.subject
        elif KINDS[kind].ten_loai:
            spec["trich_yeu"] = ""
            self.comments[("trich_yeu",)] = "không thấy trích yếu dưới tên loại: điền vào"
        if parts.recipients:
            spec["kinh_gui"] = parts.recipients if len(parts.recipients) > 1 else parts.recipients[0]
        if parts.bases:
            spec["can_cu"] = parts.bases
        spec["noi_dung"] = [block.as_spec() for block in read_blocks(parts.body)]
        spec["noi_nhan"] = {"cac_noi": [{"tieu_de": item[0], "cac_noi": item[1]} if isinstance(item, tuple) else item
                                        for item in parts.distribution], "luu": parts.storage or []}
        for index, item in enumerate(parts.distribution):
            if isinstance(item, tuple) and not item[1]:
                self.comments[("noi_nhan", "cac_noi", index)] = "nhóm không có nơi nào dưới dòng tiêu đề: điền vào"
        if parts.storage is None:
            self.comments[("noi_nhan",)] = "văn bản không có dòng 'Lưu: VT, …'; chương trình luôn in 'Lưu: VT'"
        spec["nguoi_ky"] = self._signers()
        return spec

    def _kind_from_symbol(self) -> str | None:
        symbol = self.parts.symbol or ""
        head = symbol.split("-", 1)[0]
        for name, kind in KINDS.items():
            if kind.viet_tat and kind.viet_tat == head:
                return name
        return "cong_van" if symbol and "-" in symbol else None

    def _symbol(self, spec: dict[str, Any], kind: str, agency: dict[str, Any]) -> None:
        symbol = self.parts.symbol
        abbreviation = KINDS[kind].viet_tat
        if not symbol:
            self.comments[("co_quan_ban_hanh",)] = ("văn bản không có dòng 'Số: …/…': ghi viet_tat (chữ viết tắt của "
                                                    "cơ quan, ví dụ UBND) để lập ký hiệu")
            agency["viet_tat"] = ""
            return
        pieces = symbol.split("-")
        bodies = len(self.parts.co_agencies)
        # A joint document's ký hiệu names every body, the lead first: BC-UBND-MTTQ, UBND-MTTQ-VP.
        if bodies and abbreviation and len(pieces) == 2 + bodies and pieces[0] == abbreviation:
            agency["viet_tat"], self.co_abbreviations = pieces[1], pieces[2:]
            return
        if bodies and abbreviation is None and len(pieces) == 2 + bodies:
            agency["viet_tat"], self.co_abbreviations = pieces[0], pieces[1:-1]
            spec["don_vi_soan_thao"] = pieces[-1]
            return
        if abbreviation and len(pieces) >= 2 and pieces[0] == abbreviation:
            agency["viet_tat"] = "-".join(pieces[1:])
        elif abbreviation is None and len(pieces) == 2:
            agency["viet_tat"] = pieces[0]
            spec["don_vi_soan_thao"] = pieces[1]
        else:
            spec["ky_hieu"] = symbol
            agency["viet_tat"] = pieces[-1] if len(pieces) > 1 else pieces[0]

    def _signers(self) -> dict[str, Any] | list[dict[str, Any]]:
        """One signer as a mapping; several as a list, the others with the bodies the header names after the first."""
        signers = self.parts.signers
        if len(signers) <= 1:
            return self._signer(self.parts.signer, ("nguoi_ky",))
        out = [self._signer(signer, ("nguoi_ky", index)) for index, signer in enumerate(signers)]
        bodies = self.parts.co_agencies
        if bodies and len(bodies) == len(signers) - 1:
            abbreviations = self.co_abbreviations or [""] * len(bodies)
            for index, (body, abbreviation) in enumerate(zip(bodies, abbreviations, strict=True), start=1):
                co_quan = {"ten": body if len(body) > 1 else body[0], "viet_tat": abbreviation}
                out[index] = {"co_quan": co_quan, **out[index]}
                if not abbreviation:
                    self.comments[("nguoi_ky", index)] = "ghi viet_tat của cơ quan phối hợp (để lập ký hiệu)"
        elif bodies:
            self.notes.append(f"đầu văn bản có {len(bodies) + 1} cơ quan nhưng có {len(signers)} khối chữ ký: ghi "
                              "'co_quan' của từng người ký cơ quan phối hợp")
        return out

    def _signer(self, signer: Any, path: Path_) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if signer is None:
            self.comments[path] = "không thấy khối chữ ký: điền chức vụ và họ tên người ký"
            return {"chuc_vu": "", "ho_ten": ""}
        if signer.authority:
            out["quyen_han"] = signer.authority
            out["thay"] = signer.on_behalf or ""
        if signer.title or not signer.authority:
            out["chuc_vu"] = signer.title or ""
        out["ho_ten"] = signer.name or ""
        if not signer.name:
            self.comments[path] = "không thấy họ tên người ký (dòng cuối khối chữ ký): điền vào"
        return out

    # -- phụ lục and tables ------------------------------------------------------------------------------------

    def appendices(self, spec: dict[str, Any]) -> None:
        texts = [line.text for line in self.parts.body] + [self.parts.subject or ""] + self.parts.bases
        ranking = _framework_named_in(texts, self.index_frameworks) or next(
            (f for f in self.index_frameworks if f.ma == "qd766"), None)
        entries: list[dict[str, Any]] = []
        scoring: dict[str, Any] = {}
        data_sets: dict[str, str] = {}
        for index, appendix in enumerate(self.parts.appendices, start=1):
            entry: dict[str, Any] = {}
            if appendix.table is None:
                self.notes.append(f"{appendix.label}: không có bảng, bỏ qua (phụ lục của đặc tả là một bảng)")
                continue
            table = recover_table(appendix.table, name=f"phu_luc_{index}", index_frameworks=self.index_frameworks,
                                  criteria_frameworks=self.criteria_frameworks, ranking_framework=ranking,
                                  widths=appendix.widths)
            self._add_table(table, scoring, data_sets, entry)
            entry["tieu_de"] = appendix.titles or [appendix.label]
            if not appendix.attached:
                entry["kem_theo"] = False
            if appendix.leads:
                entry["dau"] = [{"nhan": label, "gia_tri": value} for label, value in appendix.leads]
            if appendix.notes:
                entry["sau"] = appendix.notes
            if table.kind == "bang" and appendix.landscape:
                entry["ngang"] = True
            entries.append(entry)
        for index, grid in enumerate(self.parts.body_tables, start=1):
            table = recover_table(grid, name=f"bang_{index}", index_frameworks=[], criteria_frameworks=[],
                                  ranking_framework=None)
            self.files[table.data_name] = table.data
            data_sets[table.data_set or f"bang_{index}"] = table.data_name
        if data_sets:
            spec["du_lieu"] = data_sets
        if scoring:
            spec["cham_diem"] = scoring
        if entries:
            spec["phu_luc"] = entries

    def _add_table(self, table: RecoveredTable, scoring: dict[str, Any], data_sets: dict[str, str],
                   entry: dict[str, Any]) -> None:
        self.files[table.data_name] = table.data
        self.notes.extend(table.notes)
        entry.update({"mau": table.appendix["mau"]})
        if table.scoring is not None:
            name = "kq" if "kq" not in scoring else f"kq_{len(scoring) + 1}"
            scoring[name] = table.scoring
            entry["nguon"] = name
        if table.data_set:
            data_sets[table.data_set] = table.data_name
        entry.update({k: v for k, v in table.appendix.items() if k != "mau"})


def _text_paths(value: Any, path: Path_ = ()) -> list[Path_]:
    """Paths of every evaluated text in the spec (trích yếu, body, Nơi nhận, phụ lục titles …)."""
    found: list[Path_] = []
    if isinstance(value, dict):
        for key, item in value.items():
            here = (*path, key)
            if key in ("cot", "dong", "co_quan_ban_hanh", "nguoi_ky", "cham_diem", "du_lieu", "ky"):
                continue
            if isinstance(item, str) and (key in _TEXT_LEAVES or (path and path[-1] in _TEXT_LEAVES)):
                found.append(here)
            else:
                found.extend(_text_paths(item, here))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            here = (*path, index)
            if isinstance(item, str) and path and path[-1] in _TEXT_LEAVES:
                found.append(here)
            else:
                found.extend(_text_paths(item, here))
    return found


def _get(spec: Any, path: Path_) -> Any:
    for step in path:
        spec = spec[step]
    return spec


def _set(spec: Any, path: Path_, value: Any) -> None:
    for step in path[:-1]:
        spec = spec[step]
    spec[path[-1]] = value


def _ordered(spec: dict[str, Any]) -> dict[str, Any]:
    order = ("loai", "mau", "co_quan_chu_quan", "co_quan_ban_hanh", "so", "ky_hieu", "don_vi_soan_thao", "dia_danh",
             "ngay", "ky", "trich_yeu", "kinh_gui", "can_cu", "du_lieu", "cham_diem", "so_lieu_ghi", "noi_dung",
             "noi_nhan", "nguoi_ky", "phu_luc")
    return {key: spec[key] for key in order if key in spec}


def _figures(spec: dict[str, Any], files: dict[str, bytes], texts: dict[Path_, Text], notes: list[str],
             comments: dict[Path_, str]) -> None:
    """Numbers of the text that exactly one recovered table figure prints, as that figure's expression."""
    from engine import pipeline
    from engine.render.environment import compile_text, sandbox_budget

    if not spec.get("cham_diem"):
        return
    with tempfile.TemporaryDirectory(prefix="vanban-init-") as folder:
        for name, data in files.items():
            (Path(folder) / name).write_bytes(data)
        # Only the data is wanted here: a bare document around the recovered scoring and data sets.
        trial = {"loai": "bao_cao", "co_quan_ban_hanh": {"ten": "X", "viet_tat": "X"}, "dia_danh": "X",
                 "ngay": {"nam": 2000}, "trich_yeu": "X", "noi_nhan": {}, "nguoi_ky": {"chuc_vu": "X", "ho_ten": "X"},
                 **{key: spec[key] for key in ("du_lieu", "cham_diem") if key in spec}}
        try:
            prepared = pipeline.prepare(trial, base_dir=folder)
        except EngineError as error:
            notes.append("số liệu các bảng chưa đọc lại được, nên số trong thân văn bản giữ nguyên chữ: "
                         + "; ".join(p.message for p in error.problems[:3]))
            return
    views = {name: result.view for name, result in prepared.scored.items()}
    table = index_candidates(figure_candidates(views))

    def render(expression: str) -> str | None:
        try:
            with sandbox_budget():
                return compile_text("{{ " + expression + " }}").render(views)
        except Exception:  # noqa: BLE001 - a rendering that fails is simply not the one
            return None

    for path, text in texts.items():
        if path and path[0] == "phu_luc":
            continue  # the phụ lục's own titles and lead lines: its figures are in its table
        ambiguous: list[str] = []
        replace_figures(text, table, render, ambiguous)
        if ambiguous:
            comments[path[:2] if path[0] == "noi_dung" else path] = (
                "để nguyên chữ, vì nhiều số liệu của bảng cùng giá trị: " + "; ".join(dict.fromkeys(ambiguous)))


def recover(package: bytes, *, name: str = "văn bản", period: Period | None = None,
            frameworks: tuple[Any, ...] = ()) -> Recovery:
    """The spec and data files that render the document ``package`` (a .docx) again.

    ``period``: move the recovered spec to this period (``init --ky``): ``ky`` becomes it, the number and
    the date are left for the new document, and the notes say which data files hold the old figures.
    ``frameworks``: more frameworks (a province's own) to match the tables against.
    """
    from engine.info import describe_docx
    from engine.render.layout import read_layout

    layout = read_layout(package, name=name)
    parts = read_parts(layout)
    builder = _Builder(parts, name=name, frameworks=frameworks)
    made = describe_docx(package, name)
    if made.made_by_engine:  # what made it: the clerk may still have the spec it was rendered from
        builder.notes.append(made.summary.rstrip("."))
    spec = builder.spec()
    builder.appendices(spec)
    texts = {path: Text(_get(spec, path)) for path in _text_paths(spec)}
    found = find_period(parts.subject, [line.text for line in parts.body])
    if found is not None:
        forms = period_forms(found)
        for text in texts.values():
            replace_period(text, forms)
        spec["ky"] = _period_value(found)
    _figures(spec, builder.files, texts, builder.notes, builder.comments)
    for path, text in texts.items():
        _set(spec, path, str(text))
    # Text as the spec loader will read it back (NFC: a compatibility ideograph becomes its unified form).
    recovery = Recovery(nfc_tree(_ordered(spec)), builder.files, builder.notes, builder.comments, found)
    if period is not None:
        move_to(recovery, period)
    return recovery


def _period_value(period: Period) -> Any:
    if period.bounded:
        name = Period(period.kind, period.year, period.number, arabic=period.arabic)
        return {"ten": str(name), "tu": _short(period.start), "den": _short(period.end)}
    return str(period)


def _short(day: Any) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def move_to(recovery: Recovery, period: Period) -> None:
    """The recovered spec moved to ``period``: its ``ky``, a blank number and date, and a word on the old data."""
    spec = recovery.spec
    old = recovery.period
    value = _period_value(period)
    spec_items = list(spec.items())
    spec.clear()
    for key, item in spec_items:
        if key == "ky":
            continue
        spec[key] = item
        if key == "ngay":
            spec["ky"] = value
    spec["so"] = None
    spec["ngay"] = {"nam": period.end.year}
    recovery.comments[("ngay",)] = "văn bản mới: điền ngày, tháng khi ban hành"
    if old is None:
        recovery.notes.append("văn bản không nêu kỳ nào nhận ra được: ky đã ghi theo --ky, nhưng chữ trong văn bản "
                              "không tự đổi theo kỳ")
    if recovery.files:
        listed = ", ".join(sorted(recovery.files))
        recovery.notes.append(f"các tệp số liệu ({listed}) vẫn là số của {old or 'kỳ trước'}: thay bằng số liệu "
                              f"{period} trước khi dựng")
    recovery.period = period
