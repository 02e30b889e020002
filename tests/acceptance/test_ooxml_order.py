"""Rendered documents keep the element order that the OOXML schema requires.

Word refuses or "repairs" a file whose property elements are out of schema order, while
LibreOffice silently accepts it, so a LibreOffice round trip alone would not catch this.
The sequences below are those of ECMA-376 Part 1 for the property elements we write.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

from engine import render
from tests.acceptance.samples import CASES, FEATURES
from tests.conftest import FIXTURES

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

SEQUENCES = {
    "pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd "
           "tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
           "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc "
           "textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
    "rPr": "ins del moveFrom moveTo rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss "
           "imprint noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect "
           "bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath rPrChange",
    "tblPr": "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc tblCellSpacing "
             "tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption tblDescription tblPrChange",
    "trPr": "cnfStyle divId gridBefore gridAfter wBefore wAfter cantSplit trHeight tblHeader tblCellSpacing jc hidden "
            "ins del trPrChange",
    "sectPr": "headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc pgBorders lnNumType "
              "pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi rtlGutter docGrid printerSettings "
              "sectPrChange",
}


def out_of_order(root: etree._Element) -> list[str]:
    problems = []
    for name, sequence in SEQUENCES.items():
        rank = {tag: i for i, tag in enumerate(sequence.split())}
        for element in root.iter(W + name):
            seen = [child.tag.removeprefix(W) for child in element if child.tag.startswith(W)]
            ranks = [rank.get(tag, -1) for tag in seen]
            if -1 in ranks or ranks != sorted(ranks):
                problems.append(f"{name}: {seen}")
    return problems


@pytest.mark.parametrize("case", [*CASES, *FEATURES])
def test_property_elements_follow_the_schema_order(case: str) -> None:
    package = render(FIXTURES / case / "spec.yaml")
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        parts = [n for n in z.namelist() if n.startswith("word/") and n.endswith(".xml")]
        problems = [f"{n}: {p}" for n in parts for p in out_of_order(etree.fromstring(z.read(n)))]
        problems += [f"{n}: {p}" for n in parts for p in anchors_out_of_order(etree.fromstring(z.read(n)))]
    assert not problems, "\n".join(problems[:10])


WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
ANCHOR = ("simplePos positionH positionV extent effectExtent wrapNone wrapSquare wrapTight wrapThrough "
          "wrapTopAndBottom docPr cNvGraphicFramePr graphic").split()


def anchors_out_of_order(root: etree._Element) -> list[str]:
    """A floating picture (a seal) with its children out of CT_Anchor's sequence, or without its required ones."""
    problems = []
    for anchor in root.iter(WP + "anchor"):
        seen = [etree.QName(child).localname for child in anchor]
        ranks = [ANCHOR.index(tag) if tag in ANCHOR else -1 for tag in seen]
        required = {"simplePos", "positionH", "positionV", "extent", "docPr", "graphic"}
        if -1 in ranks or ranks != sorted(ranks) or not required <= set(seen):
            problems.append(f"anchor: {seen}")
    return problems
