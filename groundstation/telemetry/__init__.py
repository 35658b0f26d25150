"""Telemetry: dictionary, decoding, archive, node health and alarms (Qt-free)."""
