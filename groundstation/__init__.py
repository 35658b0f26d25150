"""Qt-free core of the ground station: stations, governance, planning, telemetry and the CLI."""

__version__ = "0.1.0"
