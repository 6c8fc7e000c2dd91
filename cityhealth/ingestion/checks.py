"""Checks every source applies to its key cells: area code and period."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from cityhealth.core.periods import Period
from cityhealth.core.reference import areas, province
from cityhealth.ingestion.errors import LEVELS_ZH, Problem, problem, shown

AREA_CODE = re.compile(r"^\d{6}$")
CHINA = ZoneInfo("Asia/Shanghai")


@cache
def area_codes(levels: tuple[str, ...] = ("county",)) -> frozenset[str]:
    return frozenset(a["area_code"] for a in areas() if a["area_level"] in levels)


def area_code_problem(code: str, levels: tuple[str, ...] = ("county",)) -> Problem | None:
    """Why a delivered area code is not usable, or None (place it with ``Problem.at``)."""
    if not code:
        return problem("area_empty", "the area code is empty")
    if not AREA_CODE.match(code):
        return problem("area_format", f"'{shown(code)}' is not a six-digit GB/T 2260 area code")
    if code not in area_codes(levels):
        return unknown_area(code, levels)
    return None


def unknown_area(code: str, levels: tuple[str, ...] = ("county",)) -> Problem:
    """An area code of the right form that is not one of the province's areas."""
    level = "/".join(levels)
    return problem("area_unknown", f"unknown area code {code} (not a {level} of "
                   f"{province()['area_name_en']} in ref_areas.csv)",
                   province=province()["area_name_zh"],
                   level="或".join(LEVELS_ZH.get(lv, lv) for lv in levels))


def current_year() -> int:
    return datetime.now(CHINA).year


def year_problem(text: str, period: str) -> Problem | None:
    """Why a delivered year does not belong to the delivery's period, or None."""
    try:
        year = int(float(text))
    except ValueError:
        return problem("year_format", f"'{shown(text)}' is not a year")
    if year > current_year():
        return problem("year_future", f"year {year} is in the future")
    if year != Period.parse(period).check_year:
        return problem("year_other", f"year {year} does not match the delivery period {period}",
                       period=period)
    return None


PERIOD = re.compile(r"^(?P<year>\d{4})-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4]))$")


def parse_period(period: str) -> tuple[int, int, str]:
    """'2025-07' -> (2025, 7, 'monthly'); '2025-Q3' -> (2025, 9, 'quarterly') (last month)."""
    match = PERIOD.match(period)
    if not match:
        raise ValueError(f"period {period!r} is neither YYYY-MM nor YYYY-Qn")
    if match["month"]:
        return int(match["year"]), int(match["month"]), "monthly"
    return int(match["year"]), 3 * int(match["quarter"]), "quarterly"
