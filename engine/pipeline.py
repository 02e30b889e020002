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
from engine.context import build_context
from engine.data.loader import load_data
from engine.errors import Problem, SpecError
from engine.kinds import KINDS
from engine.output import check_destination, write_atomic
from engine.render.compose import join_documents
from engine.render.docx import load_template
from engine.render.tables import TableMarkup
from engine.scoring.stage import Scored, score_spec
from engine.spec.loader import LoadedSpec, load_spec, spec_from_mapping

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


def _as_loaded(spec: SpecSource, base_dir: str | Path | None) -> LoadedSpec:
    if isinstance(spec, LoadedSpec):
        return spec
    if isinstance(spec, dict):
        return spec_from_mapping(spec, base_dir=base_dir or ".")
    return load_spec(spec)


def template_for(loaded: LoadedSpec) -> Path:
    """The spec's own template (``mau``) if given, else its kind's template."""
    if loaded.spec.mau:
        path = (loaded.base_dir / loaded.spec.mau).resolve()
        if not path.is_file():
            raise SpecError(Problem("SPEC_VALUE", f"không tìm thấy mẫu '{loaded.spec.mau}'",
                                    loaded.source.location(("mau",), field="mau"),
                                    hint="Đường dẫn tính từ thư mục của tệp đặc tả."))
        return path
    return KINDS[loaded.spec.loai].template


def prepare(spec: SpecSource, *, base_dir: str | Path | None = None) -> Prepared:
    """Load and validate the spec, read its data and build the render context."""
    loaded = _as_loaded(spec, base_dir)
    data = load_data(loaded)
    scored = score_spec(loaded)
    names = {**data, **{name: result.view for name, result in scored.items()}}
    context = build_context(loaded, names)
    names["van_ban"] = context["van_ban"]  # phụ lục titles and stated figures may use the document's own fields
    findings = [finding for result in scored.values() for finding in result.findings]
    findings += stated_figures(loaded, names)
    appendices = appendix_parts(loaded, names, scored)
    return Prepared(loaded, data, context, template_for(loaded), scored, tuple(findings), tuple(appendices))


def audit(spec: SpecSource, *, base_dir: str | Path | None = None) -> list[Finding]:
    """Every stated figure of the spec and its data that disagrees with the computed one."""
    return list(prepare(spec, base_dir=base_dir).findings)


def render_prepared(prepared: Prepared) -> bytes:
    """Fill the document's template and each phụ lục's, and join them into one .docx."""
    main = load_template(prepared.template_path).render(prepared.context)
    parts = [
        load_template(part.template).render({
            "van_ban": prepared.context["van_ban"],
            "phu_luc": {**part.context, "bang": TableMarkup(part.table)},
        })
        for part in prepared.appendices
    ]
    return join_documents(main, parts)


def render(spec: SpecSource, *, base_dir: str | Path | None = None) -> bytes:
    """Render a spec into the bytes of a .docx (the API for other programs)."""
    return render_prepared(prepare(spec, base_dir=base_dir))


def render_to_file(spec: SpecSource, output: str | Path, *, force: bool = False,
                   base_dir: str | Path | None = None) -> Path:
    """Render a spec and write the .docx atomically; an existing file needs ``force``."""
    check_destination(output, force=force)  # fail before the work, not after
    return write_atomic(output, render(spec, base_dir=base_dir), force=force)


def render_prepared_to_file(prepared: Prepared, output: str | Path, *, force: bool = False) -> Path:
    """Write an already prepared spec (the CLI audits it first, then writes it)."""
    check_destination(output, force=force)
    return write_atomic(output, render_prepared(prepared), force=force)
