"""Lining an edited FAQ's lists up with the lists before the edit.

An edit changes a few entries in one or two files, so the new lists start and end as the
old ones did, mostly with the very same objects (unchanged files are not parsed again).
Those ends are compared a block at a time in C, where an identical object compares at
pointer speed; only the items in between are looked up one by one. At 100,000 phrasings
this takes milliseconds, where a dictionary of every old phrasing took 90 ms.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

BLOCK = 4096  # items compared at once



def same_start(a: Sequence, b: Sequence) -> int:
    """How many leading items of `a` and `b` (of one type: list or tuple) are equal."""
    n, start = min(len(a), len(b)), 0
    while start < n:
        stop = min(start + BLOCK, n)
        if a[start:stop] != b[start:stop]:
            return next(i for i in range(start, stop) if a[i] != b[i])
        start = stop
    return n


def same_ends(a: Sequence, b: Sequence) -> tuple[int, int]:
    """(head, tail): how many items `a` and `b` share at the start, and then at the end."""
    head = same_start(a, b)
    return head, same_start(a[head:][::-1], b[head:][::-1])


def previous_rows(new: Sequence, old: Sequence, key: Callable[[Any], Hashable] = lambda item: item) -> np.ndarray:
    """(len(new),) each item's index in `old` (-1: not there). Between the ends, items are
    looked up by `key` (`id`: the same object; by default, an equal one), which tells apart
    the items of each list (an FAQ's normalised phrasings are distinct)."""
    head, tail = same_ends(new, old)
    out = np.full(len(new), -1, dtype=np.int64)
    out[:head] = np.arange(head)
    out[len(new) - tail:] = np.arange(len(old) - tail, len(old))
    rows = {key(item): i for i, item in enumerate(old[head:len(old) - tail], start=head)}
    out[head:len(new) - tail] = [rows.get(key(item), -1) for item in new[head:len(new) - tail]]
    return out


def runs(rows: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of `previous_rows`' result: items that followed each other
    in the old list too, or new items side by side. An edit leaves a few long runs."""
    kept = rows >= 0
    breaks = np.ones(len(rows), dtype=bool)
    breaks[1:] = (kept[1:] != kept[:-1]) | (kept[1:] & (rows[1:] != rows[:-1] + 1))
    starts = np.flatnonzero(breaks).tolist()
    return list(zip(starts, starts[1:] + [len(rows)]))


def dropped(rows: np.ndarray, before: int) -> np.ndarray:
    """The indices of the `before` old items that `rows` no longer holds."""
    alive = np.zeros(before, dtype=bool)
    alive[rows[rows >= 0]] = True
    return np.flatnonzero(~alive)


def reused(old: np.ndarray, rows: np.ndarray, fresh: Callable[[np.ndarray], Any]) -> np.ndarray:
    """`old[rows[i]]` where rows[i] >= 0; the others' values from `fresh(their indices)`
    (asked even when there are none)."""
    kept = rows >= 0
    out = np.empty((len(rows), *old.shape[1:]), dtype=old.dtype)
    out[kept] = old[rows[kept]]
    new = np.flatnonzero(~kept)
    out[new] = fresh(new)
    return out
