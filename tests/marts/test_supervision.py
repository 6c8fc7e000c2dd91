"""Supervision on the demo: tasks and projects by month, problems from found to
rechecked, the annual appraisal.

The assertions read the marts and published views of the session's demo platform
(``tests/demo_platform.py``), as BI tools and reports do."""

from __future__ import annotations

import pytest

from tests.demo_platform import DemoPlatform

STATUSES = {"open", "under_treatment", "resolved", "recurring"}


@pytest.mark.slow
def test_supervision_marts(demo: DemoPlatform) -> None:
    [(tasks, months, delayed)] = demo.query(
        "select count(*), count(distinct period), count_if(is_delayed) "
        "from published.pub_task_progress_monthly")
    assert (tasks, months) == (22 * len(demo.cities) * 12, 12)
    assert delayed > 0
    [(projects, overdue, behind)] = demo.query(
        "select count(distinct project_id), count_if(is_overdue), count_if(is_behind_schedule) "
        "from published.pub_project_progress_monthly")
    assert projects > 0 and overdue > 0 and behind > 0
    bulletin = demo.query(
        "select period, count(*), min(rank_in_province), max(parts_scored) "
        "from published.pub_quarterly_bulletin group by period order by period")
    assert [row[0] for row in bulletin] == [f"{demo.check_year}-Q{q}" for q in range(1, 5)]
    assert all(count == len(demo.cities) and best == 1 and parts == 3
               for _, count, best, parts in bulletin)
    appraisal = demo.query(
        "select area_code, parts_scored, appraisal_score, rank_in_level "
        "from published.pub_annual_appraisal where area_level = 'city' and period_year = ?",
        [demo.check_year])
    assert {r[0] for r in appraisal} == set(demo.cities)
    assert all(parts == 3 and 0 <= score <= 100 for _, parts, score, _ in appraisal)
    assert sorted(r[3] for r in appraisal)[0] == 1
    counties = demo.query(
        "select count(*) from published.pub_annual_appraisal "
        "where area_level = 'county' and period_year = ?", [demo.check_year])
    assert counties[0][0] > 0


@pytest.mark.slow
def test_problem_list_shows_every_status_under_stable_ids(demo: DemoPlatform) -> None:
    statuses = dict(demo.query(
        "select status, count(*) from published.pub_problem_list group by status"))
    assert set(statuses) == STATUSES
    assert all(count > 0 for count in statuses.values())
    rows = demo.query(
        "select problem_id, area_code, indicator_code, first_diagnosed_year, area_level "
        "from published.pub_problem_list")
    for problem_id, area, indicator, first, level in rows:
        assert problem_id == f"P-{area}-{indicator}-{first}"
        assert level in ("city", "county")
    # the id is the first diagnosed year, and a problem keeps it when it recurs
    first_years = demo.query(
        "select count(*) from published.pub_problem_list problems "
        "join (select area_code, indicator_code, min(period_year) as first_year "
        "      from published.pub_diagnosis group by all) diagnosis "
        "using (area_code, indicator_code) where problems.first_diagnosed_year <> first_year")
    assert first_years == [(0,)]
    recurred = demo.query(
        "select count(*) from published.pub_problem_history history "
        "where status = 'recurring' and not exists (select 1 from published.pub_problem_history "
        "  earlier where earlier.problem_id = history.problem_id "
        "  and earlier.period_year < history.period_year and earlier.status = 'resolved')")
    assert recurred == [(0,)]
    transitions = set(demo.query(
        "select previous_status, status from published.pub_problem_history "
        "where previous_status is not null group by all"))
    assert {("open", "under_treatment"), ("under_treatment", "resolved"),
            ("resolved", "recurring")} <= transitions
    history = demo.query(
        "select count(*), count(distinct problem_id), "
        "count_if(status = 'under_treatment' and projects_started = 0), "
        "count_if(status = 'open' and projects_started > 0) "
        "from published.pub_problem_history where period_year = ?", [demo.check_year])
    (rows_in_year, problems_in_year, treated_without_project, open_with_project), = history
    assert rows_in_year == problems_in_year > 0
    assert (treated_without_project, open_with_project) == (0, 0)


@pytest.mark.slow
def test_gaps_in_treatment_and_unjustified_projects_are_listed(demo: DemoPlatform) -> None:
    gaps = demo.query(
        "select problem_id, status from published.pub_problems_without_project")
    assert gaps and {status for _, status in gaps} <= {"open", "recurring"}
    linked = demo.query(
        "select count(*) from published.pub_project_problem_link "
        "where problem_id in (select problem_id from published.pub_problems_without_project)")
    assert linked == [(0,)]
    unjustified = [project for (project,) in demo.query(
        "select project_id from published.pub_projects_without_problem")]
    assert unjustified
    for project in unjustified:
        [(area, city, codes)] = demo.query(
            "select distinct area_code, city_code, indicator_codes "
            "from published.pub_project_problem_link where project_id = ?", [project])
        problems = demo.query(
            "select count(*) from published.pub_problem_list "
            "where area_code in (?, ?) and list_contains(?, indicator_code)",
            [area, city, codes])
        assert problems == [(0,)], project
    [(projects, justified)] = demo.query(
        "select count(distinct project_id), count(distinct project_id) filter (where has_problem) "
        "from published.pub_project_problem_link")
    assert projects == justified + len(unjustified)
    assert justified > 0


@pytest.mark.slow
def test_every_treated_problem_is_rechecked_with_a_verdict(demo: DemoPlatform) -> None:
    treated = {problem for (problem,) in demo.query(
        "select distinct problem_id from published.pub_problem_history where has_started_project")}
    rechecked = {problem for (problem,) in demo.query(
        "select distinct problem_id from published.pub_recheck where verdict is not null")}
    assert treated and treated == rechecked
    verdicts = dict(demo.query(
        "select verdict, count(*) from published.pub_recheck group by verdict"))
    assert set(verdicts) == {"improved", "no_change", "worse"}
    rows = demo.query(
        "select direction, baseline_year, year(planned_start), recheck_year, goodness_change, "
        "relative_change, improvement_threshold, verdict, value, baseline_value "
        "from published.pub_recheck")
    for (direction, baseline, start, year, change, relative, threshold, verdict, value,
         before) in rows:
        assert baseline < start <= year
        if direction == "higher_better":
            assert change == pytest.approx(value - before)
        elif direction == "lower_better":
            assert change == pytest.approx(before - value)
        if relative is not None:
            expected = ("improved" if relative >= threshold else
                        "worse" if relative <= -threshold else "no_change")
            assert verdict == expected
    # the working demo projects move what they treat: treated problems get resolved
    resolved_after_treatment = demo.query(
        "select count(*) from published.pub_recheck "
        "where is_latest_recheck and status = 'resolved' and verdict = 'improved'")
    assert resolved_after_treatment[0][0] > 0


@pytest.mark.slow
def test_monitoring_of_problems_and_appraisal_shares(demo: DemoPlatform) -> None:
    monitored = demo.query(
        "select count(*), count_if(is_slipping), "
        "count_if(is_slipping and not has_started_project) "
        "from published.pub_problem_list where monitored_period is not null")
    [(count, slipping, slipping_untreated)] = monitored
    assert count > 0 and slipping > 0 and slipping_untreated == 0
    periods = demo.query(
        "select distinct monitored_period from published.pub_problem_list "
        "where monitored_frequency = 'monthly'")
    assert periods == [(f"{demo.check_year}-12",)]
    shares = demo.query(
        "select area_code, problems_listed, share_problems_with_projects, share_problems_resolved "
        "from published.pub_annual_appraisal where area_level = 'city' and period_year = ?",
        [demo.check_year])
    assert {row[0] for row in shares} == set(demo.cities)
    for area, listed, with_projects, resolved in shares:
        [(expected_listed, expected_with, expected_resolved)] = demo.query(
            "select count(*), count_if(has_started_project), count_if(status = 'resolved') "
            "from published.pub_problem_history where area_code = ? and period_year = ?",
            [area, demo.check_year])
        assert listed == expected_listed > 0
        assert with_projects == pytest.approx(expected_with / listed)
        assert resolved == pytest.approx(expected_resolved / listed)
    assert any(with_projects > 0 for *_, with_projects, _ in shares)
