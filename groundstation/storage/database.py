"""Engine creation (SQLite WAL or PostgreSQL) and a small per-component migration mechanism."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from groundstation.clock import require_utc

SQLITE_BUSY_TIMEOUT_MS = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SchemaError(Exception):
    """The database schema cannot be used by this program (e.g. it is newer)."""


def to_us(moment: datetime) -> int:
    """Microseconds since the Unix epoch (UTC): the time column type of every table."""
    delta = require_utc(moment) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)


@dataclass(frozen=True)
class Migration:
    """One schema step of one component; `apply` runs inside the migration's transaction."""

    component: str
    version: int
    description: str
    apply: Callable[[Connection], None]


_meta = sa.MetaData()
schema_migrations = sa.Table(
    "schema_migrations",
    _meta,
    sa.Column("component", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("description", sa.String(256), nullable=False),
    sa.Column("applied_at_us", sa.BigInteger, nullable=False),
)


@dataclass(frozen=True)
class Database:
    """An open database: the SQLAlchemy engine plus what kind it is."""

    engine: Engine
    url: str

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction. On SQLite it takes the write lock up front (BEGIN IMMEDIATE), so a
        busy database is waited for (busy_timeout) instead of failing a read-to-write upgrade."""
        with self.engine.begin() as conn:
            if self.is_sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn

    def integrity_check(self) -> str:
        """SQLite's `PRAGMA integrity_check` ('ok' when intact); PostgreSQL is checked by the server."""
        if not self.is_sqlite:
            return "ok"
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql("PRAGMA integrity_check").fetchall()
        return "; ".join(str(r[0]) for r in rows)

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers (GUI, CLI queries) run while the writer ingests; synchronous=FULL makes every
    # committed (acknowledged) transaction durable, also across power loss, not only process death.
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL for `target`: a URL as is, anything else a SQLite file path."""
    text = str(target)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser()}"


def open_database(target: str | Path, *, create: bool = True) -> Database:
    """Open (and for SQLite, create unless `create=False`) the database at a path or URL."""
    url = database_url(target)
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:" and not create and not Path(path).exists():
            raise FileNotFoundError(path)
        engine = sa.create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True)
    return Database(engine=engine, url=url)


def applied_versions(db: Database) -> dict[str, int]:
    """Highest applied migration version per component ({} for a fresh database)."""
    with db.engine.connect() as conn:
        if not sa.inspect(conn).has_table("schema_migrations"):
            return {}
        rows = conn.execute(
            sa.select(schema_migrations.c.component, sa.func.max(schema_migrations.c.version)).group_by(
                schema_migrations.c.component
            )
        ).all()
    return {str(c): int(v) for c, v in rows}


def migrate(db: Database, migrations: Sequence[Migration], now: datetime) -> list[Migration]:
    """Apply the pending `migrations` (one component's ordered steps), each in its own transaction.

    Safe against a concurrent migrator: the version row is inserted first, so a second process
    blocks on it (or fails the primary key) and skips the step. Returns the steps applied here.
    """
    components = {m.component for m in migrations}
    for component in components:
        versions = [m.version for m in migrations if m.component == component]
        if versions != list(range(1, len(versions) + 1)):
            raise ValueError(f"migrations of {component!r} must be numbered 1..N in order, got {versions}")
    try:
        _meta.create_all(db.engine, checkfirst=True)
    except sa.exc.DatabaseError:
        # A concurrent process created it between the check and the create.
        _meta.create_all(db.engine, checkfirst=True)
    known = applied_versions(db)
    for component in components:
        latest = max(m.version for m in migrations if m.component == component)
        if known.get(component, 0) > latest:
            raise SchemaError(
                f"{db.url}: schema of {component!r} is version {known[component]}, "
                f"newer than this program's {latest}"
            )
    applied: list[Migration] = []
    for step in migrations:
        if known.get(step.component, 0) >= step.version:
            continue
        try:
            with db.engine.begin() as conn:
                conn.execute(
                    schema_migrations.insert().values(
                        component=step.component,
                        version=step.version,
                        description=step.description,
                        applied_at_us=to_us(now),
                    )
                )
                step.apply(conn)
        except IntegrityError:
            continue  # another process applied this step first
        applied.append(step)
    return applied
