"""The five-year assessment on the demo: trajectories and attainment over the plan period.

The assertions read the marts and published views of the session's demo platform
(``tests/demo_platform.py``), as BI tools and reports do."""

from __future__ import annotations

import pytest

from tests.demo_platform import DemoPlatform


@pytest.mark.slow
def test_five_year_assessment_and_index_trajectory(demo: DemoPlatform) -> None:
    start, end = demo.plan_period
    rows = demo.query(
        "select area_code, indicator_code, plan_start, plan_end, baseline_year, "
        "is_period_closed, start_year, end_year, start_value, end_value, avg_annual_change, "
        "assessment_status from published.pub_five_year_assessment where area_level = 'city'")
    assert {r[0] for r in rows} == set(demo.cities)
    for (_, _, plan_start, plan_end, baseline, closed, first, last, first_value, last_value,
         per_year, _) in rows:
        assert (plan_start, plan_end, baseline, closed) == (start, end, start - 1, True)
        if first is not None and last is not None and last > first:
            assert per_year == pytest.approx((last_value - first_value) / (last - first))
    park = [r for r in rows if r[1] == "EL03"]
    assert len(park) == len(demo.cities)
    assert all(r[6] == start - 1 and r[7] == end for r in park)
    assert {r[-1] for r in rows} >= {"attained", "improved_not_attained"}

    trajectory = demo.query(
        "select area_code, count(*), min(period_year), max(period_year), "
        "max(abs(index_change_from_baseline)) filter (where is_baseline_year) "
        "from published.pub_index_trajectory where area_level = 'city' group by area_code")
    assert len(trajectory) == len(demo.cities)
    for _, years, first, last, at_baseline in trajectory:
        assert (years, first, last, at_baseline) == (end - start + 2, start - 1, end, 0)
