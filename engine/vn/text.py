"""Turn Vietnamese strings into one Unicode form, upper case and a dictionary sort key.

Vietnamese letters can be typed precomposed ("ế") or as a base letter plus combining marks
("e" + U+0302 + U+0301); the two look identical but compare unequal, so every string that
enters a document is normalised to NFC first.
"""

from __future__ import annotations

import unicodedata
from typing import Any

__all__ = ["collation_key", "nfc", "nfc_tree", "upper_vi"]

# Vietnamese alphabet order; f, j, w, z are not Vietnamese letters but appear in names and
# loanwords, so they keep their Latin places instead of falling to the end.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET)}

# Combining marks that carry the tone, ranked none < huyền < sắc < hỏi < ngã < nặng.
_TONE_RANK = {
    "\u0300": 1,  # huyền
    "\u0301": 2,  # sắc
    "\u0309": 3,  # hỏi
    "\u0303": 4,  # ngã
    "\u0323": 5,  # nặng
}

# Primary classes keep spaces and punctuation before digits and digits before letters, the
# way a Vietnamese index lists "Phụ lục 1" before "Phụ lục A".
_CLASS_SPACE, _CLASS_DIGIT, _CLASS_LETTER, _CLASS_OTHER = range(4)


def nfc(s: str) -> str:
    """Turn a string into its Unicode NFC (precomposed) form.

    >>> nfc("e\\u0302\\u0301") == "\\u1ebf"  # e + circumflex + acute -> ế
    True
    >>> nfc("Hà Nội")
    'Hà Nội'
    """
    if not isinstance(s, str):
        raise TypeError(f"nfc() cần một chuỗi (str), nhận được {type(s).__name__}")
    return unicodedata.normalize("NFC", s)


def nfc_tree(obj: Any) -> Any:
    """Turn every string in nested dicts, lists and tuples (keys too) into NFC, as a new copy.

    Values that are not strings or containers are returned unchanged.

    >>> nfc_tree({"ten": ["e\\u0302\\u0301", 1, ("a\\u0300",)]}) == {"ten": ["ế", 1, ("à",)]}
    True
    """
    if isinstance(obj, str):
        return unicodedata.normalize("NFC", obj)
    if isinstance(obj, dict):
        return type(obj)((nfc_tree(key), nfc_tree(value)) for key, value in obj.items())
    if isinstance(obj, list):
        return [nfc_tree(item) for item in obj]
    if isinstance(obj, tuple):
        items = [nfc_tree(item) for item in obj]
        # Named tuples take their fields positionally, plain tuples take one iterable.
        if hasattr(obj, "_make"):
            return obj._make(items)
        return tuple(items)
    return obj


def upper_vi(s: str) -> str:
    """Turn a Vietnamese string into upper case, accents kept and in NFC form.

    >>> upper_vi("ủy ban nhân dân")
    'ỦY BAN NHÂN DÂN'
    >>> upper_vi("đ")
    'Đ'
    """
    return nfc(nfc(s).upper())


def _split_letter(char: str) -> tuple[tuple[int, int], int]:
    """Turn one character into its (primary class, rank) and its tone rank."""
    decomposed = unicodedata.normalize("NFD", char.lower())
    tone = 0
    kept: list[str] = []
    for part in decomposed:
        if part in _TONE_RANK:
            tone = _TONE_RANK[part]
        else:
            kept.append(part)
    base = unicodedata.normalize("NFC", "".join(kept))
    if base in _LETTER_RANK:
        return (_CLASS_LETTER, _LETTER_RANK[base]), tone
    if base.isdigit() and len(base) == 1:
        return (_CLASS_DIGIT, ord(base)), tone
    if base.isspace() or (len(base) == 1 and unicodedata.category(base)[0] in "PZ"):
        return (_CLASS_SPACE, ord(base[0])), tone
    return (_CLASS_OTHER, ord(base[0]) if base else 0), tone


def collation_key(s: str) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...], tuple[int, ...]]:
    """Turn a string into a sort key that follows the Vietnamese alphabet and tone order.

    Base letters decide first (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y);
    tones (none, huyền, sắc, hỏi, ngã, nặng) only break ties, and upper case only breaks
    ties after that, so ordering is case-insensitive.

    >>> sorted(["Đức", "Dung", "An", "Ân", "Ăn"], key=collation_key)
    ['An', 'Ăn', 'Ân', 'Dung', 'Đức']
    >>> sorted(["bạ", "bà", "ba", "bá", "bã", "bả"], key=collation_key)
    ['ba', 'bà', 'bá', 'bả', 'bã', 'bạ']
    """
    text = nfc(s)
    bases: list[tuple[int, int]] = []
    tones: list[int] = []
    for char in text:
        base, tone = _split_letter(char)
        bases.append(base)
        tones.append(tone)
    # Lower case first on a full tie keeps sorting deterministic for "an" versus "An".
    cases = tuple(int(char != char.lower()) for char in text)
    return tuple(bases), tuple(tones), cases
