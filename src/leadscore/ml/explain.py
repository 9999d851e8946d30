"""Per-row feature contributions and readable reasons.

Contributions are additive terms in the model's log-odds, before calibration (the
calibration map is monotone, so the direction and order of the reasons hold for the
calibrated probability too). Each frame has one column per feature plus
``expected_value``, the log-odds of an average lead; the terms of a row add up to its
log-odds (exactly for LightGBM and logistic regression, approximately for the random
forest surrogate).

* LightGBM: path contributions (Saabas, as in treeinterpreter). Along the path from a
  tree's root to the leaf a row reaches, every split changes the node's expected value
  (LightGBM's internal value) and that change is credited to the split feature; the
  roots' values summed over the trees are the expected value. Unlike TreeSHAP this
  decomposes per leaf, so the contributions are a lookup in a per-leaf table
  (:func:`leadscore.ml.model_tables.leaf_contributions`) that the SQL scorer joins too:
  Python and SQL reasons agree by construction.
* Logistic regression: ``coefficient * standardized value`` per encoded column; the
  missing-indicator and one-hot terms are summed back to their source feature. The
  standardization centres every column on its training mean, so a term is the effect
  of this lead's value relative to the average training lead.
* Random forest: exact tree attributions (scikit-learn's decision paths, SHAP) are
  too slow for millions of rows, so the forest carries a *linear surrogate*: a ridge
  regression of the forest's training log-odds on the standardized linear encoding,
  fitted once at training time. Its mean-centred terms are used like the logistic
  ones; the surrogate's R^2 is stored with it as a fidelity measure.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import logit

from .features import FeatureEncoder, normalize_catalog
from .frames import as_bool, to_float

if TYPE_CHECKING:  # pragma: no cover
    from .registry import ModelBundle

EXPECTED_VALUE_COLUMN = "expected_value"
_PLACEHOLDER = re.compile(r"\{value(?::[^}]*)?\}")


def lightgbm_contributions(booster, X: np.ndarray, features: Sequence[str], index: pd.Index | None = None) -> pd.DataFrame:
    """Path contributions (Saabas) of a LightGBM booster, from its per-leaf contribution table.

    Each row's leaves (``pred_leaf``) are looked up in :func:`leadscore.ml.model_tables.leaf_contributions`, the
    same table the SQL scorer joins, and summed per feature. ``expected_value`` is the sum of the trees' root
    values; it plus the feature columns equals the row's raw score (log-odds).

    Parameters
    ----------
    booster : lightgbm.Booster
    X : numpy.ndarray
        Tree-encoded rows (columns in ``features`` order).
    features : sequence of str
        Source feature name of each column of ``X``.
    index : pandas.Index, optional
        Index of the returned frame.

    Returns
    -------
    pandas.DataFrame
        One column per feature plus ``expected_value``.
    """
    from .model_tables import leaf_contribution_matrix

    values, bias = leaf_contribution_matrix(booster, X, len(features))
    frame = pd.DataFrame(values, columns=list(features), index=index)
    frame[EXPECTED_VALUE_COLUMN] = bias
    return frame


def linear_contributions(
    coef: np.ndarray,
    intercept: float,
    Z: np.ndarray,
    sources: Sequence[str],
    features: Sequence[str],
    index: pd.Index | None = None,
) -> pd.DataFrame:
    """``coef * z`` per encoded column, summed back to each source feature.

    Parameters
    ----------
    coef : numpy.ndarray, shape (n_columns,)
    intercept : float
        Log-odds at the training mean (all standardized columns zero).
    Z : numpy.ndarray, shape (n_rows, n_columns)
        Standardized linear encoding.
    sources : sequence of str
        Source feature of each encoded column.
    features : sequence of str
        Output feature order.

    Returns
    -------
    pandas.DataFrame
        One column per feature plus ``expected_value``.
    """
    position = {name: i for i, name in enumerate(features)}
    aggregate = np.zeros((len(sources), len(features)))
    aggregate[np.arange(len(sources)), [position[source] for source in sources]] = 1.0
    terms = (Z * np.asarray(coef)[None, :]) @ aggregate
    frame = pd.DataFrame(terms, columns=list(features), index=index)
    frame[EXPECTED_VALUE_COLUMN] = float(intercept)
    return frame


def fit_linear_surrogate(Z: np.ndarray, raw_probabilities: np.ndarray, *, alpha: float = 1.0) -> dict:
    """Ridge regression of a model's log-odds on the standardized linear encoding.

    Parameters
    ----------
    Z : numpy.ndarray
        Standardized linear encoding of the training rows.
    raw_probabilities : numpy.ndarray
        The model's raw probabilities for those rows.
    alpha : float
        Ridge penalty.

    Returns
    -------
    dict
        ``{"coef": list, "intercept": float, "r2": float}``: JSON-serializable.
    """
    from sklearn.linear_model import Ridge

    target = logit(np.clip(raw_probabilities, 1e-4, 1 - 1e-4))
    ridge = Ridge(alpha=alpha).fit(Z, target)
    return {"coef": ridge.coef_.tolist(), "intercept": float(ridge.intercept_), "r2": float(ridge.score(Z, target))}


def explain(bundle: "ModelBundle", frame: pd.DataFrame) -> pd.DataFrame:
    """Per-row contributions of a trained bundle (see the module docstring for the method per algorithm).

    Parameters
    ----------
    bundle : ModelBundle
    frame : pandas.DataFrame
        Rows holding the bundle's features.

    Returns
    -------
    pandas.DataFrame
        One column per feature (bundle order) plus ``expected_value``, indexed like ``frame``.
    """
    features = list(bundle.features)
    if bundle.algorithm == "lightgbm":
        contributions = lightgbm_contributions(
            bundle.model, bundle.encoder.transform(frame), bundle.encoder.feature_sources_, frame.index
        )
    elif bundle.algorithm == "logistic":
        contributions = linear_contributions(
            bundle.model.coef, bundle.model.intercept, bundle.encoder.transform(frame),
            bundle.encoder.feature_sources_, features, frame.index,
        )
    elif bundle.algorithm == "random_forest":
        surrogate = bundle.explainer
        encoder: FeatureEncoder = surrogate["encoder"]
        contributions = linear_contributions(
            np.asarray(surrogate["coef"]), surrogate["intercept"], encoder.transform(frame),
            encoder.feature_sources_, features, frame.index,
        )
    else:
        raise ValueError(f"unknown algorithm {bundle.algorithm!r}")
    return contributions[[*features, EXPECTED_VALUE_COLUMN]]


def mean_abs_contributions(contributions: pd.DataFrame) -> pd.Series:
    """Global importance: mean absolute contribution per feature, largest first."""
    features = [column for column in contributions.columns if column != EXPECTED_VALUE_COLUMN]
    return contributions[features].abs().mean().sort_values(ascending=False, kind="mergesort")


def _top_slots(matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column index and value of the k largest entries per row, largest first (k argmax passes)."""
    work = matrix.copy()
    rows = np.arange(len(matrix))
    indices = np.empty((len(matrix), k), dtype=np.int64)
    values = np.empty((len(matrix), k))
    for slot in range(k):
        best = work.argmax(axis=1)
        indices[:, slot] = best
        values[:, slot] = work[rows, best]
        work[rows, best] = -np.inf
    return indices, values


def _number_text(rounded: np.ndarray, decimals: int) -> pa.Array:
    """Rounded numbers as plain decimal text: whole numbers without decimals, others with the few they need.

    Never scientific notation (the SQL scorer writes numbers the same way, see macros/sql_scorer.sql).
    """
    whole = (rounded == np.floor(rounded)) & (np.abs(rounded) < 2.0**53)
    text = pc.cast(pa.array(rounded), pa.string())  # shortest round-trip text: plain below 1e10
    text = pc.if_else(pa.array(whole), pc.cast(pa.array(np.where(whole, rounded, 0.0).astype(np.int64)), pa.string()), text)
    large = ~whole & (np.abs(rounded) >= 1e10)
    if large.any():  # rare: write these few one by one
        plain = np.array([f"{value:.{decimals}f}".rstrip("0").rstrip(".") for value in rounded[large]], dtype=object)
        filled = np.array(text.to_pylist(), dtype=object)
        filled[large] = plain
        text = pa.array(filled, type=pa.string())
    return text


def format_values(values: np.ndarray, kind: str, decimals: int = 2) -> pa.Array:
    """Readable strings for feature values: whole numbers as integers, others rounded, booleans yes/no.

    Parameters
    ----------
    values : numpy.ndarray
        Raw values of one feature.
    kind : {"numeric", "boolean", "categorical"}
    decimals : int
        Rounding of non-integer numbers (whole numbers print without decimals).

    Returns
    -------
    pyarrow.Array of string
        Null where the value is missing.
    """
    series = pd.Series(values)
    missing = series.isna().to_numpy()
    if kind == "boolean":
        text = pa.array(np.where(as_bool(series), "yes", "no"), type=pa.string())
    elif kind == "numeric":
        numbers = to_float(series)
        missing = missing | np.isnan(numbers)
        rounded = np.round(np.where(missing, 0.0, numbers), decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
        text = _number_text(rounded, decimals)
    else:
        as_text = series.astype(object).where(~missing, "").map(str)
        text = pa.array(as_text.to_numpy(dtype=object), type=pa.string())
    if missing.any():
        text = pc.if_else(pa.array(missing), pa.nulls(len(text), pa.string()), text)
    return text


def _sentence_parts(catalog: pd.DataFrame, features: Sequence[str]) -> dict[str, tuple[list[str], str]]:
    """Per feature: template split around ``{value}`` and the sentence for a missing value.

    The catalog's ``missing_explanation`` (e.g. "Never touched by sales") reads a missing value; without one
    the sentence is "<description>: unknown".
    """
    normalized = normalize_catalog(catalog).set_index("feature_name")
    parts = {}
    for name in features:
        known = name in normalized.index
        template = normalized.at[name, "explanation_template"] if known else ""
        description = normalized.at[name, "description"] if known else ""
        label = description.strip() or name
        if not template.strip():
            template = f"{label}: {{value}}"
        missing = (normalized.at[name, "missing_explanation"] if known else "").strip() or f"{label}: unknown"
        pieces = _PLACEHOLDER.split(template)
        parts[name] = (pieces, missing)
    return parts


def _kinds(values: pd.DataFrame, catalog: pd.DataFrame, features: Sequence[str]) -> dict[str, str]:
    from .features import feature_kinds

    kinds = feature_kinds(values, catalog)
    result = {}
    for name in features:
        if name in kinds:
            result[name] = kinds[name]
        elif name in values.columns and pd.api.types.is_bool_dtype(values[name].dtype):
            result[name] = "boolean"
        elif name in values.columns and pd.api.types.is_numeric_dtype(values[name].dtype):
            result[name] = "numeric"
        else:
            result[name] = "categorical"
    return result


def _sentences(pieces: list[str], missing_sentence: str, formatted: pa.Array) -> pa.Array:
    """Fill a template for many formatted values at once (a missing value reads missing_sentence)."""
    if len(pieces) == 1:  # a template without {value}
        filled = pa.array(np.full(len(formatted), pieces[0], dtype=object), type=pa.string())
    else:
        arguments = [pieces[0]]
        for piece in pieces[1:]:
            arguments.extend([formatted, piece])
        filled = pc.binary_join_element_wise(*arguments, "")
    return pc.if_else(pc.is_null(formatted), pa.scalar(missing_sentence), filled)


def _json_numbers(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.round(values, 4) + 0.0), pa.string())


def _contributions_json(matrix: np.ndarray, names: Sequence[str], expected: np.ndarray | None, top_n: int) -> pa.Array:
    """JSON object per row: the ``top_n`` largest absolute contributions, ``_other`` and ``_expected_value``."""
    n_rows, n_features = matrix.shape
    keys = pa.array([json.dumps(str(name)) + ": " for name in names], type=pa.string())
    top_n = min(top_n, n_features)
    if top_n == n_features:
        order = np.broadcast_to(np.arange(n_features), (n_rows, n_features))
    else:
        order, _ = _top_slots(np.abs(matrix), top_n)
    chosen = np.take_along_axis(matrix, order, axis=1)
    pieces = [
        pc.binary_join_element_wise(pc.take(keys, pa.array(order[:, slot])), _json_numbers(chosen[:, slot]), "")
        for slot in range(top_n)
    ]
    if top_n < n_features:
        pieces.append(pc.binary_join_element_wise('"_other": ', _json_numbers(matrix.sum(axis=1) - chosen.sum(axis=1)), ""))
    if expected is not None:
        pieces.append(pc.binary_join_element_wise('"_expected_value": ', _json_numbers(expected), ""))
    return pc.binary_join_element_wise("{", pc.binary_join_element_wise(*pieces, ", "), "}", "")


def _slot_sentences(
    chosen: np.ndarray,
    valid: np.ndarray,
    features: Sequence[str],
    raw_values: dict,
    kinds: dict,
    parts: dict,
    decimals: int,
) -> pa.Array:
    """Sentences for one reason slot: rows are grouped by chosen feature, formatted per group, then put back in order."""
    group_of_row = np.where(valid, chosen, len(features))
    order = np.argsort(group_of_row, kind="stable")
    sorted_groups = group_of_row[order]
    boundaries = np.flatnonzero(np.diff(sorted_groups)) + 1
    arrays = []
    for rows in np.split(order, boundaries):
        if len(rows) == 0:
            continue
        group = group_of_row[rows[0]]
        if group == len(features):
            arrays.append(pa.nulls(len(rows), pa.string()))
            continue
        name = features[group]
        pieces, label = parts[name]
        arrays.append(_sentences(pieces, label, format_values(raw_values[name][rows], kinds[name], decimals)))
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.arange(len(order))
    combined = pa.concat_arrays(arrays) if arrays else pa.array([], pa.string())
    return pc.take(combined, pa.array(inverse))


def top_reasons(
    contribs: pd.DataFrame,
    values: pd.DataFrame,
    catalog: pd.DataFrame,
    k: int = 3,
    *,
    json_top_n: int = 10,
    decimals: int = 2,
    chunk_size: int = 250_000,
) -> pd.DataFrame:
    """Top-k raising and lowering factors per row as readable sentences.

    Only positive contributions count as raising and only negative ones as lowering;
    a row with fewer than ``k`` of either gets ``None`` in the remaining slots. A
    sentence is the catalog ``explanation_template`` with ``{value}`` replaced by the
    row's value (integers without decimals, other numbers rounded to ``decimals``,
    booleans as yes/no); a missing value reads ``"<description>: unknown"``. Features
    without a template read ``"<description>: <value>"``.

    Fully vectorized: the selection is ``k`` argmax passes per direction over row
    chunks, and the sentences are built per (slot, feature) with numpy string
    operations.

    Parameters
    ----------
    contribs : pandas.DataFrame
        Contributions (one column per feature, optional ``expected_value``).
    values : pandas.DataFrame
        Raw feature values of the same rows (same index), used in the sentences.
    catalog : pandas.DataFrame
        Feature catalog with ``explanation_template`` and ``description``.
    k : int
        Reasons per direction.
    json_top_n : int
        Contributions kept in ``contributions_json`` (largest absolute values); the
        rest are summed into ``_other``. Use the number of features to keep all.
    decimals : int
    chunk_size : int
        Rows processed at a time (bounds memory).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``contribs``: ``reason_up_1..k``, ``reason_down_1..k``,
        ``feature_up_1..k``, ``feature_down_1..k``, ``contributions_json``.
    """
    features = [column for column in contribs.columns if column != EXPECTED_VALUE_COLUMN]
    missing_values = [name for name in features if name not in values.columns]
    if missing_values:
        raise KeyError(f"values frame lacks feature(s) {missing_values}")
    k = min(k, len(features))
    matrix_all = np.nan_to_num(contribs[features].to_numpy(dtype=np.float64))
    expected_all = (contribs[EXPECTED_VALUE_COLUMN].to_numpy(dtype=np.float64)
                    if EXPECTED_VALUE_COLUMN in contribs.columns else None)
    parts = _sentence_parts(catalog, features)
    kinds = _kinds(values, catalog, features)
    names = pa.array(features, type=pa.string())
    columns = [f"{prefix}_{side}_{slot + 1}" for prefix in ("reason", "feature")
               for side in ("up", "down") for slot in range(k)] + ["contributions_json"]
    chunks = {column: [] for column in columns}
    full_values = {name: values[name].to_numpy() for name in features}

    for start in range(0, len(contribs), chunk_size):
        stop = min(start + chunk_size, len(contribs))
        matrix = matrix_all[start:stop]
        raw_values = {name: column[start:stop] for name, column in full_values.items()}
        for side, signed in (("up", matrix), ("down", -matrix)):
            indices, tops = _top_slots(signed, k)
            for slot in range(k):
                valid = tops[:, slot] > 0
                chunks[f"feature_{side}_{slot + 1}"].append(
                    pc.if_else(pa.array(valid), pc.take(names, pa.array(indices[:, slot])), pa.scalar(None, pa.string()))
                )
                chunks[f"reason_{side}_{slot + 1}"].append(
                    _slot_sentences(indices[:, slot], valid, features, raw_values, kinds, parts, decimals)
                )
        expected = None if expected_all is None else expected_all[start:stop]
        chunks["contributions_json"].append(_contributions_json(matrix, features, expected, json_top_n))

    table = pa.table({column: pa.chunked_array(arrays, type=pa.string()) for column, arrays in chunks.items()})
    result = table.to_pandas()
    result.index = contribs.index
    return result
