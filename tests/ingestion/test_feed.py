"""Departments' HTTP feeds, pulled from the project's feed server over loopback.

The server is real (a thread serving HTTP on 127.0.0.1); faults are queued through its
/_faults endpoint exactly as the demo would script them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from cityhealth.core.settings import settings
from cityhealth.demo.feed_server import make_server
from cityhealth.expectations.gate import validate_pending
from cityhealth.ingestion.department_feed import FeedUnavailable, fetch
from cityhealth.ingestion.registry import source, sources
from cityhealth.ingestion.run import ingest_source, pull
from tests.geography import COUNTIES
from tests.reads import query as warehouse

TOKEN = "test-token"
PERIOD = "2025-07"


@pytest.fixture(scope="module")
def feed_server() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, token=TOKEN)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def feed(feed_server: str, cityhealth_home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A platform home whose settings point at the feed server, fast retries."""
    monkeypatch.setenv("CITYHEALTH_FEED_BASE_URL", feed_server)
    monkeypatch.setenv("CITYHEALTH_FEED_TOKEN", TOKEN)
    settings.cache_clear()
    for source_id in ("feed_ee_monthly", "feed_ps_quarterly"):
        source(source_id).options.update(backoff_seconds=0.01, timeout_seconds=1.5,
                                         page_size=50)
    requests.post(f"{feed_server}/_faults", json={"faults": []}, timeout=5)
    return feed_server


def queue(feed: str, *faults: str, match: str = "/EE/") -> None:
    requests.post(f"{feed}/_faults", json={"match": match, "faults": list(faults)}, timeout=5)


def test_all_pages_are_pulled_loaded_and_validated(feed: str) -> None:
    [outcome] = ingest_source("feed_ee_monthly", PERIOD)
    assert outcome.status == "loaded", outcome.error
    delivered = Path(warehouse("select archive_path from raw.load_batches")[0][0])
    pages = delivered.read_text(encoding="utf-8").splitlines()
    assert len(pages) == math.ceil(2 * len(COUNTIES) / 50)  # 2 variables, 50 per page
    assert all(json.loads(p)["status"] == 200 for p in pages)
    assert TOKEN not in delivered.read_text(encoding="utf-8")
    [(rows, counties, variables)] = warehouse(
        "select count(*), count(distinct area_code), count(distinct variable_code) "
        "from raw.monitoring_values")
    assert (rows, counties, variables) == (2 * len(COUNTIES), len(COUNTIES), 2)
    [result] = validate_pending("feed_ee_monthly", PERIOD)
    assert result.success, result.summary()


def test_pulling_the_same_period_again_is_a_no_op(feed: str) -> None:
    ingest_source("feed_ee_monthly", PERIOD)
    [again] = ingest_source("feed_ee_monthly", PERIOD)
    assert again.status == "duplicate"
    assert warehouse("select count(*) from raw.load_batches")[0][0] == 1


def test_429_and_5xx_and_a_slow_answer_are_retried(feed: str) -> None:
    queue(feed, "429", "503", "slow:3", "502")
    [outcome] = ingest_source("feed_ee_monthly", PERIOD)
    assert outcome.status == "loaded"
    assert warehouse("select count(*) from raw.monitoring_values")[0][0] == 200


def test_a_broken_connection_is_retried(feed: str) -> None:
    queue(feed, "truncate")
    [outcome] = ingest_source("feed_ee_monthly", PERIOD)
    assert outcome.status == "loaded"


def test_a_feed_that_stays_down_fails_clearly_and_writes_nothing(feed: str) -> None:
    queue(feed, "503", "503", "503", "503", "503")
    spec = source("feed_ee_monthly")
    with pytest.raises(FeedUnavailable) as failure:
        fetch(spec, PERIOD)
    message = str(failure.value)
    assert "feed_ee_monthly" in message and "after 5 attempts" in message
    assert "HTTP 503" in message and "period=2025-07" in message
    assert not list(spec.landing_dir(PERIOD).glob("*"))  # nothing half-written


def test_a_wrong_token_is_refused_without_retrying(feed: str, monkeypatch) -> None:
    monkeypatch.setenv("CITYHEALTH_FEED_TOKEN", "wrong")
    settings.cache_clear()
    with pytest.raises(FeedUnavailable, match="refused the token .HTTP 401"):
        fetch(source("feed_ee_monthly"), PERIOD)


def test_an_html_page_instead_of_json_is_quarantined(feed: str) -> None:
    queue(feed, "html")
    [outcome] = ingest_source("feed_ee_monthly", PERIOD)
    assert outcome.status == "quarantined"
    assert outcome.error.startswith("feed_ee_monthly: feed_ee_monthly_2025-07.jsonl: ")
    assert "page 1" in outcome.error and "HTML page instead of JSON" in outcome.error
    assert warehouse("select count(*) from raw.monitoring_values")[0][0] == 0
    # the next pull gets the real data and loads
    [retry] = ingest_source("feed_ee_monthly", PERIOD)
    assert retry.status == "loaded"


def test_a_body_that_is_not_json_is_quarantined(feed: str) -> None:
    queue(feed, "garbage")
    [outcome] = ingest_source("feed_ee_monthly", PERIOD)
    assert outcome.status == "quarantined"
    assert "page 1: 接口返回的不是约定格式的数据，请联系接口维护单位 (not the feed's JSON" \
        in outcome.error, outcome.error


def test_periods_of_the_wrong_form_or_in_the_future_are_refused(feed: str) -> None:
    with pytest.raises(ValueError, match="is monthly; period '2025-Q3' is quarterly"):
        fetch(source("feed_ee_monthly"), "2025-Q3")
    with pytest.raises(ValueError, match="in the future"):
        fetch(source("feed_ee_monthly"), "2099-01")


def test_quarterly_feed(feed: str) -> None:
    [outcome] = ingest_source("feed_ps_quarterly", "2025-Q2")
    assert outcome.status == "loaded", outcome.error
    assert warehouse("select distinct variable_code from raw.monitoring_values") == [
        ("PEAK_VEHICLE_SPEED",)]


@pytest.mark.parametrize("source_id", sorted(
    s for s, spec in sources().items() if spec.kind == "department_feed"))
def test_every_demo_feed_is_accepted(feed: str, source_id: str) -> None:
    """The demo feeds carry only their own department's variables, so none is refused."""
    spec = source(source_id)
    spec.options.update(backoff_seconds=0.01, timeout_seconds=5)
    period = PERIOD if spec.cadence == "monthly" else "2025-Q2"
    [outcome] = ingest_source(source_id, period)
    assert outcome.status == "loaded", outcome.error


def test_the_registry_says_which_sources_are_pulled_and_how_their_tasks_retry() -> None:
    feeds = {s.source_id for s in sources().values() if s.kind == "department_feed"}
    pulled = {s.source_id for s in sources().values() if s.is_pulled}
    assert pulled == feeds
    for spec in sources().values():
        if spec.is_pulled:
            assert spec.retry.retries >= 2 and spec.retry.exponential_backoff
            assert spec.retry.delay_seconds > 0
        else:
            assert spec.retry.retries == 0


def test_a_pulled_source_whose_kind_cannot_pull_is_refused_clearly(cityhealth_home) -> None:
    spec = dataclasses.replace(source("dept_wr"), transport="http")
    with pytest.raises(TypeError, match="dept_wr: transport http but .*department_file.py "
                                        "has no pull"):
        pull(spec, "2025")
    pull(source("dept_wr"), "2025")  # a dropped file is not pulled: nothing happens
