# llmcost: `make demo` and `make test` set everything up from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench dagster clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/llmcost demo

test: $(STAMP)
	$(BIN)/ruff check pipelines tests bench
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		echo "*** chromium not found: the HTML report's BROWSER TESTS WILL BE SKIPPED" \
		"(install it: apt-get install -y chromium) ***"
	$(BIN)/pytest -q -rs

lint: $(STAMP)
	$(BIN)/ruff check pipelines tests bench

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

dagster: $(STAMP)
	mkdir -p .dagster_home && cp dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev

clean:
	rm -rf $(VENV) data .dagster_home
