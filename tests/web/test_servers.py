"""Several app servers on one PostgreSQL database, each with its own index folder: an import
made through one server is found by the other server's search within seconds, its index
catching up from the revision log. Real processes: two gunicorn instances with the shipped
settings and `archive` commands, as two machines would run them."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import close
from tests.web.served import BIN, ROOT, Gunicorn, environment, get

pytestmark = [pytest.mark.postgresql, pytest.mark.slow]

WORD = "sphagnum"  # in no demo record: found only once the new statement is
FOUND_WITHIN = 30.0


def archive(env: dict[str, str], *args: str) -> str:
    """Run an `archive` command to its end; return its output, failing unless it exits 0."""
    done = subprocess.run(
        [str(BIN / "archive"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"archive {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def search(server: Gunicorn, query: str) -> list[str]:
    """Return the keys a server's /search.json finds for ``query``."""
    status, body = get(server.port, f"/search.json?q={query}")
    assert status == 200, body[:500]
    found: dict[str, Any] = json.loads(body)
    return [hit["key"] for hit in found["results"]]


@pytest.fixture
def servers(demo: Flask, tmp_path: Path) -> Iterator[tuple[dict[str, str], Gunicorn, Gunicorn]]:
    """Start two servers on the demo archive's database, each with its own new index folder
    built by `archive reindex`; yield server A's environment and both servers."""
    url = demo.config["DATABASE_URL"]
    close(demo)
    envs = [environment(url, tmp_path / f"index-{name}") for name in "ab"]
    for env in envs:
        archive(env, "reindex")
    started: list[Gunicorn] = []
    try:
        for name, env in zip("ab", envs, strict=True):
            started.append(Gunicorn.start(env, tmp_path / f"gunicorn-{name}.log"))
        yield envs[0], started[0], started[1]
    finally:
        for server in started:
            server.stop()


def test_an_import_through_one_server_is_found_by_the_other(
    servers: tuple[dict[str, str], Gunicorn, Gunicorn], tmp_path: Path
) -> None:
    env_a, server_a, server_b = servers
    assert search(server_b, WORD) == []
    path = tmp_path / "new.json"
    statement = {"key": "bog-moss-letter", "title": f"Letter on {WORD} bogs", "kind": "other"}
    path.write_text(json.dumps({"statements": [statement]}), encoding="utf-8")
    archive(env_a, "import", str(path))
    imported = time.monotonic()
    assert search(server_a, WORD) == ["bog-moss-letter"]
    while search(server_b, WORD) != ["bog-moss-letter"]:
        assert time.monotonic() - imported < FOUND_WITHIN, (
            f"server B did not find the import within {FOUND_WITHIN:g} s:\n{server_b.text()}"
        )
        time.sleep(0.2)
    print(f"\nfound by server B {time.monotonic() - imported:.2f} s after the import")
    for server in (server_a, server_b):
        server.stop()
        assert "Traceback" not in server.text()
