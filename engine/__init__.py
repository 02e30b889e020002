"""Render official Vietnamese administrative documents (Nghị định 30/2020) from YAML specs.

The public API::

    from engine import render, render_to_file, prepare, load_spec, EngineError, Limits, using_limits
    docx_bytes = render("fixtures/tua_chua_2023_04/spec.yaml")
    docx_bytes = render(mapping, base_dir="folder", allowed=["../shared_data"])  # which folders it may read
"""

from engine.errors import (
    AccessError,
    DataError,
    EngineError,
    LimitError,
    OutputError,
    Problem,
    SpecError,
    TemplateError,
)
from engine.pipeline import Prepared, prepare, render, render_to_file
from engine.spec.loader import LoadedSpec, load_spec, load_spec_text, spec_from_mapping
from engine.trust.limits import Limits, using_limits

__all__ = [
    "AccessError",
    "DataError",
    "EngineError",
    "LimitError",
    "Limits",
    "LoadedSpec",
    "OutputError",
    "Prepared",
    "Problem",
    "SpecError",
    "TemplateError",
    "load_spec",
    "load_spec_text",
    "prepare",
    "render",
    "render_to_file",
    "spec_from_mapping",
    "using_limits",
]
