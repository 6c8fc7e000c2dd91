"""Monthly and quarterly monitoring values of the demo, as departments' feeds serve them.

The catalogue marks some indicators for monthly or quarterly monitoring (frequency).
Their variables are served per county and period: levels and rates move around the
year's value with a season (PM2.5 is worse in winter) and noise; stocks approach the
year's value as the year goes on.
"""

from __future__ import annotations

import math

from cityhealth.core.reference import seed_rows
from cityhealth.demo.generator.values import DemoWorld, rng
from cityhealth.ingestion.checks import parse_period


def monitored_variables(department: str, frequency: str) -> list[dict[str, str]]:
    """Variables the department itself reports for its indicators at this frequency.

    A denominator owned by another department (建成区面积 is NR's) is that department's
    delivery: a feed never carries another department's figures.
    """
    codes: list[str] = []
    for indicator in seed_rows("ref_indicators"):
        if indicator["department_code"] == department and indicator["frequency"] == frequency:
            for key in ("numerator_variable", "denominator_variable"):
                if indicator[key] and indicator[key] not in codes:
                    codes.append(indicator[key])
    by_code = {v["variable_code"]: v for v in seed_rows("ref_variables")}
    return [by_code[c] for c in codes if by_code[c]["department_code"] == department]


def monitoring_items(world: DemoWorld, department: str, period: str) -> list[dict]:
    """The feed's items for a department and period, in a stable order."""
    year, month, frequency = parse_period(period)
    if year not in world.years:
        return []
    items = []
    for variable in monitored_variables(department, frequency):
        code = variable["variable_code"]
        for county in world.counties:
            annual = world.values.get((county["area_code"], year, code))
            if annual is None:
                continue
            r = rng(world.seed, "monitor", county["area_code"], code, period)
            if variable["aggregation"] == "weighted_mean":
                season = 0.08 * math.cos(2 * math.pi * (month - 1) / 12)
                sign = 1 if code == "PM25_CONC" else -1  # winter: more PM2.5, fewer good days
                value = annual * (1 + sign * season + r.gauss(0, 0.03))
                if variable["unit_zh"] == "%":
                    value = min(value, 100.0)
            else:
                value = annual * (0.9 + 0.1 * month / 12) * (1 + r.gauss(0, 0.01))
                if float(annual).is_integer():
                    value = float(round(value))
            items.append({
                "area_code": county["area_code"],
                "area_name": county["area_name_zh"],
                "variable": variable["variable_name_zh"],
                "unit": variable["unit_zh"],
                "value": round(value, 4),
            })
    return items
