"""The feed client does not trust the API: bounded pages, repeated pages, errors inside an
HTTP 200, a declared charset, and an answer for another period or department.

The API is the project's feed server, a real HTTP server on loopback, told to misbehave
through its /_faults endpoint. A bad pull is quarantined (status and error.txt); the next
good pull of the same period loads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import requests

from cityhealth.core.settings import settings
from cityhealth.demo.feed_server import make_server
from cityhealth.ingestion.department_feed import FeedUnavailable, fetch
from cityhealth.ingestion.registry import source, sources
from cityhealth.ingestion.run import ingest_source
from tests.reads import query

TOKEN = "test-token"
PERIOD = "2025-06"
NAME = f"feed_ee_monthly_{PERIOD}.jsonl"


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
    monkeypatch.setenv("CITYHEALTH_FEED_BASE_URL", feed_server)
    monkeypatch.setenv("CITYHEALTH_FEED_TOKEN", TOKEN)
    settings.cache_clear()
    spec = source("feed_ee_monthly")
    before = dict(spec.options)
    spec.options.update(backoff_seconds=0.01, timeout_seconds=2, page_size=50)
    yield feed_server
    spec.options.clear()
    spec.options.update(before)


def queue(feed: str, *faults: str) -> None:
    requests.post(f"{feed}/_faults", json={"match": "/EE/", "faults": list(faults)}, timeout=5)


def status_of(batch_id: str) -> str:
    [(status,)] = query("select status from raw.load_batches where batch_id = ?", [batch_id])
    return status


def quarantined_then_loaded(feed: str) -> str:
    """Pull (the queued faults act); the pull is quarantined with error.txt; the next,
    good pull of the same period loads. The quarantine's error."""
    [bad] = ingest_source("feed_ee_monthly", PERIOD)
    assert bad.status == "quarantined", bad
    assert status_of(bad.batch_id) == "quarantined"
    folder = settings().quarantine_dir / bad.batch_id.replace(":", "_")
    assert (folder / "error.txt").read_text(encoding="utf-8") == bad.error + "\n"
    assert (folder / NAME).is_file()
    [good] = ingest_source("feed_ee_monthly", PERIOD)
    assert good.status == "loaded", good.error
    assert good.rows == 200
    return bad.error


def test_max_pages_is_a_setting_of_the_registry() -> None:
    for spec in sources().values():
        if spec.kind == "department_feed":
            assert spec.max_pages == 500  # sources.yaml, kinds: department_feed: max_pages


def test_an_api_that_never_ends_stops_at_max_pages(feed: str) -> None:
    source("feed_ee_monthly").options.update(max_pages=6)
    queue(feed, *["endless"] * 6)  # a million pages announced; 4 hold data
    assert quarantined_then_loaded(feed) == (
        f"feed_ee_monthly: {NAME}: page 6, column pages: 只收到部分分页，请重新拉取 (the API "
        "announces 1000000 pages, 6 were received: the pull stopped at max_pages 6 "
        "(sources.yaml, kinds: department_feed))")


def test_a_page_repeating_an_earlier_one_stops_the_pull(feed: str) -> None:
    queue(feed, "repeat", "repeat")  # page 2 answers page 1's items as page 2
    assert quarantined_then_loaded(feed) == (
        f"feed_ee_monthly: {NAME}: page 2: 接口分页不前进(重复返回同一页)，请联系接口维护单位 "
        "(repeats page 1 (the same content): the API does not advance its pages)")


def test_an_api_that_answers_page_1_for_every_page(feed: str) -> None:
    queue(feed, "stuck", "stuck")
    assert quarantined_then_loaded(feed) == (
        f"feed_ee_monthly: {NAME}: 2 problems: page 2, column page: "
        "接口分页不前进(重复返回同一页)，请联系接口维护单位 "
        "(the API answered page 1 to the request for page 2 (it does not advance its pages)); "
        "page 2: 接口分页不前进(重复返回同一页)，请联系接口维护单位 "
        "(repeats page 1 (the same content): the API does not advance its pages)")


def test_an_error_inside_http_200_is_quarantined_with_the_apis_message(feed: str) -> None:
    queue(feed, "apierror:40001:参数错误: period 格式不正确")
    assert quarantined_then_loaded(feed) == (
        f"feed_ee_monthly: {NAME}: page 1: 接口返回了错误信息“参数错误: period 格式不正确”"
        "而不是数据，请稍后重新拉取；仍失败请联系接口维护单位 (the API answered with an error "
        "instead of data: code 40001, msg '参数错误: period 格式不正确')")


def test_system_busy_inside_http_200_is_retried(feed: str) -> None:
    queue(feed, "busy", "busy")
    [outcome] = ingest_source("feed_ee_monthly", PERIOD)
    assert outcome.status == "loaded", outcome.error
    assert outcome.rows == 200


def test_system_busy_to_the_last_attempt_fails_with_the_apis_message(feed: str) -> None:
    queue(feed, *["busy"] * 5)
    spec = source("feed_ee_monthly")
    with pytest.raises(FeedUnavailable) as failure:
        fetch(spec, PERIOD)
    assert str(failure.value) == (
        f"feed_ee_monthly: GET {feed}/api/v1/departments/EE/monitoring?period={PERIOD}"
        "&page=1&page_size=50 failed after 5 attempts; last: HTTP 200 carrying the API's "
        "error code 500, msg 系统繁忙")
    assert not list(spec.landing_dir(PERIOD).glob("*"))


def test_a_declared_gbk_charset_is_honoured(feed: str) -> None:
    queue(feed, "gbk", "gbk", "gbk", "gbk")
    [outcome] = ingest_source("feed_ee_monthly", PERIOD)
    assert outcome.status == "loaded", outcome.error
    con = duckdb.connect(str(settings().warehouse_path), read_only=True)
    try:
        labels = con.execute("select distinct variable_label from raw.monitoring_values "
                             "order by 1").fetchall()
        [(content_type,)] = {(json.loads(line)["content_type"],) for line in Path(
            con.execute("select archive_path from raw.load_batches").fetchone()[0]
        ).read_text(encoding="utf-8").splitlines()}
    finally:
        con.close()
    assert content_type == "application/json; charset=GBK"
    expected = requests.get(
        f"{feed}/api/v1/departments/EE/monitoring", params={"period": PERIOD, "page_size": 500},
        headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).json()["items"]
    assert labels == sorted({(item["variable"],) for item in expected})


def test_gbk_bytes_declared_as_utf8_are_located(feed: str) -> None:
    page = requests.get(
        f"{feed}/api/v1/departments/EE/monitoring", params={"period": PERIOD, "page": 1,
                                                             "page_size": 50},
        headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).text
    first = next(i for i, c in enumerate(page) if ord(c) > 127)
    gbk = " ".join(f"0x{b:02X}" for b in page[first:first + 2].encode("gbk"))
    queue(feed, "gbk-as-utf8")
    assert quarantined_then_loaded(feed) == (
        f"feed_ee_monthly: {NAME}: page 1: 接口返回的内容编码无法识别，请联系接口维护单位 "
        f"(undecodable bytes {gbk} at line 1, column {first + 1} of the body in its declared "
        "charset utf-8)")


def test_data_of_another_period_is_refused_naming_both(feed: str) -> None:
    queue(feed, "period:2024-06")
    assert quarantined_then_loaded(feed) == (
        f"feed_ee_monthly: {NAME}: page 1, column period: "
        "接口返回的是其他期次的数据，不是所请求的期次，请联系接口维护单位 (the answer is for "
        "period 2024-06; the request was for period 2025-06)")


def test_data_of_another_department_is_refused_naming_both(feed: str) -> None:
    queue(feed, "department:HURD")
    assert quarantined_then_loaded(feed) == (
        f"feed_ee_monthly: {NAME}: page 1, column department: "
        "接口返回的是其他部门的数据，不是所请求的部门，请联系接口维护单位 (the answer is for "
        "department HURD; the request was for department EE)")
