"""The deterministic demo: what the demo province's departments (ref_areas.csv), survey
platform and third-party assessor would deliver for every county and year of a run profile.

``generate(landing_dir, profile)`` writes, per year of the profile:

* one file per department (``dept_*`` sources) in the delivery format of
  ``cityhealth/ingestion/sources.yaml`` (UTF-8 CSV, UTF-8 CSV with BOM, GBK CSV, XLSX with a
  title row and a notes sheet), some figures in other units than the catalogue's
  (万人, 公顷 …) as real senders write them;
* the resident satisfaction survey export (one row per respondent, personal data);
* the third-party assessment sample (independent measurements of some indicators);

and, for every month of the last year, the supervision registers (task progress per
city, the urban-renewal project library with its progress); from 2024 on, the
four-level check's object registers, findings and treatment register (``objects.py``).

Same seed, same bytes.

Demo data model: each city has one factor per dimension, drawn independently apart from
a small common share, its own yearly trend per dimension, and its own satisfaction
factor; counties vary around their city per dimension. The model, its distributions
and parameters are written down in ``values.py`` (parameters in ``model.yaml``) and in
docs/demo_data.md, with what the analyses should find on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cityhealth.core.periods import Period
from cityhealth.core.reference import (
    departments,
    indicators_for_year,
    province,
    seed_rows,
    unit_factors,
)
from cityhealth.core.settings import Profile
from cityhealth.demo.generator.files import number, write_table
from cityhealth.demo.generator.objects import write_objects
from cityhealth.demo.generator.registers import write_registers
from cityhealth.demo.generator.survey import write_survey_export
from cityhealth.demo.generator.values import DemoWorld, rng
from cityhealth.demo.generator.world import build_world
from cityhealth.ingestion.registry import sources

ALTERNATIVE_UNIT_SHARE = 0.35

__all__ = ["DemoDelivery", "generate", "build_world", "write_survey_export"]


@dataclass
class DemoDelivery:
    """What was written, for the caller's summary and the tests."""

    world: DemoWorld
    files: list[Path] = field(default_factory=list)
    survey_rows: int = 0


def assessor() -> str:
    """The third-party assessor named in the demo's assessment files."""
    return f"{province()['area_name_zh']}城市体检第三方评估机构(示例)"


def _delivered_unit(seed: int, department: str, variable: dict[str, str]) -> tuple[str, float]:
    """The unit a department writes a variable in, and the factor to the canonical unit."""
    canonical = variable["unit_zh"]
    alternatives = sorted(unit for (unit, target) in unit_factors()
                          if target == canonical and unit != canonical)
    r = rng(seed, "unit", department, variable["variable_code"])
    if alternatives and r.random() < ALTERNATIVE_UNIT_SHARE:
        unit = alternatives[r.randrange(len(alternatives))]
        return unit, unit_factors()[(unit, canonical)]
    return canonical, 1.0


def _department_file(world: DemoWorld, landing: Path, source_id: str, department: str,
                     delivery: str, year: int) -> Path | None:
    variables = [v for v in seed_rows("ref_variables") if v["department_code"] == department
                 and (world.counties[0]["area_code"], year, v["variable_code"]) in world.values]
    if not variables:
        return None
    header = ["行政区划代码", "地区名称", "统计年度"]
    factors = []
    for variable in variables:
        unit, factor = _delivered_unit(world.seed, department, variable)
        header.append(f"{variable['variable_name_zh']}({unit})")
        factors.append(factor)
    rows = []
    for county in world.counties:
        row: list[object] = [county["area_code"], county["area_name_zh"], year]
        for variable, factor in zip(variables, factors, strict=True):
            value = world.values[(county["area_code"], year, variable["variable_code"])]
            row.append(number(value / factor))
        rows.append(row)
    name = departments()[department]["department_name_zh"]
    title = f"{province()['area_name_zh']}各县(市、区){name}{year}年度城市体检基础数据"
    notes = [f"填报单位：{name}", "填报口径：按行政区划代码逐县(市、区)填报，数据为统计年度末数。",
             "计量单位见表头括号内。"]
    return write_table(landing / source_id / str(year) / f"{name}_{year}年度城市体检数据",
                       delivery, title, header, rows, notes)


def _third_party_file(world: DemoWorld, landing: Path, source_id: str, delivery: str,
                      year: int, share: float) -> Path:
    header = ["行政区划代码", "地区名称", "年度", "指标代码", "指标名称", "测评值", "测评机构",
              "测评日期"]
    rows = []
    measured_by = assessor()
    for county in world.counties:
        for indicator in indicators_for_year(year):
            if indicator["spatial_level"] != "county":
                continue
            r = rng(world.seed, "third_party", county["area_code"], indicator["indicator_code"],
                    year)
            if r.random() >= share:
                continue
            true_value = world.indicator_value(indicator, county["area_code"], year)
            if true_value is None:
                continue
            measured = min(max(true_value * (1 + r.gauss(0, 0.03)),
                               float(indicator["valid_min"])), float(indicator["valid_max"]))
            day = f"{year}-11-{1 + r.randrange(28):02d}"
            rows.append([county["area_code"], county["area_name_zh"], year,
                         indicator["indicator_code"], indicator["indicator_name_zh"],
                         number(measured), measured_by, day])
    return write_table(landing / source_id / str(year) / f"第三方评估测评数据_{year}",
                       delivery,
                       f"{year}年度{province()['area_name_zh']}城市体检第三方评估测评结果",
                       header, rows)


def generate(landing_dir: Path, profile: Profile) -> DemoDelivery:
    """Write every demo delivery for every year of the profile under ``landing_dir``."""
    plan = Period.plan_of(profile.check_year)
    world = build_world(profile.seed, profile.years, plan.first_year)
    delivery = DemoDelivery(world=world)
    for year in profile.years:
        for spec in sources().values():
            if spec.kind == "department_file":
                path = _department_file(world, landing_dir, spec.source_id, spec.department,
                                        spec.delivery, year)
                if path:
                    delivery.files.append(path)
            elif spec.kind == "third_party_file":
                delivery.files.append(_third_party_file(
                    world, landing_dir, spec.source_id, spec.delivery, year,
                    profile.third_party_sample_share))
            elif spec.kind == "survey_export":
                path = landing_dir / spec.source_id / str(year) / f"满意度调查问卷导出_{year}.csv"
                delivery.survey_rows += write_survey_export(
                    path, year, world.counties, profile.survey_respondents_per_county,
                    world.survey_lean(year), profile.seed)
                delivery.files.append(path)
    specs = {spec.kind: spec for spec in sources().values()}
    task, project = specs["task_register"], specs["project_register"]
    delivery.files += write_registers(
        world, landing_dir, profile.years[-1], plan.first_year,
        (task.source_id, task.delivery), (project.source_id, project.delivery))
    delivery.files += write_objects(
        world, landing_dir, profile.years, plan.first_year,
        {kind: (spec.source_id, spec.delivery) for kind, spec in specs.items()
         if kind.startswith(("objects_", "object_"))})
    return delivery
