"""Hand hostile data to the Python API (``engine.render({...})``), as a service would, and hold it to the same promises.

A program passes Python objects, not files: text with lone surrogates, data that contains itself,
objects that are not plain data, numbers no document can hold, a ``str`` that claims to be markup, and
paths when no folder was given. Each must end in its named error (or render the value as plain text),
never in a crash or in raw XML placed in the document.
"""

from __future__ import annotations

import copy
import io
import zipfile
from collections.abc import Callable
from decimal import Decimal
from functools import reduce
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine import EngineError, render
from engine.errors import AccessError, LimitError, SpecError
from tests.conftest import FIXTURES

BASE: dict[str, Any] = yaml.safe_load((FIXTURES / "lo_xa_2026_01" / "spec.yaml").read_text(encoding="utf-8"))
BASE["noi_dung"] = [{"doan": "Giá trị: {{ d.x }}."}]


class PosingAsMarkup(str):
    """A str that tells markupsafe it is already markup: its __html__ would go into the XML unescaped."""

    def __html__(self) -> str:
        return "</w:t></w:r><w:r><w:t>DA_CHEN</w:t></w:r><w:r><w:t>"


def spec(x: Any = 1, **changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(BASE)
    result["du_lieu"] = {"d": {"x": x}}
    result.update(changes)
    return result


def itself() -> dict[str, Any]:
    data: dict[str, Any] = {"x": 1}
    data["chinh_no"] = data
    return {**spec(), "du_lieu": {"d": data}}


# name, the spec (made when the test runs), the base folder, the error class and code
REFUSED: list[tuple[str, Callable[[], dict[str, Any]], str | None, type[EngineError], str]] = [
    ("a_lone_surrogate_in_a_field", lambda: spec(trich_yeu="Báo cáo \ud800 tháng"), None, SpecError, "SPEC_VALUE"),
    ("a_lone_surrogate_in_data", lambda: spec("a\udfffb"), None, SpecError, "SPEC_VALUE"),
    ("a_control_character_in_data", lambda: spec("a\x1bb"), None, SpecError, "SPEC_VALUE"),
    ("data_that_contains_itself", itself, None, LimitError, "LIMIT_DEPTH"),
    ("a_list_nested_a_thousand_deep", lambda: spec(reduce(lambda inner, _: [inner], range(1000), [])), None,
     LimitError, "LIMIT_DEPTH"),
    ("an_object_that_is_not_plain_data", lambda: spec(object()), None, SpecError, "SPEC_TYPE"),
    ("bytes_in_data", lambda: spec(b"\x00\x01"), None, SpecError, "SPEC_TYPE"),
    ("an_infinite_float", lambda: spec(float("inf")), None, LimitError, "LIMIT_NUMBER"),
    ("a_decimal_nan", lambda: spec(Decimal("NaN")), None, LimitError, "LIMIT_NUMBER"),
    ("an_integer_of_fifty_digits", lambda: spec(10 ** 50), None, LimitError, "LIMIT_NUMBER"),
    ("a_string_of_two_million_characters", lambda: spec("a" * 2_000_000), None, LimitError, "LIMIT_TEXT"),
    ("a_template_path_with_no_folder_given", lambda: spec(mau="/etc/passwd"), None, AccessError, "ACCESS_OUTSIDE"),
    ("a_data_path_with_no_folder_given", lambda: {**spec(), "du_lieu": {"d": "../../etc/x.yaml"}}, None, AccessError,
     "ACCESS_OUTSIDE"),
    ("a_template_path_outside_the_folder_given", lambda: spec(mau="/etc/passwd"), "folder", AccessError,
     "ACCESS_OUTSIDE"),
    ("a_sandbox_escape_in_text", lambda: spec(noi_dung=[{"doan": "{{ d.x.__class__.__mro__ }}"}]), None, SpecError,
     "SANDBOX_ACCESS"),
]


@pytest.mark.parametrize(("name", "make", "folder", "error", "code"), REFUSED, ids=[case[0] for case in REFUSED])
def test_hostile_data_from_a_program_is_refused_by_name(name: str, make: Callable[[], dict[str, Any]],
                                                         folder: str | None, error: type[EngineError], code: str,
                                                         tmp_path: Path) -> None:
    with pytest.raises(EngineError) as caught:
        render(make(), base_dir=tmp_path if folder else None)
    assert isinstance(caught.value, error), caught.value
    assert code in [problem.code for problem in caught.value.problems], caught.value
    assert "root:x:0:0" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["data", "a_field"])
def test_a_str_posing_as_markup_is_printed_as_plain_text_not_placed_as_xml(where: str) -> None:
    value = PosingAsMarkup("xã Mường Phăng")
    hostile = spec(value) if where == "data" else spec(trich_yeu=value)
    with zipfile.ZipFile(io.BytesIO(render(hostile))) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
    assert "DA_CHEN" not in body
    assert "xã Mường Phăng" in body
