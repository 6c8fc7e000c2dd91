"""Residents' satisfaction on the demo, with confidence intervals.

The assertions read the marts and published views of the session's demo platform
(``tests/demo_platform.py``), as BI tools and reports do."""

from __future__ import annotations

import pytest

from tests.demo_platform import DemoPlatform


@pytest.mark.slow
def test_satisfaction_with_confidence_intervals(demo: DemoPlatform) -> None:
    rows = demo.query(
        "select area_code, area_level, period_year, respondents, satisfaction_score, ci_low, "
        "ci_high from published.pub_satisfaction where dimension_code = 'ALL'")
    cities = {(r[0], r[2]) for r in rows if r[1] == "city"}
    assert cities == {(city, year) for city in demo.cities for year in demo.years}
    assert {r[1] for r in rows} == {"province", "city", "county"}
    for code, _, year, n, score, low, high in rows:
        assert n > 0 and 0 <= score <= 100, (code, year)
        assert low < score < high, (code, year)
    width = dict(demo.query(
        "select area_level, avg(ci_high - ci_low) from published.pub_satisfaction "
        "group by area_level"))
    assert width["province"] < width["city"] < width["county"]
    dimensions = demo.query(
        "select count(distinct dimension_code) from published.pub_satisfaction")
    assert dimensions == [(9,)]
