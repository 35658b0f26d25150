"""The telemetry archive: raw frames and decoded samples in SQLite (WAL) or PostgreSQL.

A call to `TelemetryArchive.write` is one transaction: when it returns, every frame it was given
(decodable or not) and every decoded sample is durable: that is the acknowledgement.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from groundstation.clock import Clock
from groundstation.storage import Database, from_us, migrate, open_database, to_us
from groundstation.storage.database import applied_versions
from groundstation.telemetry import schema
from groundstation.telemetry.decoder import DecodedBatch, DecodeResult
from groundstation.telemetry.frames import TelemetryFrame

# Rows per INSERT statement batch: large enough to amortise, small enough for PostgreSQL's
# 65,535 bind parameters per statement (7 columns per sample row).
SAMPLE_CHUNK_ROWS = 5_000
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class WriteReceipt:
    """What one `write` made durable."""

    frame_ids: tuple[int, ...]
    sample_count: int

    @property
    def frame_count(self) -> int:
        return len(self.frame_ids)


@dataclass(frozen=True)
class ParameterSeries:
    """A parameter's history for one node, as columns (times in microseconds since the epoch)."""

    node: str
    parameter: str
    unit: str
    time_us: NDArray[np.int64]
    raw: NDArray[np.float64]
    eng: NDArray[np.float64]
    text: tuple[str | None, ...]

    def __len__(self) -> int:
        return len(self.time_us)

    def times(self) -> list[datetime]:
        return [from_us(int(t)) for t in self.time_us]


@dataclass(frozen=True)
class StoredFrame:
    id: int
    node: str
    apid: int
    reception_time: datetime
    station: str
    frequency_hz: float
    snr_db: float | None
    decoder: str
    packet: str | None
    reject_reason: str | None
    data: bytes


@dataclass(frozen=True)
class LatestSample:
    node: str
    parameter: str
    time: datetime
    eng: float
    text: str | None


@dataclass(frozen=True)
class LastContact:
    node: str
    time: datetime
    station: str
    snr_db: float | None


@dataclass(frozen=True)
class RetentionPolicy:
    """Keep frames / samples / closed alarms for this many days (None: forever)."""

    frames_days: float | None = None
    samples_days: float | None = None
    closed_alarms_days: float | None = None

    def __post_init__(self) -> None:
        for name in ("frames_days", "samples_days", "closed_alarms_days"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"retention {name} must be > 0 days, got {value}")


@dataclass(frozen=True)
class RetentionReport:
    frames_deleted: int
    samples_deleted: int
    alarms_deleted: int


SAMPLE_COLUMNS = ("node_id", "parameter_id", "time_us", "raw_value", "eng_value", "eng_text", "frame_id")
FRAME_COLUMNS = (
    "id",
    "node_id",
    "apid",
    "sequence_count",
    "reception_time_us",
    "station",
    "frequency_hz",
    "snr_db",
    "decoder",
    "packet",
    "reject_reason",
    "data",
)


def _insert_frames(conn: Connection, rows: list[tuple[Any, ...]]) -> list[int]:
    """Insert frame rows (first column: id, None here) and return their ids, in order.

    SQLite: one executemany; the write lock is held and rowids are allocated max+1 in order, so
    the ids are the `len(rows)` values ending at last_insert_rowid(). PostgreSQL: ids drawn from
    the sequence first, then COPY. Other dialects: INSERT .. RETURNING.
    """
    dialect = conn.dialect.name
    if dialect == "sqlite":
        _bulk_insert(conn, schema.frames, FRAME_COLUMNS[1:], [row[1:] for row in rows])
        last = int(conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one())
        return list(range(last - len(rows) + 1, last + 1))
    if dialect == "postgresql":
        ids = [
            int(i)
            for i in conn.execute(
                sa.text(
                    "SELECT nextval(pg_get_serial_sequence('tm_frames', 'id')) FROM generate_series(1, :n)"
                ),
                {"n": len(rows)},
            ).scalars()
        ]
        _bulk_insert(
            conn, schema.frames, FRAME_COLUMNS, [(i, *row[1:]) for i, row in zip(ids, rows, strict=True)]
        )
        return ids
    result = conn.execute(
        schema.frames.insert().returning(schema.frames.c.id, sort_by_parameter_order=True),
        [dict(zip(FRAME_COLUMNS[1:], row[1:], strict=True)) for row in rows],
    )
    return [int(r[0]) for r in result]


def _bulk_insert(
    conn: Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert many rows inside the current transaction by the fastest path the driver offers.

    The rows go straight to the DBAPI (SQLite: executemany; PostgreSQL/psycopg: COPY), skipping
    SQLAlchemy's per-row parameter objects, which cost 2/3 of the ingest time. Other dialects take
    the portable Core path.
    """
    dialect = conn.dialect.name
    if dialect == "sqlite":
        marks = ", ".join("?" * len(columns))
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", rows)
    elif dialect == "postgresql" and conn.dialect.driver == "psycopg":
        raw = conn.connection.driver_connection
        assert raw is not None
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    else:
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])


class UnknownNameError(KeyError):
    """A node or parameter the archive has never seen."""

    def __str__(self) -> str:
        return str(self.args[0])


class ArchiveError(Exception):
    """The target is not a usable telemetry archive (missing, not a database, wrong schema)."""


class TelemetryArchive:
    """Raw frames and decoded parameters; open with `TelemetryArchive.open(path_or_url, clock)`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._node_ids: dict[str, int] = {}
        self._parameter_ids: dict[str, int] = {}

    @classmethod
    def open(cls, target: str | Path, clock: Clock, *, create: bool = True) -> TelemetryArchive:
        """Open the archive at a SQLite path or a database URL, creating/migrating its schema."""
        db = open_database(target, create=create)
        migrate(db, schema.MIGRATIONS, clock.now())
        return cls(db)

    @classmethod
    def open_existing(cls, target: str | Path) -> TelemetryArchive:
        """Open an archive that must already exist, creating and migrating nothing (for readers)."""
        try:
            db = open_database(target, create=False)
        except FileNotFoundError:
            raise ArchiveError(f"no such archive: {target}") from None
        try:
            versions = applied_versions(db)
        except sa.exc.DatabaseError as exc:
            db.close()
            raise ArchiveError(f"{target}: not a readable database ({str(exc.orig).strip()})") from None
        latest = max(m.version for m in schema.MIGRATIONS)
        found = versions.get(schema.COMPONENT)
        if found is None or found > latest:
            db.close()
            what = (
                "not a telemetry archive"
                if found is None
                else f"archive schema v{found} is newer than v{latest}"
            )
            raise ArchiveError(f"{target}: {what}")
        return cls(db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> TelemetryArchive:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- names -----------------------------------------------------------------------------------
    def _ids(
        self,
        conn: Connection,
        table: sa.Table,
        cache: dict[str, int],
        names: Iterable[str],
        units: dict[str, str] | None = None,
    ) -> dict[str, int]:
        missing = sorted({n for n in names if n not in cache})
        if missing:
            known = conn.execute(sa.select(table.c.name, table.c.id).where(table.c.name.in_(missing))).all()
            cache.update({str(n): int(i) for n, i in known})
            for name in (n for n in missing if n not in cache):
                values: dict[str, Any] = {"name": name}
                if units is not None:
                    values["unit"] = units.get(name, "")
                try:
                    with conn.begin_nested():
                        cache[name] = int(
                            conn.execute(table.insert().values(**values).returning(table.c.id)).scalar_one()
                        )
                except IntegrityError:  # another writer added it meanwhile
                    cache[name] = int(
                        conn.execute(sa.select(table.c.id).where(table.c.name == name)).scalar_one()
                    )
        return cache

    # --- writing ---------------------------------------------------------------------------------
    def write(self, decoded: DecodeResult) -> WriteReceipt:
        """Store every frame of `decoded` (raw, decodable or not) and all its samples, atomically."""
        with self.db.begin() as conn:
            return self._write(conn, decoded)

    def _write(self, conn: Connection, decoded: DecodeResult) -> WriteReceipt:
        frame_list: list[tuple[TelemetryFrame, str | None, str | None]] = []
        for batch in decoded.batches:
            frame_list.extend((f, batch.packet.name, None) for f in batch.frames)
        frame_list.extend((r.frame, None, r.reason) for r in decoded.rejected)
        if not frame_list:
            return WriteReceipt((), 0)
        node_ids = self._ids(conn, schema.nodes, self._node_ids, (f.node for f, _, _ in frame_list))
        units = {c.parameter.name: c.parameter.unit for b in decoded.batches for c in b.columns}
        param_ids = self._ids(conn, schema.parameters, self._parameter_ids, units, units)
        rows = [
            (
                None,
                node_ids[f.node],
                f.apid,
                f.sequence_count,
                to_us(f.reception.time),
                f.reception.station,
                float(f.reception.frequency_hz),
                None if f.reception.snr_db is None else float(f.reception.snr_db),
                f.reception.decoder,
                packet,
                reason,
                f.data,
            )
            for f, packet, reason in frame_list
        ]
        frame_ids = _insert_frames(conn, rows)
        offset = 0
        samples = 0
        for batch in decoded.batches:
            ids = frame_ids[offset : offset + len(batch.frames)]
            offset += len(batch.frames)
            samples += self._write_samples(conn, batch, ids, node_ids, param_ids)
        return WriteReceipt(tuple(frame_ids), samples)

    def _write_samples(
        self,
        conn: Connection,
        batch: DecodedBatch,
        frame_ids: Sequence[int],
        node_ids: dict[str, int],
        param_ids: dict[str, int],
    ) -> int:
        n = len(batch.frames)
        node_col = [node_ids[f.node] for f in batch.frames]
        times = batch.time_us.tolist()
        rows: list[tuple[Any, ...]] = []
        for column in batch.columns:
            with np.errstate(invalid="ignore"):
                raws = column.raw.astype(np.float64).tolist()
            texts: Sequence[str | None] = column.text if column.text is not None else [None] * n
            rows.extend(
                zip(
                    node_col,
                    itertools.repeat(param_ids[column.parameter.name], n),
                    times,
                    raws,
                    column.eng.tolist(),
                    texts,
                    frame_ids,
                    strict=True,
                )
            )
            if len(rows) >= SAMPLE_CHUNK_ROWS:
                _bulk_insert(conn, schema.samples, SAMPLE_COLUMNS, rows)
                rows = []
        if rows:
            _bulk_insert(conn, schema.samples, SAMPLE_COLUMNS, rows)
        return n * len(batch.columns)

    # --- reading ---------------------------------------------------------------------------------
    def node_names(self) -> list[str]:
        with self.db.engine.connect() as conn:
            return [
                str(n)
                for n in conn.execute(sa.select(schema.nodes.c.name).order_by(schema.nodes.c.name)).scalars()
            ]

    def parameter_names(self) -> list[str]:
        with self.db.engine.connect() as conn:
            stmt = sa.select(schema.parameters.c.name).order_by(schema.parameters.c.name)
            return [str(n) for n in conn.execute(stmt).scalars()]

    def _lookup(self, conn: Connection, table: sa.Table, name: str, what: str) -> tuple[int, str]:
        row = conn.execute(sa.select(table).where(table.c.name == name)).mappings().first()
        if row is None:
            raise UnknownNameError(f"unknown {what} {name!r}")
        return int(row["id"]), str(row.get("unit", ""))

    def query_parameter(
        self, node: str, parameter: str, since: datetime | None = None, until: datetime | None = None
    ) -> ParameterSeries:
        """One parameter's samples for one node, oldest first, in [since, until)."""
        s = schema.samples
        with self.db.engine.connect() as conn:
            node_id, _ = self._lookup(conn, schema.nodes, node, "node")
            param_id, unit = self._lookup(conn, schema.parameters, parameter, "parameter")
            where = [s.c.node_id == node_id, s.c.parameter_id == param_id]
            if since is not None:
                where.append(s.c.time_us >= to_us(since))
            if until is not None:
                where.append(s.c.time_us < to_us(until))
            # Enumerations and booleans carry labels; numeric series skip the column (a third less work).
            textual = conn.execute(sa.select(s.c.eng_text).where(*where).limit(1)).scalar() is not None
            columns = [s.c.time_us, s.c.raw_value, s.c.eng_value] + ([s.c.eng_text] if textual else [])
            # Rows straight from the driver cursor into numpy: no per-row SQLAlchemy objects.
            cursor = conn.execute(sa.select(*columns).where(*where).order_by(s.c.time_us)).cursor
            assert cursor is not None
            rows = cursor.fetchall()
        if not rows:
            empty = np.empty(0)
            return ParameterSeries(node, parameter, unit, empty.astype(np.int64), empty, empty, ())
        if textual:
            text = tuple(r[3] for r in rows)
            rows = [r[:3] for r in rows]
        else:
            text = (None,) * len(rows)
        # float64 holds microsecond epoch times exactly (< 2**53) and turns NULL (NaN) into NaN.
        table = np.array(rows, dtype=np.float64)
        return ParameterSeries(
            node, parameter, unit, table[:, 0].astype(np.int64), table[:, 1].copy(), table[:, 2].copy(), text
        )

    def frames(
        self, node: str | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> list[StoredFrame]:
        """Raw frames, oldest first (all nodes unless `node`)."""
        f, n = schema.frames, schema.nodes
        stmt = (
            sa.select(f, n.c.name.label("node"))
            .join(n, n.c.id == f.c.node_id)
            .order_by(f.c.reception_time_us, f.c.id)
        )
        if node is not None:
            stmt = stmt.where(n.c.name == node)
        if since is not None:
            stmt = stmt.where(f.c.reception_time_us >= to_us(since))
        if until is not None:
            stmt = stmt.where(f.c.reception_time_us < to_us(until))
        with self.db.engine.connect() as conn:
            return [
                StoredFrame(
                    id=int(r["id"]),
                    node=str(r["node"]),
                    apid=int(r["apid"]),
                    reception_time=from_us(int(r["reception_time_us"])),
                    station=str(r["station"]),
                    frequency_hz=float(r["frequency_hz"]),
                    snr_db=r["snr_db"],
                    decoder=str(r["decoder"]),
                    packet=r["packet"],
                    reject_reason=r["reject_reason"],
                    data=bytes(r["data"]),
                )
                for r in conn.execute(stmt).mappings()
            ]

    def latest_samples(self) -> list[LatestSample]:
        """The newest sample of every (node, parameter): one index probe per pair (for restarts)."""
        s, n, p = schema.samples, schema.nodes, schema.parameters
        out: list[LatestSample] = []
        with self.db.engine.connect() as conn:
            nodes = conn.execute(sa.select(n.c.id, n.c.name)).all()
            params = conn.execute(sa.select(p.c.id, p.c.name)).all()
            stmt = (
                sa.select(s.c.time_us, s.c.eng_value, s.c.eng_text)
                .where(s.c.node_id == sa.bindparam("n"), s.c.parameter_id == sa.bindparam("p"))
                .order_by(s.c.time_us.desc())
                .limit(1)
            )
            for node_id, node in nodes:
                for param_id, param in params:
                    row = conn.execute(stmt, {"n": node_id, "p": param_id}).first()
                    if row is not None:
                        eng = math.nan if row[1] is None else float(row[1])
                        out.append(LatestSample(str(node), str(param), from_us(int(row[0])), eng, row[2]))
        return out

    def last_contacts(self) -> list[LastContact]:
        """Each node's newest frame: when, through which station, at what SNR."""
        f, n = schema.frames, schema.nodes
        out: list[LastContact] = []
        with self.db.engine.connect() as conn:
            for node_id, node in conn.execute(sa.select(n.c.id, n.c.name)).all():
                row = conn.execute(
                    sa.select(f.c.reception_time_us, f.c.station, f.c.snr_db)
                    .where(f.c.node_id == node_id)
                    .order_by(f.c.reception_time_us.desc(), f.c.id.desc())
                    .limit(1)
                ).first()
                if row is not None:
                    out.append(LastContact(str(node), from_us(int(row[0])), str(row[1]), row[2]))
        return out

    def frame_count(self) -> int:
        with self.db.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(schema.frames)).scalar_one())

    def sample_count(self) -> int:
        with self.db.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(schema.samples)).scalar_one())

    # --- export ----------------------------------------------------------------------------------
    def iter_samples(
        self,
        node: str | None = None,
        parameter: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[tuple[datetime, str, str, float, float, str | None, str]]:
        """(time, node, parameter, raw, eng, text, unit), by time, streamed."""
        s, n, p = schema.samples, schema.nodes, schema.parameters
        stmt = (
            sa.select(s.c.time_us, n.c.name, p.c.name, s.c.raw_value, s.c.eng_value, s.c.eng_text, p.c.unit)
            .join(n, n.c.id == s.c.node_id)
            .join(p, p.c.id == s.c.parameter_id)
            .order_by(s.c.time_us, n.c.name, p.c.name)
        )
        if node is not None:
            stmt = stmt.where(n.c.name == node)
        if parameter is not None:
            stmt = stmt.where(p.c.name == parameter)
        if since is not None:
            stmt = stmt.where(s.c.time_us >= to_us(since))
        if until is not None:
            stmt = stmt.where(s.c.time_us < to_us(until))
        with self.db.engine.connect() as conn:
            for t, node_name, param_name, raw, eng, text, unit in conn.execution_options(
                yield_per=10_000
            ).execute(stmt):
                yield (
                    from_us(int(t)),
                    str(node_name),
                    str(param_name),
                    float(raw),
                    float(eng),
                    text,
                    str(unit),
                )

    def export_samples_csv(self, out: TextIO, **filters: Any) -> int:
        """Samples as CSV (time_utc, node, parameter, raw_value, eng_value, text, unit); returns rows."""
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["time_utc", "node", "parameter", "raw_value", "eng_value", "text", "unit"])
        count = 0
        for t, node, param, raw, eng, text, unit in self.iter_samples(**filters):
            writer.writerow(
                [t.isoformat(), node, param, repr(raw), repr(eng), "" if text is None else text, unit]
            )
            count += 1
        return count

    def export_frames_csv(
        self,
        out: TextIO,
        node: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """Write raw frames as CSV (data as hex); rows written."""
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            [
                "id",
                "reception_time_utc",
                "node",
                "apid",
                "station",
                "frequency_hz",
                "snr_db",
                "decoder",
                "packet",
                "reject_reason",
                "data_hex",
            ]
        )
        rows = self.frames(node, since, until)
        for f in rows:
            writer.writerow(
                [
                    f.id,
                    f.reception_time.isoformat(),
                    f.node,
                    f.apid,
                    f.station,
                    repr(f.frequency_hz),
                    "" if f.snr_db is None else repr(f.snr_db),
                    f.decoder,
                    f.packet or "",
                    f.reject_reason or "",
                    f.data.hex(),
                ]
            )
        return len(rows)

    # --- retention -------------------------------------------------------------------------------
    def apply_retention(self, policy: RetentionPolicy, now: datetime) -> RetentionReport:
        """Delete what is older than the policy allows (per table), in one transaction."""

        def cutoff(days: float) -> int:
            return to_us(now - timedelta(seconds=days * SECONDS_PER_DAY))

        frames_deleted = samples_deleted = alarms_deleted = 0
        with self.db.begin() as conn:
            if policy.samples_days is not None:
                res = conn.execute(
                    schema.samples.delete().where(schema.samples.c.time_us < cutoff(policy.samples_days))
                )
                samples_deleted = int(res.rowcount)
            if policy.frames_days is not None:
                f = schema.frames
                res = conn.execute(f.delete().where(f.c.reception_time_us < cutoff(policy.frames_days)))
                frames_deleted = int(res.rowcount)
            if policy.closed_alarms_days is not None:
                a, e = schema.alarms, schema.alarm_events
                old = sa.select(a.c.id).where(
                    a.c.closed_at_us.is_not(None), a.c.closed_at_us < cutoff(policy.closed_alarms_days)
                )
                conn.execute(e.delete().where(e.c.alarm_id.in_(old)))
                res = conn.execute(a.delete().where(a.c.id.in_(old.scalar_subquery())))
                alarms_deleted = int(res.rowcount)
        return RetentionReport(frames_deleted, samples_deleted, alarms_deleted)
