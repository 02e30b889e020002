"""Turn a spec (a file, YAML text or a mapping) into a rendered .docx, stage by stage.

Each stage is callable on its own: :func:`prepare` loads and validates the spec, reads its
data and builds the context (what ``validate`` runs); :func:`render` adds the template;
:func:`render_to_file` writes the result atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.context import build_context
from engine.data.loader import load_data
from engine.errors import Problem, SpecError
from engine.kinds import KINDS
from engine.output import check_destination, write_atomic
from engine.render.docx import load_template
from engine.spec.loader import LoadedSpec, load_spec, spec_from_mapping

SpecSource = str | Path | LoadedSpec | dict[str, Any]


@dataclass(frozen=True)
class Prepared:
    """A spec with its data read and its render context built: everything but the .docx."""

    loaded: LoadedSpec
    data: dict[str, Any]
    context: dict[str, Any]
    template_path: Path


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
    context = build_context(loaded, data)
    return Prepared(loaded, data, context, template_for(loaded))


def render(spec: SpecSource, *, base_dir: str | Path | None = None) -> bytes:
    """Render a spec into the bytes of a .docx (the API for other programs)."""
    prepared = prepare(spec, base_dir=base_dir)
    return load_template(prepared.template_path).render(prepared.context)


def render_to_file(spec: SpecSource, output: str | Path, *, force: bool = False,
                   base_dir: str | Path | None = None) -> Path:
    """Render a spec and write the .docx atomically; an existing file needs ``force``."""
    check_destination(output, force=force)  # fail before the work, not after
    return write_atomic(output, render(spec, base_dir=base_dir), force=force)
