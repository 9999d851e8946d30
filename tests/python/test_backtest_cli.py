"""``python -m leadscore.backtest``: truncating raw data at a cut, the outcomes after it, the evaluation, and (marked
integration) the whole command on a small generated dataset."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from dbt_helpers import BIN_DIR, REPO_ROOT, generate

from leadscore.backtest import (
    RAW_SCHEMA_VARS,
    cut_outcomes,
    evaluate_at_cut,
    open_lead_ids,
    truncation_sql,
)
from leadscore.ml import auc_roc

CUT = pd.Timestamp("2024-03-01")
CLOSED = ["Converted", "Unqualified"]
SCHEMAS = {name: name.removesuffix("_schema") for name in RAW_SCHEMA_VARS}
BANDS = pd.DataFrame({"band": ["A", "B", "C", "D"], "min_score": [90, 70, 40, 1], "max_score": [99, 89, 69, 39]})
RULES = pd.DataFrame({"rule_id": ["senior"], "feature_name": ["seniority"], "match_value": ["vp"], "points": [50]})

LEADS = """
create table salesforce.lead as select * from (values
    ('new',       'Open',        timestamp '2024-03-05', false, null::timestamp,    null::timestamp),
    ('converted', 'Converted',   timestamp '2024-01-02', true,  timestamp '2024-03-10', timestamp '2024-03-10'),
    ('old_conv',  'Converted',   timestamp '2023-11-02', true,  timestamp '2024-02-10', timestamp '2024-02-10'),
    ('hist_late', 'Unqualified', timestamp '2024-01-02', false, null, timestamp '2024-04-01'),
    ('hist_early','Unqualified', timestamp '2024-01-02', false, null, timestamp '2024-04-01'),
    ('mod_late',  'Unqualified', timestamp '2024-01-02', false, null, timestamp '2024-03-20'),
    ('mod_late_2','Unqualified', timestamp '2024-01-02', false, null, timestamp '2024-03-20'),
    ('mod_early', 'Unqualified', timestamp '2024-01-02', false, null, timestamp '2024-02-20'),
    ('task_late', 'Unqualified', timestamp '2024-01-02', false, null, null),
    ('task_early','Unqualified', timestamp '2024-01-02', false, null, null),
    ('open',      'Working',     timestamp '2024-01-02', false, null, timestamp '2024-05-01')
) as t(id, status, created_date, is_converted, converted_date, last_modified_date)
"""


def raw_tables(connection: duckdb.DuckDBPyConnection, with_history: bool = True) -> dict:
    for schema in ("salesforce", "segment", "signals"):
        connection.execute(f"create schema {schema}")
    connection.execute(LEADS)
    for column in ("converted_account_id", "converted_contact_id", "converted_opportunity_id"):
        connection.execute(f"alter table salesforce.lead add column {column} varchar")
    connection.execute("""create table salesforce.task as select * from (values
        ('t1', 'mod_late', timestamp '2024-02-01', date '2024-02-01'),
        ('t2', 'task_late', timestamp '2024-03-15', date '2024-03-15'),
        ('t3', 'task_early', timestamp '2024-02-15', date '2024-02-15'),
        ('t4', 'open', timestamp '2024-02-28', date '2024-03-02')
    ) as t(id, who_id, created_date, activity_date)""")
    connection.execute("""create table segment.pages as select * from (values
        ('p1', timestamp '2024-02-29 23:59:00'), ('p2', timestamp '2024-03-01 00:00:00')) as t(id, "timestamp")""")
    connection.execute("""create table signals.intent_surge as select * from (values
        ('a.com', date '2024-02-19'), ('a.com', date '2024-02-26')) as t(domain, week_start_date)""")
    if with_history:
        connection.execute("""create table salesforce.lead_history as select * from (values
            ('h1', 'hist_late', 'Status', 'Nurturing', 'Unqualified', timestamp '2024-03-20'),
            ('h2', 'hist_early', 'Status', 'Working', 'Unqualified', timestamp '2024-02-20'),
            ('h3', 'hist_early', 'Title', 'cto', 'ceo', timestamp '2024-03-20')
        ) as t(id, lead_id, field, old_value, new_value, created_date)""")
    found = connection.execute("select table_schema, table_name, lower(column_name) from information_schema.columns"
                               ).fetchall()
    tables: dict = {}
    for schema, table, column in found:
        tables.setdefault((schema, table), set()).add(column)
    return tables


def truncated(with_history: bool = True) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    tables = raw_tables(connection, with_history)
    if not with_history:
        tables[("salesforce", "lead")].discard("last_modified_date")  # an export without the optional column
    for statement in truncation_sql(CUT, tables, SCHEMAS, CLOSED, "Open"):
        connection.execute(statement)
    return connection


def statuses(connection: duckdb.DuckDBPyConnection) -> dict:
    return dict(connection.execute("select id, status from salesforce.lead").fetchall())


def test_leads_get_their_state_at_the_cut():
    connection = truncated()
    status = statuses(connection)
    assert "new" not in status  # created after the cut
    assert status["converted"] == "Working" and status["old_conv"] == "Converted"
    assert connection.execute("select is_converted, converted_date from salesforce.lead where id = 'converted'"
                              ).fetchone() == (False, None)
    assert status["hist_late"] == "Nurturing"  # the status just before its first change after the cut
    assert status["hist_early"] == "Unqualified"  # closed before the cut, by its history
    # no history: modified after the cut means the close may be after it; reopened, worked when touched before
    assert status["mod_late"] == "Working" and status["mod_late_2"] == "Open"
    assert status["mod_early"] == "Unqualified"
    # no last_modified_date: the last sales task places the close
    assert status["task_late"] == "Open" and status["task_early"] == "Unqualified"
    assert status["open"] == "Working"


def test_no_row_stamped_at_or_after_the_cut_remains():
    connection = truncated()
    cut = CUT.to_pydatetime()
    assert connection.execute("select max(created_date) from salesforce.lead_history").fetchone()[0] < cut
    assert connection.execute("select count(*) from salesforce.lead_history").fetchone()[0] == 1
    assert connection.execute("select max(last_modified_date) from salesforce.lead").fetchone()[0] < cut
    assert connection.execute("select list(id order by id) from salesforce.task").fetchone()[0] == ["t1", "t3"]
    assert connection.execute("select list(id) from segment.pages").fetchone()[0] == ["p1"]
    # the surge week of 2024-02-26 ends after the cut: not known yet
    assert connection.execute("select count(*) from signals.intent_surge").fetchone()[0] == 1


def test_without_history_or_last_modified_date_the_tasks_decide():
    connection = truncated(with_history=False)
    status = statuses(connection)
    assert status["hist_late"] == "Unqualified"  # nothing says it closed after the cut
    assert status["task_late"] == "Open" and status["mod_late"] == "Unqualified"


def test_outcomes_count_conversions_within_the_horizon_after_the_cut():
    leads = pd.DataFrame({
        "lead_id": ["a", "b", "c", "d", "e", "e", "f"],
        "is_converted": [True, True, True, False, False, True, True],
        "converted_date": pd.to_datetime(["2024-03-01", "2024-05-29", "2024-05-30", None, None, "2024-04-01",
                                          "2024-04-01"]),
        "is_deleted": [False, False, False, False, False, False, True],
    })
    outcomes = cut_outcomes(leads, CUT, 90).set_index("lead_id")["label"].to_dict()
    # 2024-03-01 + 90 days = 2024-05-30, excluded; e was landed twice, its newer row converted; f's row is deleted
    assert outcomes == {"a": 1, "b": 1, "c": 0, "d": 0, "e": 1, "f": 0}


def test_open_leads_are_the_staged_leads_not_converted_nor_closed():
    staged = pd.DataFrame({"lead_id": ["a", "b", "c", "d"], "lead_status": ["Open", "Working", "Unqualified", "Open"],
                           "is_converted": [False, False, False, True]})
    assert open_lead_ids(staged, CLOSED) == {"a", "b"}


def test_evaluation_judges_the_scores_at_the_cut_on_what_happened_after():
    rng = np.random.default_rng(0)
    n = 400
    leads = [f"L{i:03d}" for i in range(n)]
    label = (rng.random(n) < 0.2).astype(int)
    probability = np.clip(0.2 + 0.3 * (label - 0.2) + rng.normal(0, 0.15, n), 0.01, 0.99)
    scores = pd.DataFrame({"lead_id": leads, "as_of_date": CUT, "conversion_probability": probability,
                           "lead_score": np.clip((probability * 100).round(), 1, 99).astype(int),
                           "model_version": "v1", "scoring_method": "model"})
    scores["priority_band"] = np.select([scores["lead_score"] >= 90, scores["lead_score"] >= 70,
                                         scores["lead_score"] >= 40], ["A", "B", "C"], "D")
    scoring_rows = pd.DataFrame({"lead_id": leads, "as_of_date": CUT, "label": np.nan,
                                 "lead_age_days": rng.integers(0, 300, n),
                                 "seniority": np.where(rng.random(n) < 0.5, "vp", "manager"),
                                 "days_since_last_engagement": rng.integers(0, 60, n)})
    history = scoring_rows.assign(label=(rng.random(n) < 0.2).astype(float))
    outcomes = pd.DataFrame({"lead_id": leads, "label": label})
    predictions, results = evaluate_at_cut(scores.sample(frac=1.0, random_state=1), scoring_rows, history, outcomes,
                                           RULES, BANDS, cut=CUT)
    assert len(predictions) == n and predictions["lead_id"].is_monotonic_increasing
    aligned = predictions.set_index("lead_id")
    assert (aligned["label"] == outcomes.set_index("lead_id")["label"]).all()
    overall = results[results["band"] == "all"].set_index(["cohort", "scorer"])
    assert overall.loc[("all_open", "model"), "auc_roc"] == pytest.approx(auc_roc(label, probability))
    assert overall.loc[("all_open", "model"), "rows"] == n
    assert overall.loc[("under_100_days", "model"), "rows"] == int((scoring_rows["lead_age_days"] < 100).sum())
    assert overall["ece"].notna().all()
    fallback, _ = evaluate_at_cut(scores.assign(scoring_method="rule_based_fallback"), scoring_rows, history,
                                  outcomes, RULES, BANDS, cut=CUT)
    assert (fallback["model_status"] == "no_model").all()


# ---- the whole command ----------------------------------------------------------------------------------------

@pytest.mark.integration
def test_backtest_command_scores_every_lead_open_at_the_cut(tmp_path: Path):
    raw = tmp_path / "raw.duckdb"
    generate(raw, leads=1500, seed=7, extra=["--no-truth"])
    cut = "2026-03-02"
    out = tmp_path / "result.json"
    command = [str(BIN_DIR / "python"), "-m", "leadscore.backtest", "--db", str(raw), "--cut", cut,
               "--work-dir", str(tmp_path / "work"), "--project-dir", str(REPO_ROOT), "--out", str(out),
               # the rejected leads too, so the test can tell an unscored lead from one staging left out
               "--select", "+lead_scores stg_salesforce__leads_rejected"]
    completed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    summary = json.loads(out.read_text())
    warehouse = Path(summary["warehouse_at_cut"])
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert connection.execute("select max(created_date) from salesforce.lead").fetchone()[0] < pd.Timestamp(cut)
        assert connection.execute('select max("timestamp") from segment.pages').fetchone()[0] < pd.Timestamp(cut)
        scored = set(connection.execute("select lead_id from analytics.lead_scores").df()["lead_id"])
        assert connection.execute("select count(distinct as_of_date) from analytics.lead_scores").fetchone()[0] == 1
        # every raw lead open at the cut (newest load of each id) is scored, unless staging rejected it with a reason
        open_raw = set(connection.execute(
            "select id from salesforce.lead where not coalesce(is_deleted, false) and not coalesce(is_converted, false)"
            " and status not in ('Converted', 'Unqualified', 'Closed - Converted', 'Closed - Not Converted')"
        ).df()["id"])
        rejected = set(connection.execute("select lead_id from analytics.stg_salesforce__leads_rejected"
                                          ).df()["lead_id"])
    finally:
        connection.close()
    assert open_raw - rejected <= scored and len(scored) > 300
    assert summary["scored_leads"] == summary["open_leads"] == len(scored) and not summary["unscored_open_leads"]
    # the labels are what happened after the cut in the full data
    full = duckdb.connect(str(raw), read_only=True)
    try:
        converted_after = set(full.execute(
            f"select id from salesforce.lead where is_converted and converted_date >= date '{cut}' "
            f"and converted_date < date '{cut}' + interval 90 day").df()["id"])
    finally:
        full.close()
    assert summary["converted_within_horizon"] == len(converted_after & scored) > 5
    results = pd.DataFrame(summary["results"])
    overall = results[results["band"] == "all"].set_index(["cohort", "scorer"])
    assert set(overall.index) == {(cohort, scorer) for cohort in ("all_open", "under_100_days")
                                  for scorer in ("model", "rule_points", "recency")}
    assert overall.loc[("all_open", "model"), "rows"] == len(scored)
    assert 0 < overall.loc[("under_100_days", "model"), "rows"] < len(scored)
    # sane, not tuned: the model ranks better than chance, its probabilities are probabilities of that cohort
    assert overall.loc[("all_open", "model"), "auc_roc"] > 0.55
    assert 0 <= overall.loc[("all_open", "model"), "ece"] < 0.2
    assert overall.loc[("all_open", "rule_points"), "auc_roc"] > 0.5
    bands = results[(results["cohort"] == "all_open") & (results["scorer"] == "model") & (results["band"] != "all")]
    assert bands["rows"].sum() == len(scored) and bands["recall"].sum() == pytest.approx(1.0)
    assert "AUC" in completed.stdout
