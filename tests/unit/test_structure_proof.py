"""A template's structure proves its renders well-formed only when it does.

A proven render is still checked for what a proof cannot know (a value's characters, markup printed as it is).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.template import build_template, context
from engine.errors import TemplateError
from engine.render import docx as docx_module
from engine.render.docx import CompiledTemplate, load_template, xml_problem
from engine.render.environment import docx_environment, sandbox_budget, watching_values
from engine.render.proof import structure_proof
from engine.trust.packages import xml_syntax_problem

ROOT = Path(__file__).resolve().parents[2]
HEAD, TAIL = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n<r xmlns:w='urn:w'>", "</r>"


def why_not(source: str) -> str | None:
    return structure_proof(docx_environment(), source, HEAD, TAIL, check=xml_problem)


def test_a_row_loop_of_escaped_values_is_proven() -> None:
    assert why_not("<w:tbl>{% for r in rows %}<w:tr><w:t>{{ r.ten }}</w:t><w:t a='{{ r.x }}'/></w:tr>"
                   "{% else %}<w:p/>{% endfor %}</w:tbl>{% if c %}<w:p>{{ c }}</w:p>{% elif d %}{% else %}"
                   "<w:p/>{% endif %}") is None


@pytest.mark.parametrize(("source", "reason"), [
    ("{% if c %}<w:p>{% endif %}<w:t>x</w:t>{% if c %}</w:p>{% endif %}", "other elements open"),
    ("<w:p>{% if c %}</w:p><w:p>{% endif %}</w:p>", "closes an element opened before"),
    ("<w:p>{% if c %}<w:r>{% endif %}</w:p>", "other elements open"),
    ("<w:p {{ a }}/>", "inside the tag"),
    ("<w:p w:a='1' {% if c %}w:b='2'{% endif %}/>", "inside the tag"),
    ("<{{ a }}/>", "does not read"),
    ("<w:p xmlns:x='{{ a }}'/>", "namespace declaration"),
    ("<w:p><!-- {{ a }} --></w:p>", "inside a comment"),
    ("<w:p>&{{ a }};</w:p>", "begins no entity"),
    ("<w:p>&amp</w:p>", "begins no entity"),
    ("{% macro m() %}<w:p/>{% endmacro %}{{ m() }}", "Macro"),
    ("{% autoescape false %}{{ a }}{% endautoescape %}", "Scope tag"),
    ("{% filter upper %}<w:p/>{% endfilter %}", "FilterBlock"),
    ("{% for r in rows recursive %}<w:p>{{ loop(r.c) }}</w:p>{% endfor %}", "recursive"),
    ("<w:p>{{ '\x01' }}</w:p>", "constant value"),
    ("<w:p><x:q/></w:p>", "witness is not well-formed"),
    ("<w:p>&nbsp;</w:p>", "witness is not well-formed"),
    ("<w:p>\x01</w:p>", "witness is not well-formed"),
    ("<w:p w:a='1' w:a='2'/>", "witness is not well-formed"),
])
def test_a_template_whose_structure_does_not_prove_it_is_told_why(source: str, reason: str) -> None:
    found = why_not(source)
    assert found is not None and reason in found


def test_a_block_outside_the_root_or_a_second_root_is_not_proven() -> None:
    environment = docx_environment()
    assert "outside the root" in structure_proof(environment, "{% if c %}<a/>{% endif %}", "", "", check=xml_problem)
    assert "one root" in structure_proof(environment, "<a/><b/>", "", "", check=xml_problem)


# Templates made of: elements (some left open, some stray end tags), text, entities, values in content and
# in attributes, comments, and if/for blocks around any of it (always closed, so that Jinja compiles them).
LEAVES = st.sampled_from(["<w:b/>", "text", " ", "&amp;", "&#x41;", "{{ v }}", "{{ i }}", "<w:c w:k='a{{ v }}b'/>",
                          "<!-- note -->", "<w:p>", "</w:p>", "<w:t>", "</w:t>", "&", "<", ">", "]]>",
                          "<w:c xmlns:q='{{ v }}'/>", "<w:c {{ v }}/>", "<!-- {{ v }} -->"])


def _element(children: list[str]) -> str:
    return "<w:e w:k=\"{{ v }}\">" + "".join(children) + "</w:e>"


def _if(children: tuple[list[str], list[str]]) -> str:
    return "{% if c %}" + "".join(children[0]) + "{% else %}" + "".join(children[1]) + "{% endif %}"


def _for(children: list[str]) -> str:
    return "{% for i in items %}" + "".join(children) + "{% endfor %}"


TEMPLATES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4).map(_element), st.tuples(st.lists(inner, max_size=3), st.lists(inner, max_size=3))
    .map(_if), st.lists(inner, max_size=4).map(_for)), max_leaves=12)
VALUES = st.one_of(st.text(max_size=8), st.sampled_from(["<", "&", "\"'", "]]>", "\x01", "\ufffe", "\t", "--"]),
                   st.integers(-5, 5))


@settings(max_examples=500, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.lists(TEMPLATES, max_size=4), VALUES, st.booleans(), st.lists(VALUES, max_size=3))
def test_every_render_of_a_proven_template_is_well_formed(parts: list[str], value: object, flag: bool,
                                                          items: list[object]) -> None:
    """The proof's soundness: whatever the data, a proven template's output passes the full check.

    Unless a value was one the proof does not cover (a character XML does not allow): then the render is
    watched and the part gets the full check.
    """
    source = "".join(parts)
    if why_not(source) is not None:
        return
    with sandbox_budget(), watching_values() as unproven:
        output = docx_environment().from_string(source).render(v=value, c=flag, items=items, i=value)
    if not unproven[0]:
        assert xml_syntax_problem((HEAD + output + TAIL).encode("utf-8")) is None, source


def test_the_generated_templates_are_often_proven() -> None:
    """So that the property above is about proven templates, not only refused ones."""
    proven = []

    @settings(max_examples=300, deadline=None, derandomize=True, database=None)
    @given(st.lists(TEMPLATES, max_size=4))
    def count(parts: list[str]) -> None:
        proven.append(why_not("".join(parts)) is None)

    count()
    assert 0.2 < sum(proven) / len(proven) < 0.9


def test_the_benchmark_table_and_the_engines_templates_are_proven(tmp_path: Path) -> None:
    templates = [build_template(tmp_path / "bang.docx"), *sorted((ROOT / "templates").rglob("*.docx"))]
    for path in templates:
        compiled = CompiledTemplate.from_file(path)._compile()
        assert compiled and "word/document.xml" in compiled.proven, path.name


def _document(data: bytes) -> bytes:
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as archive:
        return archive.read("word/document.xml")


def test_a_proven_render_of_plain_values_skips_the_full_check_and_gives_the_same_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    template = load_template(build_template(tmp_path / "bang.docx"))
    before = template.render(context(30))
    calls: list[int] = []
    monkeypatch.setattr(docx_module, "xml_problem", lambda data: calls.append(len(data)))
    assert template.render(context(30)) == before
    assert calls == []
    assert xml_syntax_problem(_document(before)) is None


@pytest.mark.parametrize("bad", ["\x01", "\x1f", "\ufffe"])
def test_a_value_with_a_character_xml_does_not_allow_is_refused_as_before(tmp_path: Path, bad: str) -> None:
    template = load_template(build_template(tmp_path / "bang.docx"))
    values = context(3)
    values["rows"][1]["ten"] = f"UBND xã {bad}"
    with pytest.raises(TemplateError) as caught:
        template.render(values)
    assert caught.value.problems[0].code == "TEMPLATE_OUTPUT"
