"""Compare every figure someone stated with the figure the engine computes, and say where they differ.

Hand-typed reports get figures wrong: a total that is not the sum of its parts, a percentage
on the wrong base, a class that does not match its band. The scoring stage and the spec's
``so_lieu_ghi`` list produce :class:`Finding` items; ``python -m engine audit`` prints them,
``render`` warns with them and refuses with ``--strict``. A stated figure is compared at its
own precision: "0,3%" against a computed 0,27% agrees in value to one decimal but is less
precise than the report's other figures, which is a warning; "1,72%" against 1,60% is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from engine.errors import Location
from engine.vn.numbers import format_number

__all__ = ["ERROR", "WARNING", "Finding", "compare_number", "shown_decimals"]

ERROR = "error"
WARNING = "warning"
Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One stated figure that disagrees with its computed value (or its rule, band or parts)."""

    level: Level
    location: Location
    stated: str | None
    computed: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: level, location, stated, computed, message (the keys the CLI prints)."""
        return {"level": self.level, "location": str(self.location), "stated": self.stated,
                "computed": self.computed, "message": self.message}

    def __str__(self) -> str:
        label = "LỖI" if self.level == ERROR else "CẢNH BÁO"
        figures = ""
        if self.stated is not None or self.computed is not None:
            figures = f" (ghi: {self.stated if self.stated is not None else '—'}; "
            figures += f"tính: {self.computed if self.computed is not None else '—'})"
        return f"{label} {self.location}: {self.message}{figures}"


def shown_decimals(value: Decimal) -> int:
    """How many decimals a stated number was written with (16,70 → 2; 47 → 0).

    >>> shown_decimals(Decimal("0.3")), shown_decimals(Decimal("115213"))
    (1, 0)
    """
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _round(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def compare_number(stated: Decimal, computed: Decimal, decimals: int, *, where: Location, what: str,
                   percent: bool = False) -> Finding | None:
    """A finding when ``stated`` is not ``computed`` as shown with ``decimals`` decimals, else None.

    A stated figure with fewer decimals that agrees once the computed one is rounded the same
    way is a warning (imprecise, not wrong).

    >>> compare_number(Decimal("1.72"), Decimal("1.5959"), 2, where=Location(), what="tỷ lệ").level
    'error'
    >>> compare_number(Decimal("0.3"), Decimal("0.2721"), 2, where=Location(), what="tỷ lệ").level
    'warning'
    >>> compare_number(Decimal("16.74"), Decimal("16.7376"), 2, where=Location(), what="tổng") is None
    True
    """
    sign = "%" if percent else ""
    shown = format_number(computed, decimals) + sign
    written = format_number(stated) + sign
    stated_places = shown_decimals(stated)
    if _round(computed, decimals) == _round(stated, decimals):
        return None
    if stated_places < decimals and _round(computed, stated_places) == stated:
        return Finding(WARNING, where, written, shown,
                       f"{what} ghi {written}, ít chữ số thập phân hơn giá trị tính được {shown}")
    return Finding(ERROR, where, written, shown, f"{what} ghi {written} nhưng tính từ số liệu được {shown}")


def stated_figures(loaded: Any, names: dict[str, Any]) -> list[Finding]:
    """Check the spec's ``so_lieu_ghi``: each stated figure against its ``tinh`` expression.

    ``loaded`` is the :class:`~engine.spec.loader.LoadedSpec`; ``names`` what expressions see
    (data sets and scored views). A ``tinh`` that does not evaluate is a SpecError at its line.
    """
    from engine.errors import Problem, SpecError  # local: audit is imported by the scoring stage
    from engine.render.environment import text_environment
    from engine.scoring.figures import Figure, Percentage
    from engine.vn.text import nfc

    findings: list[Finding] = []
    problems: list[Problem] = []
    env = text_environment()
    for index, item in enumerate(loaded.spec.so_lieu_ghi):
        where = loaded.source.location(("so_lieu_ghi", index, "ghi"), field=f"so_lieu_ghi[{index}] ({item.noi_dung})")
        try:
            computed = env.compile_expression(item.tinh.strip().removeprefix("{{").removesuffix("}}"))(**names)
        except Exception as exc:  # noqa: BLE001 - jinja raises many kinds; all are the author's mistake
            problems.append(Problem("SPEC_EXPRESSION", f"không tính được '{item.tinh}': {exc}",
                                    loaded.source.location(("so_lieu_ghi", index, "tinh"), field="tinh"),
                                    hint="Biểu thức dùng tên dữ liệu hoặc tên kết quả chấm điểm."))
            continue
        percent = item.ty_le or isinstance(computed, Percentage)
        base = ""
        if isinstance(computed, Percentage):
            # Name the base: a percentage taken on the wrong base is the usual mistake.
            base = (f" ({format_number(computed.part)} trên cơ sở '{computed.base_name}' "
                    f"{format_number(computed.base)})")
            computed = computed.value
        stated = item.ghi
        if isinstance(stated, str) and isinstance(computed, (Figure, int, Decimal)):
            stated = _stated_number(stated)
        if isinstance(computed, (Figure, int, Decimal)) and not isinstance(computed, bool):
            if not isinstance(stated, (int, Decimal)) or isinstance(stated, bool):
                problems.append(Problem("SPEC_TYPE", f"'ghi' của '{item.noi_dung}' phải là một số", where))
                continue
            value = computed.value if isinstance(computed, Figure) else Decimal(computed)
            decimals = computed.decimals if isinstance(computed, Figure) else shown_decimals(Decimal(stated))
            found = compare_number(Decimal(stated), value, decimals, where=where, what=item.noi_dung, percent=percent)
            if found is not None and base:
                found = Finding(found.level, found.location, found.stated, found.computed, found.message + base)
        else:
            same = nfc(str(stated)).casefold().strip() == nfc(str(computed)).casefold().strip()
            found = None if same else Finding(ERROR, where, str(stated), str(computed),
                                              f"{item.noi_dung} ghi '{stated}' nhưng theo số liệu là '{computed}'")
        if found is not None:
            findings.append(found)
    if problems:
        raise SpecError(problems)
    return findings


def _stated_number(text: str) -> Decimal | str:
    """A stated figure written as text: Vietnamese form ("16,74", "115.213", "1,72%")."""
    from engine.vn.numbers import to_decimal

    cleaned = text.strip().removesuffix("%").strip()
    if "." in cleaned and "," not in cleaned and cleaned.count(".") == 1 and len(cleaned.split(".")[1]) == 3:
        cleaned = cleaned.replace(".", "")  # "115.213": one group of thousands, as the samples write it
    try:
        return to_decimal(cleaned)
    except ValueError:
        return text
