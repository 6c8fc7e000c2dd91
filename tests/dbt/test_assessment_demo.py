"""The assessment engine on the real demo: deliveries → ingestion → validation → dbt.

The session's demo platform (tests/demo_platform.py, built once and shared with the
report tests): the demo generator writes every delivery of 2020–2025, the annual
sources are ingested and validated year by year, the monthly and quarterly feeds are
pulled from the project's feed server (on loopback) and the task and project registers
ingested for every month of the check year; then one ``cityhealth.warehouse.dbt.build`` (seeds,
models, data tests, unit tests). The assertions read the published views, as BI tools
and reports do.
"""

from __future__ import annotations

import pytest

from cityhealth.core import settings as settings_module
from tests.demo_platform import DemoPlatform

DIMENSIONS = ("el", "hc", "sr", "tr", "tc", "to", "di", "iv")


@pytest.fixture(scope="module")
def demo(demo_platform: DemoPlatform) -> DemoPlatform:
    """The session's demo platform (tests/demo_platform.py), built once for every reader."""
    return demo_platform


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
    non_cities = demo.query(
        "select count(rank_median) from published.pub_health_index where area_level <> 'city'")
    assert non_cities == [(0,)]


@pytest.mark.slow
def test_diagnosis_finds_problems_with_plain_sentences(demo: DemoPlatform) -> None:
    per_city = dict(demo.query(
        "select area_code, count(*) from published.pub_diagnosis "
        "where area_level = 'city' and period_year = ? group by area_code", [demo.check_year]))
    assert set(per_city) == set(demo.cities)
    rows = demo.query(
        "select indicator_name_zh, description_zh, is_below_standard, is_worsening, "
        "is_bottom_fifth, worsening_years, dimension_code "
        "from published.pub_diagnosis where period_year = ?", [demo.check_year])
    for name, sentence, below, worsening, bottom, years, _ in rows:
        assert sentence.startswith(f"{name}为") and sentence.endswith("。")
        assert below or worsening or bottom
        if below:
            assert "标准值" in sentence or "合理区间" in sentence
        if worsening:
            assert f"已连续{years}年" in sentence or f"已连续{years}年扩大" in sentence
        if bottom:
            assert "处于后20%" in sentence
    assert any(worsening for _, _, _, worsening, *_ in rows), "no indicator worsened 2 years"
    assert any(bottom for _, _, _, _, bottom, *_ in rows)
    assert len({dimension for *_, dimension in rows}) == 8


@pytest.mark.slow
def test_warnings_show_all_three_colours_annual_and_monitored(demo: DemoPlatform) -> None:
    rows = demo.query(
        "select frequency, warning_level, count(*), count_if(is_escalated) "
        "from published.pub_early_warning group by all")
    colours: dict[str, set[str]] = {}
    for frequency, level, _, _ in rows:
        colours.setdefault(frequency, set()).add(level)
    assert colours["annual"] == {"red", "yellow", "green"}
    assert colours["monthly"] == {"red", "yellow", "green"}
    assert "quarterly" in colours
    assert sum(escalated for *_, escalated in rows) > 0
    monitored = demo.query(
        "select count(distinct period) from published.pub_early_warning "
        "where frequency = 'monthly' and period_year = ?", [demo.check_year])
    assert monitored == [(12,)]


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


@pytest.mark.slow
def test_reconciliation_and_quality_flags(demo: DemoPlatform) -> None:
    statuses = dict(demo.query(
        "select reconciliation_status, count(*) from published.pub_reconciliation group by 1"))
    assert statuses.get("within_tolerance", 0) > 0
    assert statuses.get("over_tolerance", 0) > 0
    gaps = demo.query(
        "select count(*) from published.pub_reconciliation "
        "where abs(gap_abs - (self_check_value - third_party_value)) > 1e-9")
    assert gaps == [(0,)]
    flagged = demo.query(
        "select count(*) from published.pub_indicator_value "
        "where list_contains(quality_flags, 'third_party_gap') and source = 'self_check'")
    assert flagged[0][0] > 0


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
def test_release_carries_the_new_published_views(demo: DemoPlatform) -> None:
    from cityhealth.warehouse.release import publish

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CITYHEALTH_HOME", str(demo.home))
        settings_module.settings.cache_clear()
        release = publish(str(demo.check_year), run_id="assessment-test")
    settings_module.settings.cache_clear()
    for table in ("pub_diagnosis", "pub_early_warning", "pub_satisfaction",
                  "pub_reconciliation", "pub_five_year_assessment", "pub_index_trajectory",
                  "pub_task_progress_monthly", "pub_project_progress_monthly",
                  "pub_quarterly_bulletin", "pub_annual_appraisal", "pub_problem_list",
                  "pub_problem_history", "pub_project_problem_link", "pub_recheck",
                  "pub_problems_without_project", "pub_projects_without_problem"):
        assert release.tables[table] > 0, table


STATUSES = {"open", "under_treatment", "resolved", "recurring"}


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
