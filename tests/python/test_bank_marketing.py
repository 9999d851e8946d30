"""The UCI Bank Marketing fixture: date reconstruction and the cut on hand-made rows, then a real build.

The integration test maps the real file at a cut, builds the package with the client attributes as custom
fields, and checks that every lead open at the cut is scored once and that the model ranks those leads better
than the rule-based points, against what happened after the cut.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from dbt_helpers import REPO_ROOT, run_dbt
from leadscore.fixtures.bank_marketing import (
    CUSTOM_FIELDS,
    bank_leads,
    bootstrap_aucs,
    contract_tables_at_cut,
    evaluate_open_cohort,
    first_call_dates,
    open_cohort_scores,
    outcomes_after_cut,
    percentile_interval,
    read_bank_csv,
    reconstruct_contact_dates,
    sample_leads,
    write_contract_tables,
)

BANK_CSV = Path(os.environ.get(
    "LEADSCORE_BANK_CSV", REPO_ROOT / "tests" / "fixtures" / "bank_marketing" / "bank-additional-full.csv.gz"))
# The busiest stretch of the file (May 2009, about 500 calls a working day) after a year of history: the cut
# with the most leads open at it (1,388; 82 convert within 90 days). Late 2009 and 2010 hold 10-50 calls a day,
# which leaves a few dozen open leads at any cut.
CUT = dt.date(2009, 5, 11)
HAND_CUT = dt.date(2009, 5, 8)


def day(text: str) -> np.datetime64:
    return np.datetime64(text, "D")


def hand_rows() -> pd.DataFrame:
    """Five contacts in file order (read with first_year=2009); euribor3m differs every day."""
    rows = [
        # month, weekday, campaign, y, euribor3m, pdays, previous, poutcome, job
        ("may", "mon", 1, "yes", 1.3, 6, 1, "success", "admin."),         # 05-04, converts before the cut
        ("may", "wed", 2, "no", 1.2, 999, 0, "nonexistent", "unknown"),    # 05-06, first call 05-04
        ("may", "mon", 3, "yes", 1.1, 999, 0, "nonexistent", "student"),   # 05-11, first call 05-05: open
        ("may", "tue", 1, "no", 1.0, 999, 0, "nonexistent", "retired"),    # 05-12: created after the cut
        ("aug", "fri", 50, "yes", 0.9, 999, 0, "nonexistent", "admin."),   # 08-07, first call 03-24: open
    ]
    frame = pd.DataFrame(rows, columns=["month", "day_of_week", "campaign", "y", "euribor3m", "pdays",
                                        "previous", "poutcome", "job"])
    return frame.assign(
        age=[30, 41, 22, 67, 50], marital="married", education="unknown", default="no", housing="yes",
        loan="no", contact="cellular",
        **{"emp.var.rate": -1.8, "cons.price.idx": 92.9, "cons.conf.idx": -46.2, "nr.employed": 5099.1},
    )


def hand_tables() -> dict[str, pd.DataFrame]:
    return contract_tables_at_cut(bank_leads(hand_rows(), first_year=2009), HAND_CUT)


def by_id(frame: pd.DataFrame, key: str = "id") -> pd.DataFrame:
    return frame.set_index(key)


# ---- dates -------------------------------------------------------------------------------------------------


def test_dates_advance_with_weekday_changes_and_wrap_the_year():
    months = ["may", "may", "may", "may", "jun", "dec", "mar"]
    weekdays = ["mon", "mon", "wed", "mon", "tue", "fri", "thu"]
    dates = reconstruct_contact_dates(months, weekdays, first_year=2008)
    expected = ["2008-05-05", "2008-05-05", "2008-05-07", "2008-05-12", "2008-06-03", "2008-12-05", "2009-03-05"]
    assert dates.tolist() == [dt.date.fromisoformat(text) for text in expected]


def test_dates_reject_weekday_changes_past_the_month():
    # February 2009 has four Mondays: a fifth run of Mondays means the rows are not in date order
    weekdays = ["mon", "tue"] * 4 + ["mon"]
    with pytest.raises(ValueError, match="past the end of feb 2009"):
        reconstruct_contact_dates(["feb"] * len(weekdays), weekdays, first_year=2009)


def test_real_file_dates_stay_in_their_month_with_one_euribor_per_day():
    raw = read_bank_csv(BANK_CSV)
    dates = pd.Series(reconstruct_contact_dates(raw["month"], raw["day_of_week"])).astype("datetime64[ns]")
    assert "duration" not in raw.columns
    assert dates.is_monotonic_increasing
    assert (dates.dt.strftime("%b").str.lower() == raw["month"]).all()
    assert (dates.dt.strftime("%a").str.lower() == raw["day_of_week"]).all()
    assert (dates.min().date(), dates.max().strftime("%Y-%m")) == (dt.date(2008, 5, 5), "2010-11")
    euribor_values_per_day = raw.groupby(dates.to_numpy())["euribor3m"].nunique()
    assert (euribor_values_per_day > 1).sum() <= 2


def test_first_calls_are_spaced_in_business_days_before_the_last_contact():
    last = np.array([day("2009-05-11"), day("2009-05-11"), day("2009-05-06")])
    first = first_call_dates(last, np.array([1, 3, 2]), spacing_business_days=2)
    assert first.tolist() == [dt.date(2009, 5, 11), dt.date(2009, 5, 5), dt.date(2009, 5, 4)]


# ---- the cut -----------------------------------------------------------------------------------------------


def test_only_leads_created_before_the_cut_exist_in_their_state_then():
    leads = by_id(hand_tables()["salesforce.lead"])
    assert leads.index.tolist() == ["bank-00001", "bank-00002", "bank-00003", "bank-00005"]
    assert leads["status"].tolist() == ["Converted", "Unqualified", "Working", "Working"]
    assert leads["is_converted"].tolist() == [True, False, False, False]
    assert leads.loc["bank-00001", "converted_date"] == pd.Timestamp("2009-05-04")
    assert leads.loc[["bank-00002", "bank-00003", "bank-00005"], "converted_date"].isna().all()
    assert leads.loc["bank-00003", "created_date"] == pd.Timestamp("2009-05-05 09:00")
    # y = no closes at the last contact (the close-date proxy); an open lead was last touched before the cut
    assert leads.loc["bank-00002", "last_modified_date"] == pd.Timestamp("2009-05-06 18:00")
    assert leads.loc["bank-00003", "last_modified_date"] == pd.Timestamp("2009-05-07 18:00")
    assert (leads["last_modified_date"] < pd.Timestamp(HAND_CUT)).all()


def test_calls_after_the_cut_are_dropped():
    tasks = hand_tables()["salesforce.task"]
    open_lead_calls = tasks[tasks["who_id"] == "bank-00003"]
    assert open_lead_calls["activity_date"].tolist() == [pd.Timestamp("2009-05-05"), pd.Timestamp("2009-05-07")]
    assert (tasks["activity_date"] < pd.Timestamp(HAND_CUT)).all()
    assert set(tasks["task_subtype"]) == {"Call"}
    assert tasks.groupby("who_id").size().to_dict() == {"bank-00001": 1, "bank-00002": 2, "bank-00003": 2,
                                                        "bank-00005": 17}


def test_a_conversion_has_a_won_opportunity_without_amount():
    tables = hand_tables()
    opportunities = tables["salesforce.opportunity"]
    assert opportunities["id"].tolist() == ["bank-opportunity-00001"]
    assert opportunities["amount"].isna().all()
    assert opportunities[["is_won", "is_closed"]].all().all()
    lead = by_id(tables["salesforce.lead"]).loc["bank-00001"]
    assert lead["converted_opportunity_id"] == "bank-opportunity-00001"
    assert tables["salesforce.account"]["id"].tolist() == [lead["converted_account_id"]]
    assert tables["salesforce.contact"]["id"].tolist() == [lead["converted_contact_id"]]


def test_custom_fields_hold_what_was_known_at_creation():
    leads = by_id(hand_tables()["salesforce.lead"])
    # euribor as read on the created day (the newest day on or before it), never at the last contact
    assert leads.loc["bank-00003", "euribor3m__c"] == 1.3  # created 05-05: the 05-04 value, not 05-11's 1.1
    assert leads.loc["bank-00002", "euribor3m__c"] == 1.3  # created 05-04
    assert np.isnan(leads.loc["bank-00005", "euribor3m__c"])  # created before the first day of the series
    assert leads["pdays__c"].isna().tolist() == [False, True, True, True]
    assert leads.loc["bank-00001", "pdays__c"] == 6
    assert leads["job__c"].isna().tolist() == [False, True, False, False]
    assert leads["education__c"].isna().all()
    assert leads.loc["bank-00003", "job__c"] == "student"
    assert set(CUSTOM_FIELDS) <= set(leads.columns)
    assert not any("duration" in column for column in leads.columns)


def test_outcomes_after_the_cut_count_conversions_within_the_horizon():
    outcomes = outcomes_after_cut(bank_leads(hand_rows(), first_year=2009), HAND_CUT, horizon_days=90)
    # bank-00005 converts on 2009-08-07, 91 days after the cut
    assert outcomes["lead_id"].tolist() == ["bank-00003", "bank-00005"]
    assert outcomes["close_date"].tolist() == [pd.Timestamp("2009-05-11"), pd.Timestamp("2009-08-07")]
    assert outcomes["converted"].tolist() == [True, False]
    later = outcomes_after_cut(bank_leads(hand_rows(), first_year=2009), HAND_CUT, horizon_days=120)
    assert later["converted"].tolist() == [True, True]


def test_tables_land_in_duckdb_typed_with_optional_tables_absent(tmp_path):
    db = tmp_path / "bank.duckdb"
    rows = write_contract_tables(hand_tables(), db)
    assert rows["salesforce.lead"] == 4 and rows["segment.pages"] == 0
    with duckdb.connect(str(db), read_only=True) as con:
        types = dict(con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'salesforce' and table_name = 'lead'").fetchall())
        schemas = {row[0] for row in con.execute("select schema_name from information_schema.schemata").fetchall()}
    assert (types["age__c"], types["job__c"], types["euribor3m__c"]) == ("BIGINT", "VARCHAR", "DOUBLE")
    assert types["last_modified_date"] == "TIMESTAMP"
    assert {"salesforce", "segment"} <= schemas and not {"marketing", "signals", "product"} & schemas


def test_sample_is_uniform_reproducible_and_sorted():
    leads = bank_leads(hand_rows(), first_year=2009)
    sampled = sample_leads(leads, 3, random_state=7)
    assert len(sampled) == 3 and sampled["lead_id"].is_monotonic_increasing
    assert sampled.equals(sample_leads(leads, 3, random_state=7))
    assert sample_leads(leads, None) is leads


# ---- bootstrap ---------------------------------------------------------------------------------------------


def test_bootstrap_is_paired_and_reproducible():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, size=400)
    perfect = y + rng.uniform(0, 0.5, size=400)
    constant = np.zeros(400)
    resamples = bootstrap_aucs(y, {"perfect": perfect, "constant": constant}, n_resamples=200, random_state=1)
    assert len(resamples) == 200
    assert (resamples["perfect"] == 1.0).all() and (resamples["constant"] == 0.5).all()
    assert resamples.equals(bootstrap_aucs(y, {"perfect": perfect, "constant": constant}, 200, random_state=1))
    noisy = y + rng.normal(0, 1, size=400)
    low, high = percentile_interval(bootstrap_aucs(y, {"noisy": noisy}, 500, random_state=1)["noisy"])
    assert 0.5 < low < high < 1.0


def test_bootstrap_needs_both_classes():
    with pytest.raises(ValueError, match="both outcome classes"):
        bootstrap_aucs([1, 1, 1], {"score": [0.1, 0.2, 0.3]})


# ---- the real build ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bank_build(tmp_path_factory):
    """The bank file exported at the cut, built with every client attribute as a custom field, and its open leads'
    scores judged against what happened after the cut."""
    tmp_path = tmp_path_factory.mktemp("bank")
    leads = bank_leads(read_bank_csv(BANK_CSV))
    db = tmp_path / "bank.duckdb"
    write_contract_tables(contract_tables_at_cut(leads, CUT), db)
    run_dbt(["build"], db, tmp_path, {"as_of_date": CUT.isoformat(), "lead_custom_fields": list(CUSTOM_FIELDS)})
    outcomes = outcomes_after_cut(leads, CUT)
    scored = open_cohort_scores(db, CUT)
    result = evaluate_open_cohort(scored, outcomes, n_resamples=1000)
    print(result)  # the README's figures: AUC with bootstrap intervals
    return outcomes, scored, result


@pytest.mark.integration
def test_bank_marketing_builds_and_scores_every_open_lead_with_a_model(bank_build):
    outcomes, scored, result = bank_build
    assert len(outcomes) >= 1000 and outcomes["converted"].sum() >= 50
    assert scored["lead_id"].is_unique
    assert set(scored["lead_id"]) == set(outcomes["lead_id"])
    assert scored["conversion_probability"].notna().all()
    assert set(result["scoring_methods"]) == {"model"}, result


@pytest.mark.integration
@pytest.mark.xfail(strict=False, reason=(
    "measured at the 2009-05-11 cut: model AUC 0.44 [0.38, 0.51] against the rule points' 0.50 on the 1,388 open "
    "leads; the relations learnt on 2008's campaigns do not carry to 2009's (issue 14 closing note)"))
def test_bank_marketing_model_beats_the_rule_points_on_the_open_cohort(bank_build):
    # Every lead here has the same rule points (a personal mailbox and nothing else the rules read), so the rules
    # rank at chance: beating them means the model ranks the open leads better than chance.
    _, _, result = bank_build
    assert result["model_auc"] > result["rules_auc"], result
