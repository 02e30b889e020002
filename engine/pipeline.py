"""Turn a spec (a file, YAML text or a mapping) into a rendered .docx, stage by stage.

Each stage is callable on its own: :func:`prepare` loads and validates the spec, reads its
data, scores it under its frameworks, audits the stated figures and builds the contexts of
the document and its phụ lục (what ``validate`` and ``audit`` run); :func:`render` fills the
templates and joins the phụ lục to the document; :func:`render_to_file` writes atomically.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine import provenance
from engine.appendix import AppendixPart, appendix_parts
from engine.audit import Finding, stated_figures
from engine.context import build_context, period_names
from engine.data.loader import load_data
from engine.errors import Location, OutputError, Problem, SpecError
from engine.kinds import KINDS, TEMPLATES_DIR
from engine.output import check_destination, write_atomic
from engine.provenance import DocumentProperties, Input, Provenance
from engine.render.docx import APPENDIX_CONTEXT, CompiledTemplate, load_joined_template, load_template
from engine.render.environment import sandbox_budget
from engine.render.tables import TableMarkup
from engine.scoring.stage import Scored, score_spec
from engine.spec.loader import Folders, LoadedSpec, load_spec, spec_from_mapping

if TYPE_CHECKING:
    from engine.convert.pdfstamp import PdfStamp
    from engine.render.properties import StoredProperties

SpecSource = str | Path | LoadedSpec | dict[str, Any]


@dataclass(frozen=True)
class Prepared:
    """A spec with its data read and its render context built: everything but the .docx."""

    loaded: LoadedSpec
    data: dict[str, Any]
    context: dict[str, Any]
    template_path: Path
    scored: dict[str, Scored] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    appendices: tuple[AppendixPart, ...] = ()
    inputs: tuple[Input, ...] = ()  # every file the spec named, as read (engine.provenance), the spec not included
    template_names: dict[Path, str] = field(default_factory=dict)  # a template's real path -> the name the spec wrote


def _as_loaded(spec: SpecSource, base_dir: str | Path | None, allowed: Folders) -> LoadedSpec:
    if isinstance(spec, LoadedSpec):
        return spec
    if isinstance(spec, dict):
        return spec_from_mapping(spec, base_dir=base_dir, allowed=allowed)
    if not isinstance(spec, (str, Path)):
        raise SpecError(Problem("SPEC_TYPE", f"đặc tả phải là đường dẫn tệp, một dict hoặc LoadedSpec, nhận được "
                                f"{type(spec).__name__}", Location()))
    return load_spec(spec, allowed=allowed)


def template_for(loaded: LoadedSpec) -> Path:
    """The spec's own template (``mau``) if given, else its kind's template."""
    if loaded.spec.mau:
        where = loaded.source.location(("mau",), field="mau")
        path = loaded.access.resolve(loaded.spec.mau, where=where, role="mau")
        if not path.exists():
            raise SpecError(Problem("SPEC_VALUE", f"không tìm thấy mẫu '{loaded.spec.mau}'", where,
                                    hint="Đường dẫn tính từ thư mục của tệp đặc tả."))
        return path
    return KINDS[loaded.spec.loai].template


def prepare(spec: SpecSource, *, base_dir: str | Path | None = None, allowed: Folders = ()) -> Prepared:
    """Load and validate the spec, read its data and build the render context.

    ``base_dir``: where the paths of a spec given as a mapping start (None: it may name only the
    engine's own templates and frameworks); ``allowed``: more folders its paths may lead to.
    """
    loaded = _as_loaded(spec, base_dir, allowed)
    with provenance.recording() as journal, sandbox_budget():
        unread: list[Problem] = []
        data = load_data(loaded, unread)
        if unread:
            _raise_with_expressions(loaded, data, unread)
        scored = score_spec(loaded)
        names = {**data, **{name: result.view for name, result in scored.items()}, **period_names(loaded)}
        context = build_context(loaded, names)
        names["van_ban"] = context["van_ban"]  # phụ lục titles and stated figures may use the document's own fields
        findings = [finding for result in scored.values() for finding in result.findings]
        findings += stated_figures(loaded, names)
        appendices = appendix_parts(loaded, names, scored)
        template = template_for(loaded)
    return Prepared(loaded, data, context, template, scored, tuple(findings), tuple(appendices),
                    tuple(journal.inputs.values()), dict(journal.templates))


def _raise_with_expressions(loaded: LoadedSpec, data: dict[str, Any], unread: list[Problem]) -> None:
    """Data files that cannot be read, with the wrong expressions of the text besides: one run, every problem.

    The text is judged against the data that could be read; text that uses a data set that could not be
    read (or a scoring, not run yet) is left out, its reason is already in the report.
    """
    from engine.errors import DataError

    unavailable = frozenset(set(loaded.spec.du_lieu) - set(data)) | frozenset(loaded.spec.cham_diem)
    wrong: list[Problem] = []
    try:
        build_context(loaded, data, unavailable=unavailable)
    except SpecError as error:
        wrong = list(error.problems)
    raise DataError([*unread, *wrong])


def audit(spec: SpecSource, *, base_dir: str | Path | None = None, allowed: Folders = ()) -> list[Finding]:
    """Every stated figure of the spec and its data that disagrees with the computed one."""
    return list(prepare(spec, base_dir=base_dir, allowed=allowed).findings)


def render_prepared(prepared: Prepared) -> bytes:
    """Fill the document's template joined with its phụ lục templates, in one render."""
    return render_recorded(prepared)[0]


def render_recorded(prepared: Prepared, extra: tuple[Input, ...] = ()) -> tuple[bytes, DocumentProperties]:
    """The rendered .docx and what it says about itself; ``extra``: inputs besides the spec's (a batch unit's row)."""
    template = load_joined_template(prepared.template_path, tuple(part.template for part in prepared.appendices))
    context = prepared.context
    if prepared.appendices:
        context = {**context, APPENDIX_CONTEXT: [{**part.context, "bang": TableMarkup(part.table)}
                                                 for part in prepared.appendices]}
    properties = document_properties(prepared, template.components or (template,), extra)
    with sandbox_budget():
        return template.render(context, properties), properties


def spec_input(loaded: LoadedSpec) -> Input:
    """The spec's own record: its file's bytes hashed, or a spec given as a mapping or text in canonical form."""
    if loaded.origin is not None:
        return loaded.origin
    return Input("dac_ta", loaded.file, provenance.canonical_digest(loaded.source.data))


def template_inputs(prepared: Prepared, compiled: tuple[CompiledTemplate, ...]) -> list[Input]:
    """The main template (field ``mau``) and each phụ lục's (``phu_luc.N.mau``), each with its compiled file's hash."""
    paths = [prepared.template_path, *(part.template for part in prepared.appendices)]
    named = {Path(os.path.realpath(path)): name for path, name in prepared.template_names.items()}
    engine_templates = Path(os.path.realpath(TEMPLATES_DIR))
    inputs = []
    for index, (path, template) in enumerate(zip(paths, compiled, strict=True)):
        field_name = "mau" if index == 0 else f"phu_luc.{index}.mau"
        real = Path(os.path.realpath(path))
        if real in named:
            inputs.append(Input(field_name, named[real], template.sha256, role="mau"))
        elif real.is_relative_to(engine_templates):
            inputs.append(Input(field_name, real.relative_to(engine_templates).as_posix(), template.sha256,
                                builtin=True, role="mau"))
        else:  # not named by the spec nor the engine's (a caller's LoadedSpec): its file name, never its folder
            inputs.append(Input(field_name, real.name, template.sha256, role="mau"))
    return inputs


def document_properties(prepared: Prepared, compiled: tuple[CompiledTemplate, ...],
                        extra: tuple[Input, ...] = ()) -> DocumentProperties:
    """What the rendered file says about itself: title, creator, kind, date, and every input with its hash."""
    spec = prepared.loaded.spec
    fields = prepared.context.get("van_ban", {})
    title = " ".join(str(fields.get("trich_yeu") or "").split()) or " ".join(
        f"{fields.get('ten_loai') or ''} {fields.get('so_ky_hieu') or ''}".split())
    kind = KINDS[spec.loai].ten_loai if spec.loai in KINDS else None
    date, source = provenance.document_date(spec.ngay.nam, spec.ngay.thang, spec.ngay.ngay)
    inputs = (spec_input(prepared.loaded), *extra, *prepared.inputs, *template_inputs(prepared, compiled))
    return DocumentProperties(
        title=title, creator=" ".join(str(fields.get("co_quan_ban_hanh") or "").split()),
        subject=(kind or "Công văn").capitalize(), date=date, date_source=source,
        provenance=Provenance(provenance.engine_version(), inputs))


def lint_prepared(prepared: Prepared) -> tuple[str, ...]:
    """Lint the templates the spec renders with (its own and its phụ lục's) against its names.

    Raises TemplateError with every error at once (so a spec that validates renders); returns the
    notices (tags Word had split, joined again).
    """
    from engine.errors import TemplateError
    from engine.render.lint import check_templates

    names = {**prepared.data, **{name: result.view for name, result in prepared.scored.items()}}
    paths = [prepared.template_path, *(part.template for part in prepared.appendices)]
    notices, problems = check_templates(dict.fromkeys(paths), names)
    if not problems:
        signers = load_template(prepared.template_path).signers_problem(prepared.context)
        problems += [signers] if signers is not None else []
    if problems:
        raise TemplateError(problems)
    return tuple(notices)


def template_notices(prepared: Prepared) -> tuple[str, ...]:
    """What the maintainer of the templates should know (each tag Word had split, joined again)."""
    return load_joined_template(prepared.template_path, tuple(part.template for part in prepared.appendices)).notices


def render(spec: SpecSource, *, base_dir: str | Path | None = None, allowed: Folders = ()) -> bytes:
    """Render a spec into the bytes of a .docx (the API for other programs)."""
    return render_prepared(prepare(spec, base_dir=base_dir, allowed=allowed))


def render_to_file(spec: SpecSource, output: str | Path, *, force: bool = False,
                   base_dir: str | Path | None = None, allowed: Folders = ()) -> Path:
    """Render a spec and write the .docx atomically; an existing file needs ``force``."""
    check_destination(output, force=force)  # fail before the work, not after
    return write_atomic(output, render(spec, base_dir=base_dir, allowed=allowed), force=force)


@dataclass(frozen=True)
class PdfResult:
    """A converted PDF and what the user should know about it (e.g. which font stood in)."""

    pdf: bytes
    notices: tuple[str, ...] = ()


_converter = None  # one warm LibreOffice per process, started on the first PDF


def running_converter():
    """The process's PDF converter if one was started (to end it at once on a second Ctrl-C), else None."""
    return _converter


def shared_converter():
    """The process's PDF converter: started once, reused by every conversion, stopped at exit."""
    global _converter
    if _converter is None:
        from engine.convert import PdfConverter

        _converter = PdfConverter()
    return _converter


def docx_to_pdf(docx: bytes, *, converter=None, source: str | None = None) -> PdfResult:
    """Convert a rendered .docx to PDF and check the result before anyone sees it.

    The check compares the PDF with the document: every page A4, the first page turned the way
    the first section is, landscape pages exactly when a section is landscape, and the PDF's
    text layer giving back at least 90 % of the letters of the document's body. A PDF that fails
    is an error. (The checks take about 6 ms on a three-page document.)
    """
    pdf = (converter or shared_converter()).convert(docx, source=source)
    return checked_pdf(docx, pdf, source=source)


def checked_pdf(docx: bytes, pdf: bytes, *, source: str | None = None, font_notice: bool = True) -> PdfResult:
    """The checks and the stamp of :func:`docx_to_pdf`, for a PDF just converted from ``docx``.

    Apart so that a batch can convert the next document while it checks this one. ``font_notice=False``
    (a batch, which shows no notices): the same checks, without reading the PDF's fonts for the notice
    of a stand-in font, which is half the cost of reading a one-page PDF.
    """
    from collections import Counter

    from engine.convert import check_pdf, read_pdf
    from engine.convert import font_notice as notice_of_fonts
    from engine.convert.pdfstamp import stamp_pdf
    from engine.render.layout import quick_facts_and_properties

    hint = "Mở tệp .docx bằng LibreOffice để xem; báo nhóm phát triển nếu tệp .docx đúng mà PDF sai."
    try:
        info = read_pdf(pdf, fonts=font_notice)
    except Exception as exc:  # noqa: BLE001 - whatever PDFium or pypdf raise on a broken file, it is this PDF's fault
        raise OutputError(Problem("PDF_CONVERSION", f"PDF chuyển ra không đọc được ({type(exc).__name__}: "
                                  f"{str(exc)[:120]})", Location(file=source), hint=hint)) from None
    facts, stored = quick_facts_and_properties(docx)
    problems = check_pdf(info, expect_pages_at_least=1)
    pages_landscape = [page.landscape for page in info.pages]
    if pages_landscape and pages_landscape[0] != facts.landscape_sections[0]:
        problems.append("trang 1 của PDF quay khác hướng trang của văn bản")
    if any(pages_landscape) != any(facts.landscape_sections):
        problems.append("PDF " + ("có" if any(pages_landscape) else "không có") + " trang ngang, văn bản thì ngược lại")
    # Text: the letters of the body must be read back from the PDF. Letters, not words: a font
    # lacking some Vietnamese letters has them drawn from a fallback font, out of order in the
    # text layer, and that is not lost text. (Headers and page numbers only add letters.)
    # (filter with str.isalpha counts in C: a third of the time of a generator, the same letters)
    # (written & extracted: each letter's smaller count, counted in C)
    written = Counter(filter(str.isalpha, facts.text))
    found, wanted = sum((written & Counter(filter(str.isalpha, info.text))).values()), sum(written.values())
    if found < 0.9 * wanted:
        problems.append(f"PDF chỉ đọc lại được {found} trong {wanted} chữ cái của văn bản")
    if problems:
        raise OutputError(Problem("PDF_CONVERSION", "PDF chuyển ra không đúng: " + "; ".join(problems),
                                  Location(file=source), hint=hint))
    notices = [notice] if font_notice and (notice := notice_of_fonts(info)) else []
    stamp = pdf_stamp_for(docx, stored)
    if stamp is not None:  # one of ours: the same bytes for the same .docx, and where it came from
        pdf, stamped = stamp_pdf(pdf, stamp)
        if not stamped:
            notices.append("PDF của LibreOffice có dạng chưa gặp: không ghi được nguồn gốc vào PDF, và hai lần chuyển "
                           "có thể khác nhau vài byte (ngày giờ)")
    return PdfResult(pdf, tuple(notices))


def pdf_stamp_for(docx: bytes, stored: StoredProperties | None = None) -> PdfStamp | None:
    """What the PDF of a .docx the engine rendered must say about itself (None for a file not ours).

    ``stored``: the .docx's properties if the caller has read them already.
    """
    from datetime import datetime

    from engine.convert.pdfstamp import DOCX_KEY, PdfStamp
    from engine.render.properties import package_properties

    if stored is None:
        stored = package_properties(docx)
    values = dict(stored.pairs)
    if provenance.VERSION_KEY not in values:
        return None
    try:
        date = datetime.fromisoformat(stored.created.replace("Z", "+00:00"))
    except ValueError:
        return None
    pairs = [(key, value) for key, value in stored.pairs
             if key.startswith(provenance.PREFIX) and not key.startswith(provenance.PARTS_KEY)
             and key != provenance.DIGEST_KEY]
    if provenance.DIGEST_KEY in values:
        pairs.append((DOCX_KEY, values[provenance.DIGEST_KEY]))
    return PdfStamp(stored.title, stored.creator, stored.subject, date, tuple(pairs))
