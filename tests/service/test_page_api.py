"""The endpoints the web page is built on: each a thin adapter over an engine function, answering as data."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import pytest
import yaml

from engine import pipeline
from engine.conformance import check_layout
from engine.data.readers import read_layout as read_table
from engine.errors import SpecError
from engine.render.layout import read_layout
from engine.render.outline import document_text
from engine.scoring.loader import load_framework
from engine.scoring.stage import propose_columns
from engine.service.jobs import pointer_of
from engine.service.models import EXAMPLE_SPEC
from engine.spec.loader import spec_from_mapping
from engine.spec.schema import spec_schema
from tests.conftest import FIXTURES
from tests.service.conftest import fixture_upload, needs_pdf
from tests.service.harness import codes

TUA_CHUA = FIXTURES / "tua_chua_2023_04"
EXPORT = FIXTURES / "xuat_he_thong" / "tua_chua_xlsx" / "diem_xa.xlsx"


def _broken_spec() -> dict:
    spec = {key: value for key, value in EXAMPLE_SPEC.items() if key != "dia_danh"}
    spec["nguoi_ky"] = {**spec["nguoi_ky"], "quyen_han": "XY."}
    spec["noi_dung"] = [{"doan": 5}]
    return spec


# ----- GET /v1/schema -------------------------------------------------------------------------------


def test_the_schema_endpoint_answers_the_engines_spec_schema(service):
    response = service.get("/v1/schema")
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(spec_schema()))  # as `vanban schema` prints it


# ----- POST /v1/spec -----------------------------------------------------------------------------------


def test_a_spec_with_errors_is_answered_with_every_problem_each_pointing_at_its_field(service):
    spec = _broken_spec()
    response = service.post("/v1/spec", json={"spec": spec})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is False and body["spec"] == spec
    with pytest.raises(SpecError) as raised:
        spec_from_mapping(spec, name="dac_ta.yaml")
    # The engine's own words, every problem, in its order.
    assert [p["message"] for p in body["problems"]] == [p.message for p in raised.value.problems]
    pointers = {p["pointer"] for p in body["problems"]}
    assert {"/dia_danh", "/nguoi_ky/quyen_han", "/noi_dung/0/doan"} <= pointers


def test_a_yaml_spec_is_answered_as_json_data_with_its_audit_findings(service):
    response = service.post("/v1/spec", files=fixture_upload(FIXTURES / "luc_binh_2023_10"))
    body = response.json()
    assert body["valid"] is True and body["problems"] == []
    assert body["spec"] == yaml.safe_load((FIXTURES / "luc_binh_2023_10" / "spec.yaml").read_text(encoding="utf-8"))
    expected = pipeline.audit(FIXTURES / "luc_binh_2023_10" / "spec.yaml")
    assert [(f["level"], f["stated"], f["computed"]) for f in body["findings"]] == \
        [(f.level, f.stated, f.computed) for f in expected] != []


def test_a_spec_whose_data_file_is_missing_points_at_the_field_that_names_it(service):
    upload = [item for item in fixture_upload(TUA_CHUA) if item[1][0] != "diem_xa.csv"]
    body = service.post("/v1/spec", files=upload).json()
    assert body["valid"] is False
    assert [p["code"] for p in body["problems"]] == ["DATA_FILE"]
    assert body["problems"][0]["pointer"] == "/cham_diem/kq/du_lieu"


def test_broken_yaml_is_a_problem_without_a_pointer_not_an_error_answer(service):
    response = service.post("/v1/spec", content=b"loai: [bao_cao\n", headers={"Content-Type": "application/yaml"})
    body = response.json()
    assert response.status_code == 200 and body["valid"] is False and body["spec"] is None
    assert [(p["code"], p["pointer"]) for p in body["problems"]] == [("SPEC_YAML", None)]


def test_a_pointer_follows_the_data_so_a_key_with_dots_stays_one_key():
    data = {"cham_diem": {"kq": {"cot": {"2.1": "(5)"}}}, "noi_dung": [{"doan": "x"}, {"gach": ["a", "b"]}],
            "a/b": {"c~d": 1}}
    assert pointer_of("cham_diem.kq.cot.2.1", data) == "/cham_diem/kq/cot/2.1"
    assert pointer_of("noi_dung[1].gach[0]", data) == "/noi_dung/1/gach/0"
    assert pointer_of("nguoi_ky.ho_ten", data) == "/nguoi_ky/ho_ten"  # a field the data does not have
    assert pointer_of("a/b.c~d", data) == "/a~1b/c~0d"
    assert pointer_of(None, data) is None and pointer_of("", data) is None


# ----- POST /v1/data -----------------------------------------------------------------------------------


def test_an_uploaded_export_is_read_as_vanban_data_reads_it_with_the_frameworks_fields(service):
    response = service.post("/v1/data", files=[("files", (EXPORT.name, EXPORT.read_bytes()))],
                            data={"trang_tinh": "Tháng 4", "bo_tieu_chi": "dien_bien_459_2023"})
    assert response.status_code == 200, response.text
    body = response.json()
    layout = read_table(EXPORT, sheet="Tháng 4")
    proposal = propose_columns(layout, load_framework("dien_bien_459_2023"))
    assert body["cot"] == layout.as_dict(5)["cot"] and body["dong_bo_qua"] == layout.as_dict()["dong_bo_qua"]
    assert body["cac_trang_tinh"] == ["Hướng dẫn", "Tháng 4", "Biểu đồ"] and body["so_don_vi"] == 12
    assert len(body["don_vi"]) == 5
    assert body["goi_y_cot"] == proposal
    fields = {field["ma"]: field["ten"] for field in body["truong"]}
    assert list(fields) == list(proposal)
    assert fields["don_vi"] == "Tên đơn vị" and fields["cong_khai_1"].endswith("Chỉ số 1")


def test_the_data_endpoint_wants_exactly_one_table(service):
    assert codes(service.post("/v1/data", data={"trang_tinh": "x"}, files=[])) == ["HTTP_REQUEST"]
    yaml_table = ("files", ("diem.yaml", b"- {don_vi: A}\n"))
    response = service.post("/v1/data", files=[yaml_table, ("files", ("x.csv", b"a;b\n1;2\n"))])
    assert response.status_code == 200, response.text  # the YAML beside it is not a table to read
    assert codes(service.post("/v1/data", files=[("files", ("a.csv", b"a\n1\n")), ("files", ("b.csv", b"a\n1\n"))])) \
        == ["HTTP_REQUEST"]


def test_a_sheet_the_workbook_does_not_have_is_the_readers_data_error(service):
    response = service.post("/v1/data", files=[("files", (EXPORT.name, EXPORT.read_bytes()))],
                            data={"trang_tinh": "Tháng 13"})
    assert response.status_code == 422 and len(codes(response)) == 1
    assert "Tháng 13" in response.json()["error"]["problems"][0]["message"]


def test_a_framework_that_is_not_an_index_framework_is_refused_by_name(service):
    response = service.post("/v1/data", files=[("files", (EXPORT.name, EXPORT.read_bytes()))],
                            data={"trang_tinh": "Tháng 4", "bo_tieu_chi": "mot_cua_nd61"})
    assert codes(response) == ["HTTP_REQUEST"] and "mot_cua_nd61" in response.json()["error"]["problems"][0]["message"]


# ----- POST /v1/pages ----------------------------------------------------------------------------------


@needs_pdf
def test_the_pages_of_a_three_page_report_come_as_png_images_with_the_nd30_findings(service):
    response = service.post("/v1/pages", files=fixture_upload(TUA_CHUA))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["so_trang"] == 3 == len(body["anh"])
    for image in body["anh"]:
        assert base64.b64decode(image)[:8] == b"\x89PNG\r\n\x1a\n"
    expected = check_layout(read_layout(pipeline.render(TUA_CHUA / "spec.yaml")))
    assert body["the_thuc"] == [f.as_dict() for f in expected]
    assert [f["level"] for f in body["findings"]] == [f.level for f in pipeline.audit(TUA_CHUA / "spec.yaml")]


@needs_pdf
def test_a_page_image_is_drawn_at_the_dpi_asked_for(service):
    from PIL import Image

    small = service.post("/v1/pages?dpi=30", json={"spec": EXAMPLE_SPEC}).json()["anh"][0]
    large = service.post("/v1/pages", json={"spec": EXAMPLE_SPEC}).json()["anh"][0]
    assert Image.open(io.BytesIO(base64.b64decode(small))).width * 2 == \
        pytest.approx(Image.open(io.BytesIO(base64.b64decode(large))).width, abs=2)
    assert codes(service.post("/v1/pages?dpi=900", json={"spec": EXAMPLE_SPEC})) == ["HTTP_REQUEST"]


def test_pages_of_a_broken_spec_are_the_engines_spec_error(service):
    response = service.post("/v1/pages", json={"spec": _broken_spec()})
    assert response.status_code == 422 and set(codes(response)) == {"SPEC_MISSING", "SPEC_VALUE", "SPEC_TYPE"}


# ----- POST /v1/bundle ---------------------------------------------------------------------------------


def test_a_bundle_holds_the_spec_as_yaml_and_its_data_and_renders_again_from_the_command_line(service, tmp_path):
    response = service.post("/v1/bundle", files=fixture_upload(TUA_CHUA))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert ".zip" in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == ["spec.yaml", "diem_xa.csv", "du_lieu.yaml"]
        archive.extractall(tmp_path)
    assert yaml.safe_load((tmp_path / "spec.yaml").read_text(encoding="utf-8")) == \
        yaml.safe_load((TUA_CHUA / "spec.yaml").read_text(encoding="utf-8"))
    assert document_text(pipeline.render(tmp_path / "spec.yaml")) == document_text(pipeline.render(TUA_CHUA /
                                                                                                   "spec.yaml"))
    again = service.post("/v1/bundle", files=fixture_upload(TUA_CHUA))
    assert again.content == response.content  # same inputs, same bytes


def test_a_json_spec_is_bundled_as_yaml_that_reads_back_as_the_same_spec(service, tmp_path):
    response = service.post("/v1/bundle", json={"spec": EXAMPLE_SPEC})
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == ["spec.yaml"]
        text = archive.read("spec.yaml").decode("utf-8")
    assert yaml.safe_load(text) == EXAMPLE_SPEC


def test_a_spec_that_would_not_render_is_not_bundled(service):
    response = service.post("/v1/bundle", json={"spec": _broken_spec()})
    assert response.status_code == 422 and response.headers["content-type"].startswith("application/json")


# ----- the page's own files ------------------------------------------------------------------------------


def test_the_page_and_its_files_are_served_under_a_policy_that_allows_only_the_service(service):
    page = service.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert policy.startswith("default-src 'self';") and "img-src 'self' blob:" in policy
    assert 'src="/static/app.js"' in page.text and "http" not in page.text.replace("http-equiv", "")
    for name, kind in (("app.js", "text/javascript"), ("app.css", "text/css"), ("favicon.svg", "image/svg+xml")):
        answer = service.get(f"/static/{name}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind)
        assert answer.headers["x-content-type-options"] == "nosniff"
    for wrong in ("/static/nope.js", "/static/..%2Fapp.py", "/static/%2E%2E/app.py", "/static/"):
        assert service.get(wrong).status_code == 404, wrong


def test_the_page_asks_nothing_of_another_host():
    from engine.service.app import STATIC_DIR

    for path in STATIC_DIR.iterdir():
        text = path.read_text(encoding="utf-8").replace('xmlns="http://www.w3.org/2000/svg"', "")  # a name, not a fetch
        assert "http://" not in text and "https://" not in text, path.name
        assert "@import" not in text and "url(" not in text, path.name  # no fonts or styles from elsewhere


def test_with_api_keys_the_page_is_public_and_the_endpoints_it_calls_need_the_key():
    from engine.service.config import ServiceConfig
    from tests.service.harness import running

    key = "k" * 24
    with running(ServiceConfig(workers=1, pdf_converters=0, api_keys=frozenset({key}))) as keyed:
        assert keyed.get("/").status_code == 200 and keyed.get("/static/app.js").status_code == 200
        for method, path in (("GET", "/v1/schema"), ("POST", "/v1/spec"), ("POST", "/v1/data"), ("POST", "/v1/pages"),
                             ("POST", "/v1/bundle")):
            assert codes(keyed.request(method, path)) == ["HTTP_AUTH"], path
        assert keyed.get("/v1/schema", headers={"X-API-Key": key}).status_code == 200
