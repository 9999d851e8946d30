"""How would the package have scored my leads at a past date? Build it on the raw data as it stood then, and check.

``python -m leadscore.backtest --db FILE --cut YYYY-MM-DD [--work-dir DIR] [--vars '{...}']``

1. Copies the raw schemas of FILE (the ``*_schema`` vars) into a new DuckDB file and truncates it at the cut:
   every raw row stamped at or after the cut is deleted or undone (:func:`truncation_sql`).
2. Runs ``dbt build --select +lead_scores`` on that file with ``--vars '{as_of_date: <cut>}'`` (dbt from the
   same environment as this Python; the project and profiles in ``--project-dir``, the current directory by
   default), so the package trains only on what was known at the cut and scores the leads open then.
3. Evaluates that build's ``lead_scores`` against what happened next in FILE: a lead is positive when it converted
   within ``horizon_days`` after the cut (:func:`cut_outcomes`). AUC, ECE and precision and recall per band, for all
   open leads and for those under 100 days old, beside the rule points and recency (:func:`evaluate_at_cut`);
   printed, and written as JSON.

What cannot be undone is said here once. Raw tables hold current values: a lead's title, an account's industry
or an enrichment row refreshed after the cut keep their newest value (an enrichment row refreshed after the cut is
deleted, so the copy has no enrichment for that domain). A lead's status at the cut comes from ``lead_history`` when
it holds a status change after the cut; otherwise a lead in a closed status is reopened when its
``last_modified_date`` (else its last sales task) is at or after the cut, as ``Working`` when sales had touched it
before the cut and else the first of var ``unworked_lead_statuses``; a lead converted after the cut is reopened as
``Working``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

from leadscore.ml import rule_points
from leadscore.ml.backtest import (
    ALL_BANDS,
    COHORTS,
    NO_MODEL,
    PREDICTION_SCHEMA,
    RECENCY_FEATURE,
    SCORED,
    YOUNG_LEAD_MAX_AGE_DAYS,
    backtest_results,
    calibrated_baseline,
    conform,
    recency_score,
)
from leadscore.ml.frames import label_array, to_float

#: Vars naming the raw schemas a backtest copies (the package's sources).
RAW_SCHEMA_VARS: tuple[str, ...] = ("salesforce_schema", "segment_schema", "marketing_schema", "signals_schema",
                                    "product_schema")
#: Status a reopened lead gets when sales had touched it before the cut.
WORKED_STATUS = "Working"

#: Raw rows stamped at or after the cut, besides the leads (:func:`lead_sql`): (schema var, table, columns the
#: statement needs, statement); ``{table}`` is the qualified table, ``{cut}`` the cut as a timestamp literal.
ROW_RULES: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("salesforce_schema", "task", ("created_date", "activity_date"),
     "delete from {table} where created_date >= {cut} or activity_date >= {cut}"),
    ("salesforce_schema", "account", ("created_date",), "delete from {table} where created_date >= {cut}"),
    ("salesforce_schema", "contact", ("created_date",), "delete from {table} where created_date >= {cut}"),
    ("salesforce_schema", "opportunity", ("created_date",), "delete from {table} where created_date >= {cut}"),
    ("salesforce_schema", "opportunity", ("close_date",),
     "update {table} set is_closed = false, is_won = false, stage_name = 'Prospecting' where close_date >= {cut}"),
    ("salesforce_schema", "campaign_member", ("created_date",), "delete from {table} where created_date >= {cut}"),
    ("salesforce_schema", "campaign_member", ("first_responded_date",),
     "update {table} set has_responded = false, first_responded_date = null where first_responded_date >= {cut}"),
    ("salesforce_schema", "lead_score_feedback", ("created_date",), "delete from {table} where created_date >= {cut}"),
    ("segment_schema", "pages", ("timestamp",), 'delete from {table} where "timestamp" >= {cut}'),
    ("segment_schema", "tracks", ("timestamp",), 'delete from {table} where "timestamp" >= {cut}'),
    ("segment_schema", "identifies", ("timestamp",), 'delete from {table} where "timestamp" >= {cut}'),
    ("marketing_schema", "email_events", ("occurred_at",), "delete from {table} where occurred_at >= {cut}"),
    ("signals_schema", "company_enrichment", ("enriched_at",), "delete from {table} where enriched_at >= {cut}"),
    # a surge week is known once it has ended
    ("signals_schema", "intent_surge", ("week_start_date",), "delete from {table} where week_start_date + 7 > {cut}"),
    ("product_schema", "trial_events", ("occurred_at",), "delete from {table} where occurred_at >= {cut}"),
    ("product_schema", "call_transcripts", ("started_at",), "delete from {table} where started_at >= {cut}"),
)


def _qualified(schema: str, table: str) -> str:
    return f'"{schema}"."{table}"'


def _text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def lead_sql(cut_literal: str, schema: str, columns: Mapping[str, set[str]], closed_statuses: Sequence[str],
             unworked_status: str) -> list[str]:
    """Statements that put every lead back in its state at the cut (see the module docstring for the rule).

    They run before the tasks after the cut are deleted: a closed lead's last task places its close.

    Parameters
    ----------
    cut_literal : str
        The cut as a SQL timestamp literal.
    schema : str
        The CRM schema.
    columns : mapping
        Each existing table of the CRM schema to its (lower-case) columns.
    closed_statuses : sequence of str
    unworked_status : str
    """
    lead, history, task = (_qualified(schema, name) for name in ("lead", "lead_history", "task"))
    statements = [
        f"update {lead} set is_converted = false, converted_date = null, converted_account_id = null, "
        f"converted_contact_id = null, converted_opportunity_id = null, status = {_text(WORKED_STATUS)} "
        f"where converted_date >= {cut_literal}"
    ]
    has_history = {"lead_id", "field", "old_value", "created_date"} <= columns.get("lead_history", set())
    if has_history:
        # the value a status had just before its first change after the cut is the status at the cut
        statements.append(
            f"update {lead} set status = first_change.old_value from ("
            f"select lead_id, arg_min(old_value, created_date) as old_value from {history} "
            f"where lower(field) = 'status' and created_date >= {cut_literal} group by lead_id) as first_change "
            f"where {lead}.id = first_change.lead_id"
        )
    has_tasks = {"who_id", "created_date"} <= columns.get("task", set())
    last_task_after_cut = (
        f"{lead}.id in (select who_id from {task} where created_date >= {cut_literal}"
        + (f" or activity_date >= {cut_literal}" if "activity_date" in columns.get("task", set()) else "") + ")"
        if has_tasks else "false"
    )
    closed_after_cut = (f"coalesce({lead}.last_modified_date >= {cut_literal}, {last_task_after_cut})"
                        if "last_modified_date" in columns.get("lead", set()) else last_task_after_cut)
    touched_before = (f"id in (select who_id from {task} where created_date < {cut_literal})"
                      if has_tasks else "false")
    closed = ", ".join(_text(status) for status in closed_statuses) or "''"
    no_status_history = (f" and id not in (select lead_id from {history} where lower(field) = 'status')"
                         if has_history else "")
    statements.append(
        f"update {lead} set status = case when {touched_before} then {_text(WORKED_STATUS)} "
        f"else {_text(unworked_status)} end "
        f"where status in ({closed}) and not coalesce(is_converted, false) and {closed_after_cut}{no_status_history}"
    )
    if has_history:
        statements.append(f"delete from {history} where created_date >= {cut_literal}")
    if "last_modified_date" in columns.get("lead", set()):
        statements.append(f"update {lead} set last_modified_date = null where last_modified_date >= {cut_literal}")
    statements.append(f"delete from {lead} where created_date >= {cut_literal}")
    return statements


def truncation_sql(cut: object, tables: Mapping[tuple[str, str], set[str]], schemas: Mapping[str, str],
                   closed_statuses: Sequence[str], unworked_status: str = "Open") -> list[str]:
    """Every statement that truncates a raw copy at the cut, for the tables it has.

    Parameters
    ----------
    cut : date-like
    tables : mapping
        ``(schema, table)`` of every existing raw table to its column names (lower case).
    schemas : mapping
        The raw schema vars (``salesforce_schema``, ...) to schema names.
    closed_statuses : sequence of str
        Var ``closed_lead_statuses``.
    unworked_status : str
        Status of a reopened lead nobody in sales had touched before the cut.

    Returns
    -------
    list of str
        DuckDB statements, in the order they must run.
    """
    cut_literal = f"timestamp '{pd.Timestamp(cut):%Y-%m-%d %H:%M:%S}'"
    crm = schemas["salesforce_schema"]
    statements = []
    if (crm, "lead") in tables:
        crm_columns = {name: found for (schema, name), found in tables.items() if schema == crm}
        statements += lead_sql(cut_literal, crm, crm_columns, closed_statuses, unworked_status)
    for schema_var, table, needed, template in ROW_RULES:
        columns = tables.get((schemas[schema_var], table))
        if columns is not None and set(needed) <= columns:
            statements.append(template.format(table=_qualified(schemas[schema_var], table), cut=cut_literal))
    return statements


def project_vars(project_dir: Path, overrides: Mapping[str, object] | None = None) -> dict:
    """The project's vars (``dbt_project.yml``, where every default is written once) with the given overrides."""
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    return {**(config.get("vars") or {}), **(overrides or {})}


def copy_raw_schemas(source: Path, destination: Path, schemas: Sequence[str]) -> dict[tuple[str, str], set[str]]:
    """Copy the raw schemas of a DuckDB file into a new file (replaced if present); returns its tables' columns."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    for stale in (destination, destination.with_name(destination.name + ".wal")):
        stale.unlink(missing_ok=True)
    connection = duckdb.connect(str(destination))
    try:
        connection.execute(f"attach '{source}' as source (read_only)")
        found = connection.execute(
            "select table_schema, table_name, lower(column_name) from information_schema.columns "
            "where table_catalog = 'source' and table_schema in (select unnest($1::varchar[]))", [list(schemas)]
        ).fetchall()
        tables: dict[tuple[str, str], set[str]] = {}
        for schema, table, column in found:
            tables.setdefault((schema, table), set()).add(column)
        for schema in sorted({schema for schema, _ in tables}):
            connection.execute(f'create schema "{schema}"')
        for schema, table in sorted(tables):
            connection.execute(f"create table {_qualified(schema, table)} as select * from source.{_qualified(schema, table)}")
        connection.execute("detach source")
    finally:
        connection.close()
    return tables


def truncate_copy(db_path: Path, cut: object, tables: Mapping[tuple[str, str], set[str]], variables: Mapping) -> None:
    """Run :func:`truncation_sql` on a copy."""
    schemas = {name: str(variables[name]) for name in RAW_SCHEMA_VARS}
    unworked = (variables.get("unworked_lead_statuses") or ["Open"])[0]
    connection = duckdb.connect(str(db_path))
    try:
        for statement in truncation_sql(cut, tables, schemas, variables.get("closed_lead_statuses") or [], unworked):
            connection.execute(statement)
    finally:
        connection.close()


def cut_outcomes(leads: pd.DataFrame, cut: object, horizon_days: int) -> pd.DataFrame:
    """``lead_id, label`` from the full raw lead table: 1 when the lead converted in ``[cut, cut + horizon_days)``.

    A lead id the connector landed several times (older loads) converted when any of its rows says so; deleted
    rows do not count.
    """
    start = pd.Timestamp(cut)
    converted = pd.to_datetime(leads["converted_date"], errors="coerce")
    flag = leads["is_converted"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    if "is_deleted" in leads.columns:
        flag &= ~leads["is_deleted"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    within = (flag & (converted >= start).to_numpy()
              & (converted < start + pd.Timedelta(days=int(horizon_days))).to_numpy())
    labels = pd.DataFrame({"lead_id": leads["lead_id"].astype(str).to_numpy(), "label": within.astype(int)})
    return labels.groupby("lead_id", as_index=False, sort=True)["label"].max()


def open_lead_ids(leads: pd.DataFrame, closed_statuses: Sequence[str]) -> set[str]:
    """The open leads of a staged lead table (``stg_salesforce__leads``): not converted, not in a closed status."""
    converted = leads["is_converted"].astype("boolean").fillna(False)
    closed = leads["lead_status"].isin(list(closed_statuses))
    return set(leads.loc[~(converted | closed), "lead_id"].astype(str))


def evaluate_at_cut(
    scores: pd.DataFrame,
    scoring_rows: pd.DataFrame,
    history: pd.DataFrame,
    outcomes: pd.DataFrame,
    rules: pd.DataFrame,
    bands: pd.DataFrame,
    *,
    cut: object,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score rows of a build made at the cut, judged on what happened after it.

    Parameters
    ----------
    scores : pandas.DataFrame
        That build's ``lead_scores`` (``lead_id``, ``conversion_probability``, ``lead_score``, ``priority_band``,
        ``model_version``, ``scoring_method``).
    scoring_rows : pandas.DataFrame
        Its ``lead_features`` scoring rows (``is_scoring_row``): the rule features, ``lead_age_days`` and
        ``days_since_last_engagement`` of each open lead.
    history : pandas.DataFrame
        Its trainable ``lead_features`` rows (outcomes matured by the cut), to calibrate the baselines.
    outcomes : pandas.DataFrame
        :func:`cut_outcomes` from the full data.
    rules, bands : pandas.DataFrame
        The ``lead_scoring_rules`` and ``score_bands`` seeds.
    cut : date-like

    Returns
    -------
    (predictions, results)
        Predictions shaped as ``ml_backtest_predictions`` (one row per scored lead) and
        :func:`leadscore.ml.backtest.backtest_results` on them.
    """
    features = scoring_rows.drop(columns=["as_of_date", "label"], errors="ignore")  # the label comes from outcomes
    rows = scores.merge(features, on="lead_id", how="left")
    rows = rows.merge(outcomes, on="lead_id", how="left").sort_values("lead_id", kind="mergesort")
    history_labels = label_array(history).astype(float) if len(history) else np.array([])
    points = rule_points(rows, rules).to_numpy(dtype=float)
    recency = recency_score(rows)
    age = to_float(rows["lead_age_days"]) if "lead_age_days" in rows.columns else np.full(len(rows), np.nan)
    live = rows["scoring_method"].astype(str) == "model"
    predictions = pd.DataFrame({
        "model_version": rows["model_version"].to_numpy(),
        "cut_date": pd.Timestamp(cut),
        "lead_id": rows["lead_id"].to_numpy(),
        "as_of_date": pd.Timestamp(cut),
        "lead_age_days": np.where(np.isnan(age), np.nan, np.round(age)),
        "is_young": np.nan_to_num(age, nan=np.inf) < YOUNG_LEAD_MAX_AGE_DAYS,
        "label": rows["label"].to_numpy(),
        "probability": rows["conversion_probability"].to_numpy(),
        "lead_score": rows["lead_score"].to_numpy(),
        "priority_band": rows["priority_band"].to_numpy(),
        "rule_points": points,
        "recency_score": recency,
        "rule_points_probability": calibrated_baseline(rule_points(history, rules).to_numpy(dtype=float)
                                                       if len(history) else np.array([]), history_labels, points),
        "recency_probability": calibrated_baseline(recency_score(history), history_labels, recency),
        "model_status": np.where(live, SCORED, NO_MODEL),
        "model_reason": np.where(live, "lead_scores of the build at the cut",
                                 "the build at the cut scored with the rule-based points"),
    })
    predictions = conform(predictions, PREDICTION_SCHEMA)
    return predictions, backtest_results(predictions, bands)


@dataclass(frozen=True)
class BuildAtCut:
    """Where a backtest build lives."""

    db_path: Path
    work_dir: Path
    project_dir: Path


def run_dbt_build(build: BuildAtCut, dbt_vars: Mapping, select: str) -> subprocess.CompletedProcess:
    """``dbt build`` on the truncated copy with the same Python environment's dbt; output kept in the work dir."""
    dbt = Path(sys.executable).parent / "dbt"
    env = {**os.environ, "LEADSCORE_DB": str(build.db_path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.setdefault("OMP_WAIT_POLICY", "passive")  # LightGBM's idle threads would spin on a small machine
    profiles_dir = os.environ.get("DBT_PROFILES_DIR", str(build.project_dir))
    # cautious: only the tests whose every parent is built (a relationship to an unbuilt model would fail)
    command = [str(dbt), "build", "--select", select, "--indirect-selection", "cautious",
               "--vars", json.dumps(dict(dbt_vars)),
               "--project-dir", str(build.project_dir), "--profiles-dir", profiles_dir,
               "--target-path", str(build.work_dir / "target"), "--log-path", str(build.work_dir / "logs")]
    return subprocess.run(command, cwd=build.project_dir, env=env, capture_output=True, text=True)


def read_build(db_path: Path, rule_features: Sequence[str], schema: str = "analytics") -> dict[str, pd.DataFrame]:
    """The scores, the open leads' features, the matured history and the seeds of the build at the cut."""
    from leadscore.pipeline import TRAINABLE_ROWS_SQL

    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        available = {row[0] for row in connection.execute(
            "select lower(column_name) from information_schema.columns where table_schema = ? "
            "and table_name = 'lead_features'", [schema]).fetchall()}
        wanted = ["lead_id", "as_of_date", "label", "lead_age_days", RECENCY_FEATURE, *rule_features]
        columns = ", ".join(dict.fromkeys(f'"{name}"' for name in wanted if name in available))
        read = connection.sql
        return {
            "scores": read(f"select * from {schema}.lead_scores order by lead_id").df(),
            "scoring_rows": read(f"select {columns} from {schema}.lead_features where is_scoring_row").df(),
            "history": read(f"select {columns} from {schema}.lead_features where {TRAINABLE_ROWS_SQL}").df(),
            "staged_leads": read(f"select lead_id, lead_status, is_converted from {schema}.stg_salesforce__leads").df(),
        }
    finally:
        connection.close()


def read_seed(db_path: Path, name: str, schema: str = "analytics_reference") -> pd.DataFrame:
    """A seed table of the build."""
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        return connection.sql(f"select * from {schema}.{name}").df()
    finally:
        connection.close()


def read_leads(db_path: Path, crm_schema: str) -> pd.DataFrame:
    """``lead_id, is_converted, converted_date, is_deleted`` of every row of a raw lead table."""
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        return connection.sql(
            "select cast(id as varchar) as lead_id, is_converted, converted_date, is_deleted "
            f'from "{crm_schema}"."lead"'
        ).df()
    finally:
        connection.close()


def summary_lines(results: pd.DataFrame, open_leads: int, scored_leads: int) -> list[str]:
    """The printed summary: per cohort, AUC and ECE of each scorer, then its precision and recall per band."""
    lines = [f"scored {scored_leads:,} of {open_leads:,} leads open at the cut"]
    for cohort in COHORTS:
        rows = results[results["cohort"] == cohort]
        overall = rows[rows["band"] == ALL_BANDS]
        if overall.empty:
            continue
        first = overall.iloc[0]
        lines.append(f"\n{cohort}: {int(first['rows']):,} leads, {int(first['positives']):,} converted within the horizon")
        for _, row in overall.iterrows():
            auc = "n/a" if pd.isna(row["auc_roc"]) else f"{row['auc_roc']:.3f}"
            ece = "n/a" if pd.isna(row["ece"]) else f"{row['ece']:.4f}"
            bands = rows[(rows["scorer"] == row["scorer"]) & (rows["band"] != ALL_BANDS)]
            per_band = "  ".join(f"{band['band']} {band['precision']:.3f}/{band['recall']:.3f}"
                                 for _, band in bands.iterrows() if band["rows"] > 0)
            status = "" if row["status"] == "evaluated" else f"  ({row['status']})"
            lines.append(f"  {row['scorer']:<12} AUC {auc:>6}  ECE {ece:>7}  precision/recall by band: {per_band}{status}")
    return lines


def main(argv: Sequence[str] | None = None) -> dict:
    """Command line: truncate, build, evaluate, print and write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m leadscore.backtest", description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, type=Path, help="DuckDB file holding the raw schemas (never written)")
    parser.add_argument("--cut", required=True, help="the past date to score at, YYYY-MM-DD")
    parser.add_argument("--work-dir", type=Path, help="where the truncated build goes (default data/backtest_<cut>)")
    parser.add_argument("--project-dir", type=Path, default=Path.cwd(), help="the dbt project (default: here)")
    parser.add_argument("--vars", default="{}", help="more dbt vars, as YAML or JSON (as_of_date is the cut)")
    parser.add_argument("--select", default="+lead_scores", help="what to build (default %(default)s)")
    parser.add_argument("--out", type=Path, help="JSON file to write (default <work-dir>/backtest_<cut>.json)")
    args = parser.parse_args(argv)
    cut = pd.Timestamp(args.cut).normalize()
    if not args.db.exists():
        parser.error(f"no DuckDB file at {args.db}")
    work_dir = (args.work_dir or Path("data") / f"backtest_{cut:%Y-%m-%d}").resolve()
    build = BuildAtCut(db_path=work_dir / f"warehouse_at_{cut:%Y-%m-%d}.duckdb", work_dir=work_dir,
                       project_dir=args.project_dir.resolve())
    overrides = yaml.safe_load(args.vars) or {}
    variables = project_vars(build.project_dir, {**overrides, "as_of_date": f"{cut:%Y-%m-%d}"})
    horizon_days = int(variables.get("horizon_days") or 90)

    tables = copy_raw_schemas(args.db.resolve(), build.db_path, [str(variables[name]) for name in RAW_SCHEMA_VARS])
    truncate_copy(build.db_path, cut, tables, variables)
    print(f"raw data as of {cut:%Y-%m-%d} copied to {build.db_path}; building {args.select} ...", flush=True)
    completed = run_dbt_build(build, {**overrides, "as_of_date": f"{cut:%Y-%m-%d}"}, args.select)
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-8000:] + completed.stderr[-4000:])
        raise SystemExit(f"dbt build failed at the cut (logs in {work_dir / 'logs'})")

    rules = read_seed(build.db_path, "lead_scoring_rules")
    bands = read_seed(build.db_path, "score_bands")
    built = read_build(build.db_path, rules["feature_name"].astype(str).str.lower().unique().tolist())
    outcomes = cut_outcomes(read_leads(args.db, str(variables["salesforce_schema"])), cut, horizon_days)
    predictions, results = evaluate_at_cut(built["scores"], built["scoring_rows"], built["history"], outcomes,
                                           rules, bands, cut=cut)
    open_at_cut = open_lead_ids(built["staged_leads"], variables.get("closed_lead_statuses") or [])
    unscored = sorted(open_at_cut - set(predictions["lead_id"].astype(str)))
    summary = {
        "db": str(args.db), "cut": f"{cut:%Y-%m-%d}", "horizon_days": horizon_days,
        "warehouse_at_cut": str(build.db_path),
        "model_version": None if predictions.empty else str(predictions["model_version"].iloc[0]),
        "scoring_method": None if built["scores"].empty else str(built["scores"]["scoring_method"].iloc[0]),
        "open_leads": len(open_at_cut), "scored_leads": len(predictions), "unscored_open_leads": unscored[:100],
        "converted_within_horizon": int(predictions["label"].sum()),
        "results": json.loads(results.assign(cut_date=results["cut_date"].dt.strftime("%Y-%m-%d"))
                              .to_json(orient="records")),
    }
    out = args.out or work_dir / f"backtest_{cut:%Y-%m-%d}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print("\n".join(summary_lines(results, len(open_at_cut), len(predictions))))
    print(f"\nwritten to {out}")
    return summary


if __name__ == "__main__":
    main()
