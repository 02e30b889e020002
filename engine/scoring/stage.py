"""Turn the spec's ``cham_diem`` entries into scored results, their template views and audit findings.

This is the figures stage of the pipeline: spec → data → **scoring** → context → .docx. For
each named entry it loads the framework (shipped or the province's own file), reads the data
(a per-unit table for an index framework; a mapping for criteria and one-stop statistics),
computes every derived figure, and compares every figure the data *states* (a total as
exported, a class, a rank, a self-assessed criterion) with the computed one. Bad data is a
:class:`DataError` naming file, row and column; a stated figure that disagrees is a
:class:`~engine.audit.Finding`, not an error, so a draft still renders and the audit says why.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.audit import (
    ERROR,
    INFO,
    MOST_OWN_DECIMALS,
    WARNING,
    Fact,
    Finding,
    Reason,
    compare_number,
    shown_decimals,
)
from engine.data.layout import MEAN, TEXT, Column, TableLayout, header_key
from engine.data.readers import ColumnMap, SummaryRow, UnitRow, UnitTable, parse_number, read_unit_table
from engine.errors import DataError, Location, Problem, SpecError
from engine.provenance import Input, note_input, written_name
from engine.scoring.criteria import CriteriaResult, condition_checks, score_criteria
from engine.scoring.figures import exact, exact_divide
from engine.scoring.indices import TOTAL, IndexResult, score_units
from engine.scoring.loader import framework_and_digest
from engine.scoring.models import CriteriaFramework, IndexFramework, OneStopFramework
from engine.scoring.one_stop import OneStopResult, PartialCheck, one_stop_statistics
from engine.scoring.reasons import (
    band_reasons,
    choice_reasons,
    converted_fact,
    counted_fact,
    criteria_total_reasons,
    earned_fact,
    rank_reasons,
)
from engine.scoring.views import criteria_view, index_view, one_stop_view
from engine.spec.loader import LoadedSpec
from engine.spec.models import ChamDiem
from engine.spec.yamlload import LoadedYaml, load_yaml_input
from engine.vn.numbers import decimals_of, format_number
from engine.vn.text import nfc

__all__ = ["STATED_COLUMNS", "DataGroup", "Scored", "propose_columns", "score_spec"]

# Columns of a unit table that state a figure the engine also computes (the audit compares them).
STATED_COLUMNS = {
    "dat_duoc_ghi": "điểm đạt được",
    "quy_doi_ghi": "điểm quy đổi",
    "xep_loai_ghi": "xếp loại",
    "xep_hang_ghi": "thứ hạng",
}
PREVIOUS_COLUMN = "ky_truoc"
NAME_COLUMN = "don_vi"
MAPPING_SUFFIXES = (".yaml", ".yml", ".json")
CRITERIA_KEYS = ("don_vi", "so_ho_so", "so_lieu", "da_chon", "ghi")


@dataclass(frozen=True)
class DataGroup:
    """A group row of a unit table ("I | UBND CÁC XÃ, THỊ TRẤN") and the names of the units under it."""

    label: str | None
    name: str
    units: tuple[str, ...]


@dataclass(frozen=True)
class Scored:
    """One ``cham_diem`` entry: its result, the view templates read, what the audit found, the data's group rows."""

    name: str
    result: IndexResult | CriteriaResult | OneStopResult
    view: dict[str, Any]
    findings: tuple[Finding, ...]
    groups: tuple[DataGroup, ...] = ()


def score_spec(loaded: LoadedSpec) -> dict[str, Scored]:
    """Score every ``cham_diem`` entry of the spec; every bad entry is reported at once."""
    scored: dict[str, Scored] = {}
    problems: list[Problem] = []
    for name, entry in loaded.spec.cham_diem.items():
        try:
            scored[name] = _score_entry(loaded, name, entry)
        except DataError as exc:  # bad data of several entries is reported at once; anything else at once
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems)
    return scored


def _score_entry(loaded: LoadedSpec, name: str, entry: ChamDiem) -> Scored:
    framework = _framework(loaded, name, entry)
    if isinstance(framework, IndexFramework):
        return _score_index(loaded, name, entry, framework)
    source = _mapping_source(loaded, name, entry)
    if isinstance(framework, CriteriaFramework):
        return _score_criteria(name, entry, framework, source)
    return _score_one_stop(name, entry, framework, source)


def _spec_location(loaded: LoadedSpec, name: str, *key: str) -> Location:
    return loaded.source.location(("cham_diem", name, *key), field=".".join(("cham_diem", name, *key)))


def _framework(loaded: LoadedSpec, name: str, entry: ChamDiem) -> IndexFramework | CriteriaFramework | OneStopFramework:
    text = entry.bo_tieu_chi
    looks_like_path = "/" in text or "\\" in text or text.lower().endswith((".yaml", ".yml"))
    here = _spec_location(loaded, name, "bo_tieu_chi")
    target: str | Path = loaded.access.resolve(text, where=here, role="dac_ta") if looks_like_path else text
    if looks_like_path and not Path(target).exists():
        raise SpecError(Problem("SPEC_VALUE", f"không tìm thấy tệp bộ tiêu chí '{text}'", here,
                                hint="Đường dẫn tính từ thư mục của tệp đặc tả."))
    try:
        framework, digest, source = framework_and_digest(target, shown=loaded.access.shown(text) if looks_like_path
                                                         else None)
    except SpecError as exc:
        here = _spec_location(loaded, name, "bo_tieu_chi")
        raise SpecError([p if p.location.file else Problem(p.code, p.message, here, p.hint)
                         for p in exc.problems]) from None
    field = f"cham_diem.{name}.bo_tieu_chi"
    if looks_like_path:
        note_input(Input(field, written_name(text, loaded.access.base), digest, role="dac_ta"))
    else:  # one of the engine's own, by its file's name among them
        note_input(Input(field, source.name, digest, builtin=True, role="dac_ta"))
    if entry.so_thap_phan is not None:  # the spec's precision over the framework's, field by field
        declared = entry.so_thap_phan.model_dump(exclude_none=True)
        framework = framework.model_copy(update={"so_thap_phan": framework.so_thap_phan.model_copy(update=declared)})
    return framework


# ----- index frameworks: one row per unit ---------------------------------------------------


def _columns(entry: ChamDiem, framework: IndexFramework) -> ColumnMap:
    if entry.muc_chi_tiet == "chi_so":
        scored = framework.index_codes()
    elif entry.muc_chi_tiet == "nhom":
        scored = [g.ma for g in framework.nhom]
    else:
        scored = [TOTAL]
    optional = [PREVIOUS_COLUMN, *STATED_COLUMNS]
    fields = {NAME_COLUMN: entry.cot.get(NAME_COLUMN, NAME_COLUMN)}
    for code in (*scored, *optional):
        fields[code] = entry.cot.get(code, code)
    for extra, header in entry.them.items():
        fields[f"them.{extra}"] = header
    numeric = set(fields) - {NAME_COLUMN, "xep_loai_ghi"}
    # A column the map names explicitly must be there; the default stated/previous columns may be absent.
    return ColumnMap(fields, frozenset(numeric), frozenset(c for c in optional if c not in entry.cot))


def _score_index(loaded: LoadedSpec, name: str, entry: ChamDiem, framework: IndexFramework) -> Scored:
    if not isinstance(entry.du_lieu, str):
        raise SpecError(Problem("SPEC_TYPE", "bộ chỉ số cần một tệp bảng điểm (.yaml, .csv hoặc .xlsx)",
                                _spec_location(loaded, name, "du_lieu"),
                                hint="Ghi đường dẫn tệp, mỗi đơn vị một dòng."))
    allowed = _columns(entry.model_copy(update={"cot": {}, "them": {}}), framework).fields
    unknown = sorted(set(entry.cot) - set(allowed))
    if unknown:
        raise SpecError(Problem("SPEC_VALUE", f"'cot' có trường '{unknown[0]}' không có trong bộ '{framework.ma}' "
                                f"(mức chi tiết {entry.muc_chi_tiet})", _spec_location(loaded, name, "cot"),
                                hint="Các trường: don_vi, mã chỉ số/nhóm, ky_truoc, " + ", ".join(STATED_COLUMNS)))
    yaml_table = entry.du_lieu.lower().endswith((".yaml", ".yml"))
    file = loaded.access.read(entry.du_lieu, where=_spec_location(loaded, name, "du_lieu"), role="du_lieu",
                              limit="tep_yaml" if yaml_table else None)
    columns = _columns(entry, framework)
    table = read_unit_table(file, columns, sheet=entry.trang_tinh)
    rows = table.units
    units: dict[str, dict[str, Any]] = {}
    previous: dict[str, Any] = {}
    extras: dict[str, dict[str, Any]] = {}
    row_of: dict[str, UnitRow] = {}
    problems: list[Problem] = []
    for row in rows:
        unit = row.values.get(NAME_COLUMN)
        if not unit:
            problems.append(Problem("DATA_FORMAT", "dòng không có tên đơn vị", row.source,
                                    hint=f"Ghi tên ở cột '{entry.cot.get(NAME_COLUMN, NAME_COLUMN)}'."))
            continue
        unit = nfc(str(unit))
        if unit in units:
            problems.append(Problem("DATA_FORMAT", f"đơn vị '{unit}' có hai dòng", row.source))
            continue
        row_of[unit] = row
        values = {k: v for k, v in row.values.items()
                  if k not in (NAME_COLUMN, PREVIOUS_COLUMN, *STATED_COLUMNS) and not k.startswith("them.")}
        # read_units turns "-" into None: for a score that means "not applicable".
        units[unit] = {k: ("-" if v is None else v) for k, v in values.items()}
        previous[unit] = row.values.get(PREVIOUS_COLUMN)
        extras[unit] = {k.removeprefix("them."): v for k, v in row.values.items() if k.startswith("them.")}
    if problems:
        raise DataError(problems)
    try:
        result = score_units(framework, units, previous=previous, bands=entry.xep_loai, rank_by=entry.xep_hang_theo,
                             source=file.name, detail=entry.muc_chi_tiet)
    except DataError as exc:
        raise DataError([_at_row(p, row_of) for p in exc.problems]) from None
    except SpecError as exc:
        raise SpecError([Problem(p.code, p.message, _spec_location(loaded, name), p.hint)
                         for p in exc.problems]) from None
    findings = _index_findings(result, row_of, framework)
    findings += _summary_findings(result, table, columns)
    members: dict[int, list[str]] = {id(group): [] for group in table.groups}
    for row in rows:
        if row.group is not None and row.values.get(NAME_COLUMN) and id(row.group) in members:
            members[id(row.group)].append(nfc(str(row.values[NAME_COLUMN])))
    groups = tuple(DataGroup(group.label, group.name, tuple(members[id(group)])) for group in table.groups)
    return Scored(name, result, index_view(result, extras, groups), tuple(findings), groups)


def _at_row(problem: Problem, row_of: dict[str, UnitRow]) -> Problem:
    """Put a scoring problem ("Unit.code") on the row of the unit in the user's file."""
    field = problem.location.field or ""
    for unit, row in row_of.items():
        if field == unit or field.startswith(unit + ".") or field == f"ky_truoc.{unit}":
            column = field[len(unit) + 1:] if field.startswith(unit + ".") else None
            where = row.source
            label = f"{where.field}, cột '{column}'" if column else where.field
            return Problem(problem.code, problem.message, Location(file=where.file, line=where.line, field=label),
                           problem.hint)
    return problem


def _index_findings(result: IndexResult, row_of: dict[str, UnitRow], framework: IndexFramework) -> list[Finding]:
    findings: list[Finding] = []
    as_displayed = framework.lam_tron_truoc_khi_so_sanh
    for unit in result.units:
        row = row_of[unit.unit]
        stated = row.values
        where = row.source
        for key, figure, fact in (("dat_duoc_ghi", unit.earned, earned_fact(unit)),
                                  ("quy_doi_ghi", unit.converted, converted_fact(unit))):
            value = stated.get(key)
            if value is not None:
                found = compare_number(Decimal(value), figure.value, figure.decimals, where=where,
                                       what=f"{STATED_COLUMNS[key].capitalize()} của '{unit.unit}'", fact=fact)
                if found:
                    findings.append(found)
        band = stated.get("xep_loai_ghi")
        if band is not None and nfc(str(band)).casefold() not in (unit.band.ten.casefold(), unit.band.short.casefold()):
            findings.append(Finding.of(ERROR, where, str(band), unit.band.ten,
                                       f"'{unit.unit}' ghi xếp loại {band} nhưng {unit.converted.display()} điểm quy "
                                       f"đổi thuộc mức {unit.band.ten}",
                                       band_reasons(unit, result.bands, str(band), as_displayed=as_displayed)))
        rank = stated.get("xep_hang_ghi")
        if rank is not None and Decimal(rank) != unit.rank:
            findings.append(Finding.of(ERROR, where, format_number(rank), str(unit.rank),
                                       f"'{unit.unit}' ghi hạng {format_number(rank)} nhưng theo thứ tự điểm là hạng "
                                       f"{unit.rank}", rank_reasons(result, unit)))
    return findings


# Fields of a summary row that are not compared: a name, a class, a rank have no sum or mean.
NOT_SUMMED = frozenset({NAME_COLUMN, "xep_loai_ghi", "xep_hang_ghi"})


def _summary_findings(result: IndexResult, table: UnitTable, columns: ColumnMap) -> list[Finding]:
    """Each number of a summary row against the sum or mean of its column over the units the row covers.

    An input column (an index, a group, the total, the previous period, an extra column) is summed
    from the units' own values; a stated column (điểm đạt được, điểm quy đổi) from the figures the
    engine computes for them, as shown when the framework rounds before comparing. A figure is
    compared at the column's precision (the decimals its values are written with, or the
    framework's for a computed column) or its own when it has more: "7" for a mean of 6,9 is a
    warning, as any stated figure with fewer decimals than computed. A blank or "-" cell, or a
    column with nothing to add up, is not compared.
    """
    findings: list[Finding] = []
    problems: list[Problem] = []
    by_name = {unit.unit: unit for unit in result.units}
    as_shown = result.framework.lam_tron_truoc_khi_so_sanh
    # Rows that cover the same units (a table's "Tổng cộng" and "Trung bình") add them up once.
    cache: dict[tuple[int, str], tuple[list[Decimal], int]] = {}

    def values_of(summary: SummaryRow, field: str) -> tuple[list[Decimal], int]:
        key = (id(summary.units), field)
        if key not in cache:
            covered = [table.units[k] for k in summary.units]
            if field in ("dat_duoc_ghi", "quy_doi_ghi"):
                scores = [by_name[nfc(str(row.values[NAME_COLUMN]))] for row in covered if row.values.get(NAME_COLUMN)]
                figures = [u.earned if field == "dat_duoc_ghi" else u.converted for u in scores]
                cache[key] = ([f.rounded() if as_shown else f.value for f in figures],
                              max((f.decimals for f in figures), default=0))
            else:
                values = [v for v in (row.values.get(field) for row in covered) if isinstance(v, Decimal)]
                cache[key] = (values, max((decimals_of(v) for v in values), default=0))
        return cache[key]

    for summary in table.summaries:
        for field, stated in summary.values.items():
            if field in NOT_SUMMED or field not in columns.numeric or stated is None:
                continue
            where = summary.cells[field]
            if isinstance(stated, str):
                try:
                    parse_number(stated)
                    message = f"cần một số nhưng ô ghi '{stated}'"
                except ValueError as exc:
                    message = str(exc)
                problems.append(Problem("DATA_FORMAT", f"dòng '{summary.text}': {message}", where,
                                        hint="Ghi số theo cách Việt Nam (16,74), hoặc để trống / '-' nếu không tính."))
                continue
            values, places = values_of(summary, field)
            # A column whose values run to more decimals than anyone writes (an .xlsx formula's result under
            # General) has no written precision: the row is compared at its own.
            places = places if places <= MOST_OWN_DECIMALS else 0
            findings.extend(_summary_finding(summary, columns.fields[field], Decimal(stated), values, places, where))
    if problems:
        raise DataError(problems)
    return findings


def _summary_finding(summary: SummaryRow, header: str, stated: Decimal, values: list[Decimal], places: int,
                     where: Location) -> list[Finding]:
    what = "trung bình" if summary.kind == MEAN else "tổng"
    scope = f"{len(summary.units)} đơn vị" + (f" nhóm {summary.group.title}" if summary.group is not None else "")
    label = f"Dòng '{summary.text}': {what} cột '{header}' của {scope}"
    if not values:
        return [Finding.of(ERROR, where, format_number(stated), None,
                           f"{label} ghi {format_number(stated)} nhưng không đơn vị nào có số ở cột này",
                           missing=(Fact(f"cột '{header}' của {scope}"),))]
    total = sum(values, Decimal(0))
    skipped = len(summary.units) - len(values)
    left_out = f"; {skipped} đơn vị không có số (\"-\") không tính" if skipped else ""
    if summary.kind == MEAN:
        computed = exact_divide(total, Decimal(len(values)))
        formula = f"tổng {format_number(total)} ÷ {len(values)} đơn vị{left_out}"
    else:
        computed = total
        formula = f"cộng {len(values)} đơn vị{left_out}"
    fact = Fact(f"{what} tính được", formula=formula)
    found = compare_number(stated, computed, max(shown_decimals(stated), places), where=where, what=label, fact=fact)
    return [found] if found else []


# Words of the headers a table gives the fields that are not indices.
FIELD_WORDS = {
    NAME_COLUMN: ("tên cơ quan", "tên đơn vị", "đơn vị", "tên"),
    TOTAL: ("điểm tổng hợp", "tổng điểm", "tổng"),
    PREVIOUS_COLUMN: ("kỳ trước", "tháng trước", "quý trước", "năm trước"),
    "dat_duoc_ghi": ("điểm đạt được", "đạt được"),
    "quy_doi_ghi": ("điểm quy đổi", "quy đổi"),
    "xep_loai_ghi": ("xếp loại",),
    "xep_hang_ghi": ("xếp hạng", "thứ hạng", "hạng"),
}


WORD_PRIORITY = ("quy_doi_ghi", "dat_duoc_ghi", "xep_loai_ghi", "xep_hang_ghi", PREVIOUS_COLUMN, TOTAL, NAME_COLUMN)


def _alike(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, header_key(a), header_key(b)).ratio()


def propose_columns(layout: TableLayout, framework: IndexFramework) -> dict[str, str | None]:
    """A ``cot:`` mapping to start from: each field of the framework → the short name of the column that fits
    it best, or None when no column does, or several do as well (a clerk checks it before using it).

    An index fits a column whose last header cell is the index's name and an earlier one its group's
    (a group of one index: its last cell is the group's or the index's name); the other fields fit
    by their usual words ("Tên cơ quan, đơn vị", "Điểm đạt được", "Xếp loại" …).
    """
    columns = [c for c in layout.columns if c.path]

    def best(scores: list[tuple[float, Column]]) -> str | None:
        scores = sorted((s for s in scores if s[0] > 0), key=lambda s: -s[0])
        if not scores or (len(scores) > 1 and scores[1][0] == scores[0][0]):
            return None
        return scores[0][1].short or scores[0][1].name

    proposal: dict[str, str | None] = {}
    for field, words in FIELD_WORDS.items():
        scores = []
        for column in columns:
            key = header_key(column.path[-1])
            hits = [len(words) - k for k, word in enumerate(words) if word in key]
            if field == NAME_COLUMN and column.kind and column.kind != TEXT:
                hits = []
            scores.append((float(max(hits, default=0)) + (0.5 if key in words else 0), column))
        proposal[field] = best(scores)
    for group, index in framework.indices():
        scores = []
        for column in columns:
            last, above = column.path[-1], column.path[:-1]
            if len(group.chi_so) == 1:
                score = max(_alike(last, group.ten), _alike(last, index.ten))
                score = score if score >= 0.8 else 0.0
            else:
                mine = _alike(last, index.ten)
                parent = max((_alike(part, group.ten) for part in above), default=0.0)
                score = mine + parent if mine >= 0.8 and parent >= 0.6 else 0.0
            scores.append((score, column))
        proposal[index.ma] = best(scores)
    # One column is one field: an index keeps its column; of the word fields the most specific keeps it
    # ("TỔNG ĐIỂM QUY ĐỔI" is quy_doi_ghi, not tong).
    order = [*framework.index_codes(), *WORD_PRIORITY]
    owner: dict[str, str] = {}
    for field in order:
        name = proposal.get(field)
        if name is None:
            continue
        if name in owner:
            proposal[field] = None
        else:
            owner[name] = field
    return proposal


# ----- criteria and one-stop statistics: a mapping per unit ---------------------------------


@dataclass(frozen=True)
class _Mapping:
    """A mapping of data with the YAML positions of its keys (file:line for every finding)."""

    data: dict[str, Any]
    yaml: LoadedYaml
    prefix: tuple[str | int, ...]

    @property
    def file(self) -> str:
        return self.yaml.file

    def at(self, *path: str | int) -> Location:
        shown = ".".join(str(p) for p in path) or None
        return self.yaml.location((*self.prefix, *path), field=shown)


def _mapping_source(loaded: LoadedSpec, name: str, entry: ChamDiem) -> _Mapping:
    if isinstance(entry.du_lieu, dict):
        yaml, prefix, data = loaded.source, ("cham_diem", name, "du_lieu"), entry.du_lieu
    else:
        where = _spec_location(loaded, name, "du_lieu")
        suffix = Path(entry.du_lieu[:255]).suffix.lower()
        if suffix not in MAPPING_SUFFIXES:
            raise DataError(Problem("DATA_FORMAT", f"số liệu của bộ này đọc từ tệp {', '.join(MAPPING_SUFFIXES)}, "
                                    f"không đọc được '{suffix}'", where))
        file = loaded.access.read(entry.du_lieu, where=where, role="du_lieu", limit="tep_yaml")
        yaml = load_yaml_input(file, role="du_lieu")
        prefix, data = (), yaml.data
    for key in (entry.khoa.split(".") if entry.khoa else []):
        if not isinstance(data, dict) or key not in data:
            raise DataError(Problem("DATA_FORMAT", f"không có khóa '{entry.khoa}' trong dữ liệu",
                                    yaml.location(prefix), hint="Kiểm tra 'khoa' của mục chấm điểm."))
        data, prefix = data[key], (*prefix, key)
    if not isinstance(data, dict):
        raise DataError(Problem("DATA_FORMAT", "số liệu phải là một bảng khóa: giá trị", yaml.location(prefix)))
    return _Mapping(data, yaml, prefix)


def _relocate(exc: DataError, source: _Mapping, prefix: str | None = None) -> DataError:
    """Give problems that name a dotted field the file:line of that field."""
    out = []
    for p in exc.problems:
        field = p.location.field
        if field and p.location.line is None:
            parts: list[str | int] = [_key(k) for k in field.replace("[", ".").replace("]", "").split(".")]
            if prefix and parts and parts[0] == prefix:
                parts = parts[1:]
            where = source.at(*parts)
            out.append(Problem(p.code, p.message, Location(file=where.file, line=where.line, column=where.column,
                                                           field=field), p.hint))
        else:
            out.append(p)
    return DataError(out)


def _key(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def _score_criteria(name: str, entry: ChamDiem, framework: CriteriaFramework, source: _Mapping) -> Scored:
    data = source.data
    unknown = [k for k in data if k not in CRITERIA_KEYS]
    if unknown:
        raise DataError(Problem("DATA_FORMAT", f"khóa '{unknown[0]}' không dùng cho bộ tiêu chí", source.at(unknown[0]),
                                hint=f"Các khóa: {', '.join(CRITERIA_KEYS)}."))
    wrong = [key for key in ("so_ho_so", "so_lieu", "da_chon") if data.get(key) and not isinstance(data[key], dict)]
    if wrong:
        raise DataError([Problem("DATA_FORMAT", f"'{key}' phải là một bảng khóa: giá trị, không phải "
                                 f"{'một danh sách' if isinstance(data[key], list) else 'một giá trị'}", source.at(key),
                                 hint="Xem ví dụ trong docs/spec.md, mục bộ tiêu chí.") for key in wrong])
    unit = entry.don_vi or data.get("don_vi")
    try:
        result = score_criteria(framework, counts=data.get("so_ho_so") or {}, facts=data.get("so_lieu") or {},
                                chosen=data.get("da_chon") or {}, bands=entry.xep_loai, unit=unit, source=source.file)
    except DataError as exc:
        raise _relocate(exc, source) from None
    findings = _criteria_findings(result, framework, data.get("so_lieu") or {}, source)
    stated = data.get("ghi") or {}
    if not isinstance(stated, dict):
        raise DataError(Problem("DATA_FORMAT", "'ghi' là bảng các số liệu như văn bản ghi (tong_diem, diem)",
                                source.at("ghi")))
    if stated.get("tong_diem") is not None:
        value = exact(stated["tong_diem"], source.at("ghi", "tong_diem"), "tổng điểm ghi")
        total, overridden = criteria_total_reasons(result)
        found = compare_number(value, result.total.value, result.total.decimals, where=source.at("ghi", "tong_diem"),
                               what="Tổng điểm", fact=total)
        if found:
            findings.append(found.with_reasons(overridden))
    for number, value in (stated.get("diem") or {}).items():
        where = source.at("ghi", "diem", number)
        try:
            score = result.criterion(int(number))
        except (KeyError, ValueError):
            raise DataError(Problem("DATA_FORMAT", f"không có tiêu chí {number}", where)) from None
        figure = score.points
        fact = counted_fact(score) if score.kind == "dem_ho_so" else Fact(
            f"điểm tiêu chí {score.number}", formula="theo số liệu" if score.rule else "điểm tự chấm")
        found = compare_number(exact(value, where, "điểm ghi"), figure.value, max(figure.decimals, 2), where=where,
                               what=f"Điểm tiêu chí {number}", fact=fact)
        if found:
            findings.append(found)
    return Scored(name, result, criteria_view(result), tuple(findings))


def _criteria_findings(result: CriteriaResult, framework: CriteriaFramework, facts: Any, source: _Mapping
                       ) -> list[Finding]:
    """A self-assessment the rule contradicts (with the conditions that decide it), and one the rule cannot check."""
    findings: list[Finding] = []
    for score in result.criteria:
        where = source.at("da_chon", score.number)
        if score.agrees_with_rule is False and score.chosen and score.rule:
            checks = condition_checks(framework, score.number, facts if isinstance(facts, dict) else {},
                                      source=source.file)
            findings.append(Finding.of(
                ERROR, where, format_number(score.chosen.diem), format_number(score.rule.diem),
                f"tiêu chí {score.number} tự chấm {format_number(score.chosen.diem)} điểm nhưng theo số liệu thì đạt "
                f"mức {format_number(score.rule.diem)} điểm ({_short(score.rule.ten)})",
                choice_reasons(score, checks, framework)))
        elif score.undecided_by and score.chosen is not None:
            missing = tuple(Fact(_fact_title(framework, code), code=f"so_lieu.{code}") for code in score.undecided_by)
            listed = ", ".join(f"'{fact.name}' ({fact.code})" for fact in missing)
            findings.append(Finding.of(
                INFO, where, format_number(score.chosen.diem), None,
                f"tiêu chí {score.number} không xét được theo điều kiện, nên lấy điểm tự chấm "
                f"{format_number(score.chosen.diem)} điểm mà không kiểm tra",
                missing=missing, because=f"thiếu số liệu {listed}"))
    return findings


def _fact_title(framework: CriteriaFramework, code: str) -> str:
    return next((fact.ten for fact in framework.so_lieu if fact.ma == code), code)


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _score_one_stop(name: str, entry: ChamDiem, framework: OneStopFramework, source: _Mapping) -> Scored:
    data = dict(source.data)
    unit = entry.don_vi or data.pop("don_vi", None)
    try:
        # No unit prefix in the problems' fields: they name keys of this mapping, which _relocate finds.
        result = replace(one_stop_statistics(framework, data, source=source.file), unit=unit)
    except DataError as exc:
        raise _relocate(exc, source) from None
    findings: list[Finding] = []
    names = {s.ma: s.ten for s in framework.chi_tieu}

    def parts_fact(label: str, parts: list[tuple[str, int]]) -> Fact:
        base = tuple(Fact(names[code], format_number(count), code) for code, count in parts)
        return Fact(label, format_number(sum(count for _, count in parts)), base=base,
                    formula=" + ".join(fact.text() for fact in base))

    for code, stated in result.stated_totals.items():
        parts = next(s.bang_tong for s in framework.chi_tieu if s.ma == code)
        fact = parts_fact("các thành phần cộng lại", [(p, result[p].count) for p in parts])
        findings.append(Finding.of(
            ERROR, source.at(code), format_number(stated), format_number(result[code].count),
            f"'{names[code]}' ghi {format_number(stated)} nhưng các thành phần ({', '.join(parts)}) cộng lại "
            f"{format_number(result[code].count)}", (Reason(fact, "≠", Fact("số ghi", format_number(stated))),)))
    for code, accounted in result.unaccounted:
        status = next(s for s in framework.chi_tieu if s.ma == code)
        fact = parts_fact("các trạng thái cộng lại", [(p, result[p].count) for p in status.chia_thanh])
        findings.append(Finding.of(
            WARNING, source.at(code) if code in data else source.at(), format_number(result[code].count),
            format_number(accounted),
            f"các trạng thái ({', '.join(status.chia_thanh)}) cộng lại {format_number(accounted)}, khác "
            f"'{status.ten}' {format_number(result[code].count)}",
            (Reason(fact, "≠", Fact(status.ten, format_number(result[code].count), code)),)))
    for check in result.partial:
        findings.append(_partial_finding(check, result, names, source.at(check.code) if check.code in data
                                         else source.at(), parts_fact))
    return Scored(name, result, one_stop_view(result), tuple(findings))


def _partial_finding(check: PartialCheck, result: OneStopResult, names: dict[str, str], where: Location,
                     parts_fact: Any) -> Finding:
    """A status whose parts the data gives only some of: what they add up to, and which figures are missing.

    Short of the total, it is a check not made (``info``): so many records have no status in the data.
    Past it, the parts given already contradict it, whatever the missing ones are (a warning for the
    statuses a record is in, an error for a total stated as the sum of its parts).
    """
    total = result[check.code].count
    accounted = check.accounted
    missing = tuple(Fact(names[code], code=code) for code in check.missing)
    listed = ", ".join(f"'{fact.name}' ({fact.code})" for fact in missing)
    status = names[check.code]
    if check.kind == "chia_thanh":
        fact = parts_fact("các trạng thái có số cộng lại", list(check.known))
        if accounted > total:
            return Finding.of(WARNING, where, format_number(total), format_number(accounted),
                              f"các trạng thái có số đã cộng lại {format_number(accounted)}, hơn '{status}' "
                              f"{format_number(total)}, dù còn thiếu số {listed}",
                              (Reason(fact, ">", Fact(status, format_number(total), check.code)),), missing)
        gap = total - accounted
        head = (f"{format_number(gap)} hồ sơ của '{status}' ({format_number(total)}) không có trạng thái trong dữ liệu"
                if gap else f"các trạng thái có số đã cộng lại đủ '{status}' {format_number(total)}")
        return Finding.of(INFO, where, format_number(total), format_number(accounted), head,
                          (Reason(fact, "<" if gap else "=", Fact(status, format_number(total), check.code)),), missing,
                          because=f"{fact.text()}; thiếu số {listed}, nên không kiểm tra được mỗi hồ sơ có đúng một "
                                  f"trạng thái" + ("" if gap else " (số thiếu, nếu có, phải bằng 0)"))
    fact = parts_fact("các thành phần có số cộng lại", list(check.known))
    if accounted > total:
        return Finding.of(ERROR, where, format_number(total), format_number(accounted),
                          f"'{status}' ghi {format_number(total)} nhưng các thành phần có số đã cộng lại "
                          f"{format_number(accounted)}, dù còn thiếu số {listed}",
                          (Reason(fact, ">", Fact("số ghi", format_number(total))),), missing)
    return Finding.of(INFO, where, format_number(total), format_number(accounted),
                      f"không kiểm tra được '{status}' {format_number(total)} bằng tổng các thành phần",
                      (Reason(fact, "≤", Fact("số ghi", format_number(total))),), missing,
                      because=f"{fact.text()}; thiếu số {listed}")
