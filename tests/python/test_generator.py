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
from leadscore.generator.pipeline import chunk_streams, make_world, run, simulate_leads
from leadscore.generator.records import IdCounters
from leadscore.generator.tables import TABLES

REPO = Path(__file__).resolve().parents[2]
END_DATE = dt.date(2026, 6, 30)
LEADS = 500
GENERIC_TYPES = {"string": "VARCHAR", "timestamp": "TIMESTAMP", "date": "DATE", "boolean": "BOOLEAN",
                 "bigint": "BIGINT", "double": "DOUBLE"}
RAW_SCHEMAS = ("salesforce", "segment", "marketing", "signals", "product")
WEB_FORM_SOURCES = ("Web", "Webinar", "Paid Search")
CALIBRATION_LEADS = 4000
LABELLED_SNAPSHOTS = f"""
    with leads as (select distinct id, converted_date from salesforce.lead)
    select
        t.lead_id,
        t.true_probability,
        t.realized_path_probability,
        coalesce(l.converted_date >= t.as_of_date and l.converted_date < t.as_of_date + 90, false) as converted
    from truth.lead_conversion_probability as t
    inner join leads as l on l.id = t.lead_id
    where t.is_worked and t.as_of_date <= date '{END_DATE.isoformat()}' - 90
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
            "no_drift": generate(directory, 42, "no_drift", "--no-drift")}


@pytest.fixture(scope="module")
def con(runs: dict[str, Path]) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(runs["a"]), read_only=True)
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
    for table in TABLES:
        assert ordered_rows(runs["a"], table) == ordered_rows(runs["b"], table), table


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


def test_contract_tables_have_contract_columns_and_types(con: duckdb.DuckDBPyConnection) -> None:
    expected = contract()
    assert len(expected) == 16
    for table, columns in expected.items():
        actual = columns_of(con, table)
        assert actual[:len(columns)] == columns, table
        extras = {name for name, _ in actual[len(columns):]}
        allowed = {"_fivetran_synced"} if table.startswith("salesforce.") else set()
        allowed |= {"product_interest__c"} if table == "salesforce.lead" else set()
        assert extras == allowed, table
    assert ("_fivetran_synced", "TIMESTAMP") in columns_of(con, "salesforce.lead")
    assert ("product_interest__c", "VARCHAR") in columns_of(con, "salesforce.lead")


def test_every_table_has_rows(con: duckdb.DuckDBPyConnection) -> None:
    for table in TABLES:
        assert scalar(con, f"select count(*) from {table}") > 0, table


def test_nothing_happens_after_the_end_date(con: duckdb.DuckDBPyConnection) -> None:
    end = f"date '{END_DATE.isoformat()}'"
    for table, columns in contract().items():
        for column, column_type in columns:
            if column_type not in ("TIMESTAMP", "DATE"):
                continue
            where = "not is_closed" if (table, column) == ("salesforce.opportunity", "close_date") else "true"
            # An open deal's close_date is its expected close date and may lie ahead.
            late = scalar(con, f'select count(*) from {table} where "{column}" >= {end} and not ({where})')
            assert late == 0, f"{table}.{column}"
    assert scalar(con, f"select count(*) from salesforce.opportunity where close_date < {end} and not is_closed") == 0
    assert scalar(con, f"select max(_fivetran_synced) < {end} from salesforce.lead")
    assert scalar(con, f"select max(as_of_date) <= {end} from truth.lead_conversion_probability")


def test_leads_and_conversions_are_consistent(con: duckdb.DuckDBPyConnection) -> None:
    leads = con.sql("select distinct * exclude (_fivetran_synced) from salesforce.lead").df()
    assert leads["id"].is_unique  # duplicate rows differ only in _fivetran_synced
    assert scalar(con, "select count(*) from salesforce.lead") > len(leads)
    worked = leads[leads["status"] != "Open"]
    rate = worked["is_converted"].mean()
    assert 0.05 <= rate <= 0.25, rate
    assert 0.65 <= len(worked) / len(leads) <= 0.95
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


def test_truth_probabilities(con: duckdb.DuckDBPyConnection) -> None:
    for column in ("true_probability", "realized_path_probability"):
        assert scalar(con, f"select min({column}) >= 0 and max({column}) <= 1 and count({column}) = count(*) "
                           "from truth.lead_conversion_probability"), column
    assert scalar(con, "select count(distinct lead_id) from truth.lead_conversion_probability") >= 0.9 * LEADS
    assert scalar(con, "select count(*) from truth.lead_conversion_probability as t "
                       "anti join (select distinct id from salesforce.lead) as l on l.id = t.lead_id") == 0
    assert scalar(con, "select bool_and(extract(isodow from as_of_date) = 1) from truth.lead_conversion_probability")
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


@pytest.fixture(scope="module")
def calibration_run(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("calibration") / "raw.duckdb"
    main(["--leads", str(CALIBRATION_LEADS), "--seed", "11", "--db", str(db), "--end-date", END_DATE.isoformat()])
    with duckdb.connect(str(db), read_only=True) as connection:
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
                              trial_logit=(-40.0, 0.9, 0.8, 0.5))
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
    bounds = chunk_bounds(world.accounts, world.cfg.chunk_leads)[0]
    sim = simulate_leads(world, bounds[2], bounds[3], chunk_streams(seed, 0), IdCounters())
    return world, bounds, sim


def both_truths(world, lead_start: int, accounts, personas, events, trials, row, day):
    """(honest, realized-path) probabilities of snapshots in a world given as arrays."""
    cfg = world.cfg
    level, in_market = activity.activity_grid(personas, accounts, cfg.horizon_days, cfg)
    committee = activity.committee_engagement(personas, accounts, lead_start, activity.engaged_day(personas, events),
                                              cfg.horizon_days)
    depth = activity.counts_to_date(trials.row, trials.offset, personas.n, cfg.horizon_days)
    terms = outcomes.log_hazard_terms(personas, accounts, cfg)
    hazard = outcomes.daily_hazard(terms, personas.created_day, level, in_market, committee, depth,
                                   world.drift_by_day, cfg)
    realized = outcomes.realized_path_probability(np.cumsum(hazard, axis=1), personas.created_day, row, day)
    inputs = truth.TruthInputs(personas=personas, accounts=accounts, lead_start=lead_start, events=events,
                               trials=trials, terms=terms, drift_by_day=world.drift_by_day,
                               n_days=world.timeline.n_days, seed=world.params.seed)
    return truth.honest_probability(inputs, row, day, cfg, batch_rows=1500), realized


def test_honest_truth_never_uses_the_future() -> None:
    world, bounds, sim = chunk_world(1500, 3)
    lead_start = bounds[2]
    p, accounts, n_days = sim.personas, world.accounts, world.timeline.n_days
    row, day = sim.truth.row, sim.truth.as_of_day
    cut = n_days // 2  # the two worlds agree on everything before this day
    honest_a, realized_a = both_truths(world, lead_start, accounts, p, sim.events, sim.trials, row, day)
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
    inside = extra_offset < world.cfg.horizon_days
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
    honest_b, realized_b = both_truths(world, lead_start, accounts_b, personas_b, events_b, trials_b, row, day)

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


def test_engaged_event_rate_matches_the_event_mix() -> None:
    world, _, sim = chunk_world(600, 2)
    p = sim.personas
    rates = activity.curve_event_rates(p, sim.worked, world.cfg)[:, list(activity.ENGAGED_KINDS)].sum(axis=1)
    mine = truth.engaged_event_rate(p.interest, p.evaluation, p.is_technical, p.authority, world.cfg)
    np.testing.assert_allclose(mine[~p.is_duplicate], rates[~p.is_duplicate], rtol=1e-12)


def test_truth_does_not_depend_on_batching() -> None:
    world, bounds, sim = chunk_world(800, 9)
    inputs = truth.TruthInputs(personas=sim.personas, accounts=world.accounts, lead_start=bounds[2],
                               events=sim.events, trials=sim.trials,
                               terms=outcomes.log_hazard_terms(sim.personas, world.accounts, world.cfg),
                               drift_by_day=world.drift_by_day, n_days=world.timeline.n_days, seed=9)
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
    for table in TABLES:
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
