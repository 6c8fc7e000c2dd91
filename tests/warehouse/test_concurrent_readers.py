"""Readers and writers of the warehouse file in different processes wait for each other.

DuckDB lets one process write a file, and refuses a writer while any other process has
it open, even read-only. These tests run a real second process (its own process group,
killed at the end) that reads the warehouse while this one writes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cityhealth.core.settings import settings
from cityhealth.warehouse.connection import (
    LOCK_TIMEOUT_ENV,
    WarehouseBusyError,
    read_only,
    writer,
)

# Open read-only, query, close, a short pause; forever. One line per read: "<reads>
# <longest wait for the file so far, s>". Any error ends the process with a traceback.
READER_LOOP = """
import sys, time
from pathlib import Path
from cityhealth.warehouse.connection import read_only
path = Path(sys.argv[1])
reads, longest = 0, 0.0
while True:
    started = time.monotonic()
    with read_only(path, timeout=300) as con:
        con.execute("select count(*) from duckdb_tables()").fetchone()
    longest = max(longest, time.monotonic() - started)
    reads += 1
    print(reads, round(longest, 3), flush=True)
    time.sleep(0.005)
"""

# Open the file (read-only or for writing), say so, keep it open for argv[3] seconds.
HOLDER = """
import sys, time
import duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read_only")
print("held", flush=True)
time.sleep(float(sys.argv[3]))
con.close()
"""


class Child:
    """A Python child process whose stdout lines are collected by a thread."""

    def __init__(self, code: str, *args: str) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
            start_new_session=True,  # its own process group, killed as one at the end
        )
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()

    def _collect(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.strip())

    def wait_for(self, predicate, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.process.poll() is not None:
                raise AssertionError(f"child ended ({self.process.returncode}) before {what}: "
                                     f"{self.stderr()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"child: no {what} within {timeout} s")
            time.sleep(0.02)

    def stderr(self) -> str:
        if self.process.poll() is None:
            return "(still running)"
        assert self.process.stderr is not None
        return self.process.stderr.read()

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=5)


@contextmanager
def child(code: str, *args: str) -> Iterator[Child]:
    started = Child(code, *args)
    try:
        yield started
    finally:
        started.kill()


def _reads(reader: Child) -> int:
    return int(reader.lines[-1].split()[0]) if reader.lines else 0


@pytest.mark.slow
def test_dbt_and_a_writer_run_while_a_reader_loops(cityhealth_home: Path) -> None:
    path = settings().warehouse_path
    with writer():
        pass  # the file exists before anyone reads it
    with child(READER_LOOP, str(path)) as reader:
        reader.wait_for(lambda: _reads(reader) >= 20, "reads")

        from cityhealth.warehouse.dbt import run_dbt

        started = time.monotonic()
        run_dbt(["seed"])
        dbt_seconds = time.monotonic() - started
        reads_after_dbt = _reads(reader)

        started = time.monotonic()
        with writer() as con:
            writer_waited = time.monotonic() - started
            con.execute("create table raw.concurrency_probe as select 42 as answer")
        reader.wait_for(lambda: _reads(reader) >= reads_after_dbt + 20, "reads after the writer")

        assert reader.process.poll() is None, reader.stderr()  # never failed
        longest_read_wait = float(reader.lines[-1].split()[1])
    with read_only(path) as con:
        seeds = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'reference'"
        ).fetchone()[0]
        assert con.execute("select answer from raw.concurrency_probe").fetchall() == [(42,)]
    print(f"dbt seed {dbt_seconds:.1f} s; writer waited {writer_waited:.2f} s; "
          f"longest read wait {longest_read_wait:.1f} s over {_reads(reader)} reads")
    assert seeds >= 9
    # The reader waited for the writers (dbt holds the file for its whole command) ...
    assert longest_read_wait < dbt_seconds + 30
    # ... and the writer got in between two reads.
    assert writer_waited < 30


def test_a_reader_holding_the_file_too_long_stops_a_writer_with_a_clear_message(
    cityhealth_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = settings().warehouse_path
    with writer():
        pass
    monkeypatch.setenv(LOCK_TIMEOUT_ENV, "1")
    settings.cache_clear()
    with child(HOLDER, str(path), "read_only", "300") as holder:
        holder.wait_for(lambda: holder.lines == ["held"], "open file")
        started = time.monotonic()
        with pytest.raises(WarehouseBusyError) as raised, writer():
            pytest.fail("the writer must not get the file")
        waited = time.monotonic() - started
        message = str(raised.value)
        assert 1 <= waited < 10
        assert f"cannot open {path} for writing" in message
        assert f"(PID {holder.process.pid})" in message
        assert "waited 1 s (CITYHEALTH_WAREHOUSE_LOCK_TIMEOUT=1)" in message
        assert str(cityhealth_home / "releases" / "latest" / "published.duckdb") in message
        assert "read-only mode" not in message  # DuckDB's hint is for readers, not here

        # dbt goes through the same slot: the same message, before dbt starts
        from cityhealth.warehouse.dbt import run_dbt

        with pytest.raises(WarehouseBusyError, match="for writing: another process holds it"):
            run_dbt(["seed"])


def test_a_reader_waits_briefly_for_a_writer(cityhealth_home: Path) -> None:
    path = settings().warehouse_path
    with writer():
        pass
    with child(HOLDER, str(path), "write", "2") as holder:
        holder.wait_for(lambda: holder.lines == ["held"], "open file")
        started = time.monotonic()
        with pytest.raises(WarehouseBusyError) as raised:
            read_only(path, timeout=0.3)
        assert time.monotonic() - started >= 0.3
        message = str(raised.value)
        assert f"cannot open {path} read-only: a writer holds it" in message
        assert f"(PID {holder.process.pid})" in message
        assert "releases/latest/published.duckdb" in message

        with read_only(path, timeout=60) as con:  # the writer lets go after 2 s
            assert con.execute("select 1").fetchall() == [(1,)]
        assert time.monotonic() - started >= 1
