"""Departments' HTTP feeds: pulled page by page with ``requests``, kept as received.

``fetch`` pulls every page of one source and period and writes the responses, exactly
as received, to one delivery file in the landing folder (``<source>_<period>.jsonl``,
one line per page: the request without the token, the status, the content type and
the body text). From there a feed is a delivery like any file: archived, recorded,
de-duplicated, loaded or quarantined by ``load``.

429, 5xx, timeouts and broken connections are retried with exponential backoff
(``Retry-After`` honoured); after the last attempt ``FeedUnavailable`` says which
source, which request and what happened, and nothing is written (the file appears
only when every page has arrived).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import requests

from cityhealth.core.reference import unit_factors, variables_by_name
from cityhealth.core.settings import settings
from cityhealth.ingestion.checks import area_code_problem, parse_period
from cityhealth.ingestion.errors import DeliveryError, Problem
from cityhealth.ingestion.registry import Source
from cityhealth.warehouse.connection import insert_frame

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}


class FeedUnavailable(RuntimeError):
    """A feed could not be pulled after every retry (or refused the request outright)."""


def check_period(source: Source, period: str) -> None:
    """A period the source has: its cadence's form (YYYY-MM or YYYY-Qn), not in the future."""
    year, month, frequency = parse_period(period)
    if frequency != source.cadence:
        raise ValueError(f"{source.source_id} is {source.cadence}; period {period!r} is "
                         f"{frequency}")
    today = date.today()
    if (year, month) > (today.year, today.month):
        raise ValueError(f"{source.source_id}: period {period} is in the future")


def _wait(attempt: int, options: dict, response: requests.Response | None) -> float:
    delay = float(options["backoff_seconds"]) * 2 ** (attempt - 1)
    retry_after = response.headers.get("Retry-After") if response is not None else None
    if retry_after and retry_after.isdigit():
        delay = max(delay, float(retry_after))
    return min(delay, float(options["backoff_max_seconds"]))


def _get(session: requests.Session, source: Source, url: str, params: dict,
         token: str) -> requests.Response:
    """One page, retried; returns the final response (2xx or a non-retryable status)."""
    options = source.options
    attempts = int(options["max_attempts"])
    shown = f"{url}?" + "&".join(f"{k}={v}" for k, v in params.items())
    for attempt in range(1, attempts + 1):
        response = None
        try:
            response = session.get(url, params=params, timeout=float(options["timeout_seconds"]),
                                   headers={"Authorization": f"Bearer {token}"})
            _ = response.content  # read the whole body now: a broken one fails here
            problem = f"HTTP {response.status_code}"
            if response.status_code not in RETRY_STATUSES:
                return response
        except (requests.ConnectionError, requests.Timeout,
                requests.exceptions.ChunkedEncodingError) as error:
            problem = f"{type(error).__name__}: {str(error)[:200]}"
        if attempt == attempts:
            raise FeedUnavailable(f"{source.source_id}: GET {shown} failed after {attempts} "
                                  f"attempts; last: {problem}")
        delay = _wait(attempt, options, response)
        log.warning("%s: GET %s: %s; retry %d/%d in %.1f s", source.source_id, shown, problem,
                    attempt, attempts - 1, delay)
        time.sleep(delay)
    raise AssertionError("unreachable")


def fetch(source: Source, period: str, *, base_url: str | None = None,
          token: str | None = None, session: requests.Session | None = None) -> Path:
    """Pull every page of one period into the landing folder; returns the delivery file."""
    check_period(source, period)
    cfg = settings()
    base_url = (base_url or cfg.feed_base_url or "").rstrip("/")
    token = token or cfg.feed_token or ""
    if not base_url:
        raise FeedUnavailable(f"{source.source_id}: no feed address (set "
                              "CITYHEALTH_FEED_BASE_URL)")
    url = base_url + source.options["path"].format(department=source.department)
    session = session or requests.Session()
    lines: list[str] = []
    page, pages = 1, 1
    while page <= pages:
        params = {"period": period, "page": page, "page_size": source.options["page_size"]}
        response = _get(session, source, url, params, token)
        if response.status_code in (401, 403):
            raise FeedUnavailable(f"{source.source_id}: GET {url} refused the token "
                                  f"(HTTP {response.status_code}); check CITYHEALTH_FEED_TOKEN")
        if response.status_code == 404:
            raise FeedUnavailable(f"{source.source_id}: GET {url} period={period}: no data "
                                  f"yet (HTTP 404: {response.text[:200]})")
        lines.append(json.dumps({
            "request": f"GET {url}?period={period}&page={page}",
            "status": response.status_code,
            "content_type": response.headers.get("Content-Type", ""),
            "body": response.content.decode("utf-8", errors="replace"),
        }, ensure_ascii=False))
        try:
            pages = int(response.json()["pages"]) if response.ok else page
        except (ValueError, KeyError, TypeError):
            pages = page  # not the JSON we expect: keep it as received, load will say why
        page += 1
    target = source.landing_dir(period) / f"{source.source_id}_{period}.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
    partial.replace(target)
    log.info("%s %s: %d pages into %s", source.source_id, period, len(lines), target)
    return target


def pull(source: Source, period: str) -> None:
    """The ingestion hook of a pulled source (``transport: http`` in sources.yaml)."""
    fetch(source, period)


def _page_items(source: Source, number: int, record: dict) -> tuple[list, list[Problem]]:
    where = f"page {number}"
    if record.get("status") != 200:
        return [], [Problem(f"HTTP {record.get('status')} ({record.get('request')})", where)]
    if "html" in record.get("content_type", "") or \
            record.get("body", "").lstrip().lower().startswith(("<!doctype", "<html")):
        return [], [Problem("an HTML page instead of JSON (a maintenance or login page?)",
                            where)]
    try:
        body = json.loads(record["body"])
        return list(body["items"]), []
    except (ValueError, KeyError, TypeError) as error:
        return [], [Problem(f"not the feed's JSON ({type(error).__name__}: "
                            f"{str(error)[:120]})", where)]


def parse(source: Source, period: str, path: Path) -> pd.DataFrame:
    problems: list[Problem] = []
    records: list[tuple] = []
    seen: dict[tuple[str, str], str] = {}
    year = parse_period(period)[0]
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        raise DeliveryError(source.source_id, path.name, "the delivery is empty")
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            record = json.loads(line)
        except ValueError:
            problems.append(Problem("not a recorded response", f"page {number}"))
            continue
        items, page_problems = _page_items(source, number, record)
        problems += page_problems
        for index, item in enumerate(items, start=1):
            where = f"page {number} item {index}"
            if not isinstance(item, dict):
                problems.append(Problem("not an object", where))
                continue
            code = str(item.get("area_code", ""))
            if (issue := area_code_problem(code)) is not None:
                problems.append(Problem(issue, where, "area_code"))
                continue
            variable = variables_by_name().get(str(item.get("variable", "")))
            if variable is None or variable["department_code"] != source.department:
                problems.append(Problem(f"'{item.get('variable')}' is not a variable of "
                                        f"{source.department} (ref_variables.csv)", where,
                                        "variable"))
                continue
            factor = unit_factors().get((str(item.get("unit", "")), variable["unit_zh"]))
            if factor is None:
                problems.append(Problem(f"unit '{item.get('unit')}' cannot be converted to "
                                        f"{variable['unit_zh']}", where, "unit"))
                continue
            key = (code, variable["variable_code"])
            if key in seen:
                problems.append(Problem(f"{code} {variable['variable_name_zh']} delivered "
                                        f"twice (also {seen[key]})", where, "variable"))
                continue
            seen[key] = where
            value = item.get("value")
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, int | float)):
                problems.append(Problem(f"'{value}' is not a number", where, "value"))
                continue
            records.append((source.source_id, source.department, number, index, code, period,
                            year, variable["variable_name_zh"], variable["variable_code"],
                            None if value is None else float(value) * factor, item.get("unit")))
    if problems:
        raise DeliveryError(source.source_id, path.name, problems)
    return pd.DataFrame.from_records(records, columns=[
        "source_id", "department_code", "page", "item", "area_code", "period", "period_year",
        "variable_label", "variable_code", "value", "delivered_unit"])


def load(con: duckdb.DuckDBPyConnection, source: Source, period: str, path: Path,
         batch_id: str) -> int:
    frame = parse(source, period, path)
    frame.insert(0, "batch_id", batch_id)
    insert_frame(con, "raw.monitoring_values", frame)
    return len(frame)
