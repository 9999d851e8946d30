"""The rule-based points score: the baseline every model must beat.

Reads the ``lead_scoring_rules`` seed: ``rule_id, rule_type, feature_name,
match_value, min_value, max_value, points, points_basis, cap, description``.

How a rule scores a row (as documented in ``seeds/_seeds.yml``)
--------------------------------------------------------------
* **Fires** when the feature equals ``match_value`` (compared as trimmed lower-case
  text, booleans as ``'true'``/``'false'``, whole numbers without ``.0``; several
  accepted values may be separated by ``|``), or, for a rule without ``match_value``,
  when the feature lies in ``[min_value, max_value]`` (both inclusive, a missing bound
  is open). A rule with neither fires whenever the feature is present.
  A missing feature value never fires a rule.
* **Adds** ``points`` once (``points_basis = 'once'``, the default when the column is
  absent) or ``points * value`` (``points_basis = 'per_unit'``).
* **Caps** the rule at ``cap`` points in absolute value when ``cap`` is given.

``rule_type`` is a reporting family (title_seniority, behaviour, negative, ...) and
does not change how a rule is evaluated. The score of a row is the sum over rules.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .frames import to_float

REQUIRED_COLUMNS = ("rule_id", "feature_name", "points")
OPTIONAL_COLUMNS = ("rule_type", "match_value", "min_value", "max_value", "points_basis", "cap", "description")
POINTS_BASES = ("once", "per_unit")


def _normalized_value(value: object) -> str | None:
    """Trimmed lower-case text; booleans 'true'/'false'; whole floats lose their ``.0``; missing gives None."""
    if value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and np.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip().lower()


def _normalized_text(values: pd.Series) -> pd.Series:
    """:func:`_normalized_value` over a column, computed once per distinct value."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    normalized = np.array([_normalized_value(value) for value in uniques] + [None], dtype=object)
    return pd.Series(normalized[codes], index=values.index)


def normalize_rules(rules: pd.DataFrame) -> pd.DataFrame:
    """Validate the points table: lower-case column names, numeric bounds, known ``points_basis``.

    Raises
    ------
    ValueError
        On missing required columns or an unknown ``points_basis``.
    """
    normalized = rules.rename(columns=str.lower).copy()
    missing = [column for column in REQUIRED_COLUMNS if column not in normalized.columns]
    if missing:
        raise ValueError(f"the rules table needs column(s) {missing}")
    for column in OPTIONAL_COLUMNS:
        if column not in normalized.columns:
            normalized[column] = "once" if column == "points_basis" else None
    basis = normalized["points_basis"].astype(object).where(normalized["points_basis"].notna(), "once")
    normalized["points_basis"] = basis.astype(str).str.strip().str.lower()
    unknown = sorted(set(normalized["points_basis"]) - set(POINTS_BASES))
    if unknown:
        raise ValueError(f"unknown points_basis {unknown}; use one of {list(POINTS_BASES)}")
    for column in ("min_value", "max_value", "points", "cap"):
        normalized[column] = to_float(normalized[column])
    normalized["rule_id"] = normalized["rule_id"].astype(str)
    return normalized.sort_values("rule_id", kind="mergesort").reset_index(drop=True)


def _fires(values: pd.Series, rule: pd.Series) -> np.ndarray:
    match_value = _normalized_value(rule["match_value"])
    if match_value is not None:
        accepted = {part.strip() for part in match_value.split("|")}
        return _normalized_text(values).isin(accepted).to_numpy()
    present = values.notna().to_numpy()
    if np.isnan(rule["min_value"]) and np.isnan(rule["max_value"]):
        return present
    numbers = to_float(values)
    low = -np.inf if np.isnan(rule["min_value"]) else rule["min_value"]
    high = np.inf if np.isnan(rule["max_value"]) else rule["max_value"]
    with np.errstate(invalid="ignore"):
        return (numbers >= low) & (numbers <= high)


def _rule_contribution(values: pd.Series, rule: pd.Series) -> np.ndarray:
    fires = _fires(values, rule)
    if rule["points_basis"] == "per_unit":
        points = np.nan_to_num(to_float(values), nan=0.0) * rule["points"]
    else:
        points = np.full(len(values), rule["points"])
    contribution = np.where(fires, points, 0.0)
    if not np.isnan(rule["cap"]):
        contribution = np.clip(contribution, -abs(rule["cap"]), abs(rule["cap"]))
    return contribution.astype(float)


def rule_points_breakdown(frame: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """Points earned per rule (one column per ``rule_id``), aligned with ``frame``.

    Raises
    ------
    ValueError
        If a rule reads a column missing from ``frame``.
    """
    normalized = normalize_rules(rules)
    missing = sorted(set(normalized["feature_name"]) - set(frame.columns))
    if missing:
        raise ValueError(f"rule(s) read feature(s) missing from the frame: {missing}")
    columns = {
        rule["rule_id"]: _rule_contribution(frame[rule["feature_name"]], rule)
        for _, rule in normalized.iterrows()
    }
    return pd.DataFrame(columns, index=frame.index)


def rule_points(frame: pd.DataFrame, rules: pd.DataFrame) -> pd.Series:
    """Rule-based points score per row: the sum of every rule's (capped) points.

    Parameters
    ----------
    frame : pandas.DataFrame
        Feature rows (``lead_features``).
    rules : pandas.DataFrame
        The ``lead_scoring_rules`` seed (see the module docstring).

    Returns
    -------
    pandas.Series of float named ``rule_points``, aligned with ``frame``.
    """
    breakdown = rule_points_breakdown(frame, rules)
    return pd.Series(breakdown.to_numpy().sum(axis=1), index=frame.index, name="rule_points")


#: Below this many matured rows of either outcome, the points are not fitted to probabilities: every lead gets the
#: observed conversion rate.
MIN_CALIBRATION_CLASS_ROWS = 10


def rule_points_calibration(
    frame: pd.DataFrame, rules: pd.DataFrame, *, min_class_rows: int = MIN_CALIBRATION_CLASS_ROWS
) -> dict | None:
    """Map rule points to a conversion probability, fitted on matured history (the fallback's probability).

    Platt scaling on the points: ``p = 1 / (1 + exp(-(a * points + b)))``, fitted by maximum likelihood on every
    labelled, matured row of ``frame``. With fewer than ``min_class_rows`` rows of either outcome, ``a = 0`` and
    ``b = logit(observed rate)``: every lead gets the observed rate, in the same form, so every scorer applies one
    formula.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``lead_features`` rows; only labelled, matured rows are used
        (:func:`leadscore.ml.frames.trainable_mask`).
    rules : pandas.DataFrame
        The ``lead_scoring_rules`` seed.
    min_class_rows : int
        Rows of each outcome needed to fit the slope.

    Returns
    -------
    dict or None
        A Platt calibration map for :func:`leadscore.ml.calibration.apply_calibration` (``method``, ``a``, ``b``,
        ``input = "identity"``) with ``fit`` (``"platt"`` or ``"observed_rate"``), ``rows`` and ``positives``;
        None when no row is labelled and matured.
    """
    from scipy.special import logit

    from .calibration import PROBABILITY_FLOOR, fit_calibration
    from .frames import label_array, trainable_mask

    matured = frame.loc[trainable_mask(frame)]
    if matured.empty:
        return None
    labels = label_array(matured).astype(float)
    positives = int(labels.sum())
    if min(positives, len(labels) - positives) < min_class_rows:
        rate = float(np.clip(labels.mean(), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR))
        fitted = {"method": "platt", "a": 0.0, "b": float(logit(rate)), "input": "identity", "fit": "observed_rate"}
    else:
        fitted = {**fit_calibration("platt", rule_points(matured, rules).to_numpy(), labels, score_scale="linear"),
                  "fit": "platt"}
    return {**fitted, "rows": int(len(labels)), "positives": positives}
