"""Turn what a render read (its spec, data files, frameworks, templates) into the record of where a document came from.

Every rendered .docx and PDF carries this record (engine.render.properties writes it into the
.docx, engine.convert.pdfstamp into the PDF): the engine's version and, for each input, the field
of the spec that named it, its path as written in the spec (relative to the spec's folder, never
an absolute path of this machine; an engine file by its name among the engine's own) and the
sha256 of its bytes. The spec itself is hashed as its file's bytes; a spec given as a mapping or
as text (the Python API, the HTTP service) is hashed in a canonical form (JSON, keys sorted), so
the same spec sent either way has one hash.

How inputs are seen without cost on the render path: :func:`recording` opens a journal for one
:func:`engine.pipeline.prepare`; every file a spec names is read through
:meth:`engine.trust.files.Access.read`, which notes the bytes it has just read (a data file, a
score table, a signature image); a framework file notes the hash it was cached with
(engine.scoring.loader), and a template the hash computed once when it was compiled
(engine.render.docx), so a cached object still gives the hash of the file it came from and an
edited file (new mtime) a new one.

Dates (:func:`document_date`): a document whose date is complete is dated by it (00:00 UTC of
that day); a draft with blanks is dated ``SOURCE_DATE_EPOCH`` when that variable is set (the
reproducible-builds convention), else the day of the render (00:00 UTC of the machine's local
date), so two renders of the same input on the same day give the same bytes.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

PACKAGE = "vanban-engine"
BUILTIN = "(có sẵn) "  # how an engine file (shipped template or framework) is named in the record
PREFIX = "vanban."  # custom properties and PDF Info keys of the engine
VERSION_KEY = "vanban.phien_ban"
DATE_KEY = "vanban.ngay"
DIGEST_KEY = "vanban.noi_dung"  # the digest of the rendered content (engine.render.properties)
PARTS_KEY = "vanban.phan."  # per-part digests, in chunks: vanban.phan.1, vanban.phan.2 …
MAX_VALUE = 255  # characters: Word keeps at most this much of a text property

# Where a document's date came from (the value of vanban.ngay), and how info says it.
DATE_SOURCES = {
    "van_ban": "ngày của văn bản",
    "SOURCE_DATE_EPOCH": "biến môi trường SOURCE_DATE_EPOCH (văn bản chưa đủ ngày tháng)",
    "ngay_dung": "ngày dựng (văn bản chưa đủ ngày tháng)",
}


@cache
def engine_version() -> str:
    """The installed package's version (from its metadata: an editable install and a wheel alike)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PACKAGE)
    except PackageNotFoundError:  # run from a copy of the source that was never installed
        return "0+chua-cai-dat"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Input:
    """One file (or the spec) a render read: the spec field that named it, its name as written, its hash."""

    field: str  # "dac_ta", "du_lieu.kq", "cham_diem.kq.du_lieu", "cham_diem.kq.bo_tieu_chi", "mau", "phu_luc.1.mau"
    name: str  # relative to the spec's folder as the spec wrote it; an engine file: its path among the engine's own
    sha256: str
    builtin: bool = False  # one of the engine's own templates or frameworks
    role: str = ""  # the engine.trust role to read it again with (du_lieu, mau, anh, dac_ta); "" for no file

    @property
    def shown(self) -> str:
        return BUILTIN + self.name if self.builtin else self.name

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "name": self.name, "sha256": self.sha256, "builtin": self.builtin,
                "role": self.role}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Input:
        return cls(str(data["field"]), str(data["name"]), str(data["sha256"]), bool(data.get("builtin")),
                   str(data.get("role") or ""))


@dataclass(frozen=True)
class Provenance:
    """What made a document: the engine's version and every input, the spec first."""

    engine: str
    inputs: tuple[Input, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"engine_version": self.engine, "inputs": [item.as_dict() for item in self.inputs]}


@dataclass(frozen=True)
class DocumentProperties:
    """What a rendered file says about itself: title, creator, date, and what made it."""

    title: str = ""
    creator: str = ""  # the issuing agency, its name on one line
    subject: str = ""  # the kind of document (Báo cáo, Công văn …)
    date: datetime = datetime(1980, 1, 1, tzinfo=UTC)
    date_source: str = "ngay_dung"  # a key of DATE_SOURCES
    provenance: Provenance = field(default_factory=lambda: Provenance(engine_version()))

    def pairs(self) -> list[tuple[str, str]]:
        """The engine's own properties in order (the content digest is added by the writer of the file)."""
        pairs = [(VERSION_KEY, self.provenance.engine), (DATE_KEY, self.date_source)]
        pairs += [(PREFIX + item.field, property_value(item)) for item in self.provenance.inputs]
        return pairs


def property_value(item: Input) -> str:
    """``<name> sha256:<hex>``, the name shortened in its middle to keep the value within Word's 255 characters."""
    tail = f" sha256:{item.sha256}"
    name = item.shown
    room = MAX_VALUE - len(tail)
    if len(name) > room:
        keep = room - 1
        name = name[: keep // 2] + "…" + name[len(name) - (keep - keep // 2):]
    return name + tail


def input_from_property(key: str, value: str) -> Input | None:
    """The input a property names (``vanban.<field>`` = ``<name> sha256:<hex>``), or None if it names none."""
    if not key.startswith(PREFIX) or key in (VERSION_KEY, DATE_KEY, DIGEST_KEY) or key.startswith(PARTS_KEY):
        return None
    name, found, digest = value.rpartition(" sha256:")
    if not found or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        return None
    builtin = name.startswith(BUILTIN)
    return Input(key[len(PREFIX):], name[len(BUILTIN):] if builtin else name, digest, builtin)


def provenance_from_pairs(pairs: list[tuple[str, str]]) -> Provenance | None:
    """The provenance a file's properties record, or None when they hold none of the engine's."""
    values = dict(pairs)
    if VERSION_KEY not in values:
        return None
    inputs = tuple(item for key, value in pairs if (item := input_from_property(key, value)) is not None)
    return Provenance(values[VERSION_KEY], inputs)


# ----- what a render reads ------------------------------------------------------------------------


@dataclass
class Journal:
    """The inputs one prepare read, by field (the first read of a field counts), and the templates it named."""

    inputs: dict[str, Input] = field(default_factory=dict)
    templates: dict[Path, str] = field(default_factory=dict)  # real path -> the name the spec wrote

    def add(self, item: Input) -> None:
        self.inputs.setdefault(item.field, item)


_journal: contextvars.ContextVar[Journal | None] = contextvars.ContextVar("vanban_journal", default=None)


@contextmanager
def recording() -> Iterator[Journal]:
    """Note every input read inside the block, in a journal of its own."""
    journal = Journal()
    token = _journal.set(journal)
    try:
        yield journal
    finally:
        _journal.reset(token)


def active() -> bool:
    return _journal.get() is not None


def written_name(written: str, base: Path | None) -> str:
    """A path as the spec wrote it, as a name for the record: never an absolute path of this machine."""
    text = written.replace("\\", "/")
    if os.path.isabs(text):
        if base is None:
            return PurePosixPath(text).name
        text = os.path.relpath(text, base).replace(os.sep, "/")
    return str(PurePosixPath(text))


def note_file(field_name: str, written: str, data: bytes, *, role: str, base: Path | None) -> None:
    """Record a file a spec named, just read (called by engine.trust.files.Access.read)."""
    journal = _journal.get()
    if journal is not None:
        journal.add(Input(field_name, written_name(written, base), sha256(data), role=role))


def note_input(item: Input) -> None:
    journal = _journal.get()
    if journal is not None:
        journal.add(item)


def note_template(path: Path, written: str, base: Path | None) -> None:
    """Record the name a spec gave a template (its hash comes from the compiled template, at render)."""
    journal = _journal.get()
    if journal is not None:
        journal.templates.setdefault(path, written_name(written, base))


# ----- the spec -----------------------------------------------------------------------------------


def canonical_digest(data: Any) -> str:
    """The sha256 of a spec given as a mapping or text: of its JSON with sorted keys, exact numbers as text."""
    text = json.dumps(_canonical(data), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return sha256(text.encode("utf-8"))


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return value


# ----- dates --------------------------------------------------------------------------------------


def document_date(year: int | None, month: int | None, day: int | None) -> tuple[datetime, str]:
    """The date a rendered file carries, and where it came from (a key of DATE_SOURCES)."""
    if year and month and day:
        return datetime(year, month, day, tzinfo=UTC), "van_ban"
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        try:
            return datetime.fromtimestamp(int(epoch), UTC), "SOURCE_DATE_EPOCH"
        except (OverflowError, OSError, ValueError):
            pass  # out of range: as if unset
    today = time.localtime()
    return datetime(today.tm_year, today.tm_mon, today.tm_mday, tzinfo=UTC), "ngay_dung"
