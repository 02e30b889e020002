"""Turn the bytes of a signature or seal image from outside into an image known to be whole and of a sane size.

The image goes into the .docx as it is, and LibreOffice decodes it when it draws a PDF page: a
PNG or JPEG that claims 100,000 × 100,000 pixels is a memory bomb there, and a file that only ends in
.png breaks the document. Only the headers are read here (no pixel is decoded): the PNG IHDR chunk
(and, for a seal, the chunks before the pixel data, to find its transparency), or the JPEG markers up
to the first frame header (SOFn).

A seal covers the left third of the signature (Nghị định 30, Phụ lục I, II.8.a: a red PNG with a
transparent background), so a seal must be a PNG with transparency: a JPEG or an opaque PNG would hide
the signature under a white square.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from engine.errors import LimitError, Location, Problem, SpecError
from engine.trust.limits import current_limits
from engine.vn.numbers import format_number

__all__ = ["CheckedImage", "checked_image", "checked_png"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
# JPEG frame headers that carry the picture's size: SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_PNG_ALPHA_TYPES = (4, 6)  # grey + alpha, RGB + alpha

# What a message calls the image, by its role in the signature block.
ROLES = {"chu_ky": "ảnh chữ ký", "dau": "ảnh dấu", "anh": "ảnh"}


@dataclass(frozen=True)
class CheckedImage:
    """An image whose header was read: its format ("png" or "jpeg"), size in pixels, and whether it is transparent."""

    data: bytes
    format: str
    width: int
    height: int
    transparent: bool


def checked_png(data: bytes, where: Location) -> bytes:
    """``data`` if it is a PNG whose header is whole and whose pixel count is within the limit."""
    image = checked_image(data, where, role="chu_ky")
    if image.format != "png":
        raise SpecError(Problem("SPEC_VALUE", "tệp ảnh chữ ký không phải ảnh PNG (hoặc đã hỏng)", where,
                                hint="Mở ảnh bằng một chương trình xem ảnh rồi lưu lại dạng PNG."))
    return data


def checked_image(data: bytes, where: Location, *, role: str = "chu_ky") -> CheckedImage:
    """``data`` as a PNG or JPEG whose header is whole and whose pixel count is within the limit.

    ``role``: "chu_ky" (a signature: PNG or JPEG) or "dau" (a seal: a PNG with transparency).
    """
    what = ROLES.get(role, "ảnh")
    if data.startswith(PNG_SIGNATURE):
        image = _png(data, where, what)
    elif data.startswith(JPEG_SIGNATURE):
        image = _jpeg(data, where, what)
    else:
        raise SpecError(Problem("SPEC_VALUE", f"tệp {what} không phải ảnh PNG hay JPEG (hoặc đã hỏng)", where,
                                hint="Mở ảnh bằng một chương trình xem ảnh rồi lưu lại dạng PNG."))
    limits = current_limits()
    if image.width == 0 or image.height == 0:
        raise SpecError(Problem("SPEC_VALUE", f"{what} có kích thước {image.width} × {image.height} điểm ảnh", where,
                                hint=f"Lưu lại {what}."))
    if image.width * image.height > limits.anh_diem_anh:
        raise LimitError(Problem("LIMIT_FILE_SIZE", f"{what} {format_number(image.width)} × "
                                 f"{format_number(image.height)} điểm ảnh, quá giới hạn "
                                 f"{limits.describe('anh_diem_anh')} điểm ảnh", where,
                                 hint=f"Thu nhỏ {what} (khoảng 600 × 300 điểm ảnh là đủ cho chữ ký, 600 × 600 "
                                      "cho dấu)."))
    if role == "dau" and not image.transparent:
        kind = "ảnh JPEG (không có nền trong suốt)" if image.format == "jpeg" else "ảnh PNG không có nền trong suốt"
        raise SpecError(Problem("SPEC_VALUE", f"{what} là {kind}: dấu trùm lên 1/3 ảnh chữ ký bên trái và sẽ che "
                                "mất chữ ký", where,
                                hint="Nghị định 30 (Phụ lục I, II.8.a): ảnh dấu màu đỏ, định dạng PNG nền trong suốt. "
                                     "Lưu lại ảnh dấu dạng PNG có kênh trong suốt (alpha)."))
    return image


def _broken(what: str, where: Location) -> SpecError:
    return SpecError(Problem("SPEC_VALUE", f"tệp {what} hỏng (phần đầu của ảnh không đọc được)", where,
                             hint="Mở ảnh bằng một chương trình xem ảnh rồi lưu lại dạng PNG."))


def _png(data: bytes, where: Location, what: str) -> CheckedImage:
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise _broken(what, where)
    width, height = struct.unpack(">II", data[16:24])
    colour_type = data[25]
    transparent = colour_type in _PNG_ALPHA_TYPES or _has_chunk_before_pixels(data, b"tRNS")
    return CheckedImage(data, "png", width, height, transparent)


def _has_chunk_before_pixels(data: bytes, kind: bytes) -> bool:
    """Whether a chunk of ``kind`` comes before the first IDAT (tRNS must), reading only chunk headers."""
    position = 8
    while position + 8 <= len(data):
        length = struct.unpack(">I", data[position:position + 4])[0]
        chunk = data[position + 4:position + 8]
        if chunk == kind:
            return True
        if chunk in (b"IDAT", b"IEND"):
            return False
        position += 12 + length  # length, type, data, CRC
    return False


def _jpeg(data: bytes, where: Location, what: str) -> CheckedImage:
    """The size in the first frame header (SOFn), walking the markers before it by their lengths."""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise _broken(what, where)
        marker = data[position + 1]
        if marker == 0xFF:  # fill bytes before a marker
            position += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            position += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or pixel data before any frame header
            break
        length = struct.unpack(">H", data[position + 2:position + 4])[0]
        if length < 2:
            raise _broken(what, where)
        if marker in _JPEG_FRAMES:
            if position + 9 > len(data) or length < 7:
                raise _broken(what, where)
            height, width = struct.unpack(">HH", data[position + 5:position + 9])
            return CheckedImage(data, "jpeg", width, height, transparent=False)
        position += 2 + length
    raise _broken(what, where)
