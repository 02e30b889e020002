"""Every error class reaches a caller as JSON with its stable code and the documented HTTP status, never a traceback."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from engine.errors import ERROR_CODES, HTTP_STATUS, HTTP_STATUS_BY_CODE, EngineError
from engine.service.config import ServiceConfig, build_config
from engine.service.models import EXAMPLE_SPEC
from engine.trust.limits import Limits
from tests.conftest import FIXTURES, ROOT
from tests.service.conftest import fixture_upload
from tests.service.harness import codes, problems, running

NESTED_LOOPS = "{% for a in [0] * 3000 %}{% for b in [0] * 3000 %}{% endfor %}{% endfor %}"  # 9 million turns
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize(("request_kwargs", "code"), [
    ({"content": b"{\"spec\": ", "headers": {"Content-Type": "application/json"}}, "HTTP_REQUEST"),
    ({"json": {"spec": EXAMPLE_SPEC, "dinh_dang": "pdf"}}, "HTTP_REQUEST"),
    ({"json": {"formats": ["docx"]}}, "HTTP_REQUEST"),
    ({"json": {"spec": EXAMPLE_SPEC, "formats": ["odt"]}}, "HTTP_REQUEST"),
    ({"json": {"spec": EXAMPLE_SPEC, "strict": "maybe"}}, "HTTP_REQUEST"),
    ({"json": [1, 2]}, "HTTP_REQUEST"),
    ({"content": b"<xml/>", "headers": {"Content-Type": "application/xml"}}, "HTTP_REQUEST"),
    ({"content": "đặc tả".encode("utf-16"), "headers": {"Content-Type": "application/yaml"}}, "HTTP_REQUEST"),
], ids=["broken_json", "unknown_field", "no_spec", "unknown_format", "strict_not_a_flag", "not_an_object",
        "content_type", "not_utf8"])
def test_malformed_requests_are_400_with_what_to_send(service, request_kwargs, code):
    response = service.post("/v1/render", **request_kwargs)
    assert response.status_code == 400
    assert codes(response) == [code]
    assert all(problem["hint"] or problem["field"] for problem in problems(response))


def test_a_broken_json_body_says_where(service):
    response = service.post("/v1/render", content=b'{"spec": {"loai": "bao_cao",\n  }}',
                            headers={"Content-Type": "application/json"})
    [problem] = problems(response)
    assert (problem["line"], problem["column"]) == (2, 3)


@pytest.mark.parametrize(("spec", "code", "status"), [
    ({**EXAMPLE_SPEC, "loai": "bao_cao_thang"}, "SPEC_KIND", 422),
    ({**EXAMPLE_SPEC, "ngay": {"nam": 2026, "thang": 2, "ngay": 30}}, "SPEC_DATE", 422),
    ({**EXAMPLE_SPEC, "du_lieu": {"kq": "khong_co.yaml"}}, "DATA_FILE", 422),
    ({**EXAMPLE_SPEC, "noi_dung": [{"doan": "{{ kq.khong_co }}"}]}, "SPEC_EXPRESSION", 422),
    ({**EXAMPLE_SPEC, "noi_dung": [{"doan": "{{ 'abc'.upper() }}"}]}, "SANDBOX_ACCESS", 422),
    ({**EXAMPLE_SPEC, "noi_dung": [{"doan": NESTED_LOOPS}]}, "LIMIT_LOOP", 422),
    ({**EXAMPLE_SPEC, "mau": "/etc/passwd"}, "ACCESS_OUTSIDE", 403),
    ({**EXAMPLE_SPEC, "mau": "khong_co.docx"}, "SPEC_VALUE", 422),
], ids=["kind", "date", "data_file", "expression", "sandbox", "loop", "access", "no_such_template"])
def test_engine_errors_keep_their_code_and_take_their_status(service, spec, code, status):
    response = service.post("/v1/render", json={"spec": spec})
    assert response.status_code == status, response.text
    assert code in codes(response)


def test_a_table_over_the_row_limit_is_413_with_its_limit(service_with_small_limits):
    response = service_with_small_limits.post("/v1/render", files=fixture_upload(FIXTURES / "tua_chua_2023_04"))
    assert response.status_code == 413
    assert codes(response) == ["LIMIT_ROWS"]


def test_a_body_over_the_server_limit_is_413_before_it_is_read(service_with_small_limits):
    big = b"a: " + b"x" * 300_000
    response = service_with_small_limits.post("/v1/render", content=big, headers={"Content-Type": "application/yaml"})
    assert response.status_code == 413 and codes(response) == ["LIMIT_REQUEST"]


def test_a_streamed_body_without_length_is_cut_at_the_limit(service_with_small_limits):
    async def chunks():
        for _ in range(100):
            yield b"x" * 10_000

    response = service_with_small_limits.post("/v1/render", content=chunks(),
                                              headers={"Content-Type": "application/yaml"})
    assert response.status_code == 413 and codes(response) == ["LIMIT_REQUEST"]


def test_an_uploaded_file_over_the_upload_limit_is_413(service_with_small_limits):
    response = service_with_small_limits.post("/v1/render", files=[
        ("spec", ("s.yaml", b"loai: bao_cao\n")), ("files", ("bang.csv", b"a,b\n" + b"1,2\n" * 30_000))])
    assert response.status_code == 413 and codes(response) == ["LIMIT_UPLOAD"]


def test_uploaded_templates_are_refused_unless_the_server_allows_them(service):
    response = service.post("/v1/render", files=[("spec", ("s.yaml", b"loai: bao_cao\n")),
                                                 ("files", ("mau.docx", b"PK", DOCX_TYPE))])
    assert response.status_code == 403 and codes(response) == ["TEMPLATE_UPLOAD"]


def test_an_upload_named_like_a_path_is_refused(service):
    response = service.post("/v1/render", files=[("spec", ("s.yaml", b"loai: bao_cao\n")),
                                                 ("files", ("../../du_lieu.yaml", b"a: 1\n"))])
    assert response.status_code == 400 and codes(response) == ["PATH_NAME"]


def test_an_unreadable_uploaded_document_is_422(service):
    response = service.post("/v1/check", content=b"not a zip", headers={"Content-Type": DOCX_TYPE})
    assert response.status_code == 422
    assert codes(response)[0] in ("FILE_ZIP", "DOCX_UNREADABLE")


def test_unknown_addresses_and_methods_answer_json(service):
    missing = service.get("/v2/render")
    assert missing.status_code == 404 and codes(missing) == ["HTTP_NOT_FOUND"]
    wrong_method = service.get("/v1/render")
    assert wrong_method.status_code == 405 and codes(wrong_method) == ["HTTP_METHOD"]


def test_a_bug_is_500_internal_without_a_traceback(service, monkeypatch):
    async def broken(job):
        raise ZeroDivisionError("division by zero in a helper")

    monkeypatch.setattr(service.state.renderers, "run", broken)
    response = service.post("/v1/validate", json={"spec": EXAMPLE_SPEC})
    assert response.status_code == 500 and codes(response) == ["INTERNAL"]
    assert "division" not in response.text and "File \"" not in response.text


def test_without_libreoffice_a_pdf_is_503_and_docx_still_works():
    with running(ServiceConfig(workers=1, pdf_converters=0)) as service:
        assert service.get("/readyz").json()["pdf"] is False
        response = service.post("/v1/render", json={"spec": EXAMPLE_SPEC, "formats": ["pdf"]})
        assert response.status_code == 503 and codes(response) == ["PDF_UNAVAILABLE"]
        assert "Retry-After" in response.headers
        assert service.post("/v1/render", json={"spec": EXAMPLE_SPEC}).status_code == 200


def test_api_keys_refuse_a_request_without_a_valid_key_before_any_work(tmp_path):
    keys = tmp_path / "keys.txt"
    keys.write_text("# khóa của hệ thống một cửa\n" + "k" * 32 + "\n", encoding="utf-8")
    with running(replace(build_config(api_key_file=keys), workers=1, pdf_converters=0)) as service:
        for headers in ({}, {"Authorization": "Bearer " + "x" * 32}, {"X-API-Key": "k" * 31}):
            response = service.post("/v1/render", json={"spec": EXAMPLE_SPEC}, headers=headers)
            assert response.status_code == 401 and codes(response) == ["HTTP_AUTH"]
        assert service.get("/metrics").status_code == 401
        assert service.get("/healthz").status_code == 200
        ok = service.post("/v1/render", json={"spec": EXAMPLE_SPEC}, headers={"Authorization": "Bearer " + "k" * 32})
        assert ok.status_code == 200
        metrics = service.get("/metrics", headers={"X-API-Key": "k" * 32}).text
        assert 'vanban_render_seconds_count{action="render"} 1.0' in metrics  # the refused ones did no work


def test_a_short_or_empty_key_file_is_a_config_error(tmp_path):
    keys = tmp_path / "keys.txt"
    for text in ("", "# chỉ có chú thích\n", "ngan\n"):
        keys.write_text(text, encoding="utf-8")
        with pytest.raises(EngineError) as caught:
            build_config(api_key_file=keys)
        assert caught.value.problems[0].code == "SERVICE_CONFIG"


def test_a_config_file_error_names_its_line(tmp_path):
    config = tmp_path / "may_chu.yaml"
    config.write_text("workers: 2\npdf_converters: nhieu\nlimits: {so_dong: 100000}\n", encoding="utf-8")
    with pytest.raises(EngineError) as caught:
        build_config(config)
    [problem] = caught.value.problems
    assert (problem.code, problem.location.line) == ("SERVICE_CONFIG", 2)
    config.write_text("workers: 2\nlimits: {so_dong: 100000}\n", encoding="utf-8")
    built = build_config(config, workers=3)
    assert (built.workers, built.limits.so_dong) == (3, 100_000)


def test_the_status_mapping_is_documented_beside_the_exit_codes():
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    section = text.split("## Mã trạng thái HTTP", 1)[1].split("\n## ", 1)[0]
    documented = dict(re.findall(r"^\| `?([A-Za-z_]+)`? \| (\d{3}) \|", section, re.MULTILINE))
    expected = {cls.__name__: status for cls, status in HTTP_STATUS.items()}
    expected.update(HTTP_STATUS_BY_CODE)
    assert {name: int(status) for name, status in documented.items()} == expected
    assert set(HTTP_STATUS_BY_CODE) <= set(ERROR_CODES)


@pytest.fixture(scope="module")
def service_with_small_limits():
    config = ServiceConfig(workers=1, pdf_converters=0, max_body=200_000, max_upload=100_000,
                           limits=replace(Limits(), so_dong=10))
    with running(config) as service:
        yield service


def test_template_folder_from_config_is_the_only_place_templates_come_from(tmp_path):
    folder = tmp_path / "mau"
    (folder / "rieng").mkdir(parents=True)
    shipped = ROOT / "templates" / "bao_cao" / "cong_van.docx"
    (folder / "rieng" / "cong_van_tinh.docx").write_bytes(shipped.read_bytes())
    (folder / "ra_ngoai.docx").symlink_to(Path("/etc/hostname") if Path("/etc/hostname").exists() else shipped)
    with running(ServiceConfig(workers=1, pdf_converters=0, templates=(folder,))) as service:
        names = {item["mau"] for item in service.get("/v1/templates").json()}
        assert "rieng/cong_van_tinh.docx" in names and "bao_cao/bao_cao.docx" not in names
        ok = service.post("/v1/render", json={"spec": {**EXAMPLE_SPEC, "mau": "rieng/cong_van_tinh.docx"}})
        assert ok.status_code == 200, ok.text
        shipped_name = service.post("/v1/render", json={"spec": {**EXAMPLE_SPEC, "mau": "bao_cao/bao_cao.docx"}})
        assert shipped_name.status_code == 422
        outside = service.post("/v1/render", json={"spec": {**EXAMPLE_SPEC, "mau": "ra_ngoai.docx"}})
        if Path("/etc/hostname").exists():
            assert outside.status_code == 403 and codes(outside) == ["ACCESS_OUTSIDE"]


def _template_with(replacement: bytes) -> bytes:
    shipped = (ROOT / "templates" / "bao_cao" / "cong_van.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(shipped)) as source, io.BytesIO() as buffer:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                data = source.read(item)
                if item.filename == "word/document.xml":
                    data = data.replace(b"{{ van_ban.vv }}", replacement)
                target.writestr(item, data)
        return buffer.getvalue()


def test_uploaded_templates_when_allowed_run_in_the_same_sandbox():
    spec = {**EXAMPLE_SPEC, "mau": "rieng.docx"}
    with running(ServiceConfig(workers=1, pdf_converters=0, allow_uploaded_templates=True)) as service:
        def render(template: bytes):
            return service.post("/v1/render", files=[("spec", ("s.json", json.dumps(spec).encode())),
                                                     ("files", ("rieng.docx", template, DOCX_TYPE))])

        assert render(_template_with(b"V/v {{ van_ban.vv }} (m\xe1\xba\xabu ri\xc3\xaang)")).status_code == 200
        escape = render(_template_with(b"{{ van_ban.vv.__class__.__mro__ }}"))
        assert escape.status_code == 422 and codes(escape) == ["SANDBOX_ACCESS"]
        broken = render(_template_with(b"{% if van_ban.vv %}"))
        assert broken.status_code == 422 and codes(broken)[0].startswith("TEMPLATE_")
        not_a_docx = render(b"this is not a zip")
        assert not_a_docx.status_code == 422
