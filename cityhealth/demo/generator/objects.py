"""The demo's four-level check (2024 on): objects, findings and their treatment.

For each central district (a 市辖区 of ref_areas) of the 11 cities: the district itself
(its outline), blocks (small squares), compounds and residential buildings (points),
all strictly inside the district's outline (sampled, then tested on the outline the
ingestion tests on), with Chinese names and photo file names; ids stay the same across
years and a few buildings are new in the second year. Findings are drawn per object
and indicator at the rates of ``model.yaml`` ``objects``: about half of a year's
problems are gone the next year. The treatment register (整治台账) of the last year
holds, month by month, the changes of status of the first year's problems, some tied
to the project library's projects of the same county.

Same seed, same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from cityhealth.core.boundaries import SIMPLIFY_TOLERANCE_DEG, contains, has_outline
from cityhealth.core.boundaries import outline as district_outline
from cityhealth.core.reference import areas, seed_rows
from cityhealth.demo.generator.files import write_table
from cityhealth.demo.generator.registers import projects
from cityhealth.demo.generator.values import DemoWorld, model

OBJECTS = model()["objects"]
FIRST_YEAR = int(OBJECTS["first_year"])
NAME_HEADS = ("幸福", "和平", "光明", "阳光", "锦绣", "翠苑", "滨江", "青云", "紫薇", "桂花",
              "长青", "东方", "丰和", "文教", "百花", "新华", "建设", "民德", "永安", "湖滨",
              "红旗", "朝阳", "迎宾", "胜利", "书院", "桃源", "松柏", "梅岭", "景德", "洪都")
COMPOUND_TAILS = ("小区", "花园", "新村", "家园", "苑", "公寓")
STREETS = ("公园", "滨湖", "豫章", "站前", "解放", "沿江", "城南", "城北")
TREATMENT_ZH = {"listed": "已列入", "in_progress": "整治中", "rectified": "已销号"}
OBJECT_HEADER = ["对象编号", "对象名称", "所在区县代码", "所在街道", "上级对象编号", "体检年度",
                 "经度", "纬度", "建成年份", "层数", "套数", "户数", "面积(平方米)", "照片文件"]
FINDING_HEADER = ["对象编号", "指标代码", "体检年度", "问题数值", "问题描述", "照片文件"]
TREATMENT_HEADER = ["对象编号", "指标代码", "报告月份", "项目编号", "整治状态", "销号日期"]


@dataclass
class Objects:
    """Every object of the demo's districts (its first year; the registers' rows)."""

    districts: list[dict] = field(default_factory=list)
    blocks: list[dict] = field(default_factory=list)
    compounds: list[dict] = field(default_factory=list)
    buildings: list[dict] = field(default_factory=list)

    def of(self, kind: str) -> list[dict]:
        return {"district": self.districts, "block": self.blocks,
                "compound": self.compounds, "housing": self.buildings}[kind]


def central_districts() -> list[dict[str, str]]:
    return [a for a in areas("county") if a["county_type"] == "district"]


def _between(r: np.random.Generator, bounds: list[int]) -> int:
    return int(r.integers(bounds[0], bounds[1] + 1))


def _inside(r: np.random.Generator, code: str, centre: tuple[float, float], spread: float,
            count: int, region: shapely.Geometry | None = None) -> np.ndarray:
    """``count`` points around ``centre`` (normal, sd ``spread``) inside the county (and
    ``region``, when given); rejection sampling, same generator, same points."""
    found = np.empty((0, 2))
    while len(found) < count:
        candidates = r.normal(centre, spread, size=(4 * count + 8, 2))
        keep = contains(code, candidates[:, 0], candidates[:, 1])
        if region is not None:
            keep &= shapely.contains_xy(region, candidates[:, 0], candidates[:, 1])
        found = np.vstack([found, candidates[keep]])
    return np.round(found[:count], 6)


def build_objects(seed: int) -> Objects:
    """The objects of every central district (deterministic in ``seed``)."""
    found = Objects()
    # a district the boundaries do not draw (a benchmark's synthetic copy) has no objects
    for county in (c for c in central_districts() if has_outline(c["area_code"])):
        code = county["area_code"]
        r = np.random.default_rng([seed, int(code), 18])
        outline = district_outline(code)
        district_id = f"{code}-CQ-0001"
        streets = [f"{STREETS[(int(code) + n) % len(STREETS)]}街道" for n in range(3)]
        found.districts.append({
            "object_id": district_id, "object_name": f"{county['area_name_zh']}城区",
            "county_code": code, "street_name": "", "parent_object_id": "",
            "geometry": shapely.simplify(outline, SIMPLIFY_TOLERANCE_DEG),
            "area_m2": round(outline.area * 1.1e10, -3)})
        # block centres well inside: blocks are drawn as squares around them
        core = shapely.simplify(outline, SIMPLIFY_TOLERANCE_DEG).buffer(
            -4 * OBJECTS["block_half_side_deg"])
        core = core if not core.is_empty else outline
        centroid = core.representative_point()
        bounds = core.bounds
        spread = max(bounds[2] - bounds[0], bounds[3] - bounds[1]) / 4
        centres = _inside(r, code, (centroid.x, centroid.y), spread,
                          _between(r, OBJECTS["blocks_per_district"]), core)
        for b, (x, y) in enumerate(centres, start=1):
            half = OBJECTS["block_half_side_deg"]
            block_id = f"{code}-JQ-{b:04d}"
            head = NAME_HEADS[int(r.integers(len(NAME_HEADS)))]
            found.blocks.append({
                "object_id": block_id, "object_name": f"{head}街区", "county_code": code,
                "street_name": streets[b % len(streets)], "parent_object_id": district_id,
                "geometry": shapely.box(x - half, y - half, x + half, y + half),
                "area_m2": round(float(r.uniform(8, 30)) * 1e4, -2)})
            spots = _inside(r, code, (x, y), OBJECTS["compound_spread_deg"],
                            _between(r, OBJECTS["compounds_per_block"]))
            for c, (cx, cy) in enumerate(spots, start=1):
                number = (b - 1) * 100 + c
                compound_id = f"{code}-XQ-{number:05d}"
                name = (f"{NAME_HEADS[int(r.integers(len(NAME_HEADS)))]}"
                        f"{COMPOUND_TAILS[int(r.integers(len(COMPOUND_TAILS)))]}")
                built = int(r.integers(1975, 2021))
                count = _between(r, OBJECTS["buildings_per_compound"])
                points = _inside(r, code, (cx, cy), OBJECTS["building_spread_deg"], count)
                floors = r.choice([3, 5, 6, 7, 11, 18, 26, 33], size=count,
                                  p=[.1, .2, .25, .15, .1, .1, .05, .05])
                dwellings = floors * r.integers(2, 7, count)
                households = (dwellings * r.uniform(0.75, 1.0, count)).astype(int)
                areas_m2 = np.round(dwellings * r.uniform(55, 120, count), 1)
                years_built = np.minimum(built + r.integers(0, 4, count), 2023)
                new = r.random(count) < OBJECTS["new_building_share"]
                homes = [{
                    "object_id": f"{code}-ZF-{number:05d}-{h + 1:02d}",
                    "object_name": f"{name}{h + 1}栋", "county_code": code,
                    "street_name": streets[b % len(streets)], "parent_object_id": compound_id,
                    "longitude": float(points[h, 0]), "latitude": float(points[h, 1]),
                    "year_built": int(years_built[h]), "floors": int(floors[h]),
                    "dwellings": int(dwellings[h]), "households": int(households[h]),
                    "area_m2": float(areas_m2[h]), "new": bool(new[h])}
                    for h in range(count)]
                found.buildings += homes
                found.districts[-1]["households"] = (
                    found.districts[-1].get("households", 0)
                    + sum(h["households"] for h in homes if not h["new"]))
                found.compounds.append({
                    "object_id": compound_id, "object_name": name, "county_code": code,
                    "street_name": streets[b % len(streets)], "parent_object_id": block_id,
                    "longitude": float(cx), "latitude": float(cy), "year_built": built,
                    "dwellings": sum(h["dwellings"] for h in homes),
                    "households": sum(h["households"] for h in homes),
                    "area_m2": round(float(r.uniform(1.5, 12)) * 1e4, -1)})
    return found


def _photos(object_id: str, year: int, count: int = 1) -> str:
    return ";".join(f"{object_id}_{year}_{n}.jpg" for n in range(1, count + 1))


def _sheet_rows(items: list[dict], year: int, first_year: int) -> list[list[object]]:
    rows = []
    for item in items:
        if item.get("new") and year == first_year:
            continue
        rows.append([item["object_id"], item["object_name"], item["county_code"],
                     item["street_name"], item["parent_object_id"], year,
                     item["longitude"], item["latitude"], item["year_built"],
                     item.get("floors", ""), item["dwellings"], item["households"],
                     item["area_m2"], _photos(item["object_id"], year)])
    return rows


def _geojson(items: list[dict], year: int, path: Path) -> Path:
    features = [{"type": "Feature", "properties": {
        "对象编号": item["object_id"], "对象名称": item["object_name"],
        "所在区县代码": item["county_code"], "所在街道": item["street_name"],
        "上级对象编号": item["parent_object_id"], "体检年度": year, "面积(平方米)": item["area_m2"],
        **({"户数": item["households"]} if "households" in item else {}),
        "照片文件": _photos(item["object_id"], year)},
        "geometry": shapely.geometry.mapping(item["geometry"])} for item in items]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


def findings(objects: Objects, seed: int, years: list[int]) -> dict[int, list[tuple]]:
    """Per year: (object_id, indicator_code, value, finding_zh) found. A problem is found
    again the next year with ``persist_share``; new ones appear at a share of the rate."""
    by_year: dict[int, list[tuple]] = {y: [] for y in years}
    for indicator in seed_rows("ref_object_indicators"):
        kind, finding = indicator["object_kind"], indicator["finding_kind"]
        items = objects.of(kind)
        r = np.random.default_rng([seed, int(indicator["indicator_code"][2:]),
                                   ["housing", "compound", "block", "district"].index(kind)])
        draws = r.random((len(years), len(items)))
        persist = r.random((len(years), len(items)))
        sizes = r.lognormal(1.5, 0.8, len(items))
        present = np.zeros(len(items), dtype=bool)
        for n, year in enumerate(years):
            if finding == "measure":
                present = np.ones(len(items), dtype=bool)
            else:
                rate = OBJECTS["finding_rate"][finding][kind]
                if n == 0:
                    present = draws[n] < rate
                else:
                    present = np.where(present, persist[n] < OBJECTS["persist_share"],
                                       draws[n] < rate * OBJECTS["new_problem_factor"])
            for i in np.flatnonzero(present):
                item = items[i]
                if item.get("new") and n == 0:
                    continue
                if finding == "flag":
                    value: float = 1
                elif finding == "measure":  # within the plausible range of the figure
                    low, high = OBJECTS["measure_range"][indicator["indicator_code"]]
                    value = round(low + (high - low) * float(persist[n][i]), 2)
                elif indicator["unit_zh"] == "km":
                    value = max(round(float(sizes[i]) / 10, 1), 0.1)
                else:
                    value = max(round(float(sizes[i])), 1)
                by_year[year].append((item["object_id"], indicator["indicator_code"], value,
                                      indicator["indicator_name_zh"]))
    return by_year


def treatment_rows(found: dict[int, list[tuple]], first: int, last: int,
                   library: list[dict], seed: int) -> dict[str, list[list[object]]]:
    """Month -> rows of the treatment register of year ``last``: each problem found in
    ``first`` listed, then in progress, then (when not found in ``last``) rectified;
    a row in the month its status changes."""
    months = {f"{last}-{m:02d}": [] for m in range(1, 13)}
    again = {(o, i) for o, i, *_ in found[last]}
    by_county: dict[str, list[str]] = {}
    for project in library:
        by_county.setdefault(project["county"]["area_code"], []).append(project["project_id"])
    problems = [(o, i) for o, i, *_ in found[first]
                if not i.startswith("CQ")]  # a district's measure is no problem to treat
    r = np.random.default_rng([seed, first, last, 27])
    listed = r.integers(1, 4, len(problems))
    started = listed + r.integers(1, 4, len(problems))
    ended = started + r.integers(1, 10, len(problems))  # up to December: every month changes
    link = r.random(len(problems))
    for n, (object_id, indicator) in enumerate(problems):
        county_projects = by_county.get(object_id[:6], [])
        project = county_projects[int(link[n] * 1000) % len(county_projects)] \
            if county_projects and link[n] < OBJECTS["project_link_share"] else ""
        steps = [(int(listed[n]), "listed"), (int(started[n]), "in_progress")]
        if (object_id, indicator) not in again:
            steps.append((min(int(ended[n]), 12), "rectified"))
        for month, status in steps:
            if month > 12:
                continue
            period = f"{last}-{month:02d}"
            done = f"{period}-{1 + (n % 28):02d}" if status == "rectified" else ""
            months[period].append([object_id, indicator, period, project,
                                   TREATMENT_ZH[status], done])
    return months


def write_objects(world: DemoWorld, landing: Path, years: tuple[int, ...], plan_start: int,
                  deliveries: dict[str, tuple[str, str]]) -> list[Path]:
    """The registers, findings and treatment of every year from ``FIRST_YEAR`` on;
    ``deliveries``: source kind -> (source_id, delivery)."""
    years_ = [y for y in years if y >= FIRST_YEAR]
    if not years_:
        return []
    objects = build_objects(world.seed)
    files = []
    found = findings(objects, world.seed, years_)
    for year in years_:
        for kind in ("district", "block"):
            source_id, _ = deliveries[f"objects_{kind}"]
            name = "城区" if kind == "district" else "街区"
            files.append(_geojson(objects.of(kind), year, landing / source_id / str(year)
                                  / f"{name}体检信息采集表_{year}.geojson"))
        for kind, name in (("compound", "小区(社区)"), ("housing", "住房")):
            source_id, delivery = deliveries[f"objects_{kind}"]
            files.append(write_table(
                landing / source_id / str(year) / f"{name}体检信息采集表_{year}", delivery,
                f"{year}年城市体检{name}信息采集表", OBJECT_HEADER,
                _sheet_rows(objects.of(kind), year, years_[0])))
        source_id, delivery = deliveries["object_findings"]
        files.append(write_table(
            landing / source_id / str(year) / f"体检问题清单_{year}", delivery,
            f"{year}年城市体检问题清单", FINDING_HEADER,
            [[o, i, year, v, zh, _photos(o, year)] for o, i, v, zh in found[year]]))
    if len(years_) > 1:
        source_id, delivery = deliveries["object_treatment"]
        library = projects(world, plan_start)
        for period, rows in treatment_rows(found, years_[-2], years_[-1], library,
                                           world.seed).items():
            files.append(write_table(landing / source_id / period / f"问题整治台账_{period}",
                                     delivery, f"城市体检问题整治台账({period})",
                                     TREATMENT_HEADER, rows))
    return files
