"""The reporting period: written once as ``ky:``, printed in the forms documents use, with its neighbours."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from engine import pipeline
from engine.errors import SpecError
from engine.render.environment import SandboxViolation, docx_environment, text_environment
from engine.spec.loader import load_spec_text
from engine.vn.dates import PartialDate
from engine.vn.periods import parse_period, period_from_parts

FORMS = [
    # written, {{ ky }}, ngan, ten, truoc, sau, cung_ky
    ("tháng 4 năm 2023", "tháng 4 năm 2023", "tháng 4/2023", "tháng 4", "tháng 3 năm 2023", "tháng 5 năm 2023",
     "tháng 4 năm 2022"),
    ("tháng 1/2024", "tháng 01 năm 2024", "tháng 01/2024", "tháng 01", "tháng 12 năm 2023", "tháng 02 năm 2024",
     "tháng 01 năm 2023"),
    ("Quý II năm 2021", "quý II năm 2021", "quý II/2021", "quý II", "quý I năm 2021", "quý III năm 2021",
     "quý II năm 2020"),
    ("quý 4/2022", "quý 4 năm 2022", "quý 4/2022", "quý 4", "quý 3 năm 2022", "quý 1 năm 2023", "quý 4 năm 2021"),
    ("6 tháng đầu năm 2024", "6 tháng đầu năm 2024", "6 tháng đầu năm 2024", "6 tháng đầu năm",
     "6 tháng cuối năm 2023", "6 tháng cuối năm 2024", "6 tháng đầu năm 2023"),
    ("6 tháng cuối năm 2024", "6 tháng cuối năm 2024", "6 tháng cuối năm 2024", "6 tháng cuối năm",
     "6 tháng đầu năm 2024", "6 tháng đầu năm 2025", "6 tháng cuối năm 2023"),
    ("9 tháng năm 2024", "9 tháng đầu năm 2024", "9 tháng đầu năm 2024", "9 tháng đầu năm", "9 tháng đầu năm 2023",
     "9 tháng đầu năm 2025", "9 tháng đầu năm 2023"),
    ("Năm 2024", "năm 2024", "năm 2024", "năm 2024", "năm 2023", "năm 2025", "năm 2023"),
    ("từ 15/12/2022 đến hết 14/03/2023", "từ 15/12/2022 đến hết 14/03/2023", "từ 15/12/2022 đến hết 14/03/2023",
     "từ 15/12/2022 đến hết 14/03/2023", "từ 15/09/2022 đến hết 14/12/2022", "từ 15/03/2023 đến hết 14/06/2023",
     "từ 15/12/2021 đến hết 14/03/2022"),
]


@pytest.mark.parametrize(("written", "full", "short", "name", "before", "after", "year_before"), FORMS)
def test_a_period_prints_in_every_form_documents_use(written, full, short, name, before, after, year_before):
    ky = parse_period(written)
    assert (str(ky), ky.ngan, ky.ten, str(ky.truoc), str(ky.sau), str(ky.cung_ky)) == (
        full, short, name, before, after, year_before)


def test_a_range_that_is_not_whole_months_moves_by_its_own_length():
    ky = parse_period("từ ngày 01/02/2024 đến ngày 10/02/2024")
    assert (str(ky.truoc), str(ky.sau)) == ("từ 22/01/2024 đến hết 31/01/2024", "từ 11/02/2024 đến hết 20/02/2024")


def test_a_named_period_with_its_own_bounds_keeps_its_name_and_moves_its_bounds():
    ky = period_from_parts(ten="quý 1 năm 2023", tu=PartialDate(2022, 12, 15),
                           den=PartialDate(2023, 3, 14))
    assert str(ky) == "quý 1 năm 2023"
    assert ky.khoang == "từ 15/12/2022 đến hết 14/03/2023"
    assert (str(ky.sau), ky.sau.khoang) == ("quý 2 năm 2023", "từ 15/03/2023 đến hết 14/06/2023")
    assert ky.truoc.khoang == "từ 15/09/2022 đến hết 14/12/2022"


def test_the_year_ends_and_the_year_begins_across_neighbours():
    assert str(parse_period("tháng 12/2023").sau) == "tháng 01 năm 2024"
    assert str(parse_period("quý I/2024").truoc) == "quý IV năm 2023"
    assert (parse_period("quý III/2021").quy, parse_period("tháng 8/2024").thang, parse_period("năm 2024").thang) == (
        3, 8, None)


@pytest.mark.parametrize(("written", "said"), [
    ("tháng 13 năm 2023", "tháng 13 không có thật"),
    ("quý 5/2021", "không hiểu kỳ báo cáo"),
    ("năm 1800", "năm 1800 không hợp lệ"),
    ("hôm qua", "không hiểu kỳ báo cáo 'hôm qua'"),
    ("từ 30/02/2023 đến 01/03/2023", "30/02/2023 không có thật"),
    ("từ 05/03/2023 đến 01/03/2023", "trước khi bắt đầu"),
    ("tháng 4 năm 2023 " * 20, "quá dài"),
])
def test_a_period_that_cannot_be_is_refused_in_words(written, said):
    with pytest.raises(ValueError, match=said):
        parse_period(written)


def test_a_period_survives_the_trip_to_a_worker_process():
    ky = period_from_parts(ten="quý 1 năm 2023", tu=PartialDate(2022, 12, 15),
                           den=PartialDate(2023, 3, 14))
    again = pickle.loads(pickle.dumps(ky))
    assert (str(again), again.khoang, str(again.sau)) == (str(ky), ky.khoang, str(ky.sau))


# ----- in a spec ----------------------------------------------------------------------------------------

SPEC = """\
loai: bao_cao
co_quan_ban_hanh: {ten: [ỦY BAN NHÂN DÂN, XÃ A], viet_tat: UBND}
dia_danh: A
ngay: {nam: 2023}
ky: KY
trich_yeu: Báo cáo {{ ky }}
noi_dung:
  - doan: "Kỳ trước {{ ky.truoc }}; {{ ky.sau.ngan | viet_hoa_dau }}; {{ ky | in_hoa }}; từ {{ ky.tu | ngay_ngan }}"
noi_nhan: {cac_noi: [X], luu: VP}
nguoi_ky: {chuc_vu: Chủ tịch, ho_ten: A B}
"""


def _spec(period: str, extra: str = "") -> str:
    return SPEC.replace("KY", period) + extra


def test_the_spec_names_its_period_once_and_the_text_reads_it():
    prepared = pipeline.prepare(load_spec_text(_spec("quý II/2021")))
    assert prepared.context["van_ban"]["trich_yeu"] == "Báo cáo quý II năm 2021"
    body = prepared.context["van_ban"]["noi_dung"][0]["noi_dung"]
    assert body == "Kỳ trước quý I năm 2021; Quý III/2021; QUÝ II NĂM 2021; từ 1/4/2021"
    assert str(prepared.context["ky"]) == "quý II năm 2021"  # templates read it too


def test_a_period_may_be_given_by_its_parts():
    for written in ("{thang: 4, nam: 2023}", "'2023-04'", "'04/2023'"):
        assert pipeline.prepare(load_spec_text(_spec(written))).context["van_ban"]["trich_yeu"] == (
            "Báo cáo tháng 4 năm 2023")
    prepared = pipeline.prepare(load_spec_text(_spec("{ten: quý 1 năm 2023, tu: 15/12/2022, den: 14/03/2023}")))
    assert prepared.context["van_ban"]["noi_dung"][0]["noi_dung"].endswith("từ 15/12/2022")


@pytest.mark.parametrize(("written", "said"), [
    ("tháng 13 năm 2023", "tháng 13 không có thật"),
    ("{thang: 4}", "kỳ cần 'nam'"),
    ("{thang: 4, quy: 2, nam: 2023}", "tháng hoặc quý"),
    ("{ten: quý 1 năm 2023, tu: 15/12/2022}", "cả 'tu' và 'den'"),
    ("{ten: quý 1 năm 2023, tu: 2022, den: 14/03/2023}", "ghi đủ ngày, tháng, năm"),
    ("{nam: 2023, thang: 4, tuan: 2}", "không có trong đặc tả"),
])
def test_a_wrong_period_is_reported_at_its_line_with_the_forms_that_work(written, said):
    with pytest.raises(SpecError) as caught:
        load_spec_text(_spec(written), name="bc.yaml")
    problem = caught.value.problems[0]
    assert said in problem.message
    assert problem.location.file == "bc.yaml" and problem.location.line == 5
    if problem.code == "SPEC_PERIOD":
        assert "tháng 4 năm 2023" in problem.hint


def test_text_that_reads_the_period_of_a_spec_without_one_says_what_to_add():
    text = SPEC.replace("ky: KY\n", "")
    with pytest.raises(SpecError) as caught:
        pipeline.prepare(load_spec_text(text))
    problem = caught.value.problems[0]
    assert "chưa ghi kỳ" in problem.message and "ky: tháng 4 năm 2023" in problem.hint


def test_ky_is_the_period_and_cannot_name_a_data_set():
    with pytest.raises(SpecError, match="tên dữ liệu 'ky'"):
        load_spec_text(_spec("năm 2024", "du_lieu: {ky: {a: 1}}\n"))


def test_a_template_reads_the_period_fields_and_nothing_else():
    ky = parse_period("tháng 10 năm 2023")
    assert docx_environment().from_string("{{ ky }} · {{ ky.sau }} · {{ ky.nam }}").render(ky=ky) == (
        "tháng 10 năm 2023 · tháng 11 năm 2023 · 2023")
    for reach in ("{{ ky.upper() }}", "{{ ky.start }}", "{{ ky.shifted }}", "{{ ky.__class__ }}"):
        with pytest.raises(SandboxViolation):
            text_environment().from_string(reach).render(ky=ky)


def test_a_batch_unit_may_have_a_period_of_its_own(tmp_path: Path):
    from engine.batch import unit_spec
    from engine.spec.yamlload import load_yaml_text

    base = load_yaml_text(_spec("tháng 4 năm 2023"), "bc.yaml")
    loaded = unit_spec(base, tmp_path, {"ma": "xa_a", "ky": "tháng 5 năm 2023"})
    assert str(loaded.spec.period) == "tháng 5 năm 2023"
