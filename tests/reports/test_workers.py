"""How report work is dealt among this process and its helpers."""

from __future__ import annotations

import pytest

from cityhealth.reports.workers import shares


@pytest.mark.parametrize(("items", "workers", "expected"), [
    (["a", "b", "c", "d", "e"], 2, [["a", "c", "e"], ["b", "d"]]),
    (["a", "b"], 4, [["a"], ["b"]]),     # never an empty share for a helper
    (["a", "b", "c"], 1, [["a", "b", "c"]]),
    ([], 3, [[]]),                       # nothing to do: this process's share is empty
])
def test_shares_are_dealt_round_robin_and_never_empty(items, workers, expected) -> None:
    assert shares(items, workers) == expected
