"""Element sources on the network (CelesTrak GP queries, SatNOGS DB, any URL) kept in a local cache.

Each fetch is conditional (ETag / Last-Modified), never sooner than the source's minimum interval
after the previous request (CelesTrak asks for a few requests a day), and any failure (HTTP error,
timeout, a body that holds no element sets) leaves the cached copy in place and in use.
Time is injected: callers pass `now`.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from tracking.element_io import ElementsReadResult, parse_elements, read_elements

DEFAULT_MIN_INTERVAL_S = 4 * 3600.0
DEFAULT_TIMEOUT_S = 20.0
CELESTRAK_GP_URL = "https://celestrak.org/NORAD/elements/gp.php"
SATNOGS_TLE_URL = "https://db.satnogs.org/api/tle/"
USER_AGENT = "groundstation/0.1 (+element cache; conditional requests)"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CHUNK_BYTES = 1 << 16
_MAX_BODY_BYTES = 64 << 20


@dataclass(frozen=True)
class ElementSource:
    """A named URL serving element sets; `name` is also its cache file name."""

    name: str
    url: str
    min_interval_s: float = DEFAULT_MIN_INTERVAL_S
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"source name {self.name!r} must be letters, digits, '_', '-' or '.'")
        scheme = urllib.parse.urlsplit(self.url).scheme
        if scheme not in {"http", "https", "file"}:
            raise ValueError(f"source {self.name}: URL {self.url!r} must be http(s) or file")
        if not self.min_interval_s >= 0.0:
            raise ValueError(f"source {self.name}: minimum interval must be >= 0 s")
        if not self.timeout_s > 0.0:
            raise ValueError(f"source {self.name}: timeout must be > 0 s")

    @classmethod
    def celestrak_group(cls, group: str, *, name: str | None = None, fmt: str = "csv") -> ElementSource:
        """CelesTrak GP query by group (OMM, so catalog numbers past 99999 come through)."""
        query = urllib.parse.urlencode({"GROUP": group, "FORMAT": fmt})
        return cls(name or f"celestrak-{group}", f"{CELESTRAK_GP_URL}?{query}")

    @classmethod
    def celestrak_catnr(
        cls, catalog_number: int, *, name: str | None = None, fmt: str = "csv"
    ) -> ElementSource:
        """CelesTrak GP query for one catalog number."""
        query = urllib.parse.urlencode({"CATNR": catalog_number, "FORMAT": fmt})
        return cls(name or f"celestrak-{catalog_number}", f"{CELESTRAK_GP_URL}?{query}")

    @classmethod
    def satnogs(cls, *, name: str = "satnogs", catalog_number: int | None = None) -> ElementSource:
        """SatNOGS DB's TLE endpoint as 3LE (all of its satellites, or one catalog number)."""
        params: dict[str, str | int] = {"format": "3le"}
        if catalog_number is not None:
            params["norad_cat_id"] = catalog_number
        return cls(name, f"{SATNOGS_TLE_URL}?{urllib.parse.urlencode(params)}")


@dataclass(frozen=True)
class CacheRecord:
    """What we remember about the cached copy of one source."""

    url: str
    etag: str = ""
    last_modified: str = ""
    requested_at: datetime | None = None  # last request sent (counts toward the minimum interval)
    confirmed_at: datetime | None = None  # last time the server gave or confirmed the cached body


@dataclass(frozen=True)
class SourceStatus:
    """Outcome of one update: `state` is one of STATES; `elements` counts what the cache now holds."""

    source: str
    state: str
    message: str
    cache_path: Path | None
    confirmed_at: datetime | None
    elements: int
    rejected: int

    @property
    def usable(self) -> bool:
        """There are elements to use (fresh, confirmed, or an older cached copy)."""
        return self.cache_path is not None


# fetched: new body stored; not-modified: 304; fresh: skipped, requested recently;
# cached: the request failed, the cached copy stays in use; failed: failed and nothing cached.
STATES: tuple[str, ...] = ("fetched", "not-modified", "fresh", "cached", "failed")


class FetchError(Exception):
    """One failed request, in a one-line message."""


class ElementCache:
    """A directory holding `<name>.elements` (the body as served) and `<name>.json` (validators)."""

    def __init__(self, directory: Path, *, user_agent: str = USER_AGENT) -> None:
        self.directory = Path(directory)
        self.user_agent = user_agent

    def body_path(self, source: ElementSource) -> Path:
        return self.directory / f"{source.name}.elements"

    def _record_path(self, source: ElementSource) -> Path:
        return self.directory / f"{source.name}.json"

    def record(self, source: ElementSource) -> CacheRecord | None:
        try:
            data = json.loads(self._record_path(source).read_text())
            return CacheRecord(
                url=str(data["url"]),
                etag=str(data.get("etag", "")),
                last_modified=str(data.get("last_modified", "")),
                requested_at=_parse_time(data.get("requested_at")),
                confirmed_at=_parse_time(data.get("confirmed_at")),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_record(self, source: ElementSource, record: CacheRecord) -> None:
        data = {
            "url": record.url,
            "etag": record.etag,
            "last_modified": record.last_modified,
            "requested_at": record.requested_at.isoformat() if record.requested_at else None,
            "confirmed_at": record.confirmed_at.isoformat() if record.confirmed_at else None,
        }
        _write_atomic(self._record_path(source), json.dumps(data, indent=1).encode())

    def read(self, source: ElementSource) -> ElementsReadResult | None:
        """The cached elements of `source`, or None when nothing is cached."""
        path = self.body_path(source)
        if not path.exists():
            return None
        return read_elements(path)

    def update(self, source: ElementSource, now: datetime, *, force: bool = False) -> SourceStatus:
        """Refresh one source unless it was requested less than its minimum interval ago."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware UTC")
        self.directory.mkdir(parents=True, exist_ok=True)
        record = self.record(source)
        if record is not None and record.url != source.url:
            # The source now points elsewhere: its validators no longer apply; the old copy stays a fallback.
            record = CacheRecord(url=source.url, confirmed_at=record.confirmed_at)
        cached = self.body_path(source).exists()
        if (
            not force
            and record is not None
            and record.requested_at is not None
            and now - record.requested_at < timedelta(seconds=source.min_interval_s)
        ):
            wait = record.requested_at + timedelta(seconds=source.min_interval_s) - now
            message = f"requested {_ago(now - record.requested_at)} ago; next request in {_ago(wait)}"
            if not cached:
                message += " (nothing cached; --force to retry now)"
            return self._status(source, "fresh" if cached else "failed", message, record)
        record = replace(record or CacheRecord(url=source.url), requested_at=now)
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip"}
        if cached and record.etag:
            headers["If-None-Match"] = record.etag
        if cached and record.last_modified:
            headers["If-Modified-Since"] = record.last_modified
        try:
            status, body, response_headers = _fetch(source.url, headers, source.timeout_s)
        except FetchError as exc:
            self._write_record(source, record)
            return self._status(source, "cached" if cached else "failed", str(exc), record)
        if status == 304:
            record = replace(record, confirmed_at=now)
            self._write_record(source, record)
            return self._status(source, "not-modified", "not modified since the cached copy", record)
        text = body.decode("utf-8-sig", errors="replace")
        result = parse_elements(text, source.url)
        if not result.elements:
            self._write_record(source, record)
            first = f" ({result.rejected[0].reason})" if result.rejected else ""
            return self._status(
                source, "cached" if cached else "failed", f"response holds no element sets{first}", record
            )
        _write_atomic(self.body_path(source), body)
        record = replace(
            record,
            etag=response_headers.get("ETag", ""),
            last_modified=response_headers.get("Last-Modified", ""),
            confirmed_at=now,
        )
        self._write_record(source, record)
        message = f"{len(body)} bytes, {result.format}"
        return SourceStatus(
            source.name,
            "fetched",
            message,
            self.body_path(source),
            now,
            len(result.elements),
            len(result.rejected),
        )

    def update_all(
        self, sources: Iterable[ElementSource], now: datetime, *, force: bool = False
    ) -> tuple[SourceStatus, ...]:
        return tuple(self.update(source, now, force=force) for source in sources)

    def _status(self, source: ElementSource, state: str, message: str, record: CacheRecord) -> SourceStatus:
        result = self.read(source)
        if result is None:
            return SourceStatus(source.name, state, message, None, None, 0, 0)
        return SourceStatus(
            source.name,
            state,
            message,
            self.body_path(source),
            record.confirmed_at,
            len(result.elements),
            len(result.rejected),
        )


def _fetch(url: str, headers: Mapping[str, str], timeout_s: float) -> tuple[int, bytes, Mapping[str, str]]:
    """GET with a deadline on the whole transfer; returns (status, body, headers) or raises FetchError."""
    request = urllib.request.Request(url, headers=dict(headers))
    deadline = time.monotonic() + timeout_s
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            chunks: list[bytes] = []
            size = 0
            while True:
                if time.monotonic() > deadline:
                    raise FetchError(f"timed out after {timeout_s:g} s")
                chunk = response.read(_CHUNK_BYTES)
                if not chunk:
                    break
                size += len(chunk)
                if size > _MAX_BODY_BYTES:
                    raise FetchError(f"response larger than {_MAX_BODY_BYTES >> 20} MiB")
                chunks.append(chunk)
            body = b"".join(chunks)
            response_headers = {key: value for key, value in response.headers.items()}
            # file:// responses carry no HTTP status; reading one means it was there.
            status = 200 if response.status is None else int(response.status)
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return 304, b"", {key: value for key, value in exc.headers.items()}
        raise FetchError(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise FetchError(f"timed out after {timeout_s:g} s") from None
        raise FetchError(f"cannot reach {urllib.parse.urlsplit(url).netloc or url}: {exc.reason}") from None
    except TimeoutError:
        raise FetchError(f"timed out after {timeout_s:g} s") from None
    except OSError as exc:
        raise FetchError(f"connection failed: {exc}") from None
    if response_headers.get("Content-Encoding", "").lower() == "gzip":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError):
            raise FetchError("bad gzip body") from None
    return status, body, response_headers


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else None


def _ago(delta: timedelta) -> str:
    seconds = max(delta.total_seconds(), 0.0)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# ---- configuration (sources.toml) ------------------------------------------------------------

_SOURCE_KEYS = frozenset(
    {"name", "url", "celestrak_group", "celestrak_catnr", "satnogs", "satnogs_catnr", "min_interval_hours",
     "timeout_s", "format"}
)
DEFAULT_SOURCES: tuple[ElementSource, ...] = (ElementSource.celestrak_group("amateur"),)


def parse_sources_toml(text: str, origin: str) -> tuple[ElementSource, ...]:
    """Sources from TOML: optional `[defaults]` (min_interval_hours, timeout_s) and `[[source]]` tables.

    Each source has a `name` and exactly one of `url`, `celestrak_group`, `celestrak_catnr`,
    `satnogs = true` (optionally `satnogs_catnr`). Errors are ValueError naming `origin` and the source.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{origin}: {exc}") from None
    unknown = set(data) - {"defaults", "source"}
    if unknown:
        first = sorted(unknown)[0]
        raise ValueError(f"{origin}: unknown table {first!r} (expected [defaults] and [[source]])")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict) or set(defaults) - {"min_interval_hours", "timeout_s"}:
        raise ValueError(f"{origin}: [defaults] takes only min_interval_hours and timeout_s")
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise ValueError(f"{origin}: 'source' must be an array of tables ([[source]])")
    sources: list[ElementSource] = []
    for index, entry in enumerate(entries, start=1):
        where = f"{origin}: source {index}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: must be a table")
        if "name" in entry:
            where = f"{origin}: source {index} ({entry['name']!r})"
        try:
            sources.append(_source_from_table(entry, defaults))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{where}: {exc}") from None
    names = [source.name for source in sources]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"{origin}: source name {duplicates[0]!r} used twice")
    return tuple(sources)


def _number(table: Mapping[str, object], key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number")
    return float(value)


def _source_from_table(entry: Mapping[str, object], defaults: Mapping[str, object]) -> ElementSource:
    unknown = set(entry) - _SOURCE_KEYS
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r}")
    name = entry.get("name")
    if not isinstance(name, str):
        raise ValueError("needs a name")
    kinds = [key for key in ("url", "celestrak_group", "celestrak_catnr", "satnogs") if key in entry]
    if len(kinds) != 1:
        raise ValueError("needs exactly one of url, celestrak_group, celestrak_catnr, satnogs")
    fmt = entry.get("format", "csv")
    if not isinstance(fmt, str):
        raise ValueError("format must be a string")
    kind = kinds[0]
    value = entry[kind]
    if kind == "url":
        if not isinstance(value, str):
            raise ValueError("url must be a string")
        source = ElementSource(name, value)
    elif kind == "celestrak_group":
        if not isinstance(value, str) or not value:
            raise ValueError("celestrak_group must be a group name")
        source = ElementSource.celestrak_group(value, name=name, fmt=fmt)
    elif kind == "celestrak_catnr":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("celestrak_catnr must be a catalog number")
        source = ElementSource.celestrak_catnr(value, name=name, fmt=fmt)
    else:
        catnr = entry.get("satnogs_catnr")
        if value is not True:
            raise ValueError("satnogs must be true")
        if catnr is not None and (isinstance(catnr, bool) or not isinstance(catnr, int)):
            raise ValueError("satnogs_catnr must be a catalog number")
        source = ElementSource.satnogs(name=name, catalog_number=catnr)
    default_h = _number(defaults, "min_interval_hours", DEFAULT_MIN_INTERVAL_S / 3600.0)
    interval_h = _number(entry, "min_interval_hours", default_h)
    timeout_s = _number(entry, "timeout_s", _number(defaults, "timeout_s", DEFAULT_TIMEOUT_S))
    return replace(source, min_interval_s=interval_h * 3600.0, timeout_s=timeout_s)


def sources_to_toml(sources: Sequence[ElementSource]) -> str:
    """`sources.toml` text that `parse_sources_toml` reads back as `sources` (each by its URL)."""
    lines: list[str] = []
    for source in sources:
        lines += ["[[source]]", f"name = {json.dumps(source.name)}", f"url = {json.dumps(source.url)}"]
        if source.min_interval_s != DEFAULT_MIN_INTERVAL_S:
            lines.append(f"min_interval_hours = {source.min_interval_s / 3600.0!r}")
        if source.timeout_s != DEFAULT_TIMEOUT_S:
            lines.append(f"timeout_s = {source.timeout_s!r}")
        lines.append("")
    return "\n".join(lines)


def select_sources(sources: Sequence[ElementSource], names: Sequence[str]) -> tuple[ElementSource, ...]:
    """The sources named (all when `names` is empty); ValueError for an unknown name."""
    if not names:
        return tuple(sources)
    by_name = {source.name: source for source in sources}
    missing = [name for name in names if name not in by_name]
    if missing:
        known = ", ".join(by_name) or "none"
        raise ValueError(f"unknown source {missing[0]!r} (configured: {known})")
    return tuple(by_name[name] for name in names)
