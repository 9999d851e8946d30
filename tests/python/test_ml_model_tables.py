"""The model tables the SQL scorer renders: the node rules reproduce the libraries, path contributions add up."""
import numpy as np
import pandas as pd
import pytest

from leadscore.ml.model_tables import (
    _score_percentile_knots,
    forest_tree_nodes,
    leaf_contribution_matrix,
    leaf_contributions,
    lightgbm_tree_nodes,
)
from leadscore.ml.scoring import probability_to_score


def walk(nodes: pd.DataFrame, X: np.ndarray) -> np.ndarray:
    """Leaf index per (row, tree) by the rules macros/sql_scorer.sql renders (sql_scorer_goes_left)."""
    trees = [tree.set_index("node_index") for _, tree in nodes.groupby("tree_index", sort=True)]
    leaves = np.empty((len(X), len(trees)), dtype=np.int64)
    for t, tree in enumerate(trees):
        for i, row in enumerate(X):
            number = 0
            while not tree.at[number, "is_leaf"]:
                value = row[int(tree.at[number, "feature_index"])]
                missing = np.isnan(value)
                if tree.at[number, "decision_type"] == "==":
                    left = str(int(value)) in tree.at[number, "category_codes"].split(",")
                else:
                    threshold = tree.at[number, "threshold"]
                    compared = np.float32(value) if tree.at[number, "compare_as_float32"] else value
                    kind = tree.at[number, "missing_type"]
                    if kind == "NaN":
                        left = bool(tree.at[number, "default_left"]) if missing else compared <= threshold
                    elif kind == "Zero":
                        zero = missing or abs(value) <= 1.0000000180025095e-35
                        left = bool(tree.at[number, "default_left"]) if zero else compared <= threshold
                    else:
                        left = (0.0 if missing else compared) <= threshold
                number = int(tree.at[number, "left_child" if left else "right_child"])
            leaves[i, t] = int(tree.at[number, "leaf_index"])
    return leaves


def training_data(rows: int = 3000, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 4))
    X[: rows // 10, 0] = np.nan
    X[:, 1] = np.where(rng.random(rows) < 0.1, 0.0, X[:, 1])
    X[rows // 10: rows // 5, 1] = np.nan
    X[:, 3] = rng.integers(0, 6, rows)
    y = (np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) + (X[:, 3] == 2) + rng.normal(size=rows) > 0.5).astype(int)
    return X, y


@pytest.mark.parametrize("zero_as_missing", [False, True])
def test_lightgbm_node_rules_reach_the_leaves_lightgbm_reaches(zero_as_missing):
    import lightgbm as lgb

    X, y = training_data()
    booster = lgb.train({"objective": "binary", "num_leaves": 7, "min_data_in_leaf": 5, "verbose": -1, "seed": 3,
                         "num_threads": 1, "zero_as_missing": zero_as_missing},
                        lgb.Dataset(X, y, categorical_feature=[3]), 8)
    nodes = lightgbm_tree_nodes(booster)
    assert set(nodes["decision_type"].dropna()) == {"<=", "=="}
    sample = X[::15]
    np.testing.assert_array_equal(walk(nodes, sample), booster.predict(sample, pred_leaf=True))


def test_forest_node_rules_reach_the_leaves_and_probabilities_of_scikit_learn():
    from sklearn.ensemble import RandomForestClassifier

    X, y = training_data(seed=4)
    forest = RandomForestClassifier(n_estimators=5, min_samples_leaf=20, random_state=0).fit(X, y)
    nodes = forest_tree_nodes(forest)
    sample = X[::15]
    leaves = walk(nodes, sample)
    np.testing.assert_array_equal(leaves, forest.apply(sample))
    values = nodes[nodes["is_leaf"]].astype({"leaf_index": int}).set_index(["tree_index", "leaf_index"])["node_value"]
    probability = np.zeros(len(sample))
    for t in range(leaves.shape[1]):
        probability += values.loc[t].reindex(leaves[:, t]).to_numpy(dtype=float)
    np.testing.assert_array_equal(probability / leaves.shape[1], forest.predict_proba(sample)[:, 1])


def test_path_contributions_plus_bias_add_up_to_the_raw_score_row_by_row():
    import lightgbm as lgb

    X, y = training_data(rows=4000)
    booster = lgb.train({"objective": "binary", "num_leaves": 15, "min_data_in_leaf": 5, "verbose": -1, "seed": 3,
                         "num_threads": 1}, lgb.Dataset(X, y, categorical_feature=[3]), 40)
    contributions, bias = leaf_contribution_matrix(booster, X, 4, chunk_rows=1000)
    np.testing.assert_allclose(contributions.sum(axis=1) + bias, booster.predict(X, raw_score=True), rtol=0, atol=1e-9)
    assert (np.abs(contributions).sum(axis=0) > 0).all()  # every feature, the categorical one too, gets credit


def test_leaf_contributions_credit_each_split_to_its_feature():
    nodes = pd.DataFrame({
        "tree_index": [0, 0, 0, 0, 0],
        "node_index": [0, 1, 2, 3, 4],
        "is_leaf": [False, True, False, True, True],
        "leaf_index": [None, 0, None, 1, 2],
        "feature_index": [1, None, 0, None, None],
        "left_child": [1, None, 3, None, None],
        "right_child": [2, None, 4, None, None],
        "node_value": [0.5, 0.2, 0.7, 0.6, 1.0],
    })
    table, bias = leaf_contributions(nodes)
    assert bias.tolist() == [0.5]
    credited = {(row.leaf_index, row.feature_index): row.contribution for row in table.itertuples()}
    assert credited == pytest.approx({(0, 1): -0.3, (1, 1): 0.2, (1, 0): -0.1, (2, 1): 0.2, (2, 0): 0.3})


def test_score_curve_knots_interpolate_to_the_python_score():
    rng = np.random.default_rng(5)
    reference = np.round(rng.beta(1, 20, 101), 3)  # ties, as in real reference quantiles
    knots = pd.DataFrame(_score_percentile_knots(reference))
    probabilities = np.concatenate([rng.beta(1, 20, 2000), reference, [0.0, 1.0]])
    percentile = np.interp(probabilities, knots["knot_x"], knots["knot_y"], left=0.0, right=1.0)
    scores = np.clip(1 + np.rint(98 * percentile), 1, 99).astype(int)
    np.testing.assert_array_equal(scores, probability_to_score(probabilities, reference))
