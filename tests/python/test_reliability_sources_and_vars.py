"""Reliability with missing sources, too little history and malformed vars.

- Every optional source absent and the page-view table empty: the build still scores every open lead.
- A required table absent: a clear error naming it.
- Too few labels (a 250-lead dataset): the rule-based fallback is taken and marked, and a rebuild appends no
  second registry row.
- Malformed vars get a clear error naming the var, and var values never reach SQL unquoted: injections in date,
  number and list vars either fail validation or end up as quoted literals.
"""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from dbt_helpers import copy_warehouse, generate, run_dbt
from test_reliability import execute, lead_ledger, query, run_results, scalar

pytestmark = pytest.mark.integration  # runs dbt builds

INJECTION = "'); drop table salesforce.lead; --"


# ---------------------------------------------------------------------------------------------------------------
# optional sources absent, an event table empty


@pytest.fixture(scope="module")
def core_only(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work_dir = tmp_path_factory.mktemp("core_only")
    db_path = work_dir / "core_only.duckdb"
    generate(db_path, leads=1000, seed=31)
    execute(db_path, [
        "drop schema marketing cascade",
        "drop schema signals cascade",
        "drop schema product cascade",
        "drop table salesforce.lead_score_feedback",
        "delete from segment.pages",
    ])
    run_dbt(["build"], db_path, work_dir)
    return db_path, work_dir


def test_build_without_optional_sources_scores_every_open_lead(core_only):
    db_path, work_dir = core_only
    ledger = lead_ledger(db_path)
    outcomes = ["scored", "closed_or_converted", "created_after_as_of_date", "rejected"]
    assert set().union(*(ledger[name] for name in outcomes)) == ledger["leads_in"]
    assert sum(len(ledger[name]) for name in outcomes) == len(ledger["leads_in"])
    assert len(ledger["scored"]) > 300
    statuses = run_results(work_dir)
    assert statuses["test.lead_scoring.assert_every_lead_accounted_for"] == "pass"
    assert statuses["test.lead_scoring.assert_every_open_lead_scored_once"] == "pass"


def test_features_of_absent_sources_are_empty_not_errors(core_only):
    db_path, _ = core_only
    summary = query(db_path, """
        select count(*) as rows, count(intent_max_score) as with_intent,
               sum(email_opens_90d + trial_events_90d + calls_total + page_views_90d) as absent_activity,
               sum(sales_touches_90d) as sales_touches
        from analytics.int_open_leads_to_score""").iloc[0]
    assert summary["rows"] > 300 and summary["with_intent"] == 0 and summary["absent_activity"] == 0
    assert summary["sales_touches"] > 0
    scoring = query(db_path, "select distinct scoring_method from analytics.lead_scores")
    champion = query(db_path, "select scoring_method from analytics.ml_champion_model")
    assert list(scoring["scoring_method"]) == list(champion["scoring_method"])


def test_a_missing_required_table_is_named(core_only, tmp_path):
    db_path = copy_warehouse(core_only[0], tmp_path / "no_tracks.duckdb")
    execute(db_path, ["drop table segment.tracks"])
    result = run_dbt(["build", "--select", "stg_segment__tracks"], db_path, tmp_path, expect_success=False)
    assert result.returncode != 0
    assert re.search(r"Raw table .*segment.*tracks.* was not found", result.stdout)
    assert "Point var 'segment_schema' at the schema that holds it" in result.stdout


# ---------------------------------------------------------------------------------------------------------------
# too few labels


@pytest.fixture(scope="module")
def small_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db_path = tmp_path_factory.mktemp("small_raw") / "small_raw.duckdb"
    generate(db_path, leads=250, seed=5)
    return db_path


@pytest.fixture(scope="module")
def small(small_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    work_dir = tmp_path_factory.mktemp("small")
    db_path = copy_warehouse(small_raw, work_dir / "small.duckdb")
    run_dbt(["build"], db_path, work_dir)
    first = query(db_path, "select * exclude (scored_at) from analytics.lead_scores order by lead_id")
    run_dbt(["build"], db_path, work_dir)
    return {"db": db_path, "work_dir": work_dir, "first_scores": first}


def test_too_few_labels_takes_the_marked_rule_based_fallback(small):
    db_path = small["db"]
    registry = query(db_path, "select status, algorithm, labeled_leads from analytics.ml_model_registry")
    assert list(registry["status"]) == ["insufficient_data"] and registry["labeled_leads"].iloc[0] < 500
    assert list(query(db_path, "select scoring_method from analytics.ml_champion_model")["scoring_method"]) == [
        "rule_based_fallback"]
    methods = query(db_path, "select scoring_method, count(*) as n from analytics.lead_scores group by 1")
    assert list(methods["scoring_method"]) == ["rule_based_fallback"]
    ledger = lead_ledger(db_path)
    assert ledger["scored"]
    assert run_results(small["work_dir"])["test.lead_scoring.assert_every_lead_accounted_for"] == "pass"


def test_fallback_rebuild_adds_no_registry_row_and_keeps_scores(small):
    db_path = small["db"]
    assert scalar(db_path, "select count(*) from analytics.ml_model_registry") == 1
    again = query(db_path, "select * exclude (scored_at) from analytics.lead_scores order by lead_id")
    pd.testing.assert_frame_equal(small["first_scores"], again)


# ---------------------------------------------------------------------------------------------------------------
# vars


VAR_ERRORS = {
    "as_of_date impossible (2026-02-30)": (
        {"as_of_date": "2026-02-30"}, "int_run_dates",
        "var as_of_date must be a calendar date written YYYY-MM-DD, got '2026-02-30'"),
    "as_of_date with SQL injected": (
        {"as_of_date": "2026-01-01" + INJECTION}, "int_run_dates",
        "var as_of_date must be a calendar date written YYYY-MM-DD, got '2026-01-01'); drop table"),
    "horizon_days with SQL injected": (
        {"horizon_days": "90; drop table salesforce.lead"}, "int_lead_snapshots",
        "var horizon_days must be a positive whole number, got '90; drop table salesforce.lead'"),
    "lead_custom_fields with SQL injected": (
        {"lead_custom_fields": ["x from salesforce.lead; drop table salesforce.lead; --"]}, "stg_salesforce__leads",
        "var lead_custom_fields: 'x from salesforce.lead; drop table salesforce.lead; --' is not a plain column name"),
    "earliest_plausible_date malformed": (
        {"earliest_plausible_date": "1990-13-01"}, "stg_segment__pages",
        "var earliest_plausible_date must be a calendar date written YYYY-MM-DD, got '1990-13-01'"),
}


@pytest.fixture(scope="module")
def var_errors(small_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess]:
    """dbt compile of the model reading each malformed var, three at a time, each on its own copy of the raw data."""
    work_dir = tmp_path_factory.mktemp("var_errors")

    def compile_with(index: int, case: str) -> subprocess.CompletedProcess:
        dbt_vars, model, _ = VAR_ERRORS[case]
        case_dir = work_dir / f"case_{index}"
        case_dir.mkdir()
        db_path = copy_warehouse(small_raw, case_dir / "vars.duckdb")
        return run_dbt(["compile", "--select", model], db_path, case_dir, dbt_vars, expect_success=False)

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = pool.map(compile_with, range(len(VAR_ERRORS)), VAR_ERRORS)
        return dict(zip(VAR_ERRORS, results))


@pytest.mark.parametrize("case", list(VAR_ERRORS))
def test_malformed_var_fails_with_a_clear_message(var_errors, case):
    result = var_errors[case]
    assert result.returncode != 0
    assert VAR_ERRORS[case][2] in result.stdout, result.stdout[-3000:]


def test_list_vars_with_quotes_reach_sql_as_quoted_literals(core_only, tmp_path):
    db_path = copy_warehouse(core_only[0], tmp_path / "quoted.duckdb")
    scoring_rows = "select count(*) from analytics.int_lead_snapshots where is_scoring_row"
    before = scalar(db_path, scoring_rows)
    raw_leads = scalar(db_path, "select count(*) from salesforce.lead")
    dbt_vars = {
        "closed_lead_statuses": ["Converted", "Unqualified", "Closed - Won't buy", "x" + INJECTION],
        "unworked_lead_statuses": ["Open", "New" + INJECTION],
        "icp_technologies": ["snowflake", "o'reilly" + INJECTION],
    }
    run_dbt(["run", "--select", "stg_salesforce__leads", "int_lead_closed_dates", "int_lead_snapshots",
             "lead_firmographic_features"], db_path, tmp_path, dbt_vars)
    assert scalar(db_path, "select count(*) from salesforce.lead") == raw_leads
    assert scalar(db_path, scoring_rows) == before  # an unquoted "or" would have changed who counts as open
    compiled = (tmp_path / "target" / "compiled" / "lead_scoring" / "models" / "intermediate" / "leads"
                / "int_lead_closed_dates.sql").read_text()
    assert "'Closed - Won''t buy'" in compiled and "'x''); drop table salesforce.lead; --'" in compiled
