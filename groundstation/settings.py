"""Where settings, caches and state live (platform folders, overridable by environment)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "groundstation"


def config_dir() -> Path:
    """Settings (TOML). Override with GROUNDSTATION_CONFIG_DIR."""
    override = os.environ.get("GROUNDSTATION_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Keys, archives, node state. Override with GROUNDSTATION_DATA_DIR."""
    override = os.environ.get("GROUNDSTATION_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    """Downloaded element sets. Override with GROUNDSTATION_CACHE_DIR."""
    override = os.environ.get("GROUNDSTATION_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME))
