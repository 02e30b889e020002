"""Turn a saved .docx package into a deterministic, verified one.

python-docx stamps each zip entry with the current time, so two renders of the same input
differ byte for byte; here every entry gets a fixed timestamp (same input, same bytes, so a
hash can stand for a document). Every XML part is also parsed strictly: a package that
Word would refuse to open is an error here, never a file on disk.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class BrokenPackage(ValueError):
    """An XML part of the rendered package does not parse."""

    def __init__(self, part: str, reason: str):
        super().__init__(f"{part}: {reason}")
        self.part = part
        self.reason = reason


def normalise_package(package: bytes) -> bytes:
    """Rewrite the zip with fixed timestamps after checking every XML part parses."""
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith((".xml", ".rels")):
                try:
                    etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
                except etree.XMLSyntaxError as exc:
                    raise BrokenPackage(info.filename, str(exc)) from None
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, data)
    return out.getvalue()
