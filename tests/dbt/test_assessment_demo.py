"""The assessment engine on the real demo: deliveries → ingestion → validation → dbt.

One module-scoped platform: the demo generator writes every delivery of 2020–2025, the
annual sources are ingested and validated year by year, the monthly and quarterly
feeds are pulled from the project's feed server (on loopback, in a thread) and the task
and project registers ingested for every month of the check year; then one
``warehouse.dbt.build`` (seeds, models, data tests, unit tests). The assertions read
the published views, as BI tools and reports do.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from cityhealth import settings as settings_module

TOKEN = "assessment-test-token"
DIMENSIONS = ("el", "hc", "sr", "tr", "tc", "to", "di", "iv")


@dataclass
class Demo:
    home: Path
    warehouse: Path
    years: tuple[int, ...]
    check_year: int
    plan_period: tuple[int, int]
    cities: list[str]
    run_results: dict
    build_seconds: float

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


def _pull(source_ids: list[str], period: str) -> None:
    from expectations.gate import validate_pending
    from ingestion.run import ingest_source

    for source_id in source_ids:
        ingest_source(source_id, period)
    validate_pending(period=period)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    from expectations.gate import validate_pending
    from ingestion.demo import generate
    from ingestion.feed_server import make_server
    from ingestion.registry import sources
    from ingestion.run import ingest_all
    from warehouse.dbt import build

    home = tmp_path_factory.mktemp("assessment_demo") / "home"
    server = make_server("127.0.0.1", 0, token=TOKEN)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CITYHEALTH_HOME", str(home))
            patch.setenv("CITYHEALTH_PROFILE", "demo")
            patch.setenv("CITYHEALTH_FEED_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}")
            patch.setenv("CITYHEALTH_FEED_TOKEN", TOKEN)
            settings_module.settings.cache_clear()
            cfg = settings_module.settings()
            cfg.ensure_dirs()
            profile = cfg.profile

            generate(cfg.landing_dir, profile)
            for year in profile.years:
                ingest_all(str(year))
                validate_pending(period=str(year))
            monthly = [s.source_id for s in sources().values() if s.cadence == "monthly"]
            quarterly = [s.source_id for s in sources().values() if s.cadence == "quarterly"]
            for month in range(1, 13):
                _pull(monthly, f"{profile.check_year}-{month:02d}")
            for quarter in range(1, 5):
                _pull(quarterly, f"{profile.check_year}-Q{quarter}")

            started = time.monotonic()
            build(check_year=profile.check_year)
            seconds = time.monotonic() - started
            print(f"dbt build on the demo (2020–{profile.check_year}): {seconds:.1f} s")
            run_results = json.loads((cfg.dbt_target_dir / "run_results.json").read_text())
            con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
            try:
                cities = [code for (code,) in con.execute(
                    "select area_code from reference.ref_areas where area_level = 'city' "
                    "order by area_code").fetchall()]
            finally:
                con.close()
            yield Demo(home, cfg.warehouse_path, profile.years, profile.check_year,
                       profile.plan_period, cities, run_results, seconds)
    finally:
        server.shutdown()
        server.server_close()
        settings_module.settings.cache_clear()


@pytest.mark.slow
def test_build_passes_every_model_data_test_and_unit_test(demo: Demo) -> None:
    failed = [r["unique_id"] for r in demo.run_results["results"]
              if r["status"] not in ("success", "pass", "no-op")]
    assert failed == []
    unit_tests = [r for r in demo.run_results["results"] if r["unique_id"].startswith("unit_test.")]
    assert len(unit_tests) >= 19
    assert demo.build_seconds < 180


@pytest.mark.slow
def test_every_city_has_an_index_and_dimension_scores_for_every_year(demo: Demo) -> None:
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
def test_rank_intervals_are_ordered_and_published(demo: Demo) -> None:
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
def test_diagnosis_finds_problems_with_plain_sentences(demo: Demo) -> None:
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
def test_warnings_show_all_three_colours_annual_and_monitored(demo: Demo) -> None:
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
def test_five_year_assessment_and_index_trajectory(demo: Demo) -> None:
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
def test_satisfaction_with_confidence_intervals(demo: Demo) -> None:
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
def test_reconciliation_and_quality_flags(demo: Demo) -> None:
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
def test_supervision_marts(demo: Demo) -> None:
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
def test_release_carries_the_new_published_views(demo: Demo) -> None:
    from warehouse.release import publish

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CITYHEALTH_HOME", str(demo.home))
        settings_module.settings.cache_clear()
        release = publish(str(demo.check_year), run_id="assessment-test")
    settings_module.settings.cache_clear()
    for table in ("pub_diagnosis", "pub_early_warning", "pub_satisfaction",
                  "pub_reconciliation", "pub_five_year_assessment", "pub_index_trajectory",
                  "pub_task_progress_monthly", "pub_project_progress_monthly",
                  "pub_quarterly_bulletin", "pub_annual_appraisal"):
        assert release.tables[table] > 0, table
