"""Lining an edited list up with the one before: the rows found equal those a dictionary
of the old list finds, whatever the edit, and gathering slices what it can."""

import random

import numpy as np
import pytest

from faqbot.matching import alignment
from faqbot.matching.alignment import dropped, previous_rows, reused, runs, same_ends


def edited(old: list[str], seed: int) -> list[str]:
    """A few hunks: items replaced, inserted, removed, or moved."""
    rng, new = random.Random(seed), list(old)
    for n in range(rng.randint(0, 4)):
        at = rng.randrange(len(new) + 1)
        kind = rng.choice(["replace", "insert", "remove", "move"])
        if kind == "replace" and at < len(new):
            new[at] = f"edited {seed} {n}"
        elif kind == "insert":
            new[at:at] = [f"added {seed} {n} {i}" for i in range(rng.randint(1, 30))]
        elif kind == "remove":
            del new[at:at + rng.randint(1, 30)]
        elif new:
            new.insert(rng.randrange(len(new)), new.pop(at % len(new)))
    return new


@pytest.mark.parametrize("seed", range(40))
def test_previous_rows_are_each_items_row_before_the_edit(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alignment, "BLOCK", 16)  # blocks end inside the lists too
    old = [f"phrasing {i}" for i in range(random.Random(seed).randint(0, 300))]
    new = edited(old, seed)
    rows = {text: i for i, text in enumerate(old)}
    assert previous_rows(new, old).tolist() == [rows.get(text, -1) for text in new]
    head, tail = same_ends(new, old)
    assert new[:head] == old[:head] and head + tail <= min(len(new), len(old))
    assert new[len(new) - tail:] == old[len(old) - tail:]


def test_the_ends_are_compared_by_value_and_tuples_too() -> None:
    old = ("a", "b", "c", "d")
    assert same_ends(("a", "x", "c", "d"), old) == (1, 2)
    assert same_ends(tuple("".join(["a"])), old) == (1, 0)  # an equal string, not the same object
    assert same_ends((), old) == (0, 0) and same_ends(old, old) == (4, 0)


def test_runs_and_dropped_rows_of_an_edit() -> None:
    rows = np.array([2, 3, -1, -1, 0, 1, 5])
    assert runs(rows) == [(0, 2), (2, 4), (4, 6), (6, 7)] and runs(np.zeros(0, dtype=np.int64)) == []
    assert dropped(rows, 7).tolist() == [4, 6]


def test_rows_by_identity_find_only_the_same_objects_between_the_ends() -> None:
    old = [["a"], ["b"], ["c"], ["d"]]
    new = [old[0], ["x"], ["b"], old[3]]  # ["b"]: an equal list, not the same one, between the ends
    assert previous_rows(new, old, key=id).tolist() == [0, -1, -1, 3]
    assert previous_rows([old[0], old[2], ["x"], old[1], old[3]], old, key=id).tolist() == [0, 2, -1, 1, 3]


def test_reused_rows_keep_their_values_and_only_new_ones_are_made() -> None:
    old = np.arange(12, dtype=np.float32).reshape(4, 3)
    asked: list[list[int]] = []
    out = reused(old, np.array([3, -1, 0, -1]), lambda new: asked.append(new.tolist()) or -np.ones((len(new), 3)))
    assert out.dtype == np.float32 and out.tolist() == [[9, 10, 11], [-1, -1, -1], [0, 1, 2], [-1, -1, -1]]
    assert asked == [[1, 3]]
