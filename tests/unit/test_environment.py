"""Spec expressions compute with exact decimals, fail on missing names and stay in the sandbox."""

from __future__ import annotations

from decimal import Decimal

import jinja2
import markupsafe
import pytest

from engine.render.environment import compile_text, docx_environment


def render(source: str, **names) -> str:
    return compile_text(source).render(names)


def test_point_one_plus_point_two_prints_point_three() -> None:
    assert render("{{ (0.1 + 0.2) | so }}") == "0,3"


def test_dividing_two_whole_numbers_is_exact_decimal_division() -> None:
    assert Decimal(render("{{ a / b }}", a=12, b=18)) == Decimal(12) / Decimal(18)
    assert render("{{ ((2 * 1033 + 99) / 1132) | so(2) }}") == "1,91"


def test_sums_of_counts_stay_whole_numbers() -> None:
    assert render("{{ a + b + c }}", a=99, b=1047, c=1) == "1147"


def test_decimal_data_mixes_with_literals() -> None:
    assert render("{{ (x * 0.5) | so }}", x=Decimal("16.74")) == "8,37"


def test_a_missing_name_is_an_error_not_a_blank() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("{{ khong_co }}")


def test_the_sandbox_refuses_python_internals() -> None:
    with pytest.raises(jinja2.exceptions.SecurityError):
        render("{{ x.__class__.__subclasses__() }}", x=1)


def test_the_docx_environment_escapes_xml_special_characters() -> None:
    out = docx_environment().from_string("<w:t>{{ v }}</w:t>").render(v="A & B <C>")
    assert out == "<w:t>A &amp; B &lt;C&gt;</w:t>"


def test_a_sum_keeps_the_decimals_its_terms_were_written_with_a_product_does_not_invent_any() -> None:
    assert render("{{ (a + b) | so }}", a=Decimal("3.5"), b=Decimal("1.5")) == "5,0"
    assert render("{{ (100 - a) | so }}", a=Decimal("56.12")) == "43,88"
    assert render("{{ (a * 2) | so }}", a=Decimal("7.5")) == "15"
    assert render("{{ (a / 4) | so }}", a=Decimal("10.0")) == "2,5"


PRINTED = ["", "UBND xã Tả Phìn", "a & b", "<w:p>", "x > y", "O'Neil", 'say "hi"', "&amp;", "{_{ tag }_}",
           "\t\n", 7, -3, 10**30, Decimal("86.20"), 0.5]


@pytest.mark.parametrize("value", PRINTED, ids=repr)
def test_a_printed_value_is_escaped_exactly_as_markupsafe_escapes_it(value: object) -> None:
    env = docx_environment()
    expected = str(markupsafe.escape(value))
    assert env.from_string("{{ v }}").render(v=value) == expected
    assert env.from_string("{{ r.v }}").render(r={"v": value}) == expected  # the one-call field path
    assert env.from_string("{{ r['v'] }}").render(r={"v": value}) == expected


def test_a_field_printed_in_one_call_keeps_the_sandbox_and_the_undefined_error() -> None:
    env = docx_environment()
    assert env.from_string('{{ {"a": "<w:t>"}.a }}').render() == "&lt;w:t&gt;"  # a constant too
    with pytest.raises(jinja2.UndefinedError, match="no attribute 'khong_co'"):
        env.from_string("{{ r.khong_co }}").render(r={})
    with pytest.raises(jinja2.exceptions.SecurityError):
        env.from_string("{{ r.upper }}").render(r="chữ")
    for value in ({"k": 1}, True, None):  # a dict, a list: not printed as Python's repr; True is not the number 1
        with pytest.raises(jinja2.exceptions.SecurityError):
            env.from_string("{{ r.v }}").render(r={"v": value})
        with pytest.raises(jinja2.exceptions.SecurityError):
            env.from_string("{{ v }}").render(v=value)
