"""Tables of the telemetry archive and alarms (SQLAlchemy Core, portable SQLite/PostgreSQL).

Times are BIGINT microseconds since the Unix epoch (UTC). New tables or columns come as new
`Migration` steps appended to `MIGRATIONS` (never edit a released step).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from groundstation.storage import Migration

COMPONENT = "telemetry"

# SQLite only aliases rowid for INTEGER PRIMARY KEY; PostgreSQL wants 64-bit identities.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metadata = sa.MetaData()

nodes = sa.Table(
    "tm_nodes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
)

parameters = sa.Table(
    "tm_parameters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("unit", sa.String(32), nullable=False, server_default=""),
)

frames = sa.Table(
    "tm_frames",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("node_id", sa.Integer, sa.ForeignKey("tm_nodes.id"), nullable=False),
    sa.Column("apid", sa.Integer, nullable=False),
    sa.Column("sequence_count", sa.Integer, nullable=True),
    sa.Column("reception_time_us", sa.BigInteger, nullable=False),
    sa.Column("station", sa.String(64), nullable=False),
    sa.Column("frequency_hz", sa.Float(53), nullable=False),
    sa.Column("snr_db", sa.Float(53), nullable=True),
    sa.Column("decoder", sa.String(64), nullable=False),
    sa.Column("packet", sa.String(64), nullable=True),  # None: not decodable (see reject_reason)
    sa.Column("reject_reason", sa.String(256), nullable=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Index("ix_tm_frames_node_time", "node_id", "reception_time_us"),
    sa.Index("ix_tm_frames_time", "reception_time_us"),
)

samples = sa.Table(
    "tm_samples",
    metadata,
    sa.Column("node_id", sa.Integer, primary_key=True),
    sa.Column("parameter_id", sa.Integer, primary_key=True),
    sa.Column("time_us", sa.BigInteger, primary_key=True),
    sa.Column("frame_id", sa.BigInteger, primary_key=True),
    # Nullable: SQLite stores a NaN (a float sensor's own NaN) as NULL; read back as NaN.
    sa.Column("raw_value", sa.Float(53), nullable=True),
    sa.Column("eng_value", sa.Float(53), nullable=True),
    sa.Column("eng_text", sa.String(64), nullable=True),
    # SQLite: one B-tree clustered on (node, parameter, time): a parameter's history is one range
    # scan and each sample costs a single B-tree insert (no rowid table plus covering index).
    sqlite_with_rowid=False,
)

alarms = sa.Table(
    "tm_alarms",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("node", sa.String(64), nullable=False),
    sa.Column("parameter", sa.String(128), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),  # highest reached
    sa.Column("current_severity", sa.String(16), nullable=False),  # 'ok' once back in limits
    sa.Column("triggered_at_us", sa.BigInteger, nullable=False),
    # Nullable since v2: a NaN sample (critical by rule) is stored as NULL, as in tm_samples.
    sa.Column("trigger_value", sa.Float(53), nullable=True),
    sa.Column("last_value", sa.Float(53), nullable=True),
    sa.Column("last_text", sa.String(64), nullable=True),
    sa.Column("updated_at_us", sa.BigInteger, nullable=False),
    sa.Column("acknowledged_at_us", sa.BigInteger, nullable=True),
    sa.Column("acknowledged_by", sa.String(64), nullable=True),
    sa.Column("shelved_until_us", sa.BigInteger, nullable=True),
    sa.Column("shelved_by", sa.String(64), nullable=True),
    sa.Column("returned_at_us", sa.BigInteger, nullable=True),
    sa.Column("closed_at_us", sa.BigInteger, nullable=True),
    # v2: what raised it (limit | stale | command), the command it is about, a line for operators.
    sa.Column("kind", sa.String(16), nullable=False, server_default="limit"),
    sa.Column("command_id", sa.BigInteger, nullable=True),
    sa.Column("detail", sa.String(256), nullable=True),
    sa.Index("ix_tm_alarms_open", "closed_at_us", "node", "parameter"),
)

alarm_events = sa.Table(
    "tm_alarm_events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("alarm_id", sa.BigInteger, sa.ForeignKey("tm_alarms.id", ondelete="CASCADE"), nullable=False),
    sa.Column("time_us", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("value", sa.Float(53), nullable=True),
    sa.Column("actor", sa.String(64), nullable=True),
    sa.Column("comment", sa.String(512), nullable=True),
    sa.Column("shelved_until_us", sa.BigInteger, nullable=True),  # v2: a shelve's end
    sa.Index("ix_tm_alarm_events_alarm", "alarm_id", "time_us"),
    sa.Index("ix_tm_alarm_events_time", "time_us"),  # v2: history by time range
)


def _create_v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[nodes, parameters, frames, samples, alarms, alarm_events])


_ALARM_V1_COLUMNS = (
    "id, node, parameter, severity, current_severity, triggered_at_us, trigger_value, last_value, "
    "last_text, updated_at_us, acknowledged_at_us, acknowledged_by, shelved_until_us, shelved_by, "
    "returned_at_us, closed_at_us"
)
_EVENT_V1_COLUMNS = "id, alarm_id, time_us, kind, severity, value, actor, comment"


def _alarm_history_v2(conn: Connection) -> None:
    """Alarm kinds and their command link, shelve ends in the event trail, a time index, and
    nullable values (a NaN-triggered alarm could not be stored). v1 may have created the tables
    in either shape (it builds from `metadata`), so each step tolerates the new one."""
    if conn.dialect.name == "postgresql":
        for ddl in (
            "ALTER TABLE tm_alarms ALTER COLUMN trigger_value DROP NOT NULL",
            "ALTER TABLE tm_alarms ALTER COLUMN last_value DROP NOT NULL",
            "ALTER TABLE tm_alarms ADD COLUMN IF NOT EXISTS kind VARCHAR(16) NOT NULL DEFAULT 'limit'",
            "ALTER TABLE tm_alarms ADD COLUMN IF NOT EXISTS command_id BIGINT",
            "ALTER TABLE tm_alarms ADD COLUMN IF NOT EXISTS detail VARCHAR(256)",
            "ALTER TABLE tm_alarm_events ADD COLUMN IF NOT EXISTS shelved_until_us BIGINT",
            "CREATE INDEX IF NOT EXISTS ix_tm_alarm_events_time ON tm_alarm_events (time_us)",
        ):
            conn.exec_driver_sql(ddl)
        return
    # SQLite cannot drop a NOT NULL in place: copy both tables aside, recreate, copy back (events
    # first out and last in, so the cascade never fires).
    conn.exec_driver_sql(f"CREATE TEMP TABLE v1_alarms AS SELECT {_ALARM_V1_COLUMNS} FROM tm_alarms")
    conn.exec_driver_sql(f"CREATE TEMP TABLE v1_events AS SELECT {_EVENT_V1_COLUMNS} FROM tm_alarm_events")
    conn.exec_driver_sql("DROP TABLE tm_alarm_events")
    conn.exec_driver_sql("DROP TABLE tm_alarms")
    metadata.create_all(conn, tables=[alarms, alarm_events])
    conn.exec_driver_sql(
        f"INSERT INTO tm_alarms ({_ALARM_V1_COLUMNS}) SELECT {_ALARM_V1_COLUMNS} FROM v1_alarms"
    )
    conn.exec_driver_sql(
        f"INSERT INTO tm_alarm_events ({_EVENT_V1_COLUMNS}) SELECT {_EVENT_V1_COLUMNS} FROM v1_events"
    )
    conn.exec_driver_sql("DROP TABLE v1_alarms")
    conn.exec_driver_sql("DROP TABLE v1_events")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(COMPONENT, 1, "telemetry frames, samples, alarms", _create_v1),
    Migration(COMPONENT, 2, "alarm history: kinds, command link, shelve ends, time index", _alarm_history_v2),
)
