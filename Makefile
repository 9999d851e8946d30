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

.PHONY: setup demo generate build oracle test test-unit test-dbt test-python lint clean

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
	$(BIN)/python -m leadscore.oracle --db $(DEMO_DB) --ceiling

test: setup test-python test-dbt lint test-spark

test-python: setup
	$(BIN)/python -m pytest -q

# Unit tests only (seconds): every pytest not marked `integration` (those run dbt builds).
test-unit: setup
	$(BIN)/python -m pytest -q -m "not integration"

test-dbt: setup
	$(BIN)/python -m leadscore.generator --leads $(TEST_LEADS) --seed $(SEED) --db $(TEST_DB)
	LEADSCORE_DB=$(TEST_DB) $(DBT) build

lint: setup
	LEADSCORE_DB=$(TEST_DB) $(BIN)/sqlfluff lint models macros tests/dbt

clean:
	rm -rf target logs data/*.duckdb

# The reliability suite alone: damaged raw data, missing sources, reruns, two builds at once, interrupted
# training, malformed vars, privacy (docs/reliability.md). `make test` runs it too, with every other pytest.
.PHONY: test-reliability
test-reliability: setup
	$(BIN)/python -m pytest -q tests/python/test_reliability.py tests/python/test_reliability_sources_and_vars.py

# ---- monitoring report ----
# One HTML page of the monitoring tables (calibration, lift and gain, scores by band, importance, drift, bands per
# week): make report [REPORT_DB=path/to/warehouse.duckdb]. Opens in any browser, offline.
REPORT_DB ?= $(DEMO_DB)
.PHONY: report browser
report: setup
	$(BIN)/python -m leadscore.monitoring.report --db $(REPORT_DB) --out data/monitoring_report.html

# The report test opens the page in headless Chromium: Debian's package, installed when missing and apt is usable.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	( command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium >/dev/null ) || \
	echo "!!! chromium unavailable and not installable here: the report browser test will be SKIPPED !!!"
test-python: browser

# ---- benchmark ----
# Speed and memory from 10 thousand to a million leads, each stage in a fresh process, plus the pandas reference:
# make benchmark [BENCH_LEADS="10000 100000 1000000"] [BENCH_DIR=/tmp/bench]. Writes benchmarks/results.{json,md};
# not part of make test (docs/benchmark.md). A million leads takes well over an hour on 2 shared cores and about
# 3 GB of disk in BENCH_DIR (BENCH_ARGS="--deadline 06:00" stops it in time and publishes what it measured).
BENCH_LEADS ?= 10000 100000 1000000
BENCH_DIR ?= /tmp/bench
.PHONY: benchmark
benchmark: setup
	$(BIN)/python -m leadscore.benchmark --leads $(BENCH_LEADS) --work-dir $(BENCH_DIR) $(BENCH_ARGS)

# ---- Spark ----
# The same package on Apache Spark by a profile change (README, "Running on a bigger warehouse"): a small dataset
# is built on DuckDB (training, Python scorer), its raw tables and trained registry are copied into a local Spark
# catalog, every SQL model, incremental model and test is built on Spark twice (the second build takes the
# incremental paths), and the Spark tables are compared with DuckDB's row for row. Needs Java 17 (installed from
# Debian when missing and apt is usable) and requirements-spark.txt (installed into the venv).
SPARK_LEADS ?= 800
SPARK_REF_DB := data/spark_reference.duckdb
SPARK_DIR := $(CURDIR)/data/spark
# The second build re-runs the models and tests downstream of the scores: the incremental history and the feeds
# that compare a build with the one before (a full second build doubles the Spark time; SPARK_SECOND_BUILD= runs it).
SPARK_SECOND_BUILD ?= --select lead_scores+
# dbt build on Spark, its log in the Spark directory, the summary and the wall time printed: $(call spark_build,n,args)
define spark_build
start=$$(date +%s); \
$(DBT) build --target spark $(2) > $(SPARK_DIR)/build-$(1).log 2> $(SPARK_DIR)/build-$(1).stderr.log; \
status=$$?; grep -E "Done\. PASS|ERROR|FAIL [0-9]" $(SPARK_DIR)/build-$(1).log; \
echo "spark build $(1): $$(( $$(date +%s) - start )) s wall (log: $(SPARK_DIR)/build-$(1).log)"; \
[ $$status = 0 ] || { tail -n 40 $(SPARK_DIR)/build-$(1).log; exit $$status; }
endef
# The DuckDB reference needs training, the Python scorer and the score tables; its tests, monitoring and SQL scorer
# run in test-dbt on the 3,000-lead build.
SPARK_REFERENCE_SELECTION := --resource-type seed model \
	--exclude int_lead_scores_sql_leaves+ ml_backtest_predictions+ path:models/marts/monitoring path:python_models/monitoring
SPARK_IMPORTED_TABLES := $(addprefix analytics.,ml_model_registry ml_model_parameters ml_model_features \
	ml_model_category_levels ml_model_tree_nodes ml_model_linear_terms ml_model_curve_knots ml_model_leaf_contributions \
	ml_model_evaluation ml_feature_importance)
.PHONY: java spark-setup test-spark
java:
	@command -v java >/dev/null || \
	( command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  apt-get install -y -qq openjdk-17-jre-headless >/dev/null ) || \
	( echo "!!! java is missing and not installable here: make test-spark needs Java 17 !!!" && exit 1 )

spark-setup: $(VENV)/.spark-installed

$(VENV)/.spark-installed: $(VENV)/.installed requirements-spark.txt
	$(BIN)/pip install --quiet -r requirements-spark.txt
	touch $@

test-spark: export LEADSCORE_SPARK_DIR := $(SPARK_DIR)
test-spark: setup java spark-setup
	rm -rf $(SPARK_DIR) $(SPARK_REF_DB) && mkdir -p $(SPARK_DIR)
	$(BIN)/python -m leadscore.generator --leads $(SPARK_LEADS) --seed $(SEED) --db $(SPARK_REF_DB)
	LEADSCORE_DB=$(SPARK_REF_DB) $(DBT) build --quiet $(SPARK_REFERENCE_SELECTION)
	$(BIN)/python -m leadscore.spark load --duckdb $(SPARK_REF_DB) \
		$(addprefix --import-table ,$(SPARK_IMPORTED_TABLES)) 2>$(SPARK_DIR)/load.log
	@$(call spark_build,1,)
	@$(call spark_build,2,$(SPARK_SECOND_BUILD))
	$(BIN)/python -m leadscore.spark compare --duckdb $(SPARK_REF_DB) 2>$(SPARK_DIR)/compare.log
