"""A PostgreSQL server for tests: GROUNDSTATION_TEST_POSTGRES_URL (CI starts one in .ci/run), else a
throwaway server started with scripts/test-postgres when Debian's binaries exist; otherwise skip
(fail under CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import IN_CI, REPO

ENV_URL = "GROUNDSTATION_TEST_POSTGRES_URL"
SCRIPT = REPO / "scripts" / "test-postgres"


def _server_url(tmp: Path) -> str:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "start", str(tmp)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if proc.returncode != 0:
        message = f"cannot start PostgreSQL for tests: {proc.stderr.strip() or proc.stdout.strip()}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """URL of a server's maintenance database (`postgres`)."""
    env = os.environ.get(ENV_URL)
    if env:
        yield env
        return
    tmp = Path(tempfile.mkdtemp(prefix="gs-pg-"))
    try:
        yield _server_url(tmp)
    finally:
        subprocess.run(
            [sys.executable, str(SCRIPT), "stop", str(tmp)], capture_output=True, timeout=60, check=False
        )
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_database_url(postgres_server_url: str, worker_id: str) -> Iterator[str]:
    """A database of this test worker's own (workers share a server in CI)."""
    name = f"gs_test_{worker_id}".lower()
    admin = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def reset_postgres(url: str) -> None:
    """Empty the database: every test starts from no schema at all."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
