"""The object registers of the four-level check (2024 on): housing, compounds, blocks,
districts, as the field teams record them (体检信息采集表), one row per object.

Housing and compounds come as sheets (CSV, XLSX), blocks and districts as GeoJSON (a
feature per object, its properties headed like the sheets' columns). Each kind's module
(``objects_<kind>.py``) is its columns; what they share is here:

* the columns, declared once (``registers.Column``), and which a kind must deliver;
* a GeoJSON's features read as rows, named "feature N" in errors;
* the checks that need more than one cell: an object id once per delivery (the register's
  key), the point inside its county (the outline of ``core.boundaries``), the parent
  object delivered for the same check year in the parent kind's source (districts,
  blocks, compounds and housing load in that order: sources.yaml ``after``).

Whether attributes are plausible (year built, floors, dwellings, area) is the quality
gate's rule (cityhealth/expectations/rules.yaml ``check_objects``).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import shapely

from cityhealth.core.boundaries import contains
from cityhealth.core.reference import areas
from cityhealth.ingestion import sheet_columns
from cityhealth.ingestion.errors import DeliveryError, Problem, problem
from cityhealth.ingestion.registers import (
    Column,
    area,
    file_names,
    load_register,
    number,
    parse_register,
    parse_tables,
    text,
    whole,
    year,
)
from cityhealth.ingestion.registry import Source
from cityhealth.ingestion.tables import Row, Table, cell_text

KINDS = ("district", "block", "compound", "housing")  # parents first
PARENT = {"housing": "compound", "compound": "block", "block": "district", "district": None}
KIND_ZH = {"housing": "住房", "compound": "小区(社区)", "block": "街区", "district": "城区"}
LONGITUDE, LATITUDE = "经度", "纬度"
PARENT_HEADING = "上级对象编号"


def columns(kind: str) -> list[Column]:
    """The columns of a kind's sheet (a GeoJSON's properties): located by 经度/纬度 for
    housing and compounds, by the geometry for blocks and districts."""
    point = kind in ("housing", "compound")
    child = PARENT[kind] is not None

    def optional(heading: str, field: str, parse) -> Column:
        return Column(heading, field, parse, required=False, allow_empty=True)

    found = [
        Column("对象编号", "object_id", text),
        optional("对象名称", "object_name", text),
        Column("所在区县代码", "county_code", area(("county",))),
        optional("所在街道", "street_name", text),
        Column(PARENT_HEADING, "parent_object_id", text) if child else None,
        Column("体检年度", "period_year", year),
        Column(LONGITUDE, "longitude", number) if point else None,
        Column(LATITUDE, "latitude", number) if point else None,
        Column("层数", "floors", whole) if kind == "housing" else optional("层数", "floors",
                                                                          whole),
        optional("建成年份", "year_built", whole),
        optional("套数", "dwellings", whole),
        optional("户数", "households", whole),
        optional("面积(平方米)", "area_m2", number),
        optional("照片文件", "photo_files", file_names),
    ]
    return [c for c in found if c is not None]


def headings(kind: str = "housing") -> dict[str, str]:
    """Field -> column heading as delivered (the quality gate names cells by it)."""
    return {column.field: column.header for column in columns(kind)}


class Feature(Row):
    """A GeoJSON feature as a row: errors name it by its number in the collection."""

    def where(self, sheet: str | None) -> str:
        return f"feature {self.data_row}"


def _geojson_rows(source: Source, path: Path) -> tuple[list[Table], list[Problem],
                                                        dict[int, shapely.Geometry]]:
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise DeliveryError(source.source_id, path.name, problem(
            "not_geojson", f"not GeoJSON text: {error}")) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" or \
            not isinstance(document.get("features"), list):
        raise DeliveryError(source.source_id, path.name, problem(
            "not_geojson", "not a GeoJSON FeatureCollection"))
    rows, problems, shapes = [], [], {}
    heading: list[str] = []
    for number_, feature in enumerate(document["features"], start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        row = Feature(number_, number_, {str(k): cell_text(v) for k, v in
                                        (properties or {}).items()})
        for key in row.cells:
            if key not in heading:
                heading.append(key)
        try:
            geometry = shapely.geometry.shape(feature["geometry"])
            if geometry.is_empty:
                raise ValueError("empty geometry")
            shapes[number_] = geometry
        except (KeyError, TypeError, ValueError, AttributeError,
                shapely.errors.GEOSException) as error:
            problems.append(problem("geometry", f"no usable geometry ({error})",
                                    row.where(None), "geometry"))
        rows.append(row)
    return [Table(None, heading, rows)], problems, shapes


def parse(source: Source, period: str, path: Path, kind: str) -> pd.DataFrame:
    """A kind's delivery as rows of raw.check_objects (without the parent check)."""
    if path.suffix.lower() in (".geojson", ".json"):
        tables, problems, shapes = _geojson_rows(source, path)
        frame = parse_tables(source, period, path.name, tables, problems, columns(kind),
                             "period_year", ("object_id",))
        points = [shapely.point_on_surface(shapes[n]) for n in frame["row_number"]]
        frame["longitude"] = [p.x for p in points]
        frame["latitude"] = [p.y for p in points]
    else:
        frame = parse_register(source, period, path, columns(kind), "period_year",
                               ("object_id",))
    frame["period_year"] = frame["period_year"].astype(int)
    frame["object_kind"] = kind
    for field in ("object_name", "street_name", "parent_object_id", "floors", "year_built",
                  "dwellings", "households", "area_m2", "photo_files"):
        if field not in frame:
            frame[field] = None
    return frame


def where(frame: pd.DataFrame, index: int, path: Path) -> tuple[str, str]:
    """'data row 12' or 'feature 3', and the Chinese '第12行' or '第3个要素'."""
    number_ = int(frame["row_number"].iloc[index])
    if path.suffix.lower() in (".geojson", ".json"):
        return f"feature {number_}", f"第{number_}个要素"
    return f"data row {number_}", f"第{number_}行"


def outside_county(frame: pd.DataFrame, path: Path) -> list[Problem]:
    """Objects whose point is not inside the county they are recorded in."""
    names = {a["area_code"]: a["area_name_zh"] for a in areas("county")}
    found = []
    for code, rows in frame.groupby("county_code", sort=True).indices.items():
        inside = contains(code, frame["longitude"].to_numpy()[rows],
                          frame["latitude"].to_numpy()[rows])
        for index in rows[~inside]:
            at, place = where(frame, index, path)
            lon, lat = frame["longitude"].iloc[index], frame["latitude"].iloc[index]
            found.append((index, problem(
                "outside_county", f"({lon:g}, {lat:g}) is outside county {code}",
                at, f"{LONGITUDE}/{LATITUDE}", place=place, longitude=f"{lon:g}",
                latitude=f"{lat:g}", code=code, name=names[code])))
    return [p for _, p in sorted(found, key=lambda item: item[0])]


def delivered_objects(con: duckdb.DuckDBPyConnection, year_: int,
                      kind: str | None = None) -> pd.DataFrame:
    """object_id, object_kind of the objects delivered for a check year (of one kind):
    in a batch promoted, or loaded and waiting for the quality gate (the gate judges
    plausibility, not whether an object is there; a whole year loaded before it is
    validated, as ``ingest_all`` does, finds its parents)."""
    return con.execute("""
        select distinct o.object_id, o.object_kind
        from raw.check_objects as o join raw.load_batches as b using (batch_id)
        where b.status in ('promoted', 'loaded') and o.period_year = $year
          and ($kind is null or o.object_kind = $kind)
    """, {"year": year_, "kind": kind}).df()


def unknown_parents(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, kind: str,
                    path: Path) -> list[Problem]:
    """Objects whose parent is not delivered for the same year (``delivered_objects``)."""
    parent_kind = PARENT[kind]
    if parent_kind is None:
        return []
    known = set(delivered_objects(con, int(frame["period_year"].iloc[0]),
                                 parent_kind)["object_id"])
    missing = ~frame["parent_object_id"].isin(known).to_numpy()
    return [problem("parent_unknown", f"parent {frame['parent_object_id'].iloc[i]} is no "
                    f"{parent_kind} delivered for {frame['period_year'].iloc[i]}",
                    where(frame, i, path)[0], PARENT_HEADING, parent_kind=KIND_ZH[parent_kind])
            for i in np.flatnonzero(missing)]


def _load_sheet(con: duckdb.DuckDBPyConnection, source: Source, period: str, path: Path,
                batch_id: str, kind: str) -> int | None:
    """A clean CSV sheet read column-wise (``sheet_columns``): the point-in-county and
    parent checks on its columns, then one insert; None when the sheet is not clean."""
    with sheet_columns.read(con, path, period, columns(kind), "period_year",
                            ("object_id",)) as rows:
        if rows is None:
            return None
        fields = ["row_number", "county_code", "longitude", "latitude",
                  "period_year::integer as period_year"]
        if PARENT[kind] is not None:
            fields.append("parent_object_id")
        frame = con.execute(f"select {', '.join(fields)} from {rows}").df()
        problems = outside_county(frame, path) + unknown_parents(con, frame, kind, path)
        if problems:
            raise DeliveryError(source.source_id, path.name, problems)
        return con.execute(f"""
            insert into raw.check_objects by name
            select * replace (period_year::integer as period_year),
                   $batch_id as batch_id, $source_id as source_id, $kind as object_kind
            from {rows}""", {"batch_id": batch_id, "source_id": source.source_id,
                             "kind": kind}).fetchone()[0]


def load_objects(con: duckdb.DuckDBPyConnection, source: Source, period: str, path: Path,
                 batch_id: str, kind: str) -> int:
    if (rows := _load_sheet(con, source, period, path, batch_id, kind)) is not None:
        return rows
    frame = parse(source, period, path, kind)
    problems = outside_county(frame, path) + unknown_parents(con, frame, kind, path)
    if problems:
        raise DeliveryError(source.source_id, path.name, problems)
    return load_register(con, "raw.check_objects", frame, batch_id)

