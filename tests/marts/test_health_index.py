"""The city health index on the demo: every city and year scored, ranks with intervals.

The assertions read the marts and published views of the session's demo platform
(``tests/demo_platform.py``), as BI tools and reports do."""

from __future__ import annotations

import pytest

from tests.demo_platform import DemoPlatform
from tests.marts.conftest import DIMENSIONS


@pytest.mark.slow
def test_build_passes_every_model_data_test_and_unit_test(demo: DemoPlatform) -> None:
    failed = [r["unique_id"] for r in demo.run_results["results"]
              if r["status"] not in ("success", "pass", "no-op")]
    assert failed == []
    unit_tests = [r for r in demo.run_results["results"] if r["unique_id"].startswith("unit_test.")]
    assert len(unit_tests) >= 22
    assert demo.build_seconds < 180


@pytest.mark.slow
def test_every_city_has_an_index_and_dimension_scores_for_every_year(demo: DemoPlatform) -> None:
    columns = ", ".join(f"score_{d}" for d in DIMENSIONS)
    rows = demo.query(
        f"select area_code, period_year, health_index, rank_in_province, {columns} "
        "from published.pub_health_index where area_level = 'city'")
    assert {(code, year) for code, year, *_ in rows} == {
        (city, year) for city in demo.cities for year in demo.years}
    for code, year, index, rank, *scores in rows:
        assert index is not None and 0 <= index <= 100, (code, year)
        assert 1 <= rank <= len(demo.cities)
        assert all(score is not None and 0 <= score <= 100 for score in scores), (code, year)


@pytest.mark.slow
def test_rank_intervals_are_ordered_and_published(demo: DemoPlatform) -> None:
    rows = demo.query(
        "select area_code, period_year, rank_median, rank_p05, rank_p95 "
        "from published.pub_health_index where area_level = 'city'")
    assert len(rows) == len(demo.cities) * len(demo.years)
    for code, year, median, p05, p95 in rows:
        assert None not in (median, p05, p95), (code, year)
        assert 1 <= p05 <= median <= p95 <= len(demo.cities), (code, year)
    simulations = demo.query(
        "select min(simulations), max(simulations) from marts.fct_health_index_uncertainty")
    assert simulations == [(200, 200)]
    province = demo.query(
        "select count(rank_median) + count(index_median) from published.pub_health_index "
        "where area_level = 'province'")
    assert province == [(0,)]


@pytest.mark.slow
def test_attainment_beside_the_index_is_true_to_the_indicator_scores(demo: DemoPlatform) -> None:
    """indicators_attained, attainment_pct and indicators_at_100 of every area and year
    (all the demo's years) recomputed from fct_indicator_score: attained rows, their
    share of the scored ones, rows scoring 100. (A missing score counting in none is the
    unit test of fct_health_index: the demo has no missing value.)"""
    published = {(code, year): rest for code, year, *rest in demo.query(
        "select area_code, period_year, indicators_attained, indicators_scored, "
        "attainment_pct, indicators_at_100 from published.pub_health_index")}
    recomputed = demo.query(
        "select area_code, period_year, count(*) filter (where is_attained), count(score), "
        "count(*) filter (where score = 100) "
        "from marts.fct_indicator_score group by all")
    assert len(published) == len(recomputed) and len(demo.years) >= 2
    for code, year, attained, scored, at_100 in recomputed:
        published_attained, published_scored, pct, published_at_100 = published[(code, year)]
        assert (published_attained, published_scored, published_at_100) == (
            attained, scored, at_100), (code, year)
        assert abs(pct - 100 * attained / scored) <= 0.05 + 1e-9, (code, year)  # one decimal
    cities = [r for (code, _), r in published.items() if code in demo.cities]
    assert any(attained < scored for attained, scored, *_ in cities), \
        "some city misses a standard: attainment tells what the index does not"
