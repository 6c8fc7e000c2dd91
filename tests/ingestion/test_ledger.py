"""The ledger of deliveries: a delivery counts as received only once it is loaded or
quarantined, so a load killed part way (a power cut, the OOM killer, a task killed by the
scheduler) is loaded again by the next run, in full, and the run says so."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from cityhealth.core.settings import REPO_ROOT, settings
from cityhealth.ingestion.run import ingest_source
from tests.reads import query

YEAR = "2025"

# The ingest of the survey in a child process: the survey module's load inserts every
# row, then says so in the marker file and waits to be killed, as a process killed
# before the batch's status is committed. (A clean export's rows are committed a moment
# before that, their row numbers are set in the load's last transaction: the kill comes
# between the two commits.)
CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from cityhealth.ingestion import survey_export
    from cityhealth.ingestion.run import ingest_source

    marker = Path(sys.argv[1])
    original = survey_export.load

    def load(con, *args):
        rows = original(con, *args)
        marker.write_text(str(rows))
        time.sleep(600)
        return rows

    survey_export.load = load
    ingest_source("survey", "2025")
""")


def ledger() -> list[tuple]:
    return query("select original_name, status, rows from raw.load_batches "
                 "where source_id = 'survey' order by received_at")


def survey_rows() -> int:
    return query("select count(*) from raw.survey_responses")[0][0]


def row_numbers() -> tuple[int, int, int]:
    """Smallest, largest and how many different survey row numbers."""
    return query("select min(row_number), max(row_number), "
                 "count(distinct row_number) from raw.survey_responses")[0]


@pytest.fixture
def big_survey(cityhealth_home: Path) -> tuple[Path, int]:
    """A survey export of 20,000 answer sheets (200 per county) in the landing folder."""
    from cityhealth.core.reference import areas
    from cityhealth.demo.generator.survey import write_survey_export
    from cityhealth.demo.generator.world import build_world

    folder = settings().landing_dir / "survey" / YEAR
    folder.mkdir(parents=True)
    path = folder / "满意度调查_2025.csv"
    rows = write_survey_export(path, int(YEAR), areas("county"), 200,
                               build_world(7, (int(YEAR),)).survey_lean(int(YEAR)), 7)
    return path, rows


def kill_during_load(marker: Path) -> None:
    """Run the survey's ingest in a child process (its own process group) and SIGKILL the
    group once the load has inserted its rows and not yet committed."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(marker)], env=env,
                             cwd=REPO_ROOT, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            if child.poll() is not None:
                raise AssertionError(f"the ingest ended before the kill: "
                                     f"{child.stderr.read().decode(errors='replace')}")
            assert time.monotonic() < deadline, "the load never reached its rows"
            time.sleep(0.05)
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL


def test_a_load_killed_part_way_is_loaded_in_full_by_the_next_run(
        big_survey: tuple[Path, int], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    path, rows = big_survey
    marker = tmp_path / "rows-inserted"
    kill_during_load(marker)
    assert int(marker.read_text()) == rows  # killed with every row inserted
    # the kill left the ledger row of a load that began and never ended, and its rows
    # without their numbers, which nothing downstream reads (the batch is not loaded)
    assert ledger() == [(path.name, "received", None)]
    assert survey_rows() == rows
    assert row_numbers() == (0, 0, 1)

    with caplog.at_level(logging.WARNING, logger="cityhealth.ingestion.run"):
        [outcome] = ingest_source("survey", YEAR)
    assert (outcome.status, outcome.rows) == ("loaded", rows)
    message = f"retrying {path.name}: an earlier load of it was interrupted"
    assert outcome.note == message
    assert f"survey: {message}" in caplog.messages
    assert ledger() == [(path.name, "loaded", rows)]
    assert survey_rows() == rows
    assert row_numbers() == (1, rows, rows)

    # loaded now: the same bytes again are a duplicate, and nothing is retried
    [again] = ingest_source("survey", YEAR)
    assert (again.status, again.note) == ("duplicate", None)
    assert survey_rows() == rows


def test_a_load_that_fails_after_committing_its_rows_leaves_none_of_them(
        big_survey: tuple[Path, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """A clean export's rows are committed before they are numbered: a failure while
    numbering them quarantines the batch and deletes its rows."""
    from cityhealth.ingestion import survey_export

    path, rows = big_survey

    def fail(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
        assert con.execute("select count(*) from raw.survey_responses "
                           "where batch_id = ?", [batch_id]).fetchone()[0] == rows
        raise RuntimeError("numbering failed (the test)")
    monkeypatch.setattr(survey_export, "_number_rows", fail)

    [outcome] = ingest_source("survey", YEAR)

    assert outcome.status == "quarantined", outcome
    assert "numbering failed (the test)" in outcome.error
    assert ledger() == [(path.name, "quarantined", None)]
    assert survey_rows() == 0


def test_a_quarantined_delivery_counts_as_received(big_survey: tuple[Path, int]) -> None:
    path, _ = big_survey
    path.write_bytes(b"<html><body>502 Bad Gateway</body></html>")
    [first] = ingest_source("survey", YEAR)
    assert first.status == "quarantined"
    [again] = ingest_source("survey", YEAR)
    assert (again.status, again.batch_id, again.note) == ("duplicate", first.batch_id, None)


def test_a_bad_file_quarantines_itself_and_the_good_one_beside_it_is_promoted(
        landed: Path) -> None:
    """One bad delivery fails its source's ingest task, but only after the good deliveries
    beside it were loaded and validated: they are promoted in the same run."""
    from cityhealth.orchestration.pipeline import StepFailed, ingest

    folder = landed / "dept_wr" / YEAR
    [good] = folder.iterdir()
    lines = good.read_text(encoding="utf-8-sig").splitlines()

    def drop(name: str, row: int, value: str) -> None:
        cells = lines[row].split(",")
        changed = [*lines[:row], ",".join([*cells[:-1], value]), *lines[row + 1:]]
        (folder / name).write_bytes(("\r\n".join(changed) + "\r\n").encode("utf-8"))
        later = time.time() + 5
        os.utime(folder / name, (later, later))

    drop("文字.csv", 4, "暂无数据")       # rejected by ingestion
    drop("数量级.csv", 2, "990000")       # loaded, rejected by the gate
    with pytest.raises(StepFailed) as failed:
        ingest("dept_wr", YEAR)
    text = str(failed.value)
    head, *rest = text.splitlines()
    assert head == (f"dept_wr {YEAR}: 2 of 3 deliveries quarantined; validated and promoted "
                    f"beside them: {good.name}")
    assert rest[0].startswith(
        "- dept_wr: 文字.csv: data row 4 (line 5), column 再生水利用量(万吨): ")
    assert rest[1].startswith("- dept_wr: 数量级.csv: 1 of 6 checks failed")
    assert "data row 2, column 再生水利用量(万吨): 990000万吨, 最大合理值 100000万吨" in text

    statuses = dict(query("select original_name, status from raw.load_batches "
                          "where source_id = 'dept_wr'"))
    assert statuses == {good.name: "promoted", "文字.csv": "quarantined",
                        "数量级.csv": "quarantined"}
    # the next run finds nothing new: the good delivery stays in force
    assert ingest("dept_wr", YEAR) == {"duplicate": 3}


def test_a_load_past_the_query_limit_fails_its_task_and_is_loaded_by_the_next_run(
        big_survey: tuple[Path, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Not the sender's fault: the delivery is not quarantined, the run fails naming it,
    and the next run loads it in full."""
    from cityhealth.ingestion import survey_export
    from cityhealth.warehouse.connection import QueryTimeoutError

    path, rows = big_survey
    original = survey_export.load

    def load_that_hangs(con, *args):
        con.execute("select count(*) from range(100000000) a, range(100000000) b "
                    "where a.range + b.range = -1").fetchall()
        return original(con, *args)

    monkeypatch.setattr(survey_export, "load", load_that_hangs)
    monkeypatch.setenv("CITYHEALTH_QUERY_TIMEOUT_SECONDS", "1")
    settings.cache_clear()
    with pytest.raises(QueryTimeoutError, match=rf"load of {path.name} \(survey, batch "):
        ingest_source("survey", YEAR)
    assert ledger() == [(path.name, "received", None)]
    assert survey_rows() == 0

    monkeypatch.setattr(survey_export, "load", original)
    monkeypatch.delenv("CITYHEALTH_QUERY_TIMEOUT_SECONDS")
    settings.cache_clear()
    [outcome] = ingest_source("survey", YEAR)
    assert (outcome.status, outcome.rows) == ("loaded", rows)
    assert outcome.note == f"retrying {path.name}: an earlier load of it was interrupted"


def test_a_load_in_pieces_past_the_query_limit_fails_its_task_not_the_delivery(
        big_survey: tuple[Path, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """A GB18030 export read in pieces (transcoded by worker processes) that runs past the
    statement limit: the task fails with the time limit's error, the delivery is not
    quarantined as unreadable, no piece is left behind, and the next run loads it."""
    from cityhealth.ingestion import survey_export, transcode
    from cityhealth.warehouse.connection import QueryTimeoutError

    path, rows = big_survey
    monkeypatch.setattr(survey_export, "PIECE_BYTES", 8192)  # some 600 pieces ...
    # ... in some 300 statements (two pieces each, none more: seconds)
    monkeypatch.setattr(transcode.Workers, "ready", lambda self, number: False)
    monkeypatch.setenv("CITYHEALTH_DUCKDB_THREADS", "2")
    monkeypatch.setenv("CITYHEALTH_QUERY_TIMEOUT_SECONDS", "1")
    settings.cache_clear()
    with pytest.raises(QueryTimeoutError, match=rf"load of {path.name} \(survey, batch "):
        ingest_source("survey", YEAR)
    assert ledger() == [(path.name, "received", None)]
    assert not any(settings().duckdb_temp_directory.iterdir())

    monkeypatch.delenv("CITYHEALTH_QUERY_TIMEOUT_SECONDS")
    settings.cache_clear()
    [outcome] = ingest_source("survey", YEAR)
    assert (outcome.status, outcome.rows) == ("loaded", rows)
    assert survey_rows() == rows
