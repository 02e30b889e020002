"""Map template filter names to the functions in engine.vn; the one table templates use.

- so: number with dot thousands and comma decimals ("1.234,5"), optional fixed decimals.
- phan_tram: the same number followed by "%" ("91,86%").
- hai_so: integer padded to two digits ("01").
- la_ma: integer as upper-case Roman numerals ("XIV").
- bang_chu: number read out in Vietnamese words, lower case ("một trăm linh năm").
- viet_hoa_dau: upper-case only the first letter ("Một trăm linh năm").
- in_hoa: upper-case the whole Vietnamese string ("ỦY BAN NHÂN DÂN").
- ngay_thang: date in Nghị định 30 form ("ngày 05 tháng 01 năm 2024"), blanks for gaps.
- ngay_ngan: short date d/m/yyyy ("24/3/2023").
- nfc: normalise a string to Unicode NFC.

>>> FILTERS["bang_chu"](105)
'một trăm linh năm'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .dates import format_date, short_date
from .numbers import format_number, format_percent, roman, two_digits
from .text import nfc, upper_vi
from .words import capitalize_first, number_to_words

__all__ = ["FILTERS"]

FILTERS: dict[str, Callable[..., Any]] = {
    "so": format_number,
    "phan_tram": format_percent,
    "hai_so": two_digits,
    "la_ma": roman,
    "bang_chu": number_to_words,
    "viet_hoa_dau": capitalize_first,
    "in_hoa": upper_vi,
    "ngay_thang": format_date,
    "ngay_ngan": short_date,
    "nfc": nfc,
}
