"""One validate reports every problem of the spec, its data files and its expressions, not in rounds."""

from __future__ import annotations

import pytest

from engine import pipeline
from engine.errors import DataError, SpecError
from engine.spec.loader import load_spec_text

HEAD = "loai: bao_cao\ndia_danh: A\nngay: 2026\ntrich_yeu: T\nnoi_nhan: {luu: VP}\n"


def test_a_missing_field_is_reported_with_the_whole_document_rules():
    text = HEAD + "co_quan_ban_hanh: {ten: UBND XÃ A}\nnguoi_ky: {chuc_vu: Chủ tịch}\n"
    with pytest.raises(SpecError) as caught:
        load_spec_text(text, name="bc.yaml")
    messages = [problem.message for problem in caught.value.problems]
    assert any("ho_ten" in message for message in messages)  # a field of the signer
    assert any("viet_tat" in message for message in messages)  # the ký hiệu rule, in the same run


def test_every_wrong_expression_of_the_text_is_reported_at_once(tmp_path):
    text = HEAD.replace("trich_yeu: T", 'trich_yeu: "{{ sl.thang }}"') + (
        "co_quan_ban_hanh: {ten: UBND XÃ A, viet_tat: UBND}\ndu_lieu: {sl: {nam: 2026}}\n"
        "nguoi_ky: {chuc_vu: Chủ tịch, ho_ten: A}\nnoi_dung:\n"
        '  - doan: "{{ x.y }}"\n  - muc: "{{ sl.nam | khong_co }}"\n    noi_dung:\n      - doan: "{{ sl.nam }"\n')
    with pytest.raises(SpecError) as caught:
        pipeline.prepare(load_spec_text(text, name="bc.yaml", base_dir=tmp_path))
    fields = [problem.location.field for problem in caught.value.problems]
    assert fields == ["trich_yeu", "noi_dung[0].doan", "noi_dung[1].muc", "noi_dung[1].noi_dung[0].doan"]


def test_data_files_and_expressions_are_reported_together(tmp_path):
    text = HEAD.replace("trich_yeu: T", 'trich_yeu: "{{ sl.thang }}"') + (
        "co_quan_ban_hanh: {ten: UBND XÃ A, viet_tat: UBND}\n"
        "du_lieu: {sl: {nam: 2026}, a: khong_co.yaml, b: cung_khong.yaml}\n"
        "nguoi_ky: {chuc_vu: Chủ tịch, ho_ten: A}\nnoi_dung:\n"
        '  - doan: "{{ a.x }} {{ sl.nam }}"\n  - doan: "{{ sl.nam }"\n')
    with pytest.raises(DataError) as caught:
        pipeline.prepare(load_spec_text(text, name="bc.yaml", base_dir=tmp_path))
    codes = [(problem.code, problem.location.field) for problem in caught.value.problems]
    assert codes == [("DATA_FILE", "du_lieu.a"), ("DATA_FILE", "du_lieu.b"),
                     ("SPEC_EXPRESSION", "trich_yeu"), ("SPEC_EXPRESSION", "noi_dung[1].doan")]
