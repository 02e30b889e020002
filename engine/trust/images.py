"""Turn the bytes of a signature image from outside into a PNG known to be whole and of a sane size.

The image goes into the .docx as it is, and LibreOffice decodes it when it draws a PDF page: a
PNG that claims 100,000 × 100,000 pixels is a memory bomb there, and a file that only ends in
.png breaks the document. Only the header is read here (no pixel is decoded).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from engine.errors import LimitError, Location, Problem, SpecError
from engine.trust.limits import current_limits
from engine.vn.numbers import format_number

__all__ = ["CheckedImage", "checked_image", "checked_png"]

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


@dataclass(frozen=True)
class CheckedImage:
    """An image's bytes known to be a whole PNG or JPEG header of a sane size, with its kind and pixel size."""

    data: bytes
    kind: str  # "png" or "jpeg"
    width: int
    height: int


_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """The (width, height) a JPEG's frame header states, reading its markers only (None if there is none)."""
    index = 2
    while index + 4 <= len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:  # fill bytes before a marker
            index += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            index += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header before it
            return None
        length = struct.unpack(">H", data[index + 2:index + 4])[0]
        if length < 2:
            return None
        if marker in _JPEG_FRAMES:
            if index + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[index + 5:index + 9])
            return width, height
        index += 2 + length
    return None


def checked_image(data: bytes, where: Location, what: str = "ảnh") -> CheckedImage:
    """``data`` as a PNG or JPEG whose header is whole and whose pixel count is within ``anh_diem_anh``.

    Only the header is read: a file that claims 100,000 × 100,000 pixels is refused before anything
    decodes it (LibreOffice would, when it draws the PDF page).
    """
    if data.startswith(PNG_SIGNATURE) and len(data) >= 33 and data[12:16] == b"IHDR":
        kind = "png"
        width, height = struct.unpack(">II", data[16:24])
    elif data.startswith(b"\xff\xd8\xff") and (size := _jpeg_size(data)) is not None:
        kind = "jpeg"
        width, height = size
    else:
        raise SpecError(Problem("SPEC_VALUE", f"tệp {what} không phải ảnh PNG hay JPEG (hoặc đã hỏng)", where,
                                hint="Mở ảnh bằng một chương trình xem ảnh rồi lưu lại dạng PNG hoặc JPEG."))
    if width == 0 or height == 0:
        raise SpecError(Problem("SPEC_VALUE", f"{what} có kích thước {width} × {height} điểm ảnh", where,
                                hint="Lưu lại ảnh."))
    limits = current_limits()
    if width * height > limits.anh_diem_anh:
        raise LimitError(Problem("LIMIT_FILE_SIZE", f"{what} {format_number(width)} × {format_number(height)} "
                                 f"điểm ảnh, quá giới hạn {limits.describe('anh_diem_anh')} điểm ảnh", where,
                                 hint="Thu nhỏ ảnh (khoảng 3.000 × 2.000 điểm ảnh là đủ cho một trang in); nếu "
                                      "đúng là cần, nâng giới hạn anh_diem_anh."))
    return CheckedImage(data, kind, width, height)
