# Two commands do all the set-up on a fresh machine (Python 3.11+ with venv):
#   make demo   creates .venv, installs the engine and renders a sample document into out/
#   make test   creates .venv if needed and runs the linter and the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
SAMPLE ?= tua_chua_2023_04
OUT ?= out

.PHONY: demo test templates clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	mkdir -p $(OUT)
	$(PY) -m engine render fixtures/$(SAMPLE)/spec.yaml -o $(OUT)/$(SAMPLE).docx --force

test: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m pytest

templates: $(VENV)/.installed
	$(PY) -m engine.render.build_templates

clean:
	rm -rf $(VENV) $(OUT)
