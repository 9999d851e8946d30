"""Split: date order, embargo, eligibility, lead overlap, row-order independence, short history, rare outcomes."""
import numpy as np
import pandas as pd
import pytest

from leadscore.ml import InsufficientDataError, time_split
from leadscore.ml.split import plan_split


def make_snapshots(n_leads: int = 300, weeks: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = rng.integers(0, weeks - 10, n_leads)
    rows = []
    for lead, first in enumerate(start):
        for week in range(first, min(first + rng.integers(2, 30), weeks), 2):
            rows.append((f"L{lead:04d}", pd.Timestamp("2022-01-03") + pd.Timedelta(weeks=int(week))))
    frame = pd.DataFrame(rows, columns=["lead_id", "as_of_date"])
    frame["label"] = (rng.random(len(frame)) < 0.2).astype(float)
    frame["is_label_mature"] = frame["as_of_date"] <= frame["as_of_date"].max() - pd.Timedelta(days=90)
    frame["is_never_worked"] = rng.random(len(frame)) < 0.05
    frame.loc[~frame["is_label_mature"], "label"] = np.nan
    return frame


def test_parts_are_ordered_in_time_with_an_embargo_of_the_horizon():
    frame = make_snapshots()
    split = time_split(frame, horizon_days=90)
    dates = {name: frame.loc[split == name, "as_of_date"] for name in ("train", "validation", "test")}
    assert all(len(part) > 0 for part in dates.values())
    assert dates["train"].max() < dates["validation"].min() < dates["validation"].max() < dates["test"].min()
    assert (dates["validation"].min() - dates["train"].max()).days >= 90
    assert (dates["test"].min() - dates["validation"].max()).days >= 90
    # the embargo costs training rows: validation and test keep their share
    trainable = frame["label"].notna().sum()
    assert (split == "test").sum() >= 0.15 * trainable
    assert (split == "validation").sum() >= 0.15 * trainable
    assert split.notna().sum() < trainable  # rows inside the embargo gaps were dropped


def test_one_date_never_spans_two_parts():
    frame = make_snapshots()
    split = time_split(frame, horizon_days=0)
    parts_per_date = pd.DataFrame({"date": frame["as_of_date"], "part": split}).dropna().groupby("date")["part"].nunique()
    assert parts_per_date.max() == 1
    dates = {name: frame.loc[split == name, "as_of_date"] for name in ("train", "validation", "test")}
    assert dates["train"].max() < dates["validation"].min() and dates["validation"].max() < dates["test"].min()


def test_untrainable_rows_get_no_split_and_never_worked_rows_are_not_selected_on():
    frame = make_snapshots()
    split = time_split(frame)
    untrainable = frame["label"].isna() | ~frame["is_label_mature"]
    assert untrainable.any()
    assert split[untrainable].isna().all()
    assert set(split.dropna().unique()) == {"train", "validation", "test"}
    # is_never_worked is a point-in-time feature: it never decides whether a row trains
    never_worked = frame["is_never_worked"] & ~untrainable
    assert never_worked.any() and split[never_worked].notna().mean() > 0.5
    flipped = time_split(frame.assign(is_never_worked=~frame["is_never_worked"]))
    pd.testing.assert_series_equal(flipped, split)


def test_split_does_not_depend_on_row_order_or_index():
    frame = make_snapshots()
    expected = time_split(frame)
    shuffled = frame.sample(frac=1.0, random_state=7)
    again = time_split(shuffled)
    pd.testing.assert_series_equal(again.reindex(frame.index), expected)
    renumbered = time_split(shuffled.reset_index(drop=True))
    by_key = pd.Series(renumbered.to_numpy(), index=pd.MultiIndex.from_frame(shuffled[["lead_id", "as_of_date"]]))
    realigned = by_key.reindex(pd.MultiIndex.from_frame(frame[["lead_id", "as_of_date"]]))
    assert realigned.fillna("none").tolist() == expected.fillna("none").tolist()


def test_drop_later_keeps_each_lead_in_its_earliest_part_only():
    frame = make_snapshots()
    keep = time_split(frame, lead_overlap="keep")
    drop = time_split(frame, lead_overlap="drop_later")
    order = {"train": 0, "validation": 1, "test": 2}
    parts = pd.DataFrame({"lead": frame["lead_id"], "part": drop}).dropna()
    assert parts.groupby("lead")["part"].nunique().max() == 1
    shared = pd.DataFrame({"lead": frame["lead_id"], "part": keep}).dropna()
    assert shared.groupby("lead")["part"].nunique().max() > 1  # the default does let leads span parts
    earliest = shared.assign(rank=shared["part"].map(order)).groupby("lead")["rank"].min()
    kept_rank = parts.assign(rank=parts["part"].map(order)).groupby("lead")["rank"].first()
    assert (kept_rank == earliest.reindex(kept_rank.index)).all()


def test_default_history_keeps_the_three_period_split():
    plan = plan_split(make_snapshots(), horizon_days=90)
    assert plan.mode == "time" and plan.notes == () and plan.shares == pytest.approx((0.70, 0.15, 0.15))


def test_short_history_validates_on_held_out_leads_with_one_embargo_before_test():
    frame = make_snapshots(weeks=40)  # about six months of matured labels: two embargoes of 90 days do not fit
    plan = plan_split(frame, horizon_days=90, random_state=3)
    assert plan.mode == "lead_holdout"
    assert "lead-grouped holdout" in plan.notes[0] and "two embargoes of 90 days" in plan.notes[0]
    parts = {name: frame.loc[plan.split == name] for name in ("train", "validation", "test")}
    assert all(len(part) > 0 and 0 < part["label"].sum() < len(part) for part in parts.values())
    fitting = pd.concat([parts["train"], parts["validation"]])
    assert (parts["test"]["as_of_date"].min() - fitting["as_of_date"].max()).days >= 90  # the one embargo
    assert parts["validation"]["as_of_date"].min() < parts["train"]["as_of_date"].max()  # same period
    assert not set(parts["train"]["lead_id"]) & set(parts["validation"]["lead_id"])  # whole leads
    share = len(parts["validation"]) / len(fitting)
    assert 0.10 < share < 0.30  # about validation / (train + validation) = 0.176 of the fitting rows
    again = plan_split(frame.sample(frac=1.0, random_state=1), horizon_days=90, random_state=3)
    pd.testing.assert_series_equal(again.split.reindex(frame.index), plan.split)


def test_history_without_room_for_test_and_one_embargo_raises_a_clear_error():
    frame = make_snapshots(weeks=16)
    with pytest.raises(InsufficientDataError, match="one embargo of 90 days"):
        time_split(frame, horizon_days=90)


def _labels_only_between(frame: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    """The same snapshots with conversions only on dates in [first, last]; later dates keep their labels' nulls."""
    changed = frame.copy()
    outside = (changed["as_of_date"] < pd.Timestamp(first)) | (changed["as_of_date"] > pd.Timestamp(last))
    changed.loc[outside & changed["label"].notna(), "label"] = 0.0
    return changed


def test_no_conversions_in_the_first_months_moves_validation_to_a_lead_holdout():
    frame = make_snapshots()
    dates = frame.loc[frame["label"].notna(), "as_of_date"]
    quiet_until = dates.min() + (dates.max() - dates.min()) * 0.6
    plan = plan_split(_labels_only_between(frame, str(quiet_until.date()), "2100-01-01"), horizon_days=90)
    assert plan.mode == "lead_holdout"
    assert "train" in plan.notes[0] and "single outcome class" in plan.notes[0]


def test_a_test_period_without_conversions_is_widened_until_it_has_some():
    frame = make_snapshots()
    labelled = frame.loc[frame["label"].notna()].sort_values("as_of_date")
    # no conversion among the newest ~18% of labelled rows: the default 15% test split would hold none
    cut = labelled["as_of_date"].iloc[int(0.82 * len(labelled))]
    plan = plan_split(_labels_only_between(frame, "1900-01-01", str((cut - pd.Timedelta(days=1)).date())),
                      horizon_days=90)
    assert plan.mode == "time" and plan.shares[2] > 0.15
    assert any("widened" in note for note in plan.notes)
    changed = _labels_only_between(frame, "1900-01-01", str((cut - pd.Timedelta(days=1)).date()))
    assert changed.loc[plan.split == "test", "label"].sum() > 0


def test_a_single_outcome_class_everywhere_raises_insufficient_data_naming_the_parts():
    frame = make_snapshots().assign(label=lambda f: f["label"].where(f["label"].isna(), 0.0))
    with pytest.raises(InsufficientDataError, match="single outcome class") as error:
        time_split(frame, horizon_days=90)
    assert "0 converted" in str(error.value)


def test_fractions_must_sum_to_one():
    with pytest.raises(ValueError, match="sum"):
        time_split(make_snapshots(), fractions=(0.5, 0.2, 0.2))
