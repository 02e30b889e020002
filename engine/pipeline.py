"""Turn a spec (a file, YAML text or a mapping) into a rendered .docx, stage by stage.

Each stage is callable on its own: :func:`prepare` loads and validates the spec, reads its
data, scores it under its frameworks, audits the stated figures and builds the contexts of
the document and its phụ lục (what ``validate`` and ``audit`` run); :func:`render` fills the
templates and joins the phụ lục to the document; :func:`render_to_file` writes atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.appendix import AppendixPart, appendix_parts
from engine.audit import Finding, stated_figures
from engine.context import build_context, period_names
from engine.data.loader import load_data
from engine.errors import Location, OutputError, Problem, SpecError
from engine.kinds import KINDS
from engine.output import check_destination, write_atomic
from engine.render.docx import APPENDIX_CONTEXT, load_joined_template
from engine.render.environment import sandbox_budget
from engine.render.tables import TableMarkup
from engine.scoring.stage import Scored, score_spec
from engine.spec.loader import Folders, LoadedSpec, load_spec, spec_from_mapping

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
    with sandbox_budget():
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
    return Prepared(loaded, data, context, template_for(loaded), scored, tuple(findings), tuple(appendices))


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
    template = load_joined_template(prepared.template_path, tuple(part.template for part in prepared.appendices))
    context = prepared.context
    if prepared.appendices:
        context = {**context, APPENDIX_CONTEXT: [{**part.context, "bang": TableMarkup(part.table)}
                                                 for part in prepared.appendices]}
    with sandbox_budget():
        return template.render(context)


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
    from collections import Counter

    from engine.convert import check_pdf, font_notice, read_pdf
    from engine.render.layout import quick_facts

    pdf = (converter or shared_converter()).convert(docx, source=source)
    info = read_pdf(pdf)
    facts = quick_facts(docx)
    problems = check_pdf(info, expect_pages_at_least=1)
    pages_landscape = [page.landscape for page in info.pages]
    if pages_landscape and pages_landscape[0] != facts.landscape_sections[0]:
        problems.append("trang 1 của PDF quay khác hướng trang của văn bản")
    if any(pages_landscape) != any(facts.landscape_sections):
        problems.append("PDF " + ("có" if any(pages_landscape) else "không có") + " trang ngang, văn bản thì ngược lại")
    # Text: the letters of the body must be read back from the PDF. Letters, not words: a font
    # lacking some Vietnamese letters has them drawn from a fallback font, out of order in the
    # text layer, and that is not lost text. (Headers and page numbers only add letters.)
    written = Counter(c for c in facts.text if c.isalpha())
    extracted = Counter(c for c in info.text if c.isalpha())
    found = sum(min(count, extracted[letter]) for letter, count in written.items())
    if found < 0.9 * sum(written.values()):
        problems.append(f"PDF chỉ đọc lại được {found} trong {sum(written.values())} chữ cái của văn bản")
    if problems:
        raise OutputError(Problem("PDF_CONVERSION", "PDF chuyển ra không đúng: " + "; ".join(problems),
                                  Location(file=source), hint="Mở tệp .docx bằng LibreOffice để xem; báo nhóm "
                                  "phát triển nếu tệp .docx đúng mà PDF sai."))
    notice = font_notice(info)
    return PdfResult(pdf, (notice,) if notice else ())
