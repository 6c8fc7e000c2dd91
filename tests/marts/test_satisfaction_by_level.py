"""Residents' satisfaction by the four levels of the check (2024 on) on the demo.

The demo's 2024 and 2025 exports carry the JX-2024 questionnaire, whose last questions
ask about housing, compounds, blocks and districts; the published view has a row per
level (and overall) for every city and no row before 2024, and its figures are those a
reader recomputes from the raw answer arrays with the rules the view states: a
respondent's latest sheet of the year, screened (too fast, straight-lining over the
2021 questions, no scored answer), the mean over a level's questions, 0–100, counties'
means, cities as population-weighted means of their counties."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cityhealth.core.reference import seed_rows
from tests.demo_platform import DemoPlatform

LEVELS = {"housing": "住房", "compound": "小区（社区）", "block": "街区",
          "district": "城区（城市）",
          "ALL": "总体满意度（四个层级）"}


def _parameter(code: str) -> float:
    [row] = [r for r in seed_rows("ref_assessment_parameters") if r["parameter_code"] == code]
    return float(row["value"])


@pytest.mark.slow
def test_every_city_has_a_row_per_level_from_2024_and_none_before(demo: DemoPlatform) -> None:
    rows = demo.query(
        "select area_code, period_year, level_code, level_name_zh, respondents, "
        "satisfaction_score, ci_low, ci_high from published.pub_satisfaction_by_level "
        "where area_level = 'city'")
    level_years = [y for y in demo.years if y >= 2024]
    assert level_years, "the demo has no year of the four-level check"
    assert {(r[0], r[1], r[2]) for r in rows} == {
        (city, year, level) for city in demo.cities for year in level_years for level in LEVELS}
    assert all(LEVELS[r[2]] == r[3] for r in rows)
    assert all(n > 0 and low < score < high for *_, n, score, low, high in rows)
    [(before,)] = demo.query(
        "select count(*) from published.pub_satisfaction_by_level where period_year < 2024")
    assert before == 0
    # the demo's residents like their compounds least (demo generator's level offsets)
    province = dict(demo.query(
        "select level_code, satisfaction_score from published.pub_satisfaction_by_level "
        "where area_level = 'province' and period_year = ?", [demo.check_year]))
    assert min(province, key=province.get) == "compound"


@pytest.mark.slow
def test_level_figures_are_a_plain_recomputation_of_the_raw_answers(demo: DemoPlatform) -> None:
    questions = pd.DataFrame(seed_rows("ref_survey_questions"))
    questions = questions[questions.level_code != ""]
    positions = {(q, level): list(group.position.astype(int))
                 for (q, level), group in questions.groupby(["questionnaire_id", "level_code"])}
    sheets = pd.DataFrame(demo.query(
        "select r.respondent_key, r.area_code, r.period_year, r.submitted_at, r.batch_id, "
        "r.response_id, r.duration_seconds, r.questionnaire_id, r.answers "
        "from raw.survey_responses r join raw.load_batches b using (batch_id) "
        "where b.status = 'promoted' and r.period_year >= 2024"),
        columns=["key", "county", "year", "at", "batch", "rid", "seconds", "questionnaire",
                 "answers"])
    latest = (sheets.sort_values(["at", "batch", "rid"], na_position="first")
              .groupby(["key", "year"]).tail(1))
    first_level = {q: min(p[0] for (qq, _), p in positions.items() if qq == q)
                   for q in questions.questionnaire_id.unique()}

    def screened(sheet: pd.Series) -> bool:
        survey = [a for a in sheet.answers[:first_level[sheet.questionnaire] - 1]
                  if a is not None]
        too_fast = sheet.seconds is not None and sheet.seconds < _parameter(
            "survey_min_duration_seconds")
        straight = (len(survey) >= _parameter("survey_straight_lining_min_questions")
                    and len(set(survey)) == 1)
        return too_fast or straight or not survey

    counted = latest[~latest.apply(screened, axis=1)]
    scores = []
    for sheet in counted.itertuples():
        for (questionnaire, level), where in positions.items():
            if questionnaire != sheet.questionnaire:
                continue
            answered = [sheet.answers[p - 1] for p in where if p <= len(sheet.answers)
                        and sheet.answers[p - 1] is not None]
            if answered:
                scores.append((sheet.county, sheet.year, level, answered))
        every = [sheet.answers[p - 1] for (q, _), where in positions.items()
                 if q == sheet.questionnaire for p in where
                 if p <= len(sheet.answers) and sheet.answers[p - 1] is not None]
        if every:
            scores.append((sheet.county, sheet.year, "ALL", every))
    frame = pd.DataFrame(scores, columns=["county", "year", "level", "answered"])
    frame["score"] = frame.answered.map(lambda a: (sum(a) / len(a) - 1) * 25)
    county = frame.groupby(["county", "year", "level"]).score.agg(["mean", "std", "count"])

    published = pd.DataFrame(demo.query(
        "select area_code, area_level, period_year, level_code, respondents, "
        "satisfaction_score, standard_error, population_weight "
        "from marts.fct_satisfaction_by_level"),
        columns=["area", "area_level", "year", "level", "n", "score", "se", "weight"])
    counties = published[published.area_level == "county"].set_index(["area", "year", "level"])
    assert set(counties.index) == set(county.index)
    for key, row in counties.iterrows():
        mine = county.loc[key]
        assert row.n == mine["count"], key
        assert row.score == pytest.approx(mine["mean"], abs=1e-9), key
        assert row.se == pytest.approx(mine["std"] / math.sqrt(mine["count"]), rel=1e-9), key
    city_of = dict(demo.query("select area_code, city_code from marts.dim_area "
                              "where area_level = 'county'"))
    weighted = counties.reset_index()
    weighted["city"] = weighted.area.map(city_of)
    cities = weighted.groupby(["city", "year", "level"]).apply(
        lambda g: (g.score * g.weight).sum() / g.weight.sum(), include_groups=False)
    published_cities = published[published.area_level == "city"].set_index(
        ["area", "year", "level"]).score
    assert set(published_cities.index) == set(cities.index)
    for key, score in published_cities.items():
        assert score == pytest.approx(cities[key], abs=1e-9), key
