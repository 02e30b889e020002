"""Vietnamese strings are normalised, upper-cased and sorted correctly."""

from __future__ import annotations

import unicodedata

import pytest

from engine.vn.filters import FILTERS
from engine.vn.text import collation_key, nfc, nfc_tree, upper_vi

DECOMPOSED_E = "e\u0302\u0301"  # "ế" typed as e + circumflex + acute
COMPOSED_E = "\u1ebf"


def test_nfc_turns_combining_marks_into_precomposed_letters() -> None:
    assert nfc(DECOMPOSED_E) == COMPOSED_E


def test_nfc_tree_normalises_keys_and_values_at_every_depth() -> None:
    tree = {DECOMPOSED_E: [DECOMPOSED_E, 1, (DECOMPOSED_E, None)], "n": {"k": DECOMPOSED_E}}
    assert nfc_tree(tree) == {
        COMPOSED_E: [COMPOSED_E, 1, (COMPOSED_E, None)],
        "n": {"k": COMPOSED_E},
    }


def test_nfc_tree_returns_a_new_structure() -> None:
    original = {"a": [DECOMPOSED_E]}
    result = nfc_tree(original)
    assert original == {"a": [DECOMPOSED_E]}
    assert result["a"] is not original["a"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ủy ban nhân dân", "ỦY BAN NHÂN DÂN"),
        ("đ", "Đ"),
        ("cộng hòa xã hội chủ nghĩa việt nam", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        ("ưởng ợ", "ƯỞNG Ợ"),
    ],
)
def test_upper_vi_keeps_every_accent(text: str, expected: str) -> None:
    assert upper_vi(text) == expected


def test_upper_vi_of_decomposed_input_is_nfc() -> None:
    result = upper_vi(unicodedata.normalize("NFD", "ủy ban"))
    assert result == "ỦY BAN"
    assert unicodedata.is_normalized("NFC", result)


def test_names_sort_in_vietnamese_alphabet_order() -> None:
    names = ["Đức", "Dung", "An", "Ân", "Ăn"]
    assert sorted(names, key=collation_key) == ["An", "Ăn", "Ân", "Dung", "Đức"]


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("ba", "bà"),
        ("bà", "bá"),
        ("bá", "bả"),
        ("bả", "bã"),
        ("bã", "bạ"),
        ("o", "ô"),
        ("ô", "ơ"),
        ("u", "ư"),
        ("e", "ê"),
        ("d", "đ"),
        ("đ", "e"),
        ("bạ", "bb"),
        ("an", "An"),
    ],
)
def test_base_letters_decide_before_tones(earlier: str, later: str) -> None:
    assert collation_key(earlier) < collation_key(later)


def test_ordering_ignores_case() -> None:
    assert sorted(["bình", "An", "Châu"], key=collation_key) == ["An", "bình", "Châu"]


def test_decomposed_and_composed_strings_sort_together() -> None:
    assert collation_key(DECOMPOSED_E) == collation_key(COMPOSED_E)


def test_filter_table_names_every_template_filter() -> None:
    assert set(FILTERS) == {
        "so", "phan_tram", "hai_so", "la_ma", "bang_chu", "viet_hoa_dau",
        "in_hoa", "ngay_thang", "ngay_ngan", "nfc",
    }  # fmt: skip
    assert all(callable(function) for function in FILTERS.values())
