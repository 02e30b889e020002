"""vanban lint: a template per kind of mistake (made by code from ours), each found at its paragraph, all at once."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from engine.cli import main
from engine.render.lint import lint_template
from engine.render.messages import jinja_message
from tests.conftest import ROOT
from tests.word.variants import KINDS, split_tags

BAO_CAO = ROOT / "templates" / "bao_cao" / "bao_cao.docx"


def _changed(tmp_path: Path, *replacements: tuple[str, str], name: str = "mau.docx") -> Path:
    out = io.BytesIO()
    with zipfile.ZipFile(BAO_CAO) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                text = data.decode("utf-8")
                for old, new in replacements:
                    assert old in text, old
                    text = text.replace(old, new, 1)
                data = text.encode("utf-8")
            target.writestr(item, data)
    path = tmp_path / name
    path.write_bytes(out.getvalue())
    return path


MISTAKES = {
    "unknown_name": ((">{{ van_ban.trich_yeu }}<", ">{{ van_ban.trich_yue }}<"), "TEMPLATE_UNDEFINED", "trich_yeu",
                     "{{ van_ban.trich_yue }}"),
    "unknown_root": ((">{{ van_ban.so_ky_hieu }}<", ">{{ van_bn.so_ky_hieu }}<"), "TEMPLATE_UNDEFINED", "van_ban",
                     "{{ van_bn.so_ky_hieu }}"),
    "unknown_filter": ((">{{ van_ban.trich_yeu }}<", ">{{ van_ban.trich_yeu | in_hoaa }}<"), "TEMPLATE_FILTER",
                       "in_hoa", "in_hoaa"),
    "unclosed_block": ((">{%p endif %}<", "><"), "TEMPLATE_SYNTAX", "endif", "{%p if"),
    "wrong_end": ((">{%p endfor %}<", ">{%p endif %}<"), "TEMPLATE_SYNTAX", "endfor", "{%p for"),
    "else_outside": ((">{{ van_ban.trich_yeu }}<", ">{%p else %}<"), "TEMPLATE_SYNTAX", "if", "{%p else %}"),
    "syntax": ((">{{ van_ban.trich_yeu }}<", ">{{ van_ban.trich_yeu } }}<"), "TEMPLATE_SYNTAX", "không đúng chỗ",
               "trich_yeu"),
    "unknown_tag": ((">{%p endif %}<", ">{%p endiff %}<"), "TEMPLATE_SYNTAX", "endiff", "endiff"),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_kind_of_mistake_is_found_with_its_paragraph_and_a_fix(tmp_path, mistake):
    replacement, code, hint_or_message, paragraph = MISTAKES[mistake]
    report = lint_template(_changed(tmp_path, replacement))
    found = [finding for finding in report.errors if finding.code == code]
    assert found, [str(finding) for finding in report.findings]
    assert any(paragraph in (finding.paragraph or "") for finding in found)
    assert any(hint_or_message in finding.message + (finding.hint or "") for finding in found)
    assert all("unexpected" not in finding.message and "expected token" not in finding.message for finding in found)


def test_every_mistake_of_a_template_is_found_in_one_run(tmp_path):
    report = lint_template(_changed(tmp_path, *(MISTAKES[name][0] for name in ("unknown_root", "unknown_filter",
                                                                              "wrong_end"))))
    assert {finding.code for finding in report.errors} == {"TEMPLATE_UNDEFINED", "TEMPLATE_FILTER", "TEMPLATE_SYNTAX"}


def test_a_clean_template_lists_the_variables_it_reads_as_nested_paths():
    report = lint_template(BAO_CAO)
    assert report.errors == []
    assert {"van_ban.nguoi_ky.ho_ten", "van_ban.noi_dung[].tieu_de", "van_ban.trich_yeu"} <= set(report.variables)


def test_split_tags_are_notices_not_errors(tmp_path):
    split, count = split_tags(BAO_CAO.read_bytes(), KINDS["proof_marks"])
    (tmp_path / "mau.docx").write_bytes(split)
    report = lint_template(tmp_path / "mau.docx")
    assert report.errors == []
    assert len([f for f in report.findings if f.code == "TEMPLATE_REPAIRED"]) == count


def test_with_a_spec_its_data_names_are_checked_too(tmp_path):
    template = _changed(tmp_path, (">{{ van_ban.trich_yeu }}<", ">{{ so_lieu.tiep_nhn }}<"))
    (tmp_path / "so_lieu.yaml").write_text("tiep_nhan: 120\n", encoding="utf-8")
    spec = tmp_path / "bc.yaml"
    spec.write_text(yaml.safe_dump({"loai": "bao_cao", "co_quan_ban_hanh": {"ten": "UBND XÃ A", "viet_tat": "UBND"},
                                    "dia_danh": "A", "ngay": 2026, "trich_yeu": "T", "mau": "mau.docx",
                                    "du_lieu": {"so_lieu": "so_lieu.yaml"}, "noi_nhan": {"luu": "VP"},
                                    "nguoi_ky": {"chuc_vu": "Chủ tịch", "ho_ten": "A"}}, allow_unicode=True),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["lint", str(template), "--spec", str(spec), "--json"])
    assert result.exit_code == 1
    [finding] = json.loads(result.output)["findings"]
    assert finding["code"] == "TEMPLATE_UNDEFINED" and "tiep_nhan" in finding["hint"]
    validated = CliRunner().invoke(main, ["validate", str(spec)])
    assert validated.exit_code == 5 and "tiep_nhan" in validated.stderr  # validate lints the spec's template


def test_the_lint_command_prints_findings_or_variables(tmp_path):
    clean = CliRunner().invoke(main, ["lint", str(BAO_CAO)])
    assert clean.exit_code == 0 and "van_ban.nguoi_ky.ho_ten" in clean.output
    broken = CliRunner().invoke(main, ["lint", str(_changed(tmp_path, MISTAKES["unknown_filter"][0]))])
    assert broken.exit_code == 1 and "Có phải ý bạn là 'in_hoa'?" in broken.output


@pytest.mark.parametrize(("english", "vietnamese"), [
    ("unexpected '}'", "gặp '}' không đúng chỗ"),
    ("expected token 'end of print statement', got 'x'", "cần '}}' (hết thẻ in) nhưng gặp 'x'"),
    ("Encountered unknown tag 'endiff'.", "thẻ lệnh 'endiff' không có"),
    ("No filter named 'in_hoaa'.", "không có bộ lọc 'in_hoaa'"),
    ("Encountered unknown tag 'endfor'. You probably made a nesting mistake. Jinja is expecting this tag, but "
     "currently looking for 'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'.",
     "thẻ 'endfor' nằm sai chỗ (các khối lồng nhau sai); cần đóng bằng {% elif %}, {% else %}, {% endif %} "
     "(khối 'if' trong cùng chưa đóng)"),
    ("Unexpected end of template. Jinja was looking for the following tags: 'endif'. The innermost block that "
     "needs to be closed is 'if'.", "mẫu hết mà còn khối chưa đóng; cần đóng bằng {% endif %} (khối 'if' trong cùng"
     " chưa đóng)"),
])
def test_jinjas_messages_are_said_in_vietnamese(english, vietnamese):
    assert jinja_message(english) == vietnamese


@pytest.mark.parametrize("source", [
    "{{ van_ban.vv }", "{{ van_ban. }}", "{{ x[ }}", "{{ (van_ban.vv }}", "{{ van_ban.vv ) }}", "{% if %}",
    "{% for %}", "{% endif %}", "{% if x %}", "{% iff x %}{% endiff %}", "{{ x is number is string }}",
    "{% macro m(a=1, b) %}{% endmacro %}", "{% call %}{% endcall %}", "{{ 'abc }}", "{{ x | }}", "{# chú thích",
    "{% set %}", "{{ x.1a }}", "{{ 1 +* 2 }}", "{% for x in %}{% endfor %}",
])
def test_no_syntax_error_of_jinja_reaches_the_author_in_english(source):
    from engine.render.environment import docx_environment

    with pytest.raises(Exception) as caught:  # noqa: B017, PT011 - what the parser says, whatever its class
        docx_environment().parse(source)
    said = jinja_message(getattr(caught.value, "message", str(caught.value)))
    assert not said.startswith("thẻ Jinja sai ("), (source, caught.value)


def test_validate_refuses_a_spec_whose_template_has_an_unknown_filter(tmp_path):
    _changed(tmp_path, MISTAKES["unknown_filter"][0])
    spec = tmp_path / "bc.yaml"
    spec.write_text(yaml.safe_dump({"loai": "bao_cao", "co_quan_ban_hanh": {"ten": "UBND XÃ A", "viet_tat": "UBND"},
                                    "dia_danh": "A", "ngay": 2026, "trich_yeu": "T", "mau": "mau.docx",
                                    "noi_nhan": {"luu": "VP"}, "nguoi_ky": {"chuc_vu": "Chủ tịch", "ho_ten": "A"}},
                                   allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(spec), "--json"])
    assert result.exit_code == 5, result.output
    assert [problem["code"] for problem in json.loads(result.output)] == ["TEMPLATE_FILTER"]
