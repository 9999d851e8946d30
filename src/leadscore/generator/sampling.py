"""Small vectorised sampling helpers shared by the generator modules."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    """Logistic function."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def choose(rng: np.random.Generator, shares: Sequence[float], size: int) -> np.ndarray:
    """Indices drawn with the given (normalised) shares."""
    p = np.asarray(shares, dtype=np.float64)
    return rng.choice(len(p), size=size, p=p / p.sum())


def uniform_index(rng: np.random.Generator, counts: np.ndarray) -> np.ndarray:
    """A uniform index in ``[0, counts[i])`` for each row."""
    return np.minimum((rng.random(len(counts)) * counts).astype(np.int64), np.asarray(counts) - 1)


def business_seconds(rng: np.random.Generator, size: int) -> np.ndarray:
    """Seconds into a UTC day, peaking in the (mostly American) working day."""
    hours = np.mod(rng.normal(15.5, 3.5, size), 24.0)
    return np.minimum((hours * 3600.0).astype(np.int64), 86_399)


def ragged_arange(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row index and position within row for rows of the given lengths.

    Parameters
    ----------
    counts : numpy.ndarray
        Non-negative length of each row.

    Returns
    -------
    tuple of numpy.ndarray
        ``(row, position)``, both of length ``counts.sum()``, rows in order.
    """
    counts = np.asarray(counts, dtype=np.int64)
    row = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    position = np.arange(len(row), dtype=np.int64) - starts[row]
    return row, position


def sample_rows_from_curves(
    rng: np.random.Generator, row_cumsum: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """Draw one column per requested row with probability proportional to the row's curve (inverse CDF).

    Parameters
    ----------
    rng : numpy.random.Generator
        Random source.
    row_cumsum : numpy.ndarray
        ``(n, L)`` cumulative sums along each row of a non-negative curve (float64).
    rows : numpy.ndarray
        Row of each draw; a row may repeat.

    Returns
    -------
    numpy.ndarray
        Column of each draw, in ``[0, L)``.
    """
    n, width = row_cumsum.shape
    totals = row_cumsum[:, -1]
    stride = float(np.max(totals, initial=0.0)) + 1.0
    # Offsetting row i by i * stride makes the flattened cumulative sums one increasing array.
    flat = (row_cumsum + (np.arange(n, dtype=np.float64) * stride)[:, None]).ravel()
    target = rows * stride + rng.random(len(rows)) * totals[rows]
    position = np.searchsorted(flat, target, side="left")
    return np.clip(position - rows * width, 0, width - 1)


def first_crossing(row_cumsum: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """First column where each row's cumulative sum reaches its threshold, or ``L`` when it never does."""
    n, width = row_cumsum.shape
    stride = float(np.max(np.maximum(row_cumsum[:, -1], thresholds), initial=0.0)) + 1.0
    flat = (row_cumsum + (np.arange(n, dtype=np.float64) * stride)[:, None]).ravel()
    rows = np.arange(n)
    position = np.searchsorted(flat, rows * stride + thresholds, side="left") - rows * width
    return np.where(thresholds > row_cumsum[:, -1], width, np.minimum(position, width))
