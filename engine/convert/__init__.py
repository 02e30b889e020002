"""Turn rendered .docx documents into PDF with a warm LibreOffice, and check the PDFs.

Kept apart from rendering because it needs programs outside Python (LibreOffice and a Python with
its ``uno`` bridge) that a machine making only .docx does not have::

    from engine.convert import PdfConverter, read_pdf, check_pdf
    with PdfConverter() as converter:
        pdf = converter.convert(docx_bytes)
    problems = check_pdf(read_pdf(pdf), expect_pages_at_least=2)
"""

from engine.convert.converter import DEFAULT_TIMEOUT, PdfConverter, find_soffice, find_uno_python, pdf_available
from engine.convert.pdfcheck import PageInfo, PdfInfo, check_pdf, font_notice, merge_pdfs, read_pdf

__all__ = [
    "DEFAULT_TIMEOUT",
    "PageInfo",
    "PdfConverter",
    "PdfInfo",
    "check_pdf",
    "find_soffice",
    "find_uno_python",
    "font_notice",
    "merge_pdfs",
    "pdf_available",
    "read_pdf",
]
