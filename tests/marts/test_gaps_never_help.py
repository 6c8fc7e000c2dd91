"""Gaps never help: a value that is not delivered never raises a published figure.

A copy of the session's demo warehouse loses part of its delivered values – one
county's value of a count (TC01, a sum), of a ratio's numerator (EL02) and of a
population-weighted mean (EL06) in several cities, and every value of the weakest ratio
indicator of one city – in the check year and the year before. The scoring models are
rebuilt on the copy with dbt (from the staging of the values up to fct_health_index)
and every affected area (the counties that lost a value, their cities, the province) is
compared with the demo as built: no indicator score, dimension score or index may rise
and no city may climb in the ranking, unless the row says it stands on an incomplete
roll-up (is_complete = false, indicators_incomplete > 0). Under the earlier rule
(re-normalising the weights over the indicators present) the city that lost its weakest
indicator gains index points, and this test fails.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from cityhealth.core import settings as settings_module
from cityhealth.core.periods import Period
from tests.demo_platform import DemoPlatform

# one county per sampled city loses these variables: a count summed over counties
# (TC01), a ratio's numerator (EL02) and a population-weighted mean (EL06)
COUNTY_GAP_VARIABLES = ("HERITAGE_DAMAGE_EVENTS", "GREEN_COVER_AREA", "PM25_CONC")
COUNTY_GAP_CITIES = (0, 3, 6)  # positions in the demo's list of cities
INDICATOR_GAP_CITY = 9
# scores are compared with this tolerance (floating point)
EPSILON = 1e-9


@dataclass
class Gaps:
    before: duckdb.DuckDBPyConnection
    after: duckdb.DuckDBPyConnection
    years: tuple[int, int]
    counties: list[str]  # counties that lost a value
    areas: list[str]  # every area whose figures may change
    indicator_city: str
    indicator_code: str


def _weakest_own_ratio_indicator(con: duckdb.DuckDBPyConnection, city: str, year: int
                                 ) -> tuple[str, str]:
    """The city's lowest-scoring ratio indicator whose numerator feeds no other indicator."""
    return con.execute(
        """
        with catalogue as (
            select indicator_code, numerator_variable,
                count(*) over (partition by numerator_variable) as uses
            from marts.dim_indicator
            where aggregation = 'ratio'
                and ? between check_year_from and coalesce(check_year_to, 9999)
        )
        select scores.indicator_code, catalogue.numerator_variable
        from marts.fct_indicator_score as scores
        inner join catalogue using (indicator_code)
        where scores.area_code = ? and scores.period_year = ? and scores.score is not null
            and catalogue.uses = 1
        order by scores.score, scores.indicator_code
        limit 1
        """, [year, city, year]).fetchone()


@pytest.fixture(scope="module")
def gaps(demo_platform: DemoPlatform, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Gaps]:
    from cityhealth.warehouse.dbt import run_dbt

    demo = demo_platform
    home = tmp_path_factory.mktemp("gaps_never_help") / "home"
    years = (demo.check_year - 1, demo.check_year)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CITYHEALTH_HOME", str(home))
        patch.setenv("CITYHEALTH_PROFILE", "demo")
        settings_module.settings.cache_clear()
        cfg = settings_module.settings()
        cfg.ensure_dirs()
        # the views name the catalogue by the file's stem: the copy keeps the name
        copy = cfg.warehouse_path
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(demo.warehouse, copy)
        wal = Path(f"{demo.warehouse}.wal")
        if wal.exists():
            shutil.copy(wal, Path(f"{copy}.wal"))

        con = duckdb.connect(str(copy))
        try:
            counties = []
            for position in COUNTY_GAP_CITIES:
                (county,) = con.execute(
                    "select min(area_code) from reference.ref_areas "
                    "where area_level = 'county' and city_code = ?",
                    [demo.cities[position]]).fetchone()
                counties.append(county)
                con.execute(
                    "delete from raw.department_values where area_code = ? "
                    "and period_year in (?, ?) and variable_code in (?, ?, ?)",
                    [county, *years, *COUNTY_GAP_VARIABLES])
            indicator_city = demo.cities[INDICATOR_GAP_CITY]
            indicator_code, variable = _weakest_own_ratio_indicator(
                con, indicator_city, demo.check_year)
            city_counties = [code for (code,) in con.execute(
                "select area_code from reference.ref_areas "
                "where area_level = 'county' and city_code = ?", [indicator_city]).fetchall()]
            con.execute(
                "delete from raw.department_values where period_year in (?, ?) "
                "and variable_code = ? and area_code in (select unnest(?))",
                [*years, variable, city_counties])
            (province,) = con.execute(
                "select area_code from reference.ref_areas where area_level = 'province'"
            ).fetchone()
        finally:
            con.close()

        # the marts hold every year up to the check year: one run rebuilds both years
        run_dbt(["run", "--select", "stg_departments__values+,+fct_health_index"],
                warehouse_path=copy, vars=Period.annual(demo.check_year).dbt_vars())

        areas = sorted({*counties, *city_counties, province, indicator_city,
                        *(demo.cities[p] for p in COUNTY_GAP_CITIES)})
        before = duckdb.connect(str(demo.warehouse), read_only=True)
        after = duckdb.connect(str(copy), read_only=True)
        try:
            yield Gaps(before, after, years, counties, areas, indicator_city, indicator_code)
        finally:
            before.close()
            after.close()
    settings_module.settings.cache_clear()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, areas: list[str], years: tuple[int, int]
          ) -> dict[tuple, tuple]:
    """key columns (all but the last two) → the last two, for the affected areas and years."""
    rows = con.execute(
        f"select * from ({sql}) where area_code in (select unnest(?)) "
        "and period_year in (?, ?)", [areas, *years]).fetchall()
    return {tuple(row[:-2]): tuple(row[-2:]) for row in rows}


def _risen(before: dict, after: dict) -> list[tuple]:
    """Keys whose value rose without the row's flag (value None = withheld, never a rise)."""
    risen = []
    for key, (old, _) in before.items():
        new, flagged = after[key]
        if old is not None and new is not None and new > old + EPSILON and not flagged:
            risen.append((key, old, new))
    return risen


@pytest.mark.slow
def test_the_sample_of_gaps_reaches_the_scores(gaps: Gaps) -> None:
    """The deletions did what they should, so that the other tests are not vacuous."""
    sums = gaps.after.execute(
        "select count(*) from marts.fct_indicator_value where indicator_code = 'TC01' "
        "and area_level = 'city' and period_year in (?, ?) and value is null "
        "and null_reason = 'sum_incomplete'", list(gaps.years)).fetchone()[0]
    assert sums == len(COUNTY_GAP_CITIES) * len(gaps.years)
    missing = gaps.after.execute(
        "select count(*) from marts.fct_indicator_score where area_code = ? "
        "and indicator_code = ? and period_year in (?, ?) and score is null",
        [gaps.indicator_city, gaps.indicator_code, *gaps.years]).fetchone()[0]
    assert missing == len(gaps.years)


@pytest.mark.slow
def test_no_indicator_score_rises_unless_flagged_incomplete(gaps: Gaps) -> None:
    sql = ("select area_code, period_year, indicator_code, score, not is_complete "
           "from marts.fct_indicator_score")
    before = _rows(gaps.before, sql, gaps.areas, gaps.years)
    after = _rows(gaps.after, sql, gaps.areas, gaps.years)
    assert before.keys() == after.keys()
    assert _risen(before, after) == []


@pytest.mark.slow
def test_no_dimension_score_rises_unless_flagged_incomplete(gaps: Gaps) -> None:
    sql = ("select area_code, period_year, dimension_code, dimension_score, "
           "indicators_incomplete > 0 from marts.fct_dimension_score")
    before = _rows(gaps.before, sql, gaps.areas, gaps.years)
    after = _rows(gaps.after, sql, gaps.areas, gaps.years)
    assert before.keys() == after.keys()
    assert _risen(before, after) == []


@pytest.mark.slow
def test_no_published_index_rises_unless_flagged_incomplete(gaps: Gaps) -> None:
    sql = ("select area_code, period_year, health_index, indicators_incomplete > 0 "
           "from published.pub_health_index")
    before = _rows(gaps.before, sql, gaps.areas, gaps.years)
    after = _rows(gaps.after, sql, gaps.areas, gaps.years)
    assert _risen(before, after) == []
    # the city that lost its weakest indicator loses index points (0 counts, not the mean)
    for year in gaps.years:
        old, new = before[(gaps.indicator_city, year)][0], after[(gaps.indicator_city, year)][0]
        assert new < old - EPSILON, (gaps.indicator_city, year, old, new)


@pytest.mark.slow
def test_no_city_climbs_in_the_ranking_unless_flagged(gaps: Gaps) -> None:
    """A city's rank is 1 + the cities with a higher index: it may only improve by as
    many places as other affected cities fell from above it to below it (or out of the
    ranking); a withheld rank carries its reason."""
    sql = ("select area_code, period_year, health_index, rank_in_province, "
           "rank_withheld_reason, indicators_incomplete from published.pub_health_index "
           "where area_level = 'city' and period_year in (?, ?)")
    before = {(r[0], r[1]): r[2:] for r in gaps.before.execute(sql, list(gaps.years)).fetchall()}
    after = {(r[0], r[1]): r[2:] for r in gaps.after.execute(sql, list(gaps.years)).fetchall()}
    for (city, year), (index, rank, _, _) in before.items():
        if city not in gaps.areas or rank is None:
            continue
        new_index, new_rank, reason, incomplete = after[(city, year)]
        if new_rank is None:
            assert reason, (city, year)
            continue
        overtaken = sum(
            1 for (other, other_year), (other_index, other_rank, *_) in before.items()
            if other_year == year and other != city and other_rank is not None
            and other_index > index
            and (after[(other, year)][1] is None or after[(other, year)][0] <= new_index))
        assert new_rank >= rank - overtaken or incomplete > 0, (city, year, rank, new_rank)
