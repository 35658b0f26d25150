"""The command lifecycle in the station database: one row per command (a governance packet for one
node) and one row per transition, written in the same transaction, through the storage migrations
(component "commands"), beside the telemetry archive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from groundstation.storage import Database, Migration, from_us, migrate, open_database, to_us
from groundstation.storage.database import applied_versions

COMPONENT = "commands"

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
metadata = sa.MetaData()

commands = sa.Table(
    "cmd_commands",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("node", sa.String(64), nullable=False),
    sa.Column("packet_id", sa.String(64), nullable=False),  # hex SHA-256 of the signed content
    sa.Column("payload_type", sa.String(32), nullable=False),
    sa.Column("summary", sa.String(256), nullable=False),
    sa.Column("sequence", sa.BigInteger, nullable=False),
    sa.Column("epoch", sa.BigInteger, nullable=False),
    sa.Column("valid_from_us", sa.BigInteger, nullable=False),
    sa.Column("valid_until_us", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(32), nullable=True),  # the node's rejection reason code
    sa.Column("detail", sa.String(512), nullable=True),
    sa.Column("created_us", sa.BigInteger, nullable=False),
    sa.Column("updated_us", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),  # the encoded packet, as sent
    sa.Index("ix_cmd_commands_node_state", "node", "state"),
)

transitions = sa.Table(
    "cmd_transitions",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("command_id", sa.BigInteger, sa.ForeignKey("cmd_commands.id"), nullable=False),
    sa.Column("time_us", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("station", sa.String(64), nullable=True),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(32), nullable=True),
    sa.Column("detail", sa.String(512), nullable=True),
    sa.Index("ix_cmd_transitions_command", "command_id", "time_us"),
)


def _create_v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[commands, transitions])


MIGRATIONS: tuple[Migration, ...] = (Migration(COMPONENT, 1, "command lifecycle", _create_v1),)


class CommandState(StrEnum):
    QUEUED = "queued"  # waiting for the node's next pass
    RELEASED = "released"  # handed to the station working the pass
    SENT = "sent"  # every segment transmitted (attempt n)
    DELIVERED = "delivered"  # the node acknowledged the whole packet (segment layer)
    ACCEPTED = "accepted"  # the node's telemetry: verified and accepted
    REJECTED = "rejected"  # the node's telemetry: refused, with its reason code
    RETRIED = "retried"  # no answer in time: sent again
    EXPIRED = "expired"  # validity ended, or attempts ran out, before acceptance


TERMINAL = frozenset({CommandState.ACCEPTED, CommandState.REJECTED, CommandState.EXPIRED})


@dataclass(frozen=True)
class CommandRecord:
    id: int
    node: str
    packet_id: str
    payload_type: str
    summary: str
    sequence: int
    epoch: int
    valid_from: datetime
    valid_until: datetime
    state: CommandState
    attempts: int
    reason: str | None
    detail: str | None
    created: datetime
    updated: datetime
    data: bytes = field(repr=False)

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL


@dataclass(frozen=True)
class Transition:
    command_id: int
    node: str
    time: datetime
    state: CommandState
    station: str | None
    attempt: int
    reason: str | None
    detail: str | None


class CommandStoreError(Exception):
    """The target is not a usable command database."""


class CommandStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def open(cls, db: Database, now: datetime) -> CommandStore:
        """On an open station database (the archive's), creating or migrating the tables."""
        migrate(db, MIGRATIONS, now)
        return cls(db)

    @classmethod
    def open_existing(cls, target: str | Path) -> CommandStore:
        """A database that must already hold the command tables (for readers: creates nothing)."""
        try:
            db = open_database(target, create=False)
        except FileNotFoundError:
            raise CommandStoreError(f"no such database: {target}") from None
        try:
            versions = applied_versions(db)
        except sa.exc.DatabaseError as exc:
            db.close()
            raise CommandStoreError(f"{target}: not a readable database ({str(exc.orig).strip()})") from None
        latest = max(m.version for m in MIGRATIONS)
        found = versions.get(COMPONENT)
        if found is None or found > latest:
            db.close()
            what = (
                "holds no command lifecycle"
                if found is None
                else f"command schema v{found} is newer than v{latest}"
            )
            raise CommandStoreError(f"{target}: {what}")
        return cls(db)

    def close(self) -> None:
        self.db.close()

    @staticmethod
    def _record(row: sa.RowMapping) -> CommandRecord:
        return CommandRecord(
            id=int(row["id"]),
            node=str(row["node"]),
            packet_id=str(row["packet_id"]),
            payload_type=str(row["payload_type"]),
            summary=str(row["summary"]),
            sequence=int(row["sequence"]),
            epoch=int(row["epoch"]),
            valid_from=from_us(int(row["valid_from_us"])),
            valid_until=from_us(int(row["valid_until_us"])),
            state=CommandState(row["state"]),
            attempts=int(row["attempts"]),
            reason=row["reason"],
            detail=row["detail"],
            created=from_us(int(row["created_us"])),
            updated=from_us(int(row["updated_us"])),
            data=bytes(row["data"]),
        )

    def add(
        self,
        *,
        node: str,
        packet_id: str,
        payload_type: str,
        summary: str,
        sequence: int,
        epoch: int,
        valid_from: datetime,
        valid_until: datetime,
        data: bytes,
        at: datetime,
    ) -> tuple[CommandRecord, Transition]:
        """A new command, queued, with its first transition."""
        with self.db.begin() as conn:
            command_id = int(
                conn.execute(
                    commands.insert()
                    .values(
                        node=node,
                        packet_id=packet_id,
                        payload_type=payload_type,
                        summary=summary,
                        sequence=sequence,
                        epoch=epoch,
                        valid_from_us=to_us(valid_from),
                        valid_until_us=to_us(valid_until),
                        state=CommandState.QUEUED.value,
                        attempts=0,
                        created_us=to_us(at),
                        updated_us=to_us(at),
                        data=data,
                    )
                    .returning(commands.c.id)
                ).scalar_one()
            )
            step = Transition(command_id, node, at, CommandState.QUEUED, None, 0, None, None)
            self._insert_transition(conn, step)
            row = conn.execute(sa.select(commands).where(commands.c.id == command_id)).mappings().one()
        return self._record(row), step

    @staticmethod
    def _insert_transition(conn: Connection, step: Transition) -> None:
        conn.execute(
            transitions.insert().values(
                command_id=step.command_id,
                time_us=to_us(step.time),
                state=step.state.value,
                station=step.station,
                attempt=step.attempt,
                reason=step.reason,
                detail=step.detail,
            )
        )

    def transition(
        self,
        record: CommandRecord,
        state: CommandState,
        at: datetime,
        *,
        station: str | None = None,
        attempts: int | None = None,
        reason: str | None = None,
        detail: str | None = None,
    ) -> tuple[CommandRecord, Transition]:
        """Move `record` to `state` (the command row and its transition in one transaction)."""
        attempt = record.attempts if attempts is None else attempts
        step = Transition(record.id, record.node, at, state, station, attempt, reason, detail)
        with self.db.begin() as conn:
            conn.execute(
                commands.update()
                .where(commands.c.id == record.id)
                .values(
                    state=state.value,
                    attempts=attempt,
                    reason=reason if reason is not None else record.reason,
                    detail=detail,
                    updated_us=to_us(at),
                )
            )
            self._insert_transition(conn, step)
            row = conn.execute(sa.select(commands).where(commands.c.id == record.id)).mappings().one()
        return self._record(row), step

    def get(self, command_id: int) -> CommandRecord:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(commands).where(commands.c.id == command_id)).mappings().first()
        if row is None:
            raise KeyError(f"no command {command_id}")
        return self._record(row)

    def commands(self, node: str | None = None) -> list[CommandRecord]:
        """Commands in queue order (oldest first), all or one node's."""
        stmt = sa.select(commands).order_by(commands.c.id)
        if node is not None:
            stmt = stmt.where(commands.c.node == node)
        with self.db.engine.connect() as conn:
            return [self._record(r) for r in conn.execute(stmt).mappings()]

    def transitions(self, command_id: int | None = None) -> list[Transition]:
        """Transitions in the order they happened (all commands, or one)."""
        stmt = (
            sa.select(transitions, commands.c.node)
            .join(commands, commands.c.id == transitions.c.command_id)
            .order_by(transitions.c.id)
        )
        if command_id is not None:
            stmt = stmt.where(transitions.c.command_id == command_id)
        with self.db.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [
            Transition(
                command_id=int(r["command_id"]),
                node=str(r["node"]),
                time=from_us(int(r["time_us"])),
                state=CommandState(r["state"]),
                station=r["station"],
                attempt=int(r["attempt"]),
                reason=r["reason"],
                detail=r["detail"],
            )
            for r in rows
        ]
