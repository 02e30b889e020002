"""Render official Vietnamese administrative documents (Nghị định 30/2020) from YAML specs.

The public API::

    from engine import render, render_to_file, prepare, load_spec, EngineError
    docx_bytes = render("fixtures/tua_chua_2023_04/spec.yaml")
"""

from engine.errors import DataError, EngineError, OutputError, Problem, SpecError, TemplateError
from engine.pipeline import Prepared, prepare, render, render_to_file
from engine.spec.loader import LoadedSpec, load_spec, load_spec_text, spec_from_mapping

__all__ = [
    "DataError",
    "EngineError",
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
]
