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
