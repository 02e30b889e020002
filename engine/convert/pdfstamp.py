"""Turn LibreOffice's PDF into the same bytes for the same input, carrying where it came from; and read that back.

LibreOffice stamps every PDF with the time of the conversion (``/CreationDate`` in its Info
dictionary) and an ``/ID`` that changes with it; everything else it writes is the same for the
same .docx. Both are overwritten in place by values of the same length (the document's date, in
the time zone LibreOffice wrote; an ``/ID`` hashed from the file itself), so no offset moves and
the file stays as valid as LibreOffice made it.

The provenance is then appended as one incremental update (ISO 32000-1, 7.5.6): a new Info
dictionary (title, author, subject, creator, producer, dates and the engine's ``vanban.*`` keys,
the same as the .docx's custom properties) and a trailer whose ``/Prev`` points at LibreOffice's.
Readers (pypdf, PDFium, poppler, Acrobat) take the newest Info. Its key ``vanban.pdf`` holds the
sha256 and length of everything before the update; the update itself is rebuilt from its own
values when read, so :func:`read_stamp` can tell whether LibreOffice's part or ours was altered,
and whether bytes were appended after ours: a digital signature is such an update too, so
signing the PDF later leaves our part whole and is reported as what it is.

Only the classic cross-reference table that LibreOffice writes is handled; a PDF of another
shape is left as it is (:func:`stamp_pdf` says so), never rewritten.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

MARKER = b"%vanban-engine nguon-goc 1\n"
PDF_KEY = "vanban.pdf"
DOCX_KEY = "vanban.docx"  # the content digest of the .docx the PDF was converted from
MAX_UPDATE = 64 * 1024  # bytes: our update is a few kilobytes; anything claiming to be it beyond this is not

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s*%%EOF\s*$")
_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref", re.S)
_REF = {key: re.compile(rb"/" + key.encode() + rb"\s+(\d+)\s+(\d+)\s+R") for key in ("Root", "Info")}
_SIZE = re.compile(rb"/Size\s+(\d+)")
_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]")
_CHECKSUM = re.compile(rb"/DocChecksum\s*/([0-9A-Fa-f]+)")  # LibreOffice's own: an MD5 that includes the time
_DATE = re.compile(rb"/(CreationDate|ModDate)\s*\((D:\d{14})([^)]{0,16})\)")
_PRODUCER = re.compile(rb"/Producer\s*<([0-9A-Fa-f]{0,2000})>")
_ENTRY = re.compile(rb"/([^\s/<>\[\]()]{1,400})\s*<([0-9A-Fa-f]*)>")
_NAME_LETTER = "[A-Za-z0-9._-]"  # what a PDF name may hold as it is; anything else is written #XX
_NAME_SAFE = re.compile(_NAME_LETTER)
_NAME_PLAIN = re.compile(_NAME_LETTER + "*")


@dataclass(frozen=True)
class PdfStamp:
    """What a PDF made from one of our .docx files says about itself (read from that .docx's properties)."""

    title: str
    author: str
    subject: str
    date: datetime
    pairs: tuple[tuple[str, str], ...]  # the engine's keys: vanban.phien_ban … and vanban.docx


@dataclass(frozen=True)
class _Trailer:
    root: str
    size: int
    prev: int
    ids: tuple[str, str]


def _trailer(pdf: bytes) -> _Trailer | None:
    """LibreOffice's last trailer, if the file ends the way a classic cross-reference table does."""
    end = _STARTXREF.search(pdf[-64:])
    if end is None:
        return None
    prev = int(end[1])
    if pdf[prev:prev + 4] != b"xref":
        return None  # a cross-reference stream, or a broken offset: not the shape handled here
    found = list(_TRAILER.finditer(pdf, prev))
    if not found:
        return None
    body = found[-1][1]
    root, size, ids = _REF["Root"].search(body), _SIZE.search(body), _ID.search(body)
    if root is None or size is None:
        return None
    pair = (ids[1].decode(), ids[2].decode()) if ids else ("", "")
    return _Trailer(f"{int(root[1])} {int(root[2])} R", int(size[1]), prev, pair)


def _pdf_date(when: datetime, suffix: bytes) -> bytes:
    """``D:YYYYMMDDHHmmSS`` in the time zone ``suffix`` states (Z, Z', +07'00' …), and the suffix as it was."""
    zone = re.fullmatch(rb"([+-])(\d{2})'?(\d{2})?'?", suffix)
    if zone:
        offset = timedelta(hours=int(zone[2]), minutes=int(zone[3] or 0)) * (1 if zone[1] == b"+" else -1)
        when = when.astimezone(timezone(offset))
    else:
        when = when.astimezone(UTC)
    return b"D:" + when.strftime("%Y%m%d%H%M%S").encode()


def _text(value: str) -> bytes:
    """A PDF text string: UTF-16BE with its byte order mark, in hex."""
    return b"<FEFF" + value.encode("utf-16-be").hex().upper().encode() + b">"


def _name(key: str) -> bytes:
    if _NAME_PLAIN.fullmatch(key):  # the engine's own keys: nothing to escape, no walk letter by letter
        return key.encode("ascii")
    return "".join(c if _NAME_SAFE.fullmatch(c) else "".join(f"#{b:02X}" for b in c.encode("utf-8"))
                   for c in key).encode("ascii")


def _unname(raw: bytes) -> str:
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), raw).decode("utf-8", "replace")


def _untext(raw: bytes) -> str:
    data = bytes.fromhex(raw.decode()) if len(raw) % 2 == 0 else b""
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", "replace")
    return data.decode("latin-1")


def _patched(pdf: bytes, when: datetime, trailer: _Trailer) -> bytes:
    """LibreOffice's bytes with its dates set to ``when`` and its /ID hashed from the file: same length."""
    out = bytearray(pdf)
    for match in _DATE.finditer(pdf):
        out[match.start(2):match.end(2)] = _pdf_date(when, match[3])
    stamped = [(match.start(group), match.end(group)) for match in _ID.finditer(pdf, trailer.prev) for group in (1, 2)]
    stamped += [match.span(1) for match in _CHECKSUM.finditer(pdf, trailer.prev)]
    for start, end in stamped:
        out[start:end] = b"0" * (end - start)
    digest = hashlib.sha256(bytes(out)).hexdigest().upper() * 4
    for start, end in stamped:
        out[start:end] = digest[:end - start].encode()
    return bytes(out)


def _update(head: bytes, entries: list[tuple[str, str]]) -> bytes | None:
    """The incremental update that puts ``entries`` in a new Info dictionary after ``head``."""
    trailer = _trailer(head)
    if trailer is None:
        return None
    number = trailer.size
    body = b"".join(b"/" + _name(key) + _text(value) for key, value in entries)
    obj = f"{number} 0 obj\n".encode() + b"<<" + body + b">>\nendobj\n"
    at = len(head) + len(MARKER)
    xref_at = at + len(obj)
    ids = f"/ID[<{trailer.ids[0]}><{trailer.ids[1]}>]" if trailer.ids[0] else ""
    tail = (f"xref\n{number} 1\n{at:010d} 00000 n \ntrailer\n<</Size {number + 1}/Root {trailer.root}"
            f"/Info {number} 0 R{ids}/Prev {trailer.prev}>>\nstartxref\n{xref_at}\n%%EOF\n").encode()
    return MARKER + obj + tail


def stamp_pdf(pdf: bytes, stamp: PdfStamp) -> tuple[bytes, bool]:
    """The PDF with fixed dates and /ID, and the provenance appended; (pdf, False) if its shape is not handled."""
    if MARKER in pdf:  # stamped already (a PDF converted once and checked again)
        return pdf, True
    trailer = _trailer(pdf)
    if trailer is None or not pdf.endswith(b"\n"):
        return pdf, False
    head = _patched(pdf, stamp.date, trailer)
    producer = _PRODUCER.search(head)
    date = _pdf_date(stamp.date, b"Z").decode() + "Z"
    entries = [("Title", stamp.title), ("Author", stamp.author), ("Subject", stamp.subject),
               ("Creator", f"vanban-engine {dict(stamp.pairs).get('vanban.phien_ban', '')}".strip()),
               ("Producer", _untext(producer[1]) if producer else "LibreOffice"),
               ("CreationDate", date), ("ModDate", date), *stamp.pairs,
               (PDF_KEY, f"sha256:{hashlib.sha256(head).hexdigest()} {len(head)}")]
    update = _update(head, [(key, value) for key, value in entries if value])
    if update is None:
        return pdf, False
    return head + update, True


# ----- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StampCheck:
    """What a PDF's stamp says and whether the file is still what the engine wrote."""

    found: bool  # the engine's update is in the file
    entries: tuple[tuple[str, str], ...] = ()
    head_intact: bool = False  # LibreOffice's part as it was
    update_intact: bool = False  # our update as it was
    appended: int = 0  # bytes after our update (a later incremental update, e.g. a signature)
    signed_after: bool = False  # what was appended holds a signature dictionary

    @property
    def intact(self) -> bool:
        return self.found and self.head_intact and self.update_intact and not self.appended


def read_stamp(pdf: bytes) -> StampCheck:
    """Find the engine's update in a PDF and check it and what is around it."""
    at = pdf.find(MARKER)
    if at < 0:
        return StampCheck(False)
    start = at + len(MARKER)
    end = pdf.find(b">>\nendobj\n", start, start + MAX_UPDATE)
    if end < 0:
        return StampCheck(True)
    entries = tuple((_unname(key), _untext(value)) for key, value in _ENTRY.findall(pdf[start:end]))
    stated = dict(entries).get(PDF_KEY, "")
    digest, _, length = stated.removeprefix("sha256:").partition(" ")
    head = pdf[:at]
    head_intact = length == str(at) and hashlib.sha256(head).hexdigest() == digest
    update = _update(head, list(entries)) if head_intact else None
    update_intact = update is not None and pdf[at:at + len(update)] == update
    if update_intact and update is not None:
        after = pdf[at + len(update):]
    else:
        last = pdf.find(b"%%EOF", start, start + MAX_UPDATE)
        after = pdf[last + len(b"%%EOF"):].lstrip(b"\r\n") if last >= 0 else b""
    appended = len(after.strip(b"\r\n\t \x00"))
    signed = appended > 0 and b"/ByteRange" in after and b"/Sig" in after
    return StampCheck(True, entries, head_intact, update_intact, appended, signed)
