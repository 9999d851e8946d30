"""Minimum-data and leakage guards."""
import numpy as np
import pandas as pd
import pytest

from leadscore.ml import InsufficientDataError, LeakageError, check_minimum_data, leakage_check


def training_rows(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    label = (rng.random(n) < 1 / (1 + np.exp(-(x - 1.5)))).astype(float)
    return pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(n)],
        "as_of_date": pd.Timestamp("2024-01-01"),
        "label": label,
        "honest_score": x,
        "honest_segment": rng.choice(["a", "b", "c"], n),
        "record_id": [f"R{i}" for i in range(n)],  # identifier-like categorical
    })


def test_small_data_guard_reports_counts_found_and_needed():
    frame = training_rows(300)
    frame["is_label_mature"] = True
    frame.loc[:99, "is_label_mature"] = False  # these leads do not count
    frame["is_never_worked"] = True  # a point-in-time fact: it counts like any other row
    with pytest.raises(InsufficientDataError) as error:
        check_minimum_data(frame, min_leads=500, min_positives=50)
    message = str(error.value)
    assert "200 distinct leads" in message and "need at least 500" in message
    positives = int(frame.loc[100:, "label"].sum())
    assert f"{positives} positive snapshots" in message
    counts = check_minimum_data(training_rows(2000), min_leads=500, min_positives=50)
    assert counts["leads"] == 2000 and counts["positives"] >= 50


def test_leakage_guard_names_a_feature_that_copies_the_label():
    frame = training_rows()
    frame["days_to_close"] = np.where(frame["label"] == 1, 10.0, np.nan)  # leak through missingness
    frame["stage"] = np.where(frame["label"] == 1, "won", "open")  # categorical copy
    frame["label_copy"] = frame["label"] * 3 + 1
    with pytest.raises(LeakageError) as error:
        leakage_check(frame, ["honest_score", "honest_segment", "label_copy", "stage", "days_to_close"],
                      categorical_features=["honest_segment", "stage"])
    assert set(error.value.features) == {"label_copy", "stage", "days_to_close"}
    assert "label_copy" in str(error.value) and "honest_score" not in str(error.value)


def test_leakage_guard_passes_honest_and_identifier_like_features():
    aucs = leakage_check(training_rows(), ["honest_score", "honest_segment", "record_id"],
                         categorical_features=["honest_segment", "record_id"])
    assert 0.6 < aucs["honest_score"] < 0.95
    assert aucs["record_id"] < 0.6  # out-of-fold target means do not reward memorized ids
