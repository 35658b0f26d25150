"""One database for the station: SQLite by default (WAL), PostgreSQL for a network of stations.

Every component that persists state (telemetry archive, alarms, later the command lifecycle) goes
through `open_database` and registers its own schema migrations with `migrate`.
"""

from groundstation.storage.database import (
    Database,
    Migration,
    SchemaError,
    from_us,
    migrate,
    open_database,
    to_us,
)

__all__ = ["Database", "Migration", "SchemaError", "from_us", "migrate", "open_database", "to_us"]
