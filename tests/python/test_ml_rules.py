"""Rule-based points score on a hand-made frame (semantics of the lead_scoring_rules seed)."""
import numpy as np
import pandas as pd
import pytest

from leadscore.ml import rule_points, rule_points_breakdown

COLUMNS = ["rule_id", "rule_type", "feature_name", "match_value", "min_value", "max_value",
           "points", "points_basis", "cap", "description"]


def rules() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("pricing", "behaviour", "pricing_views", None, 1, None, 5, "per_unit", 20, "5 per view, at most 20"),
            ("senior", "title_seniority", "seniority", "VP|c_level", None, None, 15, "once", None, "senior buyer"),
            ("mid", "firmographic", "employees", None, 51, 200, 10, "once", None, "51-200 employees"),
            ("big", "firmographic", "employees", None, 201, None, 25, "once", None, "over 200 employees"),
            ("personal", "negative", "is_personal_email", "true", None, None, -10, "once", None, "personal email"),
            ("band", "firmographic", "employee_band", 3.0, None, None, 4, "once", None, "band 3"),
            ("demo", "behaviour", "demo_requests", None, 1, None, 40, "once", None, "asked for a demo"),
        ],
        columns=COLUMNS,
    )


def leads() -> pd.DataFrame:
    return pd.DataFrame({
        "pricing_views": [0, 2, 7, np.nan],
        "seniority": ["vp", "Manager", "c_level", None],
        "employees": [50, 51, 200.5, 10_000],
        "is_personal_email": [False, True, "TRUE", None],
        "employee_band": [3, 2, 3, np.nan],
        "demo_requests": [0, 1, 3, np.nan],
    }, index=[10, 11, 12, 13])


def test_points_are_computed_rule_by_rule():
    breakdown = rule_points_breakdown(leads(), rules())
    assert breakdown["pricing"].tolist() == [0, 10, 20, 0]  # per unit from 1 view, capped at 20, NaN earns nothing
    assert breakdown["senior"].tolist() == [15, 0, 15, 0]  # case-insensitive, several accepted values
    assert breakdown["mid"].tolist() == [0, 10, 0, 0]  # [51, 200] inclusive: 50 out, 51 in, 200.5 out
    assert breakdown["big"].tolist() == [0, 0, 0, 25]  # 200.5 falls between the integer tiers
    assert breakdown["personal"].tolist() == [0, -10, -10, 0]  # booleans and 'TRUE' compare as 'true'
    assert breakdown["band"].tolist() == [4, 0, 4, 0]  # 3.0 in the seed matches 3
    assert breakdown["demo"].tolist() == [0, 40, 40, 0]  # once, however many demos


def test_total_is_the_sum_and_keeps_the_index_whatever_the_row_order():
    total = rule_points(leads(), rules())
    assert total.name == "rule_points"
    assert total.index.tolist() == [10, 11, 12, 13]
    assert total.tolist() == [19, 50, 69, 25]
    shuffled = leads().sample(frac=1.0, random_state=0)
    pd.testing.assert_series_equal(rule_points(shuffled, rules()).reindex(total.index), total)


def test_the_project_seed_scores_without_error():
    from pathlib import Path

    seed = Path(__file__).resolve().parents[2] / "seeds" / "lead_scoring_rules.csv"
    if not seed.exists():
        pytest.skip("seed not present")
    table = pd.read_csv(seed)
    frame = pd.DataFrame({name: [np.nan, 1] for name in table["feature_name"].unique()})
    frame["seniority"] = ["vp", "intern_student"]
    frame["department"] = ["data", "hr"]
    frame["is_personal_email"] = [False, True]
    frame["employee_count"] = [150, 3]
    points = rule_points(frame, table)
    assert points.iloc[0] == 20 + 15 + 10  # vp, data, 51-200 employees
    assert np.isfinite(points).all()


def test_bad_rules_fail_loudly():
    with pytest.raises(ValueError, match="weekly"):
        rule_points(leads(), rules().assign(points_basis="weekly"))
    with pytest.raises(ValueError, match="demo_requests"):
        rule_points(leads().drop(columns="demo_requests"), rules())


def calibration_rows(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Matured snapshots whose conversion odds rise with the rule points, plus rows that must be ignored."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "pricing_views": rng.poisson(1.5, n).astype(float),
        "seniority": rng.choice(["vp", "manager", "c_level"], n),
        "employees": rng.integers(1, 500, n).astype(float),
        "is_personal_email": rng.random(n) < 0.2,
        "employee_band": rng.integers(1, 5, n).astype(float),
        "demo_requests": (rng.random(n) < 0.1).astype(float),
    })
    points = rule_points(frame, rules()).to_numpy()
    frame["label"] = (rng.random(n) < 1 / (1 + np.exp(-(0.05 * points - 3.0)))).astype(float)
    frame["is_label_mature"] = True
    frame.loc[: n // 10, "is_label_mature"] = False  # unmatured rows never shape the map
    frame.loc[: n // 10, "label"] = 1.0
    return frame


def test_fallback_probability_is_platt_on_the_points_fitted_on_matured_rows():
    from scipy.special import expit

    from leadscore.ml import apply_calibration
    from leadscore.ml.rules import rule_points_calibration

    frame = calibration_rows()
    calibration = rule_points_calibration(frame, rules())
    matured = frame[frame["is_label_mature"]]
    assert calibration["fit"] == "platt" and calibration["rows"] == len(matured)
    assert calibration["positives"] == int(matured["label"].sum())
    assert calibration["a"] == pytest.approx(0.05, abs=0.015) and calibration["b"] == pytest.approx(-3.0, abs=0.4)
    points = rule_points(matured, rules()).to_numpy()
    probability = apply_calibration(calibration, points)
    np.testing.assert_allclose(probability, expit(calibration["a"] * points + calibration["b"]), rtol=1e-12)
    assert probability.mean() == pytest.approx(matured["label"].mean(), abs=0.005)  # calibrated in the large


def test_fallback_probability_is_the_observed_rate_with_too_few_of_one_outcome_and_none_without_history():
    from scipy.special import expit

    from leadscore.ml.rules import rule_points_calibration

    frame = calibration_rows()
    matured = frame["is_label_mature"].to_numpy()
    frame.loc[matured, "label"] = 0.0
    frame.loc[frame.index[matured][:7], "label"] = 1.0
    calibration = rule_points_calibration(frame, rules())
    assert calibration["fit"] == "observed_rate" and calibration["a"] == 0.0 and calibration["positives"] == 7
    assert expit(calibration["b"]) == pytest.approx(7 / matured.sum())
    assert rule_points_calibration(frame.assign(is_label_mature=False), rules()) is None
    assert rule_points_calibration(frame.assign(label=np.nan), rules()) is None
