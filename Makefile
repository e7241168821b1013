# The two commands of the README: `make serve` and `make test`. Both start with `make install`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_VERSION := 2.13.0

.PHONY: install serve test lint fmt pdfs ingest clean

install: $(STAMP)

# CPU torch goes in first: with it satisfied, nothing pulls the multi-GB CUDA build.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==$(TORCH_VERSION)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

ingest: install
	$(BIN)/cluster-assistant ingest

serve: ingest
	$(BIN)/cluster-assistant serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy assistant ingest api evals

test: lint
	$(BIN)/python -m pytest

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

pdfs: install
	$(BIN)/python corpus/make_pdfs.py

clean:
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache
