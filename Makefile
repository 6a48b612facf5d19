# SchoolRun: `make demo` plans the embedded Havering scenario, `make test` runs the tests.
# Both install what they need into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TIME_LIMIT ?= 120

.PHONY: install demo test test-all lint bench serve data clean browser

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/schoolrun plan data/havering --time-limit $(TIME_LIMIT) --out out/havering

browser:
	sh scripts/install_browser.sh

test: install browser
	$(BIN)/python -m pytest -m "not slow" -n 2 -q

test-all: install browser
	$(BIN)/python -m pytest -n 2 -q

lint: install
	$(BIN)/ruff check routing api scripts tests
	$(BIN)/ruff format --check routing api scripts tests
	$(BIN)/mypy

bench: install
	$(BIN)/python scripts/run_bench.py --out docs/benchmarks.md

serve: install
	$(BIN)/schoolrun serve

data: install
	$(BIN)/python scripts/build_scenarios.py

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
