"""Whole builds, run the way a team runs them: first build, an unchanged rebuild, then one lead's new activity.

Checks the registry is reused (no new row without retrain), the rebuild gives identical scores and an empty CRM
sync, and one lead's new web activity sends exactly that lead to the CRM.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dbt_helpers import generate, run_dbt

pytestmark = pytest.mark.integration  # runs dbt builds


def query(db_path: Path, sql: str) -> pd.DataFrame:
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        return connection.sql(sql).df()
    finally:
        connection.close()


def count(db_path: Path, table: str) -> int:
    return int(query(db_path, f"select count(*) as n from analytics.{table}")["n"].iloc[0])


def add_buying_activity(db_path: Path, lead_id: str) -> None:
    """Give one identified lead a burst of pricing views and a demo request just before the latest event."""
    connection = duckdb.connect(str(db_path))
    try:
        connection.execute(
            """
            create temp table target as
            select identifies.user_id, identifies.anonymous_id,
                   (select max("timestamp") from segment.pages) - interval 2 hour as at_time
            from salesforce.lead
            inner join segment.identifies on lower(trim(identifies.email)) = lower(trim(lead.email))
            where lead.id = ?
            limit 1
            """,
            [lead_id],
        )
        connection.execute(
            """
            insert into segment.pages (id, anonymous_id, user_id, "timestamp", path, url, title, referrer)
            select 'test_page_' || i, anonymous_id, user_id, at_time + i * interval 1 minute, '/pricing',
                   'https://www.example-saas.com/pricing', 'Pricing', null
            from target, range(12) as steps(i)
            """
        )
        connection.execute(
            """
            insert into segment.tracks (id, anonymous_id, user_id, "timestamp", event)
            select 'test_demo_request', anonymous_id, user_id, at_time + interval 30 minute, 'demo_requested'
            from target
            """
        )
    finally:
        connection.close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work_dir = tmp_path_factory.mktemp("scoring_runs")
    db_path = work_dir / "warehouse.duckdb"
    generate(db_path, leads=2500, seed=5)
    run_dbt(["build"], db_path, work_dir)
    return db_path, work_dir


def test_first_build_trains_once_and_syncs_every_open_lead(warehouse):
    db_path, _ = warehouse
    registry = query(db_path, "select status, is_promoted from analytics.ml_model_registry")
    assert list(registry["status"]) == ["trained"] and bool(registry["is_promoted"].iloc[0])
    assert count(db_path, "crm_lead_score_sync") == count(db_path, "lead_scores") > 100


def test_unchanged_rebuild_reuses_the_model_and_syncs_nothing(warehouse):
    db_path, work_dir = warehouse
    before = query(db_path, "select * exclude (scored_at) from analytics.lead_scores order by lead_id")
    history_rows = count(db_path, "lead_score_history")
    run_dbt(["build"], db_path, work_dir)
    after = query(db_path, "select * exclude (scored_at) from analytics.lead_scores order by lead_id")
    assert count(db_path, "ml_model_registry") == 1
    pd.testing.assert_frame_equal(before, after)
    assert count(db_path, "crm_lead_score_sync") == 0
    assert count(db_path, "lead_score_history") == history_rows


def test_one_leads_new_activity_syncs_exactly_that_lead(warehouse):
    db_path, work_dir = warehouse
    # a lead alone at its company, so no colleague's account-level features move with it
    candidates = query(
        db_path,
        """
        select scores.lead_id, scores.lead_score
        from analytics.lead_scores as scores
        inner join analytics.int_open_leads_to_score as features using (lead_id)
        inner join analytics.stg_salesforce__leads as leads using (lead_id)
        inner join (select lower(trim(email)) as email from segment.identifies group by 1) as identified
            on identified.email = leads.email
        where features.account_known_leads = 1 and scores.priority_band in ('C', 'D')
        order by scores.lead_id
        limit 1
        """,
    )
    lead_id = candidates["lead_id"].iloc[0]
    previous_score = int(candidates["lead_score"].iloc[0])
    as_of_before = query(db_path, "select scoring_as_of_date from analytics.int_run_dates").iloc[0, 0]
    add_buying_activity(db_path, lead_id)
    run_dbt(["build"], db_path, work_dir)
    assert query(db_path, "select scoring_as_of_date from analytics.int_run_dates").iloc[0, 0] == as_of_before
    synced = query(db_path, "select id, ai_lead_score__c from analytics.crm_lead_score_sync")
    assert list(synced["id"]) == [lead_id]
    assert int(synced["ai_lead_score__c"].iloc[0]) != previous_score
