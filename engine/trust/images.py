"""Turn the bytes of a signature image from outside into a PNG known to be whole and of a sane size.

The image goes into the .docx as it is, and LibreOffice decodes it when it draws a PDF page: a
PNG that claims 100,000 × 100,000 pixels is a memory bomb there, and a file that only ends in
.png breaks the document. Only the header is read here (no pixel is decoded).
"""

from __future__ import annotations

import struct

from engine.errors import LimitError, Location, Problem, SpecError
from engine.trust.limits import current_limits
from engine.vn.numbers import format_number

__all__ = ["checked_png"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def checked_png(data: bytes, where: Location) -> bytes:
    """``data`` if it is a PNG whose header is whole and whose pixel count is within the limit."""
    if not data.startswith(PNG_SIGNATURE) or len(data) < 33 or data[12:16] != b"IHDR":
        raise SpecError(Problem("SPEC_VALUE", "tệp ảnh chữ ký không phải ảnh PNG (hoặc đã hỏng)", where,
                                hint="Mở ảnh bằng một chương trình xem ảnh rồi lưu lại dạng PNG."))
    width, height = struct.unpack(">II", data[16:24])
    limits = current_limits()
    if width == 0 or height == 0:
        raise SpecError(Problem("SPEC_VALUE", f"ảnh chữ ký có kích thước {width} × {height} điểm ảnh", where,
                                hint="Lưu lại ảnh chữ ký."))
    if width * height > limits.anh_diem_anh:
        raise LimitError(Problem("LIMIT_FILE_SIZE", f"ảnh chữ ký {format_number(width)} × {format_number(height)} "
                                 f"điểm ảnh, quá giới hạn {limits.describe('anh_diem_anh')} điểm ảnh", where,
                                 hint="Thu nhỏ ảnh chữ ký (khoảng 600 × 300 điểm ảnh là đủ)."))
    return data
