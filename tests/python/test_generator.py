"""Tests of the synthetic data generator (``python -m leadscore.generator``) on small runs."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pytest
import yaml

from leadscore.generator.__main__ import main
from leadscore.generator.tables import TABLES

REPO = Path(__file__).resolve().parents[2]
END_DATE = dt.date(2026, 6, 30)
LEADS = 500
GENERIC_TYPES = {"string": "VARCHAR", "timestamp": "TIMESTAMP", "date": "DATE", "boolean": "BOOLEAN",
                 "bigint": "BIGINT", "double": "DOUBLE"}
RAW_SCHEMAS = ("salesforce", "segment", "marketing", "signals", "product")
WEB_FORM_SOURCES = ("Web", "Webinar", "Paid Search")


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
    assert scalar(con, "select min(true_probability) >= 0 and max(true_probability) <= 1 "
                       "from truth.lead_conversion_probability")
    assert scalar(con, "select count(distinct lead_id) from truth.lead_conversion_probability") >= 0.9 * LEADS
    assert scalar(con, "select count(*) from truth.lead_conversion_probability as t "
                       "anti join (select distinct id from salesforce.lead) as l on l.id = t.lead_id") == 0
    assert scalar(con, "select bool_and(extract(isodow from as_of_date) = 1) from truth.lead_conversion_probability")
    labelled = con.sql(f"""
        with leads as (select distinct id, converted_date from salesforce.lead)
        select
            t.true_probability,
            coalesce(l.converted_date >= t.as_of_date and l.converted_date < t.as_of_date + 90, false) as converted
        from truth.lead_conversion_probability as t
        inner join leads as l on l.id = t.lead_id
        where t.is_worked and t.as_of_date <= date '{END_DATE.isoformat()}' - 90
    """).df()
    positives = labelled.loc[labelled["converted"], "true_probability"]
    negatives = labelled.loc[~labelled["converted"], "true_probability"]
    assert len(positives) > 10
    assert positives.mean() > 2 * negatives.mean()
    assert np.isclose(labelled["true_probability"].mean(), labelled["converted"].mean(), rtol=0.5)
    run = con.sql("select seed, leads, end_date, months, drift from truth.generator_run").fetchall()
    assert run == [(42, LEADS, END_DATE, 24, True)]


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
