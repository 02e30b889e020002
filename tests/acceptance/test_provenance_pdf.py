"""PDF provenance: the same .docx gives the same PDF bytes, readers see where it came from, changes after are told."""

from __future__ import annotations

import datetime
import hashlib
import io
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from engine import pipeline
from engine.info import describe
from tests.conftest import FIXTURES, ROOT

DIEN_BIEN = FIXTURES / "dien_bien_2021_q2"


@pytest.fixture(scope="module")
def converter():
    from engine.convert import PdfConverter, pdf_available

    if not pdf_available():
        pytest.skip("needs LibreOffice with python3-uno")
    with PdfConverter() as running:
        yield running


@pytest.fixture(scope="module")
def docx() -> bytes:
    return pipeline.render(DIEN_BIEN / "spec.yaml")


@pytest.fixture(scope="module")
def pdf(converter, docx: bytes) -> bytes:
    return pipeline.docx_to_pdf(docx, converter=converter).pdf


def test_the_same_docx_gives_the_same_pdf_bytes_a_second_later_and_from_another_process(
        converter, docx: bytes, pdf: bytes, tmp_path: Path) -> None:
    time.sleep(1.1)  # LibreOffice stamps the second it converts
    assert pipeline.docx_to_pdf(docx, converter=converter).pdf == pdf
    out = tmp_path / "bc.pdf"
    subprocess.run([sys.executable, "-m", "engine", "render", str(DIEN_BIEN / "spec.yaml"), "-o", str(out)],
                   check=True, capture_output=True, cwd=ROOT, timeout=180)
    assert out.read_bytes() == pdf


def test_pypdf_pdfium_and_poppler_read_the_pdf_and_its_provenance(docx: bytes, pdf: bytes, tmp_path: Path) -> None:
    import pypdfium2
    from pypdf import PdfReader

    meta = PdfReader(io.BytesIO(pdf), strict=True).metadata
    assert meta.title.startswith("Kết quả chấm điểm") and meta.author == "ỦY BAN NHÂN DÂN HUYỆN ĐIỆN BIÊN"
    assert meta.creation_date == datetime.datetime(2021, 6, 22, tzinfo=datetime.UTC)
    spec = hashlib.sha256((DIEN_BIEN / "spec.yaml").read_bytes()).hexdigest()
    assert meta["/vanban.dac_ta"] == f"spec.yaml sha256:{spec}"
    assert meta["/vanban.docx"] == describe_docx_digest(docx)
    assert len(pypdfium2.PdfDocument(pdf)) == 5
    if shutil.which("pdfinfo"):
        (tmp_path / "bc.pdf").write_bytes(pdf)
        shown = subprocess.run(["pdfinfo", str(tmp_path / "bc.pdf")], capture_output=True, text=True, check=True)
        assert "Title:           Kết quả chấm điểm" in shown.stdout and "Syntax Error" not in shown.stderr


def describe_docx_digest(docx: bytes) -> str:
    from engine.render.properties import package_properties

    return dict(package_properties(docx).pairs)["vanban.noi_dung"]


def test_info_tells_an_untouched_pdf_an_altered_one_and_one_with_bytes_appended(pdf: bytes) -> None:
    from pypdf import PdfReader, PdfWriter

    ours = describe(pdf, "bc.pdf")
    assert ours.made_by_engine and ours.intact and ours.kind == "pdf" and ours.created == "2021-06-22T00:00:00Z"
    assert [item.field for item in ours.inputs][0] == "dac_ta"

    at = pdf.index(b"/Producer")
    altered = describe(pdf[:at] + b"/Pruducer" + pdf[at + len(b"/Producer"):], "bc.pdf")  # one letter of LibreOffice's
    assert altered.made_by_engine and not altered.intact and altered.record_altered

    writer = PdfWriter(PdfReader(io.BytesIO(pdf)), incremental=True)
    writer.add_metadata({"/Title": "Tiêu đề khác"})
    out = io.BytesIO()
    writer.write(out)
    appended = describe(out.getvalue(), "bc.pdf")
    assert not appended.intact and appended.appended_bytes > 0 and not appended.signed_after
    assert "byte thêm vào sau phần do chương trình viết" in appended.summary


def test_a_pdf_signed_after_rendering_keeps_a_valid_signature_and_our_part_whole(pdf: bytes, tmp_path: Path) -> None:
    import pypdfium2
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    from pypdf import PdfReader

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Van thu UBND huyen")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    signer = signers.SimpleSigner.load(str(tmp_path / "key.pem"), str(tmp_path / "cert.pem"))
    signed = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), signers.PdfSignatureMetadata(field_name="Ky"),
                              signer=signer).getvalue()
    assert signed.startswith(pdf)  # a signature is one more incremental update
    [signature] = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[cert_of(cert)], allow_fetching=False))
    assert status.intact and status.valid
    assert len(PdfReader(io.BytesIO(signed)).pages) == 5 and len(pypdfium2.PdfDocument(signed)) == 5
    told = describe(signed, "da_ky.pdf")
    assert told.made_by_engine and told.signed_after and not told.record_altered
    assert "phần do chương trình viết còn nguyên" in told.summary and "chữ ký số" in told.summary


def cert_of(cert):
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def test_after_a_libreoffice_round_trip_the_record_is_still_there_and_check_says_the_docx_changed(
        docx: bytes, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from engine.cli import main
    from engine.convert.converter import find_soffice

    soffice = find_soffice()
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    source = tmp_path / "bc.docx"
    source.write_bytes(docx)
    saved = tmp_path / "libreoffice"
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--norestore",
                    "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(saved), str(source)],
                   check=True, capture_output=True, timeout=240)
    data = (saved / "bc.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        custom = archive.read("docProps/custom.xml").decode("utf-8")
    assert "vanban.dac_ta" in custom and "vanban.noi_dung" in custom  # LibreOffice kept the custom properties
    told = describe(data, "bc.docx")
    assert told.made_by_engine and not told.intact and "word/document.xml" in told.changed_parts
    assert sorted(told.inputs, key=str) == sorted(describe(docx, "bc.docx").inputs, key=str)  # LibreOffice sorts them
    run = CliRunner().invoke(main, ["check", str(saved / "bc.docx")])
    assert run.exit_code == 0 and "đã bị sửa sau khi dựng" in run.output
