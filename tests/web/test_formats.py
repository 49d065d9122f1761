"""One view, many formats: a page registered once answers as HTML, JSON and CSV."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Blueprint, Flask, Response, url_for

from archive.data.database import Database
from archive.web import formats
from archive.web.answers import not_found
from tests.web.pages import recorded_sql

# What reading a page of a list runs: its count over the whole list, and its rows.
PAGE_SQL = re.compile(r"count\(\*\) AS \w+\s+FROM \(|\bLIMIT\b")


def things_app() -> Flask:
    """Return an app with one page of its own, registered as every page of the archive is."""
    app = Flask(__name__)
    bp = Blueprint("things", __name__)

    def csv(key: str) -> Response:
        return Response(f"key\r\n{key}\r\n", content_type="text/csv; charset=utf-8")

    @formats.page(bp, "/things/<path:key>")
    def show(key: str, fmt: str = formats.HTML) -> Any:
        if key == "missing":
            not_found("There is no such thing.")
        return formats.respond(
            fmt, key, html=lambda k: f"<p>{k}</p>", json=lambda k: {"k": k}, csv=csv
        )

    app.register_blueprint(bp)
    return app


def test_a_new_page_gets_its_twins() -> None:
    client = things_app().test_client()
    assert client.get("/things/a/b").get_data(as_text=True) == "<p>a/b</p>"
    assert client.get("/things/a/b.json").get_json() == {"k": "a/b"}
    csv = client.get("/things/a/b.csv")
    assert (csv.mimetype, csv.get_data(as_text=True)) == ("text/csv", "key\r\na/b\r\n")
    # Another extension is no twin: it is part of the key.
    assert client.get("/things/a/b.xml").get_data(as_text=True) == "<p>a/b.xml</p>"


def test_twins_are_the_pages_endpoint_with_a_format() -> None:
    app = things_app()
    with app.test_request_context():
        assert url_for("things.show", key="ru/spb") == "/things/ru/spb"
        assert url_for("things.show", key="ru/spb", fmt="json") == "/things/ru/spb.json"
        assert url_for("things.show", key="ru/spb", fmt="csv", sort="key") == (
            "/things/ru/spb.csv?sort=key"
        )
        with pytest.raises(ValueError, match="xml"):
            url_for("things.show", key="ru/spb", fmt="xml")


@pytest.mark.parametrize(
    ("url", "mimetype"),
    [("/things/missing", "text/html"), ("/things/missing.json", "application/json")],
)
def test_not_found_answers_in_the_format_asked_for(url: str, mimetype: str) -> None:
    response = things_app().test_client().get(url)
    assert (response.status_code, response.mimetype) == (404, mimetype)


def test_csv_of_a_list_reads_no_page_of_it(demo: Flask, client: Any, db: Database) -> None:
    """The CSV twin holds every row: it neither counts the list nor reads a page of it."""
    for url in ("/statements", "/people", "/sources"):
        with recorded_sql(db) as page:
            client.get(url).close()
        with recorded_sql(db) as csv:
            client.get(f"{url}.csv").get_data()
        assert len([statement for statement in page if PAGE_SQL.search(statement)]) == 2, url
        assert not [statement for statement in csv if PAGE_SQL.search(statement)], url


@pytest.mark.parametrize(
    ("asked", "location"),
    [
        ("/statements/2022-09-municipal-deputies-demand-putin-resignation/", None),
        ("/people/ksenia-thorstrom/", None),
        ("/sources/mirror-2022-09-putin-quit/", None),
        ("/districts/ru/spb/kolpino/", None),
        ("/people/ksenia-thorstrom/?x=1", "/people/ksenia-thorstrom?x=1"),
        ("/statements/", None),
        ("/people/", None),
        ("/districts/", None),
        ("/sources/", None),
        ("/search/?q=treason", "/search?q=treason"),
    ],
)
def test_a_trailing_slash_redirects_for_good_to_the_page(
    demo: Flask, asked: str, location: str | None
) -> None:
    client = demo.test_client()
    answer = client.get(asked)
    assert answer.status_code == 308
    assert answer.headers["Location"] == (location or asked.rstrip("/"))
    assert client.get(answer.headers["Location"]).status_code == 200


@pytest.mark.parametrize("asked", ["/people/nobody/", "/districts/ru/nowhere/", "/sources/no/"])
def test_an_unknown_key_with_a_trailing_slash_still_answers_404(demo: Flask, asked: str) -> None:
    answer = demo.test_client().get(asked, follow_redirects=True)
    assert answer.status_code == 404
    assert answer.request.path == asked.rstrip("/")
