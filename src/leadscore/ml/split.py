"""Train / validation / test split in time, adapting to short history and rare outcomes.

The rule
--------
1. Only trainable snapshots take part: labelled and ``is_label_mature`` (see
   :func:`leadscore.ml.frames.trainable_mask`). Every other row gets a missing split.
2. **Test** is always out of time: the newest dates until it holds the test share of
   the trainable rows. All snapshots of one ``as_of_date`` land in the same part.
3. The **embargo** is ``horizon_days``. A label looks ``horizon_days`` ahead, so a
   snapshot taken on day *t* carries information up to *t + horizon*. Requiring
   ``later_date - earlier_date >= horizon_days`` between two periods means every label
   of the earlier one was fully observed before the first snapshot of the later one.
   Embargoed rows are dropped from the older side, so the embargo costs fitting rows
   and the evaluation parts keep their intended size.
4. **Validation** is chosen by the first mode that fits the history:

   * ``"time"`` (the default whenever history allows): validation takes the newest
     dates, before the test embargo, until it holds the validation share; train takes
     every date at least one more embargo older. Three periods, two embargoes.
   * ``"lead_holdout"`` (short history, e.g. 6-12 months with a 90-day horizon, where
     two embargoes leave no training dates): one embargo only, between the fitting
     period and the test period, the one place where label windows would overlap an
     evaluation the model must not see. Validation is a **lead-grouped holdout inside
     the fitting period**: whole leads, in an order drawn with ``random_state`` and
     stratified by whether the lead converted in that period, until validation holds
     ``validation / (train + validation)`` of the fitting rows; the other leads train.
     Train and validation then share dates (validation measures new leads, not a later
     period), which is why this mode is used only when history is too short for the
     ``"time"`` mode; the test split stays out of time in both modes.

   Lead holdout was chosen over rolling cuts because it gives every candidate one
   validation set, as in the ``"time"`` mode, so tuning, early stopping, calibration
   and the champion choice run unchanged; rolling cuts on a few months would give each
   fold a handful of dates and positives.
5. **Both outcomes in every part.** When a part holds a single outcome class, the
   evaluation parts are widened (validation and test shares times 1.5, then 2, while
   train keeps at least :data:`MIN_TRAIN_SHARE`) and the split is tried again, first in
   the ``"time"`` mode, then in the ``"lead_holdout"`` mode. When no attempt works,
   :class:`~leadscore.ml.guards.InsufficientDataError` says why, so training falls back
   to the rule points with that reason.
6. Leads: after the embargo a lead's earlier snapshots carry only information that was
   already known when its later snapshots were taken, which is exactly what scoring
   sees in production (a lead scored today was in last month's training data). So by
   default (``lead_overlap="keep"``) a lead may appear in several parts. With
   ``lead_overlap="drop_later"`` a lead keeps only the snapshots of the earliest part
   it appears in, for an evaluation restricted to leads the model has never seen.
7. Rows are sorted by ``(lead_id, as_of_date)`` before anything else, and the cut
   depends only on dates, row counts, labels and the set of leads, so the result
   never depends on the input row order.

:func:`plan_split` returns the split with the mode used and sentences saying how it
departs from the default; :func:`time_split` returns the split alone.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .frames import DATE_COLUMN, LABEL_COLUMN, LEAD_COLUMN, as_dates, label_array, sort_by_key, trainable_mask
from .guards import InsufficientDataError

SPLIT_NAMES: tuple[str, str, str] = ("train", "validation", "test")
SPLIT_MODES: tuple[str, str] = ("time", "lead_holdout")
#: Factors applied to the validation and test shares when a part lacks an outcome class.
WIDENINGS: tuple[float, ...] = (1.0, 1.5, 2.0)
#: A widening is skipped when it would leave train less than this share of the rows.
MIN_TRAIN_SHARE = 0.3
MIN_DATES = 3


class _HistoryTooShort(Exception):
    """A mode cannot place its parts in the available dates (internal to :func:`plan_split`)."""


@dataclass(frozen=True)
class SplitPlan:
    """The split of a frame and how it was reached.

    Attributes
    ----------
    split : pandas.Series
        ``'train'``, ``'validation'``, ``'test'`` or ``None`` per row, aligned with the frame.
    mode : {"time", "lead_holdout"}
        How validation was drawn (see the module docstring).
    shares : tuple of float
        The train, validation and test shares used (after any widening).
    notes : tuple of str
        Sentences saying how the split departs from the default three periods, empty when it does not.
    """

    split: pd.Series
    mode: str
    shares: tuple[float, float, float]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Rows:
    """The trainable rows of a frame as arrays, in key order."""

    labels: np.ndarray       # 0/1 per row
    lead_codes: np.ndarray   # index into the sorted distinct leads, per row
    unique_dates: np.ndarray
    date_codes: np.ndarray   # index into unique_dates, per row
    counts: np.ndarray       # rows per unique date


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


def _widened(fractions: np.ndarray, factor: float) -> tuple[float, float, float] | None:
    """Train, validation and test shares with the evaluation shares times ``factor``; None if train gets too small."""
    validation, test = fractions[1] * factor, fractions[2] * factor
    train = 1.0 - validation - test
    if factor > 1.0 and train < MIN_TRAIN_SHARE:
        return None
    return float(train), float(validation), float(test)


def _history(rows: _Rows) -> str:
    first, last = (pd.Timestamp(rows.unique_dates[i]).date().isoformat() for i in (0, -1))
    return f"history from {first} to {last}"


def _test_dates(rows: _Rows, share: float) -> np.ndarray:
    everything = np.ones(len(rows.unique_dates), dtype=bool)
    return _newest_dates(rows.unique_dates, rows.counts, everything, share * rows.counts.sum())


def _before_embargo(rows: _Rows, start: np.datetime64, embargo: np.timedelta64) -> np.ndarray:
    return (rows.unique_dates < start) & (rows.unique_dates <= start - embargo)


def _time_parts(rows: _Rows, shares: tuple[float, float, float], embargo: np.timedelta64, horizon_days: int) -> np.ndarray:
    """Part code (0 train, 1 validation, 2 test, -1 none) per row: three periods, two embargoes."""
    test = _test_dates(rows, shares[2])
    allowed = _before_embargo(rows, rows.unique_dates[test].min(), embargo)
    validation = _newest_dates(rows.unique_dates, rows.counts, allowed, shares[1] * rows.counts.sum())
    if not validation.any():
        raise _HistoryTooShort(f"{_history(rows)} is too short for test plus an embargo of {horizon_days} days")
    train = _before_embargo(rows, rows.unique_dates[validation].min(), embargo)
    if not train.any():
        raise _HistoryTooShort(
            f"{_history(rows)} is too short for validation, test and two embargoes of {horizon_days} days"
        )
    part_of_date = np.select([train, validation, test], [0, 1, 2], default=-1)
    return part_of_date[rows.date_codes]


def _holdout_leads(rows: _Rows, fitting: np.ndarray, share: float, random_state: int) -> np.ndarray:
    """Which leads (by code) validate: whole leads in a seeded order, stratified by conversion in the fitting rows."""
    n_leads = int(rows.lead_codes.max()) + 1
    lead_rows = np.bincount(rows.lead_codes[fitting], minlength=n_leads)
    lead_positives = np.bincount(rows.lead_codes[fitting], weights=rows.labels[fitting], minlength=n_leads)
    order = np.random.default_rng(random_state).permutation(n_leads)
    chosen = np.zeros(n_leads, dtype=bool)
    for stratum in (lead_positives > 0, (lead_positives == 0) & (lead_rows > 0)):
        candidates = order[stratum[order]]
        if len(candidates) < 2:
            continue
        taken_rows = np.cumsum(lead_rows[candidates])
        target = share * taken_rows[-1]
        # leads are taken while the rows already taken stay below the target, and one lead always stays in train
        n_taken = min(int(np.searchsorted(taken_rows, target, side="left")) + 1, len(candidates) - 1)
        chosen[candidates[:n_taken]] = True
    return chosen


def _holdout_parts(rows: _Rows, shares: tuple[float, float, float], embargo: np.timedelta64, horizon_days: int,
                   random_state: int) -> np.ndarray:
    """Part code per row: a test period, one embargo, and a lead-grouped holdout inside the fitting period."""
    test = _test_dates(rows, shares[2])
    fitting_dates = _before_embargo(rows, rows.unique_dates[test].min(), embargo)
    if not fitting_dates.any():
        raise _HistoryTooShort(
            f"{_history(rows)} is too short for a test period and one embargo of {horizon_days} days"
        )
    fitting = fitting_dates[rows.date_codes]
    validating = _holdout_leads(rows, fitting, shares[1] / (shares[0] + shares[1]), random_state)
    if not validating.any():
        raise _HistoryTooShort("the fitting period before the embargo holds too few leads for a holdout")
    parts = np.where(test[rows.date_codes], 2, -1)
    parts[fitting] = np.where(validating[rows.lead_codes[fitting]], 1, 0)
    return parts


def _keep_earliest_part(parts: np.ndarray, lead_codes: np.ndarray) -> np.ndarray:
    """Drop each lead's snapshots in parts later than the first part it appears in."""
    in_split = parts >= 0
    first_part = pd.Series(parts[in_split]).groupby(lead_codes[in_split]).transform("min").to_numpy()
    kept = parts.copy()
    kept[np.flatnonzero(in_split)[parts[in_split] > first_part]] = -1
    return kept


def _single_class_parts(parts: np.ndarray, labels: np.ndarray) -> list[str]:
    missing = []
    for code, name in enumerate(SPLIT_NAMES):
        in_part = labels[parts == code]
        positives = int(in_part.sum())
        if positives == 0 or positives == len(in_part):
            missing.append(f"{name} ({len(in_part)} rows, {positives} converted)")
    return missing


def plan_split(
    frame: pd.DataFrame,
    date_col: str = DATE_COLUMN,
    fractions: Sequence[float] = (0.70, 0.15, 0.15),
    *,
    horizon_days: int = 90,
    lead_col: str = LEAD_COLUMN,
    label_col: str = LABEL_COLUMN,
    lead_overlap: str = "keep",
    random_state: int = 0,
) -> SplitPlan:
    """Split the trainable snapshots into train, validation and test, in the first mode the history allows.

    See the module docstring for the full rule (date boundaries, embargo of ``horizon_days``, the
    ``"time"`` and ``"lead_holdout"`` modes, widening when a part lacks an outcome class, lead overlap).

    Parameters
    ----------
    frame : pandas.DataFrame
        Snapshots with ``lead_col``, ``date_col``, ``label_col`` and optionally ``is_label_mature``.
    date_col : str
        Snapshot date column.
    fractions : sequence of three floats
        Target shares of trainable rows for train, validation and test; they must sum to one. Validation and
        test get their share; train gets the older remainder minus the embargo.
    horizon_days : int
        Label horizon; also the embargo. 0 disables it.
    lead_col, label_col : str
        Lead identifier and label columns.
    lead_overlap : {"keep", "drop_later"}
        Whether a lead may have snapshots in several parts.
    random_state : int
        Seed of the lead order in the ``"lead_holdout"`` mode.

    Returns
    -------
    SplitPlan

    Raises
    ------
    InsufficientDataError
        With fewer than three distinct trainable dates, when no test period and one embargo fit in the history,
        or when every attempt leaves a part with a single outcome class.
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
    trainable = ordered.loc[eligible]
    dates = as_dates(trainable[date_col]).to_numpy()
    unique_dates, date_codes = np.unique(dates, return_inverse=True)
    if len(unique_dates) < MIN_DATES:
        raise InsufficientDataError(
            f"time_split needs at least {MIN_DATES} distinct snapshot dates with matured labels, "
            f"found {len(unique_dates)}"
        )
    _, lead_codes = np.unique(trainable[lead_col].astype(str).to_numpy(), return_inverse=True)
    rows = _Rows(labels=label_array(trainable, label_col).astype(float), lead_codes=lead_codes,
                 unique_dates=unique_dates, date_codes=date_codes,
                 counts=np.bincount(date_codes, minlength=len(unique_dates)))
    embargo = np.timedelta64(int(horizon_days), "D")

    failures: dict[str, str] = {}
    for mode in SPLIT_MODES:
        for factor in WIDENINGS:
            widened = _widened(shares, factor)
            if widened is None:
                continue
            try:
                if mode == "time":
                    parts = _time_parts(rows, widened, embargo, horizon_days)
                else:
                    parts = _holdout_parts(rows, widened, embargo, horizon_days, random_state)
            except _HistoryTooShort as short:
                if mode == SPLIT_MODES[-1]:
                    raise InsufficientDataError(f"no snapshot dates left to fit on: {short}") from None
                failures[mode] = str(short)
                break  # wider evaluation parts leave even fewer dates
            if lead_overlap == "drop_later":
                parts = _keep_earliest_part(parts, lead_codes)
            single = _single_class_parts(parts, rows.labels)
            if single:
                failures[mode] = (f"at {widened[1]:.0%} validation and {widened[2]:.0%} test, "
                                  + ", ".join(single) + " had a single outcome class")
                continue
            notes = []
            if mode != "time":
                notes.append(f"Validation is a lead-grouped holdout inside the fitting period, not a later period: "
                             f"the time split failed ({failures['time']}).")
            if factor > 1.0:
                notes.append(f"Validation and test were widened to {widened[1]:.0%} and {widened[2]:.0%} of the "
                             "labelled rows so that every part holds both outcomes.")
            return SplitPlan(split=_as_series(parts, eligible, ordered, frame), mode=mode, shares=widened,
                             notes=tuple(notes))
    raise InsufficientDataError(
        f"no split gives every part both outcomes ({_history(rows)}, {int(rows.labels.sum())} converted of "
        f"{len(rows.labels)} labelled rows): "
        + "; ".join(f"{mode} split: {reason}" for mode, reason in failures.items())
    )


def _as_series(parts: np.ndarray, eligible: np.ndarray, ordered: pd.DataFrame, frame: pd.DataFrame) -> pd.Series:
    """Part names aligned with ``frame.index`` from part codes of the eligible rows of ``ordered``."""
    codes = np.full(len(ordered), -1, dtype=np.int64)
    codes[eligible] = parts
    names = np.array([None, *SPLIT_NAMES], dtype=object)
    return pd.Series(names[codes + 1], index=ordered.index, name="split", dtype=object).reindex(frame.index)


def time_split(
    frame: pd.DataFrame,
    date_col: str = DATE_COLUMN,
    fractions: Sequence[float] = (0.70, 0.15, 0.15),
    *,
    horizon_days: int = 90,
    lead_col: str = LEAD_COLUMN,
    label_col: str = LABEL_COLUMN,
    lead_overlap: str = "keep",
    random_state: int = 0,
) -> pd.Series:
    """Assign each trainable snapshot to ``'train'``, ``'validation'`` or ``'test'``: :func:`plan_split`'s split.

    Returns
    -------
    pandas.Series
        Aligned with ``frame.index``, named ``split``, values ``'train'``, ``'validation'``, ``'test'`` or
        ``None`` (not trainable, embargoed or dropped).

    Raises
    ------
    InsufficientDataError
        See :func:`plan_split`.
    """
    return plan_split(frame, date_col, fractions, horizon_days=horizon_days, lead_col=lead_col,
                      label_col=label_col, lead_overlap=lead_overlap, random_state=random_state).split


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
