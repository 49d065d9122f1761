"""The app factory, the home page and the error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archive import create_app
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
