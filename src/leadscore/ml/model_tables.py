"""A trained bundle as plain tables, so a SQL engine can score with it and explain its scores.

The SQL scorer (``int_lead_scores_computed_sql``) cannot run Python; it renders the champion from these tables at
compile time. Every table is keyed by ``model_version`` (and ``model_part``: ``conversion`` for the lead model,
``deal_size`` for the deal-size regressor, ``explanation`` for the random forest's linear surrogate), holds only
numbers and short strings, and travels with the registry row to any warehouse.

Trees (LightGBM boosters and scikit-learn forests) become one row per node. Nodes are numbered in pre-order from
the root (0); ``left_child`` / ``right_child`` are node numbers; a leaf carries ``leaf_index``, the number the
library itself gives the leaf (``Booster.predict(pred_leaf=True)``, ``DecisionTreeClassifier.apply``), so Python
and SQL name the same leaf the same way.

Tree explanations are *path contributions* (Saabas, as in treeinterpreter): along the path from the root to a
leaf, every split moves the expected value from the parent node's value to the child's, and that change is
credited to the split feature. The root's value is the tree's bias. For one row, the bias of every tree plus the
contributions of the leaves it lands in add up to its raw score (log-odds). Unlike TreeSHAP, this decomposes per
leaf, so :func:`leaf_contributions` is a table that both the Python reference (:mod:`leadscore.ml.explain`) and the
SQL scorer join to the leaves a row reaches: they agree by construction.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .features import OTHER_LEVEL, FeatureEncoder, custom_catalog_row

#: Columns of each table, in order (the Python models return exactly these).
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "features": {
        "model_version": "string", "model_part": "string", "feature_index": "Int64", "feature_name": "string",
        "feature_kind": "string", "encoding": "string", "fallback_description": "string",
        "fallback_explanation_template": "string", "fallback_missing_explanation": "string",
    },
    "category_levels": {
        "model_version": "string", "model_part": "string", "feature_name": "string", "level_code": "Int64",
        "category_level": "string",
    },
    "tree_nodes": {
        "model_version": "string", "model_part": "string", "tree_index": "Int64", "node_index": "Int64",
        "is_leaf": "boolean", "leaf_index": "Int64", "feature_index": "Int64", "feature_name": "string",
        "decision_type": "string", "threshold": "Float64", "category_codes": "string", "missing_type": "string",
        "default_left": "boolean", "compare_as_float32": "boolean", "left_child": "Int64", "right_child": "Int64",
        "node_value": "Float64",
    },
    "leaf_contributions": {
        "model_version": "string", "model_part": "string", "tree_index": "Int64", "leaf_index": "Int64",
        "feature_index": "Int64", "feature_name": "string", "contribution": "Float64",
    },
    "linear_terms": {
        "model_version": "string", "model_part": "string", "term_index": "Int64", "feature_name": "string",
        "term_kind": "string", "category_level": "string", "other_levels": "string", "fill_value": "Float64",
        "mean": "Float64", "scale": "Float64", "coefficient": "Float64",
    },
    "parameters": {
        "model_version": "string", "model_part": "string", "parameter_name": "string",
        "parameter_value": "Float64", "parameter_text": "string",
    },
    "curve_knots": {
        "model_version": "string", "curve_name": "string", "knot_index": "Int64", "knot_x": "Float64",
        "knot_y": "Float64",
    },
}


def conform(rows: Iterable[dict] | pd.DataFrame, table: str) -> pd.DataFrame:
    """Exactly the columns of ``table`` (see :data:`TABLE_COLUMNS`), in order, with their types."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    columns = TABLE_COLUMNS[table]
    conformed = pd.DataFrame(index=frame.index)
    for column, dtype in columns.items():
        values = frame[column] if column in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        conformed[column] = values.astype(dtype)
    return conformed.reset_index(drop=True)


# ---------------------------------------------------------------- trees

def _category_codes(threshold: Any) -> str:
    """LightGBM's categorical threshold ``"0||2||5"`` as ``"0,2,5"``."""
    return ",".join(str(int(code)) for code in str(threshold).split("||"))


def lightgbm_tree_nodes(booster: Any) -> pd.DataFrame:
    """One row per node of every tree of a LightGBM booster (pre-order numbering, see the module docstring).

    Numerical splits send a row left when ``value <= threshold``; a missing value first becomes 0 unless
    ``missing_type`` is ``NaN``, and a missing (``NaN`` type) or zero (``Zero`` type, |value| <= 1e-35) value goes to
    the ``default_left`` side. Categorical splits (``decision_type`` ``==``) send the integer codes listed in
    ``category_codes`` left and everything else right. ``node_value`` is LightGBM's ``internal_value`` for a split
    and ``leaf_value`` for a leaf (both include the learning rate and, in the first tree, the initial score).
    """
    model = booster.dump_model()
    names = model.get("feature_names", [])
    rows = []
    for tree in model["tree_info"]:
        tree_index = int(tree["tree_index"])
        counter = iter(range(10**9))

        def visit(node: dict, tree_index: int = tree_index, counter=counter) -> int:
            number = next(counter)
            row = {"tree_index": tree_index, "node_index": number}
            rows.append(row)
            if "leaf_value" in node:
                row.update(is_leaf=True, leaf_index=int(node.get("leaf_index", 0)),
                           node_value=float(node["leaf_value"]))
                return number
            categorical = node["decision_type"] == "=="
            row.update(
                is_leaf=False,
                feature_index=int(node["split_feature"]),
                feature_name=names[int(node["split_feature"])] if names else None,
                decision_type=node["decision_type"],
                threshold=None if categorical else float(node["threshold"]),
                category_codes=_category_codes(node["threshold"]) if categorical else None,
                missing_type=str(node["missing_type"]),
                default_left=bool(node["default_left"]),
                compare_as_float32=False,
                node_value=float(node["internal_value"]),
            )
            row["left_child"] = visit(node["left_child"])
            row["right_child"] = visit(node["right_child"])
            return number

        visit(tree["tree_structure"])
    return pd.DataFrame(rows)


def forest_tree_nodes(forest: Any) -> pd.DataFrame:
    """One row per node of every tree of a scikit-learn forest classifier.

    scikit-learn compares in single precision (``float32(value) <= threshold``, flagged ``compare_as_float32``) and
    sends missing values to the left when ``missing_go_to_left``. A leaf's ``node_value`` is its positive-class
    fraction, computed as ``predict_proba`` does; the forest's probability is the mean over trees.
    """
    frames = []
    for tree_index, estimator in enumerate(forest.estimators_):
        tree = estimator.tree_
        n_nodes = tree.node_count
        is_leaf = tree.children_left == -1
        values = tree.value[:, 0, :]
        normalizer = values.sum(axis=1)
        normalizer[normalizer == 0.0] = 1.0
        positive = values[:, 1] / normalizer
        missing_left = getattr(tree, "missing_go_to_left", np.zeros(n_nodes, dtype=np.uint8)).astype(bool)
        frames.append(pd.DataFrame({
            "tree_index": tree_index,
            "node_index": np.arange(n_nodes),
            "is_leaf": is_leaf,
            "leaf_index": np.where(is_leaf, np.arange(n_nodes), -1),
            "feature_index": np.where(is_leaf, -1, tree.feature),
            "decision_type": np.where(is_leaf, None, "<="),
            "threshold": np.where(is_leaf, np.nan, tree.threshold),
            "missing_type": np.where(is_leaf, None, "NaN"),
            "default_left": np.where(is_leaf, False, missing_left),
            "compare_as_float32": ~is_leaf,
            "left_child": tree.children_left,
            "right_child": tree.children_right,
            "node_value": np.where(is_leaf, positive, np.nan),
        }))
    nodes = pd.concat(frames, ignore_index=True)
    for column in ("leaf_index", "feature_index", "left_child", "right_child"):
        nodes[column] = nodes[column].astype("Int64").where(nodes[column] >= 0)
    nodes["threshold"] = nodes["threshold"].where(~nodes["is_leaf"])
    nodes["node_value"] = nodes["node_value"].where(nodes["is_leaf"])
    return nodes


def leaf_contributions(nodes: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Path contributions of every leaf (Saabas), and every tree's bias.

    Parameters
    ----------
    nodes : pandas.DataFrame
        :func:`lightgbm_tree_nodes` output.

    Returns
    -------
    contributions : pandas.DataFrame
        ``tree_index, leaf_index, feature_index, contribution``: for each leaf and each feature split on along its
        path, the sum of ``value(child) - value(parent)`` over those splits. Leaves of a single-leaf tree have no
        rows.
    bias : numpy.ndarray
        The root's value of each tree (index = tree number). Per tree, bias plus a leaf's contributions equals
        the leaf's value up to rounding.
    """
    records = []
    n_trees = int(nodes["tree_index"].max()) + 1 if len(nodes) else 0
    bias = np.zeros(n_trees)
    for tree_index, tree in nodes.groupby("tree_index", sort=True):
        by_number = tree.set_index("node_index")
        bias[int(tree_index)] = float(by_number.at[0, "node_value"])
        stack = [(0, {})]
        while stack:
            number, path = stack.pop()
            node = by_number.loc[number]
            if bool(node["is_leaf"]):
                for feature, contribution in path.items():
                    records.append((int(tree_index), int(node["leaf_index"]), feature, contribution))
                continue
            feature = int(node["feature_index"])
            for child in (int(node["left_child"]), int(node["right_child"])):
                change = float(by_number.at[child, "node_value"]) - float(node["node_value"])
                stack.append((child, {**path, feature: path.get(feature, 0.0) + change}))
    frame = pd.DataFrame(records, columns=["tree_index", "leaf_index", "feature_index", "contribution"])
    frame = frame.sort_values(["tree_index", "leaf_index", "feature_index"], kind="mergesort").reset_index(drop=True)
    return frame, bias


def leaf_contribution_matrix(
    booster: Any, X: np.ndarray, n_features: int, chunk_rows: int = 200_000
) -> tuple[np.ndarray, float]:
    """Per-row path contributions of a LightGBM booster: the leaves each row reaches, looked up in the leaf table.

    Vectorized: ``pred_leaf`` gives the leaf of every (row, tree); a sparse (rows x all leaves) indicator times
    the sparse (all leaves x features) contribution table sums them.

    Returns
    -------
    contributions : numpy.ndarray, shape (n_rows, n_features)
    bias : float
        Sum of the trees' root values: the raw score of a row whose contributions are all zero.
    """
    from scipy import sparse

    table, bias = leaf_contributions(lightgbm_tree_nodes(booster))
    n_trees = booster.num_trees()
    leaves_per_tree = np.array([int(tree["num_leaves"]) for tree in booster.dump_model()["tree_info"]])
    offsets = np.concatenate([[0], np.cumsum(leaves_per_tree)[:-1]])
    lookup = sparse.csr_matrix(
        (table["contribution"].to_numpy(float),
         (offsets[table["tree_index"].to_numpy()] + table["leaf_index"].to_numpy(), table["feature_index"].to_numpy())),
        shape=(int(leaves_per_tree.sum()), n_features),
    )
    result = np.zeros((len(X), n_features))
    for start in range(0, len(X), chunk_rows):
        leaves = np.asarray(booster.predict(X[start:start + chunk_rows], pred_leaf=True), dtype=np.int64)
        leaves = leaves.reshape(len(leaves), n_trees)
        rows = len(leaves)
        indicator = sparse.csr_matrix(
            (np.ones(rows * n_trees), (leaves + offsets).ravel(), np.arange(0, rows * n_trees + 1, n_trees)),
            shape=(rows, lookup.shape[0]),
        )
        result[start:start + rows] = (indicator @ lookup).toarray()
    return result, float(bias.sum())


# ---------------------------------------------------------------- encoders and linear terms

def _features_rows(encoder: FeatureEncoder, kinds: dict) -> list[dict]:
    categorical = set(encoder.categorical_features)
    default_kind = {name: "categorical" if name in categorical else "numeric" for name in encoder.feature_names_in_}
    rows = []
    for position, name in enumerate(encoder.feature_names_in_):
        kind = kinds.get(name, default_kind[name])
        # the sentences a custom field gets when the catalog seed does not describe it (the SQL scorer's copy)
        fallback = custom_catalog_row(name, kind)
        rows.append({"feature_index": position, "feature_name": name, "feature_kind": kind,
                     "encoding": "category_code" if name in categorical else "number",
                     "fallback_description": fallback["description"],
                     "fallback_explanation_template": fallback["explanation_template"],
                     "fallback_missing_explanation": fallback["missing_explanation"]})
    return rows


def _category_rows(encoder: FeatureEncoder) -> list[dict]:
    rows = []
    for name in encoder.categorical_features:
        levels = encoder.category_levels_[name]
        rows += [{"feature_name": name, "level_code": code, "category_level": level}
                 for code, level in enumerate(levels)]
        rows.append({"feature_name": name, "level_code": len(levels), "category_level": OTHER_LEVEL})
    return rows


def linear_term_rows(encoder: FeatureEncoder, coef: Any) -> list[dict]:
    """One row per column of a linear encoding: how to compute it from the raw feature, and its coefficient.

    ``term_kind`` is ``value`` (the number, ``fill_value`` when missing), ``missing_indicator`` (1 when missing)
    or ``level`` (1 when the category equals ``category_level``; the ``__other__`` level is 1 when the category is
    none of ``other_levels``, the kept levels joined by ``|``). The term is ``coefficient * (column - mean) /
    scale``.
    """
    coefficients = np.asarray(coef, dtype=float)
    rows, position = [], 0
    for name in encoder.numeric_features:
        kinds = ["value", "missing_indicator"] if encoder.has_missing_[name] else ["value"]
        for kind in kinds:
            column = name if kind == "value" else f"{name}__missing"
            rows.append({"term_index": position, "feature_name": name, "term_kind": kind,
                         "fill_value": encoder.medians_[name] if kind == "value" else None,
                         "mean": encoder.means_[column], "scale": encoder.scales_[column],
                         "coefficient": coefficients[position]})
            position += 1
    for name in encoder.categorical_features:
        levels = encoder.category_levels_[name]
        for level in [*levels, OTHER_LEVEL]:
            column = f"{name}={level}"
            rows.append({"term_index": position, "feature_name": name, "term_kind": "level", "category_level": level,
                         "other_levels": "|".join(levels) if level == OTHER_LEVEL else None,
                         "mean": encoder.means_[column], "scale": encoder.scales_[column],
                         "coefficient": coefficients[position]})
            position += 1
    return rows



def _named(nodes: pd.DataFrame, encoder: FeatureEncoder) -> pd.DataFrame:
    """Nodes with ``feature_name``: the source feature of each split's column."""
    sources = list(encoder.feature_sources_)
    nodes["feature_name"] = [None if pd.isna(index) else sources[int(index)] for index in nodes["feature_index"]]
    return nodes


# ---------------------------------------------------------------- whole bundles

def _score_percentile_knots(reference: Any) -> list[dict]:
    """Distinct reference probabilities and their mean levels: the curve :func:`probability_to_score` interpolates."""
    ordered = np.sort(np.asarray(reference, dtype=float))
    levels = np.linspace(0.0, 1.0, len(ordered))
    distinct, inverse = np.unique(ordered, return_inverse=True)
    mean_levels = np.bincount(inverse, weights=levels) / np.bincount(inverse)
    return [{"curve_name": "score_percentile", "knot_index": i, "knot_x": float(x), "knot_y": float(y)}
            for i, (x, y) in enumerate(zip(distinct, mean_levels))]


def bundle_tables(bundle: Any, deal_model: Any | None) -> dict[str, pd.DataFrame]:
    """Every table of one trained model version (lead model plus deal-size model), conformed.

    Parameters
    ----------
    bundle : leadscore.ml.ModelBundle
    deal_model : leadscore.ml.DealSizeModel, optional

    Returns
    -------
    dict
        ``{table name: frame}`` for every name in :data:`TABLE_COLUMNS`.
    """
    rows: dict[str, list[dict]] = {name: [] for name in TABLE_COLUMNS}

    def add(table: str, part: str, items: Iterable[dict]) -> None:
        rows[table] += [{"model_version": bundle.version_id, "model_part": part, **item} for item in items]

    def parameter(part: str, name: str, value: float | None = None, text: str | None = None) -> None:
        add("parameters", part, [{"parameter_name": name, "parameter_value": value, "parameter_text": text}])

    parameter("conversion", "algorithm", text=bundle.algorithm)
    add("features", "conversion", _features_rows(bundle.encoder, bundle.feature_kinds))
    if bundle.algorithm == "lightgbm":
        nodes = _named(lightgbm_tree_nodes(bundle.model), bundle.encoder)
        add("tree_nodes", "conversion", nodes.to_dict("records"))
        contributions, bias = leaf_contributions(nodes)
        contributions["feature_name"] = [bundle.encoder.feature_sources_[i] for i in contributions["feature_index"]]
        add("leaf_contributions", "conversion", contributions.to_dict("records"))
        parameter("conversion", "bias", float(bias.sum()))
        parameter("conversion", "tree_count", float(len(bias)))
        add("category_levels", "conversion", _category_rows(bundle.encoder))
    elif bundle.algorithm == "random_forest":
        nodes = _named(forest_tree_nodes(bundle.model), bundle.encoder)
        add("tree_nodes", "conversion", nodes.to_dict("records"))
        parameter("conversion", "tree_count", float(len(bundle.model.estimators_)))
        add("category_levels", "conversion", _category_rows(bundle.encoder))
        surrogate = bundle.explainer
        add("linear_terms", "explanation", linear_term_rows(surrogate["encoder"], surrogate["coef"]))
        parameter("explanation", "intercept", float(surrogate["intercept"]))
    elif bundle.algorithm == "logistic":
        add("linear_terms", "conversion", linear_term_rows(bundle.encoder, bundle.model.coef))
        parameter("conversion", "intercept", float(bundle.model.intercept))
    else:
        raise ValueError(f"unknown algorithm {bundle.algorithm!r}")

    calibration = bundle.calibration
    parameter("calibration", "method", text=calibration["method"])
    if calibration["method"] == "isotonic":
        rows["curve_knots"] += [{"model_version": bundle.version_id, "curve_name": "calibration", "knot_index": i,
                                 "knot_x": float(x), "knot_y": float(y)}
                                for i, (x, y) in enumerate(zip(calibration["x"], calibration["y"]))]
    elif calibration["method"] == "platt":
        parameter("calibration", "platt_a", float(calibration["a"]))
        parameter("calibration", "platt_b", float(calibration["b"]))
        parameter("calibration", "platt_input", text=calibration.get("input", "logit"))
    rows["curve_knots"] += [{"model_version": bundle.version_id, **knot}
                            for knot in _score_percentile_knots(bundle.metadata["reference_quantiles"])]

    if deal_model is not None:
        parameter("deal_size", "kind", text=deal_model.kind)
        parameter("deal_size", "median_amount", float(deal_model.median_amount))
        parameter("deal_size", "smearing_factor", float(deal_model.smearing_factor))
        if deal_model.kind == "lightgbm":
            nodes = _named(lightgbm_tree_nodes(deal_model.booster), deal_model.encoder)
            add("tree_nodes", "deal_size", nodes.to_dict("records"))
            add("features", "deal_size", _features_rows(deal_model.encoder, {}))
            add("category_levels", "deal_size", _category_rows(deal_model.encoder))
    return {name: conform(items, name) for name, items in rows.items()}


def registry_tables(registry: pd.DataFrame, table: str) -> pd.DataFrame:
    """One table (a key of :data:`TABLE_COLUMNS`) for every trained model version of a registry frame."""
    from .deal_size import deserialize_deal_size_model
    from .registry import deserialize_model

    frames = [conform([], table)]
    trained = registry[registry["status"] == "trained"] if len(registry) else registry
    for _, row in trained.sort_values("model_version", kind="mergesort").iterrows():
        bundle = deserialize_model(row["model_json"])
        bundle.version_id = row["model_version"]
        deal_text = row.get("deal_size_model_json")
        deal_model = deserialize_deal_size_model(deal_text) if isinstance(deal_text, str) else None
        frames.append(bundle_tables(bundle, deal_model)[table])
    return pd.concat(frames, ignore_index=True)
