"""The app factory, the home page and the error pages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from archive import config, create_app
from tests.conftest import close, new_database


def test_home_page_shows_demo_counts(demo: Any, client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Municipal deputies demand Vladimir Putin&#39;s resignation" in page
    assert "Dataset version 17." in page


def test_home_page_on_empty_archive(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "The archive is empty" in response.get_data(as_text=True)


def test_unknown_url_is_a_404_page(client: Any) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "404 Not Found" in response.get_data(as_text=True)


def test_unmigrated_database_answers_503_not_500(tmp_path: Path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": new_database(tmp_path, "empty"),
            "INDEX_DIR": str(tmp_path / "index"),
        }
    )
    try:
        response = app.test_client().get("/")
        assert response.status_code == 503
        assert "archive migrate" in response.get_data(as_text=True)
    finally:
        close(app)


def test_processes_sharing_an_instance_folder_sign_with_one_secret_key(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Unset, the key was random per process, so workers could not read each other's forms."""
    monkeypatch.delenv("ARCHIVE_SECRET_KEY", raising=False)
    code = "from archive import config; import sys; print(config.load(sys.argv[1])['SECRET_KEY'])"
    instance = tmp_path / "instance"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(instance)],
            stdout=subprocess.PIPE,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_")},
        )
        for _ in range(6)
    ]
    keys = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert len(keys) == 1
    (key,) = keys
    assert len(key) == 64 and int(key, 16) >= 0
    secret = instance / "secret_key"
    assert secret.read_text(encoding="ascii") == key
    assert secret.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in instance.iterdir()) == ["secret_key"]  # no draft left
    assert config.load(str(instance))["SECRET_KEY"] == key
    monkeypatch.setenv("ARCHIVE_SECRET_KEY", "given")
    assert config.load(str(tmp_path / "elsewhere"))["SECRET_KEY"] == "given"
