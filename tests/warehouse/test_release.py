"""Releases: immutable snapshots that readers open while the next one is written."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from cityhealth import settings as settings_module
from warehouse.connection import writer
from warehouse.release import open_latest, publish

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


def test_release_holds_parquet_views_and_manifest(cityhealth_home: Path) -> None:
    fill(ROWS_A)
    release = publish("2025", run_id="first")
    manifest = json.loads((release.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["period"] == "2025" and manifest["run_id"] == "first"
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

