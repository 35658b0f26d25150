"""Element sources against a real HTTP server on loopback serving fixture files."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import DATA
from tracking.element_io import read_elements
from tracking.sources import (
    DEFAULT_MIN_INTERVAL_S,
    ElementCache,
    ElementSource,
    parse_sources_toml,
    select_sources,
)

CSV_BODY = (DATA / "elements" / "celestrak-active-2026-08-22-sample.csv").read_bytes()
TLE_BODY = (DATA / "elements" / "celestrak-active-2025-04-23-sample.3le").read_bytes()
T0 = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SLOW_SERVER_DELAY_S = 5.0
CLIENT_TIMEOUT_S = 0.4
# The client gives up at its timeout; allow generous scheduling slack on a shared 2-core machine.
TIMEOUT_SLACK_S = 2.0


@dataclass
class Site:
    """What the loopback server serves, and what it saw."""

    body: bytes = CSV_BODY
    etag: str = '"v1"'
    last_modified: str = "Sat, 22 Aug 2026 16:00:00 GMT"
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def last_headers(self, path: str) -> dict[str, str]:
        return [h for p, h in self.requests if p == path][-1]


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(code)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            state.requests.append((self.path, dict(self.headers.items())))
            if self.path == "/gp.csv":
                if self.headers.get("If-None-Match") == state.etag:
                    self.send_response(304)
                    self.send_header("ETag", state.etag)
                    self.end_headers()
                    return
                self._send(200, state.body, {"ETag": state.etag, "Last-Modified": state.last_modified})
            elif self.path == "/dated.tle":
                if self.headers.get("If-Modified-Since") == state.last_modified:
                    self.send_response(304)
                    self.end_headers()
                    return
                self._send(200, TLE_BODY, {"Last-Modified": state.last_modified})
            elif self.path == "/broken":
                self._send(500, b"internal error")
            elif self.path == "/slow":
                state.release.wait(SLOW_SERVER_DELAY_S)
                self._send(200, CSV_BODY)
            elif self.path == "/html":
                self._send(200, b"<html><body>Service temporarily unavailable</body></html>")
            elif self.path == "/gzip.tle":
                self._send(200, gzip.compress(TLE_BODY), {"Content-Encoding": "gzip"})
            else:
                self._send(404, b"not found")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def test_fetch_then_min_interval_then_conditional_304(site, tmp_path):
    state, base = site
    cache = ElementCache(tmp_path / "cache")
    source = ElementSource("gp", f"{base}/gp.csv")
    first = cache.update(source, T0)
    assert (first.state, first.elements, first.rejected, first.confirmed_at) == ("fetched", 10, 0, T0)
    assert cache.body_path(source).read_bytes() == CSV_BODY
    assert "If-None-Match" not in state.last_headers("/gp.csv")
    assert "groundstation" in state.last_headers("/gp.csv")["User-Agent"]

    # Within the minimum interval: no request at all.
    soon = cache.update(source, T0 + HOUR)
    assert soon.state == "fresh"
    assert state.count("/gp.csv") == 1
    assert soon.elements == 10
    assert soon.confirmed_at == T0

    # After it: a conditional request, answered 304; the cached copy is confirmed.
    later = T0 + timedelta(seconds=DEFAULT_MIN_INTERVAL_S) + HOUR
    confirmed = cache.update(source, later)
    assert confirmed.state == "not-modified"
    assert state.count("/gp.csv") == 2
    headers = state.last_headers("/gp.csv")
    assert headers["If-None-Match"] == '"v1"'
    assert headers["If-Modified-Since"] == state.last_modified
    assert (confirmed.confirmed_at, confirmed.elements) == (later, 10)

    # New content on the server: fetched and stored.
    state.body, state.etag = CSV_BODY.replace(b"CALSPHERE 1,", b"CALSPHERE ONE,"), '"v2"'
    newer = cache.update(source, later + timedelta(seconds=DEFAULT_MIN_INTERVAL_S))
    assert newer.state == "fetched"
    cached = cache.read(source)
    assert cached is not None
    assert cached.elements[0].name == "CALSPHERE ONE"


def test_if_modified_since_alone_gives_304(site, tmp_path):
    state, base = site
    cache = ElementCache(tmp_path)
    source = ElementSource("dated", f"{base}/dated.tle", min_interval_s=0.0)
    assert cache.update(source, T0).state == "fetched"
    second = cache.update(source, T0 + HOUR)
    assert second.state == "not-modified"
    assert state.last_headers("/dated.tle")["If-Modified-Since"] == state.last_modified
    assert second.elements == 7


def test_force_ignores_the_minimum_interval(site, tmp_path):
    state, base = site
    cache = ElementCache(tmp_path)
    source = ElementSource("gp", f"{base}/gp.csv")
    cache.update(source, T0)
    assert cache.update(source, T0 + timedelta(minutes=1), force=True).state == "not-modified"
    assert state.count("/gp.csv") == 2


def test_failing_source_falls_back_to_the_cached_copy(site, tmp_path):
    state, base = site
    cache = ElementCache(tmp_path)
    good = ElementSource("amateur", f"{base}/gp.csv", min_interval_s=0.0)
    assert cache.update(good, T0).state == "fetched"
    # The same source now answers 500: the cached copy stays and is reported.
    broken = ElementSource("amateur", f"{base}/broken", min_interval_s=0.0)
    status = cache.update(broken, T0 + HOUR)
    assert status.state == "cached"
    assert status.message == "HTTP 500 Internal Server Error"
    assert status.usable
    assert (status.elements, status.confirmed_at) == (10, T0)
    assert cache.body_path(good).read_bytes() == CSV_BODY
    # Never cached: nothing to fall back to.
    nothing = cache.update(ElementSource("other", f"{base}/broken"), T0)
    assert (nothing.state, nothing.usable, nothing.elements) == ("failed", False, 0)
    # ... and the minimum interval still holds for it (CelesTrak blocks clients that retry errors).
    again = cache.update(ElementSource("other", f"{base}/broken"), T0 + timedelta(minutes=5))
    assert again.state == "failed"
    assert "--force" in again.message
    assert state.count("/broken") == 2


def test_slow_source_times_out_and_keeps_the_cache(site, tmp_path):
    state, base = site
    cache = ElementCache(tmp_path)
    cache.update(ElementSource("amateur", f"{base}/gp.csv"), T0)
    slow = ElementSource("amateur", f"{base}/slow", timeout_s=CLIENT_TIMEOUT_S, min_interval_s=0.0)
    started = time.monotonic()
    status = cache.update(slow, T0 + HOUR)
    elapsed_s = time.monotonic() - started
    assert status.state == "cached"
    assert status.message == f"timed out after {CLIENT_TIMEOUT_S:g} s"
    assert status.elements == 10
    assert elapsed_s < CLIENT_TIMEOUT_S + TIMEOUT_SLACK_S
    assert state.count("/slow") == 1


def test_a_200_that_holds_no_elements_does_not_replace_the_cache(site, tmp_path):
    _, base = site
    cache = ElementCache(tmp_path)
    cache.update(ElementSource("amateur", f"{base}/gp.csv"), T0)
    status = cache.update(ElementSource("amateur", f"{base}/html", min_interval_s=0.0), T0 + HOUR)
    assert status.state == "cached"
    assert status.message.startswith("response holds no element sets")
    assert status.elements == 10


def test_gzip_bodies_are_stored_decoded(site, tmp_path):
    _, base = site
    cache = ElementCache(tmp_path)
    source = ElementSource("gz", f"{base}/gzip.tle")
    assert cache.update(source, T0).state == "fetched"
    assert cache.body_path(source).read_bytes() == TLE_BODY
    assert read_elements(cache.body_path(source)).format == "3le"


def test_unreachable_source_reports_one_line(tmp_path):
    from tests.conftest import free_tcp_port

    cache = ElementCache(tmp_path)
    status = cache.update(ElementSource("gone", f"http://127.0.0.1:{free_tcp_port()}/x", timeout_s=2.0), T0)
    assert status.state == "failed"
    assert status.message.startswith("cannot reach 127.0.0.1:")
    assert "\n" not in status.message


def test_file_url_source_is_read_and_cached(tmp_path):
    local = tmp_path / "mine.csv"
    local.write_bytes(CSV_BODY)
    cache = ElementCache(tmp_path / "cache")
    source = ElementSource("mine", local.as_uri())
    status = cache.update(source, T0)
    assert status.state != "failed", status.message
    cached = read_elements(cache.body_path(source))
    assert len(cached.elements) == len(read_elements(local).elements) > 0


def test_source_constructors_build_the_documented_urls():
    assert (
        ElementSource.celestrak_group("amateur").url
        == "https://celestrak.org/NORAD/elements/gp.php?GROUP=amateur&FORMAT=csv"
    )
    assert (
        ElementSource.celestrak_catnr(25544, fmt="json").url
        == "https://celestrak.org/NORAD/elements/gp.php?CATNR=25544&FORMAT=json"
    )
    assert ElementSource.satnogs().url == "https://db.satnogs.org/api/tle/?format=3le"
    assert ElementSource.satnogs(catalog_number=25544).url.endswith("?format=3le&norad_cat_id=25544")
    with pytest.raises(ValueError, match="must be http"):
        ElementSource("x", "ftp://example.org/a.tle")
    with pytest.raises(ValueError, match="source name"):
        ElementSource("../escape", "https://example.org/a.tle")


SOURCES_TOML = """
[defaults]
min_interval_hours = 6

[[source]]
name = "amateur"
celestrak_group = "amateur"

[[source]]
name = "iss"
celestrak_catnr = 25544
format = "xml"
min_interval_hours = 2

[[source]]
name = "satnogs"
satnogs = true

[[source]]
name = "mine"
url = "http://127.0.0.1:8000/mine.tle"
timeout_s = 3
"""


def test_sources_toml():
    amateur, iss, satnogs, mine = parse_sources_toml(SOURCES_TOML, "sources.toml")
    assert amateur == ElementSource(
        "amateur", "https://celestrak.org/NORAD/elements/gp.php?GROUP=amateur&FORMAT=csv", 6 * 3600.0
    )
    assert iss.url.endswith("CATNR=25544&FORMAT=xml")
    assert iss.min_interval_s == 2 * 3600.0
    assert satnogs.url == "https://db.satnogs.org/api/tle/?format=3le"
    assert mine.url == "http://127.0.0.1:8000/mine.tle"
    assert (mine.timeout_s, mine.min_interval_s) == (3.0, 6 * 3600.0)
    assert select_sources((amateur, iss), ["iss"]) == (iss,)
    with pytest.raises(ValueError, match=r"unknown source 'nope' \(configured: amateur, iss\)"):
        select_sources((amateur, iss), ["nope"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[source]]\nname = 'a'\n", r"sources.toml: source 1 \('a'\): needs exactly one of"),
        ("[[source]]\nname = 'a'\nurl = 'https://x/y'\ncolour = 1\n", "unknown key 'colour'"),
        ("[[source]]\nname='a'\nurl='https://x'\n[[source]]\nname='a'\nurl='https://y'\n", "used twice"),
        ("[[source]]\nname = 'a'\ncelestrak_catnr = 'ISS'\n", "celestrak_catnr must be a catalog number"),
        ("[[source]\n", r"sources.toml: .*line 1"),
        ("[other]\n", "unknown table 'other'"),
    ],
)
def test_bad_sources_toml_is_one_line(text, message):
    with pytest.raises(ValueError, match=message) as exc:
        parse_sources_toml(text, "sources.toml")
    assert "\n" not in str(exc.value)


def test_sources_written_read_back_the_same():
    from tracking.sources import ElementSource, parse_sources_toml, sources_to_toml

    sources = (
        ElementSource.celestrak_group("amateur"),
        ElementSource("local", 'file:///tmp/my "own".tle', min_interval_s=1800.0, timeout_s=5.0),
    )
    assert parse_sources_toml(sources_to_toml(sources), "sources.toml") == sources
