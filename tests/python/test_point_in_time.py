"""Point-in-time correctness of the feature layer, and a build with every optional source switched off.

One generated dataset is built twice: as generated, and with every raw row after an as-of date T deleted or
changed (conversions after T undone, later web and email events rewritten to strong buying signals, later
calls rewritten to name budget and a timeline). The features of the snapshots dated T must not move, except
exactly the columns declared to take a current value from a source that overwrites in place (the feature
catalog's overwritten_sources under var overwritten_source_timing current): those must move, or the
declaration is wrong.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from dbt_helpers import REPO_ROOT, copy_warehouse, generate, run_dbt

pytestmark = pytest.mark.integration  # runs dbt builds

AS_OF = dt.date(2025, 9, 1)  # a Monday on the snapshot grid, mid-timeline
LATER = AS_OF + dt.timedelta(days=28)
SCORING_DATE = {"as_of_date": "2026-07-01"}
NOT_FEATURES = ["label", "is_label_mature", "is_never_worked", "is_scoring_row"]

REWRITE_AFTER_AS_OF = """
delete from salesforce.lead where created_date >= $t;
update salesforce.lead set is_converted = false, converted_date = null, status = 'Working',
    converted_account_id = null, converted_contact_id = null, converted_opportunity_id = null
    where converted_date >= $t;
delete from salesforce.account where created_date >= $t;
delete from salesforce.contact where created_date >= $t;
delete from salesforce.opportunity where created_date >= $t;
update salesforce.opportunity set is_closed = false, is_won = false, stage_name = 'Prospecting'
    where close_date >= $t;
delete from salesforce.task where created_date >= $t or activity_date >= $t;
delete from salesforce.campaign_member where created_date >= $t;
update salesforce.campaign_member set has_responded = false, first_responded_date = null
    where first_responded_date >= $t;
delete from salesforce.lead_score_feedback where created_date >= $t;
update segment.pages set path = '/pricing', user_id = null where "timestamp" >= $t;
update segment.tracks set event = 'demo_requested' where "timestamp" >= $t;
delete from segment.identifies where "timestamp" >= $t;
update marketing.email_events set event_type = 'click' where occurred_at >= $t;
delete from signals.company_enrichment where enriched_at >= $t;
delete from signals.intent_surge where week_start_date + 7 > $t;
delete from product.trial_events where occurred_at >= $t;
update product.call_transcripts
    set transcript = 'we have budget approved this quarter, our manual process keeps breaking'
    where started_at >= $t;
"""


def current_value_features() -> list[str]:
    """The features declared to take today's value of a source that overwrites in place (catalog + var)."""
    project = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text())
    timing = project["vars"]["overwritten_source_timing"]
    current = {source for source, how in timing.items() if how == "current"}
    catalog = pd.read_csv(REPO_ROOT / "seeds" / "feature_catalog.csv", keep_default_na=False)
    declared = catalog["overwritten_sources"].str.split().apply(lambda sources: bool(current & set(sources)))
    return sorted(catalog.loc[declared, "feature_name"])


def rewrite_history_after(db_path: Path, as_of: dt.date) -> None:
    """Delete or change every raw row stamped at or after as_of."""
    connection = duckdb.connect(str(db_path))
    try:
        for statement in filter(str.strip, REWRITE_AFTER_AS_OF.split(";")):
            connection.execute(statement.replace("$t", f"timestamp '{as_of.isoformat()}'"))
    finally:
        connection.close()


def features_at(db_path: Path, as_of: dt.date) -> pd.DataFrame:
    """The feature columns of every snapshot dated as_of, ordered by lead."""
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        frame = connection.execute(
            "select * from analytics.lead_features where as_of_date = ? order by lead_id", [as_of]
        ).df()
    finally:
        connection.close()
    return frame.drop(columns=NOT_FEATURES).reset_index(drop=True)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db_path = tmp_path_factory.mktemp("raw") / "generated.duckdb"
    generate(db_path, leads=800, seed=11)
    return db_path


@pytest.fixture(scope="module")
def both_histories(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work_dir = tmp_path_factory.mktemp("point_in_time")
    original = copy_warehouse(generated, work_dir / "original.duckdb")
    rewritten = copy_warehouse(generated, work_dir / "rewritten.duckdb")
    rewrite_history_after(rewritten, AS_OF)
    for db_path in (original, rewritten):
        run_dbt(["seed"], db_path, work_dir)
        run_dbt(["run", "--select", "+lead_features"], db_path, work_dir, SCORING_DATE)
    return original, rewritten


def test_features_at_as_of_date_ignore_everything_after_it(both_histories):
    original, rewritten = both_histories
    exempt = current_value_features()
    before, after = features_at(original, AS_OF), features_at(rewritten, AS_OF)
    assert len(before) > 100
    pd.testing.assert_frame_equal(before.drop(columns=exempt), after.drop(columns=exempt))


def test_current_value_features_are_exactly_the_declared_ones(both_histories):
    """The exemption list is what the build does: enrichment refreshed after T shows on T's snapshots."""
    original, rewritten = both_histories
    exempt = current_value_features()
    assert {"employee_count", "tech_stack_size", "seniority"} <= set(exempt)
    before, after = features_at(original, AS_OF), features_at(rewritten, AS_OF)
    moved = [column for column in exempt if not before[column].equals(after[column])]
    assert "tech_stack_size" in moved, moved


def test_the_rewrite_does_change_later_snapshots(both_histories):
    original, rewritten = both_histories
    before, after = features_at(original, LATER), features_at(rewritten, LATER)
    shared = before.merge(after, on="lead_id", suffixes=("_original", "_rewritten"))
    assert len(shared) > 50
    assert (shared["pricing_page_views_30d_original"] != shared["pricing_page_views_30d_rewritten"]).any()


def test_features_build_with_every_optional_source_off(generated, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("sources_off")
    db_path = copy_warehouse(generated, work_dir / "core_only.duckdb")
    connection = duckdb.connect(str(db_path))
    connection.execute("drop schema product cascade")  # absent as well as switched off
    connection.close()
    switched_off = {
        "marketing__email_events_enabled": False,
        "signals__company_enrichment_enabled": False,
        "signals__intent_surge_enabled": False,
        "product__trial_events_enabled": False,
        "product__call_transcripts_enabled": False,
        "salesforce__lead_score_feedback_enabled": False,
    }
    run_dbt(["seed"], db_path, work_dir)
    run_dbt(
        ["build", "--select", "+lead_features", "--indirect-selection", "buildable"], db_path, work_dir, switched_off
    )
    connection = duckdb.connect(str(db_path), read_only=True)
    summary = connection.sql(
        """
        select
            count(*) as snapshots,
            count(*) filter (where is_scoring_row) as scoring_rows,
            count(intent_max_score) as rows_with_intent,
            sum(email_opens_90d + trial_events_90d + calls_total) as optional_activity,
            sum(page_views_90d) as page_views
        from analytics.lead_features
        """
    ).fetchall()[0]
    connection.close()
    snapshots, scoring_rows, rows_with_intent, optional_activity, page_views = summary
    assert snapshots > 1000 and scoring_rows > 50
    assert rows_with_intent == 0 and optional_activity == 0
    assert page_views > 0
