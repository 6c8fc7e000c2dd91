"""The demo's true values: every variable for every county and year.

Deterministic from the profile's seed (every draw comes from ``rng(seed, <what>, <who>)``).
Numerators are solved from a target indicator value inside the catalogue's typical
range, over denominators sized by ``scales.yaml``; indicators are therefore plausible by
construction. Where in its typical range an indicator sits is the demo data model.

Demo data model
---------------
Parameters in ``model.yaml`` (one place; values in brackets); docs/demo_data.md says
what the analyses of the marts should therefore find. c is a city, d a dimension
(``ref_dimensions``, 8), k a county of c, i an indicator of d, t a year, t0 the first
year of the run.

* City factors: f(c, d) = √w · z(c) + √(1 − w) · z(c, d), z ~ N(0, 1) independent, one
  z(c) per city and one z(c, d) per city and dimension; w = ``common_share`` (0.2) is
  the share common to a city's dimensions, so two dimensions' factors correlate w
  across cities in expectation.
* City trajectories: trend(c, d) ~ N(0.03, 0.03) per year (``trend_mean_per_year``,
  ``trend_sd_per_year``), one per city and dimension: about one in six city-dimensions
  gets worse over the years, and cities overtake one another.
* city_effect(c, d, t) = 0.15 · f(c, d) + trend(c, d) · (t − t0)
  (``position_per_factor_sd``).
* Position of indicator i in county k, year t, in its typical range (0 = the worst end,
  1 = the best end; for a target range 1 = its centre):
  p = 0.45 + city_effect(c, d, t) + u(k, d) + e(k, i) + ε(k, i, t), clamped to
  [0.02, 0.98]; u ~ N(0, 0.06) a county's own shift per dimension
  (``county.dimension_sd``), e ~ N(0, 0.05) per indicator (``county.indicator_sd``),
  ε ~ N(0, 0.04) per year (``yearly_sd``).
* Value: typical_low + p · (typical_high − typical_low) (higher_better),
  typical_high − p · (…) (lower_better), centre ± (1 − p) · (typical_high − typical_low) / 2
  (target_range, the side drawn once per county and indicator).
* Satisfaction: the mean answer (1–5) of a city's respondents on a dimension's questions,
  lean(c, d, t) = 3.45 + 2.0 · (city_effect(c, d, t) − 0.03 · (t − t0)) + 0.3 · s(c),
  s(c) ~ N(0, 1) the city's own factor (``satisfaction``); survey.py draws answers
  around it (sd 0.9, ±0.1 per question, 4 % 不了解).
* ``city_quality`` (registers: project efficiency, task pace) = clamp(mean_d f(c, d), −1, 1).

Renewal projects that work then move their indicators (registers.py, world.py).
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from cityhealth.core.reference import areas, indicators_for_year, seed_rows

SCALES_FILE = Path(__file__).with_name("scales.yaml")
MODEL_FILE = Path(__file__).with_name("model.yaml")
COUNT_UNITS = {"个", "人", "张", "户", "栋", "辆", "人次"}


@cache
def scales() -> dict[str, dict]:
    return yaml.safe_load(SCALES_FILE.read_text(encoding="utf-8"))


@cache
def model() -> dict:
    """The demo data model's parameters (``model.yaml``)."""
    return yaml.safe_load(MODEL_FILE.read_text(encoding="utf-8"))


def rng(seed: int, *parts: object) -> random.Random:
    """A generator of its own for each entity: same seed and parts, same numbers."""
    return random.Random("|".join(str(p) for p in (seed, *parts)))


@dataclass(frozen=True)
class CityFactors:
    """The demo data model's draws for the cities (``model.yaml``): what the uncertainty
    analysis, the five-year assessment and the satisfaction survey should find."""

    first_year: int
    factor: dict[str, dict[str, float]]   # city -> dimension -> f(c, d), unit variance
    trend: dict[str, dict[str, float]]    # city -> dimension -> yearly change of position
    satisfaction: dict[str, float]        # city -> s(c), its own satisfaction factor

    def effect(self, city: str, dimension: str, year: int) -> float:
        """city_effect(c, d, t): the city's shift of position in a dimension and year."""
        spec = model()["city"]
        return (spec["position_per_factor_sd"] * self.factor[city][dimension]
                + self.trend[city][dimension] * (year - self.first_year))

    def survey_lean(self, year: int) -> dict[str, dict[str, float]]:
        """city -> dimension -> the mean answer (1–5) its respondents lean to in a year."""
        spec = model()["satisfaction"]
        expected = model()["city"]["trend_mean_per_year"] * (year - self.first_year)
        return {city: {d: spec["mean_answer"]
                       + spec["per_position"] * (self.effect(city, d, year) - expected)
                       + spec["own_sd"] * self.satisfaction[city] for d in dimensions}
                for city, dimensions in self.factor.items()}


@dataclass(frozen=True)
class DemoWorld:
    """Everything the writers need: who the counties are and their values."""

    seed: int
    years: tuple[int, ...]
    counties: tuple[dict[str, str], ...]
    cities: CityFactors
    city_quality: dict[str, float]            # city code -> [-1, 1] (registers' summary)
    values: dict[tuple[str, int, str], float]  # (county, year, variable) -> canonical value

    def indicator_value(self, indicator: dict[str, str], county: str, year: int) -> float | None:
        num = self.values.get((county, year, indicator["numerator_variable"]))
        den_code = indicator["denominator_variable"]
        den = self.values.get((county, year, den_code)) if den_code else 1.0
        if num is None or not den:
            return None
        return num / den * float(indicator["multiplier"] or 1)

    def survey_lean(self, year: int) -> dict[str, dict[str, float]]:
        """What ``survey.write_survey_export`` takes: city -> dimension -> mean answer."""
        return self.cities.survey_lean(year)


def city_factors(seed: int, first_year: int) -> CityFactors:
    """Draw every city's factors, trends and satisfaction factor (``model.yaml``)."""
    spec = model()["city"]
    common = spec["common_share"]
    dimensions = [d["dimension_code"] for d in seed_rows("ref_dimensions")]
    factor, trend, satisfaction = {}, {}, {}
    for area in areas("city"):
        city = area["area_code"]
        shared = rng(seed, "city_factor", city).gauss(0, 1)
        factor[city] = {d: math.sqrt(common) * shared
                        + math.sqrt(1 - common) * rng(seed, "city_factor", city, d).gauss(0, 1)
                        for d in dimensions}
        trend[city] = {d: rng(seed, "city_trend", city, d).gauss(spec["trend_mean_per_year"],
                                                                 spec["trend_sd_per_year"])
                       for d in dimensions}
        satisfaction[city] = rng(seed, "city_satisfaction", city).gauss(0, 1)
    return CityFactors(first_year, factor, trend, satisfaction)


def _county_population(seed: int) -> dict[str, float]:
    """2020 population per county: the city's census figure split by random shares."""
    result: dict[str, float] = {}
    cities = {a["area_code"]: a for a in areas("city")}
    for city_code, city in cities.items():
        counties = [a for a in areas("county") if a["city_code"] == city_code]
        shares = [rng(seed, "pop", c["area_code"]).uniform(0.5, 1.5) for c in counties]
        total = float(city["population_2020_10k"]) * 10_000
        for county, share in zip(counties, shares, strict=True):
            result[county["area_code"]] = total * share / sum(shares)
    return result


def _sized(seed: int, county: str, year: int, first_year: int, code: str, rule: dict,
           sized: dict[str, float], population: dict[str, float]) -> float:
    r = rng(seed, "scale", county, code)
    years_on = year - first_year
    if rule.get("from_city_population"):
        growth = r.uniform(rule["growth_low"], rule["growth_high"])
        value = population[county] * (1 + growth) ** years_on
    elif rule.get("fixed"):
        value = r.uniform(rule["low"], rule["high"]) * (1 + rule.get("growth", 0)) ** years_on
    else:
        value = sized[rule["per"]] * r.uniform(rule["low"], rule["high"])
        value *= (1 + rule.get("growth", 0)) ** years_on
    return max(round(value), 1) if rule.get("integer") else value


def _target(indicator: dict[str, str], position: float, side: int) -> float:
    """The indicator value at a position of its typical range (0 worst end, 1 best end)."""
    low, high = float(indicator["typical_low"]), float(indicator["typical_high"])
    if indicator["direction"] == "higher_better":
        return low + position * (high - low)
    if indicator["direction"] == "lower_better":
        return high - position * (high - low)
    # target_range: good places sit inside the range, weaker ones drift out on one side
    centre = (float(indicator["target_low"]) + float(indicator["target_high"])) / 2
    return centre + side * (1 - position) * (high - low) / 2


def _position(seed: int, cities: CityFactors, indicator: dict[str, str],
              county: dict[str, str], year: int) -> float:
    """p of the demo data model (``model.yaml``) for a county, indicator and year."""
    spec = model()
    code, dimension = indicator["indicator_code"], indicator["dimension_code"]
    area = county["area_code"]
    p = (spec["baseline_position"]
         + cities.effect(county["city_code"], dimension, year)
         + rng(seed, "county_shift", area, dimension).gauss(0, spec["county"]["dimension_sd"])
         + rng(seed, "noise", area, code).gauss(0, spec["county"]["indicator_sd"])
         + rng(seed, "year", area, code, year).gauss(0, spec["yearly_sd"]))
    low, high = spec["position_bounds"]
    return min(max(p, low), high)


def base_world(seed: int, years: tuple[int, ...]) -> DemoWorld:
    """Every variable of every county and year before any renewal project works
    (``cityhealth.demo.generator.world.build_world`` adds the projects' effects)."""
    counties = tuple(areas("county"))
    first_year = years[0]
    cities = city_factors(seed, first_year)
    scale = model()["quality_per_factor"]
    quality = {c: min(max(scale * statistics.fmean(f.values()), -1.0), 1.0)
               for c, f in cities.factor.items()}
    population = _county_population(seed)
    variables = {v["variable_code"]: v for v in seed_rows("ref_variables")}
    values: dict[tuple[str, int, str], float] = {}
    for county in counties:
        code = county["area_code"]
        for year in years:
            sized: dict[str, float] = {}
            for variable, rule in scales().items():
                sized[variable] = _sized(seed, code, year, first_year, variable, rule,
                                         sized, population)
            for indicator in indicators_for_year(year):
                numerator = indicator["numerator_variable"]
                if numerator in sized:
                    continue
                side = 1 if rng(seed, "side", code, indicator["indicator_code"]).random() < 0.5 \
                    else -1
                target = _target(indicator, _position(seed, cities, indicator, county, year),
                                 side)
                den = sized[indicator["denominator_variable"]] \
                    if indicator["denominator_variable"] else 1.0
                value = target * den / float(indicator["multiplier"] or 1)
                if variables[numerator]["unit_zh"] in COUNT_UNITS:
                    value = float(round(value))
                sized[numerator] = value
            for variable, value in sized.items():
                values[(code, year, variable)] = value
    referenced = {i[k] for i in seed_rows("ref_indicators")
                  for k in ("numerator_variable", "denominator_variable") if i[k]}
    needed = {i[k] for year in years for i in indicators_for_year(year)
              for k in ("numerator_variable", "denominator_variable") if i[k]}
    needed |= set(variables) - referenced  # delivered but in no formula: must be sized
    missing = needed - {v for (_, _, v) in values}
    if missing:
        raise ValueError(f"demo generator: no rule sizes the variables {sorted(missing)}; "
                         f"add them to {SCALES_FILE.name} or give them an indicator")
    return DemoWorld(seed=seed, years=tuple(years), counties=counties, cities=cities,
                     city_quality=quality, values=values)
