"""The spec's JSON Schema: made from the models, every field described with an example, every fixture valid."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from engine.cli import main
from engine.spec.schema import spec_schema, undocumented_fields
from tests.conftest import FIXTURES, ROOT

SPECS = (sorted(FIXTURES.glob("*/spec.yaml")) + sorted(FIXTURES.glob("xuat_he_thong/*/spec.yaml"))
         + [ROOT / "docs" / "vi_du" / "cong_van.yaml"])


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = spec_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _as_json(path) -> object:
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


def test_every_field_of_every_model_has_a_description_and_an_example():
    assert undocumented_fields() == []
    schema = spec_schema()
    for model in [schema, *schema["$defs"].values()]:
        assert model.get("description")
        for name, prop in model.get("properties", {}).items():
            assert prop.get("description") and prop.get("examples"), name


@pytest.mark.parametrize("path", SPECS, ids=lambda path: path.parent.name)
def test_every_fixture_and_the_docs_example_are_valid(validator, path):
    assert [error.message for error in validator.iter_errors(_as_json(path))] == []


@pytest.mark.parametrize(("change", "where"), [
    (lambda spec: spec.update(so="mười lăm"), ["so"]),
    (lambda spec: spec.update(ngay_ky="2026-03-05"), []),
    (lambda spec: spec.update(loai="bao_cao_thang"), ["loai"]),
    (lambda spec: spec["nguoi_ky"].update(ho_ten=""), ["nguoi_ky", "ho_ten"]),
    (lambda spec: spec.update(noi_dung=[{"muc": "I", "khoan": "1"}]), ["noi_dung", 0]),
    (lambda spec: spec.update(noi_dung=[{"bang": "x"}]), ["noi_dung", 0]),
], ids=["wrong_type", "unknown_key", "unknown_kind", "empty_name", "two_heading_levels", "unknown_block"])
def test_a_bad_spec_fails_the_schema_at_its_place(validator, change, where):
    spec = _as_json(ROOT / "docs" / "vi_du" / "cong_van.yaml")
    change(spec)
    errors = list(validator.iter_errors(spec))
    assert errors
    assert any(list(error.absolute_path)[: len(where)] == where for error in errors)


def test_each_example_is_valid_for_its_own_field(validator):
    schema = spec_schema()
    for model in [schema, *schema["$defs"].values()]:
        for name, prop in model.get("properties", {}).items():
            field_schema = {**prop, "$defs": schema["$defs"]}
            field_schema.pop("examples")
            example = json.loads(json.dumps(prop["examples"][0]))
            errors = list(Draft202012Validator(field_schema).iter_errors(example))
            assert not errors, (name, example, errors[0].message)


def test_the_schema_command_prints_it():
    result = CliRunner().invoke(main, ["schema", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output) == json.loads(json.dumps(spec_schema()))
