# llmcost: `make demo` and `make test` set everything up from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

SCALE_VENV := .venv-scale
SCALE_STAMP := $(SCALE_VENV)/.installed

.PHONY: install install-scale demo test test-scale lint bench dagster clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The shared-warehouse mode (pipelines/lakehouse.py): DuckDB's ducklake, postgres and httpfs
# extensions come as PyPI wheels built for one DuckDB release (1.5.5), so this environment pins
# that DuckDB; dagster-postgres is the release paired with the pinned Dagster.
$(SCALE_STAMP): pyproject.toml
	$(PYTHON) -m venv $(SCALE_VENV)
	$(SCALE_VENV)/bin/pip install --quiet --upgrade pip
	$(SCALE_VENV)/bin/pip install --quiet -e ".[dev,scale]"
	touch $(SCALE_STAMP)

install-scale: $(SCALE_STAMP)

demo: $(STAMP)
	$(BIN)/llmcost demo

test: $(STAMP)
	$(BIN)/ruff check pipelines tests bench
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		echo "*** chromium not found: the HTML report's BROWSER TESTS WILL BE SKIPPED" \
		"(install it: apt-get install -y chromium) ***"
	$(BIN)/pytest -q -rs
	$(MAKE) test-scale

# Inside a network namespace holding only loopback (when the machine allows one): the test
# proves nothing reaches beyond 127.0.0.1. Needs Debian's postgresql package.
test-scale: $(SCALE_STAMP)
	@if command -v ip >/dev/null 2>&1 && unshare -n true 2>/dev/null; then \
		unshare -n sh -c 'ip link set lo up && LLMCOST_SCALE_NETNS=1 LLMCOST_SCALE_TESTS=1 \
			$(SCALE_VENV)/bin/pytest -q -rs tests/scale'; \
	else \
		echo "*** no network namespace here: the loopback-only check will be skipped ***"; \
		LLMCOST_SCALE_TESTS=1 $(SCALE_VENV)/bin/pytest -q -rs tests/scale; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check pipelines tests bench

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

dagster: $(STAMP)
	mkdir -p .dagster_home && cp dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev

clean:
	rm -rf $(VENV) $(SCALE_VENV) data .dagster_home
