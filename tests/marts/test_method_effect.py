"""Method change apart from real change, and dimension overlap, on the demo.

The demo's catalogue adds indicators in 2021 and 2022 and drops one after 2021, and its
dimension weights change in 2023: a city's own index of the baseline year is computed
under another method than its index of the plan's last year. The trajectory shows each
year's index recomputed under the last year's method beside its own; these tests check
those figures against the seeds and the values, in the baseline year and two years of
the plan period, and the published correlation of the dimensions against a
recomputation from the dimension scores.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import numpy as np
import pytest

from cityhealth.core.reference import seed_rows
from tests.demo_platform import DemoPlatform


def _number(text: str) -> float | None:
    return float(text) if text != "" else None


def _valid(row: dict[str, str], year: int, start: str, end: str) -> bool:
    return int(row[start]) <= year and (row[end] == "" or year <= int(row[end]))


def _score(direction: str, value: float, standard, zero, low, high) -> float:
    """normalised_score (index_method, step 2) in Python."""
    if direction == "higher_better":
        share = (value - zero) / (standard - zero)
    elif direction == "lower_better":
        share = (zero - value) / (zero - standard)
    else:
        distance = low - value if value < low else value - high if value > high else 0.0
        share = 1 - distance / zero
    return 100 * min(1.0, max(0.0, share))


def _index_under_method(demo: DemoPlatform, area_code: str, year: int, method_year: int
                        ) -> float:
    """The index of an area's values of ``year`` under the catalogue and weights of
    ``method_year``, from the seeds and fct_indicator_value alone (steps 2–4 and 6)."""
    (level, tier), = demo.query(
        "select area_level, weight_tier from marts.dim_area where area_code = ?", [area_code])
    values, scales = {}, {}
    for code, value, scale in demo.query(
            "select indicator_code, value, scale_value from marts.fct_indicator_value "
            "where area_code = ? and period_year = ?", [area_code, year]):
        values[code], scales[code] = value, scale
    by_dimension: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in seed_rows("ref_indicators"):
        code = row["indicator_code"]
        if not _valid(row, method_year, "check_year_from", "check_year_to") or code not in values:
            continue
        if row["spatial_level"] == "city" and level == "county":
            continue
        assert values[code] is not None, "the demo has every value"
        value = values[code]
        if row["score_per_variable"]:  # a count scored per a size (step 2)
            value = value * float(row["score_per_multiplier"]) / scales[code]
        score = _score(row["direction"], value, _number(row["standard_value"]),
                       _number(row["score_zero_at"]), _number(row["target_low"]),
                       _number(row["target_high"]))
        by_dimension[row["dimension_code"]].append((float(row["weight"] or 1), score))
    weights = {row["dimension_code"]: float(row["weight"]) for row in seed_rows("ref_index_weights")
               if row["weight_tier"] == tier
               and _valid(row, method_year, "valid_from_year", "valid_to_year")}
    dimension_scores = {d: sum(w * s for w, s in parts) / sum(w for w, _ in parts)
                        for d, parts in by_dimension.items()}
    return (sum(weights[d] * s for d, s in dimension_scores.items())
            / sum(weights[d] for d in dimension_scores))


@pytest.mark.slow
def test_trajectory_puts_the_index_under_the_current_method_beside_each_years_own(
        demo: DemoPlatform) -> None:
    start, end = demo.plan_period
    baseline, method_year = start - 1, min(end, demo.check_year)
    rows = demo.query(
        "select area_code, period_year, method_year, health_index, health_index_current_method, "
        "method_effect, index_change_from_baseline, index_change_from_baseline_current_method, "
        "rank_in_province_current_method from published.pub_index_trajectory "
        "where area_level = 'city'")
    by_key = {(r[0], r[1]): r for r in rows}
    checked_years = (baseline, start + 1, method_year)
    assert {r[1] for r in rows} >= set(checked_years)
    for (code, year, method, own, current, effect, naive, real, rank) in rows:
        assert method == method_year
        assert effect == pytest.approx(own - current, abs=1e-9)
        assert real == pytest.approx(current - by_key[(code, baseline)][4], abs=1e-9)
        assert rank is not None
        if year == method_year:  # the current method is the year's own
            assert (current, effect) == (own, 0)
        if year == baseline:
            assert real == 0 and naive == 0

    # the figures are true: recomputed from the seeds and the values, in three years
    city = demo.cities[0]
    for year in checked_years:
        assert by_key[(city, year)][4] == pytest.approx(
            _index_under_method(demo, city, year, method_year), abs=1e-9), year
    # the demo's catalogue and weights changed since the baseline: the method moves
    # every city's baseline index, and part of the naive change is method change
    effects = {code: abs(by_key[(code, baseline)][5]) for code in demo.cities}
    assert all(effect > 1e-6 for effect in effects.values()), effects
    assert max(effects.values()) > 0.05, effects
    assert any(by_key[(code, method_year)][6]
               != pytest.approx(by_key[(code, method_year)][7], abs=0.05)
               for code in demo.cities)


@pytest.mark.slow
def test_the_recomputation_applies_the_index_rule_of_the_own_figures(
        demo: DemoPlatform) -> None:
    """In the method year both methods are one: the recomputed index (every area,
    counties too) equals fct_health_index, whatever the aggregation rule is."""
    method_year = min(demo.plan_period[1], demo.check_year)
    pairs = demo.query(
        "select own.area_code, own.health_index, current.health_index_current_method "
        "from marts.fct_health_index as own "
        "inner join marts.fct_health_index_current_method as current "
        "on own.area_code = current.area_code and own.period_year = current.period_year "
        "where own.period_year = ?", [method_year])
    areas = demo.query("select count(*) from marts.dim_area")[0][0]
    assert len(pairs) == areas
    for code, own, current in pairs:
        assert current == pytest.approx(own, abs=1e-9), code


@pytest.mark.slow
def test_five_year_assessment_scores_start_and_end_under_one_method(
        demo: DemoPlatform) -> None:
    rows = demo.query(
        "select start_score_current_method, end_score_current_method, "
        "score_change_current_method, start_year, end_year "
        "from published.pub_five_year_assessment where area_level = 'city' "
        "and indicator_code = 'EL03'")
    assert len(rows) == len(demo.cities)
    for first, last, change, start_year, end_year in rows:
        assert end_year > start_year
        assert change == pytest.approx(last - first, abs=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("level", ["city", "county"])
def test_dimension_correlation_is_published_with_its_warning(
        demo: DemoPlatform, level: str) -> None:
    threshold = next(float(r["value"]) for r in seed_rows("ref_assessment_parameters")
                     if r["parameter_code"] == "dimension_correlation_warning")
    dimensions = [r["dimension_code"] for r in
                  sorted(seed_rows("ref_dimensions"), key=lambda r: int(r["sort_order"]))]
    published = {(r[0], r[1], r[2]): r[3:] for r in demo.query(
        "select period_year, dimension_code_a, dimension_code_b, areas_compared, "
        "correlation, warning_threshold, is_over_threshold "
        "from published.pub_dimension_correlation where area_level = ?", [level])}
    start, end = demo.plan_period
    for year in (start - 1, min(end, demo.check_year)):
        scores = defaultdict(dict)
        for area, dimension, score in demo.query(
                "select area_code, dimension_code, dimension_score from marts.fct_dimension_score "
                "where area_level = ? and period_year = ? and dimension_score is not null",
                [level, year]):
            scores[dimension][area] = score
        assert sum(1 for key in published if key[0] == year) == 28
        for a, b in combinations(dimensions, 2):
            areas = sorted(set(scores[a]) & set(scores[b]))
            n, correlation, warning, is_over = published[(year, a, b)]
            expected = np.corrcoef([scores[a][x] for x in areas], [scores[b][x] for x in areas])
            assert n == len(areas) >= 3
            assert correlation == pytest.approx(expected[0, 1], abs=1e-9), (year, a, b)
            assert warning == threshold
            assert is_over == (correlation > threshold)
    # the correlations are there (whether the warning fires depends on the
    # demo's draws; the unit test of fct_dimension_correlation makes it fire)
    assert any(row[1] is not None for row in published.values())
