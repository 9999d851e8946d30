"""Feature selection from the catalog and the FeatureEncoder."""
import numpy as np
import pandas as pd
import pytest

from leadscore.ml import FeatureEncoder, ProtectedFeatureError, check_no_protected_features, select_feature_columns


def catalog() -> pd.DataFrame:
    return pd.DataFrame({
        "feature_name": ["visits", "is_free_email", "seniority", "country", "label", "signup_date"],
        "family": ["engagement", "person", "person", "firmographic", "other", "other"],
        "description": ["Visits", "Free email", "Seniority", "Country", "Label", "Signup date"],
        "explanation_template": ["Visited {value} times", "", "", "", "", ""],
        "is_protected": ["false", "false", "false", "true", "false", "false"],
        "data_type": ["integer", "boolean", "categorical", "categorical", "integer", "date"],
    })


def frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    visits = rng.poisson(3, n).astype(float)
    visits[:20] = np.nan
    return pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(n)],
        "as_of_date": pd.Timestamp("2024-01-01"),
        "label": rng.integers(0, 2, n).astype(float),
        "is_label_mature": True,
        "account_domain": "acme.com",
        "visits": visits,
        "is_free_email": rng.random(n) < 0.3,
        "seniority": rng.choice(["vp", "manager", "director"], n, p=[0.45, 0.45, 0.1]),
        "country": rng.choice(["us", "de"], n),
        "signup_date": pd.Timestamp("2023-05-01"),
        "not_in_catalog": rng.normal(size=n),
    })


def test_selection_excludes_keys_labels_flags_protected_and_uncatalogued_columns():
    selected = select_feature_columns(frame(), catalog())
    assert selected == ["visits", "is_free_email", "seniority"]


def test_protected_features_are_refused():
    with pytest.raises(ProtectedFeatureError, match="country"):
        check_no_protected_features(["visits", "country"], catalog())
    check_no_protected_features(["visits", "seniority"], catalog())


def test_tree_encoding_keeps_nan_folds_rare_levels_and_buckets_unseen_ones():
    train = frame()
    train.loc[train.index[:5], "seniority"] = "intern"  # rare: 5 rows < min_category_count
    encoder = FeatureEncoder(["visits", "is_free_email"], ["seniority"], output="tree", min_category_count=10)
    assert encoder.fit(train) is encoder
    assert set(encoder.category_levels_["seniority"]) == {"manager", "vp", "director"}  # "intern" folded
    matrix = encoder.transform(train)
    assert np.isnan(matrix[:20, 0]).all() and not np.isnan(matrix[20:, 0]).any()
    other_code = len(encoder.category_levels_["seniority"])
    assert (matrix[:5, 2] == other_code).all()  # rare level folded into __other__
    scoring = train.head(3).assign(seniority=["cto", None, "vp"])
    codes = encoder.transform(scoring)[:, 2]
    assert codes[0] == other_code  # unseen level -> the same bucket
    assert codes[2] == encoder.category_levels_["seniority"].index("vp")
    assert encoder.categorical_indices_ == [2]


def test_linear_encoding_is_standardized_on_train_with_missing_indicators_and_one_hot():
    train = frame()
    encoder = FeatureEncoder(["visits", "is_free_email"], ["seniority"], output="linear", min_category_count=1).fit(train)
    names = list(encoder.get_feature_names_out())
    assert names[:3] == ["visits", "visits__missing", "is_free_email"]
    assert {"seniority=vp", "seniority=manager", "seniority=director", "seniority=__other__"} <= set(names)
    matrix = encoder.transform(train)
    np.testing.assert_allclose(matrix.mean(axis=0), 0.0, atol=1e-9)
    observed = matrix.std(axis=0)
    assert np.all((np.abs(observed - 1) < 1e-9) | (observed == 0))
    assert encoder.medians_["visits"] == float(np.nanmedian(train["visits"]))
    # a new frame is encoded with the training statistics, not its own
    shifted = train.assign(visits=train["visits"] + 100)
    assert encoder.transform(shifted)[:, 0].mean() > 10


def test_encoder_round_trips_through_plain_json_values():
    import json

    train = frame()
    for output in ("tree", "linear"):
        encoder = FeatureEncoder(["visits", "is_free_email"], ["seniority"], output=output, min_category_count=5).fit(train)
        rebuilt = FeatureEncoder.from_dict(json.loads(json.dumps(encoder.to_dict())))
        np.testing.assert_array_equal(rebuilt.transform(train), encoder.transform(train))
        assert list(rebuilt.get_feature_names_out()) == list(encoder.get_feature_names_out())
