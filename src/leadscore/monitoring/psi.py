"""Population stability index, the reference implementation the SQL drift models are checked against.

The SQL models bin a numeric feature by its training distribution: ``ntile(n)`` over the non-null training
values, each tile's maximum an upper edge, repeated edges merged, values above the last edge in the last bin,
missing values in a bin of their own. :func:`ntile_edges` reproduces those edges.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Shares below this count as this, so an empty bin on one side gives a large but finite term.
SHARE_FLOOR = 1e-4


def ntile_edges(training_values: Sequence[float], n_bins: int) -> np.ndarray:
    """Upper bin edges as SQL ``ntile(n_bins)`` over the sorted non-null training values makes them.

    Parameters
    ----------
    training_values : array-like of float
        The feature's training values; NaN is ignored.
    n_bins : int
        Number of tiles; tiles of equal values merge, so there may be fewer bins.

    Returns
    -------
    numpy.ndarray
        Sorted distinct edges, the training maximum excluded (the last bin is open-ended).
    """
    values = np.sort(np.asarray(training_values, dtype=float))
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return np.array([])
    tiles = np.array_split(values, min(int(n_bins), len(values)))
    return np.unique([tile.max() for tile in tiles[:-1]])


def bin_counts(values: Sequence[float], edges: np.ndarray) -> np.ndarray:
    """Rows per bin: ``len(edges) + 1`` value bins (``(edge[k-1], edge[k]]``), then one bin of missing values."""
    numbers = np.asarray(values, dtype=float)
    missing = np.isnan(numbers)
    index = np.searchsorted(edges, numbers[~missing], side="left")
    return np.append(np.bincount(index, minlength=len(edges) + 1), missing.sum())


def population_stability_index(expected_counts: Sequence[float], actual_counts: Sequence[float],
                               share_floor: float = SHARE_FLOOR) -> float:
    """PSI of two binned distributions: sum of ``(actual - expected) * ln(actual / expected)`` over bin shares.

    Parameters
    ----------
    expected_counts, actual_counts : array-like
        Counts per bin (the same bins), the reference (training) first.
    share_floor : float
        Shares are raised to at least this before the logarithm.

    Returns
    -------
    float
        0 for identical distributions; by convention above 0.1 is a moderate shift, above 0.25 a large one.
        NaN when a side has no rows.
    """
    expected = np.asarray(expected_counts, dtype=float)
    actual = np.asarray(actual_counts, dtype=float)
    if expected.sum() == 0 or actual.sum() == 0:
        return float("nan")
    expected_share = np.maximum(expected / expected.sum(), share_floor)
    actual_share = np.maximum(actual / actual.sum(), share_floor)
    return float(((actual_share - expected_share) * np.log(actual_share / expected_share)).sum())
