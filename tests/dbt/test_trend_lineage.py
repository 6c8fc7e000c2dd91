"""Min–max scores and simulated indices never enter a trend.

A min–max score ranks an indicator among the cities of one year: its 100 is "best this
year", so comparing it across years measures the other cities, not the city. The
project computes none any more (the uncertainty analysis dropped it); should a model
``fct_indicator_score_min_max`` come back, it is checked here. The simulated indices of
the uncertainty analysis (``fct_health_index_simulation``, ranked in
``fct_health_index_simulated``) are alternative constructions
of one year's index, for its interval only. This test reads the project's lineage
(``dbt ls`` after a parse: the manifest's graph) and fails when a model that computes a
change over time, a trend or a run of worsenings has either as an ancestor; the rank
interval is joined in the published view ``pub_index_trajectory`` only, after the
changes are computed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cityhealth.core.settings import DBT_PROJECT_DIR

MIN_MAX = "fct_indicator_score_min_max"
SIMULATED = "fct_health_index_simulation"  # its descendants: the ranks and all after

# The models that compute a change between years or periods.
TREND_MODELS = (
    "fct_index_trajectory",  # index changes yoy / on the baseline, rank changes
    "fct_health_index_current_method",  # the trajectory's index under one method
    "fct_indicator_score_current_method",
    "fct_five_year_assessment",  # start → end change of every indicator
    "fct_diagnosis",  # the worsening rule
    "fct_early_warning",  # the worsening trend of a series
    "fct_problem_monitoring",  # slipping on a worsening trend
    "fct_recheck",  # change on the baseline of a treated problem
)


def _descendants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *models: str) -> set[str]:
    from dbt.cli.main import dbtRunner

    monkeypatch.setenv("CITYHEALTH_WAREHOUSE", str(tmp_path / "ls.duckdb"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    result = dbtRunner().invoke(["ls", "--project-dir", str(DBT_PROJECT_DIR),
                                 "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet",
                                 "--resource-type", "model", "--output", "name",
                                 "--select", *(f"{model}+" for model in models)])
    assert result.success, result.exception
    return set(result.result)


def test_no_trend_or_change_has_min_max_scores_among_its_ancestors(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    every_model = {path.stem for path in (DBT_PROJECT_DIR / "models").rglob("*.sql")}
    sources = [SIMULATED] + ([MIN_MAX] if MIN_MAX in every_model else [])
    downstream = _descendants(tmp_path, monkeypatch, *sources)
    # the lineage is read: the uncertainty analysis and the views joining its interval
    # are downstream, so an empty answer cannot pass the test
    assert {"fct_health_index_simulated", "fct_health_index_uncertainty", "pub_health_index",
            "pub_index_trajectory"} <= downstream, sorted(downstream)
    assert set(TREND_MODELS) <= every_model, sorted(set(TREND_MODELS) - every_model)
    tainted = sorted(set(TREND_MODELS) & downstream)
    assert not tainted, f"changes computed from min–max scores or simulated indices: {tainted}"
