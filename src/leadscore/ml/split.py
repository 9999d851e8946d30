"""Time-ordered train / validation / test split with an embargo between parts.

The rule
--------
1. Only trainable snapshots take part: labelled, ``is_label_mature`` and not
   ``is_never_worked`` (see :func:`leadscore.ml.frames.trainable_mask`). Every other
   row gets a missing split.
2. Parts are cut at date boundaries: all snapshots of one ``as_of_date`` land in the
   same part, and every train date < every validation date < every test date.
3. Test takes the newest dates until it holds ``fractions[2]`` of the trainable rows;
   validation takes, counting back from the newest date at least ``horizon_days``
   before the first test date, ``fractions[1]`` of the rows; train takes every date at
   least ``horizon_days`` before the first validation date.
4. The gap is the embargo. A label looks ``horizon_days`` ahead, so a snapshot taken
   on day *t* carries information up to *t + horizon*. Requiring
   ``later_date - earlier_date >= horizon_days`` between parts means every label of an
   earlier part was fully observed before the first snapshot of the next part was
   taken: neither the model (train) nor the tuning and calibration (validation) can
   learn from events inside the period they are judged on. The embargoed rows are
   dropped from the older side, so the embargo costs training rows and the
   evaluation parts keep their intended size; ``fractions[0]`` is therefore an upper
   bound, checked only so that the three fractions sum to one.
5. Leads: after the embargo a lead's earlier snapshots carry only information that was
   already known when its later snapshots were taken, which is exactly what scoring
   sees in production (a lead scored today was in last month's training data). So by
   default (``lead_overlap="keep"``) a lead may appear in several parts. With
   ``lead_overlap="drop_later"`` a lead keeps only the snapshots of the earliest part
   it appears in, for an evaluation restricted to leads the model has never seen.
6. Rows are sorted by ``(lead_id, as_of_date)`` before anything else, and the cut
   depends only on dates and row counts per date, so the result never depends on the
   input row order.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .frames import DATE_COLUMN, LABEL_COLUMN, LEAD_COLUMN, as_dates, sort_by_key, trainable_mask
from .guards import InsufficientDataError

SPLIT_NAMES: tuple[str, str, str] = ("train", "validation", "test")


def _newest_dates(dates: np.ndarray, counts: np.ndarray, allowed: np.ndarray, target_rows: float) -> np.ndarray:
    """Boolean mask of the newest allowed dates whose row count first reaches ``target_rows``.

    ``dates`` are ascending. A date is taken while the rows already taken are below
    the target, so at least one allowed date is taken whenever one exists.
    """
    taken = np.zeros(len(dates), dtype=bool)
    rows = 0
    for position in np.flatnonzero(allowed)[::-1]:
        if rows >= target_rows:
            break
        taken[position] = True
        rows += counts[position]
    return taken


def time_split(
    frame: pd.DataFrame,
    date_col: str = DATE_COLUMN,
    fractions: Sequence[float] = (0.70, 0.15, 0.15),
    *,
    horizon_days: int = 90,
    lead_col: str = LEAD_COLUMN,
    label_col: str = LABEL_COLUMN,
    lead_overlap: str = "keep",
) -> pd.Series:
    """Assign each trainable snapshot to ``'train'``, ``'validation'`` or ``'test'``.

    See the module docstring for the full rule (date boundaries, embargo of
    ``horizon_days`` between parts, lead overlap).

    Parameters
    ----------
    frame : pandas.DataFrame
        Snapshots with ``lead_col``, ``date_col``, ``label_col`` and optionally
        ``is_label_mature`` / ``is_never_worked``.
    date_col : str
        Snapshot date column.
    fractions : sequence of three floats
        Target shares of trainable rows for train, validation and test; they must sum
        to one. Validation and test get their share; train gets the older remainder
        minus the embargo.
    horizon_days : int
        Label horizon; also the embargo between consecutive parts. 0 disables it.
    lead_col, label_col : str
        Lead identifier and label columns.
    lead_overlap : {"keep", "drop_later"}
        Whether a lead may have snapshots in several parts.

    Returns
    -------
    pandas.Series
        Aligned with ``frame.index``, named ``split``, values ``'train'``,
        ``'validation'``, ``'test'`` or ``None`` (not trainable, embargoed or dropped).

    Raises
    ------
    InsufficientDataError
        If the trainable history is too short to give every part at least one date.
    """
    shares = np.asarray(fractions, dtype=float)
    if shares.shape != (3,) or np.any(shares <= 0) or not np.isclose(shares.sum(), 1.0):
        raise ValueError(f"fractions must be three positive numbers summing to 1, got {tuple(fractions)}")
    if lead_overlap not in ("keep", "drop_later"):
        raise ValueError(f"lead_overlap must be 'keep' or 'drop_later', got {lead_overlap!r}")
    if horizon_days < 0:
        raise ValueError("horizon_days must be >= 0")

    ordered = sort_by_key(frame, (lead_col, date_col))
    eligible = trainable_mask(ordered, label_col)
    dates = as_dates(ordered[date_col])
    per_date = dates[eligible].value_counts().sort_index()
    unique_dates = per_date.index.to_numpy()
    counts = per_date.to_numpy()
    total = int(counts.sum())
    if len(unique_dates) < 3:
        raise InsufficientDataError(
            f"time_split needs at least 3 distinct snapshot dates with matured labels, found {len(unique_dates)}"
        )
    embargo = np.timedelta64(int(horizon_days), "D")

    test = _newest_dates(unique_dates, counts, np.ones(len(unique_dates), dtype=bool), shares[2] * total)
    test_start = unique_dates[test].min()
    allowed = (unique_dates < test_start) & (unique_dates <= test_start - embargo)
    validation = _newest_dates(unique_dates, counts, allowed, shares[1] * total)
    if not validation.any():
        raise InsufficientDataError(
            f"no snapshot dates left for validation: history from {unique_dates[0]} to {unique_dates[-1]} "
            f"is too short for test plus an embargo of {horizon_days} days"
        )
    validation_start = unique_dates[validation].min()
    train = (unique_dates < validation_start) & (unique_dates <= validation_start - embargo)
    if not train.any():
        raise InsufficientDataError(
            f"no snapshot dates left for train: history from {unique_dates[0]} to {unique_dates[-1]} "
            f"is too short for validation, test and two embargoes of {horizon_days} days"
        )

    part_of_date = pd.Series(
        np.select([train, validation, test], [0, 1, 2], default=-1), index=pd.DatetimeIndex(unique_dates)
    )
    part = np.full(len(ordered), -1, dtype=np.int64)
    part[eligible] = part_of_date.reindex(pd.DatetimeIndex(dates[eligible])).to_numpy()

    if lead_overlap == "drop_later":
        in_split = part >= 0
        leads = ordered[lead_col].to_numpy()
        first_part = pd.Series(part[in_split]).groupby(leads[in_split]).transform("min").to_numpy()
        later = part[in_split] > first_part
        kept = part[in_split]
        kept[later] = -1
        part[in_split] = kept

    names = np.array([None, *SPLIT_NAMES], dtype=object)
    result = pd.Series(names[part + 1], index=ordered.index, name="split", dtype=object)
    return result.reindex(frame.index)


def split_windows(frame: pd.DataFrame, split: pd.Series, date_col: str = DATE_COLUMN,
                  lead_col: str = LEAD_COLUMN, label_col: str = LABEL_COLUMN) -> dict[str, dict]:
    """Describe each part: rows, distinct leads, positives, first and last date (ISO strings).

    Parameters
    ----------
    frame : pandas.DataFrame
    split : pandas.Series
        Output of :func:`time_split`, aligned with ``frame``.

    Returns
    -------
    dict
        ``{part: {"rows", "leads", "positives", "start_date", "end_date"}}``; JSON-serializable.
    """
    dates = as_dates(frame[date_col])
    labels = pd.to_numeric(frame[label_col], errors="coerce")
    windows = {}
    for name in SPLIT_NAMES:
        mask = (split == name).to_numpy()
        windows[name] = {
            "rows": int(mask.sum()),
            "leads": int(frame.loc[mask, lead_col].nunique()),
            "positives": int(labels[mask].sum()),
            "start_date": dates[mask].min().date().isoformat() if mask.any() else None,
            "end_date": dates[mask].max().date().isoformat() if mask.any() else None,
        }
    return windows
