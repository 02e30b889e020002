"""Templates and spec expressions read plain data only, print no internals and stay within their limits."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
from docx import Document

from engine import render
from engine.errors import LimitError, SpecError, TemplateError
from engine.render.environment import SandboxLimit, SandboxViolation, compile_text, docx_environment, sandbox_budget
from engine.scoring.figures import Figure, Percentage
from engine.trust.limits import Limits, using_limits
from tests.unit.test_spec_errors import GOOD


def run(source: str, **names) -> str:
    with sandbox_budget():
        return compile_text(source).render(names)


def refusal(source: str, **names) -> str:
    with pytest.raises((SandboxViolation, SandboxLimit)) as caught:
        run(source, **names)
    return caught.value.code


@pytest.mark.parametrize("name", ["range", "dict", "lipsum", "cycler", "joiner", "namespace"])
def test_jinja_globals_are_not_there(name: str) -> None:
    with pytest.raises(jinja2.UndefinedError):
        run("{{ " + name + " }}")


@pytest.mark.parametrize("source", ["{{ ''.format }}", "{{ 'a'.upper() }}", "{{ rows.append }}", "{{ n.real }}",
                                    "{{ f.rounded }}", "{{ n.__class__ }}", "{{ 'a'['upper'] }}", "{{ rows.sort() }}"])
def test_methods_and_attributes_of_values_are_refused(source: str) -> None:
    names = {"rows": [1], "n": 5, "f": Figure(Decimal("1.5"), 1)}
    assert refusal(source, **names) == "SANDBOX_ACCESS"


@pytest.mark.parametrize("source", ["{{ x.items }}", "{{ x.__class__ }}", "{{ x['keys'] }}"])
def test_a_dict_gives_only_its_keys_and_a_missing_key_is_undefined_not_a_method(source: str) -> None:
    with pytest.raises(jinja2.UndefinedError):
        run(source, x={"a": 1})


def test_keys_items_and_the_declared_fields_of_figures_are_read() -> None:
    share = Percentage(Figure(Decimal("91.86"), 2), Decimal(12490), Decimal(13597), "tổng số hồ sơ")
    names = {"row": {"items": 3, "Tên": "Xã A"}, "rows": [{"ten": "B"}], "share": share}
    assert run("{{ row.items }} {{ row['Tên'] }} {{ rows[0].ten }} {{ share.base | so }} {{ share.value.decimals }}",
               **names) == "3 Xã A B 13.597 2"
    assert run("{% for r in rows %}{{ loop.index }}/{{ loop.length }}{% endfor %}", rows=[1, 2]) == "1/22/2"
    assert run("{% for g in rows | groupby('k') %}{{ g.grouper }}{{ g.list | length }}{% endfor %}",
               rows=[{"k": "a"}, {"k": "a"}]) == "a2"


@pytest.mark.parametrize(("source", "names"), [("{{ x }}", {"x": {"a": 1}}), ("{{ x }}", {"x": [1, 2]}),
                                               ("{{ x }}", {"x": None}), ("{{ x > 1 }}", {"x": 2}),
                                               ("{{ x | string }}", {"x": {"a": Decimal(1)}})])
def test_printing_a_table_a_list_none_or_a_truth_value_is_an_error_not_a_repr(source: str, names: dict) -> None:
    assert refusal(source, **names) == "SANDBOX_PRINT"


@pytest.mark.parametrize("source", ["{{ rows | join(', ') }}", "{{ row | striptags }}", "{{ row | upper }}",
                                    "{{ row | e }}", "{{ none | trim }}"])
def test_text_filters_do_not_print_the_repr_of_a_table_a_list_or_none(source: str) -> None:
    names = {"rows": [{"diem": Decimal(5)}], "row": {"diem": Decimal(5)}, "none": None}
    assert refusal(source, **names) == "SANDBOX_PRINT"
    assert run("{{ rows | join(', ') }}", rows=["Xã A", 5, Decimal("2.5")]) == "Xã A, 5, 2.5"


def test_only_the_templates_own_macros_can_be_called() -> None:
    assert run("{% macro m(x) %}<{{ x }}>{% endmacro %}{{ m(1) }}") == "<1>"
    assert refusal("{{ f(1) }}", f=len) == "SANDBOX_ACCESS"


@pytest.mark.parametrize(("source", "code"), [
    ('{{ "a" * 10**9 }}', "LIMIT_TEXT"),
    ("{{ [0] * 10**9 }}", "LIMIT_LIST"),
    ('{{ "a" | center(10**9) }}', "LIMIT_TEXT"),
    ('{{ "a\\n" * 1000 | indent(10**6) }}', "LIMIT_TEXT"),
    ('{{ ("ab" * 500) | replace("a", "x" * 5000) }}', "LIMIT_TEXT"),
    ("{{ [1, 2] | batch(10**9) | list }}", "LIMIT_LIST"),
    ("{{ 10 ** 1000 }}", "LIMIT_NUMBER"),
    ("{{ 2 ** 0.5 }}", "LIMIT_NUMBER"),
    ("{{ 5 | so(10**6) }}", None),
    ("{% set s = 'x' * 2000 %}{% set s = s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s %}"
     "{% set s = s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s %}{% set s = s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s %}{{ s }}",
     "LIMIT_TEXT"),
])
def test_operations_that_would_make_huge_values_are_stopped_before_or_just_after_one_step(source: str,
                                                                                           code: str | None) -> None:
    if code is None:
        with pytest.raises(ValueError):
            run(source)
    else:
        assert refusal(source) == code


def test_loops_count_against_the_document_and_so_does_the_clock() -> None:
    rows = list(range(100))
    with using_limits(replace(Limits(), so_vong_lap=1000)):
        assert refusal("{% for a in r %}{% for b in r %}{% endfor %}{% endfor %}", r=rows) == "LIMIT_LOOP"
    with using_limits(replace(Limits(), so_vong_lap=10**9, thoi_gian_dung=0.02)):  # the loops take a second
        assert refusal("{% for a in r %}{% for b in r %}{% for c in r %}{% endfor %}{% endfor %}{% endfor %}",
                       r=rows) == "LIMIT_TIME"


def test_a_macro_that_calls_itself_is_a_depth_limit_of_the_spec(tmp_path: Path) -> None:
    spec = GOOD.replace("- doan: Nội dung.", "- doan: '{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}'")
    (tmp_path / "spec.yaml").write_text(spec, encoding="utf-8")
    with pytest.raises(LimitError) as caught:
        render(tmp_path / "spec.yaml")
    assert caught.value.problems[0].code == "LIMIT_DEPTH"
    assert caught.value.problems[0].location.line == 10


def test_a_stated_figure_must_compute_to_a_number(tmp_path: Path) -> None:
    spec = GOOD + "so_lieu_ghi:\n  - {noi_dung: Tổng, ghi: 5, tinh: van_ban.dia_danh}\n"
    (tmp_path / "spec.yaml").write_text(spec, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        render(tmp_path / "spec.yaml")
    [problem] = caught.value.problems
    assert problem.code == "SPEC_EXPRESSION" and "không phải một số" in problem.message
    assert problem.location.field == "so_lieu_ghi[0].tinh"


def test_the_docx_environment_escapes_data_so_it_cannot_add_xml() -> None:
    out = docx_environment().from_string("<w:t>{{ v }}</w:t>").render(v='<w:fldSimple w:instr="INCLUDETEXT x"/>')
    assert "<w:fldSimple" not in out


def test_a_template_that_writes_a_file_fetching_field_out_of_data_is_refused(tmp_path: Path) -> None:
    from engine.kinds import TEMPLATES_DIR

    document = Document(str(TEMPLATES_DIR / "bao_cao" / "bao_cao.docx"))
    document.add_paragraph("{% autoescape false %}{{ d.ma }}{% endautoescape %}")
    document.save(tmp_path / "mau.docx")
    field = '</w:t></w:r><w:fldSimple w:instr=" INCLUDETEXT /etc/passwd "/><w:r><w:t>'
    spec = GOOD + "mau: mau.docx\ndu_lieu:\n  d:\n    ma: '" + field + "'\n"
    (tmp_path / "spec.yaml").write_text(spec, encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        render(tmp_path / "spec.yaml")
    assert caught.value.problems[0].code == "FILE_LINK"
    assert "INCLUDETEXT" in caught.value.problems[0].message
