# The two commands a newcomer needs: `make run` (play) and `make test` (everything CI checks).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
TEST_STAMP := $(VENV)/.test-installed
NODE_STAMP := node_modules/.installed

.PHONY: run test test-python test-js lint bench bench-short clean

run: $(RUN_STAMP)
	$(BIN)/block-attack play

test: $(TEST_STAMP) $(NODE_STAMP)
	scripts/ensure-system-deps
	$(BIN)/ruff check .
	$(BIN)/pytest
	npm test

test-python: $(TEST_STAMP)
	$(BIN)/pytest

test-js: $(NODE_STAMP)
	npm run test:unit

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

bench: $(TEST_STAMP)
	$(BIN)/python -m bench

bench-short: $(TEST_STAMP)
	$(BIN)/python -m bench --short

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(RUN_STAMP) $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .hypothesis tests/screenshots
