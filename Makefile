# Two commands for a newcomer: `make demo` (install, generate demo data, build) and `make test` (every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DBT := $(BIN)/dbt
LEADS ?= 20000
TEST_LEADS ?= 3000
SEED ?= 42
DEMO_DB := data/lead_scoring.duckdb
TEST_DB := data/test.duckdb

# LightGBM's OpenMP threads spin while idle and starve a 2-core machine.
export OMP_WAIT_POLICY := passive
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: setup demo generate build oracle test test-dbt test-python lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

generate: setup
	$(BIN)/python -m leadscore.generator --leads $(LEADS) --seed $(SEED) --db $(DEMO_DB)

build: setup
	LEADSCORE_DB=$(DEMO_DB) $(DBT) build

demo: setup
	@start=$$(date +%s); \
	$(BIN)/python -m leadscore.generator --leads $(LEADS) --seed $(SEED) --db $(DEMO_DB) && \
	LEADSCORE_DB=$(DEMO_DB) $(DBT) build && \
	echo "demo built in $$(( $$(date +%s) - start )) s; warehouse file: $(DEMO_DB)" && \
	$(BIN)/python -m leadscore.oracle --db $(DEMO_DB)

# The live model's test AUC against the generator's true probabilities and the rule-based score.
oracle: setup
	$(BIN)/python -m leadscore.oracle --db $(DEMO_DB)

test: setup test-python test-dbt lint

test-python: setup
	$(BIN)/python -m pytest -q

test-dbt: setup
	$(BIN)/python -m leadscore.generator --leads $(TEST_LEADS) --seed $(SEED) --db $(TEST_DB)
	LEADSCORE_DB=$(TEST_DB) $(DBT) build

lint: setup
	LEADSCORE_DB=$(TEST_DB) $(BIN)/sqlfluff lint models macros tests/dbt

clean:
	rm -rf target logs data/*.duckdb
