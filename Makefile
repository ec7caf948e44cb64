# The two commands a user needs: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: install python3.11 (or run: make PYTHON=python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,ner,pictures]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m dossier.demo demo-case

test: $(STAMP)
	$(BIN)/ruff check dossier tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check dossier tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,ner,pictures,bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) demo-case
