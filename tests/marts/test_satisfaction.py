"""Residents' satisfaction on the demo, with confidence intervals, screening and
de-duplication.

The assertions read the marts and published views of the session's demo platform
(``tests/demo_platform.py``), as BI tools and reports do; the repeat respondents are
found in the survey exports the demo delivered, as a reader of those files would."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from cityhealth.core.reference import (
    questionnaire_for_year,
    survey_answer_scores,
    survey_questions,
)
from tests.demo_platform import DemoPlatform

IDENTITY = ["姓名", "手机号码", "身份证号"]


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
def test_intervals_use_the_t_quantile_of_their_degrees_of_freedom(demo: DemoPlatform) -> None:
    """ci = score ± t_{1 − (1 − level)/2, ⌊ν⌋} · se, t as scipy computes it: from the seed up
    to 200 degrees of freedom (counties: n − 1), by the expansion beyond (the province's
    Satterthwaite ν runs into thousands)."""
    rows = demo.query(
        "select area_level, respondents, satisfaction_score, ci_low, ci_high, standard_error, "
        "degrees_of_freedom, critical_value, confidence_level from published.pub_satisfaction "
        "where standard_error is not null")
    assert rows
    seen_beyond_table = False
    for level, n, score, low, high, se, df, t, confidence in rows:
        assert confidence == 0.95
        expected = stats.t.ppf(1 - (1 - confidence) / 2, math.floor(df))
        assert t == pytest.approx(expected, abs=2e-6), (level, df)
        assert high - score == pytest.approx(t * se) and score - low == pytest.approx(t * se)
        if level == "county":
            assert df == n - 1
        else:
            assert 1 <= df <= n  # Satterthwaite: between the smallest stratum's and Σ(n_c − 1)
        seen_beyond_table |= df > 200
    assert seen_beyond_table
    assert all(t > 1.96 for *_, t, _ in rows)  # wider than the normal approximation was


@pytest.mark.slow
def test_screened_shares_and_repeat_removals_are_published(demo: DemoPlatform) -> None:
    """Per area and year: sheets received, repeats removed, screened out by reason; the
    counties add up to their city and the province, and the respondents behind a
    county's overall score are exactly those received and not screened out."""
    rows = demo.query(
        "select area_code, area_level, period_year, respondents, answer_sheets_received, "
        "repeat_submissions_removed, respondents_received, respondents_screened_too_fast, "
        "respondents_screened_straight_lining, respondents_screened_no_answer, "
        "respondents_screened_out, share_screened_out, city_code "
        "from published.pub_satisfaction where dimension_code = 'ALL'")
    frame = pd.DataFrame(rows, columns=[
        "area", "level", "year", "n", "sheets", "repeats", "received", "fast", "straight",
        "empty", "screened", "share", "city"])
    delivered = dict(demo.query(
        "select period_year, count(*) from raw.survey_responses group by 1"))
    province = frame[frame.level == "province"].set_index("year")
    assert set(province.index) == set(demo.years) and len(demo.years) >= 2
    for year, row in province.iterrows():
        assert row.sheets == delivered[year], year
        assert row.repeats > 0 and row.fast > 0 and row.straight > 0, year
        assert row.received == row.sheets - row.repeats
        assert row.screened == row.fast + row.straight + row.empty
        assert row.share == pytest.approx(row.screened / row.received)
        assert 0.02 < row.share < 0.15, year
    counties = frame[frame.level == "county"]
    assert (counties.n == counties.received - counties.screened).all()
    by_city = counties.groupby(["city", "year"])[["sheets", "repeats", "screened"]].sum()
    cities = frame[frame.level == "city"].set_index(["area", "year"])[
        ["sheets", "repeats", "screened"]]
    pd.testing.assert_frame_equal(by_city.rename_axis(["area", "year"]).sort_index(),
                                  cities.sort_index(), check_dtype=False)
    by_year = counties.groupby("year")[["sheets", "repeats", "screened"]].sum()
    assert (by_year.values == province[["sheets", "repeats", "screened"]].sort_index().values).all()


def _exports(demo: DemoPlatform, year: int) -> pd.DataFrame:
    [path] = (demo.home / "landing" / "survey" / str(year)).glob("*.csv")
    return pd.read_csv(path, dtype=str, encoding="gb18030")


@pytest.mark.slow
@pytest.mark.parametrize("which", ["first", "last"])
def test_a_repeat_respondent_in_the_delivered_export_counts_once(demo: DemoPlatform,
                                                                 which: str) -> None:
    """A person who answered twice in the delivered export (same name, phone and ID
    number): the earlier sheet is removed, the later one is the respondent's only score,
    computed from that sheet's answers."""
    year = demo.years[0] if which == "first" else demo.check_year
    export = _exports(demo, year)
    repeated = export[export.duplicated(IDENTITY, keep=False)]
    assert not repeated.empty, year
    decided = dict(demo.query(
        "select response_id, exclusion_reason from intermediate.int_survey__submissions "
        "where period_year = ?", [year]))
    scores = survey_answer_scores()
    # the overall (ALL) is over the 2021 dimensions' questions; from 2024 the sheet also
    # asks about the four levels (pub_satisfaction_by_level), which it leaves out
    questions = [q["question_zh"] for q in survey_questions(questionnaire_for_year(year))
                 if q["dimension_code"]]
    assert set(questions) < set(export.columns)
    checked = 0
    for _, sheets in repeated.groupby(IDENTITY):
        sheets = sheets.sort_values("提交时间")
        earlier, later = sheets.iloc[:-1], sheets.iloc[-1]
        assert all(decided[r] == "repeat_submission" for r in earlier["答卷编号"])
        if decided[later["答卷编号"]] is not None:  # the later sheet itself screened out
            continue
        [(key,)] = demo.query(
            "select distinct respondent_key from intermediate.int_survey__submissions "
            "where response_id in (select unnest(?::varchar[]))",
            [list(sheets["答卷编号"])])
        [(score,)] = demo.query(
            "select satisfaction_score from intermediate.int_survey__respondent_scores "
            "where respondent_key = ? and period_year = ? and dimension_code = 'ALL'",
            [key, year])
        answers = [scores[later[q]] for q in questions if scores[later[q]] is not None]
        assert score == pytest.approx((sum(answers) / len(answers) - 1) * 25)
        checked += 1
    assert checked > 0
