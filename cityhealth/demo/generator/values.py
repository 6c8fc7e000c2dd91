"""The demo's true values: every variable for every county and year.

Deterministic from the profile's seed. Each city has a "quality" that shifts all
its indicators towards better or worse, counties vary around it, and every
indicator improves a little each year, so that cities differ, trends exist and
the five-year assessment has something to find. Numerators are solved from a
target indicator value inside the catalogue's typical range, over denominators
sized by ``scales.yaml``; indicators are therefore plausible by construction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from cityhealth.core.reference import areas, indicators_for_year, seed_rows

SCALES_FILE = Path(__file__).with_name("scales.yaml")
COUNT_UNITS = {"个", "人", "张", "户", "栋", "辆", "人次"}


@cache
def scales() -> dict[str, dict]:
    return yaml.safe_load(SCALES_FILE.read_text(encoding="utf-8"))


def rng(seed: int, *parts: object) -> random.Random:
    """A generator of its own for each entity: same seed and parts, same numbers."""
    return random.Random("|".join(str(p) for p in (seed, *parts)))


@dataclass(frozen=True)
class DemoWorld:
    """Everything the writers need: who the counties are and their values."""

    seed: int
    years: tuple[int, ...]
    counties: tuple[dict[str, str], ...]
    city_quality: dict[str, float]            # city code -> [-1, 1]
    values: dict[tuple[str, int, str], float]  # (county, year, variable) -> canonical value

    def indicator_value(self, indicator: dict[str, str], county: str, year: int) -> float | None:
        num = self.values.get((county, year, indicator["numerator_variable"]))
        den_code = indicator["denominator_variable"]
        den = self.values.get((county, year, den_code)) if den_code else 1.0
        if num is None or not den:
            return None
        return num / den * float(indicator["multiplier"] or 1)


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


def _target(seed: int, indicator: dict[str, str], county: str, city_quality: float,
            year: int, first_year: int) -> float:
    """An indicator value inside its typical range, better for better cities and years."""
    code = indicator["indicator_code"]
    low, high = float(indicator["typical_low"]), float(indicator["typical_high"])
    county_noise = rng(seed, "noise", county, code).gauss(0, 0.35)
    yearly = rng(seed, "year", county, code, year).gauss(0, 0.05)
    trend = 0.035 * (year - first_year)
    p = min(max(0.45 + 0.3 * city_quality + 0.15 * county_noise + trend + yearly, 0.02), 0.98)
    if indicator["direction"] == "higher_better":
        return low + p * (high - low)
    if indicator["direction"] == "lower_better":
        return high - p * (high - low)
    # target_range: good places sit inside the range, weaker ones drift out on one side
    side = 1 if rng(seed, "side", county, code).random() < 0.5 else -1
    centre = (float(indicator["target_low"]) + float(indicator["target_high"])) / 2
    spread = (high - low) / 2
    return centre + side * (1 - p) * spread


def base_world(seed: int, years: tuple[int, ...]) -> DemoWorld:
    """Every variable of every county and year before any renewal project works
    (``cityhealth.demo.generator.world.build_world`` adds the projects' effects)."""
    counties = tuple(areas("county"))
    cities = [a["area_code"] for a in areas("city")]
    quality = {c: rng(seed, "quality", c).uniform(-1, 1) for c in cities}
    population = _county_population(seed)
    variables = {v["variable_code"]: v for v in seed_rows("ref_variables")}
    values: dict[tuple[str, int, str], float] = {}
    first_year = years[0]
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
                target = _target(seed, indicator, code, quality[county["city_code"]],
                                 year, first_year)
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
    return DemoWorld(seed=seed, years=tuple(years), counties=counties,
                     city_quality=quality, values=values)
