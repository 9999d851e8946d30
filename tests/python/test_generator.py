"""Tests of the synthetic data generator (``python -m leadscore.generator``) on small runs."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import dataclasses

import duckdb
import numpy as np
import pytest
import yaml

from leadscore.generator import activity, outcomes, truth
from leadscore.generator.__main__ import main
from leadscore.generator.config import GeneratorConfig, RunParams
from leadscore.generator.entities import chunk_bounds
from leadscore.generator.pipeline import chunk_streams, make_world, run, simulate_leads, truth_inputs
from leadscore.generator.records import IdCounters
from leadscore.generator.tables import OPTIONAL_TABLES, TABLES

REPO = Path(__file__).resolve().parents[2]
END_DATE = dt.date(2026, 6, 30)
LEADS = 500
GENERIC_TYPES = {"string": "VARCHAR", "timestamp": "TIMESTAMP", "date": "DATE", "boolean": "BOOLEAN",
                 "bigint": "BIGINT", "double": "DOUBLE"}
RAW_SCHEMAS = ("salesforce", "segment", "marketing", "signals", "product")
WEB_FORM_SOURCES = ("Web", "Webinar", "Paid Search")
CALIBRATION_LEADS = 4000
REQUIRED_TABLES = tuple(table for table in TABLES if table not in OPTIONAL_TABLES)
LABELLED_SNAPSHOTS = f"""
    with leads as (select distinct id, converted_date from salesforce.lead)
    select
        t.lead_id,
        t.is_worked,
        t.true_probability,
        t.realized_path_probability,
        coalesce(l.converted_date >= t.as_of_date and l.converted_date < t.as_of_date + 90, false) as converted
    from truth.lead_conversion_probability as t
    inner join leads as l on l.id = t.lead_id
    where t.as_of_date <= date '{END_DATE.isoformat()}' - 90
"""
# Whether sales touched each lead before it converted (tasks after a conversion are logged on the contact).
SALES_TOUCHED = """
    with leads as (select distinct id, is_converted, converted_date, lead_source from salesforce.lead),
    touched as (select distinct who_id as id from salesforce.task)
    select leads.*, touched.id is not null as is_touched
    from leads left join touched using (id)
"""


def contract() -> dict[str, list[tuple[str, str]]]:
    """Contract columns and DuckDB types of every raw table, read from the sources ymls."""
    tables: dict[str, list[tuple[str, str]]] = {}
    for path in sorted((REPO / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text())["sources"]:
            for table in source["tables"]:
                tables[f"{source['name']}.{table['name']}"] = [
                    (column["name"], GENERIC_TYPES[column["data_type"]]) for column in table["columns"]]
    return tables


def generate(directory: Path, seed: int, name: str, *extra: str) -> Path:
    db = directory / name / "raw.duckdb"  # the parent directory does not exist yet
    main(["--leads", str(LEADS), "--seed", str(seed), "--db", str(db), "--end-date", END_DATE.isoformat(), *extra])
    return db


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("generator")
    return {"a": generate(directory, 42, "a"), "b": generate(directory, 42, "b"), "c": generate(directory, 7, "c"),
            "no_drift": generate(directory, 42, "no_drift", "--no-drift"),
            "history": generate(directory, 42, "history", "--field-history")}


@pytest.fixture(scope="module")
def con(runs: dict[str, Path]) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(runs["a"]), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def history_con(runs: dict[str, Path]) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(runs["history"]), read_only=True)
    yield connection
    connection.close()


def scalar(con: duckdb.DuckDBPyConnection, sql: str):
    return con.sql(sql).fetchall()[0][0]


def columns_of(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    schema, name = table.split(".")
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position", [schema, name]).fetchall()


def ordered_rows(path: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.sql(f"select * from {table} order by all").fetchall()


def test_same_seed_gives_identical_tables(runs: dict[str, Path]) -> None:
    for table in REQUIRED_TABLES:
        assert ordered_rows(runs["a"], table) == ordered_rows(runs["b"], table), table


def test_field_history_adds_the_history_table_and_changes_nothing_else(runs: dict[str, Path],
                                                                       con: duckdb.DuckDBPyConnection,
                                                                       history_con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "select count(*) from information_schema.tables where table_name = 'lead_history'") == 0
    assert scalar(history_con, "select count(*) from salesforce.lead_history") > LEADS
    for table in REQUIRED_TABLES:
        if table != "truth.generator_run":
            assert ordered_rows(runs["a"], table) == ordered_rows(runs["history"], table), table
    assert scalar(history_con, "select field_history from truth.generator_run") is True


def test_different_seed_differs(runs: dict[str, Path]) -> None:
    assert ordered_rows(runs["a"], "salesforce.lead") != ordered_rows(runs["c"], "salesforce.lead")
    assert ordered_rows(runs["a"], "segment.pages") != ordered_rows(runs["c"], "segment.pages")


def test_rerun_replaces_the_schemas(runs: dict[str, Path], tmp_path: Path) -> None:
    db = tmp_path / "rerun.duckdb"
    main(["--leads", "50", "--db", str(db)])
    main(["--leads", "60", "--db", str(db)])
    with duckdb.connect(str(db), read_only=True) as connection:
        assert scalar(connection, "select count(distinct id) from salesforce.lead") == 60
        assert scalar(connection, "select leads from truth.generator_run") == 60


def test_drift_switch_changes_the_late_world(runs: dict[str, Path]) -> None:
    with duckdb.connect(str(runs["no_drift"]), read_only=True) as connection:
        assert scalar(connection, "select drift from truth.generator_run") is False
    late = "truth.lead_conversion_probability"
    assert ordered_rows(runs["a"], late) != ordered_rows(runs["no_drift"], late)
    # Drift only acts late in the timeline: who the leads are does not change.
    people = "(select distinct id, email, title, created_date from salesforce.lead)"
    assert ordered_rows(runs["a"], people) == ordered_rows(runs["no_drift"], people)


def test_contract_tables_have_contract_columns_and_types(history_con: duckdb.DuckDBPyConnection) -> None:
    expected = contract()
    assert len(expected) >= 16
    for table, columns in expected.items():
        actual = columns_of(history_con, table)
        assert [column for column in actual if column in columns] == columns, table  # all there, in order
        extras = {name for name, _ in actual} - {name for name, _ in columns}
        allowed = {"_fivetran_synced"} if table.startswith("salesforce.") else set()
        allowed |= {"product_interest__c", "last_modified_date"} if table == "salesforce.lead" else set()
        assert extras <= allowed, table
    lead = columns_of(history_con, "salesforce.lead")
    for column in (("_fivetran_synced", "TIMESTAMP"), ("product_interest__c", "VARCHAR"),
                   ("last_modified_date", "TIMESTAMP")):
        assert column in lead
    # the optional field history, as the data contract has it
    assert columns_of(history_con, "salesforce.lead_history") == [
        ("id", "VARCHAR"), ("lead_id", "VARCHAR"), ("field", "VARCHAR"), ("old_value", "VARCHAR"),
        ("new_value", "VARCHAR"), ("created_date", "TIMESTAMP"), ("is_deleted", "BOOLEAN"),
        ("_fivetran_synced", "TIMESTAMP")]


def test_every_table_has_rows(history_con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES:
        assert scalar(history_con, f"select count(*) from {table}") > 0, table


def test_nothing_happens_after_the_end_date(history_con: duckdb.DuckDBPyConnection) -> None:
    end = f"date '{END_DATE.isoformat()}'"
    for table, columns in TABLES.items():
        if table.startswith("truth."):
            continue
        for column, column_type in columns:
            if column_type not in ("TIMESTAMP", "DATE"):
                continue
            where = "not is_closed" if (table, column) == ("salesforce.opportunity", "close_date") else "true"
            # An open deal's close_date is its expected close date and may lie ahead.
            late = scalar(history_con, f'select count(*) from {table} where "{column}" >= {end} and not ({where})')
            assert late == 0, f"{table}.{column}"
    assert scalar(history_con, f"select count(*) from salesforce.opportunity where close_date < {end} "
                               "and not is_closed") == 0
    assert scalar(history_con, f"select max(as_of_date) <= {end} from truth.lead_conversion_probability")


def test_leads_and_conversions_are_consistent(con: duckdb.DuckDBPyConnection) -> None:
    leads = con.sql("select distinct * exclude (_fivetran_synced) from salesforce.lead").df()
    assert leads["id"].is_unique  # duplicate rows differ only in _fivetran_synced
    assert scalar(con, "select count(*) from salesforce.lead") > len(leads)
    assert set(leads["status"]) == {"Open", "Working", "Nurturing", "Unqualified", "Converted"}
    converted = leads[leads["is_converted"]]
    assert (converted["status"] == "Converted").all()
    assert converted["converted_opportunity_id"].notna().all() and converted["converted_contact_id"].notna().all()
    assert leads.loc[~leads["is_converted"], "converted_date"].isna().all()
    orphans = scalar(con, """
        select count(*) from (select distinct converted_opportunity_id as id from salesforce.lead
                              where is_converted) as l
        anti join salesforce.opportunity as o using (id)""")
    assert orphans == 0
    same_person = scalar(con, """
        select count(*) from (select lower(email) as email from (select distinct id, email from salesforce.lead)
                              group by 1 having count(distinct email) > 1)""")
    assert same_person > 0  # the same person typed in twice, in another case
    # A rep's first touch moves a lead from Open to Working: Open leads have no sales touch, the others have one.
    touched = con.sql(SALES_TOUCHED).df().merge(leads[["id", "status"]], on="id")
    assert not touched.loc[touched["status"] == "Open", "is_touched"].any()
    assert touched.loc[touched["status"].isin(["Working", "Nurturing", "Unqualified"]), "is_touched"].all()
    assert 0.4 <= touched["is_touched"].mean() <= 0.75
    assert 0.05 <= touched.loc[touched["is_touched"], "is_converted"].mean() <= 0.3


def test_reps_work_leads_by_routing_points() -> None:
    world, _, sim = chunk_world(3000, 5)
    routing, cfg = sim.routing, world.cfg
    eligible = ~sim.personas.is_duplicate  # a duplicate person is never worked
    points, worked = routing.points[eligible], routing.worked[eligible]
    assert points[worked].mean() > points[~worked].mean() + 10
    above = points >= cfg.routing_bar
    assert worked[above].mean() > 0.75 and worked[~above].mean() < 0.15  # below the bar: mostly passed over
    # the more points, the sooner the first touch
    delay, worked_points = routing.work_offset[routing.worked], routing.points[routing.worked]
    assert delay[worked_points >= cfg.routing_bar + 20].mean() < delay[worked_points < cfg.routing_bar + 10].mean()
    # a demo request is worth a rep's call
    assert routing.worked[routing.demo_form].mean() > 0.9 > routing.worked[~routing.demo_form].mean()


def test_reps_pick_leads_by_what_the_lead_shows(con: duckdb.DuckDBPyConnection) -> None:
    by_source = con.sql(f"select lead_source, avg(is_touched::int) as touched from ({SALES_TOUCHED}) group by 1").df()
    touched = dict(zip(by_source["lead_source"], by_source["touched"]))
    assert touched["Outbound"] > 0.9  # reps' own prospecting
    assert touched["List Import"] < touched["Web"] < touched["Outbound"]
    demo = con.sql(f"""
        with demo_leads as (
            select distinct lower(i.email) as email from segment.tracks as t
            inner join segment.identifies as i on i.user_id = t.user_id and i.timestamp = t.timestamp
            where t.event = 'demo_requested'),
        leads as (select distinct id, lower(email) as email from salesforce.lead)
        select demo_leads.email is not null as requested_demo, avg(touched.is_touched::int) as touched, count(*) as n
        from leads
        left join demo_leads using (email)
        inner join ({SALES_TOUCHED}) as touched using (id)
        group by 1""").df().set_index("requested_demo")
    assert demo.loc[True, "n"] > 5 and demo.loc[True, "touched"] > demo.loc[False, "touched"] + 0.2


def test_lead_history_records_every_status_change(history_con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(history_con, "select count(*) from salesforce.lead_history where field = 'created'") == LEADS
    chains = history_con.sql("""
        with changes as (
            select lead_id, old_value, new_value, created_date,
                lag(new_value) over (partition by lead_id order by created_date) as previous,
                row_number() over (partition by lead_id order by created_date desc) as from_last
            from salesforce.lead_history where field = 'Status'),
        leads as (select distinct id, status, converted_date from salesforce.lead)
        select
            count(*) filter (where coalesce(previous, 'Open') <> old_value) as broken_links,
            count(*) filter (where from_last = 1 and new_value <> status) as wrong_last,
            count(*) filter (where new_value = 'Converted' and created_date::date <> converted_date) as wrong_dates,
            (select count(*) from leads anti join changes on changes.lead_id = leads.id
             where leads.status <> 'Open') as closed_without_history,
            count(*) filter (where new_value = 'Unqualified') as disqualified
        from changes inner join leads on leads.id = changes.lead_id""").df().iloc[0]
    assert chains["broken_links"] == 0 and chains["wrong_last"] == 0 and chains["wrong_dates"] == 0
    assert chains["closed_without_history"] == 0 and chains["disqualified"] > 20
    # a rep's first touch is a task logged on the lead that day
    untouched = scalar(history_con, """
        select count(*) from salesforce.lead_history as h
        where h.new_value = 'Working' and not exists (
            select 1 from salesforce.task as t
            where t.who_id = h.lead_id and t.activity_date = h.created_date::date)""")
    assert untouched == 0
    assert scalar(history_con, "select bool_or(is_deleted) from salesforce.lead_history") is False


def test_last_modified_date_is_the_close_or_a_later_change(history_con: duckdb.DuckDBPyConnection) -> None:
    frame = history_con.sql("""
        with closes as (
            select lead_id, min(created_date) as closed_at from salesforce.lead_history
            where new_value in ('Converted', 'Unqualified') group by 1),
        changes as (select lead_id, max(created_date) as changed_at from salesforce.lead_history group by 1)
        select l.status, l.created_date, l.last_modified_date, l._fivetran_synced, closes.closed_at,
            changes.changed_at, l.is_converted
        from salesforce.lead as l
        left join closes on closes.lead_id = l.id
        left join changes on changes.lead_id = l.id""").df()
    assert (frame["last_modified_date"] <= frame["_fivetran_synced"]).all()
    assert (frame["last_modified_date"] >= frame["changed_at"]).all()  # never before the last status change
    closed = frame[frame["status"].isin(["Converted", "Unqualified"])]
    last_close = closed["changed_at"]  # a disqualified lead may convert later through self-serve
    assert (closed["last_modified_date"] == last_close).mean() > 0.5
    assert 0.05 < (closed["last_modified_date"] > last_close).mean() < 0.5  # admin mass updates


def test_enrichment_is_refreshed_in_place(con: duckdb.DuckDBPyConnection) -> None:
    days_ago = con.sql(f"select date '{END_DATE.isoformat()}' - enriched_at::date as days_ago "
                       "from signals.company_enrichment").df()["days_ago"]
    assert days_ago.min() >= 1 and days_ago.max() <= 366
    assert days_ago.median() < 60 and (days_ago <= 180).mean() > 0.8


@pytest.fixture(scope="module")
def calibration_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("calibration") / "raw.duckdb"
    main(["--leads", str(CALIBRATION_LEADS), "--seed", "11", "--db", str(db), "--end-date", END_DATE.isoformat()])
    return db


def test_unworked_leads_rarely_convert_but_do(calibration_db: Path) -> None:
    with duckdb.connect(str(calibration_db), read_only=True) as connection:
        frame = connection.sql(SALES_TOUCHED).df()
    unworked, worked = frame[~frame["is_touched"]], frame[frame["is_touched"]]
    assert len(unworked) > 1000 and unworked["is_converted"].sum() >= 5
    assert unworked["is_converted"].mean() < 0.2 * worked["is_converted"].mean()


def test_some_opportunity_amounts_are_missing(calibration_db: Path) -> None:
    with duckdb.connect(str(calibration_db), read_only=True) as connection:
        share, deals = connection.sql(
            "select avg((amount is null)::int), count(*) from salesforce.opportunity").fetchall()[0]
    assert deals > 200 and 0.15 <= share <= 0.35


def test_the_first_quarter_has_few_conversions_and_wins(calibration_db: Path) -> None:
    with duckdb.connect(str(calibration_db), read_only=True) as connection:
        start = scalar(connection, "select start_date from truth.generator_run")
        quarters = connection.sql(f"""
            with leads as (select distinct id, converted_date, converted_opportunity_id from salesforce.lead)
            select
                (l.converted_date - date '{start.isoformat()}') // 91 as quarter,
                count(*) as conversions,
                count(*) filter (where o.is_won and (o.close_date - date '{start.isoformat()}') // 91 = 0) as q1_wins
            from leads as l inner join salesforce.opportunity as o on o.id = l.converted_opportunity_id
            group by 1 order by 1""").df().set_index("quarter")
    later = quarters.loc[2:7, "conversions"].mean()
    assert later > 30 and quarters.loc[0, "conversions"] < 0.15 * later
    assert quarters["q1_wins"].sum() <= 2


def test_truth_probabilities(con: duckdb.DuckDBPyConnection) -> None:
    for column in ("true_probability", "realized_path_probability"):
        assert scalar(con, f"select min({column}) >= 0 and max({column}) <= 1 and count({column}) = count(*) "
                           "from truth.lead_conversion_probability"), column
    assert scalar(con, "select count(distinct lead_id) from truth.lead_conversion_probability") >= 0.9 * LEADS
    assert scalar(con, "select count(*) from truth.lead_conversion_probability as t "
                       "anti join (select distinct id from salesforce.lead) as l on l.id = t.lead_id") == 0
    assert scalar(con, f"select bool_and(extract(isodow from as_of_date) = 1 or as_of_date = date '{END_DATE}') "
                       "from truth.lead_conversion_probability")
    labelled = con.sql(LABELLED_SNAPSHOTS).df()
    positives = labelled.loc[labelled["converted"], "true_probability"]
    negatives = labelled.loc[~labelled["converted"], "true_probability"]
    assert len(positives) > 10
    assert positives.mean() > 2 * negatives.mean()
    assert np.isclose(labelled["true_probability"].mean(), labelled["converted"].mean(), rtol=0.5)
    # The honest truth averages over futures the realized path has already picked.
    assert (labelled["true_probability"] != labelled["realized_path_probability"]).mean() > 0.5
    run_row = con.sql("select seed, leads, end_date, months, drift, truth_draws from truth.generator_run").fetchall()
    assert run_row == [(42, LEADS, END_DATE, 24, True, truth.DEFAULT_TRUTH_DRAWS)]
    assert "realized_path_probability" in scalar(con, "select truth_definition from truth.generator_run")


def test_truth_covers_every_lead_open_at_each_grid_date(history_con: duckdb.DuckDBPyConnection) -> None:
    # The package snapshots leads every 7 days on a grid anchored on Monday 2000-01-03 while they are open, and
    # scores every lead open at the end date: the truth has exactly those rows, never-worked leads included.
    end = f"date '{END_DATE.isoformat()}'"
    compared = history_con.sql(f"""
        with leads as (select distinct id, created_date, converted_date from salesforce.lead),
        disqualified as (
            select lead_id, min(created_date)::date as on_date from salesforce.lead_history
            where new_value = 'Unqualified' group by 1),
        open_until as (
            select id as lead_id, created_date::date as created,
                least(coalesce(converted_date, {end}), coalesce(disqualified.on_date, {end}), {end}) as until
            from leads left join disqualified on disqualified.lead_id = leads.id),
        grid as (select unnest(generate_series(date '2000-01-03', {end}, interval 7 day))::date as as_of_date),
        expected as (
            select lead_id, as_of_date from open_until inner join grid on as_of_date > created and as_of_date <= until
            union
            select lead_id, {end} from open_until where until = {end} and created < {end})
        select
            (select count(*) from expected) as expected,
            (select count(*) from expected anti join truth.lead_conversion_probability using (lead_id, as_of_date))
                as missing,
            (select count(*) from truth.lead_conversion_probability anti join expected using (lead_id, as_of_date))
                as extra""").df().iloc[0]
    assert compared["expected"] > 10 * LEADS and compared["missing"] == 0 and compared["extra"] == 0
    by_touch = history_con.sql(f"""
        select touched.is_touched, avg(t.true_probability) as truth, count(distinct t.lead_id) as leads
        from truth.lead_conversion_probability as t inner join ({SALES_TOUCHED}) as touched on touched.id = t.lead_id
        where t.as_of_date = {end} group by 1""").df().set_index("is_touched")
    assert by_touch.loc[False, "leads"] > 50  # never-worked leads open at the scoring date have a truth
    assert by_touch.loc[False, "truth"] < 0.5 * by_touch.loc[True, "truth"]


@pytest.fixture(scope="module")
def calibration_run(calibration_db: Path):
    with duckdb.connect(str(calibration_db), read_only=True) as connection:
        return connection.sql(LABELLED_SNAPSHOTS).df()


def clustered_gap(frame, column: str) -> tuple[float, float]:
    """Mean of (label - probability) and its standard error with leads as clusters (a lead's overlapping
    weekly windows share one conversion)."""
    residual = frame["converted"].astype(float) - frame[column]
    per_lead = residual.groupby(frame["lead_id"]).sum()
    return residual.mean(), float(np.sqrt((per_lead ** 2).sum())) / len(frame)


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    order = np.argsort(scores, kind="mergesort")
    _, inverse, counts = np.unique(scores[order], return_inverse=True, return_counts=True)
    ranks = np.empty(len(scores))
    ranks[order] = (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]
    positives = labels.sum()
    return (ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * (len(labels) - positives))


@pytest.mark.parametrize("column", ["true_probability", "realized_path_probability"])
def test_truth_is_calibrated_by_decile(calibration_run, column: str) -> None:
    frame = calibration_run
    assert frame["converted"].sum() > 1000
    gap, error = clustered_gap(frame, column)
    assert abs(gap) < 4 * error and abs(gap) < 0.1 * frame["converted"].mean(), (gap, error)
    decile = np.minimum((frame[column].rank(method="first") - 1) * 10 // len(frame), 9).astype(int)
    for d in range(10):
        part = frame[decile == d]
        gap, error = clustered_gap(part, column)
        assert abs(gap) < 4 * error + 0.001, (d, part[column].mean(), part["converted"].mean(), error)


def test_honest_truth_is_less_sharp_than_the_realized_path(calibration_run) -> None:
    labels = calibration_run["converted"].to_numpy()
    honest = auc(labels, calibration_run["true_probability"].to_numpy())
    realized = auc(labels, calibration_run["realized_path_probability"].to_numpy())
    assert 0.75 < honest < realized, (honest, realized)


def test_without_randomness_ahead_the_honest_truth_is_the_realized_path(tmp_path: Path) -> None:
    # No buying episodes, no trials and no committee effect: nothing after t can change the hazard, so the
    # expectation over futures must reproduce the realized-path probability (no Monte Carlo noise).
    cfg = dataclasses.replace(GeneratorConfig(), episode_count_shares=(1.0, 0.0, 0.0), beta_committee=0.0,
                              trial_logit=(-40.0, 0.9, 0.8, 0.5), unqualified_intercept=-40.0)
    db = tmp_path / "still.duckdb"
    run(RunParams(leads=600, seed=5, db=db, end_date=END_DATE), cfg)
    with duckdb.connect(str(db), read_only=True) as connection:
        frame = connection.sql("select true_probability, realized_path_probability "
                               "from truth.lead_conversion_probability").df()
    assert len(frame) > 5000
    np.testing.assert_allclose(frame["true_probability"], frame["realized_path_probability"], rtol=1e-6, atol=1e-12)


def chunk_world(leads: int, seed: int):
    """World, first chunk bounds and that chunk's simulation, as the pipeline draws them."""
    params = RunParams(leads=leads, seed=seed, end_date=END_DATE)
    world = make_world(params, GeneratorConfig())
    bounds = chunk_bounds(world.accounts, world.chunk_leads)[0]
    sim = simulate_leads(world, bounds[2], bounds[3], chunk_streams(seed, 0), IdCounters())
    return world, bounds, sim


def both_truths(world, lead_start: int, accounts, personas, events, trials, routing, row, day):
    """(honest, realized-path) probabilities of snapshots in a world given as arrays."""
    cfg, horizon = world.cfg, world.horizon
    level, in_market = activity.activity_grid(personas, accounts, horizon, cfg)
    committee = activity.committee_engagement(personas, accounts, lead_start, activity.engaged_day(personas, events),
                                              horizon)
    depth = activity.counts_to_date(trials.row, trials.offset, personas.n, horizon)
    terms = outcomes.log_hazard_terms(personas, accounts, cfg)
    work = outcomes.work_log_factor(horizon, routing.work_offset, routing.stop_offset, cfg)
    hazard = outcomes.daily_hazard(terms, personas.created_day, level, in_market, committee, depth,
                                   world.drift_by_day, world.ramp_by_day, work, cfg)
    realized = outcomes.realized_path_probability(np.cumsum(hazard, axis=1), personas.created_day, row, day)
    inputs = truth_inputs(world, lead_start, personas, events, trials, terms, routing)
    inputs = dataclasses.replace(inputs, accounts=accounts)
    return truth.honest_probability(inputs, row, day, cfg, batch_rows=1500), realized


def test_honest_truth_never_uses_the_future() -> None:
    world, bounds, sim = chunk_world(1500, 3)
    lead_start = bounds[2]
    p, accounts, n_days = sim.personas, world.accounts, world.timeline.n_days
    row, day = sim.truth.row, sim.truth.as_of_day
    cut = n_days // 2  # the two worlds agree on everything before this day
    honest_a, realized_a = both_truths(world, lead_start, accounts, p, sim.events, sim.trials, sim.routing, row, day)
    np.testing.assert_array_equal(realized_a, sim.truth.realized_path_probability)
    np.testing.assert_array_equal(honest_a, sim.truth.probability)

    # World B: other buying episodes from the cut on (moved, dropped, new ones), other people created from the
    # cut on, and other events and trials from the cut on.
    rng = np.random.default_rng(0)
    later = accounts.episode_start >= cut
    start = np.where(later, rng.uniform(cut, n_days, later.shape), accounts.episode_start).astype(np.float32)
    amplitude = np.where(later, rng.uniform(0.6, 1.4, later.shape) * (rng.random(later.shape) < 0.7),
                         accounts.episode_amplitude).astype(np.float32)
    accounts_b = dataclasses.replace(accounts, episode_start=start, episode_amplitude=amplitude)
    newcomer = p.created_day >= cut
    personas_b = dataclasses.replace(p, interest=np.where(newcomer, p.interest + 1.5, p.interest),
                                     evaluation=np.where(newcomer, -p.evaluation, p.evaluation))
    ev = sim.events
    kept = p.created_day[ev.row] + ev.offset < cut
    extra = rng.integers(0, p.n, 3000)
    extra_offset = np.maximum(cut - p.created_day[extra], 0) + rng.integers(0, 120, 3000)
    inside = extra_offset < world.horizon
    events_b = activity.CurveEvents(row=np.concatenate([ev.row[kept], extra[inside]]),
                                    kind=np.concatenate([ev.kind[kept], np.full(inside.sum(), 0)]),
                                    offset=np.concatenate([ev.offset[kept], extra_offset[inside]]))
    tr = sim.trials
    kept = p.created_day[tr.row] + tr.offset < cut
    no_trial = np.setdiff1d(np.arange(p.n), tr.row)[::3]
    signup = np.maximum(cut - p.created_day[no_trial], 0) + 5
    trials_b = activity.TrialEvents(row=np.concatenate([tr.row[kept], no_trial]),
                                    offset=np.concatenate([tr.offset[kept], signup]),
                                    name=np.concatenate([tr.name[kept], np.zeros(len(no_trial), dtype=np.int64)]))
    honest_b, realized_b = both_truths(world, lead_start, accounts_b, personas_b, events_b, trials_b, sim.routing,
                                       row, day)

    before = day <= cut
    straddling = before & (day + 90 > cut)  # windows reaching into the changed future
    assert straddling.sum() > 3000
    np.testing.assert_array_equal(honest_a[before], honest_b[before])
    # ... while the old oracle saw the different futures, and so does the honest truth once they are past.
    assert (np.abs(realized_a[straddling] - realized_b[straddling]) > 1e-9).mean() > 0.5
    assert (np.abs(honest_a[~before] - honest_b[~before]) > 1e-9).mean() > 0.5


def test_honest_truth_is_the_expected_realized_path() -> None:
    # Given the world at t, the realized-path probability is a draw whose expectation is the honest truth, so
    # in any group of snapshots chosen by the past (deciles of the honest truth) their means agree. The realized
    # path is much less noisy than conversions, so this checks the integration over futures tightly.
    _, _, sim = chunk_world(4000, 11)
    honest, realized = sim.truth.probability, sim.truth.realized_path_probability
    account = sim.personas.account[sim.truth.row]  # an account's snapshots share its future: cluster on it
    decile = np.minimum(np.argsort(np.argsort(honest, kind="stable")) * 10 // len(honest), 9)
    for d in range(10):
        part = decile == d
        residual = (realized - honest)[part]
        error = np.sqrt((np.bincount(account[part], weights=residual) ** 2).sum()) / part.sum()
        assert abs(residual.mean()) < 4 * error + 0.02 * honest[part].mean(), (d, honest[part].mean(),
                                                                               realized[part].mean(), error)
    # Snapshots whose review lies ahead inside the window average over the review's outcome, which the realized
    # path has drawn: disqualified paths fall below the truth, kept ones above, and the means agree.
    row, day = sim.truth.row, sim.truth.as_of_day
    review_day = sim.personas.created_day[row] + sim.routing.review_offset[row]
    pending = sim.routing.worked[row] & (review_day >= day) & (review_day < day + 89)
    assert pending.sum() > 2000
    disqualified = sim.routing.disqualify[row]
    residual = (realized - honest)[pending]
    error = np.sqrt((np.bincount(account[pending], weights=residual) ** 2).sum()) / pending.sum()
    assert abs(residual.mean()) < 4 * error + 0.02 * honest[pending].mean()
    assert realized[pending & disqualified].mean() < honest[pending & disqualified].mean()
    assert realized[pending & ~disqualified].mean() > honest[pending & ~disqualified].mean()


def test_engaged_event_rate_matches_the_event_mix() -> None:
    world, _, sim = chunk_world(600, 2)
    p = sim.personas
    rates = activity.curve_event_rates(p, sim.routing.worked, world.cfg)[:, list(activity.ENGAGED_KINDS)].sum(axis=1)
    mine = truth.engaged_event_rate(p.interest, p.evaluation, p.is_technical, p.authority, world.cfg)
    np.testing.assert_allclose(mine[~p.is_duplicate], rates[~p.is_duplicate], rtol=1e-12)


def test_truth_does_not_depend_on_batching() -> None:
    world, bounds, sim = chunk_world(800, 9)
    inputs = truth_inputs(world, bounds[2], sim.personas, sim.events, sim.trials,
                          outcomes.log_hazard_terms(sim.personas, world.accounts, world.cfg), sim.routing)
    row, day = sim.truth.row, sim.truth.as_of_day
    whole = truth.honest_probability(inputs, row, day, world.cfg, draws=16, batch_rows=100_000)
    small = truth.honest_probability(inputs, row[::-1], day[::-1], world.cfg, draws=16, batch_rows=300)[::-1]
    np.testing.assert_array_equal(whole, small)


def test_truth_draws_option(tmp_path: Path) -> None:
    db = tmp_path / "draws.duckdb"
    main(["--leads", "80", "--seed", "4", "--db", str(db), "--truth-draws", "8"])
    with duckdb.connect(str(db), read_only=True) as connection:
        assert scalar(connection, "select truth_draws from truth.generator_run") == 8
    with pytest.raises(SystemExit):
        main(["--leads", "80", "--db", str(db), "--truth-draws", "4"])


def test_no_truth_option_changes_nothing_but_the_honest_truth(tmp_path: Path) -> None:
    with_truth, without = tmp_path / "with_honest.duckdb", tmp_path / "without_honest.duckdb"
    main(["--leads", "80", "--seed", "4", "--db", str(with_truth)])
    main(["--leads", "80", "--seed", "4", "--db", str(without), "--no-truth"])
    for table in REQUIRED_TABLES:
        if table.startswith("truth."):
            continue
        assert ordered_rows(with_truth, table) == ordered_rows(without, table), table
    kept = "lead_id, as_of_date, is_worked, realized_path_probability"
    with duckdb.connect(str(without), read_only=True) as connection:
        assert scalar(connection, "select count(true_probability) from truth.lead_conversion_probability") == 0
        assert scalar(connection, "select truth_draws from truth.generator_run") == 0
        rows_without = connection.sql(f"select {kept} from truth.lead_conversion_probability order by all").fetchall()
    with duckdb.connect(str(with_truth), read_only=True) as connection:
        assert rows_without == connection.sql(
            f"select {kept} from truth.lead_conversion_probability order by all").fetchall()


def test_identify_links(con: duckdb.DuckDBPyConnection) -> None:
    unlinked = scalar(con, """
        select count(*) from segment.pages as p
        where p.user_id is not null and not exists (
            select 1 from segment.identifies as i
            where i.anonymous_id = p.anonymous_id and i.user_id = p.user_id and i.timestamp <= p.timestamp)""")
    assert unlinked == 0
    form_leads_without_identify = scalar(con, f"""
        select count(*) from (select distinct id, email, created_date, lead_source from salesforce.lead) as l
        where l.lead_source in {WEB_FORM_SOURCES} and not exists (
            select 1 from segment.identifies as i
            where lower(i.email) = lower(l.email) and i.timestamp = l.created_date)""")
    assert form_leads_without_identify == 0
    assert scalar(con, "select count(*) filter (where user_id is null) > 0 from segment.pages")
    assert scalar(con, "select count(distinct user_id) < count(distinct anonymous_id) from segment.identifies")
    assert scalar(con, "select bool_and(user_id like 'u\\_%' escape '\\') from segment.identifies")
