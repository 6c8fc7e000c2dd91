"""The demo's annual release carries every published view, each with rows."""

from __future__ import annotations

import pytest

from cityhealth.core import settings as settings_module
from tests.demo_platform import DemoPlatform


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


@pytest.mark.slow
def test_the_demo_summary_reads_attainment_and_the_change_under_one_method(
        demo: DemoPlatform, capsys: pytest.CaptureFixture[str]) -> None:
    """The table `make demo` ends with: per city the published index, its attainment and
    rank interval, and the change since the baseline under one method with the method's
    own part beside it (a method change must not read as progress)."""
    from cityhealth.core.periods import Period
    from cityhealth.demo.runner import print_summary

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CITYHEALTH_HOME", str(demo.home))
        settings_module.settings.cache_clear()
        print_summary(demo.check_year, Period.plan(*demo.plan_period))
    settings_module.settings.cache_clear()
    lines = capsys.readouterr().out.splitlines()
    published = demo.query(
        "select h.area_code, h.health_index, h.indicators_attained, h.indicators_scored, "
        "h.rank_p05, h.rank_p95, t.index_change_from_baseline, "
        "t.index_change_from_baseline_current_method "
        "from published.pub_health_index as h join published.pub_index_trajectory as t "
        "using (area_code, period_year) where h.area_level = 'city' and h.period_year = ?",
        [demo.check_year])
    assert len(published) == len(demo.cities)
    for code, index, attained, scored, low, high, naive, real in published:
        line = next(line for line in lines if f"  {code}  " in line)
        assert f"{index:.1f}" in line and f"{attained}/{scored}" in line, line
        assert f"{low}–{high}" in line and f"{real:+.1f}" in line, line
        assert f"{round(naive - real, 1) + 0.0:+.1f}" in line.split()[-1], line
