"""Turn a series of figures (a label and a value each) into the PNG of a bar or line chart for print.

Drawn with matplotlib's Agg canvas, never its pyplot state (a service renders in threads), at
:data:`DPI` dots per inch in Times New Roman's metrics (Liberation Serif, which has every
Vietnamese letter; DejaVu Serif, shipped with matplotlib, when it is not installed), numbers in
the Vietnamese form on the axis and over each bar (engine.vn.numbers.format_number: "16,74",
"1.147"). Nothing is read from the network or the user's matplotlib settings: the defaults are
reset for each chart, and the PNG carries no date nor software name, so the same figures give
the same bytes. matplotlib is imported on the first chart only: documents without one do not pay.
"""

from __future__ import annotations

import io
import textwrap
import threading
from decimal import Decimal
from functools import cache

from engine.vn.numbers import format_number

__all__ = ["DPI", "draw_chart"]

DPI = 250  # print resolution: a 16 cm chart is 1575 pixels wide
CM_PER_INCH = 2.54
BAR_COLOUR = "#4a6a8a"
FONT_SIZE = 11  # pt, at the printed size
_lock = threading.Lock()  # matplotlib's font cache and rc settings are not thread-safe


@cache
def _font_family() -> list[str]:
    from matplotlib import font_manager

    try:
        font_manager.findfont(font_manager.FontProperties(family="Liberation Serif"), fallback_to_default=False)
        return ["Liberation Serif", "DejaVu Serif"]
    except ValueError:
        return ["DejaVu Serif"]


def _label(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) if len(text) > width else text


def draw_chart(kind: str, labels: list[str], values: list[Decimal], decimals: int, *, width_cm: float,
               height_cm: float, x_label: str = "", y_label: str = "") -> bytes:
    """The chart's PNG bytes: ``kind`` "cot" (bars) or "duong" (a line with its points), values labelled."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    with _lock, matplotlib.rc_context(rc=matplotlib.rcParamsDefault):
        matplotlib.rcParams.update({"font.family": "serif", "font.serif": _font_family(), "font.size": FONT_SIZE,
                                    "axes.unicode_minus": False, "svg.hashsalt": "vanban"})
        figure = Figure(figsize=(width_cm / CM_PER_INCH, height_cm / CM_PER_INCH), dpi=DPI)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        positions = list(range(len(values)))
        numbers = [float(v) for v in values]
        if kind == "duong":
            axes.plot(positions, numbers, color=BAR_COLOUR, marker="o", linewidth=1.5)
            for x, y, value in zip(positions, numbers, values, strict=True):
                axes.annotate(format_number(value, decimals), (x, y), textcoords="offset points", xytext=(0, 5),
                              ha="center", fontsize=FONT_SIZE - 2)
        else:
            bars = axes.bar(positions, numbers, color=BAR_COLOUR, edgecolor="black", linewidth=0.4)
            if len(values) <= 40:
                axes.bar_label(bars, labels=[format_number(v, decimals) for v in values], padding=2,
                               fontsize=FONT_SIZE - 2)
        many = len(labels) > 8
        axes.set_xticks(positions)
        axes.set_xticklabels([_label(text, 18 if many else 14) for text in labels], rotation=45 if many else 0,
                             ha="right" if many else "center", fontsize=FONT_SIZE - (2 if many else 1))
        axes.yaxis.set_major_locator(MaxNLocator(nbins=6))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _: format_number(Decimal(repr(round(float(y), 6))))))
        top = max([*numbers, 0.0])
        bottom = min([*numbers, 0.0])
        axes.set_ylim(bottom * 1.15, top * 1.15 if top > 0 else 1)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        axes.grid(axis="y", linewidth=0.3, color="#999999")
        axes.set_axisbelow(True)
        if x_label:
            axes.set_xlabel(x_label)
        if y_label:
            axes.set_ylabel(y_label)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
        return out.getvalue()
