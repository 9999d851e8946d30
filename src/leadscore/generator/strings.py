"""Vectorised string building on Arrow arrays (no per-row Python)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def vocab_array(words: Sequence[str | None]) -> pa.Array:
    """An Arrow string array of a word list, for :func:`take`."""
    return pa.array(list(words), type=pa.string())


def take(words: pa.Array | Sequence[str | None], index: np.ndarray) -> pa.Array:
    """``words[index]`` as an Arrow string array.

    Parameters
    ----------
    words : pyarrow.Array or sequence of str
        The vocabulary.
    index : numpy.ndarray
        Integer positions into ``words``.
    """
    if not isinstance(words, pa.Array):
        words = vocab_array(words)
    return pc.take(words, pa.array(np.asarray(index, dtype=np.int64)))


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation; a null part makes the result null."""
    return pc.binary_join_element_wise(*parts, "")


def join_skipping_nulls(parts: Sequence[pa.Array], separator: str) -> pa.Array:
    """Element-wise join of string arrays with a separator, leaving out null parts (null when all are).

    Built pairwise because Arrow's ``null_handling="skip"`` drops rows whose parts are all null.
    """
    joined = parts[0]
    for part in parts[1:]:
        both = pc.binary_join_element_wise(joined, part, separator)
        joined = pc.if_else(pc.is_null(part), joined, pc.if_else(pc.is_null(joined), part, both))
    return joined


def where(mask: np.ndarray, when_true: pa.Array | str | None, when_false: pa.Array | str | None) -> pa.Array:
    """Element-wise choice between two string arrays or scalars (``None`` is a null)."""
    def as_datum(value: pa.Array | str | None) -> pa.Array | pa.Scalar:
        return value if isinstance(value, pa.Array) else pa.scalar(value, type=pa.string())

    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), as_datum(when_true), as_datum(when_false))


def null_where(mask: np.ndarray, values: pa.Array) -> pa.Array:
    """``values`` with nulls where ``mask`` is true."""
    return where(mask, None, values)


def padded_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Ids such as ``00Q000000001234``: a prefix and a zero-padded decimal number.

    Parameters
    ----------
    prefix : str
        Fixed leading characters.
    numbers : numpy.ndarray
        Non-negative integers.
    width : int
        Digits after the prefix.
    """
    digits = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return concat(prefix, pc.utf8_lpad(digits, width=width, padding="0"))


def scramble(values: np.ndarray, bits: int = 48) -> np.ndarray:
    """A bijection of ``[0, 2**bits)`` that makes sequential numbers look random (for opaque ids)."""
    mask = np.uint64((1 << bits) - 1)
    x = np.asarray(values, dtype=np.uint64) & mask
    for multiplier in (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9)):
        x = (x * (multiplier | np.uint64(1))) & mask
        x ^= x >> np.uint64(bits // 2)
    return x


def hex_ids(prefix: str, values: np.ndarray, width: int = 12) -> pa.Array:
    """Ids made of a prefix and ``width`` lower-case hex digits of ``values``."""
    x = np.asarray(values, dtype=np.uint64)
    shifts = np.arange(width - 1, -1, -1, dtype=np.uint64) * np.uint64(4)
    nibbles = ((x[:, None] >> shifts[None, :]) & np.uint64(15)).astype(np.intp)
    chars = np.ascontiguousarray(_HEX[nibbles])
    raw = pa.array(chars.view(f"S{width}").ravel(), type=pa.binary())
    return concat(prefix, pc.cast(raw, pa.string()))


def swap_case_variant(values: pa.Array, upper_all: np.ndarray) -> pa.Array:
    """An odd-case spelling of each string: all upper case or title case (``john.smith`` -> ``John.Smith``)."""
    return pc.if_else(pa.array(np.asarray(upper_all, dtype=bool)), pc.utf8_upper(values), pc.utf8_title(values))
