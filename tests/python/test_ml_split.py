"""Time split: date order, embargo, eligibility, lead overlap, row-order independence."""
import numpy as np
import pandas as pd
import pytest

from leadscore.ml import InsufficientDataError, time_split


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
    trainable = (frame["label"].notna() & ~frame["is_never_worked"]).sum()
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


def test_untrainable_rows_get_no_split():
    frame = make_snapshots()
    split = time_split(frame)
    untrainable = frame["label"].isna() | ~frame["is_label_mature"] | frame["is_never_worked"]
    assert untrainable.any()
    assert split[untrainable].isna().all()
    assert set(split.dropna().unique()) == {"train", "validation", "test"}


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


def test_short_history_raises_a_clear_error():
    frame = make_snapshots(weeks=30)
    with pytest.raises(InsufficientDataError, match="embargo"):
        time_split(frame, horizon_days=90)


def test_fractions_must_sum_to_one():
    with pytest.raises(ValueError, match="sum"):
        time_split(make_snapshots(), fractions=(0.5, 0.2, 0.2))
