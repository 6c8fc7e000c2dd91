"""The uncertainty and sensitivity analysis on the demo (index_method, section 5): index
and rank intervals for cities and counties, and every factor's share of the rank
variance, as BI tools read them from the published views."""

from __future__ import annotations

import pytest

from tests.demo_platform import DemoPlatform

FACTORS = {"weights", "standards", "aggregation", "leave_one_out", "measurement_error"}


@pytest.mark.slow
def test_index_and_rank_intervals_for_cities_and_counties_in_every_year(
        demo: DemoPlatform) -> None:
    rows = demo.query(
        "select area_level, period_year, health_index, index_p05, index_median, index_p95, "
        "rank_p05, rank_median, rank_p95, uncertainty_simulations "
        "from published.pub_health_index where area_level in ('city', 'county')")
    years: dict[str, set[int]] = {"city": set(), "county": set()}
    for level, year, index, p05, median, p95, rank05, rank50, rank95, simulations in rows:
        assert None not in (p05, median, p95, rank05, rank50, rank95), (level, year)
        assert 0 <= p05 <= median <= p95 <= 100
        assert 1 <= rank05 <= rank50 <= rank95
        assert simulations == 200
        # the published index is inside the interval or above it, never below (section 5)
        assert index >= p05 - 1e-9
        years[level].add(year)
    assert len(years["city"]) >= 2 and len(years["county"]) >= 2
    assert years["city"] == years["county"] == set(demo.years)
    ranked = dict(demo.query(
        "select area_level, max(rank_p95) from published.pub_health_index "
        "where period_year = ? group by area_level", [demo.check_year]))
    assert ranked["city"] <= len(demo.cities) < ranked["county"]  # counties among counties


@pytest.mark.slow
def test_published_index_lies_inside_its_interval_for_most_areas(demo: DemoPlatform) -> None:
    [(inside, areas)] = demo.query(
        "select count(*) filter (where health_index between index_p05 and index_p95), count(*) "
        "from published.pub_health_index where area_level in ('city', 'county')")
    assert inside > areas / 2


@pytest.mark.slow
def test_factor_shares_are_published_for_every_factor_level_and_year(demo: DemoPlatform) -> None:
    areas_of = dict(demo.query(
        "select area_level, count(distinct area_code) from published.pub_health_index "
        "where area_level in ('city', 'county') group by area_level"))
    rows = demo.query(
        "select period_year, area_level, factor_code, first_order_share, "
        "first_order_share_unadjusted, simulations, areas "
        "from published.pub_uncertainty_factor_share")
    for year in demo.years:
        for level in ("city", "county"):
            shares = {factor: (share, raw, simulations, areas)
                      for y, lvl, factor, share, raw, simulations, areas in rows
                      if y == year and lvl == level}
            assert set(shares) == FACTORS, (year, level)
            for factor, (share, raw, simulations, areas) in shares.items():
                assert share is not None and 0 <= share <= 1, (year, level, factor)
                assert raw is not None and share <= raw + 1e-9 <= 1 + 1e-9
                assert simulations == 200
                assert areas == areas_of[level]
            # the factors varied move ranks: together they explain a visible share
            assert sum(share for share, *_ in shares.values()) > 0.2, (year, level)
