"""The error codes and exit codes in engine/errors.py and docs/errors.md are the same list."""

from __future__ import annotations

import re

import pytest

from engine.errors import ERROR_CODES, EXIT_CODES, EXIT_INTERNAL, EXIT_USAGE, Problem
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")


def test_every_error_code_is_documented_and_every_documented_code_exists() -> None:
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", DOC, flags=re.MULTILINE))
    assert documented == set(ERROR_CODES)


def test_every_exit_code_is_documented() -> None:
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", DOC, flags=re.MULTILINE)}
    assert {0, EXIT_USAGE, EXIT_INTERNAL, *EXIT_CODES.values()} <= documented


def test_an_undocumented_code_cannot_be_raised() -> None:
    with pytest.raises(ValueError):
        Problem("SPEC_NEW_THING", "x")
