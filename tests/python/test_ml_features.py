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


# ---- custom fields ----

def raw_custom_fields(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Custom fields as a raw loader lands them: every value text, with the odd typo and gaps."""
    rng = np.random.default_rng(seed)
    seats = rng.integers(1, 500, n).astype(str).astype(object)
    seats[:10] = "n/a"  # 2.5% unparseable: still a number
    return pd.DataFrame({
        "lead_id": [f"L{i % 200}" for i in range(n)],  # two snapshots per lead
        "as_of_date": pd.Timestamp("2024-01-01"),
        "seats__c": seats,
        "is_partner__c": rng.choice(["Yes", "no", None], n),
        "has_budget__c": rng.choice(["true", "false", "1", "0"], n),
        "product_interest__c": rng.choice(["analytics", "ingestion", "governance", None], n),
        "lead_notes__c": [f"met at booth {i % 200}" for i in range(n)],  # one value per lead
        "empty__c": pd.Series([None] * n, dtype=object),
        "constant__c": "emea",
        "checkbox__c": np.where(rng.random(n) < 0.3, "true", None),  # true or empty: informative
        "signed_up_at__c": pd.Timestamp("2023-06-01"),
        "score__c": rng.normal(size=n),  # typed number
    })


CUSTOM = ["seats__c", "is_partner__c", "has_budget__c", "product_interest__c", "lead_notes__c", "empty__c",
          "constant__c", "checkbox__c", "signed_up_at__c", "score__c"]


def test_custom_field_kinds_read_text_as_numbers_booleans_or_categories():
    from leadscore.ml import custom_column_kinds

    kinds = custom_column_kinds(raw_custom_fields(), CUSTOM + ["not_loaded__c"])
    assert kinds == {
        "seats__c": "numeric", "is_partner__c": "boolean", "has_budget__c": "boolean",
        "product_interest__c": "categorical", "lead_notes__c": "categorical", "empty__c": "categorical",
        "constant__c": "categorical", "checkbox__c": "boolean", "score__c": "numeric",
    }  # dates are no feature; a field absent from the rows has no kind


def test_coercion_converts_each_kind_and_scoring_reuses_the_training_kinds():
    from leadscore.ml import coerce_custom_columns, custom_column_kinds

    raw = raw_custom_fields()
    coerced = coerce_custom_columns(raw, CUSTOM)
    assert coerced["seats__c"].dtype == np.float64 and coerced["seats__c"].isna().sum() == 10
    assert coerced["is_partner__c"].dtype == "boolean"
    partner = raw["is_partner__c"]
    assert (coerced["is_partner__c"].isna() == partner.isna()).all()
    assert (coerced["is_partner__c"][partner.notna()] == (partner[partner.notna()] == "Yes")).all()
    assert coerced["has_budget__c"].isna().sum() == 0
    pd.testing.assert_series_equal(coerced["product_interest__c"], raw["product_interest__c"])  # text untouched
    assert raw["seats__c"].iloc[0] == raw_custom_fields()["seats__c"].iloc[0]  # the input is not modified
    # today's rows happen to hold only 0/1 seat counts: with the training kinds they stay numbers
    kinds = custom_column_kinds(raw, CUSTOM)
    scoring = raw.head(4).assign(seats__c=["1", "0", "1", "0"])
    assert coerce_custom_columns(scoring, CUSTOM)["seats__c"].dtype == "boolean"
    assert coerce_custom_columns(scoring, CUSTOM, kinds)["seats__c"].tolist() == [1.0, 0.0, 1.0, 0.0]


def test_unusable_custom_fields_are_dropped_with_a_reason_not_an_error():
    from leadscore.ml import custom_column_drop_reasons

    reasons = custom_column_drop_reasons(raw_custom_fields(), CUSTOM + ["not_loaded__c"])
    assert set(reasons) == {"lead_notes__c", "empty__c", "constant__c", "signed_up_at__c", "not_loaded__c"}
    assert "200 distinct values over 200 leads" in reasons["lead_notes__c"]
    assert "empty" in reasons["empty__c"]
    assert "same value (emea)" in reasons["constant__c"]
    assert "date" in reasons["signed_up_at__c"]


def test_custom_fields_get_catalog_rows_and_readable_sentences():
    from leadscore.ml import catalog_with_custom_fields, coerce_custom_columns, top_reasons

    raw = raw_custom_fields()
    seed = catalog()
    seed.loc[len(seed)] = {"feature_name": "score__c", "family": "firmographic", "description": "Fit score",
                           "explanation_template": "Fit score is {value}", "is_protected": "false",
                           "data_type": "numeric"}
    extended = catalog_with_custom_fields(seed, raw, CUSTOM)
    custom = extended[extended["family"] == "custom"].set_index("feature_name")
    assert "score__c" not in custom.index  # the seed's own row wins
    assert "signed_up_at__c" not in custom.index
    assert custom.loc["product_interest__c", "explanation_template"] == "Product interest is {value}"
    assert custom.loc["seats__c", "explanation_template"] == "Seats is {value}"
    assert custom.loc["is_partner__c", "explanation_template"] == "Is partner: {value}"
    assert custom.loc["seats__c", "missing_explanation"] == "Seats is unknown"
    assert custom["data_type"].to_dict()["has_budget__c"] == "boolean"
    assert not normalize(extended).loc[lambda c: c["family"] == "custom", "is_protected"].any()
    rows = coerce_custom_columns(raw.assign(**frame(400)[["label", "is_label_mature"]]), CUSTOM)
    assert {"seats__c", "is_partner__c", "product_interest__c"} <= set(select_feature_columns(rows, extended))
    contributions = pd.DataFrame({"product_interest__c": [1.0, 1.0], "is_partner__c": [-1.0, -1.0],
                                  "seats__c": [0.5, 0.5]})
    values = pd.DataFrame({"product_interest__c": ["analytics", None], "is_partner__c": pd.array([True, None]),
                           "seats__c": [12.0, np.nan]})
    reasons = top_reasons(contributions, values, extended, k=2)
    assert reasons.loc[0, ["reason_up_1", "reason_up_2", "reason_down_1"]].tolist() == [
        "Product interest is analytics", "Seats is 12", "Is partner: yes"]
    assert reasons.loc[1, ["reason_up_1", "reason_up_2", "reason_down_1"]].tolist() == [
        "Product interest is unknown", "Seats is unknown", "Is partner is unknown"]


def normalize(table: pd.DataFrame) -> pd.DataFrame:
    from leadscore.ml import normalize_catalog

    return normalize_catalog(table)


def test_an_id_like_text_column_stays_a_bounded_category_table():
    ids = pd.DataFrame({"account_ref": [f"A{i // 25}" for i in range(5000)]})  # 200 ids, 25 rows each
    encoder = FeatureEncoder([], ["account_ref"], output="tree").fit(ids)
    assert len(encoder.category_levels_["account_ref"]) == encoder.max_categories  # capped, the rest is __other__


def test_scoring_rows_get_the_training_kinds_and_catalog_rows_from_the_model_kinds():
    from leadscore.ml import custom_column_kinds, with_custom_inputs

    raw = raw_custom_fields()
    kinds = {"visits": "numeric", **custom_column_kinds(raw, ["seats__c", "is_partner__c", "product_interest__c"])}
    today = raw.head(3).assign(seats__c=["1", "0", None], is_partner__c=["y", "N", None], visits=[1.0, 2.0, 3.0])
    rows, extended = with_custom_inputs(today, catalog(), kinds)
    assert rows["seats__c"].tolist()[:2] == [1.0, 0.0] and np.isnan(rows["seats__c"].iloc[2])
    assert rows["is_partner__c"].tolist()[:2] == [True, False] and rows["is_partner__c"].isna().iloc[2]
    assert rows["visits"].tolist() == [1.0, 2.0, 3.0]  # catalog features pass through
    assert set(extended["feature_name"]) == set(catalog()["feature_name"]) | {"seats__c", "is_partner__c",
                                                                              "product_interest__c"}
    assert with_custom_inputs(today, catalog(), {"visits": "numeric"})[0] is today  # no custom input: unchanged


def test_a_number_column_read_as_boolean_keeps_its_missing_values():
    from leadscore.ml import coerce_custom_columns

    rows = pd.DataFrame({"flag": [1.0, 0.0, np.nan, 2.0]})
    coerced = coerce_custom_columns(rows, ["flag"], {"flag": "boolean"})["flag"]
    assert coerced.dtype == "boolean"
    assert coerced.tolist()[:2] == [True, False] and coerced.isna().tolist() == [False, False, True, False]
