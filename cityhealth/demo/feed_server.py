"""A department's data API, served from the demo data (for the demo and the tests).

    python -m cityhealth.demo.feed_server --port 8765 --token demo-token

``GET /api/v1/departments/<CODE>/monitoring?period=2025-07&page=1&page_size=200``
with ``Authorization: Bearer <token>`` answers one page of JSON::

    {"department": "EE", "period": "2025-07", "page": 1, "pages": 3, "page_size": 200,
     "total": 500, "items": [{"area_code": "360102", "area_name": "东湖区",
                              "variable": "细颗粒物(PM2.5)年均浓度", "unit": "微克/立方米",
                              "value": 31.2}, ...]}

It misbehaves on demand, as real department APIs do: ``POST /_faults`` with
``{"match": "EE", "faults": ["429", "503", "html", "slow:2.5", "truncate", "garbage"]}``
queues faults that the next matching requests receive, one each, in order.

Faults of an API that answers HTTP 200 but cannot be trusted:

* ``busy`` – ``{"code": 500, "msg": "系统繁忙"}``; ``apierror:<code>:<msg>`` – the same with
  another code and message
* ``gbk`` – the real page in GBK, declared (``charset=GBK``); ``gbk-as-utf8`` – in GBK,
  declared as UTF-8
* ``period:<period>`` – the data of another period (labelled as such);
  ``department:<code>`` – another department's data
* ``repeat`` – page 1's items whatever page is asked (the page number echoed);
  ``stuck`` – page 1 itself whatever page is asked
* ``endless`` – announces a million pages (empty beyond the real ones)
"""

from __future__ import annotations

import argparse
import json
import math
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from cityhealth.core.periods import Period
from cityhealth.core.settings import Profile
from cityhealth.demo.generator.monitoring import monitoring_items
from cityhealth.demo.generator.values import DemoWorld
from cityhealth.demo.generator.world import build_world
from cityhealth.ingestion.checks import parse_period

DEFAULT_TOKEN = "demo-token"
MAX_PAGE_SIZE = 1000


@dataclass
class FeedState:
    world: DemoWorld
    token: str
    faults: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0

    def next_fault(self, path: str) -> str | None:
        with self.lock:
            self.requests += 1
            for index, (match, fault) in enumerate(self.faults):
                if match in path:
                    del self.faults[index]
                    return fault
        return None


class FeedHandler(BaseHTTPRequestHandler):
    server_version = "CityHealthFeed/1.0"
    state: FeedState  # set on the subclass made by make_server

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json",
              headers: dict[str, str] | None = None, length: int | None = None,
              charset: str = "utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset={charset}")
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (its timeout)
            self.close_connection = True

    def _json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                   headers=headers)

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        if self.path != "/_faults":
            return self._json(404, {"error": "not found"})
        length = int(self.headers.get("Content-Length", 0))
        spec = json.loads(self.rfile.read(length) or b"{}")
        with self.state.lock:
            self.state.faults += [(spec.get("match", ""), str(f)) for f in spec["faults"]]
        return self._json(200, {"queued": len(spec["faults"])})

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        url = urlparse(self.path)
        if url.path == "/health":
            return self._json(200, {"status": "ok"})
        fault = self.state.next_fault(self.path)
        if fault and self._misbehave(fault):
            return None
        if fault and fault.startswith("slow:"):
            fault = None
        parts = url.path.strip("/").split("/")
        if len(parts) != 5 or parts[:3] != ["api", "v1", "departments"] \
                or parts[4] != "monitoring":
            return self._json(404, {"error": f"no such endpoint {url.path}"})
        if self.headers.get("Authorization") != f"Bearer {self.state.token}":
            return self._json(401, {"error": "missing or invalid token"})
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            period = query["period"]
            year, _month, _frequency = parse_period(period)
            page = int(query.get("page", 1))
            page_size = min(int(query.get("page_size", 200)), MAX_PAGE_SIZE)
        except (KeyError, ValueError) as error:
            return self._json(400, {"error": f"bad request: {error}"})
        department, answered = parts[3], period
        if fault and fault.startswith(("period:", "department:")):
            field, value = fault.split(":", 1)
            department, answered = (value, period) if field == "department" else \
                (department, value)
        items = monitoring_items(self.state.world, department, answered)
        if not items:
            return self._json(404, {"error": f"no data for {department} {answered}"})
        pages = max(1, math.ceil(len(items) / page_size))
        shown_page = page
        if fault in ("repeat", "stuck"):
            page, shown_page = 1, (1 if fault == "stuck" else page)
        if fault != "endless" and (page < 1 or page > pages):
            return self._json(400, {"error": f"page {page} out of 1..{pages}"})
        payload = {
            "department": department, "period": answered, "page": shown_page,
            "pages": 1_000_000 if fault == "endless" else pages, "page_size": page_size,
            "total": len(items), "items": items[(page - 1) * page_size: page * page_size]}
        if fault in ("gbk", "gbk-as-utf8"):
            body = json.dumps(payload, ensure_ascii=False).encode("gbk")
            return self._send(200, body, charset="GBK" if fault == "gbk" else "utf-8")
        return self._json(200, payload)

    def _misbehave(self, fault: str) -> bool:
        """Answer with the fault; False when the fault only delays the real answer."""
        if fault.startswith("slow:"):
            time.sleep(float(fault.split(":", 1)[1]))
            return False
        if fault in ("gbk", "gbk-as-utf8", "repeat", "stuck", "endless") or \
                fault.startswith(("period:", "department:")):
            return False  # the real answer, altered (do_GET)
        if fault == "busy":
            self._json(200, {"code": 500, "msg": "系统繁忙", "data": None})
        elif fault.startswith("apierror:"):
            _, code, message = fault.split(":", 2)
            self._json(200, {"code": int(code), "msg": message, "data": None})
        elif fault.isdigit():
            headers = {"Retry-After": "0"} if fault == "429" else None
            self._json(int(fault), {"error": f"simulated {fault}"}, headers)
        elif fault == "html":
            self._send(200, "<!DOCTYPE html><html><body><h1>系统维护中</h1></body></html>"
                       .encode(), content_type="text/html")
        elif fault == "truncate":  # announces more bytes than it sends, then hangs up
            self._send(200, b'{"department": "EE", "items": [{"area', length=4096)
            self.close_connection = True
        elif fault == "garbage":  # 200 with a body that is not JSON at all
            self._send(200, b"\x00\x01 not json", content_type="application/json")
        else:
            raise ValueError(f"unknown fault {fault!r}")
        return True


def make_server(host: str, port: int, token: str = DEFAULT_TOKEN,
                profile: str = "demo") -> ThreadingHTTPServer:
    """A feed server bound to host:port (port 0: any free port); serve_forever() to run."""
    cfg = Profile.load(profile)
    plan = Period.plan_of(cfg.check_year)
    state = FeedState(world=build_world(cfg.seed, cfg.years, plan.first_year),
                      token=token)
    handler = type("BoundFeedHandler", (FeedHandler,), {"state": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.state = state  # type: ignore[attr-defined]
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--profile", default="demo")
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, args.token, args.profile)
    print(f"feed server on http://{args.host}:{server.server_address[1]} "
          f"(token {args.token!r})", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
