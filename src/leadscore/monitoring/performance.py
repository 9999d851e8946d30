"""Performance of backtest scores on matured snapshots, with the same metric definitions as the training report.

Every matured snapshot counts, worked by sales or not: the snapshots of a date are the leads open then, exactly
the population scoring sees and training learns from.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from leadscore.ml import auc_roc, brier, calibration_table, expected_calibration_error

from .schema import conform

PERFORMANCE_METRICS: dict[str, str] = {
    "snapshots": "Int64",
    "conversions": "Int64",
    "conversion_rate": "Float64",
    "mean_probability": "Float64",
    "auc_roc": "Float64",
    "brier": "Float64",
    "expected_calibration_error": "Float64",
    "top_band_share": "Float64",
    "top_band_precision": "Float64",
    "top_band_recall": "Float64",
}
PERFORMANCE_SCHEMA: dict[str, str] = {"model_version": "string", **PERFORMANCE_METRICS}
CALIBRATION_SCHEMA: dict[str, str] = {
    "model_version": "string",
    "bin": "Int64",
    "snapshots": "Int64",
    "conversions": "Int64",
    "min_probability": "Float64",
    "max_probability": "Float64",
    "mean_probability": "Float64",
    "observed_rate": "Float64",
    "abs_gap": "Float64",
}


def evaluable(scores: pd.DataFrame) -> pd.DataFrame:
    """Backtest rows whose outcome is known (matured label): every lead open at its snapshot, worked or not, as
    scoring sees them."""
    return scores[scores["label"].notna().to_numpy()]


def recent_window(scores: pd.DataFrame, weeks: int) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last snapshot date of the newest ``weeks`` weekly snapshot dates with matured, evaluable rows."""
    known = evaluable(scores)
    if known.empty:
        return None
    end = pd.to_datetime(known["as_of_date"]).max()
    return end - pd.Timedelta(days=7 * (int(weeks) - 1)), end


def _metrics(group: pd.DataFrame, top_band: str) -> dict:
    labels = group["label"].to_numpy(dtype=float)
    probabilities = group["probability"].to_numpy(dtype=float)
    in_top = (group["priority_band"] == top_band).to_numpy(dtype=bool)
    conversions = labels.sum()
    return {
        "snapshots": len(group),
        "conversions": int(conversions),
        "conversion_rate": labels.mean(),
        "mean_probability": probabilities.mean(),
        "auc_roc": auc_roc(labels, probabilities),
        "brier": brier(labels, probabilities),
        "expected_calibration_error": expected_calibration_error(labels, probabilities),
        "top_band_share": in_top.mean(),
        "top_band_precision": labels[in_top].mean() if in_top.any() else np.nan,
        "top_band_recall": labels[in_top].sum() / conversions if conversions else np.nan,
    }


def performance_table(scores: pd.DataFrame, keys: Sequence[str], top_band: str) -> pd.DataFrame:
    """AUC, calibration and top-band precision / recall per group of evaluable backtest rows.

    Parameters
    ----------
    scores : pandas.DataFrame
        ``ml_snapshot_scores`` rows (label, probability, priority_band, is_never_worked and the keys).
    keys : sequence of str
        Grouping columns, e.g. ``["model_version", "week_start"]``.
    top_band : str
        The band whose precision and recall are tracked (band A).

    Returns
    -------
    pandas.DataFrame
        One row per group: the keys, then :data:`PERFORMANCE_METRICS`. AUC is null for a group with one class.
    """
    known = evaluable(scores)
    records = [
        {**dict(zip(keys, key if isinstance(key, tuple) else (key,))), **_metrics(group, top_band)}
        for key, group in known.groupby(list(keys), sort=True)
    ]
    frame = pd.DataFrame.from_records(records, columns=[*keys, *PERFORMANCE_METRICS])
    return frame.astype(PERFORMANCE_METRICS).reset_index(drop=True)


def calibration_bins(scores: pd.DataFrame, n_bins: int = 10) -> pd.DataFrame:
    """Equal-mass calibration bins of evaluable backtest rows, per model version (the curve behind the ECE)."""
    frames = []
    for version, group in evaluable(scores).groupby("model_version", sort=True):
        table = calibration_table(group["label"].to_numpy(dtype=float), group["probability"].to_numpy(dtype=float),
                                  n_bins)
        frames.append(table.rename(columns={"n": "snapshots", "positives": "conversions"}).assign(
            model_version=version))
    if not frames:
        return conform(pd.DataFrame([]), CALIBRATION_SCHEMA)
    return conform(pd.concat(frames, ignore_index=True), CALIBRATION_SCHEMA)


WEEKLY_SCHEMA: dict[str, str] = {
    "model_version": "string", "week_start": "datetime64[us]", "model_split": "string", **PERFORMANCE_METRICS,
}
RECENT_SCHEMA: dict[str, str] = {
    "model_version": "string", "period_start": "datetime64[us]", "period_end": "datetime64[us]",
    **PERFORMANCE_METRICS,
}
RECENT_CALIBRATION_SCHEMA: dict[str, str] = {
    "period_start": "datetime64[us]", "period_end": "datetime64[us]", **CALIBRATION_SCHEMA,
}


def top_band(bands: pd.DataFrame) -> str:
    """The band of the highest scores (band A in the default seed)."""
    return str(bands.sort_values("min_score", kind="mergesort")["band"].iloc[-1])


def weekly_performance(scores: pd.DataFrame, bands: pd.DataFrame) -> pd.DataFrame:
    """:func:`performance_table` per model version and snapshot week, with where the week sits for the model."""
    weekly = scores.assign(week_start=pd.to_datetime(scores["as_of_date"]))
    table = performance_table(weekly, ["model_version", "week_start"], top_band(bands))
    if table.empty:  # no model yet (rule-based fallback) or no matured snapshot
        return conform(pd.DataFrame([]), WEEKLY_SCHEMA)
    splits = weekly.drop_duplicates(["model_version", "week_start"])[["model_version", "week_start", "model_split"]]
    return conform(table.merge(splits, on=["model_version", "week_start"], how="left"), WEEKLY_SCHEMA)


def _recent_rows(scores: pd.DataFrame, weeks: int) -> tuple[pd.DataFrame, tuple | None]:
    window = recent_window(scores, weeks)
    if window is None:
        return scores.iloc[0:0], None
    dates = pd.to_datetime(scores["as_of_date"])
    return scores[((dates >= window[0]) & (dates <= window[1])).to_numpy()], window


def recent_performance(scores: pd.DataFrame, bands: pd.DataFrame, weeks: int) -> pd.DataFrame:
    """:func:`performance_table` per model version over the newest ``weeks`` matured weeks (the same for all)."""
    rows, window = _recent_rows(scores, weeks)
    if window is None:
        return conform(pd.DataFrame([]), RECENT_SCHEMA)
    table = performance_table(rows, ["model_version"], top_band(bands))
    return conform(table.assign(period_start=window[0], period_end=window[1]), RECENT_SCHEMA)


def recent_calibration(scores: pd.DataFrame, weeks: int, n_bins: int = 10) -> pd.DataFrame:
    """:func:`calibration_bins` over the newest ``weeks`` matured weeks."""
    rows, window = _recent_rows(scores, weeks)
    if window is None:
        return conform(pd.DataFrame([]), RECENT_CALIBRATION_SCHEMA)
    bins = calibration_bins(rows, n_bins)
    return conform(bins.assign(period_start=window[0], period_end=window[1]), RECENT_CALIBRATION_SCHEMA)
