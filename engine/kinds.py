"""Turn templates/kinds.yaml into the registry of document kinds (báo cáo, công văn, …).

A kind names its template and how its ký hiệu is formed. Adding a kind is adding an entry to
the YAML file: no code changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

TEMPLATES_DIR = Path(os.environ.get("VANBAN_TEMPLATES", Path(__file__).resolve().parent.parent / "templates"))
KINDS_FILE = TEMPLATES_DIR / "kinds.yaml"


@dataclass(frozen=True)
class Kind:
    """A document kind: its printed tên loại, type abbreviation and template file."""

    key: str
    ten_loai: str | None  # None for a công văn: it has no tên loại
    viet_tat: str | None  # None: ký hiệu is "<agency>-<drafting unit>"
    template: Path


def load_kinds(path: Path = KINDS_FILE) -> dict[str, Kind]:
    """Read the kinds registry; each entry gives ten_loai, viet_tat and mau."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        key: Kind(key=key, ten_loai=entry.get("ten_loai"), viet_tat=entry.get("viet_tat"),
                  template=path.parent / entry["mau"])
        for key, entry in raw.items()
    }


KINDS: dict[str, Kind] = load_kinds()
