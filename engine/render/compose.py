"""Join a main document and its appendices (phụ lục) into one .docx.

The engine joins the *templates* (engine.render.docx.load_joined_template), once per process,
so that a document with phụ lục is rendered in one pass; the joining itself is the same for
templates and for rendered documents.

Nghị định 30 numbers the pages of each phụ lục on its own, and a wide appendix table
needs a landscape page while the main text stays portrait, so each appendix becomes its
own section: it starts on a new page, keeps the page size, orientation and margins of the
template it was rendered from, restarts page numbering at 1 and hides the number on its
first page (titlePg). Every section uses the main document's header and footer, so the
page number looks the same throughout.

docxcompose copies the body content with its styles, numbering and images, but drops the
appended document's section properties (its body ``w:sectPr``); the sections are made
here: before each append the current last section is closed by a copy of the body
``w:sectPr`` in a 1 pt paragraph, and after it the body ``w:sectPr`` takes the
appendix's page geometry.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from copy import deepcopy

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import nsmap, qn
from docxcompose.composer import Composer

from engine.render.package import normalise_package

CORE_PROPERTIES_NS = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"

# CT_SectPr is a sequence; Word calls a file damaged if its children are out of this order.
SECTION_ORDER = (
    "headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc pgBorders lnNumType "
    "pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi rtlGutter docGrid printerSettings "
    "sectPrChange"
).split()
_RANK = {qn(f"w:{name}"): rank for rank, name in enumerate(SECTION_ORDER)}
_REFERENCES = (qn("w:headerReference"), qn("w:footerReference"))


def restore_core_properties_prefix() -> None:
    """Give python-docx's "cp" prefix back its core-properties namespace.

    Importing docxcompose (docxtpl imports it too, when it is installed) remaps "cp" in
    python-docx's shared prefix table to the custom-properties namespace, after which
    setting ``core_properties.last_modified_by`` or ``revision`` writes a second, foreign
    element into docProps/core.xml (docxcompose issue #101, docxtpl issue #471).
    docxcompose keeps its own table for its own queries, so restoring ours is safe.
    """
    nsmap["cp"] = CORE_PROPERTIES_NS


restore_core_properties_prefix()


def _section_break(section) -> OxmlElement:
    """An empty 1 pt paragraph that ends a section with a copy of ``section``'s properties."""
    paragraph = OxmlElement("w:p")
    p_pr = OxmlElement("w:pPr")
    spacing = OxmlElement("w:spacing")
    for key, value in (("w:before", "0"), ("w:after", "0"), ("w:line", "20"), ("w:lineRule", "exact")):
        spacing.set(qn(key), value)
    r_pr = OxmlElement("w:rPr")
    for tag in ("w:sz", "w:szCs"):
        size = OxmlElement(tag)
        size.set(qn("w:val"), "2")
        r_pr.append(size)
    p_pr.append(spacing)
    p_pr.append(r_pr)  # CT_PPr: spacing … rPr, sectPr
    p_pr.append(deepcopy(section))
    paragraph.append(p_pr)
    return paragraph


def _set(section, tag: str, **attributes: str) -> None:
    """Replace ``section``'s child ``tag`` by one with exactly these attributes."""
    for old in section.findall(qn(f"w:{tag}")):
        section.remove(old)
    element = OxmlElement(f"w:{tag}")
    for key, value in attributes.items():
        element.set(qn(f"w:{key}"), value)
    section.append(element)


def _appendix_section(geometry, references: list) -> OxmlElement:
    """The appendix's own section properties with the main document's header/footer.

    Keeps everything that describes the appendix's page (pgSz with its orientation, pgMar,
    cols, docGrid …), drops its own header/footer references (their parts are not copied),
    starts on a new page numbered 1, and hides the number on the first page.
    """
    section = deepcopy(geometry)
    for child in list(section):
        if child.tag in _REFERENCES:
            section.remove(child)
    for reference in references:
        section.append(deepcopy(reference))
    _set(section, "type", val="nextPage")
    numbering = section.find(qn("w:pgNumType"))  # keeps its number format (fmt) if it has one
    if numbering is None:
        numbering = OxmlElement("w:pgNumType")
        section.append(numbering)
    numbering.set(qn("w:start"), "1")
    _set(section, "titlePg")
    section[:] = sorted(section, key=lambda child: _RANK.get(child.tag, len(_RANK)))  # stable
    return section


def _fixed_numbering_ids(document, before: set[str]) -> None:
    """Replace the random ``w:nsid`` docxcompose gives copied list definitions by fixed ones.

    The same inputs must give the same bytes; an nsid only has to differ between lists.
    """
    try:
        numbering = document.part.numbering_part.element
    except NotImplementedError:  # python-docx: no numbering part
        return
    for abstract in numbering.findall(qn("w:abstractNum")):
        number = abstract.get(qn("w:abstractNumId"))
        nsid = abstract.find(qn("w:nsid"))
        if number not in before and nsid is not None:
            nsid.set(qn("w:val"), f"{zlib.crc32(f'vanban-phu-luc-{number}'.encode()):08X}")


def _abstract_ids(document) -> set[str]:
    try:
        numbering = document.part.numbering_part.element
    except NotImplementedError:
        return set()
    return {a.get(qn("w:abstractNumId")) for a in numbering.findall(qn("w:abstractNum"))}


def join_documents(main: bytes, appendices: Sequence[bytes]) -> bytes:
    """The main document followed by each appendix in its own section, as one verified package.

    With no appendices the main bytes come back unchanged. The result goes through
    :func:`engine.render.package.normalise_package` (fixed timestamps, every XML part parsed).
    """
    if not appendices:
        return main
    document = Document(io.BytesIO(main))
    body = document.element.body
    main_section = deepcopy(body.get_or_add_sectPr())
    references = [deepcopy(child) for child in main_section if child.tag in _REFERENCES]
    composer = Composer(document)
    # Sections are handled here; keep docxcompose from moving header references and
    # pgNumType between sections when an appendix has several sections of its own.
    composer.first_section_properties_added = True
    abstract_before = _abstract_ids(document)
    for appendix in appendices:
        appended = Document(io.BytesIO(appendix))
        geometry = appended.element.body.sectPr
        if geometry is None:  # a package without section properties: the main page it is
            geometry = main_section
        body.sectPr.addprevious(_section_break(body.sectPr))
        composer.append(appended)
        body.replace(body.sectPr, _appendix_section(geometry, references))
    _fixed_numbering_ids(document, abstract_before)
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_package(buffer.getvalue())
