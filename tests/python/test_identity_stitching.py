"""Identity stitching end to end: a hand-made raw dataset, one dbt build, assertions on the stitched events.

Every raw contract table is created from the sources ymls (so the test follows the contract), empty unless
the case needs rows. One person (Ann) is in the CRM twice; her cookie browses before she identifies. Bob types
his email in mixed case. A stranger never identifies.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import yaml

from dbt_helpers import REPO_ROOT, run_dbt

pytestmark = pytest.mark.integration  # runs dbt builds

CONTRACT_TYPES = {
    "string": "varchar",
    "timestamp": "timestamp",
    "date": "date",
    "boolean": "boolean",
    "bigint": "bigint",
    "double": "double",
}

ANN_IDENTIFIED_AT = datetime(2024, 3, 10, 12, 0)

RAW_ROWS = {
    ("salesforce", "lead"): [
        {"id": "lead_ann", "email": "Ann.Lee@Acme.com", "created_date": datetime(2024, 2, 1), "is_deleted": False},
        {"id": "lead_ann_again", "email": "ann.lee@acme.com", "created_date": datetime(2024, 3, 15)},
        {"id": "lead_bob", "email": "BOB@Beta.io", "created_date": datetime(2024, 2, 1)},
    ],
    ("segment", "identifies"): [
        {
            "id": "identify_ann",
            "anonymous_id": "cookie_ann",
            "user_id": "user_ann",
            "email": "ann.lee@acme.com",
            "timestamp": ANN_IDENTIFIED_AT,
        },
        {
            "id": "identify_bob",
            "anonymous_id": "cookie_bob",
            "user_id": None,
            "email": " Bob@BETA.io ",
            "timestamp": datetime(2024, 3, 5, 8, 0),
        },
    ],
    ("segment", "pages"): [
        # Ann browses anonymously before she identifies ...
        {"id": "page_ann_before", "anonymous_id": "cookie_ann", "timestamp": datetime(2024, 3, 1, 9, 0), "path": "/pricing"},
        # ... and after, when the page carries both her cookie and her user id.
        {
            "id": "page_ann_after",
            "anonymous_id": "cookie_ann",
            "user_id": "user_ann",
            "timestamp": datetime(2024, 3, 11, 9, 0),
            "path": "/Docs/Start/",
        },
        {"id": "page_stranger", "anonymous_id": "cookie_stranger", "timestamp": datetime(2024, 3, 2, 9, 0), "path": "/"},
        {"id": "page_bob", "anonymous_id": "cookie_bob", "timestamp": datetime(2024, 3, 6, 9, 0), "path": "/blog/x"},
    ],
    ("segment", "tracks"): [
        {
            "id": "track_ann_demo",
            "anonymous_id": "cookie_ann",
            "user_id": "user_ann",
            "timestamp": datetime(2024, 3, 12, 9, 0),
            "event": "demo_requested",
        },
        {"id": "track_stranger", "anonymous_id": "cookie_stranger", "timestamp": datetime(2024, 3, 2, 9, 5), "event": "x"},
    ],
}


def contract_tables() -> dict[tuple[str, str], dict[str, str]]:
    """Every raw table of the contract: (schema, table) -> {column: duckdb type}, read from the sources ymls."""
    tables = {}
    for sources_yml in sorted((REPO_ROOT / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(sources_yml.read_text())["sources"]:
            for table in source["tables"]:
                tables[(source["name"], table["name"])] = {
                    column["name"]: CONTRACT_TYPES[column["data_type"]] for column in table["columns"]
                }
    return tables


def write_raw_data(db_path: Path) -> None:
    """Create every contract table in db_path, filled with RAW_ROWS (missing columns null)."""
    connection = duckdb.connect(str(db_path))
    try:
        for (schema, table), columns in contract_tables().items():
            connection.execute(f'create schema if not exists "{schema}"')
            column_sql = ", ".join(f'"{name}" {data_type}' for name, data_type in columns.items())
            connection.execute(f'create table "{schema}"."{table}" ({column_sql})')
            for row in RAW_ROWS.get((schema, table), []):
                values = [row.get(name) for name in columns]
                placeholders = ", ".join("?" for _ in columns)
                connection.execute(f'insert into "{schema}"."{table}" values ({placeholders})', values)
    finally:
        connection.close()


@pytest.fixture(scope="module")
def stitched_events(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """Build the stitching models once on the hand-made data and return the stitched events as dicts."""
    work_dir = tmp_path_factory.mktemp("identity_stitching")
    db_path = work_dir / "warehouse.duckdb"
    write_raw_data(db_path)
    run_dbt(
        # tests whose other parent is outside the selection (e.g. leads -> accounts) are not buildable here
        ["build", "--select", "+int_web_events_stitched_to_leads", "--indirect-selection", "buildable"],
        db_path,
        work_dir,
    )

    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        relation = connection.sql("select * from analytics.int_web_events_stitched_to_leads")
        columns = relation.columns
        return [dict(zip(columns, row)) for row in relation.fetchall()]
    finally:
        connection.close()


def events_of(stitched_events: list[dict], event_id: str) -> list[dict]:
    return [event for event in stitched_events if event["event_id"] == event_id]


def test_anonymous_visits_before_identification_are_attributed_to_the_lead(stitched_events):
    leads = {event["lead_id"] for event in events_of(stitched_events, "page_ann_before")}
    assert "lead_ann" in leads


def test_anonymous_visits_are_known_from_the_identify(stitched_events):
    for event in events_of(stitched_events, "page_ann_before"):
        assert event["identified_at"] == ANN_IDENTIFIED_AT
        assert event["known_at"] == ANN_IDENTIFIED_AT


def test_visits_after_identification_are_known_when_they_happen(stitched_events):
    for event in events_of(stitched_events, "page_ann_after"):
        assert event["known_at"] == event["occurred_at"] == datetime(2024, 3, 11, 9, 0)


def test_unidentified_cookie_is_not_attributed(stitched_events):
    assert events_of(stitched_events, "page_stranger") == []
    assert events_of(stitched_events, "track_stranger") == []


def test_person_with_two_lead_ids_gets_events_on_both(stitched_events):
    for event_id in ["page_ann_before", "page_ann_after", "track_ann_demo"]:
        leads = sorted(event["lead_id"] for event in events_of(stitched_events, event_id))
        assert leads == ["lead_ann", "lead_ann_again"], event_id


def test_event_with_both_ids_mapped_is_counted_once_per_lead(stitched_events):
    for event_id in ["page_ann_after", "track_ann_demo"]:
        leads = [event["lead_id"] for event in events_of(stitched_events, event_id)]
        assert len(leads) == len(set(leads)) == 2, event_id


def test_mixed_case_emails_still_match(stitched_events):
    leads = [event["lead_id"] for event in events_of(stitched_events, "page_bob")]
    assert leads == ["lead_bob"]


def test_pages_carry_their_category_and_normalised_path(stitched_events):
    event = events_of(stitched_events, "page_ann_after")[0]
    assert (event["event_source"], event["event_name"], event["page_path"]) == ("page", "docs", "/docs/start")
    track = events_of(stitched_events, "track_ann_demo")[0]
    assert (track["event_source"], track["event_name"], track["page_path"]) == ("track", "demo_requested", None)
