"""The reference data (dbt seeds) is consistent: geography, catalogue, weights, survey."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cityhealth.core.settings import DBT_PROJECT_DIR, SEEDS_DIR


def seed(name: str) -> pd.DataFrame:
    return pd.read_csv(SEEDS_DIR / f"{name}.csv", dtype=str, keep_default_na=False)


def num(value: str) -> float | None:
    return float(value) if value != "" else None


# The project's geography and a second province's (tests/fixtures/provinces): the rules
# hold for any province's ref_areas.csv.
GEOGRAPHIES = {
    "seeds": SEEDS_DIR / "ref_areas.csv",
    "430000": Path(__file__).parents[1] / "fixtures" / "provinces" / "430000" / "ref_areas.csv",
}


@pytest.fixture(scope="module", params=list(GEOGRAPHIES))
def areas(request: pytest.FixtureRequest) -> pd.DataFrame:
    return pd.read_csv(GEOGRAPHIES[request.param], dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def indicators() -> pd.DataFrame:
    return seed("ref_indicators")


@pytest.fixture(scope="module")
def variables() -> pd.DataFrame:
    return seed("ref_variables")


def test_one_province_its_cities_and_their_counties(areas: pd.DataFrame) -> None:
    """Every row is the province, a city of it or a county of a city: none is lost or
    orphaned, and every city has counties."""
    assert areas.columns.tolist() == seed("ref_areas").columns.tolist()
    [province] = areas[areas.area_level == "province"].area_code
    cities = set(areas[areas.area_level == "city"].area_code)
    counties = areas[areas.area_level == "county"]
    assert cities and len(counties) > len(cities)
    assert len(areas) == 1 + len(cities) + len(counties)
    assert set(areas[areas.area_level == "city"].parent_code) == {province}
    assert set(counties.city_code) == cities


def test_city_populations_add_up_to_the_province(areas: pd.DataFrame) -> None:
    """The 2020 census figures of the cities sum to the province's (rounding aside)."""
    by_level = areas.groupby("area_level").population_2020_10k
    province = float(by_level.get_group("province").iloc[0])
    cities = by_level.get_group("city").astype(float)
    assert (cities > 0).all()
    assert cities.sum() == pytest.approx(province, abs=1.0)
    assert (by_level.get_group("county") == "").all()


def test_area_codes_are_unique_six_digit_gbt2260(areas: pd.DataFrame) -> None:
    assert areas.area_code.is_unique
    province = areas[areas.area_level == "province"].area_code.iloc[0]
    assert re.fullmatch(r"[1-9]\d0000", province)
    assert areas.area_code.str.fullmatch(province[:2] + r"\d{4}").all()
    assert areas[areas.area_level == "city"].area_code.str.endswith("00").all()
    assert not areas[areas.area_level == "county"].area_code.str.endswith("00").any()


def test_every_county_rolls_up_to_an_existing_city_of_the_province(
        areas: pd.DataFrame) -> None:
    by_code = areas.set_index("area_code")
    province = areas[areas.area_level == "province"].area_code.iloc[0]
    counties = areas[areas.area_level == "county"]
    for county in counties.itertuples():
        parent = by_code.loc[county.parent_code]
        assert parent.area_level == "city", county.area_code
        assert parent.parent_code == province
        assert county.city_code == county.parent_code
        assert county.area_code[:4] == county.parent_code[:4], "GB/T 2260 prefix"


def test_listing_order_puts_each_city_before_its_counties(areas: pd.DataFrame) -> None:
    ordered = areas.assign(n=areas.sort_order.astype(int)).sort_values("n")
    assert ordered.n.is_unique and ordered.area_level.iloc[0] == "province"
    current = None
    for area in ordered.iloc[1:].itertuples():
        if area.area_level == "city":
            current = area.area_code
        assert area.city_code == current, area.area_code


def test_county_town_pilots_are_county_level_towns(areas: pd.DataFrame) -> None:
    """The national county-town pilots the plan names are marked, on counties and
    county-level cities only (never districts, cities or the province)."""
    pilots = areas[areas.is_county_town_pilot == "true"]
    assert len(pilots) >= 1
    assert set(areas.is_county_town_pilot) <= {"true", "false"}
    assert set(pilots.area_level) == {"county"}
    assert set(pilots.county_type) <= {"county", "county_city"}


def test_catalogue_covers_eight_dimensions_with_sixty_indicators(indicators: pd.DataFrame) -> None:
    assert len(indicators) >= 60
    assert indicators.indicator_code.is_unique
    counts = indicators.dimension_code.value_counts()
    assert set(counts.index) == set(seed("ref_dimensions").dimension_code)
    assert counts.min() >= 6
    assert (indicators.is_jiangxi_specific == "true").sum() >= 4


def test_catalogue_references_exist(indicators: pd.DataFrame, variables: pd.DataFrame) -> None:
    known_vars = set(variables.variable_code)
    departments = set(seed("ref_departments").department_code)
    assert set(indicators.numerator_variable) <= known_vars
    assert set(indicators.denominator_variable) - {""} <= known_vars
    assert set(indicators.department_code) <= departments
    assert set(variables.department_code) <= departments
    leads = set(seed("ref_plan_tasks").lead_department_code)
    assert leads <= departments
    assert departments == set(variables.department_code) | leads, \
        "every department delivers something or leads a plan task"


@pytest.mark.parametrize("row", seed("ref_indicators").to_dict("records"),
                         ids=lambda r: r["indicator_code"])
def test_thresholds_are_ordered_by_direction(row: dict) -> None:
    zero, yellow, red = num(row["score_zero_at"]), num(row["warn_yellow"]), num(row["warn_red"])
    lo, hi = num(row["typical_low"]), num(row["typical_high"])
    vmin, vmax = num(row["valid_min"]), num(row["valid_max"])
    assert vmin <= lo < hi <= vmax
    if row["direction"] == "higher_better":
        std = num(row["standard_value"])
        assert zero < red < yellow < std and lo < std < hi
    elif row["direction"] == "lower_better":
        std = num(row["standard_value"])
        assert std < yellow < red < zero and lo <= std < hi
    else:
        assert row["direction"] == "target_range"
        t_lo, t_hi = num(row["target_low"]), num(row["target_high"])
        assert t_lo < t_hi and 0 < yellow < red < zero
        assert lo < t_lo and t_hi < hi, "typical values fall on both sides of the range"


def test_aggregation_matches_formula(indicators: pd.DataFrame, variables: pd.DataFrame) -> None:
    agg_of = dict(zip(variables.variable_code, variables.aggregation, strict=True))
    for row in indicators.itertuples():
        if row.aggregation == "ratio":
            assert row.denominator_variable, row.indicator_code
        else:
            assert not row.denominator_variable, row.indicator_code
        if row.aggregation == "weighted_mean":
            assert agg_of[row.numerator_variable] == "weighted_mean", row.indicator_code


def test_base_numbers_are_shared(indicators: pd.DataFrame, variables: pd.DataFrame) -> None:
    base = set(variables[variables.is_base_number == "true"].variable_code)
    assert {"POP_RESIDENT", "AREA_BUILTUP", "GDP", "HOUSEHOLDS"} <= base
    assert indicators.denominator_variable.isin(base).sum() >= 15


def test_every_variable_unit_converts(variables: pd.DataFrame) -> None:
    units = seed("ref_units")
    assert not units.duplicated(["unit_zh", "canonical_unit_zh"]).any()
    identity = units[units.unit_zh == units.canonical_unit_zh]
    assert set(variables.unit_zh) <= set(identity.unit_zh)
    assert set(units.canonical_unit_zh) <= set(variables.unit_zh)


def test_index_weights_sum_to_one_per_version_and_tier() -> None:
    weights = seed("ref_index_weights").astype({"weight": float})
    sums = weights.groupby(["valid_from_year", "valid_to_year", "weight_tier"]).weight.sum()
    assert (sums.round(9) == 1).all()
    tiers = set(seed("ref_areas").weight_tier)
    assert set(weights.weight_tier) == tiers


def test_survey_questions_cover_every_dimension() -> None:
    questions = seed("ref_survey_questions")
    dimensions = set(seed("ref_dimensions").dimension_code)
    for _, version in questions.groupby("questionnaire_id"):
        assert version.question_code.is_unique and version.question_zh.is_unique
        assert sorted(version.position.astype(int)) == list(range(1, len(version) + 1))
        asked = version[version.dimension_code != ""]
        assert asked.dimension_code.value_counts().min() >= 2
        assert set(asked.dimension_code) == dimensions
        # a question measures a 2021 dimension or asks about a level, never both
        assert ((version.dimension_code != "") != (version.level_code != "")).all()
    answers = seed("ref_survey_answers")
    assert set(answers.answer_score) - {""} == {"1", "2", "3", "4", "5"}


def test_the_2024_questionnaire_keeps_the_2021_questions_and_adds_the_four_levels() -> None:
    """JX-2024 asks JX-2020's questions at the same positions (the 2021 dimensions'
    satisfaction is computed as before) and ends with two questions per level of the
    four-level check, each with its provenance."""
    from cityhealth.core.reference import questionnaire_for_year

    assert [questionnaire_for_year(y) for y in (2023, 2024, 2025)] == [
        "JX-2020", "JX-2024", "JX-2024"]
    questions = seed("ref_survey_questions")
    old = questions[questions.questionnaire_id == "JX-2020"]
    new = questions[questions.questionnaire_id == "JX-2024"]
    columns = ["position", "question_code", "question_zh", "dimension_code"]
    assert new[columns].head(len(old)).values.tolist() == old[columns].values.tolist()
    added = new.iloc[len(old):]
    assert (added.dimension_code == "").all()
    levels = seed("ref_framework_sections").query("section_kind == 'level'").level_code
    assert added.level_code.value_counts().to_dict() == {level: 2 for level in levels}
    assert (added.source_zh != "").all() and set(added.confirmed) <= {"true", "false"}
    assert (added[added.confirmed == "false"].unconfirmed_zh != "").all()


def test_t_quantiles_are_scipys_and_the_textbooks() -> None:
    """ref_t_quantiles holds t_{1 − (1 − level)/2, df} for df 1 … 200 and z (empty df) as
    scipy.stats computes them; a few against printed tables; the confidence level of the
    satisfaction intervals has its rows."""
    from scipy import stats

    quantiles = seed("ref_t_quantiles")
    levels = {num(v) for v in quantiles.confidence_level}
    assert levels == {0.9, 0.95, 0.99}
    for level in levels:
        rows = quantiles[quantiles.confidence_level.astype(float) == level]
        assert sorted(num(d) for d in rows.degrees_of_freedom if d) == list(range(1, 201))
        assert (rows.degrees_of_freedom == "").sum() == 1
        p = 1 - (1 - level) / 2
        for df, value in zip(rows.degrees_of_freedom, rows.critical_value, strict=True):
            exact = stats.norm.ppf(p) if df == "" else stats.t.ppf(p, int(df))
            assert float(value) == pytest.approx(exact, abs=1e-9), (level, df)
    table = {(row.confidence_level, row.degrees_of_freedom): float(row.critical_value)
             for row in quantiles.itertuples()}
    assert table[("0.95", "1")] == pytest.approx(12.706, abs=5e-4)   # Student's t tables
    assert table[("0.95", "4")] == pytest.approx(2.776, abs=5e-4)
    assert table[("0.95", "30")] == pytest.approx(2.042, abs=5e-4)
    assert table[("0.99", "10")] == pytest.approx(3.169, abs=5e-4)
    assert table[("0.95", "")] == pytest.approx(1.960, abs=5e-4)
    parameters = seed("ref_assessment_parameters").set_index("parameter_code")
    assert (parameters.value["survey_confidence_level"], "4") in table


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_t_beyond_the_table_expands_from_the_normal_quantile(level: float) -> None:
    """The macro t_critical_value's expansion for df > 200 (Abramowitz & Stegun 26.7.5, two
    terms) is within 2·10⁻⁶ of scipy's t quantile."""
    from scipy import stats

    p = 1 - (1 - level) / 2
    z = stats.norm.ppf(p)
    for df in (201, 250, 531, 1000, 5900, 100_000):
        expanded = z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        assert expanded == pytest.approx(stats.t.ppf(p, df), abs=2e-6), df


# The parameters of the method and the columns naming their basis (seed → source columns).
SOURCE_COLUMNS = {
    "ref_indicators": ["standard_source_zh", "score_zero_source_zh", "warning_source_zh",
                       "weight_source_zh"],
    "ref_index_weights": ["source_zh"],
    "ref_object_indicators": ["source_zh", "standard_source_zh", "score_zero_source_zh",
                              "warning_source_zh", "weight_source_zh"],
    "ref_frameworks": ["source_zh"],
    "ref_framework_sections": ["source_zh"],
}


def is_documented_source(text: str) -> bool:
    """The rule of the dbt test is_documented_source, with the same patterns (vars of
    dbt_project.yml): a document with its clause, or an expert judgement with body and date."""
    variables = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text("utf-8"))["vars"]
    return any(re.fullmatch(variables[name], text) for name in
               ("source_document_pattern", "source_judgement_pattern"))


@pytest.mark.parametrize("name", list(SOURCE_COLUMNS))
def test_every_parameter_names_its_basis(name: str) -> None:
    """Every standard, zero point, warning threshold and weight says where it comes from;
    the columns are the seed's last (appended, so other columns can be added before)."""
    frame = seed(name)
    for column in SOURCE_COLUMNS[name]:
        assert column in frame.columns, column
        bad = frame[~frame[column].map(is_documented_source)]
        assert bad.empty, f"{name}.{column}: {bad.iloc[0].to_dict()}"


@pytest.mark.parametrize("text, documented", [
    ("", False),
    ("住房和城乡建设部2021年城市体检指标体系", False),
    ("专家判断：项目维护者", False),  # no date
    ("专家判断：2026-11-24", False),  # no body
    ("文件：GB 3095-2012；条款：表1", False),  # no titled document
    ("文件：GB 3095-2012《环境空气质量标准》", False),  # no clause
    ("文件：GB 3095-2012《环境空气质量标准》；条款：表1", True),
    ("专家判断：省城市体检评估专家组，2027-03-01", True),
    ("专家判断：项目维护者，2026-11-24；示例默认值", True),
])
def test_source_rule_rejects_empty_and_unnamed_sources(text: str, documented: bool) -> None:
    assert is_documented_source(text) is documented


def test_only_a_value_the_document_sets_is_cited_to_it(indicators: pd.DataFrame) -> None:
    """The one standard cited to a document is GB 3095-2012's annual PM2.5 limit
    (grade II, 35 μg/m³); a change of the value must change its source too."""
    cited = indicators[indicators.standard_source_zh.str.startswith("文件：")]
    assert list(cited.indicator_code) == ["EL06"]
    assert "GB 3095-2012" in cited.standard_source_zh.iloc[0]
    assert num(cited.standard_value.iloc[0]) == 35.0


def test_index_weights_say_why_they_changed_and_that_tiers_share_them() -> None:
    weights = seed("ref_index_weights")
    assert weights.groupby("valid_from_year").source_zh.nunique().eq(1).all()
    assert weights.source_zh.str.contains("四个层级").all()
    later = weights[weights.valid_from_year.astype(int) > weights.valid_from_year.astype(int).min()]
    assert later.source_zh.str.contains("理由").all()


def test_size_dependent_indicators_are_scored_per_a_size(indicators: pd.DataFrame,
                                                         variables: pd.DataFrame) -> None:
    """A count summed over counties grows with the area: judged on one standard at every
    level it would rank a city by its number of counties. Every such indicator (and only
    such) names the variable it is scored per, a size every county delivers once."""
    sizes = dict(zip(variables.variable_code, variables.aggregation, strict=True))
    for row in indicators.itertuples():
        size_dependent = row.aggregation == "sum" and not row.denominator_variable
        assert bool(row.score_per_variable) == size_dependent, row.indicator_code
        if size_dependent:
            assert sizes[row.score_per_variable] == "sum", row.indicator_code
            assert num(row.score_per_multiplier) > 0 and row.score_unit_zh, row.indicator_code
        else:
            assert not row.score_per_multiplier and not row.score_unit_zh, row.indicator_code
