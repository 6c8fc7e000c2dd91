"""Refactoring moves no figure: the demo's releases publish what they published before.

The digests in ``tests/fixtures/published_figures.json`` were taken from the demo
build (see ``tests/published_figures.py``, which also says how to renew them when a
figure changes on purpose).
"""

from __future__ import annotations

import json

import pytest

from tests.published_figures import FIXTURE, release_figures


@pytest.mark.slow
def test_the_demo_publishes_the_recorded_figures(demo_platform) -> None:
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))
    actual = release_figures(demo_platform.home)
    assert sorted(actual) == sorted(expected), "the demo publishes other periods"
    changed = [
        f"{period} {table}: {expected[period].get(table)} -> {figures}"
        for period in sorted(expected)
        for table, figures in sorted(actual[period].items())
        if expected[period].get(table) != figures
    ]
    missing = [f"{period} {table}" for period in sorted(expected)
               for table in sorted(set(expected[period]) - set(actual[period]))]
    assert not changed and not missing, (
        "published figures changed:\n" + "\n".join(changed + [f"{m}: gone" for m in missing]))
