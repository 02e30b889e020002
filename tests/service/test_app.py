"""The service's endpoints through its ASGI app in process: the same engine, its answers as data."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import yaml

from benchmarks.serve_load import inline_spec
from engine import pipeline
from engine.conformance import check_layout
from engine.render.layout import read_layout
from engine.render.outline import document_text
from engine.service.models import EXAMPLE_SPEC, EXAMPLE_SPEC_YAML, RenderRequest
from engine.snapshot import as_text
from tests.conftest import FIXTURES
from tests.service.conftest import fixture_upload, needs_pdf
from tests.service.harness import codes, problems

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LUC_BINH = FIXTURES / "luc_binh_2023_10"  # its data states two wrong figures: the audit finds them


def _report(response) -> dict:
    return json.loads(base64.urlsafe_b64decode(response.headers["X-Vanban-Report"]))


def test_a_json_spec_renders_to_a_docx_named_after_the_document(service):
    response = service.post("/v1/render", json={"spec": EXAMPLE_SPEC})
    assert response.status_code == 200
    assert response.headers["content-type"] == DOCX_TYPE
    assert 'filename="cong_van-125-UBND-KSTT.docx"' in response.headers["content-disposition"]
    assert document_text(response.content) == document_text(pipeline.render(EXAMPLE_SPEC))


def test_a_yaml_body_renders_like_the_same_spec_as_json(service):
    inline = EXAMPLE_SPEC_YAML.replace("so_lieu: so_lieu.yaml", "so_lieu: {tiep_nhan: 120, da_giai_quyet: 118}")
    response = service.post("/v1/render", content=inline.encode(), headers={"Content-Type": "application/yaml"})
    assert response.status_code == 200, response.text
    assert "tiếp nhận 120 hồ sơ, đã giải quyết 118 hồ sơ" in document_text(response.content)


def test_uploaded_data_files_render_the_fixture_as_the_cli_does(service):
    response = service.post("/v1/render", files=fixture_upload(LUC_BINH))
    assert response.status_code == 200, response.text
    assert document_text(response.content) == document_text(pipeline.render(LUC_BINH / "spec.yaml"))


def test_audit_findings_reach_the_caller_as_data_with_the_document(service):
    response = service.post("/v1/render", files=fixture_upload(LUC_BINH))
    report = _report(response)
    expected = pipeline.audit(LUC_BINH / "spec.yaml")
    assert response.headers["X-Vanban-Findings"] == str(len(expected)) != "0"
    assert [(f["level"], f["stated"], f["computed"]) for f in report["findings"]] == \
        [(f.level, f.stated, f.computed) for f in expected]


def test_strict_refuses_a_spec_whose_stated_figures_are_wrong(service):
    response = service.post("/v1/render", files=[*fixture_upload(LUC_BINH), ("strict", (None, "true"))])
    assert response.status_code == 422
    assert set(codes(response)) == {"AUDIT_FIGURES"}


def test_a_csv_upload_is_read_like_a_local_csv(service):
    folder = FIXTURES / "tua_chua_2023_04"
    response = service.post("/v1/render", files=fixture_upload(folder))
    assert response.status_code == 200, response.text
    assert document_text(response.content) == document_text(pipeline.render(folder / "spec.yaml"))


@needs_pdf
def test_docx_and_pdf_together_come_back_as_json_with_both_files(service):
    response = service.post("/v1/render", json={"spec": EXAMPLE_SPEC, "formats": ["docx", "pdf"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body["documents"]) == {"docx", "pdf"}
    assert base64.b64decode(body["documents"]["pdf"]["base64"]).startswith(b"%PDF")
    assert zipfile.is_zipfile(io.BytesIO(base64.b64decode(body["documents"]["docx"]["base64"])))
    assert body["documents"]["pdf"]["content_type"] == "application/pdf"
    assert isinstance(body["notices"], list) and body["findings"] == []


@needs_pdf
def test_a_pdf_alone_comes_back_as_a_pdf(service):
    response = service.post("/v1/render?formats=pdf", json={"spec": EXAMPLE_SPEC})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF")


def test_validate_answers_valid_or_every_problem_with_its_line(service):
    assert service.post("/v1/validate", json={"spec": EXAMPLE_SPEC}).json()["valid"] is True
    broken = EXAMPLE_SPEC_YAML.replace("dia_danh: Tủa Chùa", "dia_danh: Tủa Chùa\nngay_ky: 3")
    response = service.post("/v1/validate", json={"spec_yaml": broken})
    assert response.status_code == 422
    [problem] = problems(response)
    assert (problem["code"], problem["file"], problem["line"]) == ("SPEC_UNKNOWN_KEY", "dac_ta.yaml", 5)


def test_audit_answers_the_same_findings_as_the_cli(service):
    response = service.post("/v1/audit", files=fixture_upload(LUC_BINH))
    assert response.status_code == 200
    expected = [f.as_dict() for f in pipeline.audit(LUC_BINH / "spec.yaml")]
    assert [{k: v for k, v in f.items() if k != "location"} for f in response.json()] == \
        [{k: v for k, v in f.items() if k != "location"} for f in expected]


def test_audit_gives_each_findings_reasons_and_missing_figures_as_data(service):
    response = service.post("/v1/audit", files=fixture_upload(FIXTURES / "dien_bien_2021_q2"))
    assert response.status_code == 200, response.text
    findings = response.json()
    [choice] = [f for f in findings if "tiêu chí 9 tự chấm" in f["message"]]
    [why] = choice["reasons"]
    assert (why["fact"]["value"], why["relation"], why["threshold"]["value"]) == ("8,63%", "<", "15%")
    assert [(b["code"], b["value"]) for b in why["fact"]["base"]] == [("ho_so_truc_tuyen", "99"),
                                                                    ("tong_ho_so", "1.147")]
    unchecked = [f for f in findings if f["level"] == "info"]
    assert len(unchecked) == 5 and all(f["missing"] for f in unchecked)
    assert {m["code"] for m in unchecked[0]["missing"]} == {"dang_giai_quyet_trong_han", "tam_dung_bo_sung", "huy_rut"}
    documented = service.get("/openapi.json").json()["paths"]["/v1/audit"]["post"]["responses"]["200"]
    example = documented["content"]["application/json"]["example"]
    assert {"reasons", "missing"} <= set(example[0]) and example[1]["level"] == "info"


def test_check_and_snapshot_read_an_uploaded_docx_like_the_cli(service):
    docx = pipeline.render(FIXTURES / "son_la_2023_q1" / "spec.yaml")
    upload = {"document": ("son_la.docx", docx, DOCX_TYPE)}
    checked = service.post("/v1/check", files=upload)
    assert checked.status_code == 200
    assert checked.json()["findings"] == [f.as_dict() for f in check_layout(read_layout(docx, name="son_la.docx"))]
    assert checked.json()["provenance"]["made_by_engine"] and checked.json()["provenance"]["unchanged"]
    snapshot = service.post("/v1/snapshot", content=docx, headers={"Content-Type": DOCX_TYPE})
    assert snapshot.status_code == 200 and snapshot.headers["content-type"].startswith("text/plain")
    assert snapshot.text == as_text(read_layout(docx))


def test_init_gives_the_spec_and_data_files_of_an_uploaded_docx_like_the_cli(service, tmp_path):
    docx = pipeline.render(FIXTURES / "tien_lu_2024_08" / "spec.yaml")
    response = service.post("/v1/init?ky=tháng 9 năm 2024", files={"document": ("cv.docx", docx, DOCX_TYPE)})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["ky"] == "tháng 9 năm 2024" and "ky: tháng 9 năm 2024" in answer["spec_yaml"]
    for name, data in answer["files"].items():
        (tmp_path / name).write_bytes(base64.b64decode(data))
    (tmp_path / "spec.yaml").write_text(answer["spec_yaml"], encoding="utf-8")
    assert "tháng 9/2024" in document_text(pipeline.render(tmp_path / "spec.yaml"))
    wrong = service.post("/v1/init?ky=tháng 13", files={"document": ("cv.docx", docx, DOCX_TYPE)})
    assert wrong.status_code == 400 and codes(wrong) == ["HTTP_REQUEST"]
    nothing = service.post("/v1/init", json={"spec": EXAMPLE_SPEC})
    assert nothing.status_code == 400 and codes(nothing) == ["HTTP_REQUEST"]
    not_a_document = service.post("/v1/init", content=b"PK\x03\x04 nope", headers={"Content-Type": DOCX_TYPE})
    assert not_a_document.status_code in (400, 422) and "Traceback" not in not_a_document.text


def test_check_finds_what_is_wrong_in_a_document_that_breaks_the_rules(service):
    docx = pipeline.render(EXAMPLE_SPEC)
    with zipfile.ZipFile(io.BytesIO(docx)) as source, io.BytesIO() as buffer:
        with zipfile.ZipFile(buffer, "w") as target:
            for item in source.infolist():
                data = source.read(item)
                if item.filename == "word/document.xml":
                    data = data.replace(b'w:w="11906"', b'w:w="12240"')  # US Letter width, not A4
                target.writestr(item, data)
        broken = buffer.getvalue()
    response = service.post("/v1/check", files={"document": ("thu.docx", broken, DOCX_TYPE)})
    assert response.status_code == 200 and response.json()["findings"], "a Letter page is not Nghị định 30's A4"


@needs_pdf
def test_preview_answers_a_png_of_the_page_asked_for(service):
    response = service.post("/v1/preview?page=1&dpi=40", json={"spec": EXAMPLE_SPEC})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png" and response.content.startswith(b"\x89PNG")
    beyond = service.post("/v1/preview?page=9", json={"spec": EXAMPLE_SPEC})
    assert beyond.status_code == 400 and codes(beyond) == ["HTTP_REQUEST"]


def test_the_lists_say_what_this_server_can_render(service):
    kinds = {kind["loai"]: kind for kind in service.get("/v1/kinds").json()}
    assert kinds["bao_cao"]["mau"] == "bao_cao/bao_cao.docx" and kinds["cong_van"]["viet_tat"] is None
    assert "qd766" in {item["ten"] for item in service.get("/v1/frameworks").json()}
    templates = {item["mau"] for item in service.get("/v1/templates").json()}
    assert {"bao_cao/bao_cao.docx", "phu_luc/bang_chi_so.docx"} <= templates


def test_a_spec_names_a_listed_template_by_name(service):
    response = service.post("/v1/render", json={"spec": {**EXAMPLE_SPEC, "mau": "bao_cao/bao_cao.docx"}})
    assert response.status_code == 200, response.text


def test_health_readiness_and_metrics(service):
    assert service.get("/healthz").json() == {"status": "ok"}
    ready = service.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True and ready.json()["workers"] == 1
    service.post("/v1/validate", json={"spec": EXAMPLE_SPEC})
    text = service.get("/metrics").text
    for name in ("vanban_requests_total", "vanban_render_seconds_bucket", "vanban_conversion_seconds_bucket",
                 "vanban_converter_restarts_total", "vanban_worker_restarts_total", "vanban_queue_depth"):
        assert name in text, name
    assert 'vanban_requests_total{endpoint="/v1/validate",status="200"}' in text


def test_openapi_documents_the_request_with_the_engines_own_spec_model(service):
    schema = service.get("/openapi.json").json()
    request = schema["components"]["schemas"]["RenderRequest"]
    spec_ref = json.dumps(request["properties"]["spec"])
    assert "#/components/schemas/Spec" in spec_ref
    assert set(schema["components"]["schemas"]["Spec"]["properties"]) == set(RenderRequest.model_fields["spec"]
                                                                             .annotation.__args__[0].model_fields)
    for path in ("/v1/render", "/v1/validate", "/v1/audit", "/v1/check", "/v1/snapshot", "/v1/preview"):
        content = schema["paths"][path]["post"]["requestBody"]["content"]
        assert content["application/json"]["examples"], path
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            answer = operation["responses"]["200"]["content"]
            assert body.get("examples") or any("example" in kind for kind in answer.values()), (method, path)
    assert "swagger" in service.get("/docs").text.lower()


def test_the_worked_examples_of_the_docs_are_valid_specs(service):
    schema = service.get("/openapi.json").json()
    examples = schema["paths"]["/v1/render"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    for example in examples.values():
        response = service.post("/v1/validate", json=example["value"])
        assert response.status_code == 200, response.text
    assert yaml.safe_load(EXAMPLE_SPEC_YAML)["loai"] == "bao_cao"


def test_json_numbers_are_exact_decimals_like_yaml_numbers(service):
    source = inline_spec(FIXTURES / "son_la_2023_q1")
    assert isinstance(source["so_lieu_ghi"][0]["ghi"], float)  # 0.3 in the file: a JSON number, not text
    response = service.post("/v1/audit", content=json.dumps({"spec": source}, default=str),
                            headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    expected = pipeline.audit(FIXTURES / "son_la_2023_q1" / "spec.yaml")
    assert [(f["stated"], f["computed"]) for f in response.json()] == [(f.stated, f.computed) for f in expected]


def test_the_readme_example_file_is_the_docs_worked_example(service):
    text = (FIXTURES.parent / "docs" / "vi_du" / "cong_van.yaml").read_bytes()
    assert yaml.safe_load(text) == EXAMPLE_SPEC
    response = service.post("/v1/render", content=text, headers={"Content-Type": "application/yaml"})
    assert response.status_code == 200 and response.content[:2] == b"PK"


def test_the_fields_the_worker_reads_are_the_documented_request_model():
    from engine.service.jobs import REQUEST_FIELDS

    assert set(REQUEST_FIELDS) == set(RenderRequest.model_fields)
