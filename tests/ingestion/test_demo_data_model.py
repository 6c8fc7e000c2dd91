"""The demo data model (cityhealth/demo/generator/values.py, model.yaml): cities differ by
dimension, not as one, their trajectories differ, and satisfaction follows the indicators
only in part, so that the index's uncertainty analysis has something to find.

Fast: the generator alone, no dbt. The positions are read back from the generated values
(where each indicator sits in its typical range), as the warehouse will see them."""

from __future__ import annotations

import itertools
import statistics

import pytest

from cityhealth.core.reference import areas, indicators_for_year, seed_rows
from cityhealth.demo.generator import build_world
from cityhealth.demo.generator import values as values_module
from cityhealth.demo.generator.values import DemoWorld

SEED = 20210930
YEARS = (2020, 2021, 2022, 2023, 2024, 2025)
CHECKED_YEARS = (2020, 2025)
DIMENSIONS = [d["dimension_code"] for d in seed_rows("ref_dimensions")]
CITIES = [a["area_code"] for a in areas("city")]


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return build_world(SEED, YEARS)


def position(indicator: dict[str, str], value: float) -> float:
    """Where a value sits in the indicator's typical range: 0 the worst end, 1 the best."""
    low, high = float(indicator["typical_low"]), float(indicator["typical_high"])
    if indicator["direction"] == "higher_better":
        return (value - low) / (high - low)
    if indicator["direction"] == "lower_better":
        return (high - value) / (high - low)
    centre = (float(indicator["target_low"]) + float(indicator["target_high"])) / 2
    return 1 - abs(value - centre) / ((high - low) / 2)


def city_positions(world: DemoWorld, year: int) -> dict[str, dict[str, float]]:
    """city -> dimension -> mean position of its counties' indicators in a year."""
    result: dict[str, dict[str, list[float]]] = {c: {d: [] for d in DIMENSIONS}
                                                for c in CITIES}
    for indicator in indicators_for_year(year):
        for county in world.counties:
            value = world.indicator_value(indicator, county["area_code"], year)
            if value is not None:
                result[county["city_code"]][indicator["dimension_code"]].append(
                    position(indicator, value))
    return {c: {d: statistics.fmean(v) for d, v in dims.items()} for c, dims in result.items()}


def correlations(table: dict[str, dict[str, float]]) -> list[float]:
    """Pearson r across cities of every pair of dimensions."""
    return [statistics.correlation([table[c][a] for c in CITIES], [table[c][b] for c in CITIES])
            for a, b in itertools.combinations(DIMENSIONS, 2)]


def ranks(table: dict[str, dict[str, float]], dimension: str) -> dict[str, int]:
    order = sorted(CITIES, key=lambda c: -table[c][dimension])
    return {c: order.index(c) + 1 for c in CITIES}


@pytest.mark.parametrize("year", CHECKED_YEARS)
def test_cities_do_not_move_as_one_across_dimensions(world: DemoWorld, year: int) -> None:
    effects = {c: {d: world.cities.effect(c, d, year) for d in DIMENSIONS} for c in CITIES}
    for table in (effects, city_positions(world, year)):
        r = correlations(table)
        assert statistics.fmean(r) < 0.4, r
        assert sum(abs(x) < 0.6 for x in r) >= 0.75 * len(r), r


@pytest.mark.parametrize("year", CHECKED_YEARS)
def test_each_city_ranks_differently_in_its_dimensions(world: DemoWorld, year: int) -> None:
    table = city_positions(world, year)
    by_dimension = {d: ranks(table, d) for d in DIMENSIONS}
    for city in CITIES:
        spread = [by_dimension[d][city] for d in DIMENSIONS]
        assert max(spread) - min(spread) >= 3, (city, spread)


def test_trajectories_differ_between_cities(world: DemoWorld) -> None:
    first, last = (city_positions(world, y) for y in CHECKED_YEARS)
    changes = [last[c][d] - first[c][d] for c in CITIES for d in DIMENSIONS]
    assert statistics.fmean(changes) > 0             # the province improves on the whole
    assert sum(change < 0 for change in changes) >= 3  # some cities get worse somewhere
    overall = [{c: {"all": statistics.fmean(t[c].values())} for c in CITIES}
               for t in (first, last)]
    assert ranks(overall[0], "all") != ranks(overall[1], "all")  # cities overtake others
    for dimension in DIMENSIONS[:2]:
        assert ranks(first, dimension) != ranks(last, dimension)


@pytest.mark.parametrize("year", CHECKED_YEARS)
def test_satisfaction_follows_the_indicators_only_in_part(world: DemoWorld, year: int) -> None:
    lean = world.survey_lean(year)
    table = city_positions(world, year)
    satisfaction = [statistics.fmean(lean[c].values()) for c in CITIES]
    indicators = [statistics.fmean(table[c].values()) for c in CITIES]
    assert 0.3 <= statistics.correlation(satisfaction, indicators) <= 0.8
    assert all(1.5 < x < 4.9 for c in CITIES for x in lean[c].values())  # a mean answer of 1–5


def test_the_common_share_of_the_model_is_what_ties_dimensions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    model = values_module.model()
    tied = {**model, "city": {**model["city"], "common_share": 1.0, "trend_sd_per_year": 0.0}}
    monkeypatch.setattr(values_module, "model", lambda: tied)
    factors = values_module.city_factors(SEED, YEARS[0])
    effects = {c: {d: factors.effect(c, d, 2025) for d in DIMENSIONS} for c in CITIES}
    assert min(correlations(effects)) > 0.999


def test_same_seed_same_model() -> None:
    factors = values_module.city_factors(SEED, YEARS[0])
    assert values_module.city_factors(SEED, YEARS[0]) == factors
    assert values_module.city_factors(SEED + 1, YEARS[0]).factor != factors.factor
