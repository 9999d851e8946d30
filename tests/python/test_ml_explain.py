"""Readable reasons from contributions."""
import json

import numpy as np
import pandas as pd

from leadscore.ml import top_reasons
from leadscore.ml.explain import linear_contributions


def catalog() -> pd.DataFrame:
    return pd.DataFrame({
        "feature_name": ["pricing_views", "revenue_share", "is_personal_email", "industry", "employees"],
        "description": ["Pricing views", "Revenue share", "Personal email", "Industry", "Employee count"],
        "explanation_template": [
            "Viewed the pricing page {value} times in the last 30 days",
            "Revenue share is {value}",
            "Uses a personal email address: {value}",
            "Industry is {value}",
            "",
        ],
        "is_protected": False,
        "data_type": ["numeric", "numeric", "boolean", "categorical", "numeric"],
    })


def test_top_reasons_picks_the_largest_terms_in_each_direction_with_readable_sentences():
    contribs = pd.DataFrame(
        {
            "pricing_views": [1.2, -0.4, 0.0],
            "revenue_share": [0.3, 0.9, 0.0],
            "is_personal_email": [-0.8, 0.1, 0.0],
            "industry": [0.5, -0.2, 0.0],
            "employees": [-0.1, 0.2, 0.0],
            "expected_value": [-2.0, -2.0, -2.0],
        },
        index=["a", "b", "c"],
    )
    values = pd.DataFrame(
        {
            "pricing_views": [7.0, 0.0, 1.0],
            "revenue_share": [0.123456, np.nan, 0.5],
            "is_personal_email": [True, False, None],
            "industry": ["software", "retail", None],
            "employees": [1200.0, 35.0, np.nan],
        },
        index=["a", "b", "c"],
    )
    reasons = top_reasons(contribs, values, catalog(), k=2)
    assert reasons.index.tolist() == ["a", "b", "c"]
    row = reasons.loc["a"]
    assert row["feature_up_1"] == "pricing_views" and row["feature_up_2"] == "industry"
    assert row["reason_up_1"] == "Viewed the pricing page 7 times in the last 30 days"  # 7.0 prints as 7
    assert row["reason_up_2"] == "Industry is software"
    assert row["feature_down_1"] == "is_personal_email" and row["feature_down_2"] == "employees"
    assert row["reason_down_1"] == "Uses a personal email address: yes"
    assert row["reason_down_2"] == "Employee count: 1200"  # no template: description and value
    row = reasons.loc["b"]
    assert row["reason_up_1"] == "Revenue share: unknown"  # missing value
    assert row["reason_up_2"] == "Employee count: 35"
    assert row["reason_down_1"] == "Viewed the pricing page 0 times in the last 30 days"
    assert row["reason_down_2"] == "Industry is retail"
    row = reasons.loc["c"]
    assert pd.isna(row["reason_up_1"]) and pd.isna(row["reason_down_1"])  # nothing moved the score
    parsed = json.loads(reasons.loc["a", "contributions_json"])
    assert parsed["pricing_views"] == 1.2 and parsed["_expected_value"] == -2.0
    assert abs(sum(value for key, value in parsed.items() if key != "_expected_value") - 1.1) < 1e-9


def test_floats_are_rounded_and_json_keeps_only_the_largest_terms_plus_the_rest():
    rng = np.random.default_rng(0)
    features = [f"f{j}" for j in range(30)]
    contribs = pd.DataFrame(rng.normal(size=(500, 30)), columns=features)
    values = pd.DataFrame(rng.normal(size=(500, 30)) * 100, columns=features)
    cat = pd.DataFrame({"feature_name": features, "description": features,
                        "explanation_template": [f"{name} is {{value}}" for name in features],
                        "is_protected": False, "data_type": "numeric"})
    reasons = top_reasons(contribs, values, cat, k=3, json_top_n=5, chunk_size=128)
    matrix = contribs.to_numpy()
    expected_up = np.argsort(-matrix, axis=1)[:, :3]
    expected_down = np.argsort(matrix, axis=1)[:, :3]
    for slot in range(3):
        assert reasons[f"feature_up_{slot + 1}"].tolist() == [features[j] for j in expected_up[:, slot]]
        assert reasons[f"feature_down_{slot + 1}"].tolist() == [features[j] for j in expected_down[:, slot]]
    first = expected_up[0, 0]
    assert reasons.loc[0, "reason_up_1"] == f"f{first} is {round(values.iloc[0, first], 2):g}"
    parsed = [json.loads(text) for text in reasons["contributions_json"]]
    assert all(len(item) == 6 for item in parsed)  # 5 terms + _other (no expected_value column)
    totals = np.array([sum(item.values()) for item in parsed])
    np.testing.assert_allclose(totals, matrix.sum(axis=1), atol=5e-4)


def test_linear_contributions_sum_one_hot_and_indicator_terms_back_to_their_feature():
    coef = np.array([0.5, -1.0, 2.0, 0.25, -0.25])
    sources = ["visits", "visits", "industry", "industry", "industry"]
    Z = np.array([[1.0, 0.0, 1.0, -1.0, 0.0], [-2.0, 1.0, 0.0, 0.0, 2.0]])
    contributions = linear_contributions(coef, -1.5, Z, sources, ["visits", "industry"])
    np.testing.assert_allclose(contributions["visits"], [0.5, -2.0])
    np.testing.assert_allclose(contributions["industry"], [1.75, -0.5])
    np.testing.assert_allclose(contributions.sum(axis=1), Z @ coef - 1.5)
