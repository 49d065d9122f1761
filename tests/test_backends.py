"""The test run names its database backend, and stops when the PostgreSQL asked for is away."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import BACKEND, TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parent.parent
# A test file that needs no database, so that the inner runs are quick.
QUICK = "tests/test_readme.py::test_every_setting_is_documented_with_its_default"


def _pytest(*args: str, url: str | None) -> subprocess.CompletedProcess[str]:
    """Run pytest on one quick test with ``url`` as the test database (None: unset)."""
    env = {name: value for name, value in os.environ.items() if name != TEST_DATABASE_URL}
    if url is not None:
        env[TEST_DATABASE_URL] = url
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, QUICK],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_header_names_the_backend() -> None:
    result = _pytest(url=os.environ.get(TEST_DATABASE_URL))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"database backend: {BACKEND}" in result.stdout


def test_an_unreachable_postgresql_fails_the_run_instead_of_skipping() -> None:
    # Nothing listens on port 1 of the loopback interface.
    result = _pytest(url="postgresql+psycopg://postgres@127.0.0.1:1/test")
    assert result.returncode != 0
    assert "1 passed" not in result.stdout
    assert f"{TEST_DATABASE_URL} is set, but PostgreSQL at" in result.stderr
    assert "cannot be reached" in result.stderr


def test_a_test_database_url_that_is_not_postgresql_fails_the_run() -> None:
    result = _pytest(url="sqlite:///elsewhere.sqlite3")
    assert result.returncode != 0
    assert "must be a postgresql+psycopg:// URL" in result.stderr
