"""The demo's supervision registers: monthly task progress per city and the project library.

Projects are generated where the check finds problems: each county gets renewal projects
of the types (ref_project_types) that treat its weakest indicators at the start of the
plan period, so that the problem → project chain has something true to trace. Some
counties take one project the check does not call for (an indicator never diagnosed there),
so that the list of projects without a problem has something true to show. Parameters
in ``model.yaml`` (``projects``, ``tasks``).
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path

from cityhealth.core.periods import Period
from cityhealth.core.reference import areas, assessment_parameter, departments, seed_rows
from cityhealth.demo.generator.files import number, write_table
from cityhealth.demo.generator.values import DemoWorld, base_world, model, rng

TASKS = model()["tasks"]
TASK_STATUS_ZH = {"not_started": "未启动", "in_progress": "推进中", "done": "已完成",
                  "delayed": "滞后"}
PROJECTS = model()["projects"]
PROJECTS_PER_COUNTY = PROJECTS["per_county"]


def _months(year: int) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, 13)]


def _weakness(world: DemoWorld, indicator: dict[str, str], county: str, year: int) -> float:
    """0 (best of the typical range) … 1 (worst), for choosing what to treat."""
    value = world.indicator_value(indicator, county, year)
    low, high = float(indicator["typical_low"]), float(indicator["typical_high"])
    if value is None or high <= low:
        return 0.0
    position = (value - low) / (high - low)
    if indicator["direction"] == "higher_better":
        return 1 - position
    if indicator["direction"] == "lower_better":
        return position
    centre = (float(indicator["target_low"]) + float(indicator["target_high"])) / 2
    return abs(value - centre) / (high - low)


def _goodness(indicator: dict[str, str], value: float) -> float:
    if indicator["direction"] == "higher_better":
        return value
    if indicator["direction"] == "lower_better":
        return -value
    low, high = float(indicator["target_low"]), float(indicator["target_high"])
    return -max(low - value, value - high, 0.0)


def _attained(indicator: dict[str, str], value: float) -> bool:
    if indicator["direction"] == "higher_better":
        return value >= float(indicator["standard_value"])
    if indicator["direction"] == "lower_better":
        return value <= float(indicator["standard_value"])
    return float(indicator["target_low"]) <= value <= float(indicator["target_high"])


def _city_value(world: DemoWorld, indicator: dict[str, str], counties: list[str],
                year: int) -> float | None:
    """The city's roll-up of its counties (the catalogue's aggregation)."""
    num, den = indicator["numerator_variable"], indicator["denominator_variable"]
    multiplier = float(indicator["multiplier"] or 1)
    if any((c, year, num) not in world.values for c in counties):
        return None
    if indicator["aggregation"] == "weighted_mean":
        weights = [world.values[(c, year, "POP_RESIDENT")] for c in counties]
        values = [world.indicator_value(indicator, c, year) for c in counties]
        return sum(w * v for w, v in zip(weights, values, strict=True)) / sum(weights)
    total = sum(world.values[(c, year, num)] for c in counties)
    if not den:
        return total * multiplier
    return total / sum(world.values[(c, year, den)] for c in counties) * multiplier


def _never_diagnosed(world: DemoWorld, indicator: dict[str, str]) -> set[str]:
    """Counties and cities where the indicator is never a problem in the world's years,
    by the diagnosis rules (fct_diagnosis: below standard, worsening, bottom share)."""
    worsening = int(assessment_parameter("diagnosis_worsening_years"))
    share = assessment_parameter("diagnosis_bottom_share")
    members: dict[str, list[str]] = {}
    for county in world.counties:
        members.setdefault(county["city_code"], []).append(county["area_code"])
    series: dict[str, dict[int, float]] = {}
    for year in world.years:
        if year < int(indicator["check_year_from"]) or (
                indicator["check_year_to"] and year > int(indicator["check_year_to"])):
            continue
        for level in ("county", "city"):
            values = {c["area_code"]: world.indicator_value(indicator, c["area_code"], year)
                      for c in world.counties} if level == "county" else {
                      city: _city_value(world, indicator, counties, year)
                      for city, counties in members.items()}
            values = {a: v for a, v in values.items() if v is not None}
            goodness = sorted(_goodness(indicator, v) for v in values.values())
            bottom = math.ceil(len(goodness) * share)
            for area, value in values.items():
                g = _goodness(indicator, value)
                is_bottom = bool(goodness) and g <= goodness[bottom - 1] and g < goodness[-1]
                series.setdefault(area, {})[year] = g if _attained(indicator, value) \
                    and not is_bottom else math.nan
    free = set()
    for area, by_year in series.items():
        years = sorted(by_year)
        worse = [years[n - 1] == years[n] - 1 and by_year[years[n]] < by_year[years[n - 1]]
                 for n in range(1, len(years))]
        runs = any(all(worse[n:n + worsening]) for n in range(len(worse) - worsening + 1))
        if not runs and not any(math.isnan(g) for g in by_year.values()):
            free.add(area)
    return free


@cache
def _off_check_choices(seed: int, years: tuple[int, ...]) -> dict[str, tuple[str, str]]:
    """county -> (project type, indicator) that the check never calls for there: the
    indicator is no problem in the county nor in its city in any year (on the world
    before projects, so that the library is the same before and after their effects)."""
    world = base_world(seed, years)
    indicators = {i["indicator_code"]: i for i in seed_rows("ref_indicators")}
    cities = {c["area_code"]: c["city_code"] for c in world.counties}
    free = {code: _never_diagnosed(world, indicators[code])
            for code in sorted({c for t in seed_rows("ref_project_types")
                                for c in t["indicator_codes"].split()})}
    choices = {}
    for county, city in cities.items():
        options = [(t["project_type_code"], code) for t in seed_rows("ref_project_types")
                   for code in t["indicator_codes"].split()
                   if county in free[code] and city in free[code]]
        if options:
            choices[county] = options[rng(seed, "project_off_check", county).randrange(
                len(options))]
    return choices


def projects(world: DemoWorld, plan_start: int) -> list[dict]:
    """The project library: a few projects per county aimed at its weakest indicators;
    in some counties the last one is a project the check does not call for."""
    indicators = {i["indicator_code"]: i for i in seed_rows("ref_indicators")}
    types = list(seed_rows("ref_project_types"))
    off_check = _off_check_choices(world.seed, world.years)
    library = []
    year = plan_start if plan_start in world.years else world.years[0]
    for county in world.counties:
        code = county["area_code"]
        def need(project_type: dict[str, str], county: str = code) -> float:
            codes = project_type["indicator_codes"].split()
            return max(_weakness(world, indicators[c], county, year) for c in codes)
        ranked = sorted(types, key=need, reverse=True)[:PROJECTS_PER_COUNTY]
        named: dict[int, list[str]] = {}
        if code in off_check and rng(world.seed, "project_off_check_share", code).random() \
                < PROJECTS["off_check_share"]:
            type_code, indicator = off_check[code]
            ranked[-1] = next(t for t in types if t["project_type_code"] == type_code)
            named[len(ranked)] = [indicator]
        for n, project_type in enumerate(ranked, start=1):
            r = rng(world.seed, "project", code, n)
            start = date(plan_start + 2 + r.randrange(3), 1 + r.randrange(12), 1)
            months = 10 + r.randrange(24)
            end_index = start.year * 12 + start.month - 1 + months
            weak = [c for c in project_type["indicator_codes"].split()
                    if _weakness(world, indicators[c], code, year) > 0.4]
            library.append({
                "project_id": f"GX{code}{n:02d}",
                "name": f"{county['area_name_zh']}{project_type['project_type_zh']}项目",
                "county": county,
                "type": project_type,
                "indicators": named.get(n) or weak or project_type["indicator_codes"].split()[:1],
                "investment": round(r.uniform(800, 25000), 1),
                "start": start,
                "end": date(end_index // 12, end_index % 12 + 1, 1),
                "efficiency": _efficiency(world.city_quality[county["city_code"]], r),
            })
    return library


WORKING_EFFICIENCY = PROJECTS["working_efficiency"]  # at least this: on time, and it works
EFFECT = PROJECTS["effect"]  # share of the typical range a working project gains


def _efficiency(quality: float, r: random.Random) -> float:
    spec = PROJECTS["efficiency"]
    low, high = spec["bounds"]
    return max(low, min(high, spec["mean"] + spec["per_quality"] * quality
                        + r.gauss(0, spec["sd"])))


def with_project_effects(world: DemoWorld, plan_start: int) -> DemoWorld:
    """The world after the plan period's projects: a project that works improves the
    indicators it treats from its end year on (a new world; ``world`` is not changed).

    The indicator moves by EFFECT of its typical range towards better (towards the
    centre for a target range); its numerator is re-solved over the same denominator.
    Projects are chosen on the plan's start year, which no effect touches; a project
    sees the effects of the projects before it.
    """
    world = replace(world, values=dict(world.values))
    indicators = {i["indicator_code"]: i for i in seed_rows("ref_indicators")}
    counts = {v["variable_code"] for v in seed_rows("ref_variables")
              if v["unit_zh"] in ("个", "人", "张", "户", "栋", "辆", "人次")}
    for project in projects(world, plan_start):
        if project["efficiency"] < WORKING_EFFICIENCY:
            continue
        county = project["county"]["area_code"]
        for code in project["indicators"]:
            indicator = indicators[code]
            low, high = float(indicator["typical_low"]), float(indicator["typical_high"])
            for year in world.years:
                value = world.indicator_value(indicator, county, year)
                if year < project["end"].year or value is None:
                    continue
                if indicator["direction"] == "higher_better":
                    better = min(value + EFFECT * (high - low), high)
                elif indicator["direction"] == "lower_better":
                    better = max(value - EFFECT * (high - low), low)
                else:
                    centre = (float(indicator["target_low"]) + float(indicator["target_high"])) / 2
                    better = centre + (value - centre) * (1 - EFFECT)
                den_code = indicator["denominator_variable"]
                den = world.values[(county, year, den_code)] if den_code else 1.0
                numerator = better * den / float(indicator["multiplier"] or 1)
                if indicator["numerator_variable"] in counts:
                    numerator = float(round(numerator))
                world.values[(county, year, indicator["numerator_variable"])] = numerator
    return world


def _project_row(project: dict, period: str) -> list[object]:
    year, mon = map(int, period.split("-"))
    now = year * 12 + mon
    start = project["start"].year * 12 + project["start"].month
    end = project["end"].year * 12 + project["end"].month
    elapsed = (now - start + 1) / max(end - start + 1, 1)
    progress = 0.0 if now < start else min(100.0, 100 * elapsed * project["efficiency"])
    status = "谋划" if now < start else ("完工" if progress >= 100 else "在建")
    return [project["project_id"], project["name"], project["county"]["area_code"],
            project["county"]["area_name_zh"], project["type"]["project_type_zh"],
            " ".join(project["indicators"]), "住房和城乡建设局",
            project["investment"], project["start"].strftime("%Y-%m"),
            project["end"].strftime("%Y-%m"), period,
            number(project["investment"] * progress / 100), number(round(progress, 1)), status]


PROJECT_HEADER = ["项目编号", "项目名称", "行政区划代码", "地区名称", "项目类型", "针对问题指标",
                  "责任单位", "计划总投资(万元)", "计划开工", "计划完工", "报告月份",
                  "累计完成投资(万元)", "形象进度(%)", "项目状态"]
TASK_HEADER = ["任务编号", "任务名称", "城市代码", "城市名称", "牵头单位", "报告月份", "年度目标",
               "累计完成进度(%)", "状态", "情况说明"]


def _task_rows(world: DemoWorld, period: str) -> list[list[object]]:
    month = Period.parse(period)
    mon = month.month
    rows = []
    for task in seed_rows("ref_plan_tasks"):
        for city in areas("city"):
            r = rng(world.seed, "task", task["task_code"], city["area_code"],
                    month.check_year)
            pace = TASKS["pace_mean"] + TASKS["pace_per_quality"] * world.city_quality[
                city["area_code"]] + r.gauss(0, TASKS["pace_sd"])
            progress = min(100.0, max(0.0, 100 * mon / 12 * pace - 5))
            expected = 100 * mon / 12
            status = ("done" if progress >= 100 else "not_started" if progress == 0
                      else "delayed" if progress < expected - 15 else "in_progress")
            note = "资金未到位，进度滞后" if status == "delayed" else ""
            rows.append([task["task_code"], task["task_zh"], city["area_code"],
                         city["area_name_zh"],
                         departments()[task["lead_department_code"]]["department_name_zh"],
                         period, f"完成{task['task_zh']}年度工作", round(progress, 1),
                         TASK_STATUS_ZH[status], note])
    return rows


def write_registers(world: DemoWorld, landing: Path, year: int, plan_start: int,
                    task_source: tuple[str, str], project_source: tuple[str, str]) -> list[Path]:
    """Both registers for every month of a year; sources as (source_id, delivery)."""
    library = projects(world, plan_start)
    files = []
    for period in _months(year):
        source_id, delivery = task_source
        files.append(write_table(landing / source_id / period / f"任务调度台账_{period}",
                                 delivery, f"城市体检评估重点任务月度调度台账({period})",
                                 TASK_HEADER, _task_rows(world, period)))
        source_id, delivery = project_source
        files.append(write_table(landing / source_id / period / f"城市更新项目库_{period}",
                                 delivery, f"城市更新项目库月度进展({period})", PROJECT_HEADER,
                                 [_project_row(p, period) for p in library]))
    return files
